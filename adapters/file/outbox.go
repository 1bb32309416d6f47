package file

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/accordhq/accord/adapters"
)

// queuedLayout is queued_at: RFC 3339 in UTC with all nine digits of the
// nanoseconds, so that the text sorts as the time does.
const queuedLayout = "2006-01-02T15:04:05.000000000Z07:00"

// The columns of a CSV outbox, and the keys of a JSON Lines one.
var outboxHeader = []string{"sku", "field", "value", "queued_at"}

// cannotCreate is why a file channel refuses a KindCreate change.
const cannotCreate = "a file channel cannot create listings; add the SKU to the marketplace's catalogue"

// outboxRow is one queued change.
type outboxRow struct {
	sku, field string
	value      adapters.Value
	queued     time.Time
	line       int // in the outbox, for messages
}

// Apply appends the batch to the outbox, one row per change, and syncs it to
// disk. A KindCreate change is rejected and not written: a file channel is
// not an adapters.Creator.
func (c *channel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	results := make([]adapters.Result, len(changes))
	fail := func(err error) []adapters.Result {
		for i := range results {
			results[i].Err = err
		}
		return results
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if len(changes) > c.limits.BatchSize {
		return fail(&adapters.RejectedError{Reason: fmt.Sprintf("a batch of %d changes is over the limit of %d", len(changes), c.limits.BatchSize)})
	}
	queued := c.now().UTC()
	rows := make([]outboxRow, 0, len(changes))
	written := make([]int, 0, len(changes))
	for i, ch := range changes {
		if reason := check(ch); reason != "" {
			results[i].Err = &adapters.RejectedError{Reason: reason}
			continue
		}
		rows = append(rows, outboxRow{sku: ch.SKU, field: ch.Name(), value: ch.To, queued: queued})
		written = append(written, i)
	}
	if len(rows) == 0 {
		return results
	}
	if err := c.appendOutbox(rows); err != nil {
		err = &adapters.TemporaryError{Message: fmt.Sprintf("writing outbox %s: %v", c.outboxName, err)}
		for _, i := range written {
			results[i].Err = err
		}
	}
	return results
}

// check says why a change cannot go to the outbox, or "".
func check(ch adapters.Change) string {
	switch {
	case ch.Kind == adapters.KindCreate:
		return cannotCreate
	case ch.SKU == "":
		return "the change has no SKU"
	case ch.Kind == adapters.KindField && ch.Field == "":
		return "the change names no field"
	case ch.Kind == adapters.KindField && adapters.Reserved(ch.Field):
		return fmt.Sprintf("%q is reserved and cannot be a listing field", ch.Field)
	case ch.Kind < adapters.KindQuantity || ch.Kind > adapters.KindCreate:
		return fmt.Sprintf("a change of kind %s is not something a file channel sets", ch.Kind)
	case !utf8.ValidString(ch.SKU) || !utf8.ValidString(ch.Field) || !utf8.ValidString(ch.To.Text):
		return "the change is not valid UTF-8"
	}
	if msg := checkValue(ch.Name(), ch.To); msg != "" {
		return fmt.Sprintf("%s %q %s", ch.Name(), ch.To.Text, msg)
	}
	return ""
}

// checkValue says what is wrong with the value of a quantity or price, or "".
func checkValue(field string, v adapters.Value) string {
	if !v.Set {
		return ""
	}
	switch field {
	case adapters.FieldQuantity:
		q, msg := parseQuantity(v.Text)
		switch {
		case v.Text == "":
			msg = "is not a whole number"
		case msg == "" && q.Units < 0:
			// An export may show a channel's own negative count (an
			// oversell); accord never lists one.
			msg = "is below zero"
		}
		return msg
	case adapters.FieldPrice, adapters.FieldCompareAt:
		_, msg := parseAmount(v.Text)
		if v.Text == "" {
			msg = "is not a decimal amount"
		}
		return msg
	}
	return ""
}

// appendOutbox writes rows at the end of the outbox in one write, with the
// CSV header first when the file is new, and syncs it.
func (c *channel) appendOutbox(rows []outboxRow) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	dir := filepath.Dir(c.outbox)
	// The outbox is read by the merchant's import job, often as another
	// user of the same group: the directory and file are group-readable.
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.OpenFile(c.outbox, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o640) //nolint:gosec // G302: group-readable on purpose, see above
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if size := fi.Size(); size > 0 {
		// A file edited by hand may lack its last line break.
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			return err
		}
		if last[0] != '\n' {
			buf.WriteByte('\n')
		}
	}
	if c.outboxJSONL {
		encodeJSONL(&buf, rows)
	} else if err := encodeCSV(&buf, rows, fi.Size() == 0); err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if fi.Size() == 0 {
		syncDir(dir)
	}
	return nil
}

// syncDir makes a new file's directory entry durable, where the system
// allows it.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	// Best effort: some file systems cannot sync a directory, and the file
	// itself is synced already; a read-only handle loses nothing on Close.
	_ = d.Sync()
	_ = d.Close()
}

func encodeCSV(buf *bytes.Buffer, rows []outboxRow, header bool) error {
	w := csv.NewWriter(buf)
	if header {
		if err := w.Write(outboxHeader); err != nil {
			return err
		}
	}
	rec := make([]string, len(outboxHeader))
	for _, r := range rows {
		rec[0], rec[1], rec[2], rec[3] = r.sku, r.field, r.value.Text, r.queued.Format(queuedLayout)
		if !r.value.Set {
			rec[2] = ""
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

func encodeJSONL(buf *bytes.Buffer, rows []outboxRow) {
	str := func(key, s string) {
		b, _ := jsontext.AppendQuote(buf.AvailableBuffer(), key)
		b = append(b, ':')
		b, _ = jsontext.AppendQuote(b, s)
		buf.Write(b)
	}
	for _, r := range rows {
		buf.WriteByte('{')
		str("sku", r.sku)
		buf.WriteByte(',')
		str("field", r.field)
		if r.value.Set {
			buf.WriteByte(',')
			str("value", r.value.Text)
		} else {
			buf.WriteString(`,"value":null`)
		}
		buf.WriteByte(',')
		str("queued_at", r.queued.Format(queuedLayout))
		buf.WriteString("}\n")
	}
}

// overlay sets on listings the outbox rows queued after the export was
// modified (see the package documentation).
func (c *channel) overlay(listings []adapters.Listing, exported time.Time) error {
	if len(listings) == 0 {
		return nil
	}
	c.mu.Lock()
	data, err := os.ReadFile(c.outbox)
	c.mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading outbox %s: %w", c.outboxName, err)
	}
	var rows []outboxRow
	if c.outboxJSONL {
		rows, err = parseOutboxJSONL(c.outboxName, data)
	} else {
		rows, err = parseOutboxCSV(c.outboxName, data)
	}
	if err != nil {
		return err
	}
	pending := rows[:0]
	for _, r := range rows {
		if r.queued.After(exported) && r.field != adapters.FieldListing {
			pending = append(pending, r)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	sort.SliceStable(pending, func(i, j int) bool { return pending[i].queued.Before(pending[j].queued) })
	index := make(map[string]int, len(listings))
	for i := range listings {
		index[listings[i].SKU] = i
	}
	for _, r := range pending {
		i, ok := index[r.sku]
		if !ok {
			continue
		}
		if err := set(&listings[i], r); err != nil {
			return fmt.Errorf("%s:%d: %w", c.outboxName, r.line, err)
		}
	}
	return nil
}

// set sets one field of a listing to a queued value.
func set(l *adapters.Listing, r outboxRow) error {
	switch r.field {
	case adapters.FieldQuantity:
		q, msg := parseQuantity(strings.TrimSpace(r.value.Text))
		if msg != "" {
			return fmt.Errorf("quantity %q %s", r.value.Text, msg)
		}
		l.Quantity = q
	case adapters.FieldPrice, adapters.FieldCompareAt:
		d, msg := parseAmount(strings.TrimSpace(r.value.Text))
		if msg != "" {
			return fmt.Errorf("%s %q %s", r.field, r.value.Text, msg)
		}
		if r.field == adapters.FieldPrice {
			l.Price = d
		} else {
			l.CompareAt = d
		}
	default:
		l.Fields = setField(l.Fields, r.field, r.value)
	}
	return nil
}

// setField sets (or, for null, removes) a field in a sorted list, without
// touching the list it was given.
func setField(fields []adapters.Field, name string, v adapters.Value) []adapters.Field {
	i := sort.Search(len(fields), func(i int) bool { return fields[i].Name >= name })
	found := i < len(fields) && fields[i].Name == name
	null := !v.Set || strings.TrimSpace(v.Text) == ""
	out := make([]adapters.Field, 0, len(fields)+1)
	out = append(out, fields[:i]...)
	if !null {
		out = append(out, adapters.Field{Name: name, Value: v.Text})
	}
	if found {
		i++
	}
	return append(out, fields[i:]...)
}

func parseOutboxCSV(name string, data []byte) ([]outboxRow, error) {
	data = bytes.TrimPrefix(data, bom)
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, csvSyntaxError(name, err)
	}
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, h := range outboxHeader {
		if _, ok := cols[h]; !ok {
			return nil, fmt.Errorf("%s:1: the header has no %s column; an outbox has the columns %s", name, h, strings.Join(outboxHeader, ","))
		}
	}
	var rows []outboxRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvSyntaxError(name, err)
		}
		line, _ := r.FieldPos(0)
		row := outboxRow{sku: rec[cols["sku"]], field: rec[cols["field"]], line: line}
		if v := rec[cols["value"]]; v != "" {
			row.value = adapters.Value{Text: v, Set: true}
		}
		if row.queued, err = time.Parse(time.RFC3339Nano, strings.TrimSpace(rec[cols["queued_at"]])); err != nil {
			return nil, fmt.Errorf("%s:%d: column \"queued_at\": %q is not an RFC 3339 time", name, line, rec[cols["queued_at"]])
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func parseOutboxJSONL(name string, data []byte) ([]outboxRow, error) {
	data = bytes.TrimPrefix(data, bom)
	var rows []outboxRow
	dec := new(jsontext.Decoder)
	line := 0
	for rest := data; len(rest) > 0; {
		line++
		start := int64(len(data) - len(rest))
		text := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			text, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		dec.Reset(bytes.NewReader(text))
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, jsonSyntaxError(name, data, start, start+int64(len(text)), err)
		}
		if tok.Kind() != jsontext.KindBeginObject {
			return nil, fmt.Errorf("%s:%d: an outbox row is an object, not %s", name, line, kindName(tok.Kind()))
		}
		row := outboxRow{line: line}
		var queued string
		for dec.PeekKind() == jsontext.KindString {
			k, err := dec.ReadToken()
			if err != nil {
				return nil, jsonSyntaxError(name, data, start, start+int64(len(text)), err)
			}
			key := k.String()
			v, err := dec.ReadValue()
			if err != nil {
				return nil, jsonSyntaxError(name, data, start, start+int64(len(text)), err)
			}
			s, ok := jsonString(v)
			if !ok {
				return nil, fmt.Errorf("%s:%d: key %q: want a string, not %s", name, line, key, kindName(v.Kind()))
			}
			switch key {
			case "sku":
				row.sku = s
			case "field":
				row.field = s
			case "value":
				if v.Kind() == jsontext.KindString && s != "" {
					row.value = adapters.Value{Text: s, Set: true}
				}
			case "queued_at":
				queued = s
			}
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, jsonSyntaxError(name, data, start, start+int64(len(text)), err)
		}
		if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
			if err == nil {
				return nil, fmt.Errorf("%s:%d: more than one JSON value on the line", name, line)
			}
			return nil, jsonSyntaxError(name, data, start, start+int64(len(text)), err)
		}
		if row.queued, err = time.Parse(time.RFC3339Nano, queued); err != nil {
			return nil, fmt.Errorf("%s:%d: key \"queued_at\": %s is not an RFC 3339 time", name, line, strconv.Quote(queued))
		}
		rows = append(rows, row)
	}
	return rows, nil
}
