package results

import (
	"sync"
	_ "unsafe" // for go:linkname

	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// Arrow Go v15 compresses each Parquet page with a zstd encoder made for
// that page alone (compress.zstdCodec.EncodeLevel), and a klauspost encoder
// allocates its state for every core up front: writing one 24-column runs
// file cost 36 ms and 140 MB on 2 cores, and grows with the core count.
// Later arrow-go versions pool the encoders; the project is held to v15, so
// we replace v15's zstd codec in its registry with one that keeps encoders
// in a pool. The bytes written are standard zstd frames, decoded by any
// reader; TestZstdCodecIsPooled checks both the cost and the output.

//go:linkname codecs github.com/apache/arrow/go/v15/parquet/compress.codecs
var codecs map[compress.Compression]compress.Codec

func init() {
	orig, ok := codecs[compress.Codecs.Zstd]
	if !ok {
		panic("results: arrow has no zstd codec to replace")
	}
	codecs[compress.Codecs.Zstd] = &pooledZstd{Codec: orig}
}

// pooledZstd is arrow's zstd codec with pooled block encoders, and a
// decoder that never writes past the capacity of the buffer it is given.
// Streams stay arrow's.
type pooledZstd struct {
	compress.Codec
	mu    sync.Mutex
	pools map[zstd.EncoderLevel]*sync.Pool
}

// Decoders of pages. arrow gives Decode a buffer of the page's uncompressed
// size, which check.go bounds, and its own decoder grows the buffer to
// whatever a damaged frame claims (up to 64 GiB); capDecoder stops at the
// buffer's capacity. A caller that gives no buffer (arrow does for pages of
// no bytes) gets at most maxBufferlessDecode bytes.
var (
	capDecoder = sync.OnceValue(func() *zstd.Decoder {
		return newDecoder(zstd.WithDecodeAllCapLimit(true))
	})
	bufferlessDecoder = sync.OnceValue(func() *zstd.Decoder {
		return newDecoder(zstd.WithDecoderMaxMemory(maxBufferlessDecode))
	})
)

const maxBufferlessDecode = 16 << 20

func newDecoder(opt zstd.DOption) *zstd.Decoder {
	d, err := zstd.NewReader(nil, opt)
	if err != nil {
		panic("results: " + err.Error())
	}
	return d
}

// Decode decompresses src into dst[:0], within cap(dst) if it has any; like
// arrow's, it panics on a damaged frame (the codec interface returns no
// error), which readTable recovers.
func (z *pooledZstd) Decode(dst, src []byte) []byte {
	d := capDecoder()
	if cap(dst) == 0 {
		d = bufferlessDecoder()
	}
	dst, err := d.DecodeAll(src, dst[:0])
	if err != nil {
		panic("results: zstd: " + err.Error())
	}
	return dst
}

func (z *pooledZstd) pool(level zstd.EncoderLevel) *sync.Pool {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.pools == nil {
		z.pools = map[zstd.EncoderLevel]*sync.Pool{}
	}
	p := z.pools[level]
	if p == nil {
		p = &sync.Pool{New: func() any {
			enc, err := zstd.NewWriter(nil, zstd.WithZeroFrames(true),
				zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1))
			if err != nil {
				panic("results: " + err.Error())
			}
			return enc
		}}
		z.pools[level] = p
	}
	return p
}

func (z *pooledZstd) Encode(dst, src []byte) []byte {
	return z.EncodeLevel(dst, src, compress.DefaultCompressionLevel)
}

// EncodeLevel compresses src as arrow's codec does, at the same level.
func (z *pooledZstd) EncodeLevel(dst, src []byte, level int) []byte {
	l := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		l = zstd.EncoderLevelFromZstd(level)
	}
	p := z.pool(l)
	enc := p.Get().(*zstd.Encoder)
	defer p.Put(enc)
	return enc.EncodeAll(src, dst[:0])
}
