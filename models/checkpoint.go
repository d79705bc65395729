package models

import (
	"encoding"
	"fmt"
	"math/rand/v2"
	"slices"
)

// State is a run's complete state between two steps: what a checkpoint
// holds, so that a run continued from it gives the bits of a run never
// stopped. Trainer.State takes it and NewTrainer (through
// TrainOptions.Checkpoints) puts it back.
type State struct {
	Step   int    // steps done: the next step to run
	Result Result // Train's result so far (steps, last recorded errors)
	Sizes  []int  // the network's layer sizes, input first: W of layer l is Sizes[l+1] x Sizes[l], its B the transpose's shape

	Weights  [][]float64 // each layer's W, row by row
	Biases   [][]float64 // each layer's biases (nil for a layer without)
	Feedback [][]float64 // each layer's feedback B, row by row (nil where none)
	SDIB     []float64   // SDI: the loop's own feedback (nil otherwise)
	Rand     []byte      // the trainer's stream: feedback and the optimiser's fresh starts

	SSARuns, SSARetries int

	// Own holds the state an experiment keeps (Trainer.Keep): the order of
	// the examples, say.
	Own map[string][]byte
}

// Checkpoints are how a run saves its state and finds the state an earlier
// run of the same cell saved (Env.Checkpoints; nil: none). The sweep
// implements them, one per cell; Trainer.Train calls them between steps,
// on the run's goroutine.
type Checkpoints interface {
	// Resume returns the state to continue from, or nil to start from
	// zero. It is asked once, when the trainer is made.
	Resume() *State
	// Due reports whether a checkpoint is wanted now, with steps the
	// number of steps done (which the sweep shows as progress); it is
	// asked before every step, so it must be cheap.
	Due(steps int) bool
	// Save keeps st; the run waits until it returns. st is the trainer's
	// and valid only during the call.
	Save(st *State) error
	// Final receives the state of a run that trained to its end (or
	// diverged): the final weights.
	Final(st *State)
}

// Kept is the state of an experiment's own that a checkpoint holds
// (Trainer.Keep): its binary form, and its restoration from it.
type Kept interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// Keep makes v part of the trainer's checkpoints under name. When the run
// continues from a checkpoint, v is restored from it at once; a checkpoint
// without that name is an error (it was not made by this experiment's
// code).
func (t *Trainer) Keep(name string, v Kept) error {
	if t.kept == nil {
		t.kept = map[string]Kept{}
	}
	if _, dup := t.kept[name]; dup {
		panic("models: Keep of " + name + " twice")
	}
	t.kept[name] = v
	if t.resumed == nil {
		return nil
	}
	b, ok := t.resumed.Own[name]
	if !ok {
		return fmt.Errorf("%w: it holds no %q", ErrCheckpoint, name)
	}
	if err := v.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("%w: its %q: %v", ErrCheckpoint, name, err)
	}
	return nil
}

// ErrCheckpoint is the error of a checkpoint that does not fit the run it
// should continue.
var ErrCheckpoint = fmt.Errorf("models: checkpoint does not fit the run")

// State returns the trainer's state after steps steps, with res the
// result so far (see State). Its slices are copies.
func (t *Trainer) State(steps int, res Result) (*State, error) {
	st := &State{Step: steps, Result: res, Sizes: t.net.Sizes(), SSARuns: t.ssaRuns, SSARetries: t.ssaRetries}
	for l, ly := range t.net.Layers {
		st.Weights = append(st.Weights, slices.Clone(ly.W.RawMatrix().Data))
		st.Biases = append(st.Biases, slices.Clone(ly.Bias))
		var fb []float64
		if t.fb[l] != nil {
			fb = slices.Clone(t.fb[l].RawMatrix().Data)
		}
		st.Feedback = append(st.Feedback, fb)
	}
	if t.sdiB != nil {
		st.SDIB = slices.Clone(t.sdiB.RawMatrix().Data)
	}
	var err error
	if st.Rand, err = t.src.MarshalBinary(); err != nil {
		return nil, err
	}
	if len(t.kept) > 0 {
		st.Own = make(map[string][]byte, len(t.kept))
		for name, v := range t.kept {
			if st.Own[name], err = v.MarshalBinary(); err != nil {
				return nil, fmt.Errorf("models: keeping %q: %w", name, err)
			}
		}
	}
	return st, nil
}

// restore puts st back into the trainer, checking every shape.
func (t *Trainer) restore(st *State) error {
	L := len(t.net.Layers)
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrCheckpoint, what) }
	if len(st.Weights) != L || len(st.Biases) != L || len(st.Feedback) != L {
		return bad(fmt.Sprintf("it has %d layers, the network %d", len(st.Weights), L))
	}
	if st.Step < 0 {
		return bad("a negative step")
	}
	for l, ly := range t.net.Layers {
		w := ly.W.RawMatrix().Data
		if len(st.Weights[l]) != len(w) || len(st.Biases[l]) != len(ly.Bias) {
			return bad(fmt.Sprintf("layer %d has another shape", l))
		}
		var fb []float64
		if t.fb[l] != nil {
			fb = t.fb[l].RawMatrix().Data
		}
		if len(st.Feedback[l]) != len(fb) {
			return bad(fmt.Sprintf("layer %d's feedback has another shape", l))
		}
	}
	var sdi []float64
	if t.sdiB != nil {
		sdi = t.sdiB.RawMatrix().Data
	}
	if len(st.SDIB) != len(sdi) {
		return bad("SDI's feedback has another shape")
	}
	if err := t.src.UnmarshalBinary(st.Rand); err != nil {
		return bad("its random stream: " + err.Error())
	}
	for l, ly := range t.net.Layers {
		copy(ly.W.RawMatrix().Data, st.Weights[l])
		copy(ly.Bias, st.Biases[l])
		if t.fb[l] != nil {
			copy(t.fb[l].RawMatrix().Data, st.Feedback[l])
		}
	}
	copy(sdi, st.SDIB)
	t.ssaRuns, t.ssaRetries = st.SSARuns, st.SSARetries
	t.resumed = st
	return nil
}

// Order is the order of the examples of an experiment that draws a fresh
// one each epoch (MNIST's): epoch e's order is the e-th permutation drawn
// from its stream. It is Kept: a checkpoint holds the stream and the
// epoch's order.
type Order struct {
	src  *rand.PCG
	rng  *rand.Rand
	n    int
	perm []int
}

// NewOrder returns the order of n examples drawn from stream s of seed.
func NewOrder(s Stream, seed uint64, n int) *Order {
	src := s.PCG(seed)
	return &Order{src: src, rng: rand.New(src), n: n}
}

// Next draws the next epoch's order and returns it; the slice is the
// order's until the next call.
func (o *Order) Next() []int {
	o.perm = o.rng.Perm(o.n)
	return o.perm
}

// Current returns the order drawn last (nil before the first Next).
func (o *Order) Current() []int { return o.perm }

// MarshalBinary returns the stream's state and the current order.
func (o *Order) MarshalBinary() ([]byte, error) {
	b, err := o.src.MarshalBinary()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 1+len(b)+4*len(o.perm))
	out = append(out, byte(len(b)))
	out = append(out, b...)
	for _, i := range o.perm {
		out = append(out, byte(i), byte(i>>8), byte(i>>16), byte(i>>24))
	}
	return out, nil
}

// UnmarshalBinary restores what MarshalBinary returned, for an order of
// the same n.
func (o *Order) UnmarshalBinary(b []byte) error {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return fmt.Errorf("models: order: %d bytes", len(b))
	}
	if err := o.src.UnmarshalBinary(b[1 : 1+int(b[0])]); err != nil {
		return fmt.Errorf("models: order: %w", err)
	}
	rest := b[1+int(b[0]):]
	switch len(rest) {
	case 0:
		o.perm = nil
		return nil
	case 4 * o.n:
	default:
		return fmt.Errorf("models: order: %d bytes of permutation, want %d", len(rest), 4*o.n)
	}
	perm := make([]int, o.n)
	seen := make([]bool, o.n)
	for j := range perm {
		i := int(uint32(rest[4*j]) | uint32(rest[4*j+1])<<8 | uint32(rest[4*j+2])<<16 | uint32(rest[4*j+3])<<24)
		if i >= o.n || seen[i] {
			return fmt.Errorf("models: order: not a permutation of %d", o.n)
		}
		perm[j], seen[i] = i, true
	}
	o.perm = perm
	return nil
}
