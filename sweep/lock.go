package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// ErrLocked is returned when another run holds the results folder or shard.
var ErrLocked = errors.New("results folder in use")

// holder is what a lock file says about the run that holds it.
type holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Shard   string    `json:"shard"`
	Started time.Time `json:"started"`
}

func (h holder) String() string {
	return fmt.Sprintf("pid %d on %s (shard %s), running since %s", h.PID, h.Host, h.Shard,
		h.Started.Local().Format("2006-01-02 15:04:05"))
}

// folderLock keeps runs of one results folder and shard apart. A whole-sweep
// run takes DIR/.lock exclusively; a shard run takes it shared, plus its own
// DIR/.lock-shard-K-of-N exclusively, so shards run side by side but never
// two copies of one shard, and never a whole run beside a shard. The locks
// are flock(2) locks: the kernel drops them when the process dies, however
// it dies, so there is nothing stale to clean up.
type folderLock struct {
	locks []*flock.Flock
}

func lockFolder(dir string, k, n int) (*folderLock, error) {
	me := holder{PID: os.Getpid(), Shard: fmt.Sprintf("%d/%d", k, n), Started: time.Now().UTC()}
	me.Host, _ = os.Hostname()
	folder := flock.New(filepath.Join(dir, ".lock"))
	l := &folderLock{}
	if n == 1 {
		ok, err := folder.TryLock()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%w: %s is held by %s", ErrLocked, dir, holders(dir))
		}
		l.locks = append(l.locks, folder)
		writeHolder(folder.Path(), me)
		return l, nil
	}
	ok, err := folder.TryRLock()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s is held by %s", ErrLocked, dir, holders(dir))
	}
	l.locks = append(l.locks, folder)
	shard := flock.New(filepath.Join(dir, fmt.Sprintf(".lock-shard-%d-of-%d", k, n)))
	ok, err = shard.TryLock()
	if err == nil && !ok {
		err = fmt.Errorf("%w: shard %d/%d of %s is held by %s", ErrLocked, k, n, dir, readHolder(shard.Path()))
	}
	if err != nil {
		l.unlock()
		return nil, err
	}
	l.locks = append(l.locks, shard)
	writeHolder(shard.Path(), me)
	return l, nil
}

func (l *folderLock) unlock() {
	for i := len(l.locks) - 1; i >= 0; i-- {
		l.locks[i].Unlock()
	}
}

// writeHolder records who holds a lock, for the message a second run prints.
// The lock is the flock, not the contents, so a failed write only loses that.
func writeHolder(path string, h holder) {
	js, _ := json.Marshal(h)
	os.WriteFile(path, append(js, '\n'), 0o644)
}

func readHolder(path string) string {
	js, err := os.ReadFile(path)
	var h holder
	if err != nil || json.Unmarshal(js, &h) != nil {
		return "another process"
	}
	return h.String()
}

// holders describes whoever holds dir, for the message of a run that
// could not take its lock.
func holders(dir string) string {
	if busy := busyShards(dir); len(busy) > 0 {
		return "shard runs: " + strings.Join(busy, "; ")
	}
	return readHolder(filepath.Join(dir, ".lock"))
}

// busyShards describes the holders of dir's shard locks that are held now.
func busyShards(dir string) []string {
	paths, _ := filepath.Glob(filepath.Join(dir, ".lock-shard-*"))
	var out []string
	for _, p := range paths {
		f := flock.New(p)
		ok, err := f.TryLock()
		if err != nil {
			continue
		}
		if ok {
			f.Unlock()
			continue
		}
		out = append(out, readHolder(p))
	}
	return out
}

// Running describes the runs that hold dir's locks now: the shard runs (by
// their lock files), or a whole run, or nothing.
func Running(dir string) []string {
	f := flock.New(filepath.Join(dir, ".lock"))
	ok, err := f.TryLock()
	if err != nil {
		return nil
	}
	if ok {
		f.Unlock()
		return nil
	}
	if busy := busyShards(dir); len(busy) > 0 {
		return busy
	}
	return []string{readHolder(filepath.Join(dir, ".lock"))}
}
