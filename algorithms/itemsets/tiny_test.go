package itemsets

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the brute-force oracle")

// TestGoldenTiny checks Mine against committed results for testdata/tiny.dat
// (the classic four-basket example plus an empty basket, a repeated item
// and a sparse id). The golden files were written by the brute-force
// oracle (go test -run GoldenTiny -update), never by Mine.
func TestGoldenTiny(t *testing.T) {
	txs := testenv.ReadFIMI(t, filepath.Join("testdata", "tiny.dat"))
	o := newOracle(txs)
	for _, kind := range []Kind{All, Closed, Maximal} {
		t.Run(kind.String(), func(t *testing.T) {
			golden := filepath.Join("testdata", "tiny-"+kind.String()+"-2.golden")
			opt := Options{MinCount: 2, Kind: kind}
			if *update {
				if err := os.WriteFile(golden, []byte(render(o.mine(opt))), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Mine(txs, opt)
			if err != nil {
				t.Fatal(err)
			}
			if g := render(got); g != string(want) {
				t.Errorf("got\n%s\nwant\n%s", g, want)
			}
		})
	}
}

// render writes one itemset a line as "items #SUP: n", SPMF's style.
func render(sets []Itemset) string {
	var b strings.Builder
	for _, s := range sets {
		for i, it := range s.Items {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprint(&b, it)
		}
		fmt.Fprintf(&b, " #SUP: %d\n", s.Support)
	}
	return b.String()
}
