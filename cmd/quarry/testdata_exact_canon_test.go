package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/algorithms/rules"
	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// Why the order of log results differs: a dataset numbers a log's items by
// first appearance among all rows, returns included, as its partitions are
// written, while quarry mine numbers them as it builds baskets or sequences,
// where returns (and, for sequences, rows without a customer) never get an
// id. Both sides list items by ascending id within a set and sort patterns
// canonically by ids (docs/jobs.md), so the same patterns come in another
// order, with items inside a line in another order too. The comparison
// therefore sorts the names within each item list and then the lines,
// leaving every other byte of a line as written (supports, measures,
// relative supports); inOwnOrder checks separately that the cluster's lines
// are in canonical order by the dataset's own ids.

// stringListRE matches a JSON array of strings: an item list as
// PatternWriter writes it (compact, no spaces).
var (
	stringListRE = regexp.MustCompile(`\[(?:"(?:[^"\\]|\\.)*"(?:,"(?:[^"\\]|\\.)*")*)?\]`)
	stringRE     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
)

// lines splits s into lines without their trailing newline.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// canonJSONL sorts the strings of every item list of each line (as raw
// JSON tokens), then the lines.
func canonJSONL(s string) string {
	ls := lines(s)
	for i, l := range ls {
		ls[i] = stringListRE.ReplaceAllStringFunc(l, func(list string) string {
			toks := stringRE.FindAllString(list, -1)
			slices.Sort(toks)
			return "[" + strings.Join(toks, ",") + "]"
		})
	}
	slices.Sort(ls)
	return strings.Join(ls, "\n")
}

// canonSPMF rewrites SPMF output with a converted-from-text header in item
// names: the header becomes the sorted list of names, each pattern's
// numbers become quoted names sorted within each itemset (separators "-1"
// and "==>" and everything after "#SUP:" kept), and the lines are sorted.
func canonSPMF(s string) (string, error) {
	names := map[string]string{}
	var header, out []string
	for _, l := range lines(s) {
		if l == "@CONVERTED_FROM_TEXT" {
			continue
		}
		if rest, ok := strings.CutPrefix(l, "@ITEM="); ok {
			id, name, ok := strings.Cut(rest, "=")
			if _, dup := names[id]; !ok || dup {
				return "", fmt.Errorf("bad or repeated header line %q", l)
			}
			names[id] = name
			header = append(header, "@ITEM "+strconv.Quote(name))
			continue
		}
		body, tail, ok := strings.Cut(l, " #SUP: ")
		if !ok {
			return "", fmt.Errorf("line %q: no #SUP", l)
		}
		var toks, group []string
		flush := func() {
			slices.Sort(group)
			toks, group = append(toks, group...), nil
		}
		for _, tok := range strings.Fields(body) {
			if tok == "-1" || tok == "==>" {
				flush()
				toks = append(toks, tok)
				continue
			}
			name, ok := names[tok]
			if !ok {
				return "", fmt.Errorf("line %q: item %s not in the header", l, tok)
			}
			group = append(group, strconv.Quote(name))
		}
		flush()
		out = append(out, strings.Join(toks, " ")+" #SUP: "+tail)
	}
	slices.Sort(header)
	slices.Sort(out)
	return strings.Join(append(header, out...), "\n"), nil
}

// sameLines reports the first line where got and want differ.
func sameLines(t *testing.T, what, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := lines(got), lines(want)
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	at := func(ls []string) string {
		if i < len(ls) {
			return strconv.Quote(ls[i])
		}
		return "(end)"
	}
	t.Errorf("%s: got %d lines (%d bytes), line %d %s; want %d lines (%d bytes), line %d %s",
		what, len(g), len(got), i+1, at(g), len(w), len(want), i+1, at(w))
}

// patternLine is a line of itemsets.jsonl, rules.jsonl or sequences.jsonl.
type patternLine struct {
	Items      []string   `json:"items"`
	Antecedent []string   `json:"antecedent"`
	Consequent []string   `json:"consequent"`
	Elements   [][]string `json:"elements"`
	Support    int        `json:"support"`
}

// inOwnOrder checks that a log dataset's JSON Lines result is in the
// canonical order of the dataset's item ids: items ascending within each
// list, patterns strictly ascending by the kernels' Compare.
func inOwnOrder(t *testing.T, c *devCluster, ds, what string, data []byte) {
	t.Helper()
	d, err := dataset.Open(context.Background(), c.bucket, ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	dict, err := d.Dictionary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := func(names []string) []uint32 {
		out := make([]uint32, len(names))
		for i, n := range names {
			id, ok := dict.Lookup(n)
			if !ok {
				t.Fatalf("%s: item %q not in the dataset's dictionary", what, n)
			}
			out[i] = id
		}
		if !slices.IsSorted(out) {
			t.Errorf("%s: items %q have ids %v; want ascending ids", what, names, out)
		}
		return out
	}
	var prev func(patternLine) int // compares a line with the previous one
	for i, l := range lines(string(data)) {
		var p patternLine
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatalf("%s line %d: %v", what, i+1, err)
		}
		var cmp func(patternLine) int
		switch {
		case p.Items != nil:
			s := itemsets.Itemset{Items: ids(p.Items), Support: p.Support}
			cmp = func(q patternLine) int {
				return itemsets.Compare(s, itemsets.Itemset{Items: ids(q.Items), Support: q.Support})
			}
		case p.Antecedent != nil:
			r := rules.Rule{Antecedent: ids(p.Antecedent), Consequent: ids(p.Consequent)}
			cmp = func(q patternLine) int {
				return rules.Compare(r, rules.Rule{Antecedent: ids(q.Antecedent), Consequent: ids(q.Consequent)})
			}
		default:
			els := make([][]uint32, len(p.Elements))
			for k, e := range p.Elements {
				els[k] = ids(e)
			}
			s := sequences.Pattern{Elements: els, Support: p.Support}
			cmp = func(q patternLine) int {
				qe := make([][]uint32, len(q.Elements))
				for k, e := range q.Elements {
					qe[k] = ids(e)
				}
				return sequences.Compare(s, sequences.Pattern{Elements: qe, Support: q.Support})
			}
		}
		if prev != nil && prev(p) >= 0 {
			t.Errorf("%s: line %d %s is not after line %d in canonical order", what, i+1, l, i)
			return
		}
		prev = cmp
	}
}

// checkKMeans checks kmeans.json, which quarry mine does not write, against
// the reference segments.json: the same inertia, and centroids that map
// back through the stored scaler to the reference's centroids, bit for bit.
func checkKMeans(t *testing.T, c *devCluster, m *jobs.ResultManifest, segRef []byte) {
	t.Helper()
	o, ok := m.Object("kmeans.json")
	if !ok {
		t.Fatalf("job %s: no kmeans.json in %v", m.Job, m.Objects)
	}
	data, err := objstore.ReadAll(context.Background(), c.bucket, o.Key)
	if err != nil {
		t.Fatal(err)
	}
	var km jobs.KMeansJSON
	var seg jobs.SegmentsJSON
	if err := json.Unmarshal(data, &km); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(segRef, &seg); err != nil {
		t.Fatal(err)
	}
	if math.Float64bits(km.Inertia) != math.Float64bits(seg.Inertia) || km.Centroids.Rows != seg.K || km.Centroids.Cols != len(km.Names) {
		t.Fatalf("kmeans.json: got inertia %v, %dx%d centroids for %d names; want inertia %v, %d centroids",
			km.Inertia, km.Centroids.Rows, km.Centroids.Cols, len(km.Names), seg.Inertia, seg.K)
	}
	if want := *m.Spec.Segments.Seed; km.Seed != want {
		t.Errorf("kmeans.json: got seed %d; want %d", km.Seed, want)
	}
	un := km.Scaler.Unscale(km.Centroids.Data)
	for j, s := range seg.Segments {
		for k, name := range km.Names {
			got, want := un[j*km.Centroids.Cols+k], s.Centroid[name]
			if _, ok := s.Centroid[name]; !ok || math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("kmeans.json centroid %d %s unscaled: got %v; want %v (present %v)", j, name, got, want, ok)
				return
			}
		}
	}
}

// modelParts are the objects a model bundles from each kind of job.
var modelParts = map[string][]string{
	"rules":     {"rules.jsonl", "itemsets.jsonl"},
	"sequences": {"sequences.jsonl"},
	"segments":  {"segments.json", "customers.jsonl", "kmeans.json"},
}

// checkModel checks the model job of input in at p partitions: model.json
// bundles exactly the input's jobs, each part listing the very objects of
// that job's result manifest (which checkJob compared with quarry mine),
// whose stored bytes still match their size and SHA-256; the published
// model version is model.json; items.json is the dataset's catalogue and
// names every item the bundled patterns use.
func checkModel(t *testing.T, c *devCluster, in exactInput, p int) {
	ctx := context.Background()
	ds := exactDataset(in, p)
	m, err := jobs.LoadResult(ctx, c.bucket, exactJobID(in, p, "model"))
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		o, ok := m.Object(name)
		if !ok {
			t.Fatalf("model job: got objects %v; want %s", m.Objects, name)
		}
		data, err := objstore.ReadAll(ctx, c.bucket, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	var mm jobs.ModelManifest
	if err := json.Unmarshal(read("model.json"), &mm); err != nil {
		t.Fatal(err)
	}
	var items []dataset.Item
	if err := json.Unmarshal(read("items.json"), &items); err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Open(ctx, c.bucket, ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	catalogue, err := d.Items(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(items, catalogue) {
		t.Errorf("items.json: got %d items; want the dataset's %d", len(items), len(catalogue))
	}
	known := map[string]bool{}
	for _, it := range items {
		known[it.Name] = true
	}
	if obj, _ := m.Object("items.json"); mm.Items != obj || mm.Dataset != ds || mm.DatasetVersion != d.Manifest.Version {
		t.Errorf("model.json: got items %+v, dataset %s v%d; want %+v, %s v%d", mm.Items, mm.Dataset, mm.DatasetVersion, obj, ds, d.Manifest.Version)
	}
	has := map[string]bool{}
	for _, j := range in.jobs {
		has[j.name] = true
	}
	for kind, part := range map[string]*jobs.ModelPart{"rules": mm.Rules, "sequences": mm.Sequences, "segments": mm.Segments} {
		if !has[kind] {
			if part != nil {
				t.Errorf("model.json %s: got job %s; want none", kind, part.Job)
			}
			continue
		}
		id := exactJobID(in, p, kind)
		if part == nil || part.Job != id {
			t.Errorf("model.json %s: got %+v; want job %s", kind, part, id)
			continue
		}
		jm, err := jobs.LoadResult(ctx, c.bucket, id)
		if err != nil {
			t.Fatal(err)
		}
		if part.Records != jm.Records || part.DatasetVersion != jm.Version {
			t.Errorf("model.json %s: got %d records of v%d; want %d of v%d", kind, part.Records, part.DatasetVersion, jm.Records, jm.Version)
		}
		var names []string
		for _, o := range part.Objects {
			names = append(names, o.Name)
			if jo, ok := jm.Object(o.Name); !ok || jo != o {
				t.Errorf("model.json %s: got object %+v; want job %s's %+v", kind, o, id, jo)
				continue
			}
			data, err := objstore.ReadAll(ctx, c.bucket, o.Key)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(data)) != o.Size || sha256Hex(data) != o.SHA256 {
				t.Errorf("%s: got %d bytes, SHA-256 %s; want %d, %s", o.Key, len(data), sha256Hex(data), o.Size, o.SHA256)
			}
			if strings.HasSuffix(o.Name, ".jsonl") && kind != "segments" {
				for _, l := range lines(string(data)) {
					var pl patternLine
					if err := json.Unmarshal([]byte(l), &pl); err != nil {
						t.Fatal(err)
					}
					for _, n := range slices.Concat(append(pl.Elements, pl.Items, pl.Antecedent, pl.Consequent)...) {
						if !known[n] {
							t.Errorf("%s: item %q not in items.json", o.Key, n)
						}
					}
				}
			}
		}
		if !slices.Equal(names, modelParts[kind]) {
			t.Errorf("model.json %s: got objects %v; want %v", kind, names, modelParts[kind])
		}
	}
	pub, err := jobs.LoadModel(ctx, c.bucket, ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	if key := jobs.ModelKey(ds, pub.Version); key != m.Model {
		t.Errorf("model job published %q; want the latest model %q", m.Model, key)
	}
	mm.Version = pub.Version
	if !reflect.DeepEqual(*pub, mm) {
		t.Errorf("published model: got %+v; want model.json %+v", *pub, mm)
	}
}

// sha256Hex returns the hex SHA-256 of data, as result manifests list it.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
