package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/storage/objstore/s3"
	"github.com/quarrydata/quarry/storage/split"
)

// storeFlags locate the object store that holds the datasets.
type storeFlags struct {
	store   string
	dataDir string
	s3      s3.Config
}

func (f *storeFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.store, "store", envOr("QUARRY_STORE", ""), "dataset store: s3://bucket/prefix or a folder (default: quarry-data under --data-dir; env QUARRY_STORE)")
	fs.StringVar(&f.dataDir, "data-dir", envOr("QUARRY_DATA_DIR", "."), "data folder (env QUARRY_DATA_DIR)")
	f.s3 = s3.FromEnv(os.Getenv)
	gfs := flag.NewFlagSet("s3", flag.ContinueOnError)
	f.s3.RegisterFlags(gfs)
	fs.AddGoFlagSet(gfs)
}

func (f *storeFlags) location() string {
	if f.store != "" {
		return f.store
	}
	return filepath.Join(f.dataDir, "quarry-data")
}

// open opens the dataset store. Credentials come from the s3 flags or the
// environment, never from the location, and are never logged.
func (f *storeFlags) open(ctx context.Context) (objstore.Bucket, func(), error) {
	b, err := objstore.Open(ctx, f.location(), objstore.OpenOptions{S3: f.s3})
	if err != nil {
		return nil, nil, fmt.Errorf("open store %s: %w", f.location(), err)
	}
	return b, func() { closeBucket(b) }, nil
}

func closeBucket(b objstore.Bucket) {
	if c, ok := b.(io.Closer); ok {
		c.Close()
	}
}

// source resolves SRC: "store:KEY" (an object in the dataset store), an
// object URL (s3://bucket/dir/key, file:///dir/key) or a local path.
// run opens the store for one command and closes it once fn returns.
func (f *storeFlags) run(ctx context.Context, fn func(objstore.Bucket) error) error {
	store, done, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	return fn(store)
}

func (f *storeFlags) source(ctx context.Context, store objstore.Bucket, src string) (dataset.SourceObject, func(), error) {
	noop := func() {}
	if key, ok := strings.CutPrefix(src, "store:"); ok {
		return dataset.SourceObject{Bucket: store, Key: key, URL: store.String() + "/" + key}, noop, nil
	}
	if strings.Contains(src, "://") {
		u, err := url.Parse(src)
		if err != nil {
			return dataset.SourceObject{}, nil, usagef("source %s: %v", src, err)
		}
		key := path.Base(u.Path)
		u.Path = path.Dir(u.Path)
		if key == "." || key == "/" || key == "" {
			return dataset.SourceObject{}, nil, usagef("source %s names no object", src)
		}
		b, err := objstore.Open(ctx, u.String(), objstore.OpenOptions{S3: f.s3})
		if err != nil {
			return dataset.SourceObject{}, nil, fmt.Errorf("source %s: %w", src, err)
		}
		return dataset.SourceObject{Bucket: b, Key: key, URL: src}, func() { closeBucket(b) }, nil
	}
	st, err := os.Stat(src)
	if err != nil {
		return dataset.SourceObject{}, nil, fmt.Errorf("source: %w", err)
	}
	if st.IsDir() {
		return dataset.SourceObject{}, nil, usagef("source %s is a folder, not a file", src)
	}
	if abs, err := filepath.Abs(src); err == nil {
		src = abs
	}
	b, err := local.New(filepath.Dir(src))
	if err != nil {
		return dataset.SourceObject{}, nil, err
	}
	return dataset.SourceObject{Bucket: b, Key: filepath.Base(src), URL: src}, func() { b.Close() }, nil
}

// importFlags are the flags of import and append.
type importFlags struct {
	workers    int
	splitSize  int64
	partitions int
	gzipRatio  int
}

func (f *importFlags) register(fs *pflag.FlagSet, partitions bool) {
	fs.IntVar(&f.workers, "workers", 0, "splits parsed at once (default: the number of CPUs); never changes the result")
	fs.Int64Var(&f.splitSize, "split-size", 16<<20, "target split size in bytes; never changes the result")
	fs.IntVar(&f.gzipRatio, "max-gzip-ratio", split.DefaultMaxGzipRatio, "refuse a gzip source that inflates more than this many times its compressed size, past 16 MiB (a gzip bomb); 0: no limit")
	if partitions {
		fs.IntVar(&f.partitions, "partitions", 4, "number of partitions P (customers hashed into P buckets)")
	}
}

func newDatasetCmd() *cobra.Command {
	var st storeFlags
	cmd := &cobra.Command{
		Use:   "dataset",
		Short: "Import raw logs into versioned, partitioned datasets and manage them",
		Long: `Import raw logs (FIMI baskets, SPMF sequences, CSV transaction logs; gzip
allowed) into versioned, partitioned datasets in an object store, and list,
describe, append to and remove them. See docs/datasets.md.

The store is --store (s3://bucket/prefix or a folder), by default the folder
quarry-data under --data-dir. S3 credentials come from --s3-access-key /
--s3-secret-key or, better, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`,
	}
	st.register(cmd.PersistentFlags())
	cmd.AddCommand(newDatasetImportCmd(&st), newDatasetAppendCmd(&st), newDatasetLsCmd(&st),
		newDatasetDescribeCmd(&st), newDatasetRmCmd(&st), newDatasetGCCmd(&st))
	return cmd
}

func newDatasetImportCmd(st *storeFlags) *cobra.Command {
	var (
		in   inputFlags
		imp  importFlags
		name string
	)
	cmd := &cobra.Command{
		Use:   "import SRC --name N [--partitions P] [column flags]",
		Short: "Import a raw log as a new version of a dataset",
		Long: `Import a raw log as a new version of dataset N. SRC is a local path, an
object URL (s3://bucket/key, file:///path) or store:KEY for an object in the
dataset store. Nothing is published unless the whole import succeeds.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := dataset.ValidateName(name); err != nil {
				return usagef("--name: %v", err)
			}
			if imp.partitions < 1 || imp.partitions > 1<<16 {
				return usagef("--partitions must be between 1 and 65536")
			}
			ctx := cmd.Context()
			return st.run(ctx, func(store objstore.Bucket) error {
				src, srcDone, err := st.source(ctx, store, args[0])
				if err != nil {
					return err
				}
				defer srcDone()
				in.path = args[0]
				ff, err := in.detect()
				if err != nil {
					return err
				}
				spec := dataset.Spec{Format: ff, SkipBadLines: in.skipBadLines, MaxLineBytes: in.maxLineBytes,
					Partitions: imp.partitions, TimeLayout: in.timeLayout, CancelPrefix: in.cancelPrefix}
				if ff == format.FormatCSV || ff == format.FormatTSV {
					header, err := split.Header(ctx, src.Bucket, src.Key)
					if err != nil {
						return fmt.Errorf("%s: %w", src.URL, err)
					}
					spec.Columns = in.columnsFor(peekHeader(bufio.NewReader(bytes.NewReader(header)), ff.Comma()))
				}
				m, err := dataset.Import(ctx, store, name, []dataset.SourceObject{src}, importOptions(spec, imp))
				if err != nil {
					return err
				}
				return printImported(cmd.OutOrStdout(), m)
			})
		},
	}
	fs := cmd.Flags()
	in.register(fs, true)
	fs.MarkHidden("input") // SRC is the argument
	fs.StringVar(&name, "name", "", "dataset name (required)")
	imp.register(fs, true)
	return cmd
}

func importOptions(spec dataset.Spec, imp importFlags) dataset.Options {
	spec.MaxGzipRatio = imp.gzipRatio
	if imp.gzipRatio <= 0 {
		spec.MaxGzipRatio = -1 // no limit
	}
	return dataset.Options{Spec: spec, Workers: imp.workers, SplitSize: imp.splitSize,
		Logger: slog.Default()}
}

func printImported(w io.Writer, m *dataset.Manifest) error {
	seg := m.Segments[len(m.Segments)-1]
	_, err := fmt.Fprintf(w, "%s v%d: %d records in %d partitions (%d lines read, %d skipped)\n",
		m.Name, m.Version, seg.Counts.Records, m.Partitioning.Partitions, seg.Counts.Lines, seg.Counts.Skipped)
	if err == nil && seg.Quarantine != nil {
		_, err = fmt.Fprintf(w, "skipped lines sampled in %s\n", seg.Quarantine.Key)
	}
	return err
}

func newDatasetAppendCmd(st *storeFlags) *cobra.Command {
	var (
		imp          importFlags
		skipBadLines bool
		maxLine      int
	)
	cmd := &cobra.Command{
		Use:   "append N SRC...",
		Short: "Add raw logs to a dataset as a new version that keeps the old partitions",
		Long: `Add raw logs to dataset N as a new version: the new data becomes a new segment
of P partitions, parsed with the latest version's parameters (format,
columns, time layout), and the older partitions are referenced, not copied.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return st.run(ctx, func(store objstore.Bucket) error {
				var srcs []dataset.SourceObject
				for _, a := range args[1:] {
					src, srcDone, err := st.source(ctx, store, a)
					if err != nil {
						return err
					}
					defer srcDone()
					srcs = append(srcs, src)
				}
				spec := dataset.Spec{SkipBadLines: skipBadLines, MaxLineBytes: maxLine}
				m, err := dataset.Append(ctx, store, args[0], srcs, importOptions(spec, imp))
				if err != nil {
					return err
				}
				return printImported(cmd.OutOrStdout(), m)
			})
		},
	}
	fs := cmd.Flags()
	imp.register(fs, false)
	fs.BoolVar(&skipBadLines, "skip-bad-lines", false, "skip and sample malformed lines instead of failing")
	fs.IntVar(&maxLine, "max-line-bytes", 1<<20, "longest line accepted, in bytes")
	return cmd
}

func newDatasetGCCmd(st *storeFlags) *cobra.Command {
	var minAge time.Duration
	cmd := &cobra.Command{
		Use:   "gc N [--min-age D]",
		Short: "Remove objects of a dataset that no version references (left by failed imports)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return st.run(ctx, func(store objstore.Bucket) error {
				removed, err := dataset.GC(ctx, store, args[0], minAge)
				for _, k := range removed {
					fmt.Fprintln(cmd.OutOrStdout(), "removed", k)
				}
				return err
			})
		},
	}
	cmd.Flags().DurationVar(&minAge, "min-age", time.Hour, "leave objects younger than this (an import may still be writing them)")
	return cmd
}

// notFound turns a missing dataset into a plain message.
func notFound(err error) error {
	if errors.Is(err, dataset.ErrNotFound) {
		return fmt.Errorf("%w (see 'quarry dataset ls')", err)
	}
	return err
}

func newDatasetLsCmd(st *storeFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the datasets and their latest versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return st.run(ctx, func(store objstore.Bucket) error {
				names, err := dataset.List(ctx, store)
				if err != nil {
					return err
				}
				type entry struct {
					Name     string    `json:"name"`
					Versions []int     `json:"versions"`
					Kind     string    `json:"kind"`
					Records  int       `json:"records"`
					Created  time.Time `json:"created"`
				}
				entries := []entry{}
				for _, n := range names {
					vs, err := dataset.Versions(ctx, store, n)
					if err != nil {
						return err
					}
					m, err := dataset.LoadManifest(ctx, store, n, vs[len(vs)-1])
					if errors.Is(err, dataset.ErrNotFound) {
						continue // removed meanwhile
					}
					if err != nil {
						return err
					}
					entries = append(entries, entry{n, vs, string(m.Kind), m.Counts.Records, m.Created})
				}
				out := cmd.OutOrStdout()
				if asJSON {
					return writeJSON(out, entries)
				}
				tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tLATEST\tVERSIONS\tKIND\tRECORDS\tCREATED")
				for _, e := range entries {
					fmt.Fprintf(tw, "%s\tv%d\t%d\t%s\t%d\t%s\n", e.Name, e.Versions[len(e.Versions)-1], len(e.Versions), e.Kind, e.Records, e.Created.Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newDatasetDescribeCmd(st *storeFlags) *cobra.Command {
	var (
		version int
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "describe N [--version V] [--json]",
		Short: "Show a dataset version's manifest",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return st.run(ctx, func(store objstore.Bucket) error {
				m, err := dataset.LoadManifest(ctx, store, args[0], version)
				if err != nil {
					return notFound(err)
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), m)
				}
				return dataset.WriteSummary(cmd.OutOrStdout(), m)
			})
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "version (default: the latest)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the manifest as JSON")
	return cmd
}

func newDatasetRmCmd(st *storeFlags) *cobra.Command {
	var version int
	cmd := &cobra.Command{
		Use:   "rm N [--version V]",
		Short: "Remove one version of a dataset, or all of it",
		Long: `Remove one version of dataset N (--version) or every version. The manifest
goes first, so readers never see a half-removed version; objects that
another version still references (after an append) are kept.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return st.run(ctx, func(store objstore.Bucket) error {
				if err := dataset.Remove(ctx, store, args[0], version); err != nil {
					return notFound(err)
				}
				what := "every version"
				if version > 0 {
					what = fmt.Sprintf("v%d", version)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "removed %s of %s\n", what, args[0])
				return err
			})
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "version to remove (default: all)")
	return cmd
}
