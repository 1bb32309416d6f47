package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/hashicorp/hcl/v2/hcldec"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
)

// conn is one channel's connection: its adapter, opened once and kept while
// the channel's block hashes the same. A channel whose adapter could not be
// opened keeps the error instead, reported as the channel's status until
// its config changes.
type conn struct {
	name string
	hash string
	ch   adapters.Channel
	err  error
}

func (cn *conn) close() error {
	if cn.ch == nil {
		return nil
	}
	if cl, ok := cn.ch.(adapters.Closer); ok {
		if err := cl.Close(); err != nil {
			return fmt.Errorf("close %s: %w", cn.name, err)
		}
	}
	return nil
}

// connect returns the connection of every channel of s, opening those that
// are new or whose block changed (closing the old connection) and closing
// those of channels s no longer has. c.mu is held.
func (c *Controller) connect(ctx context.Context, s *spec.Spec) map[string]*conn {
	keep := make(map[string]bool, len(s.Channels))
	for _, ch := range s.Channels {
		keep[ch.Name] = true
		hash, err := channelHash(c.cfg.Registry, s, ch)
		if old, ok := c.conns[ch.Name]; ok {
			if old.hash == hash && err == nil {
				continue
			}
			c.closeConn(old)
		}
		cn := &conn{name: ch.Name, hash: hash, err: err}
		if err == nil {
			cn.ch, cn.err = c.cfg.Registry.Open(ctx, ch.Type, adapters.Setup{
				Name: ch.Name, Currency: ch.Currency, Scale: ch.Scale, SpecDir: s.Dir,
				Config: ch.Config, Eval: s.Eval, Now: c.cfg.Now,
				HTTPClient: c.cfg.HTTPClient, Log: c.log().With(slog.String("channel", ch.Name)),
				UserAgent: c.cfg.UserAgent, Budgets: c.budgets,
			})
		}
		if cn.err != nil {
			cn.ch = nil
			c.log().Info("channel not opened", slog.String("channel", ch.Name), slog.String("reason", string(adapters.ReasonOf(cn.err))), slog.Any("err", cn.err))
		}
		c.conns[ch.Name] = cn
	}
	for name, cn := range c.conns {
		if !keep[name] {
			c.closeConn(cn)
			delete(c.conns, name)
		}
	}
	out := make(map[string]*conn, len(c.conns))
	for name, cn := range c.conns {
		out[name] = cn
	}
	return out
}

func (c *Controller) closeConn(cn *conn) {
	if err := cn.close(); err != nil {
		c.log().Warn("closing a channel", slog.String("channel", cn.name), slog.Any("err", err))
	}
}

// channelHash is what a channel's connection depends on: its kind, currency,
// the spec directory (as an absolute path, however it was spelled) and its
// config block evaluated (secrets from env() included; the hash is kept in
// memory only). An error is a config block that does not evaluate.
func channelHash(reg *adapters.Registry, s *spec.Spec, ch *spec.Channel) (string, error) {
	h := sha256.New()
	dir, err := filepath.Abs(s.Dir)
	if err != nil {
		dir = s.Dir
	}
	_, _ = fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\x00", ch.Type, ch.Currency, ch.Scale, dir)
	kind, _ := reg.Lookup(ch.Type)
	if kind.Config != nil && ch.Config != nil {
		v, diags := hcldec.Decode(ch.Config, kind.Config, s.Eval)
		if diags.HasErrors() {
			return "", &adapters.ConfigError{Channel: ch.Name, Diags: diags}
		}
		b, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			return "", &adapters.ConfigError{Channel: ch.Name}
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
