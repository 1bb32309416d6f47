package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// FormatVersion is the version of the plan file format. Version 3 added
// the checksum of the changes.
const FormatVersion = 3

// The JSON shapes of the contract; money is always a string.
type (
	wirePlan struct {
		FormatVersion int               `json:"format_version"`
		Revision      string            `json:"revision"`
		At            time.Time         `json:"at"`
		Created       time.Time         `json:"created"`
		Channels      []string          `json:"channels"`
		Currencies    map[string]string `json:"currencies"`
		Changes       []wireChange      `json:"changes"`
		// Checksum is "sha256:" and the hex SHA-256 of the changes as
		// compact JSON: a file whose changes were edited is refused.
		Checksum      string          `json:"checksum"`
		Exceptions    []wireException `json:"exceptions"`
		Blocked       []string        `json:"blocked"`
		ChannelErrors []wireChanErr   `json:"channel_errors"`
		Errors        []string        `json:"errors"`
		Summary       wireSummary     `json:"summary"`
	}
	wireChanErr struct {
		Channel string `json:"channel"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	wireChange struct {
		Channel string          `json:"channel"`
		SKU     string          `json:"sku"`
		Field   string          `json:"field"`
		From    json.RawMessage `json:"from"`
		To      json.RawMessage `json:"to"`
		Reason  string          `json:"reason"`
		Ref     string          `json:"ref,omitempty"`
		Sale    *wireSale       `json:"sale,omitempty"`
	}
	// wireSale is adapters.Sale: money as strings at the channel's places.
	wireSale struct {
		Promotion string    `json:"promotion"`
		Price     string    `json:"price"`
		Regular   string    `json:"regular"`
		Starts    time.Time `json:"starts"`
		Ends      time.Time `json:"ends"`
	}
	wireListing struct {
		Quantity  *int64            `json:"quantity"`
		Price     *string           `json:"price"`
		CompareAt *string           `json:"compare_at"`
		Currency  string            `json:"currency"`
		Fields    map[string]string `json:"fields"`
		// Identifiers are the catalog's product identifiers of a
		// listing to create (adapters.Listing.Identifiers).
		Identifiers map[string]string `json:"identifiers,omitempty"`
	}
	wireException struct {
		Code     string          `json:"code"`
		Channel  string          `json:"channel"`
		SKU      *string         `json:"sku"`
		Field    *string         `json:"field"`
		Observed json.RawMessage `json:"observed"`
		Expected json.RawMessage `json:"expected"`
		Action   string          `json:"action"`
		Message  string          `json:"message"`
	}
	wireSummary struct {
		Changes    int                  `json:"changes"`
		Exceptions int                  `json:"exceptions"`
		Channels   []wireChannelSummary `json:"channels"`
	}
	wireChannelSummary struct {
		Channel      string         `json:"channel"`
		Changes      int            `json:"changes"`
		PriceRises   int            `json:"price_rises"`
		MaxRise      string         `json:"max_rise"`
		PriceCuts    int            `json:"price_cuts"`
		MaxCut       string         `json:"max_cut"`
		CompareAt    int            `json:"compare_at_changes"`
		QuantityUp   int            `json:"quantity_increases"`
		QuantityDown int            `json:"quantity_decreases"`
		Zeroed       int            `json:"quantities_zeroed"`
		Created      int            `json:"listings_created"`
		Fields       int            `json:"field_changes"`
		Drift        int            `json:"drift_corrections"`
		Exceptions   map[string]int `json:"exceptions"`
	}
)

func isQuantity(field string) bool { return field == adapters.FieldQuantity }

// valueJSON renders a value: null, a number for a quantity, else a string.
func valueJSON(field string, v adapters.Value) json.RawMessage {
	if !v.Set {
		return json.RawMessage("null")
	}
	if isQuantity(field) {
		if _, err := strconv.ParseInt(v.Text, 10, 64); err == nil {
			return json.RawMessage(v.Text)
		}
	}
	// Quoting a string cannot fail: invalid UTF-8, the one error it
	// reports, is written as U+FFFD, as encoding/json does.
	b, _ := jsontext.AppendQuote(nil, v.Text)
	return b
}

func parseValue(raw json.RawMessage) (adapters.Value, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return adapters.Null, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return adapters.Null, err
		}
		return adapters.Value{Text: s, Set: true}, nil
	}
	if _, err := strconv.ParseInt(string(raw), 10, 64); err != nil {
		return adapters.Null, fmt.Errorf("%s is neither null, a string nor a whole number", raw)
	}
	return adapters.Value{Text: string(raw), Set: true}, nil
}

func listingJSON(l *adapters.Listing, scale int32) (json.RawMessage, error) {
	w := wireListing{Currency: l.Currency, Fields: map[string]string{}}
	if l.Quantity.Valid {
		n := l.Quantity.Units
		w.Quantity = &n
	}
	if l.Price.Valid {
		s := l.Price.Decimal.StringFixed(scale)
		w.Price = &s
	}
	if l.CompareAt.Valid {
		s := l.CompareAt.Decimal.StringFixed(scale)
		w.CompareAt = &s
	}
	for _, f := range l.Fields {
		w.Fields[f.Name] = f.Value
	}
	if len(l.Identifiers) > 0 {
		w.Identifiers = map[string]string{}
		for _, f := range l.Identifiers {
			w.Identifiers[f.Name] = f.Value
		}
	}
	return json.Marshal(w)
}

func parseListing(raw json.RawMessage, key adapters.Key) (*adapters.Listing, error) {
	var w wireListing
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	l := &adapters.Listing{Key: key, Currency: w.Currency}
	if w.Quantity != nil {
		l.Quantity = adapters.Quantity{Units: *w.Quantity, Valid: true}
	}
	for _, m := range []struct {
		s    *string
		into *decimal.NullDecimal
	}{{w.Price, &l.Price}, {w.CompareAt, &l.CompareAt}} {
		if m.s == nil {
			continue
		}
		d, err := decimal.NewFromString(*m.s)
		if err != nil {
			return nil, fmt.Errorf("amount %q: %w", *m.s, err)
		}
		*m.into = decimal.NullDecimal{Decimal: d, Valid: true}
	}
	for name, v := range w.Fields {
		l.Fields = append(l.Fields, adapters.Field{Name: name, Value: v})
	}
	sort.Slice(l.Fields, func(i, j int) bool { return l.Fields[i].Name < l.Fields[j].Name })
	for name, v := range w.Identifiers {
		l.Identifiers = append(l.Identifiers, adapters.Field{Name: name, Value: v})
	}
	sort.Slice(l.Identifiers, func(i, j int) bool { return l.Identifiers[i].Name < l.Identifiers[j].Name })
	return l, nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func pct(d decimal.Decimal) string { return d.Shift(2).StringFixed(1) + "%" }

// WriteJSON writes the plan in the contract's JSON shape; it is also the
// saved plan file that apply reads back.
func (p *Plan) WriteJSON(w io.Writer, scales map[string]int32) error {
	wp := wirePlan{FormatVersion: FormatVersion, Revision: p.Revision, At: p.At.UTC(), Created: p.Created.UTC(),
		Channels: p.Channels, Currencies: p.Currencies, Blocked: p.Blocked,
		Changes: make([]wireChange, len(p.Changes)), Exceptions: make([]wireException, len(p.Exceptions))}
	if wp.Channels == nil {
		wp.Channels = []string{}
	}
	if wp.Blocked == nil {
		wp.Blocked = []string{}
	}
	wp.ChannelErrors = make([]wireChanErr, len(p.ChannelErrors))
	for i, e := range p.ChannelErrors {
		wp.ChannelErrors[i] = wireChanErr{Channel: e.Channel, Reason: string(e.Reason), Message: e.Message}
	}
	wp.Errors = p.Errors
	if wp.Errors == nil {
		wp.Errors = []string{}
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		name := c.Name()
		wc := wireChange{Channel: c.Channel, SKU: c.SKU, Field: name, From: valueJSON(name, c.From), To: valueJSON(name, c.To), Reason: c.Reason, Ref: string(c.Ref)}
		if sl := c.Sale; sl != nil {
			scale := scales[c.Channel]
			wc.Sale = &wireSale{Promotion: sl.Promotion, Price: sl.Price.StringFixed(scale), Regular: sl.Regular.StringFixed(scale), Starts: sl.Starts.UTC(), Ends: sl.Ends.UTC()}
		}
		if c.Listing != nil {
			var err error
			if wc.To, err = listingJSON(c.Listing, scales[c.Channel]); err != nil {
				return fmt.Errorf("plan: new listing %s on %s: %w", c.SKU, c.Channel, err)
			}
		}
		wp.Changes[i] = wc
	}
	for i := range p.Exceptions {
		e := &p.Exceptions[i]
		wp.Exceptions[i] = wireException{Code: e.Code, Channel: e.Channel, SKU: optString(e.SKU), Field: optString(e.Field),
			Observed: valueJSON(e.Field, e.Observed), Expected: valueJSON(e.Field, e.Expected), Action: e.Action, Message: e.Message}
	}
	wp.Summary = wireSummary{Changes: len(p.Changes), Exceptions: len(p.Exceptions), Channels: []wireChannelSummary{}}
	for _, s := range p.Summarize() {
		wp.Summary.Channels = append(wp.Summary.Channels, wireChannelSummary{
			Channel: s.Channel, Changes: s.Changes, PriceRises: s.PriceRises, MaxRise: pct(s.MaxRise), PriceCuts: s.PriceCuts, MaxCut: pct(s.MaxCut),
			CompareAt: s.CompareAt, QuantityUp: s.QuantityUp, QuantityDown: s.QuantityDown, Zeroed: s.Zeroed, Created: s.Created,
			Fields: s.Fields, Drift: s.Drift, Exceptions: s.Exceptions,
		})
	}
	var err error
	if wp.Checksum, err = checksum(wp.Changes); err != nil {
		return fmt.Errorf("plan: checksum: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(wp)
}

// checksum is the SHA-256 of changes as compact JSON (encoding/json
// compacts the raw values, so the indentation of a file does not count).
func checksum(changes []wireChange) (string, error) {
	b, err := json.Marshal(changes)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// ReadJSON reads a plan written by WriteJSON.
func ReadJSON(r io.Reader) (*Plan, error) {
	var wp wirePlan
	dec := json.NewDecoder(r)
	if err := dec.Decode(&wp); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	if wp.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("read plan: format_version %d; this build of accord reads version %d", wp.FormatVersion, FormatVersion)
	}
	if wp.Revision == "" {
		return nil, errors.New("read plan: no revision: not a plan written by accord plan --out")
	}
	p := &Plan{Revision: wp.Revision, At: wp.At, Created: wp.Created, Channels: wp.Channels, Currencies: wp.Currencies, Blocked: wp.Blocked, Errors: wp.Errors}
	sum, err := checksum(wp.Changes)
	if err != nil {
		return nil, fmt.Errorf("read plan: changes: %w", err)
	}
	p.edited = sum != wp.Checksum
	for _, e := range wp.ChannelErrors {
		p.ChannelErrors = append(p.ChannelErrors, ChannelError{Channel: e.Channel, Reason: adapters.Reason(e.Reason), Message: e.Message})
	}
	for i, wc := range wp.Changes {
		c := Change{Channel: wc.Channel, SKU: wc.SKU, Kind: adapters.KindOf(wc.Field), Reason: wc.Reason, Ref: adapters.Ref(wc.Ref)}
		if ws := wc.Sale; ws != nil {
			price, err1 := decimal.NewFromString(ws.Price)
			regular, err2 := decimal.NewFromString(ws.Regular)
			if err := errors.Join(err1, err2); err != nil || ws.Promotion == "" || !ws.Starts.Before(ws.Ends) {
				return nil, fmt.Errorf("read plan: change %d: sale: a promotion, its price and regular price and a window that ends after it starts are required", i+1)
			}
			c.Sale = &adapters.Sale{Promotion: ws.Promotion, Price: price, Regular: regular, Starts: ws.Starts, Ends: ws.Ends}
		}
		if c.Kind == adapters.KindField {
			c.Field = wc.Field
		}
		if c.Kind == 0 {
			return nil, fmt.Errorf("read plan: change %d: %q is not something a plan changes", i+1, wc.Field)
		}
		var err error
		if c.From, err = parseValue(wc.From); err != nil {
			return nil, fmt.Errorf("read plan: change %d: from: %w", i+1, err)
		}
		if c.Kind == adapters.KindCreate {
			if c.Listing, err = parseListing(wc.To, adapters.Key{Channel: c.Channel, SKU: c.SKU}); err != nil {
				return nil, fmt.Errorf("read plan: change %d: listing: %w", i+1, err)
			}
		} else if c.To, err = parseValue(wc.To); err != nil {
			return nil, fmt.Errorf("read plan: change %d: to: %w", i+1, err)
		}
		if c.Channel == "" || c.SKU == "" || wc.Field == "" || (c.Reason != ReasonSpec && c.Reason != ReasonDrift) {
			return nil, fmt.Errorf("read plan: change %d: channel, sku, field and reason (spec or drift) are required", i+1)
		}
		p.Changes = append(p.Changes, c)
	}
	for _, we := range wp.Exceptions {
		e := Exception{Code: we.Code, Channel: we.Channel, Action: we.Action, Message: we.Message}
		if we.SKU != nil {
			e.SKU = *we.SKU
		}
		if we.Field != nil {
			e.Field = *we.Field
		}
		e.Observed, _ = parseValue(we.Observed)
		e.Expected, _ = parseValue(we.Expected)
		p.Exceptions = append(p.Exceptions, e)
	}
	return p, nil
}
