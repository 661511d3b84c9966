package validate

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// metricPackages are the folders, relative to the repository root, whose
// Go sources declare the metrics of Quarry's processes.
var metricPackages = []string{"coordinator", "worker", "crmapi"}

// optsTypes maps the client_golang option types to the family type they
// make.
var optsTypes = map[string]dto.MetricType{
	"CounterOpts":   dto.MetricType_COUNTER,
	"GaugeOpts":     dto.MetricType_GAUGE,
	"HistogramOpts": dto.MetricType_HISTOGRAM,
	"SummaryOpts":   dto.MetricType_SUMMARY,
}

// sourceFamilies reads the non-test Go files of metricPackages and
// returns every metric family they declare: the Name of each
// prometheus.CounterOpts, GaugeOpts, HistogramOpts or SummaryOpts literal
// and the first argument of each prometheus.NewDesc call (typed untyped:
// its series carry the family's own name). Only string literals count;
// a test checks that every family a registry exports is found here, so a
// name built another way is noticed.
func sourceFamilies(repoRoot string) (map[string]dto.MetricType, error) {
	out := map[string]dto.MetricType{}
	fset := token.NewFileSet()
	for _, pkg := range metricPackages {
		dir := filepath.Join(repoRoot, pkg)
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return fmt.Errorf("parse %s: %w", path, err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CompositeLit:
					if t, ok := optsType(n.Type); ok {
						if name, ok := fieldString(n, "Name"); ok {
							out[name] = t
						}
					}
				case *ast.CallExpr:
					if isSelector(n.Fun, "prometheus", "NewDesc") && len(n.Args) > 0 {
						if name, ok := stringLit(n.Args[0]); ok {
							out[name] = dto.MetricType_UNTYPED
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read metric declarations: %w", err)
		}
	}
	return out, nil
}

// optsType reports which family type a prometheus.XxxOpts literal makes.
func optsType(e ast.Expr) (dto.MetricType, bool) {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return 0, false
	}
	if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "prometheus" {
		return 0, false
	}
	t, ok := optsTypes[sel.Sel.Name]
	return t, ok
}

// fieldString returns the string literal value of field key in lit.
func fieldString(lit *ast.CompositeLit, key string) (string, bool) {
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if id, ok := kv.Key.(*ast.Ident); ok && id.Name == key {
			return stringLit(kv.Value)
		}
	}
	return "", false
}

// stringLit returns the value of a string literal.
func stringLit(e ast.Expr) (string, bool) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	return s, err == nil
}

// isSelector reports whether e is pkg.name.
func isSelector(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg
}
