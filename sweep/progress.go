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

	// Steps of the cells to run: planned (0 when their experiments do
	// not say), done by earlier runs (the checkpoints resumed from), done
	// by this run, and left out by cells that ended early (diverged,
	// failed). The ETA comes from the rate of this run's steps.
	planned int64
	before  atomic.Int64
	steps   atomic.Int64
	dropped atomic.Int64
}

// stepsDone is the number of steps done of the planned ones.
func (c *counts) stepsDone() int64 { return c.before.Load() + c.steps.Load() + c.dropped.Load() }

// eta estimates the time left after el, from the steps when the cells'
// experiments count them, else from the cells; ok is false before there
// is anything to estimate from.
func (c *counts) eta(el time.Duration) (left time.Duration, ok bool) {
	if c.planned > 0 {
		n := c.steps.Load()
		if n == 0 {
			return 0, false
		}
		rest := max(0, c.planned-c.stepsDone())
		return time.Duration(float64(el) / float64(n) * float64(rest)), true
	}
	done := c.done.Load()
	if done == 0 {
		return 0, false
	}
	return time.Duration(float64(el) / float64(done) * float64(int64(c.total)-done)), true
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
		// The bar counts steps when the cells' experiments say how many
		// they take (an MNIST cell is hours of steps), else cells.
		total := int64(c.total)
		if c.planned > 0 {
			total = c.planned
		}
		r.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(100), mpb.WithRefreshRate(200*time.Millisecond))
		r.bar = r.p.AddBar(total,
			mpb.PrependDecorators(
				decor.Any(func(decor.Statistics) string {
					return fmt.Sprintf("%d/%d cells", c.done.Load(), c.total)
				}),
			),
			mpb.AppendDecorators(
				decor.Percentage(),
				decor.Any(func(decor.Statistics) string {
					return fmt.Sprintf("  %d running, %d failed", c.running.Load(), c.failed.Load())
				}),
				decor.Name("  "),
				decor.Elapsed(decor.ET_STYLE_GO),
				decor.Any(func(decor.Statistics) string {
					if left, ok := c.eta(time.Since(r.start)); ok {
						return "  ETA " + left.Round(time.Second).String()
					}
					return "  ETA ?"
				}),
			),
		)
		if c.planned > 0 {
			r.every(200*time.Millisecond, func() { r.bar.SetCurrent(min(c.stepsDone(), c.planned)) })
		}
		return r
	}
	if interval > 0 && c.total > 0 {
		r.every(interval, func() { r.logf("%s", r.line()) })
	}
	return r
}

// every calls fn every d until the reporter closes.
func (r *reporter) every(d time.Duration, fn func()) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
				fn()
			}
		}
	}()
}

// line is the plain progress line.
func (r *reporter) line() string {
	el := time.Since(r.start)
	eta := "?"
	if left, ok := r.c.eta(el); ok {
		eta = left.Round(time.Second).String()
	}
	steps := ""
	if r.c.planned > 0 {
		done := min(r.c.stepsDone(), r.c.planned)
		steps = fmt.Sprintf(" (steps %d/%d, %.1f%%)", done, r.c.planned, 100*float64(done)/float64(r.c.planned))
	}
	return fmt.Sprintf("progress: %d/%d cells%s, %d running, %d failed, %d diverged, elapsed %s, eta %s",
		r.c.done.Load(), r.c.total, steps, r.c.running.Load(), r.c.failed.Load(), r.c.diverged.Load(),
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
	close(r.stop)
	r.wg.Wait()
	if r.p != nil {
		if r.c.planned > 0 {
			r.bar.SetCurrent(min(r.c.stepsDone(), r.c.planned))
		}
		if !r.bar.Completed() {
			r.bar.Abort(false)
		}
		r.p.Wait()
		r.p = nil
	}
}
