package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
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
