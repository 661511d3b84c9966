package soak

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/worker/registry"
)

// What the cluster publishes, and so what checkPublished checks:
//
//   - a dataset version: datasets/<name>/v<N>/manifest.json, with the
//     objects it references; the soak's imports publish exactly v1 of
//     imported-<job id>, and only when that job succeeded;
//   - a job's results: jobs/<id>/result/manifest.json and the objects it
//     lists, named by the job's status once it succeeded (checked with
//     the outcomes, see checkResults);
//   - a model version: models/<dataset>/v<N>/manifest.json, with the
//     result objects it references, and the etcd key the CRM API follows
//     (registry.PublishModelVersion), which must name the latest version.
//
// Attempt partials (jobs/<id>/<stage>/<task>/<attempt>.bin) are never
// published: the checks above fail if anything published references one.
// Partials and unreferenced dataset objects still in the store after the
// run are garbage, counted in a note.
var (
	datasetManifestRE = regexp.MustCompile(`^datasets/([^/]+)/v([0-9]+)/manifest\.json$`)
	modelManifestRE   = regexp.MustCompile(`^models/([^/]+)/v([0-9]+)/manifest\.json$`)
	partialRE         = regexp.MustCompile(`^jobs/[^/]+/[^/]+/[0-9]+/[^/]+\.bin$`)
)

// checkPublished checks every dataset and model version in the store and
// the model pointer, and counts the garbage.
func (k *checker) checkPublished(ctx context.Context) {
	keys, err := objstore.List(ctx, k.c.Store, "")
	if err != nil {
		k.rep.violate("list the store: %v", err)
		return
	}
	exists := map[string]bool{}
	for _, key := range keys {
		exists[key] = true
	}
	referenced := map[string]bool{}
	for _, key := range keys {
		if m := datasetManifestRE.FindStringSubmatch(key); m != nil {
			k.checkDatasetVersion(ctx, key, m[1], m[2], exists, referenced)
		}
	}
	latest := 0
	for _, key := range keys {
		if m := modelManifestRE.FindStringSubmatch(key); m != nil {
			v := k.checkModelVersion(ctx, key, m[1], exists)
			latest = max(latest, v)
		}
	}
	k.checkModelPointer(latest)
	k.countGarbage(keys, referenced)
}

// checkDatasetVersion checks one dataset manifest: the inputs' v1, or v1
// of a succeeded import job's dataset; every object it references exists.
func (k *checker) checkDatasetVersion(ctx context.Context, key, name, version string, exists, referenced map[string]bool) {
	switch id, imported := strings.CutPrefix(name, "imported-"); {
	case name == basketsDataset || name == logDataset:
		if version != "1" {
			k.rep.violate("dataset version %s: nothing but the setup imports into %s", key, name)
		}
	case !imported:
		k.rep.violate("dataset version %s: no job imports into %s", key, name)
	case k.state(id) != quarryv1.JobState_JOB_STATE_SUCCEEDED:
		k.rep.violate("dataset version %s: published by job %s (%s), which did not succeed", key, id, k.state(id))
	case version != "1":
		k.rep.violate("dataset version %s: job %s published a second version", key, id)
	}
	v, _ := strconv.Atoi(version)
	m, err := dataset.LoadManifest(ctx, k.c.Store, name, v)
	if err != nil {
		k.rep.violate("dataset version %s: %v", key, err)
		return
	}
	for _, r := range m.Keys() {
		referenced[r] = true
		if !exists[r] {
			k.rep.violate("dataset version %s references %s, which does not exist", key, r)
		}
	}
}

// checkModelVersion checks one model manifest: published by a succeeded
// model job, once, referencing only existing results of succeeded jobs.
// It returns the version.
func (k *checker) checkModelVersion(ctx context.Context, key, name string, exists map[string]bool) int {
	data, err := objstore.ReadAll(ctx, k.c.Store, key)
	var mm jobs.ModelManifest
	if err == nil {
		err = json.Unmarshal(data, &mm)
	}
	if err != nil {
		k.rep.violate("model version %s: %v", key, err)
		return 0
	}
	if st := k.state(mm.Job); st != quarryv1.JobState_JOB_STATE_SUCCEEDED || k.kinds[mm.Job] != Model {
		k.rep.violate("model version %s: published by job %s (%s %s), not a succeeded model job", key, mm.Job, k.kinds[mm.Job], st)
	} else if rm, err := jobs.LoadResult(ctx, k.c.Store, mm.Job); err != nil || rm.Model != key {
		k.rep.violate("model version %s: job %s's result names model %q (%v); a job publishes one version", key, mm.Job, modelOf(rm), err)
	}
	var objs []jobs.ResultObject
	for _, p := range []*jobs.ModelPart{mm.Rules, mm.Sequences, mm.Segments} {
		if p != nil {
			if st := k.state(p.Job); st != quarryv1.JobState_JOB_STATE_SUCCEEDED {
				k.rep.violate("model version %s bundles job %s (%s), which did not succeed", key, p.Job, st)
			}
			objs = append(objs, p.Objects...)
		}
	}
	for _, o := range append(objs, mm.Items) {
		if !exists[o.Key] || partialRE.MatchString(o.Key) {
			k.rep.violate("model version %s references %s: exists %v, an attempt partial %v", key, o.Key, exists[o.Key], partialRE.MatchString(o.Key))
		}
	}
	return mm.Version
}

// modelOf returns a result manifest's model key, "" for none.
func modelOf(rm *jobs.ResultManifest) string {
	if rm == nil {
		return ""
	}
	return rm.Model
}

// checkModelPointer checks that the etcd key the CRM API follows names
// latest, the highest model version of the log dataset (0: none), within
// 30 s (the leader mirrors it after the job ends).
func (k *checker) checkModelPointer(latest int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := 0
	for v := range registry.WatchModelVersion(ctx, k.etcd, "/"+k.c.Name, logDataset) {
		if got = v; got == latest {
			return
		}
	}
	k.rep.violate("model pointer of %s in etcd: got version %d; want the latest published, %d", logDataset, got, latest)
}

// countGarbage notes what is left but unreferenced: attempt partials,
// dataset objects of failed imports, objects of unknown jobs.
func (k *checker) countGarbage(keys []string, referenced map[string]bool) {
	partials, datasetObjs, other := 0, 0, 0
	var examples []string
	for _, key := range keys {
		switch {
		case partialRE.MatchString(key):
			partials++
			examples = append(examples, key)
		case strings.HasPrefix(key, dataset.Root) && strings.Contains(key, "/objects/") && !referenced[key]:
			datasetObjs++
			examples = append(examples, key)
		case strings.HasPrefix(key, jobs.Root):
			id, rest, _ := strings.Cut(strings.TrimPrefix(key, jobs.Root), "/")
			if _, ok := k.kinds[id]; !ok || !strings.HasPrefix(rest, "result/") {
				other++
				examples = append(examples, key)
			} else if k.state(id) != quarryv1.JobState_JOB_STATE_SUCCEEDED && rest == "result/"+jobs.ResultManifestName {
				k.rep.violate("job %s (%s) has a result manifest published", id, k.state(id))
			}
		}
	}
	if partials+datasetObjs+other > 0 {
		k.rep.note("garbage left in the store, referenced by nothing: %d attempt partials, %d dataset objects, %d other job objects, e.g. %s",
			partials, datasetObjs, other, strings.Join(examples[:min(len(examples), 3)], ", "))
	}
}

// state returns job id's listed state (unspecified when not listed).
func (k *checker) state(id string) quarryv1.JobState {
	if st := k.listed[id]; st != nil {
		return st.State
	}
	return quarryv1.JobState_JOB_STATE_UNSPECIFIED
}
