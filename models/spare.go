package models

import "sync/atomic"

// Spare counts the job slots of a run that no cell uses: when fewer cells
// are left than jobs (one MNIST cell on a laptop, a Slurm task with more
// CPUs than cells), the scheduler gives the slots of finished cells here,
// and a cell may take some for goroutines of its own (the MNIST
// evaluation's chunks) and gives them back when done. What a cell computes
// must not depend on how many it got. Safe for concurrent use; a nil
// *Spare has no slots.
type Spare struct{ n atomic.Int64 }

// Give returns n slots (n >= 0).
func (s *Spare) Give(n int) {
	if s != nil && n > 0 {
		s.n.Add(int64(n))
	}
}

// Take takes up to max free slots without waiting and returns how many it
// took (0 when there are none, or for a nil Spare).
func (s *Spare) Take(max int) int {
	if s == nil {
		return 0
	}
	for {
		free := s.n.Load()
		k := min(free, int64(max))
		if k <= 0 {
			return 0
		}
		if s.n.CompareAndSwap(free, free-k) {
			return int(k)
		}
	}
}

// Free returns the number of free slots now.
func (s *Spare) Free() int {
	if s == nil {
		return 0
	}
	return int(s.n.Load())
}
