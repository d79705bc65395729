package mnist

import (
	"bufio"
	"compress/gzip"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"slices"
)

// IDX magic numbers: two zero bytes, the element type (0x08: unsigned byte)
// and the number of dimensions.
const (
	magicImages = 0x00000803
	magicLabels = 0x00000801
)

// kind describes one of the two IDX layouts that MNIST uses.
type kind struct {
	magic  uint32
	header int    // bytes before the payload
	what   string // "images" or "labels"
}

var (
	imagesKind = kind{magic: magicImages, header: 16, what: "images"}
	labelsKind = kind{magic: magicLabels, header: 8, what: "labels"}
)

// idxFile is one IDX file as read: its payload and what Load needs to check
// it against the official files.
type idxFile struct {
	data    []uint8 // the payload: n*ImageSize pixels or n labels
	n       int
	gzipped bool
	fileMD5 [md5.Size]byte // of the file as stored
	rawMD5  [md5.Size]byte // of its decompressed contents (== fileMD5 if not gzipped)
}

// ReadImages reads an IDX images file (such as train-images-idx3-ubyte),
// raw or gzipped, and returns its n images of Rows x Cols pixels, row-major,
// one image after the other. It checks the format (magic number, image size,
// length, at most NumTrain images) but neither the exact number of images
// nor the checksum: Load does.
func ReadImages(path string) (pixels []uint8, n int, err error) {
	f, err := readIDX(path, imagesKind)
	if err != nil {
		return nil, 0, err
	}
	return f.data, f.n, nil
}

// ReadLabels reads an IDX labels file (such as train-labels-idx1-ubyte), raw
// or gzipped, and returns its labels. It checks the format (magic number,
// length, at most NumTrain labels, every label in 0..9) but neither the
// exact number of labels nor the checksum: Load does.
func ReadLabels(path string) ([]uint8, error) {
	f, err := readIDX(path, labelsKind)
	if err != nil {
		return nil, err
	}
	return f.data, nil
}

// readIDX reads and checks the IDX file of kind k at path.
func readIDX(path string, k kind) (*idxFile, error) {
	osf, err := os.Open(path)
	if err != nil {
		return nil, ioError(path, err)
	}
	defer osf.Close()
	size := int64(-1)
	if fi, err := osf.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return decodeIDX(path, osf, size, k)
}

// maxCount is the most images or labels an IDX file may hold: MNIST's
// training set. It bounds what a corrupt header or a gzip bomb costs.
const maxCount = NumTrain

// maxDeflateRatio is the most that deflate expands: 258 bytes from about 2
// bits.
const maxDeflateRatio = 1032

// payloadHint is how many payload bytes r, of size bytes (-1: unknown),
// is expected to hold, or -1 if unknown: for a raw file its size less the
// header; for a gzipped one that can be read at an offset, the size of the
// contents that its trailer records (ISIZE, the last 4 bytes), as far as
// deflate could expand the file, so that a lying trailer costs no more than
// the file could hold.
func payloadHint(r io.Reader, size int64, gzipped bool, k kind) int64 {
	switch ra, ok := r.(io.ReaderAt); {
	case size < 0:
		return -1
	case !gzipped:
		return size - int64(k.header)
	case ok && size >= 18: // a gzip header and trailer
		var isize [4]byte
		if _, err := ra.ReadAt(isize[:], size-4); err != nil {
			return -1
		}
		return min(int64(binary.LittleEndian.Uint32(isize[:])), maxDeflateRatio*size) - int64(k.header)
	}
	return -1
}

// decodeIDX reads and checks one IDX file of kind k from r, raw or gzipped,
// hashing it on the way; path names it in errors. size is the length of r
// if known, else -1: with it the buffers start at the size of the data
// (payloadHint). Either way memory grows with the data that r holds, not
// with what the header claims.
func decodeIDX(path string, r io.Reader, size int64, k kind) (*idxFile, error) {
	fail := func(err error, format string, args ...any) (*idxFile, error) {
		return nil, &FileError{Path: path, Msg: fmt.Sprintf(format, args...), Err: err}
	}
	fileHash := md5.New()
	bufSize := 1 << 16
	if size >= 0 {
		bufSize = int(min(max(size, 16), int64(bufSize))) // bufio's least is 16
	}
	br := bufio.NewReaderSize(io.TeeReader(r, fileHash), bufSize)
	out := &idxFile{}
	var content io.Reader = br
	var rawHash hash.Hash
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		out.gzipped = true
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, gzipError(path, err)
		}
		defer zr.Close()
		rawHash = md5.New()
		content = io.TeeReader(zr, rawHash)
	}
	// A stream error from here on is an I/O error of the file or, for a
	// gzipped file, corrupt compressed data.
	streamErr := func(err error) (*idxFile, error) {
		if out.gzipped {
			return nil, gzipError(path, err)
		}
		return nil, ioError(path, err)
	}
	after := ""
	if out.gzipped {
		after = " after decompression"
	}

	head, err := readUpTo(content, int64(k.header), -1)
	if err != nil {
		return streamErr(err)
	}
	// The magic number first: it says more about a wrong file than its size.
	if len(head) >= 4 {
		if m := binary.BigEndian.Uint32(head); m != k.magic {
			return fail(ErrFormat, "bad magic number 0x%08x (want 0x%08x for %s)", m, k.magic, k.what)
		}
	}
	if len(head) < k.header {
		return fail(ErrFormat, "truncated: file has %d bytes%s, shorter than the %d-byte IDX header of %s",
			len(head), after, k.header, k.what)
	}
	count := int64(binary.BigEndian.Uint32(head[4:]))
	itemSize := int64(1)
	desc := fmt.Sprintf("%d labels", count)
	if k == imagesKind {
		rows, cols := binary.BigEndian.Uint32(head[8:]), binary.BigEndian.Uint32(head[12:])
		if rows != Rows || cols != Cols {
			return fail(ErrFormat, "image size %dx%d, want %dx%d", rows, cols, Rows, Cols)
		}
		itemSize = ImageSize
		desc = fmt.Sprintf("%d images of %dx%d", count, rows, cols)
	}
	if count > maxCount {
		return fail(ErrFormat, "header says %s, more than the %d of MNIST's training set", desc, maxCount)
	}
	payload := count * itemSize
	want := int64(k.header) + payload

	data, err := readUpTo(content, payload, payloadHint(r, size, out.gzipped, k))
	if err != nil {
		return streamErr(err)
	}
	if int64(len(data)) < payload {
		return fail(ErrFormat, "truncated: header says %s (%d bytes), file has %d bytes%s",
			desc, want, int64(k.header)+int64(len(data)), after)
	}
	// Read to the end: this finds trailing data, lets gzip verify its
	// checksum, and completes both MD5s.
	extra, err := io.Copy(io.Discard, content)
	if err != nil {
		return streamErr(err)
	}
	if extra > 0 {
		return fail(ErrFormat, "trailing data: header says %s (%d bytes), file has %d bytes%s",
			desc, want, want+extra, after)
	}
	if _, err := io.Copy(io.Discard, br); err != nil { // what gzip left unread, if anything
		return streamErr(err)
	}
	if k == labelsKind {
		for i, l := range data {
			if l > 9 {
				return fail(ErrFormat, "label %d at index %d out of range 0..9", l, i)
			}
		}
	}

	out.data, out.n = data, int(count)
	fileHash.Sum(out.fileMD5[:0])
	out.rawMD5 = out.fileMD5
	if rawHash != nil {
		rawHash.Sum(out.rawMD5[:0])
	}
	return out, nil
}

// readUpTo reads n bytes from r, or fewer if r ends first (a clean io.EOF is
// not an error). Its buffer starts at hint bytes, what r is expected to
// hold, or 64 KiB if hint is negative (unknown), and grows by doubling, at
// least 64 KiB at a time, as the data comes: a header claiming more than
// there is costs about four times the data actually present at most.
func readUpTo(r io.Reader, n, hint int64) ([]byte, error) {
	const step = 64 << 10
	if hint < 0 {
		hint = step
	}
	buf := make([]byte, 0, min(n, hint))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(n-int64(len(buf)), max(int64(cap(buf)), step))))
		}
		m, err := r.Read(buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// ioError turns an error of the operating system into a FileError for path;
// the path is said once, by the FileError.
func ioError(path string, err error) error {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Op + ": " + pe.Err.Error()
	}
	return &FileError{Path: path, Msg: msg, Err: err}
}

func gzipError(path string, err error) error {
	return &FileError{Path: path, Msg: "corrupt gzip data: " + err.Error(), Err: errors.Join(ErrFormat, err)}
}
