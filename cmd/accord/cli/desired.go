package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// filter is the --channel and --sku selection shared by several commands.
type filter struct {
	channels []string
	skus     []string
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
			return fmt.Errorf("--sku %q: no such SKU in the catalog", sku)
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
		Args: cobra.NoArgs,
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
				err = writeDesiredText(w, s, res)
			}
			if err != nil {
				return err
			}
			return w.Flush()
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
	if ctx == nil {
		ctx = context.Background()
	}
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
	res := derive.Derive(s, opts)
	a.log.Debug("derived", "listings", len(res.Listings), "findings", len(res.Findings), "duration", time.Since(start))
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

type listingJSON struct {
	Channel   string          `json:"channel"`
	SKU       string          `json:"sku"`
	Quantity  *int64          `json:"quantity"`
	Price     *string         `json:"price"`
	CompareAt *string         `json:"compare_at"`
	Currency  string          `json:"currency"`
	Promotion *string         `json:"promotion"`
	Fields    json.RawMessage `json:"fields"`
}

// jsonEnc marshals without HTML escaping, so a title "Bits & Bobs" stays
// readable, and reuses one buffer across a large document.
type jsonEnc struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newJSONEnc() *jsonEnc {
	e := &jsonEnc{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

// marshal returns v's JSON; the bytes are valid until the next call.
func (e *jsonEnc) marshal(v any) ([]byte, error) {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(e.buf.Bytes(), []byte{'\n'}), nil
}

// fieldsObject writes sorted fields as a JSON object in their order.
func (e *jsonEnc) fieldsObject(fields []adapters.Field) (json.RawMessage, error) {
	out := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			out = append(out, ',')
		}
		k, err := e.marshal(f.Name)
		if err != nil {
			return nil, err
		}
		out = append(append(out, k...), ':')
		v, err := e.marshal(f.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	return append(out, '}'), nil
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
	e := newJSONEnc()
	bw := &errWriter{w: w}
	at, err := e.marshal(res.At.UTC().Format(time.RFC3339))
	if err != nil {
		return err
	}
	bw.printf("{\"at\": %s,\n \"listings\": [", at)
	for i := range res.Listings {
		l := &res.Listings[i]
		fields, err := e.fieldsObject(l.Fields)
		if err != nil {
			return err
		}
		lj := listingJSON{Channel: l.Channel, SKU: l.SKU, Currency: l.Currency, Fields: fields}
		if l.Quantity.Valid {
			q := l.Quantity.Units
			lj.Quantity = &q
		}
		if l.Price.Valid {
			p := moneyText(s, &l.Listing, l.Price.Decimal)
			lj.Price = &p
		}
		if l.CompareAt.Valid {
			c := moneyText(s, &l.Listing, l.CompareAt.Decimal)
			lj.CompareAt = &c
		}
		if l.Promotion != "" {
			p := l.Promotion
			lj.Promotion = &p
		}
		b, err := e.marshal(lj)
		if err != nil {
			return err
		}
		bw.item(i, b)
	}
	bw.close(len(res.Listings))
	bw.printf(",\n \"findings\": [")
	for i, f := range findingsJSON(res.Findings) {
		b, err := e.marshal(f)
		if err != nil {
			return err
		}
		bw.item(i, b)
	}
	bw.close(len(res.Findings))
	bw.printf("}\n")
	return bw.err
}

// errWriter keeps the first write error, so a long document is written
// without a check per line.
type errWriter struct {
	w   io.Writer
	err error
}

func (b *errWriter) printf(format string, args ...any) {
	if b.err == nil {
		_, b.err = fmt.Fprintf(b.w, format, args...)
	}
}

// item writes one element of a JSON array on its own line.
func (b *errWriter) item(i int, data []byte) {
	if b.err != nil {
		return
	}
	sep := ",\n  "
	if i == 0 {
		sep = "\n  "
	}
	if _, b.err = io.WriteString(b.w, sep); b.err == nil {
		_, b.err = b.w.Write(data)
	}
}

// close ends an array of n elements.
func (b *errWriter) close(n int) {
	if n > 0 {
		b.printf("\n ")
	}
	b.printf("]")
}

// writeDesiredText writes an aligned table, then the findings.
func writeDesiredText(w io.Writer, s *spec.Spec, res *derive.Result) error {
	fmt.Fprintf(w, "Desired state at %s\n\n", res.At.In(s.Settings.Timezone).Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tSKU\tQTY\tPRICE\tCOMPARE AT\tCUR\tPROMOTION\tFIELDS")
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
			fields = append(fields, fmt.Sprintf("%s=%q", f.Name, clip(f.Value, 48)))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Channel, l.SKU, qty, price, compare, l.Currency, promo, strings.Join(fields, " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s", plural(len(res.Listings), "listing"))
	if len(res.Findings) == 0 {
		fmt.Fprintln(w, ", no findings.")
		return nil
	}
	errs := 0
	for _, f := range res.Findings {
		if f.Severity == derive.Error {
			errs++
		}
	}
	fmt.Fprintf(w, "; %s, %s:\n", plural(errs, "error"), plural(len(res.Findings)-errs, "warning"))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range res.Findings {
		src := ""
		if f.Range.Filename != "" {
			src = fmt.Sprintf("  (%s:%d)", f.Range.Filename, f.Range.Start.Line)
		}
		ch := f.Channel
		if ch == "" {
			ch = "*"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s%s\n", f.Severity, f.Code, ch, f.SKU, f.Message, src)
	}
	return tw.Flush()
}

// clip shortens s to n characters with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
