package source

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshKey writes a new ed25519 private key, encrypted with passphrase when
// it is not empty, and returns the file and the public key.
func sshKey(t *testing.T, passphrase string) (string, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(name, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return name, sshPub
}

func TestAuthFromEnv(t *testing.T) {
	plainKey, _ := sshKey(t, "")
	lockedKey, _ := sshKey(t, "open sesame")
	_, hostKey := sshKey(t, "")
	knownHosts := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, knownHosts, knownhosts.Line([]string{"git.example.com"}, hostKey)+"\n")
	t.Setenv("SSH_AUTH_SOCK", "") // no agent, whatever runs the tests

	for _, tt := range []struct {
		name    string
		url     string
		env     map[string]string
		key     string
		check   func(t *testing.T, auth transport.AuthMethod)
		wantErr string // a part of the error; "" for none
		secret  string // must not be in the error
	}{
		{name: "https without a token", url: "https://github.com/acme/spec.git"},
		{
			name: "https with a token", url: "https://github.com/acme/spec.git",
			env:   map[string]string{EnvGitToken: "ghs_abc"},
			check: basic(DefaultGitUser, "ghs_abc"),
		},
		{
			name: "https with a token and a user", url: "https://gitlab.example.com/acme/spec.git",
			env:   map[string]string{EnvGitToken: "glpat-x", EnvGitUser: "oauth2"},
			check: basic("oauth2", "glpat-x"),
		},
		{
			name: "https with an empty token", url: "https://github.com/acme/spec.git",
			env: map[string]string{EnvGitToken: ""},
		},
		{
			name: "https with an ssh key", url: "https://github.com/acme/spec.git", key: plainKey,
			wantErr: "is for ssh remotes only",
		},
		{ //nolint:gosec // G101: a made-up password, to see that the error hides it
			name: "a token over plain http", url: "http://ana:pw-in-url@git.local/spec.git",
			env:     map[string]string{EnvGitToken: "ghs_abc"},
			wantErr: "ACCORD_GIT_TOKEN is not sent over plain http", secret: "pw-in-url",
		},
		{name: "plain http without a token", url: "http://git.local/spec.git"},
		{name: "file URL", url: "file:///srv/git/spec.git", env: map[string]string{EnvGitToken: "ghs_abc"}},
		{name: "local path", url: "/srv/git/spec.git"},
		{name: "relative path", url: "../spec"},
		{name: "git protocol", url: "git://git.local/spec.git"},
		{name: "a key for a local path", url: "/srv/git/spec.git", key: plainKey, wantErr: "is for ssh remotes only"},
		{name: "ssh without a key: go-git's agent default", url: "ssh://git@github.com/acme/spec.git"},
		{
			name: "ssh with a key", url: "ssh://github.com/acme/spec.git", key: plainKey,
			check: keys(gitssh.DefaultUsername),
		},
		{
			name: "scp-like ssh with a user", url: "deploy@git.example.com:acme/spec.git", key: plainKey,
			check: keys("deploy"),
		},
		{
			name: "an encrypted key and its passphrase", url: "git@github.com:acme/spec.git", key: lockedKey,
			env:   map[string]string{EnvGitSSHPassphrase: "open sesame"},
			check: keys("git"),
		},
		{
			name: "an encrypted key without its passphrase", url: "git@github.com:acme/spec.git", key: lockedKey,
			wantErr: "ssh key " + lockedKey,
		},
		{
			name: "an encrypted key and a wrong passphrase", url: "git@github.com:acme/spec.git", key: lockedKey,
			env:     map[string]string{EnvGitSSHPassphrase: "close sesame"},
			wantErr: "ssh key " + lockedKey, secret: "close sesame",
		},
		{
			name: "a key file that is not there", url: "git@github.com:acme/spec.git", key: "/nowhere/id_ed25519",
			wantErr: "/nowhere/id_ed25519",
		},
		{
			name: "known hosts", url: "ssh://git@git.example.com/acme/spec.git", key: plainKey,
			env: map[string]string{EnvGitSSHKnownHosts: knownHosts},
			check: func(t *testing.T, auth transport.AuthMethod) {
				k := auth.(*gitssh.PublicKeys)
				if k.HostKeyCallback == nil || !slices.Contains(k.HostKeyAlgorithms, ssh.KeyAlgoED25519) {
					t.Fatalf("host key callback %v, algorithms %v", k.HostKeyCallback != nil, k.HostKeyAlgorithms)
				}
				addr := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 22}
				if err := k.HostKeyCallback("git.example.com:22", addr, hostKey); err != nil {
					t.Errorf("the known host key: %v", err)
				}
				_, other := sshKey(t, "")
				if err := k.HostKeyCallback("git.example.com:22", addr, other); err == nil {
					t.Error("another host key was accepted")
				}
				if err := k.HostKeyCallback("elsewhere.example.com:22", addr, hostKey); err == nil {
					t.Error("an unknown host was accepted")
				}
			},
		},
		{
			name: "a known hosts file that is not there", url: "ssh://git@git.example.com/acme/spec.git", key: plainKey,
			env:     map[string]string{EnvGitSSHKnownHosts: "/nowhere/known_hosts"},
			wantErr: EnvGitSSHKnownHosts,
		},
		{
			name: "known hosts without a key asks the agent", url: "ssh://git@git.example.com/acme/spec.git",
			env:     map[string]string{EnvGitSSHKnownHosts: knownHosts},
			wantErr: "ssh agent",
		},
		{name: "an unknown scheme", url: "ftp://git.example.com/spec.git", wantErr: "does not fetch over ftp"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(name string) (string, bool) {
				v, ok := tt.env[name]
				return v, ok
			}
			auth, err := AuthFromEnv(tt.url, lookup, tt.key)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one with %q", err, tt.wantErr)
				}
				if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
					t.Errorf("the error shows a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check == nil {
				if auth != nil {
					t.Errorf("auth = %v, want none", auth)
				}
				return
			}
			tt.check(t, auth)
			if s := auth.String(); strings.Contains(s, "ghs_abc") || strings.Contains(s, "glpat-x") {
				t.Errorf("auth prints its secret: %s", s)
			}
		})
	}
}

func basic(user, password string) func(*testing.T, transport.AuthMethod) {
	return func(t *testing.T, auth transport.AuthMethod) {
		t.Helper()
		b, ok := auth.(*githttp.BasicAuth)
		if !ok || b.Username != user || b.Password != password {
			t.Errorf("auth = %#v, want basic %s", auth, user)
		}
	}
}

func keys(user string) func(*testing.T, transport.AuthMethod) {
	return func(t *testing.T, auth transport.AuthMethod) {
		t.Helper()
		k, ok := auth.(*gitssh.PublicKeys)
		if !ok || k.User != user || k.Signer == nil {
			t.Errorf("auth = %#v, want public keys of %s", auth, user)
		}
	}
}
