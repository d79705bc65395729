package results

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/metadata"
)

// Arrow v15's Parquet reader believes what a file claims: the lengths of the
// footer's lists, a schema node's number of children, a column chunk's size and
// a page's uncompressed size size its allocations before anything can
// contradict them. It also decodes a page header from its read buffer past the
// end of the column chunk, and skips a page of unknown type without moving
// past it: a runs file that lost its head sent it round that loop, allocating
// until the process died. Go's out-of-memory error is fatal, not a panic that
// readTable could recover, so readTable first checks every number that arrow
// sizes an allocation or a read by, against the file's own size and against
// bounds for the table, reading the footer and the page headers with a walker
// (compact, in thrift.go) that allocates nothing:
//
//   - checkFrame: the magic numbers and the footer's length;
//   - checkFooter: the footer's Thrift encoding (lengths against the bytes left,
//     nesting, number of values, schema nodes' children), before arrow decodes it;
//   - checkChunks: once arrow has decoded the footer, the row counts, each
//     column chunk's byte range and sizes, and the header of every page, which
//     must tile the chunk.
//
// What passes lets arrow allocate at most a small multiple of the file or of
// the table's bounds, whatever the pages hold; pooledZstd (zstd.go) keeps
// decompression within the page size checked here.

// limits bounds what a file of one table may claim.
type limits struct {
	table   string // the table's name, for errors
	size    int64  // bytes in the file
	rows    int64
	data    int64 // uncompressed bytes of the pages, headers included: data + rows*rowData
	rowData int64
}

var (
	// A runs file has one row (ReadRun reports any other count; the bound on
	// rows only keeps a damaged count from sizing buffers). Its largest values
	// are the parameters' JSON and the message, which holds a stack when a cell
	// panicked: kilobytes. 64 MiB is a thousand times that.
	runsLimits = limits{table: "runs", size: 64 << 20, rows: 1 << 10, data: 64 << 20}

	// A sweep holds a whole curve in memory before writing it (40 bytes a
	// Point), so a curve of 64 Mi points, 2.5 GiB, is beyond anything written;
	// the paper's longest runs (20000 steps) record some hundred thousand.
	// Real files take about 12 bytes a point, compressed or not (the key
	// columns are dictionary-encoded runs of one value); 1 KiB a point
	// uncompressed allows any column to fall back from dictionary to plain
	// encoding, with long strings. 1 GiB of file is 16 bytes a point of the
	// largest curve.
	curvesLimits = limits{table: "curves", size: 1 << 30, rows: 1 << 26, data: 64 << 20, rowData: 1 << 10}
)

const (
	// maxFooter bounds the footer's bytes. Ours hold a schema and one row
	// group of at most 24 columns, each with statistics whose values arrow
	// drops above 4 KiB: 2 to 6 KiB, a few hundred at most.
	maxFooter = 1 << 20
	// maxFooterValues bounds the fields and elements of the footer, each of
	// which arrow decodes into a struct or a slot of its own (some hundred
	// bytes at most): ours hold 600 (curves) to 1000 (runs).
	maxFooterValues = 1 << 16
	// maxPageValues bounds the fields of a page header, statistics included:
	// under 30 in ours.
	maxPageValues = 1 << 10
)

// readFile reads the file at path, failing if it is larger than max bytes.
func readFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

var errTooLarge = errors.New("too large")

var magic = []byte("PAR1")

// checkFrame checks that b begins and ends with Parquet's magic number and that
// its footer fits; it returns the footer. Its errors say that b is not a
// complete Parquet file.
func checkFrame(b []byte) (footer []byte, err error) {
	if len(b) < 12 {
		return nil, fmt.Errorf("%d bytes, fewer than the 12 of an empty file", len(b))
	}
	if !bytes.Equal(b[len(b)-4:], magic) {
		if bytes.Equal(b[len(b)-4:], []byte("PARE")) {
			return nil, errors.New("PARE at the end: an encrypted footer, which dinv never writes")
		}
		return nil, errors.New("no PAR1 at the end")
	}
	if !bytes.Equal(b[:4], magic) {
		return nil, errors.New("no PAR1 at the start")
	}
	n := int64(binary.LittleEndian.Uint32(b[len(b)-8:]))
	if n > int64(len(b))-12 {
		return nil, fmt.Errorf("footer of %d bytes in a file of %d", n, len(b))
	}
	return b[int64(len(b))-8-n : len(b)-8], nil
}

// checkFooter walks the footer's FileMetaData, as arrow will decode it. Lists
// are walked by the type arrow reads their elements as (it does not check the
// type the list claims), down to every list of FileMetaData; the structs
// under them that hold no list are only skipped, which reads them as arrow
// does.
func checkFooter(footer []byte) error {
	if len(footer) > maxFooter {
		return fmt.Errorf("footer of %d bytes, more than %d", len(footer), maxFooter)
	}
	c := &compact{b: footer, maxValues: maxFooterValues}
	if err := c.fileMetaData(); err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	if c.off != len(footer) {
		return fmt.Errorf("footer: %d bytes after its metadata", len(footer)-c.off)
	}
	return nil
}

// The field numbers below are parquet.thrift's, as arrow v15 reads them.

func (c *compact) fileMetaData() error {
	return c.strct(func(id int16, typ byte) error {
		switch {
		case id == 2 && typ == ctList: // schema
			return c.schema()
		case id == 4 && typ == ctList: // row_groups
			return c.list(ctStruct, c.rowGroup)
		case (id == 5 || id == 7) && typ == ctList: // key_value_metadata, column_orders
			return c.list(ctStruct, func() error { return c.skip(ctStruct, false) })
		case id == 8: // encryption_algorithm
			return errors.New("encryption algorithm, dinv never encrypts")
		}
		return c.skip(typ, true)
	})
}

// schema walks the flattened schema, checking that no node claims more
// children than there are nodes after it: arrow makes room for a node's
// children before reading them.
func (c *compact) schema() error {
	typ, n, err := c.listHeader()
	if err != nil {
		return err
	}
	if n > 0 && typ != ctStruct {
		return fmt.Errorf("schema is a list of type %d", typ)
	}
	for i := range n {
		var children int32
		err := c.strct(func(id int16, typ byte) error {
			if id == 5 && typ == ctI32 { // num_children
				var err error
				children, err = c.i32()
				return err
			}
			return c.skip(typ, true)
		})
		if err != nil {
			return err
		}
		if children < 0 || int(children) > n-1-i {
			return fmt.Errorf("schema node %d of %d claims %d children", i+1, n, children)
		}
	}
	return nil
}

func (c *compact) rowGroup() error {
	return c.strct(func(id int16, typ byte) error {
		switch {
		case id == 1 && typ == ctList: // columns
			return c.list(ctStruct, c.columnChunk)
		case id == 4 && typ == ctList: // sorting_columns
			return c.list(ctStruct, func() error { return c.skip(ctStruct, false) })
		}
		return c.skip(typ, true)
	})
}

func (c *compact) columnChunk() error {
	meta := false
	err := c.strct(func(id int16, typ byte) error {
		switch {
		case id == 3 && typ == ctStruct: // meta_data
			meta = true
			return c.columnMetaData()
		case id == 8 || id == 9: // crypto_metadata, encrypted_column_metadata
			return errors.New("encrypted column chunk, dinv never encrypts")
		}
		return c.skip(typ, true)
	})
	if err == nil && !meta {
		err = errors.New("column chunk without metadata")
	}
	return err
}

func (c *compact) columnMetaData() error {
	return c.strct(func(id int16, typ byte) error {
		switch {
		case id == 2 && typ == ctList: // encodings
			return c.list(ctI32, func() error { return c.skip(ctI32, false) })
		case id == 3 && typ == ctList: // path_in_schema
			return c.list(ctBinary, func() error { return c.skip(ctBinary, false) })
		case (id == 8 || id == 13) && typ == ctList: // key_value_metadata, encoding_stats
			return c.list(ctStruct, func() error { return c.skip(ctStruct, false) })
		}
		return c.skip(typ, true)
	})
}

// checkChunks checks what the footer of the file b, as rdr decoded it, claims
// against the file and lim, and walks the header of every page arrow will read.
func checkChunks(b []byte, rdr *file.Reader, lim limits) error {
	rows := rdr.NumRows()
	if rows < 0 || rows > lim.rows {
		return fmt.Errorf("%d rows, a %s file holds at most %d", rows, lim.table, lim.rows)
	}
	md := rdr.MetaData()
	// checkFrame has checked the footer's length.
	dataEnd := int64(len(b)) - 8 - int64(binary.LittleEndian.Uint32(b[len(b)-8:]))
	budget := lim.data + rows*lim.rowData // uncompressed bytes left to the file
	var sum int64
	for i := range rdr.NumRowGroups() {
		rg := md.RowGroup(i)
		n := rg.NumRows()
		if n < 0 || n > rows-sum {
			return fmt.Errorf("row group %d claims %d rows, the file %d", i+1, n, rows)
		}
		sum += n
		if rg.NumColumns() != md.Schema.NumColumns() {
			return fmt.Errorf("row group %d has %d columns, the schema %d", i+1, rg.NumColumns(), md.Schema.NumColumns())
		}
		for j := range rg.NumColumns() {
			cc, err := rg.ColumnChunk(j)
			if err == nil {
				err = checkChunk(b, dataEnd, cc, md.Schema.Column(j).PhysicalType(), n, &budget)
			}
			if err != nil {
				return fmt.Errorf("row group %d, column %q: %w", i+1, md.Schema.Column(j).Path(), err)
			}
		}
	}
	if sum != rows {
		return fmt.Errorf("row groups hold %d rows, the file claims %d", sum, rows)
	}
	return nil
}

// checkChunk checks column chunk cc, of a row group of rows rows whose column
// is of physical type typ, in the file b whose pages end at dataEnd, and walks
// its pages; it takes the chunk's uncompressed bytes from *budget.
func checkChunk(b []byte, dataEnd int64, cc *metadata.ColumnChunkMetaData, typ parquet.Type, rows int64, budget *int64) error {
	codec := cc.Compression()
	if codec != compress.Codecs.Zstd && codec != compress.Codecs.Uncompressed {
		return fmt.Errorf("compressed with %s, dinv writes zstd", codec)
	}
	values := cc.NumValues()
	if values < 0 || values > rows { // no column of ours repeats
		return fmt.Errorf("%d values in %d rows", values, rows)
	}
	total := cc.TotalUncompressedSize()
	if total < 0 || total > *budget {
		return fmt.Errorf("%d bytes uncompressed, more than the %d left to the file", total, *budget)
	}
	*budget -= total
	// Where arrow starts reading.
	start := cc.DataPageOffset()
	if off := cc.DictionaryPageOffset(); cc.HasDictionaryPage() && off > 0 && off < start {
		start = off
	}
	size := cc.TotalCompressedSize()
	if values == 0 {
		// arrow reads the chunk's bytes but none of its pages; the chunk of a
		// file without rows holds a dictionary page, and arrow starts at the
		// data page offset of 0.
		if start < 0 || start > dataEnd || size < 0 || size > dataEnd-start {
			return fmt.Errorf("%d bytes at offset %d, outside the file's first %d", size, start, dataEnd)
		}
		return nil
	}
	if start < 4 || start > dataEnd || size < 0 || size > dataEnd-start {
		return fmt.Errorf("%d bytes at offset %d, outside the pages (bytes 4 to %d)", size, start, dataEnd)
	}
	return checkPages(b[start:start+size], codec, typ, values, total)
}

// checkPages walks the pages of a column chunk, which must tile it: each
// page's sizes fit what is left of the chunk, its values what is left of the
// chunk's values, the uncompressed sizes the chunk's (total).
func checkPages(chunk []byte, codec compress.Compression, typ parquet.Type, values, total int64) error {
	var seen int64
	for off, i := 0, 0; off < len(chunk); i++ {
		h, n, err := readPageHeader(chunk[off:])
		if err != nil {
			return fmt.Errorf("page %d at byte %d of the chunk: header: %w", i+1, off, err)
		}
		off += n
		total -= int64(n) + int64(h.uncompressed)
		switch {
		case h.compressed < 0 || h.uncompressed < 0:
			err = fmt.Errorf("sizes %d and %d", h.compressed, h.uncompressed)
		case int(h.compressed) > len(chunk)-off:
			err = fmt.Errorf("%d bytes, %d left in the chunk", h.compressed, len(chunk)-off)
		case total < 0:
			err = fmt.Errorf("%d bytes uncompressed, more than the chunk claims", h.uncompressed)
		case codec == compress.Codecs.Uncompressed && h.compressed != h.uncompressed:
			err = fmt.Errorf("uncompressed, but %d bytes and %d uncompressed", h.compressed, h.uncompressed)
		case h.values < 0:
			err = fmt.Errorf("%d values", h.values)
		}
		if err == nil {
			switch h.typ {
			case dictionaryPage:
				// arrow decodes the whole dictionary at once: it must be no
				// larger than the chunk's values, nor than its bytes hold.
				if i > 0 {
					err = errors.New("dictionary after the first page")
				} else if bits := int64(minBits(typ)); int64(h.values) > values || bits > 0 && int64(h.values) > int64(h.uncompressed)*8/bits {
					err = fmt.Errorf("dictionary of %d values in %d bytes, for %d values", h.values, h.uncompressed, values)
				}
			case dataPageV2:
				switch {
				case h.levels > int64(h.compressed) || h.levels > int64(h.uncompressed):
					err = fmt.Errorf("%d bytes of levels in a page of %d", h.levels, h.compressed)
				case !h.compressedV2 && h.compressed != h.uncompressed:
					// arrow reads the uncompressed size of an uncompressed v2 page.
					err = fmt.Errorf("not compressed, but %d bytes and %d uncompressed", h.compressed, h.uncompressed)
				}
				fallthrough
			case dataPage:
				seen += int64(h.values)
				if err == nil && seen > values {
					err = fmt.Errorf("pages hold more than the chunk's %d values", values)
				}
			}
		}
		if err != nil {
			return fmt.Errorf("page %d at byte %d of the chunk: %w", i+1, off-n, err)
		}
		off += int(h.compressed)
	}
	if seen != values {
		return fmt.Errorf("pages hold %d values, the chunk claims %d", seen, values)
	}
	return nil
}

// minBits is the fewest bits a plain-encoded value of type typ takes (0 if
// unknown: a fixed-length array can be empty).
func minBits(typ parquet.Type) int {
	switch typ {
	case parquet.Types.Int32, parquet.Types.Float, parquet.Types.ByteArray: // a byte array's length takes 4 bytes
		return 32
	case parquet.Types.Int64, parquet.Types.Double:
		return 64
	case parquet.Types.Int96:
		return 96
	case parquet.Types.Boolean:
		return 1
	}
	return 0
}

// Page types of parquet.thrift.
const (
	dataPage       = 0
	dictionaryPage = 2
	dataPageV2     = 3
)

// pageHeader holds what arrow sizes its reading of a page by.
type pageHeader struct {
	typ, uncompressed, compressed int32
	values                        int32 // num_values of the header of the page's type
	levels                        int64 // data page v2: bytes of definition and repetition levels
	compressedV2                  bool  // data page v2: is_compressed
}

// readPageHeader reads a PageHeader at the start of b as arrow does, and
// returns it with its length. arrow reads all three headers of page types
// (data, dictionary, data v2) that are there, and uses the one of the page's
// type.
func readPageHeader(b []byte) (h pageHeader, n int, err error) {
	c := &compact{b: b, maxValues: maxPageValues}
	var have [3]bool // type, uncompressed_page_size, compressed_page_size
	type sub struct {
		set              bool
		have             uint8 // bit i: the i32 field i+1 was read
		values, def, rep int32
		compressed       bool
	}
	var subs [3]sub // data_page_header, dictionary_page_header, data_page_header_v2
	err = c.strct(func(id int16, typ byte) error {
		switch {
		case id >= 1 && id <= 3 && typ == ctI32:
			v, err := c.i32()
			switch id {
			case 1:
				h.typ = v
			case 2:
				h.uncompressed = v
			case 3:
				h.compressed = v
			}
			have[id-1] = true
			return err
		case (id == 5 || id == 7 || id == 8) && typ == ctStruct:
			i := 0
			switch id {
			case 7:
				i = 1
			case 8:
				i = 2
			}
			s := &subs[i]
			*s = sub{set: true, compressed: true}
			return c.strct(func(sid int16, styp byte) error {
				switch {
				case sid >= 1 && sid <= 6 && styp == ctI32:
					// num_values, then encodings, or in v2 num_nulls, num_rows,
					// encoding, definition_ and repetition_levels_byte_length.
					v, err := c.i32()
					s.have |= 1 << (sid - 1)
					switch sid {
					case 1:
						s.values = v
					case 5:
						s.def = v
					case 6:
						s.rep = v
					}
					return err
				case id == 8 && sid == 7 && (styp == ctTrue || styp == ctFalse): // is_compressed
					s.compressed = styp == ctTrue
					return nil
				}
				return c.skip(styp, true)
			})
		}
		return c.skip(typ, true)
	})
	if err != nil {
		return h, 0, err
	}
	if !have[0] || !have[1] || !have[2] {
		return h, 0, errors.New("page header without its type or sizes")
	}
	// The fields arrow requires of each header: without them it fails to
	// decode the header, and tries again with ever larger buffers.
	var s sub
	var required uint8
	switch h.typ {
	case dataPage:
		s, required = subs[0], 0b1111
	case dictionaryPage:
		s, required = subs[1], 0b11
	case dataPageV2:
		s, required = subs[2], 0b111111
		if s.def < 0 || s.rep < 0 {
			return h, 0, errors.New("page with levels of negative length")
		}
	default:
		return h, 0, fmt.Errorf("page of type %d, not data or dictionary", h.typ)
	}
	if !s.set || s.have&required != required {
		return h, 0, fmt.Errorf("page of type %d without its number of values or encodings", h.typ)
	}
	h.values, h.levels, h.compressedV2 = s.values, int64(s.def)+int64(s.rep), s.compressed
	return h, c.off, nil
}
