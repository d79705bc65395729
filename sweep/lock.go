package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
	return fmt.Sprintf("pid %d on %s (shard %s), running since %s", h.PID, h.Host, h.Shard, h.since())
}

func (h holder) since() string { return h.Started.Local().Format("2006-01-02 15:04:05") }

// folderLock keeps runs of one results folder and shard apart. A whole-sweep
// run takes DIR/.lock exclusively; a shard run takes it shared, plus its own
// DIR/.lock-shard-K-of-N exclusively, so shards run side by side but never
// two copies of one shard, and never a whole run beside a shard. Shards of
// different N hold overlapping cells, so a shard run also takes
// DIR/.lock-shards-of-N shared, after checking that no other
// DIR/.lock-shards-of-M is held; the check and the taking happen under the
// exclusive DIR/.lock-shards, so that of two runs starting at once with
// different N one wins. The locks are flock(2) locks: the kernel drops them
// when the process dies, however it dies, so there is nothing stale to clean
// up. Lock files stay behind, unlocked; only a held lock means a run.
type folderLock struct {
	locks []*flock.Flock
}

// gateWait bounds the wait for DIR/.lock-shards, which a starting shard run
// holds for a few system calls.
const gateWait = 10 * time.Second

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
	folder, err := sharedFolderLock(dir)
	if err != nil {
		return nil, err
	}
	l.locks = append(l.locks, folder)
	if err := l.lockShardCount(dir, n); err != nil {
		l.unlock()
		return nil, err
	}
	shard := flock.New(filepath.Join(dir, fmt.Sprintf(".lock-shard-%d-of-%d", k, n)))
	ok, err := shard.TryLock()
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

// sharedFolderLock takes DIR/.lock shared, as shard runs and Prepare do:
// it fails with ErrLocked while a whole run holds the folder.
func sharedFolderLock(dir string) (*flock.Flock, error) {
	folder := flock.New(filepath.Join(dir, ".lock"))
	ok, err := folder.TryRLock()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s is held by %s", ErrLocked, dir, holders(dir))
	}
	return folder, nil
}

// lockShardCount takes DIR/.lock-shards-of-N shared for l unless shard runs
// of another count hold the folder.
func (l *folderLock) lockShardCount(dir string, n int) error {
	gate := flock.New(filepath.Join(dir, ".lock-shards"))
	ctx, cancel := context.WithTimeout(context.Background(), gateWait)
	defer cancel()
	ok, err := gate.TryLockContext(ctx, 10*time.Millisecond)
	if !ok {
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%w: %s: %s stayed locked for %v (a shard run starting, or stopped while starting)",
				ErrLocked, dir, gate.Path(), gateWait)
		}
		return err
	}
	defer gate.Unlock()
	paths, err := filepath.Glob(filepath.Join(dir, ".lock-shards-of-*"))
	if err != nil {
		return err
	}
	for _, p := range paths {
		m, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), ".lock-shards-of-"))
		if err != nil || m == n {
			continue
		}
		other := flock.New(p)
		free, err := other.TryLock()
		if err != nil {
			return err
		}
		if free {
			other.Unlock()
			continue
		}
		var who []string
		for _, p := range heldShards(dir) {
			var k, m2 int
			if _, err := fmt.Sscanf(filepath.Base(p), ".lock-shard-%d-of-%d", &k, &m2); err != nil || m2 != m {
				continue
			}
			if h, ok := readHolderOf(p); ok {
				who = append(who, fmt.Sprintf("shard %d/%d by pid %d on %s since %s", k, m, h.PID, h.Host, h.since()))
			} else {
				who = append(who, fmt.Sprintf("shard %d/%d by another process", k, m))
			}
		}
		held := ""
		if len(who) > 0 {
			held = " (" + strings.Join(who, "; ") + ")"
		}
		return fmt.Errorf("%w: %s is being run as shards of %d%s; this run asks for shards of %d",
			ErrLocked, dir, m, held, n)
	}
	count := flock.New(filepath.Join(dir, fmt.Sprintf(".lock-shards-of-%d", n)))
	if ok, err = count.TryRLock(); err == nil && !ok { // only a check under the gate locks it exclusively
		err = fmt.Errorf("%w: %s is locked exclusively", ErrLocked, count.Path())
	}
	if err != nil {
		return err
	}
	l.locks = append(l.locks, count)
	return nil
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
	h, ok := readHolderOf(path)
	if !ok {
		return "another process"
	}
	return h.String()
}

func readHolderOf(path string) (holder, bool) {
	js, err := os.ReadFile(path)
	var h holder
	if err != nil || json.Unmarshal(js, &h) != nil {
		return holder{}, false
	}
	return h, true
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
	var out []string
	for _, p := range heldShards(dir) {
		out = append(out, readHolder(p))
	}
	return out
}

// heldShards returns the paths of dir's shard locks that are held now.
func heldShards(dir string) []string {
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
		out = append(out, p)
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
