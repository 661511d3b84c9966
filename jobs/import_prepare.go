package jobs

import (
	"context"
	"fmt"
	"strconv"

	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/split"
)

// Prepare resolves what planning needs from the store, once, when a job
// is submitted, so that Plan and Next stay pure functions of the spec, the
// manifest and the completed stages. It validates spec; for a job that
// mines a dataset it loads the manifest of the version asked for (0: the
// latest) and returns the spec with Version pinned to it; for an import
// it pins the sources (size, ETag, gzip), the parsing parameters with
// their defaults or detected values (format, columns, time layout), and
// the dataset's latest version into spec.Import.Pinned, and returns a nil
// manifest (an import plans without one).
func Prepare(ctx context.Context, b objstore.Bucket, spec Spec) (Spec, *dataset.Manifest, error) {
	if err := spec.Validate(); err != nil {
		return Spec{}, nil, err
	}
	if spec.Type != TypeImport {
		m, err := dataset.LoadManifest(ctx, b, spec.Dataset, spec.Version)
		if err != nil {
			return Spec{}, nil, err
		}
		spec.Version = m.Version
		return spec, m, nil
	}
	is := *spec.Import
	pin, err := pinImport(ctx, b, spec.Dataset, &is)
	if err != nil {
		return Spec{}, nil, fmt.Errorf("import into %s: %w", spec.Dataset, err)
	}
	is.Pinned = pin
	spec.Import = &is
	if err := spec.Validate(); err != nil {
		return Spec{}, nil, err
	}
	return spec, nil, nil
}

// ManifestFor returns the dataset manifest Next plans a job with: the
// pinned version's, or nil for an import. The coordinator calls it before
// every Next.
func ManifestFor(ctx context.Context, b objstore.Bucket, spec Spec) (*dataset.Manifest, error) {
	if spec.Type == TypeImport {
		return nil, nil
	}
	return dataset.LoadManifest(ctx, b, spec.Dataset, spec.Version)
}

// pinImport stats the sources and resolves the parsing parameters of is.
func pinImport(ctx context.Context, b objstore.Bucket, name string, is *ImportSpec) (*ImportPinned, error) {
	pin := &ImportPinned{}
	var srcs []dataset.SourceObject
	for i, key := range is.Sources {
		a, err := b.Attributes(ctx, key)
		if objstore.IsNotFound(err) { // the spec's fault: say which field
			return nil, fmt.Errorf("%w: import.sources[%d]: %s: %w", ErrInvalidSpec, i, key, err)
		}
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", key, err)
		}
		splits, err := split.PlanObject(ctx, b, key, 0)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", key, err)
		}
		if splits[0].Size != a.Size {
			return nil, fmt.Errorf("source %s: changed while the job was submitted", key)
		}
		url := b.String() + "/" + key
		pin.Sources = append(pin.Sources, PinnedSource{Key: key, URL: url, Size: a.Size, ETag: a.ETag, Gzip: splits[0].Gzip})
		srcs = append(srcs, dataset.SourceObject{Bucket: b, Key: key, URL: url})
	}
	versions, err := dataset.Versions(ctx, b, name)
	if err != nil {
		return nil, err
	}
	if len(versions) > 0 {
		pin.Latest = versions[len(versions)-1]
	}
	if is.Append {
		base, err := dataset.LoadManifest(ctx, b, name, pin.Latest)
		if err != nil {
			return nil, fmt.Errorf("append: %w", err)
		}
		pin.Format, pin.Columns, pin.TimeLayout = base.Import.Format, base.Import.Columns, base.Import.TimeLayout
		pin.NoHeader = base.Import.NoHeader
		pin.CancelPrefix, pin.Partitions = base.Import.CancelPrefix, base.Partitioning.Partitions
		pin.Latest, pin.Segment = base.Version, len(base.Segments)
		return pin, nil
	}
	ff, err := is.format()
	if err != nil {
		return nil, err
	}
	pin.Format, pin.Partitions, pin.TimeLayout = ff.String(), is.Partitions, is.TimeLayout
	if pin.Partitions == 0 {
		pin.Partitions = DefaultImportPartitions
	}
	if !ff.Log() {
		pin.TimeLayout = "" // as the manifest of a baskets or sequences dataset says
		return pin, nil
	}
	pin.CancelPrefix = format.DefaultCancelPrefix
	if is.CancelPrefix != nil {
		pin.CancelPrefix = *is.CancelPrefix
	}
	header, err := split.Header(ctx, b, is.Sources[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", srcs[0].URL, err)
	}
	first := format.HeaderFields(header, ff)
	pin.NoHeader = is.NoHeader
	if is.Columns != nil {
		pin.Columns = *is.Columns
		if err := checkFirstLine(pin.Columns, first, is.NoHeader, srcs[0].URL); err != nil {
			return nil, err
		}
	} else {
		pin.Columns = defaultColumns(first)
	}
	spec := dataset.Spec{Format: ff, Columns: format.Columns(pin.Columns), NoHeader: pin.NoHeader, TimeLayout: pin.TimeLayout, MaxLineBytes: is.MaxLineBytes,
		MaxGzipRatio: gzipRatio(is.MaxGzipRatio)}
	if pin.TimeLayout, err = dataset.SourcesTimeLayout(ctx, srcs, spec); err != nil {
		return nil, err
	}
	return pin, nil
}

// checkFirstLine checks the columns a spec names against the first line
// of the first source, so that a job that cannot read it fails when it is
// submitted, naming the field: a position beyond the line's fields
// without a header, a name the header lacks with one.
func checkFirstLine(cols dataset.Columns, first []string, noHeader bool, url string) error {
	have := make(map[string]bool, len(first))
	for _, h := range first {
		have[h] = true
	}
	for _, r := range format.Columns(cols).Roles() {
		field := "import.columns." + r.Role
		if !noHeader && !have[r.Name] {
			return invalid(field, "%q is not in the header of %s", r.Name, url)
		}
		if p, err := strconv.Atoi(r.Name); noHeader && err == nil && p > len(first) {
			return invalid(field, "column %d is beyond the %d fields of the first line of %s", p, len(first), url)
		}
	}
	return nil
}

// defaultColumns returns the command's default columns for a log with
// this header: each default name the header lacks is dropped, except the
// item column, which is required (the reader then reports it missing).
func defaultColumns(header []string) dataset.Columns {
	have := make(map[string]bool, len(header))
	for _, h := range header {
		have[h] = true // trimmed by format.HeaderFields
	}
	cols := dataset.Columns(format.DefaultColumns())
	for _, c := range []*string{&cols.Customer, &cols.Order, &cols.Time, &cols.Description, &cols.Quantity, &cols.Price, &cols.Category} {
		if !have[*c] {
			*c = ""
		}
	}
	return cols
}
