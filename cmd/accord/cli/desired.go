package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// filter is the --channel and --sku selection shared by several commands.
type filter struct {
	channels []string
	skus     []string
	// positional: the SKU was a command's argument, not --sku.
	positional bool
}

func (f *filter) flags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.channels, "channel", nil, "only this channel (repeatable)")
	cmd.Flags().StringArrayVar(&f.skus, "sku", nil, "only this catalog SKU (repeatable)")
}

// check reports channels and SKUs the spec does not know.
func (f *filter) check(s *spec.Spec) error {
	for _, c := range f.channels {
		if _, _, ok := s.Channel(c); !ok {
			var names []string
			for _, ch := range s.Channels {
				names = append(names, ch.Name)
			}
			return fmt.Errorf("--channel %q: no such channel; the channels are %s", c, strings.Join(names, ", "))
		}
	}
	for _, sku := range f.skus {
		if _, _, ok := s.Product(sku); !ok {
			msg := fmt.Sprintf("--sku %q: no such SKU in the catalog", sku)
			if f.positional {
				msg = fmt.Sprintf("SKU %q is not in the catalog", sku)
			}
			if near := s.SuggestSKU(sku); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			return errors.New(msg)
		}
	}
	return nil
}

func (f *filter) keepChannel(name string) bool {
	if len(f.channels) == 0 {
		return true
	}
	for _, c := range f.channels {
		if c == name {
			return true
		}
	}
	return false
}

func (a *app) desiredCommand() *cobra.Command {
	var at, format string
	var sel filter
	cmd := &cobra.Command{
		Use:   "desired",
		Short: "Print the desired state of every listing: quantity, price, compare-at price and fields",
		Long: `desired derives, for every channel and catalog SKU, what accord would list:
the quantity from the pools and on-hand stock, the price and compare-at price
from the price matrix, promotions, floors, rounding and parity, and the listing
fields, together with the findings (warnings and errors) of the derivation.`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("--format %q: use text or json", format)
			}
			res, s, err := a.derive(cmd.Context(), at, sel, false)
			if err != nil {
				return err
			}
			w := bufio.NewWriterSize(a.env.Stdout, 1<<16)
			if format == "json" {
				err = writeDesiredJSON(w, s, res)
			} else {
				err = writeDesiredText(w, s, res, tableWidth(a.env.Stdout), len(sel.skus) == 1)
			}
			if err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			// The findings are part of the document and desired exits 0;
			// a script reading only stdout should still hear of errors.
			if n := countErrors(res.Findings); n > 0 && format == "json" {
				a.note("%s in the derivation (see \"findings\"); accord validate shows them with their spec lines.\n", plural(n, "error"))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "derive at this time (RFC 3339, or local to the spec's time zone); default now")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	sel.flags(cmd)
	return cmd
}

// derive loads the spec and stock and derives at --at, keeping the listings
// and findings the filter selects.
func (a *app) derive(ctx context.Context, at string, sel filter, trace bool) (*derive.Result, *spec.Spec, error) {
	s, err := a.loadSpec()
	if err != nil {
		return nil, nil, err
	}
	if err := sel.check(s); err != nil {
		return nil, nil, err
	}
	t, err := a.instant(at, s.Settings.Timezone)
	if err != nil {
		return nil, nil, err
	}
	levels, err := a.readStock(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	start := time.Now()
	opts := derive.Options{At: t, Stock: levels, Trace: trace}
	if len(sel.skus) > 0 {
		opts.SKUs = sel.skus
	}
	res, err := derive.Desired(ctx, s, opts)
	if err != nil {
		return nil, nil, err
	}
	a.log.Debug("derived", slog.Int("listings", len(res.Listings)), slog.Int("findings", len(res.Findings)), slog.Duration("duration", time.Since(start)))
	if len(sel.channels) > 0 {
		kept := res.Listings[:0]
		for _, l := range res.Listings {
			if sel.keepChannel(l.Channel) {
				kept = append(kept, l)
			}
		}
		res.Listings = kept
		var fs []derive.Finding
		for _, f := range res.Findings {
			if f.Channel == "" || sel.keepChannel(f.Channel) {
				fs = append(fs, f)
			}
		}
		res.Findings = fs
	}
	return res, s, nil
}

// moneyText writes a price with its currency's minor-unit places.
func moneyText(s *spec.Spec, l *adapters.Listing, d interface{ StringFixed(int32) string }) string {
	if ch, _, ok := s.Channel(l.Channel); ok {
		return d.StringFixed(ch.Scale)
	}
	return d.StringFixed(2)
}

// appendQuote appends s as a JSON string. Its only error is invalid UTF-8,
// which is written as U+FFFD, as encoding/json does; the output is valid
// either way.
func appendQuote(dst []byte, s string) []byte {
	out, _ := jsontext.AppendQuote(dst, s)
	return out
}

// appendListingJSON appends one listing in the contract's shape. It is
// written by hand over jsontext's quoting because reflection over 600k
// listings took longer than deriving them.
func appendListingJSON(b []byte, s *spec.Spec, l *derive.Listing) []byte {
	b = append(b, `{"channel":`...)
	b = appendQuote(b, l.Channel)
	b = append(b, `,"sku":`...)
	b = appendQuote(b, l.SKU)
	b = append(b, `,"quantity":`...)
	if l.Quantity.Valid {
		b = strconv.AppendInt(b, l.Quantity.Units, 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"price":`...)
	b = appendMoney(b, s, &l.Listing, l.Price)
	b = append(b, `,"compare_at":`...)
	b = appendMoney(b, s, &l.Listing, l.CompareAt)
	b = append(b, `,"currency":`...)
	b = appendQuote(b, l.Currency)
	b = append(b, `,"promotion":`...)
	if l.Promotion != "" {
		b = appendQuote(b, l.Promotion)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"fields":{`...)
	for i, f := range l.Fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuote(b, f.Name)
		b = append(b, ':')
		b = appendQuote(b, f.Value)
	}
	return append(b, "}}"...)
}

// appendMoney appends a price as a JSON string with the currency's places,
// or null.
func appendMoney(b []byte, s *spec.Spec, l *adapters.Listing, d decimal.NullDecimal) []byte {
	if !d.Valid {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = append(b, moneyText(s, l, d.Decimal)...)
	return append(b, '"')
}

type findingJSON struct {
	Severity string  `json:"severity"`
	Code     string  `json:"code"`
	Channel  *string `json:"channel"`
	SKU      string  `json:"sku"`
	Field    string  `json:"field,omitempty"`
	Message  string  `json:"message"`
	Source   string  `json:"source,omitempty"`
}

func findingsJSON(fs []derive.Finding) []findingJSON {
	out := make([]findingJSON, 0, len(fs))
	for _, f := range fs {
		fj := findingJSON{Severity: string(f.Severity), Code: f.Code, SKU: f.SKU, Field: f.Field, Message: f.Message}
		if f.Channel != "" {
			ch := f.Channel
			fj.Channel = &ch
		}
		if f.Range.Filename != "" {
			fj.Source = fmt.Sprintf("%s:%d", f.Range.Filename, f.Range.Start.Line)
		}
		out = append(out, fj)
	}
	return out
}

// writeDesiredJSON writes the contract's shape, one listing per line so
// that two runs diff line by line.
func writeDesiredJSON(w io.Writer, s *spec.Spec, res *derive.Result) error {
	bw := newPrinter(w)
	bw.printf("{\"at\": %s,\n \"listings\": [", appendQuote(nil, res.At.UTC().Format(time.RFC3339)))
	var buf []byte
	for i := range res.Listings {
		buf = appendListingJSON(buf[:0], s, &res.Listings[i])
		bw.item(i, buf)
	}
	bw.close(len(res.Listings))
	bw.printf(",\n \"findings\": [")
	enc := json.NewEncoder(&buffer{&buf})
	enc.SetEscapeHTML(false)
	for i, f := range findingsJSON(res.Findings) {
		buf = buf[:0]
		if err := enc.Encode(f); err != nil {
			return err
		}
		bw.item(i, bytes.TrimSuffix(buf, []byte{'\n'}))
	}
	bw.close(len(res.Findings))
	bw.printf("}\n")
	return bw.err
}

// buffer is an io.Writer appending to a byte slice the caller reuses.
type buffer struct{ b *[]byte }

func (w *buffer) Write(p []byte) (int, error) {
	*w.b = append(*w.b, p...)
	return len(p), nil
}

// writeDesiredText writes an aligned table, then the findings, fitted to
// width (0: full width); a view of one SKU wraps its fields instead of
// cutting them.
func writeDesiredText(w io.Writer, s *spec.Spec, res *derive.Result, width int, oneSKU bool) error {
	pr := newPrinter(w)
	pr.printf("Desired state at %s\n\n", res.At.In(s.Settings.Timezone).Format(time.RFC3339))
	rows := make([][]string, 0, len(res.Listings)+1)
	rows = append(rows, []string{"CHANNEL", "SKU", "QTY", "PRICE", "COMPARE AT", "CUR", "PROMOTION", "FIELDS"})
	for i := range res.Listings {
		l := &res.Listings[i]
		qty, price, compare, promo := "-", "-", "-", "-"
		if l.Quantity.Valid {
			qty = fmt.Sprint(l.Quantity.Units)
		}
		if l.Price.Valid {
			price = moneyText(s, &l.Listing, l.Price.Decimal)
		}
		if l.CompareAt.Valid {
			compare = moneyText(s, &l.Listing, l.CompareAt.Decimal)
		}
		if l.Promotion != "" {
			promo = l.Promotion
		}
		var fields []string
		for _, f := range l.Fields {
			fields = append(fields, fmt.Sprintf("%s=%q", f.Name, f.Value))
		}
		rows = append(rows, []string{l.Channel, l.SKU, qty, price, compare, l.Currency, promo, strings.Join(fields, " ")})
	}
	pr.columns(rows, 7, width, oneSKU)
	pr.printf("\n%s", plural(len(res.Listings), "listing"))
	if len(res.Findings) == 0 {
		pr.println(", no findings.")
		return pr.err
	}
	errs := countErrors(res.Findings)
	pr.printf("; %s, %s:\n", plural(errs, "error"), plural(len(res.Findings)-errs, "warning"))
	rows = rows[:0]
	for _, f := range res.Findings {
		src := ""
		if f.Range.Filename != "" {
			src = fmt.Sprintf("  (%s:%d)", f.Range.Filename, f.Range.Start.Line)
		}
		ch := f.Channel
		if ch == "" {
			ch = "*"
		}
		rows = append(rows, []string{"  " + string(f.Severity), f.Code, ch, f.SKU, f.Message + src})
	}
	pr.columns(rows, 4, width, true)
	return pr.err
}

// clip shortens s to n characters with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func countErrors(fs []derive.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity == derive.Error {
			n++
		}
	}
	return n
}
