package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/accordhq/accord/controller/store"
)

// Two `accord apply --auto-approve` started together on one spec and state,
// 20,000 changes to make: one applies and the other is refused naming the
// holder of the state's lease (or, started just after, finds nothing left);
// the plan after is empty and the sandbox took every change exactly once
// (each in the audit log once, the two applies' counts adding up to the
// plan). In -short, 2,000 changes.
func TestTwoAppliesAtOnce(t *testing.T) {
	skus := 10_000
	if testing.Short() {
		skus = 1_000
	}
	dir := t.TempDir()
	var products, stock strings.Builder
	products.WriteString("sku,price,title\n")
	stock.WriteString("sku,on_hand\n")
	for i := range skus {
		fmt.Fprintf(&products, "SKU-%05d,%d.99,Thing %d\n", i, 10+i%90, i)
		fmt.Fprintf(&stock, "SKU-%05d,%d\n", i, i%50)
	}
	files := map[string]string{
		"products.csv": products.String(),
		"stock.csv":    stock.String(),
		"accord.hcl": `
channel "shop" {
  type = "sandbox"
}
channel "market" {
  type = "sandbox"
}
catalog {
  file = "products.csv"
}
stock_source "warehouse" {
  type = "file"
  file = "stock.csv"
}
pool "main" {
  source   = "warehouse"
  channels = ["shop", "market"]
}
price_matrix "default" {
  rounding = "0.99"
}
guard {
  max_changes = 100000
}
`,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	type outcome struct {
		code         int
		stdout, errs string
	}
	outs := make([]outcome, 2)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() {
			var out, errOut bytes.Buffer
			code := Run(context.Background(), []string{"apply", "--dir", dir, "--auto-approve", "--at", "2026-11-30T12:00:00Z"}, benchEnv(&out, &errOut))
			outs[i] = outcome{code, out.String(), errOut.String()}
		})
	}
	wg.Wait()
	total := 0
	for i, o := range outs {
		switch {
		case o.code == ExitOK:
			if m := appliedLine.FindStringSubmatch(o.stdout); m != nil {
				done, _ := strconv.Atoi(m[1])
				of, _ := strconv.Atoi(m[2])
				if done != of {
					t.Errorf("apply %d: applied %d of %d", i, done, of)
				}
				total += done
			} else if !strings.Contains(o.stdout, "No changes.") {
				t.Errorf("apply %d succeeded without applying or finding nothing to do:\n%s", i, clipOutput(o.stdout))
			}
		case strings.Contains(o.errs, "the state is locked by accord apply (") && strings.Contains(o.errs, "accord force-unlock "):
			// Refused, naming the holder and the way out.
		default:
			t.Errorf("apply %d exited %d:\n%s\n%s", i, o.code, clipOutput(o.stdout), clipOutput(o.errs))
		}
	}
	if total != 2*skus {
		t.Errorf("the two applies applied %d changes in all, want %d, once", total, 2*skus)
	}
	if code, out, errOut := runCLI("plan", "--dir", dir, "--at", "2026-11-30T12:00:00Z", "--detailed-exitcode"); code != ExitOK {
		t.Fatalf("plan after both exited %d:\n%s\n%s", code, clipOutput(out), clipOutput(errOut))
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, ".accord", "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	audit, err := st.Audit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool, len(audit))
	for _, e := range audit {
		k := e.Channel + " " + e.SKU + " " + e.Field
		if seen[k] {
			t.Fatalf("%s was applied twice", k)
		}
		seen[k] = true
	}
	// Each listing was created with its quantity and price.
	if len(audit) != 2*skus*2 {
		t.Errorf("%d fields audited, want %d", len(audit), 2*skus*2)
	}
}
