package results

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// tempInfix separates a temporary's target name from its random part.
const tempInfix = ".tmp-"

// WriteFileAtomic writes a file under a temporary name in path's folder, syncs it,
// renames it to path and syncs the folder, so that path either does not exist,
// or holds a complete file; the temporary is removed on any error.
//
// The temporary is named .<base>.tmp-<random>: hidden, and never matched by a
// glob on path's extension. write gets a buffered writer that has no Close
// method, so that writers which close what they are given leave the file open for
// the sync. The file's mode is 0644 whatever the umask. An error after the rename
// (syncing the folder) leaves a complete file at path.
func WriteFileAtomic(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	f, err := os.CreateTemp(dir, "."+base+tempInfix+"*")
	if err != nil {
		return fmt.Errorf("results: %s: %w", path, err)
	}
	tmp, renamed := f.Name(), false
	defer func() {
		// Runs on a panic in write too.
		if !renamed {
			f.Close()
			os.Remove(tmp)
		}
	}()

	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("results: %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := write(bw); err != nil {
		return fmt.Errorf("results: %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("results: %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("results: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("results: %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("results: %s: %w", path, err)
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("results: %s: syncing the folder: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		// Folders cannot be opened for syncing there; NTFS journals renames.
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	cerr := d.Close()
	if err != nil && !syncUnsupported(err) {
		return err
	}
	return cerr
}

// syncUnsupported reports whether err says the file system cannot sync a folder
// (some network and FUSE file systems), which is not a failure of the write.
func syncUnsupported(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) ||
		errors.Is(err, errors.ErrUnsupported)
}

// IsTemp reports whether a file name is one of WriteFileAtomic's temporaries.
// name may be a path: only its last element is looked at.
func IsTemp(name string) bool {
	name = filepath.Base(name)
	i := strings.LastIndex(name, tempInfix)
	// A dot, a non-empty target name, the infix, a random part without dots.
	return strings.HasPrefix(name, ".") && i > 1 &&
		i+len(tempInfix) < len(name) && !strings.Contains(name[i+len(tempInfix):], ".")
}
