package shopify

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/accordhq/accord/adapters"
)

// bulkOver is the number of variants above which a full read goes through
// a bulk operation instead of pages: 50 pages, some 20,000 cost points,
// minutes of a Standard shop's bucket, against a bulk read that costs a
// few points and a wait.
const bulkOver = 5000

const countQuery = `query VariantsCount {
  productVariantsCount { count }
}`

const bulkRunMutation = `mutation BulkRead($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}`

const bulkStatusQuery = `query BulkStatus {
  currentBulkOperation(type: QUERY) { id status errorCode url }
}`

// bulkVariantsQuery is the read run in bulk: the fields of variantsQuery
// with the location written in, since a bulk query takes no variables.
func bulkVariantsQuery(location string) string {
	return `{
  productVariants {
    edges {
      node {
        id
        sku
        price
        compareAtPrice
        barcode
        inventoryItem {
          id
          inventoryLevel(locationId: ` + strconv.Quote(location) + `) {
            quantities(names: ["available"]) { name quantity }
          }
        }
        product { id title descriptionHtml status }
      }
    }
  }
}`
}

var _ adapters.BulkObserver = (*Channel)(nil)

// ObserveAll reads every listing: by pages for a store of up to bulkOver
// variants, else with bulkOperationRunQuery and its JSONL result.
func (c *Channel) ObserveAll(ctx context.Context, page func([]adapters.Listing) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := c.count(ctx)
	if err != nil {
		return fmt.Errorf("observe %s: %w", c.name, err)
	}
	if n <= c.bulkOver {
		return c.Observe(ctx, nil, page)
	}
	c.log.Debug("reading the store with a bulk query", slog.Int("variants", n))
	loc, err := c.locationID(ctx)
	if err != nil {
		return fmt.Errorf("observe %s: %w", c.name, err)
	}
	url, err := c.runBulk(ctx, bulkVariantsQuery(loc))
	if err != nil {
		return fmt.Errorf("observe %s: bulk read: %w", c.name, err)
	}
	if url == "" {
		return nil // nothing matched
	}
	return c.readJSONL(ctx, url, page)
}

type bulkOperation struct {
	ID        string  `json:"id"`
	Status    string  `json:"status"`
	ErrorCode *string `json:"errorCode"`
	URL       *string `json:"url"`
}

// runBulk starts a bulk query and waits for it; it returns the result's URL
// ("" when the query matched nothing).
func (c *Channel) runBulk(ctx context.Context, query string) (string, error) {
	var run struct {
		BulkOperationRunQuery struct {
			BulkOperation *bulkOperation `json:"bulkOperation"`
			UserErrors    []userError    `json:"userErrors"`
		} `json:"bulkOperationRunQuery"`
	}
	if err := c.c.do(ctx, true, "BulkRead", defaultMutationCost, bulkRunMutation, map[string]any{"query": query}, &run); err != nil {
		return "", err
	}
	p := run.BulkOperationRunQuery
	if len(p.UserErrors) > 0 {
		e := p.UserErrors[0]
		if e.Code == "OPERATION_IN_PROGRESS" {
			return "", &adapters.TemporaryError{Message: "another bulk query runs on the shop: " + e.String()}
		}
		return "", &adapters.BadResponseError{Message: "bulkOperationRunQuery refused the read: " + e.String()}
	}
	if p.BulkOperation == nil {
		return "", &adapters.BadResponseError{Message: "bulkOperationRunQuery answered no operation"}
	}
	id := p.BulkOperation.ID
	for {
		if err := sleep(ctx, c.pollEvery); err != nil {
			return "", err
		}
		var st struct {
			CurrentBulkOperation *bulkOperation `json:"currentBulkOperation"`
		}
		if err := c.c.do(ctx, false, "BulkStatus", 2, bulkStatusQuery, nil, &st); err != nil {
			return "", err
		}
		op := st.CurrentBulkOperation
		if op == nil || op.ID != id {
			return "", &adapters.TemporaryError{Message: fmt.Sprintf("bulk operation %s is no longer the shop's current one", id)}
		}
		switch op.Status {
		case "CREATED", "RUNNING":
			continue
		case "COMPLETED":
			if op.URL == nil {
				return "", nil
			}
			return *op.URL, nil
		}
		code := ""
		if op.ErrorCode != nil {
			code = " (" + *op.ErrorCode + ")"
		}
		return "", &adapters.TemporaryError{Message: fmt.Sprintf("bulk operation %s ended %s%s", id, op.Status, code)}
	}
}

// readJSONL reads a bulk result: one variant per line, in pages. The URL
// is a signed download link, not the Admin API: the access token is not
// sent there.
func (c *Channel) readJSONL(ctx context.Context, url string, page func([]adapters.Listing) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("observe %s: %w", c.name, &adapters.BadResponseError{Message: "bulk result URL: " + err.Error()})
	}
	resp, err := c.c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("observe %s: %w", c.name, &adapters.TemporaryError{Message: "downloading the bulk result: " + err.Error()})
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("observe %s: %w", c.name, &adapters.TemporaryError{Message: fmt.Sprintf("downloading the bulk result: HTTP %d", resp.StatusCode)})
	}
	return c.pagesOfJSONL(ctx, resp.Body, page)
}

// pagesOfJSONL hands over the variants of a JSONL result a page at a time.
func (c *Channel) pagesOfJSONL(ctx context.Context, r io.Reader, page func([]adapters.Listing) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	buf := make([]adapters.Listing, 0, pageSize)
	seen := map[string]bool{}
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := page(buf); err != nil {
			return err
		}
		buf = buf[:0]
		return ctx.Err()
	}
	line := 0
	for sc.Scan() {
		line++
		var n variantNode
		if err := json.Unmarshal(sc.Bytes(), &n); err != nil || n.ID == "" {
			return fmt.Errorf("observe %s: %w", c.name, &adapters.BadResponseError{Message: fmt.Sprintf("bulk result line %d is not a variant: %s", line, snippet(sc.Bytes()))})
		}
		l, ok, err := c.listing(&n)
		if err != nil {
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		if !ok || seen[l.SKU] {
			continue
		}
		seen[l.SKU] = true
		buf = append(buf, l)
		if len(buf) == pageSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("observe %s: %w", c.name, &adapters.TemporaryError{Message: "reading the bulk result: " + err.Error()})
	}
	return flush()
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// count is the number of variants in the store (0 when Shopify gives no
// count).
func (c *Channel) count(ctx context.Context) (int, error) {
	var n struct {
		ProductVariantsCount *struct {
			Count int `json:"count"`
		} `json:"productVariantsCount"`
	}
	if err := c.c.do(ctx, false, "VariantsCount", 2, countQuery, nil, &n); err != nil {
		return 0, err
	}
	if n.ProductVariantsCount == nil {
		return 0, nil
	}
	return n.ProductVariantsCount.Count, nil
}
