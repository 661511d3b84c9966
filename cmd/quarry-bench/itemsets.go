package main

// Benchmark cases for frequent itemsets and association rules.
//
// Peers: Weka 3.6's FPGrowth reports association rules, never itemsets, and
// its Apriori treats the absent value "0" of every binary attribute as an
// item too, so no Weka itemset count is comparable with ours: the itemset
// cases have no peer. The rules case runs Weka FPGrowth in "find all rules"
// mode (-S) at the same absolute minimum support count on a sparse ARFF
// rendering of the same baskets, and compares rule counts. Weka keeps a
// rule only when its confidence is strictly above -C, where Quarry keeps
// confidence >= MinConfidence (on mushroom at 0.2 and 0.9, 79,104 rules
// have confidence exactly 0.9, e.g. 3024/3360); Weka is therefore given
// -C minConf-1e-9, which admits the ties and nothing else (confidences are
// fractions with denominators of at most N, much farther apart). Weka's
// own "Elapsed time" is used as its seconds (it leaves out JVM start-up and
// ARFF parsing). Weka needs about 5 GiB of heap for the 11.5 million rules
// of mushroom at 0.2; it runs with -Xmx8g.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/algorithms/rules"
	"github.com/quarrydata/quarry/algorithms/support"
)

const wekaJar = "/usr/share/java/weka.jar"

func init() {
	for _, c := range []struct {
		dataset, minSup string
		kind            itemsets.Kind
	}{
		{"mushroom.dat", "0.2", itemsets.All},
		{"mushroom.dat", "0.1", itemsets.All},
		{"mushroom.dat", "0.1", itemsets.Closed},
		{"mushroom.dat", "0.1", itemsets.Maximal},
		{"T10I4D100K.dat", "0.001", itemsets.All},
		{"T10I4D100K.dat", "0.0005", itemsets.All},
		{"retail-part.dat", "0.001", itemsets.All},
		{"kosarak25k.dat", "0.002", itemsets.All},
	} {
		task := "itemsets"
		if c.kind != itemsets.All {
			task = c.kind.String()
		}
		register(Case{
			Name:    task + "/" + c.dataset + "/" + c.minSup,
			Task:    task,
			Dataset: c.dataset,
			Param:   c.minSup,
			Run:     itemsetsCase(c.minSup, c.kind),
			// Peer: none comparable, see the file comment.
		})
	}
	for _, c := range []struct {
		dataset, minSup string
		minConf         float64
	}{
		{"mushroom.dat", "0.3", 0.9},
		{"mushroom.dat", "0.2", 0.9},
		{"T10I4D100K.dat", "0.001", 0.5},
	} {
		conf := strconv.FormatFloat(c.minConf, 'g', -1, 64)
		register(Case{
			Name:    "rules/" + c.dataset + "/" + c.minSup + "-conf" + conf,
			Task:    "rules",
			Dataset: c.dataset,
			Param:   c.minSup + " conf " + conf,
			Run:     rulesCase(c.minSup, c.minConf),
			Peer:    wekaRulesPeer(c.minSup, c.minConf),
		})
	}
}

// itemsetsCase mines one dataset on one goroutine (as the peers run).
func itemsetsCase(minSup string, kind itemsets.Kind) func(string) (Result, error) {
	return func(path string) (Result, error) {
		txs, err := readFIMI(path)
		if err != nil {
			return Result{}, err
		}
		th, err := support.Parse(minSup)
		if err != nil {
			return Result{}, err
		}
		min := th.MinCount(len(txs))
		start := time.Now()
		sets, err := itemsets.Mine(txs, itemsets.Options{MinCount: min, Kind: kind, Workers: 1})
		secs := time.Since(start).Seconds()
		if err != nil {
			return Result{}, err
		}
		return Result{Patterns: len(sets), Seconds: secs, Note: fmt.Sprintf("min count %d of %d transactions, 1 worker", min, len(txs))}, nil
	}
}

// rulesCase mines all frequent itemsets and generates the rules meeting
// minConf; its time covers both, as Weka's does.
func rulesCase(minSup string, minConf float64) func(string) (Result, error) {
	return func(path string) (Result, error) {
		txs, err := readFIMI(path)
		if err != nil {
			return Result{}, err
		}
		th, err := support.Parse(minSup)
		if err != nil {
			return Result{}, err
		}
		min := th.MinCount(len(txs))
		start := time.Now()
		sets, err := itemsets.Mine(txs, itemsets.Options{MinCount: min, Workers: 1})
		if err != nil {
			return Result{}, err
		}
		rs, err := rules.Generate(sets, len(txs), rules.Options{MinConfidence: minConf, Workers: 1})
		secs := time.Since(start).Seconds()
		if err != nil {
			return Result{}, err
		}
		return Result{Patterns: len(rs), Seconds: secs,
			Note: fmt.Sprintf("rules of %d frequent itemsets at min count %d, any consequent size, confidence >= min (Weka given -C min-1e-9 to match)", len(sets), min)}, nil
	}
}

// wekaRulesPeer runs Weka's FPGrowth on a sparse ARFF copy of the dataset.
func wekaRulesPeer(minSup string, minConf float64) func(path, tmpDir string) (*Peer, error) {
	return func(path, tmpDir string) (*Peer, error) {
		if _, err := os.Stat(wekaJar); err != nil {
			return nil, nil
		}
		java, err := exec.LookPath("java")
		if err != nil {
			return nil, nil
		}
		txs, err := readFIMI(path)
		if err != nil {
			return nil, err
		}
		th, err := support.Parse(minSup)
		if err != nil {
			return nil, err
		}
		arff := tmpDir + "/input.arff"
		if err := writeSparseARFF(arff, txs); err != nil {
			return nil, err
		}
		min := th.MinCount(len(txs))
		cmd := exec.Command(java, "-Xmx8g", "-cp", wekaJar, "weka.associations.FPGrowth",
			"-t", arff, "-M", strconv.Itoa(min), "-U", "1.0",
			"-C", strconv.FormatFloat(minConf-1e-9, 'g', -1, 64), "-N", "1", "-S")
		return &Peer{Name: "weka-3.6 FPGrowth", Cmd: cmd, Parse: parseWekaRules}, nil
	}
}

var (
	wekaFound   = regexp.MustCompile(`FPGrowth found (\d+) rules`)
	wekaElapsed = regexp.MustCompile(`Elapsed time: ([0-9.]+)s`)
)

// parseWekaRules reads Weka FPGrowth's rule count and its own elapsed time.
func parseWekaRules(out []byte) (int, float64, error) {
	m := wekaFound.FindSubmatch(out)
	if m == nil {
		return 0, 0, errors.New("no \"FPGrowth found N rules\" line in weka output")
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		return 0, 0, err
	}
	secs := 0.0
	if e := wekaElapsed.FindSubmatch(out); e != nil {
		secs, _ = strconv.ParseFloat(string(e[1]), 64)
	}
	return n, secs, nil
}

// writeSparseARFF writes baskets as sparse ARFF: one binary attribute
// {0,1} per distinct item, present items as "index 1".
func writeSparseARFF(path string, txs [][]itemsets.Item) error {
	var items []itemsets.Item
	for _, tx := range txs {
		items = append(items, tx...)
	}
	slices.Sort(items)
	items = slices.Compact(items)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "@relation baskets")
	for _, it := range items {
		fmt.Fprintf(w, "@attribute i%d {0,1}\n", it)
	}
	fmt.Fprintln(w, "@data")
	var idx []int
	for _, tx := range txs {
		idx = idx[:0]
		for _, it := range tx {
			k, _ := slices.BinarySearch(items, it)
			idx = append(idx, k)
		}
		slices.Sort(idx)
		idx = slices.Compact(idx)
		w.WriteByte('{')
		for i, k := range idx {
			if i > 0 {
				w.WriteByte(',')
			}
			fmt.Fprintf(w, "%d 1", k)
		}
		w.WriteString("}\n")
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readFIMI loads a FIMI file: one basket per line, item ids separated by
// blanks; an empty line is an empty basket. Lines are capped at 64 MiB.
func readFIMI(path string) ([][]itemsets.Item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const maxLine = 64 << 20
	r := bufio.NewReaderSize(f, 1<<20)
	var txs [][]itemsets.Item
	var line []byte
	for lineNo := 1; ; lineNo++ {
		line = line[:0]
		for {
			chunk, isPrefix, err := r.ReadLine()
			if err == io.EOF && len(line) == 0 {
				return txs, nil
			}
			if err != nil && err != io.EOF {
				return nil, fmt.Errorf("%s line %d: %w", path, lineNo, err)
			}
			line = append(line, chunk...)
			if len(line) > maxLine {
				return nil, fmt.Errorf("%s line %d: longer than %d bytes", path, lineNo, maxLine)
			}
			if !isPrefix {
				break
			}
		}
		var tx []itemsets.Item
		for _, w := range bytes.Fields(line) {
			v, err := strconv.ParseUint(string(w), 10, 32)
			if err != nil {
				return nil, fmt.Errorf("%s line %d: item %q: %w", path, lineNo, w, err)
			}
			tx = append(tx, itemsets.Item(v))
		}
		txs = append(txs, tx)
	}
}
