package results

import (
	"bytes"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// TestZstdCodecIsPooled checks that arrow's zstd codec is ours, that its
// blocks are standard zstd frames, and that writing a runs file no longer
// costs a zstd encoder per page (140 MB on 2 cores with arrow's own).
func TestZstdCodecIsPooled(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*pooledZstd); !ok {
		t.Fatalf("arrow's zstd codec is %T, not the pooled one", c)
	}
	src := bytes.Repeat([]byte("train_error angle_B_negWT lambda_max "), 300)
	for _, level := range []int{compress.DefaultCompressionLevel, 1, 9} {
		frame := c.EncodeLevel(nil, src, level)
		dec, _ := zstd.NewReader(nil)
		got, err := dec.DecodeAll(frame, nil)
		dec.Close()
		if err != nil || !bytes.Equal(got, src) || len(frame) >= len(src)/4 {
			t.Errorf("level %d: %d bytes -> %d, decoded equal %v, err %v", level, len(src), len(frame), bytes.Equal(got, src), err)
		}
		if back := c.Decode(nil, frame); !bytes.Equal(back, src) {
			t.Errorf("level %d: arrow's decoder does not read the frame back", level)
		}
	}
	path := filepath.Join(t.TempDir(), "r.parquet")
	WriteRun(path, fullRun()) // warm the pool
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 5
	for range n {
		if err := WriteRun(path, fullRun()); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 8<<20 {
		t.Errorf("writing a runs file allocates %d MB, want well under 8 MB", per>>20)
	}
}
