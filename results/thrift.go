package results

import (
	"errors"
	"fmt"
	"math"
)

// Parquet's metadata, the footer and each page header, is Thrift's compact
// protocol, and arrow decodes it trusting what it claims: a list's length
// sizes an allocation before any element is read. compact walks the same bytes
// without allocating, refusing what no valid encoding holds, so that arrow
// decodes only what the walk accepted.

// Types of the compact protocol, as they appear in field headers and in the
// headers of lists, sets and maps.
const (
	ctStop   = 0
	ctTrue   = 1
	ctFalse  = 2
	ctByte   = 3
	ctI16    = 4
	ctI32    = 5
	ctI64    = 6
	ctDouble = 7
	ctBinary = 8
	ctList   = 9
	ctSet    = 10
	ctMap    = 11
	ctStruct = 12
)

// maxThriftDepth bounds the nesting of structs, lists and maps. Parquet's
// footer nests 7 deep (FileMetaData, row groups, a row group, column chunks, a
// chunk, its metadata, its statistics); thrift's own skipping stops at 64.
const maxThriftDepth = 32

var errThriftShort = errors.New("ends in the middle of a value")

// compact reads Thrift's compact protocol from b. It fails where a valid
// encoding could not be: a length larger than the bytes left (every byte of a
// string, every element of a list, takes at least a byte), nesting deeper than
// maxThriftDepth, more than maxValues values, an unknown type, a varint longer
// than 10 bytes.
type compact struct {
	b         []byte
	off       int
	depth     int
	values    int // fields and elements read
	maxValues int
}

func (c *compact) left() int { return len(c.b) - c.off }

func (c *compact) byte() (byte, error) {
	if c.off >= len(c.b) {
		return 0, errThriftShort
	}
	c.off++
	return c.b[c.off-1], nil
}

func (c *compact) uvarint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 70; shift += 7 {
		b, err := c.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("varint longer than 10 bytes at offset %d", c.off)
}

// i32 reads a zigzag varint that must fit 32 bits (thrift would truncate a
// longer one).
func (c *compact) i32() (int32, error) {
	v, err := c.uvarint()
	if err != nil {
		return 0, err
	}
	if v > math.MaxUint32 {
		return 0, fmt.Errorf("i32 of more than 32 bits at offset %d", c.off)
	}
	return int32(uint32(v)>>1) ^ -int32(v&1), nil
}

func (c *compact) i64() (int64, error) {
	v, err := c.uvarint()
	return int64(v>>1) ^ -int64(v&1), err
}

// length reads the length of a string or container whose every unit takes at
// least unit bytes.
func (c *compact) length(unit int) (int, error) {
	v, err := c.uvarint()
	if err != nil {
		return 0, err
	}
	if v > uint64(c.left()/unit) {
		return 0, fmt.Errorf("length %d at offset %d, more than the %d bytes left", v, c.off, c.left())
	}
	return int(v), nil
}

// count counts n more values against maxValues.
func (c *compact) count(n int) error {
	c.values += n
	if c.values > c.maxValues {
		return fmt.Errorf("more than %d values", c.maxValues)
	}
	return nil
}

func (c *compact) enter() error {
	c.depth++
	if c.depth > maxThriftDepth {
		return fmt.Errorf("nested more than %d deep at offset %d", maxThriftDepth, c.off)
	}
	return nil
}

// strct reads a struct, calling field for each field: field must read or skip
// the value (a boolean field's value is its type, ctTrue or ctFalse).
func (c *compact) strct(field func(id int16, typ byte) error) error {
	if err := c.enter(); err != nil {
		return err
	}
	defer func() { c.depth-- }()
	var id int16
	for {
		h, err := c.byte()
		if err != nil {
			return err
		}
		typ := h & 0x0f
		if typ == ctStop {
			return nil
		}
		if typ > ctStruct {
			return fmt.Errorf("unknown field type %d at offset %d", typ, c.off-1)
		}
		if delta := int16(h >> 4); delta != 0 {
			id += delta
		} else {
			v, err := c.i32()
			if err != nil {
				return err
			}
			if v < math.MinInt16 || v > math.MaxInt16 {
				return fmt.Errorf("field id %d at offset %d", v, c.off)
			}
			id = int16(v)
		}
		if err := c.count(1); err != nil {
			return err
		}
		if err := field(id, typ); err != nil {
			return err
		}
	}
}

// list reads the header of a list or set, checking that its elements are of
// type elem (as arrow reads them whatever the header says), then calls each for
// every element.
func (c *compact) list(elem byte, each func() error) error {
	typ, n, err := c.listHeader()
	if err != nil {
		return err
	}
	if n > 0 && typ != elem {
		return fmt.Errorf("list of type %d at offset %d, want %d", typ, c.off, elem)
	}
	if err := c.enter(); err != nil {
		return err
	}
	defer func() { c.depth-- }()
	for range n {
		if err := each(); err != nil {
			return err
		}
	}
	return nil
}

func (c *compact) listHeader() (typ byte, n int, err error) {
	h, err := c.byte()
	if err != nil {
		return 0, 0, err
	}
	typ, n = h&0x0f, int(h>>4)
	if n == 15 {
		if n, err = c.length(1); err != nil {
			return 0, 0, err
		}
	} else if n > c.left() {
		return 0, 0, fmt.Errorf("list of %d at offset %d, more than the %d bytes left", n, c.off, c.left())
	}
	if typ == ctFalse {
		typ = ctTrue
	}
	if n > 0 && (typ == ctStop || typ > ctStruct) {
		return 0, 0, fmt.Errorf("list of unknown type %d at offset %d", typ, c.off)
	}
	return typ, n, c.count(n)
}

// skip reads a value of type typ; field says whether it is a field's (whose
// boolean is in its type) or an element's.
func (c *compact) skip(typ byte, field bool) error {
	switch typ {
	case ctTrue, ctFalse:
		if field {
			return nil
		}
		_, err := c.byte()
		return err
	case ctByte:
		_, err := c.byte()
		return err
	case ctI16, ctI32, ctI64:
		_, err := c.uvarint()
		return err
	case ctDouble:
		if c.left() < 8 {
			return errThriftShort
		}
		c.off += 8
		return nil
	case ctBinary:
		n, err := c.length(1)
		c.off += n
		return err
	case ctList, ctSet:
		typ, n, err := c.listHeader()
		if err != nil {
			return err
		}
		if err := c.enter(); err != nil {
			return err
		}
		defer func() { c.depth-- }()
		for range n {
			if err := c.skip(typ, false); err != nil {
				return err
			}
		}
		return nil
	case ctMap:
		n, err := c.length(2)
		if err != nil || n == 0 {
			return err
		}
		kv, err := c.byte()
		if err != nil {
			return err
		}
		k, v := kv>>4, kv&0x0f
		if k == ctStop || k > ctStruct || v == ctStop || v > ctStruct {
			return fmt.Errorf("map of unknown types %d, %d at offset %d", k, v, c.off)
		}
		if err := c.count(2 * n); err != nil {
			return err
		}
		if err := c.enter(); err != nil {
			return err
		}
		defer func() { c.depth-- }()
		for range n {
			if err := c.skip(k, false); err != nil {
				return err
			}
			if err := c.skip(v, false); err != nil {
				return err
			}
		}
		return nil
	case ctStruct:
		return c.strct(func(_ int16, typ byte) error { return c.skip(typ, true) })
	}
	return fmt.Errorf("unknown type %d at offset %d", typ, c.off)
}
