package dataset

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quarrydata/quarry/storage/objstore"
)

// Versions returns the published versions of dataset name, ascending; none
// when the dataset does not exist.
func Versions(ctx context.Context, store objstore.Bucket, name string) ([]int, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	var vs []int
	err := store.Iter(ctx, datasetPrefix(name)+"v", func(key string) error {
		if v := parseManifestKey(name, key); v > 0 {
			vs = append(vs, v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dataset: list %s: %w", name, err)
	}
	slices.Sort(vs)
	return vs, nil
}

// LoadManifest reads the manifest of a version, or of the latest version
// when version is 0. A missing dataset or version gives ErrNotFound.
func LoadManifest(ctx context.Context, store objstore.Bucket, name string, version int) (*Manifest, error) {
	if version <= 0 {
		vs, err := Versions(ctx, store, name)
		if err != nil {
			return nil, err
		}
		if len(vs) == 0 {
			return nil, fmt.Errorf("dataset %s: %w", name, ErrNotFound)
		}
		version = vs[len(vs)-1]
	} else if err := ValidateName(name); err != nil {
		return nil, err
	}
	data, err := objstore.ReadAll(ctx, store, ManifestKey(name, version))
	if objstore.IsNotFound(err) {
		return nil, fmt.Errorf("dataset %s v%d: %w", name, version, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset %s v%d: %w", name, version, err)
	}
	m, err := decodeManifest(data)
	if err != nil {
		return nil, fmt.Errorf("dataset %s v%d: %w", name, version, err)
	}
	return m, nil
}

// List returns the names of the datasets with at least one published
// version, sorted.
func List(ctx context.Context, store objstore.Bucket) ([]string, error) {
	seen := map[string]bool{}
	var names []string
	err := store.Iter(ctx, Root, func(key string) error {
		name, rest, ok := strings.Cut(strings.TrimPrefix(key, Root), "/")
		if !ok || seen[name] || ValidateName(name) != nil {
			return nil
		}
		if parseManifestKey(name, Root+name+"/"+rest) > 0 {
			seen[name] = true
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dataset: list: %w", err)
	}
	slices.Sort(names)
	return names, nil
}

// referenced returns the keys referenced by the manifests of the given
// versions.
func referenced(ctx context.Context, store objstore.Bucket, name string, versions []int) (map[string]bool, error) {
	refs := map[string]bool{}
	for _, v := range versions {
		m, err := LoadManifest(ctx, store, name, v)
		if err != nil {
			return nil, err
		}
		for _, k := range m.Keys() {
			refs[k] = true
		}
	}
	return refs, nil
}

// Remove deletes one version of dataset name (version > 0) or all of them
// (version 0). The manifest goes first, so that readers never see a
// version with missing objects; then its objects, except those a remaining
// version still references (an append references older partitions).
// Removing every version deletes everything under the dataset's prefix. A
// removal that races an append of the same dataset can leave that append
// referencing deleted objects: serialise them.
func Remove(ctx context.Context, store objstore.Bucket, name string, version int) error {
	vs, err := Versions(ctx, store, name)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		return fmt.Errorf("dataset %s: %w", name, ErrNotFound)
	}
	if version == 0 {
		for _, v := range slices.Backward(vs) {
			if err := store.Delete(ctx, ManifestKey(name, v)); err != nil {
				return fmt.Errorf("dataset: remove %s v%d: %w", name, v, err)
			}
		}
		keys, err := objstore.List(ctx, store, datasetPrefix(name))
		if err != nil {
			return fmt.Errorf("dataset: remove %s: %w", name, err)
		}
		return deleteKeys(ctx, store, keys)
	}
	m, err := LoadManifest(ctx, store, name, version)
	if err != nil {
		return err
	}
	if err := store.Delete(ctx, ManifestKey(name, version)); err != nil {
		return fmt.Errorf("dataset: remove %s v%d: %w", name, version, err)
	}
	rest := slices.DeleteFunc(vs, func(v int) bool { return v == version })
	refs, err := referenced(ctx, store, name, rest)
	if err != nil {
		return err
	}
	var keys []string
	for _, k := range m.Keys() {
		if !refs[k] {
			keys = append(keys, k)
		}
	}
	return deleteKeys(ctx, store, keys)
}

func deleteKeys(ctx context.Context, store objstore.Bucket, keys []string) error {
	for _, k := range keys {
		if err := store.Delete(ctx, k); err != nil {
			return fmt.Errorf("dataset: delete %s: %w", k, err)
		}
	}
	return nil
}

// GC deletes the objects under dataset name's prefix that no published
// manifest references and that are older than minAge (so that the objects
// of an import still running are left alone), and returns their keys.
func GC(ctx context.Context, store objstore.Bucket, name string, minAge time.Duration) ([]string, error) {
	vs, err := Versions(ctx, store, name)
	if err != nil {
		return nil, err
	}
	refs, err := referenced(ctx, store, name, vs)
	if err != nil {
		return nil, err
	}
	keys, err := objstore.List(ctx, store, datasetPrefix(name))
	if err != nil {
		return nil, fmt.Errorf("dataset: gc %s: %w", name, err)
	}
	var removed []string
	for _, k := range keys {
		if refs[k] || parseManifestKey(name, k) > 0 {
			continue
		}
		if minAge > 0 {
			a, err := store.Attributes(ctx, k)
			if objstore.IsNotFound(err) {
				continue
			}
			if err != nil {
				return removed, fmt.Errorf("dataset: gc %s: %w", name, err)
			}
			if time.Since(a.ModTime) < minAge {
				continue
			}
		}
		if err := store.Delete(ctx, k); err != nil {
			return removed, fmt.Errorf("dataset: gc %s: %w", name, err)
		}
		removed = append(removed, k)
	}
	return removed, nil
}

// loadItems returns the manifest's dictionary, reading the dictionary
// object when it is stored apart.
func loadItems(ctx context.Context, store objstore.Bucket, m *Manifest) ([]Item, error) {
	if m.DictionaryObject == nil {
		return m.Items, nil
	}
	data, err := readRef(ctx, store, *m.DictionaryObject)
	if err != nil {
		return nil, err
	}
	var items []Item
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("dataset: dictionary %s: %w", m.DictionaryObject.Key, err)
	}
	if len(items) != m.NumItems {
		return nil, fmt.Errorf("dataset: dictionary %s has %d items, manifest says %d", m.DictionaryObject.Key, len(items), m.NumItems)
	}
	return items, nil
}
