package results

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/metadata"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// writeRecord writes rec to path as a Parquet file of one row group, through
// WriteFileAtomic, with kv (pairs of key and value) in the file's key-value
// metadata.
func writeRecord(path string, rec arrow.Record, kv ...string) error {
	// zstd goes through the pooled codec of zstd.go: v15's own makes an
	// encoder for every page.
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithDictionaryDefault(true),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(max(rec.NumRows(), 1)),
	)
	// No stored Arrow schema (pqarrow.WithStoreSchema): the Parquet logical types
	// already give Arrow readers our plain types, UTC included, and the Go
	// reader decodes a damaged stored schema into an unrecoverable out-of-memory.
	arrProps := pqarrow.NewArrowWriterProperties()
	return WriteFileAtomic(path, func(w io.Writer) error {
		fw, err := pqarrow.NewFileWriter(rec.Schema(), w, props, arrProps)
		if err != nil {
			return err
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if err := fw.AppendKeyValueMetadata(kv[i], kv[i+1]); err != nil {
				fw.Close()
				return err
			}
		}
		if err := fw.Write(rec); err != nil {
			fw.Close()
			return err
		}
		return fw.Close()
	})
}

// readTable reads the Parquet file at path, whose columns must be those of want
// and whose claims must be within lim (see check.go). It returns the table and
// the file's key-value metadata; the caller releases the table.
func readTable(path string, want *arrow.Schema, lim limits) (tbl arrow.Table, kv metadata.KeyValueMetadata, err error) {
	b, err := readFile(path, lim.size)
	if errors.Is(err, errTooLarge) {
		return nil, nil, fmt.Errorf("results: %s: damaged Parquet file: more than the %d bytes of a %s file", path, lim.size, lim.table)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("results: %w", err)
	}
	footer, err := checkFrame(b)
	if err != nil {
		return nil, nil, fmt.Errorf("results: %s: not a complete Parquet file: %w", path, err)
	}
	if err := checkFooter(footer); err != nil {
		return nil, nil, fmt.Errorf("results: %s: damaged Parquet file: %w", path, err)
	}
	// The Parquet reader panics on some malformed input that the checks let
	// through; a damaged file is data, and must not stop a sweep that is
	// resuming or summarising.
	defer func() {
		if p := recover(); p != nil {
			if tbl != nil {
				tbl.Release()
			}
			tbl, kv, err = nil, nil, fmt.Errorf("results: %s: damaged Parquet file: %v", path, p)
		}
	}()
	rdr, err := file.NewParquetReader(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("results: %s: not a complete Parquet file: %w", path, err)
	}
	defer rdr.Close()
	// pqarrow decodes a stored Arrow schema unchecked (into an out-of-memory
	// when damaged); writeRecord stores none.
	if rdr.MetaData().KeyValueMetadata().FindValue("ARROW:schema") != nil {
		return nil, nil, fmt.Errorf("results: %s: damaged Parquet file: a stored Arrow schema, which dinv never writes", path)
	}
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, nil, fmt.Errorf("results: %s: %w", path, err)
	}
	got, err := fr.Schema()
	if err != nil {
		return nil, nil, fmt.Errorf("results: %s: %w", path, err)
	}
	if err := checkSchema(got, want); err != nil {
		return nil, nil, fmt.Errorf("results: %s: not a %s file: %w", path, lim.table, err)
	}
	if err := checkChunks(b, rdr, lim); err != nil {
		return nil, nil, fmt.Errorf("results: %s: damaged Parquet file: %w", path, err)
	}
	// Column by column on this goroutine: ReadTable decodes in goroutines of its
	// own, where a panic on damaged data could not be recovered.
	n := rdr.NumRows()
	cols := make([]arrow.Column, got.NumFields())
	defer func() {
		for _, c := range cols {
			if c.Data() != nil {
				c.Release()
			}
		}
	}()
	for i := range cols {
		cr, err := fr.GetColumn(context.Background(), i)
		if err != nil {
			return nil, nil, fmt.Errorf("results: %s: %w", path, err)
		}
		data, err := cr.NextBatch(n)
		cr.Release()
		if err != nil {
			return nil, nil, fmt.Errorf("results: %s: damaged Parquet file: %w", path, err)
		}
		cols[i] = *arrow.NewColumn(got.Field(i), data)
		data.Release()
		if l := int64(cols[i].Len()); l != n {
			return nil, nil, fmt.Errorf("results: %s: damaged Parquet file: column %q has %d rows, want %d",
				path, got.Field(i).Name, l, n)
		}
	}
	return array.NewTable(got, cols, n), rdr.MetaData().KeyValueMetadata(), nil
}

// forRecords calls f with the non-empty records of tbl in order.
func forRecords(tbl arrow.Table, f func(rec arrow.Record) error) error {
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	for tr.Next() {
		if rec := tr.Record(); rec.NumRows() > 0 {
			if err := f(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// readFolder calls read with the path of every *.parquet file in folder that is
// not a temporary, in name order, and returns read's errors. A folder that cannot
// be listed is one error.
func readFolder(folder string, read func(path string) error) []error {
	entries, err := os.ReadDir(folder)
	if err != nil {
		return []error{fmt.Errorf("results: %w", err)}
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || IsTemp(name) || !strings.HasSuffix(name, ".parquet") {
			continue
		}
		if err := read(filepath.Join(folder, name)); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
