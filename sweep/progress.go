package sweep

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// counts are the live numbers of a run, updated by the workers and read by
// the one goroutine that reports them.
type counts struct {
	total    int
	done     atomic.Int64 // finished this run: ok, diverged or failed
	running  atomic.Int64
	failed   atomic.Int64
	diverged atomic.Int64
}

// reporter shows progress on stderr: a live bar on a terminal, plain lines
// every interval otherwise (batch logs). Log lines go through it so that they
// do not tear the bar.
type reporter struct {
	c     *counts
	start time.Time
	w     io.Writer

	mu   sync.Mutex // serialises plain output
	p    *mpb.Progress
	bar  *mpb.Bar
	stop chan struct{}
	wg   sync.WaitGroup
}

func newReporter(w io.Writer, c *counts, tty bool, interval time.Duration) *reporter {
	r := &reporter{c: c, start: time.Now(), w: w, stop: make(chan struct{})}
	if tty && c.total > 0 {
		r.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(100), mpb.WithRefreshRate(200*time.Millisecond))
		r.bar = r.p.AddBar(int64(c.total),
			mpb.PrependDecorators(
				decor.CountersNoUnit("%d/%d cells", decor.WCSyncWidth),
			),
			mpb.AppendDecorators(
				decor.Any(func(decor.Statistics) string {
					return fmt.Sprintf("%d running, %d failed", c.running.Load(), c.failed.Load())
				}),
				decor.Name("  "),
				decor.Elapsed(decor.ET_STYLE_GO),
				decor.Name("  ETA "),
				decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO), "done"),
			),
		)
		return r
	}
	if interval > 0 && c.total > 0 {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-r.stop:
					return
				case <-t.C:
					r.logf("%s", r.line())
				}
			}
		}()
	}
	return r
}

// line is the plain progress line.
func (r *reporter) line() string {
	done := r.c.done.Load()
	el := time.Since(r.start)
	eta := "?"
	if done > 0 {
		left := time.Duration(float64(el) / float64(done) * float64(int64(r.c.total)-done))
		eta = left.Round(time.Second).String()
	}
	return fmt.Sprintf("progress: %d/%d cells, %d running, %d failed, %d diverged, elapsed %s, eta %s",
		done, r.c.total, r.c.running.Load(), r.c.failed.Load(), r.c.diverged.Load(),
		el.Round(time.Second), eta)
}

// cellDone advances the bar by one finished cell.
func (r *reporter) cellDone() {
	if r.bar != nil {
		r.bar.Increment()
	}
}

// logf prints one line above the bar, or plainly.
func (r *reporter) logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...) + "\n"
	if r.p != nil {
		r.p.Write([]byte(msg))
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	io.WriteString(r.w, msg)
}

// close stops the reporter; the bar stays on screen as it ended.
func (r *reporter) close() {
	if r.p != nil {
		if !r.bar.Completed() {
			r.bar.Abort(false)
		}
		r.p.Wait()
		r.p = nil
		return
	}
	close(r.stop)
	r.wg.Wait()
}
