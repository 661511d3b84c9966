package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/quarrydata/quarry/storage/dataset"
)

// importSections are the import-job spec parts equivalent to each input's
// quarry dataset import flags (exactInput.flags).
var importSections = map[string]string{
	"sample":    `{}`,
	"groceries": `{"columns":{"customer":"Member_number","time":"Date","item":"itemDescription"}}`,
	"spmf":      `{}`,
	"part":      `{"skip_bad_lines":true}`,
	"retail":    `{}`,
}

// importJobDataset is the dataset the import job of input in creates.
func importJobDataset(in exactInput, p int) string { return exactDataset(in, p) + "-job" }

// submitImportJob copies in's raw file into the cluster's store (once) and
// submits the distributed import of it with p partitions and 256 KiB
// splits, as the command-line import used; it returns the job id.
func submitImportJob(t *testing.T, c *devCluster, in exactInput, path string, p int) string {
	t.Helper()
	key := "raw/" + filepath.Base(path)
	dst := filepath.Join(c.bucket.Dir(), key)
	if _, err := os.Stat(dst); err != nil {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	section := importSections[in.name]
	section = section[:len(section)-1]
	if section != "{" {
		section += ","
	}
	section += fmt.Sprintf(`"sources":[%q],"partitions":%d,"split_size":262144}`, key, p)
	id := exactJobID(in, p, "import")
	submitExact(t, c, id, fmt.Sprintf(`{"type":"import","dataset":%q,"import":%s}`, importJobDataset(in, p), section))
	return id
}

// checkImportJob checks that the import job's dataset version holds the
// same partitions, byte for byte, as quarry dataset import's, with the
// same dictionary, categories and counts.
func checkImportJob(t *testing.T, c *devCluster, in exactInput, p int) {
	t.Helper()
	ctx := context.Background()
	want, err := dataset.LoadManifest(ctx, c.bucket, exactDataset(in, p), 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dataset.LoadManifest(ctx, c.bucket, importJobDataset(in, p), 0)
	if err != nil {
		t.Fatalf("import job: %v", err)
	}
	if got.NumItems != want.NumItems || !slices.Equal(got.Items, want.Items) || !slices.Equal(got.Categories, want.Categories) {
		t.Errorf("import job dictionary: got %d items; want %d, equal to quarry dataset import's", got.NumItems, want.NumItems)
	}
	if got.Counts != want.Counts {
		t.Errorf("import job counts: got %+v; want %+v", got.Counts, want.Counts)
	}
	if len(got.Partitions) != len(want.Partitions) {
		t.Fatalf("import job: got %d partitions; want %d", len(got.Partitions), len(want.Partitions))
	}
	for i := range want.Partitions {
		g, w := got.Partitions[i], want.Partitions[i]
		if g.SHA256 != w.SHA256 || g.Size != w.Size || g.Records != w.Records {
			t.Errorf("partition %d: got %d bytes sha256 %s; want %d bytes sha256 %s (quarry dataset import)", i, g.Size, g.SHA256, w.Size, w.SHA256)
		}
	}
}
