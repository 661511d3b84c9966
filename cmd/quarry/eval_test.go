package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/crmapi"
	"github.com/quarrydata/quarry/internal/testenv"
)

func TestEvalRecommendationsCmd(t *testing.T) {
	store := t.TempDir()
	mustRun(t, "dataset", "import", testenv.Path(t, "online-retail-sample.csv.gz"), "--name", "retail", "--partitions", "3", "--store", store)
	mustRun(t, "dataset", "import", testenv.Path(t, "retail-sample.dat"), "--name", "baskets", "--store", store)

	var rep crmapi.EvalReport
	out := mustRun(t, "eval", "recommendations", "--dataset", "retail", "--holdout-last", "1", "--k", "5", "--output", "json", "--store", store)
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	if rep.Dataset != "retail" || rep.DatasetVersion != 1 || rep.K != 5 || rep.Holdout != 1 || len(rep.Methods) != 3 || len(rep.Jobs) != 4 {
		t.Fatalf("report: got %+v; want retail v1, k 5, holdout 1, 3 methods, 4 jobs", rep)
	}
	if rep.Methods[0].Method != crmapi.MethodRecommender || rep.Methods[2].Method != crmapi.MethodPopularity || rep.Methods[0].Customers == 0 {
		t.Errorf("methods: got %+v; want the recommender first, popularity last, customers > 0", rep.Methods)
	}
	// The same evaluation as text: same figures, one table row per method.
	text := mustRun(t, "eval", "recommendations", "--dataset", "retail", "--k", "5", "--workers", "1", "--store", store)
	for _, want := range []string{"dataset retail v1, last 1 order(s) hidden", "hit-rate@5", "precision@5", "coverage", crmapi.MethodPopularity} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(text, fmt.Sprintf("%.4f", rep.Methods[0].HitRate)) {
		t.Errorf("text output lacks the recommender's hit rate %v:\n%s", rep.Methods[0].HitRate, text)
	}

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"no dataset", []string{}, "--dataset is required"},
		{"holdout", []string{"--dataset", "retail", "--holdout-last", "0"}, "holdout 0"},
		{"k", []string{"--dataset", "retail", "--k", "0"}, "k 0"},
		{"output", []string{"--dataset", "retail", "--output", "yaml"}, "--output"},
		{"baskets", []string{"--dataset", "baskets"}, "customer column"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runOut(t, append([]string{"eval", "recommendations", "--store", store}, tt.args...)...)
			var ue usageError
			if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want a usage error containing %q", err, tt.want)
			}
		})
	}
}
