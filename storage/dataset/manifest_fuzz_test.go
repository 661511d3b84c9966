package dataset

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeManifest checks the manifest decoder that every reader of a
// dataset goes through: a manifest is refused with an error, or it
// re-encodes and decodes back to the same value, and what readers call
// on it (Keys, Bucket) does not panic.
func FuzzDecodeManifest(f *testing.F) {
	for _, s := range []string{
		`{"format":"quarry-dataset/1","name":"orders","version":1,"created":"2026-11-24T10:07:27.8Z","kind":"log",
		  "partitioning":{"partitions":2,"rule":"fnv1a64(customer id) mod P"},
		  "import":{"format":"csv","columns":{"customer":"CustomerID","item":"StockCode"},"time_layout":"2/1/2006 15:04","cancel_prefix":"C","max_line_bytes":1048576},
		  "counts":{"lines":6,"records":5,"rows":5,"orders":4,"customers":3,"returns":1,"no_customer_rows":1},
		  "time_range":{"min":"2010-12-01T08:26:00Z","max":"2010-12-01T09:41:00Z"},
		  "items":[{"name":"85123A","description":"WHITE HANGING HEART"}],"num_items":1,
		  "segments":[{"id":0,"version":1,"sources":[{"url":"/data/orders.csv","size":362,"etag":"x"}],"counts":{"lines":6}}],
		  "partitions":[{"key":"datasets/orders/objects/i/part-000-00000.qp","size":106,"sha256":"2b00","segment":0,"index":0,"records":4}]}`,
		`{"format":"quarry-dataset/1","name":"b","version":2,"parent":1,"kind":"baskets","partitioning":{"partitions":1},
		  "dictionary_object":{"key":"datasets/b/objects/i/dictionary.json","size":10,"sha256":"00"},"num_items":3000,
		  "partitions":[{"key":"k","index":7,"segment":9,"size":-1}]}`,
		`{"format":"quarry-dataset/1","kind":"log","partitioning":{"partitions":0}}`,
		`{"format":"quarry-dataset/2"}`, `{"kind":"nope"}`, `null`, `[]`, `{"items":[{}],"num_items":0}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeManifest(data)
		if err != nil {
			return
		}
		_ = m.Keys()
		for i := range min(m.Partitioning.Partitions, 64) {
			_ = m.Bucket(i)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("manifest %q decodes to %+v, which does not encode: %v", data, m, err)
		}
		back, err := decodeManifest(again)
		if err != nil {
			t.Fatalf("manifest %s, re-encoded from %q, is refused: %v", again, data, err)
		}
		if !reflect.DeepEqual(back, m) {
			t.Fatalf("manifest %q round-trips to %+v; want %+v", data, back, m)
		}
	})
}
