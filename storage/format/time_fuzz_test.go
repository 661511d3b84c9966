package format

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/testenv"
)

// sharedTimes returns the time fields of the first lines of the shared
// Online Retail and Groceries logs, when the shared datasets are there.
func sharedTimes() []string {
	dir, ok := testenv.FindSharedDatasets()
	if !ok {
		return nil
	}
	var out []string
	for _, src := range []struct {
		name string
		col  int
	}{{"online-retail-part.csv", 4}, {"groceries.csv", 1}} {
		f, err := os.Open(filepath.Join(dir, src.name))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for i := 0; i < 20 && sc.Scan(); i++ {
			if fs := strings.Split(sc.Text(), ","); len(fs) > src.col && i > 0 {
				out = append(out, fs[src.col])
			}
		}
		f.Close()
	}
	return out
}

// FuzzParseTime checks the time column parser with a detected or given
// layout: a time within 1970–2200 that formats back in its layout to a
// string that parses to the same instant, or a reason.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"01/12/2010 08:26", "2010-12-01", "2010-12-01T08:26:00Z", "2010-12-01 08:26:00", "1291191960",
		"1291191960.5", "01/12/0001 08:28", "31/12/9999 23:59", "32/13/2010 25:61", "-1", "1e300", "NaN", "", "2010-12-01T08:26:00+25:00"} {
		f.Add(s, "")
		f.Add(s, LayoutUnix)
		f.Add(s, "2/1/2006 15:04")
	}
	for _, s := range sharedTimes() {
		f.Add(s, "")
		f.Add(s, LayoutUnix)
		f.Add(s, "2/1/2006 15:04")
	}
	f.Fuzz(func(t *testing.T, s, layout string) {
		if layout == "" {
			l, err := detectLayout(s, time.UTC)
			if err != nil {
				return
			}
			layout = l
		}
		got, reason := parseTime(s, layout, time.UTC)
		if reason != "" {
			return
		}
		if got.Year() < 1970 || got.Year() >= 2200 {
			t.Fatalf("parseTime(%q, %q) = %v; want a reason for a time outside 1970–2200", s, layout, got)
		}
		if layout == LayoutUnix {
			return
		}
		again, reason := parseTime(got.Format(layout), layout, time.UTC)
		if reason != "" || !again.Equal(got) && got.Format(layout) == s {
			t.Fatalf("parseTime(%q, %q) = %v, whose formatted %q parses to %v (%s)", s, layout, got, got.Format(layout), again, reason)
		}
	})
}
