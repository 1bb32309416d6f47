package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// printer writes a view and keeps the first write error, the way
// bufio.Writer does, so a renderer writes freely and reports a closed pipe or
// a full disk once, from err, instead of checking every line.
type printer struct {
	w   io.Writer
	err error
}

func newPrinter(w io.Writer) *printer { return &printer{w: w} }

// Write makes a printer an io.Writer for encoders and tables; after a failure
// it writes nothing more and returns the first error.
func (p *printer) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.w.Write(b)
	p.fail(err)
	return n, err
}

// fail records err unless an earlier error is already recorded.
func (p *printer) fail(err error) {
	if p.err == nil && err != nil {
		p.err = err
	}
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) println(args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintln(p.w, args...)
	}
}

// item writes one element of a JSON array on its own line.
func (p *printer) item(i int, data []byte) {
	if p.err != nil {
		return
	}
	sep := ",\n  "
	if i == 0 {
		sep = "\n  "
	}
	if _, p.err = io.WriteString(p.w, sep); p.err == nil {
		_, p.err = p.w.Write(data)
	}
}

// close ends an array of n elements.
func (p *printer) close(n int) {
	if n > 0 {
		p.printf("\n ")
	}
	p.printf("]")
}

// table is a printer whose lines are aligned in columns (cells separated by
// tabs) and written to its parent on flush.
type table struct {
	printer
	tw     *tabwriter.Writer
	parent *printer
}

// table starts an aligned table written to p.
func (p *printer) table() *table {
	tw := tabwriter.NewWriter(p, 0, 0, 2, ' ', 0)
	return &table{printer: printer{w: tw}, tw: tw, parent: p}
}

// flush writes the aligned rows to the parent printer, which keeps any error.
func (t *table) flush() {
	t.parent.fail(t.err)
	t.parent.fail(t.tw.Flush())
}

// closeWith closes c when a command ends and reports its error through err,
// unless the command already returns an earlier one:
//
//	defer closeWith(&err, st)
func closeWith(err *error, c io.Closer) {
	if cerr := c.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}

// columns lays rows out in aligned columns two spaces apart, as tabwriter
// does, and fits them in width when width > 0 (a terminal; 0 when piped:
// full width): only column flex gives way, and only as far as needed. With
// wrap, its text breaks between words onto continuation lines under it, so
// that nothing is cut (a view of one SKU: every value was asked for);
// otherwise its overflow is cut with an ellipsis (a long table). A row with
// fewer cells than flex+1 is written as it is.
func (p *printer) columns(rows [][]string, flex int, width int, wrap bool) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	room := -1 // what flex may take; -1: no limit
	if width > 0 && flex < len(widths) {
		used := 0
		for i, w := range widths {
			if i != flex {
				used += w + 2
			}
		}
		room = max(width-used-1, 20)
		widths[flex] = min(widths[flex], room)
	}
	for _, r := range rows {
		if flex >= len(r) || room < 0 {
			p.row(r, widths, flex, nil)
			continue
		}
		text := r[flex]
		if utf8.RuneCountInString(text) <= room {
			p.row(r, widths, flex, nil)
			continue
		}
		if !wrap {
			cut := slices.Clone(r)
			cut[flex] = clip(text, room)
			p.row(cut, widths, flex, nil)
			continue
		}
		lines := wordWrap(text, room)
		first := slices.Clone(r)
		first[flex] = lines[0]
		p.row(first, widths, flex, lines[1:])
	}
}

// row writes one row padded to widths, then the flex column's continuation
// lines under it.
func (p *printer) row(r []string, widths []int, flex int, more []string) {
	var b strings.Builder
	indent := 0
	for i, c := range r {
		if i == flex {
			indent = utf8.RuneCountInString(b.String())
		}
		b.WriteString(c)
		if i < len(r)-1 {
			b.WriteString(strings.Repeat(" ", max(widths[i], utf8.RuneCountInString(c))-utf8.RuneCountInString(c)+2))
		}
	}
	p.println(strings.TrimRight(b.String(), " "))
	for _, line := range more {
		p.println(strings.Repeat(" ", indent) + line)
	}
}

// wordWrap breaks text between words into lines of at most width
// characters; a word longer than width has a line of its own.
func wordWrap(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range strings.Fields(text) {
		if cur.Len() > 0 && utf8.RuneCountInString(cur.String())+1+utf8.RuneCountInString(w) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
