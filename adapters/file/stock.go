package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters"
)

// StockKind is the stock-source kind `type = "file"`: on-hand quantities
// from a CSV with the columns sku and on_hand, and optionally location
// (rows of one SKU at several locations are summed before any buffer
// applies). It lives beside the file channel because it is the same idea:
// a system without an API that hands accord a file.
var StockKind = adapters.StockKind{
	Name:    "file",
	Summary: "CSV of on-hand units (sku, on_hand, optional location)",
	Read:    readStock,
	AsOf:    stockAsOf,
}

// stockAsOf is the stock file's modification time: the levels are what
// the system that wrote it knew then.
func stockAsOf(src adapters.StockSetup) (time.Time, bool) {
	fi, err := os.Stat(resolve(src.SpecDir, src.File))
	if err != nil {
		return time.Time{}, false
	}
	return fi.ModTime(), true
}

func readStock(ctx context.Context, src adapters.StockSetup) (map[string]int64, hcl.Diagnostics) {
	if err := ctx.Err(); err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Stock reading cancelled", Detail: err.Error()}}
	}
	path := resolve(src.SpecDir, src.File)
	data, err := os.ReadFile(path)
	if err != nil {
		detail := fmt.Sprintf("Reading stock source %q: %v.", src.Name, err)
		if errors.Is(err, os.ErrNotExist) {
			detail = fmt.Sprintf("Stock source %q reads %s, which does not exist. Relative paths are read from the spec directory.", src.Name, path)
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Stock file not found", Detail: detail, Subject: src.FileRange.Ptr()}}
	}
	if src.Sources != nil {
		src.Sources[path] = data
	}
	return adapters.ReadStockCSV(path, data)
}
