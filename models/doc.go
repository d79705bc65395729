// Package models implements the error-propagation rules of Podlaski &
// Machens (NeurIPS 2020), "Biological credit assignment through dynamic
// inversion of feedforward networks": backpropagation (BP), feedback
// alignment (FA), pseudo-backprop (PBP), non-dynamic inversion (NDI), dynamic
// inversion (DI) and single-loop dynamic inversion (SDI), with the feedback
// initialisations and diagnostics of the paper; the network and the trainer
// that the experiments share; and the registry of experiments. It imports
// nothing of ours but dinv/linalg.
//
// # Rules
//
// A Propagator carries an error delta (nOut x batch, one column per example)
// back across one layer with forward matrix W (nOut x nIn) and feedback B
// (nIn x nOut), giving nIn x batch. An SDIPropagator does the same across two
// stacked layers at once. A batch of one column is the single-example form;
// DI and SDI integrate every column of a batch together, one matrix product
// per Euler step.
//
// The transfer derivative f' of the layer below is applied by the rule when
// the caller passes it (dh), except for DI with tanh g, whose loop inverts
// the nonlinearity itself so that its answer is already a pre-activation
// error. SDI never applies it.
//
// # Experiments
//
// Each experiment is a package of its own (dinv/models/regression,
// dinv/models/mnist) that describes itself in a Definition and registers
// it from an init function (Register); dinv/models/all imports them all.
// LookupExperiment and Experiments find them. An experiment's Run builds
// its data, starts the run with NewRun (the seed's initial weights and the
// model's feedback, from the seed's Streams) and hands the training loop
// to Trainer.Train, giving it the examples of each step and its own
// evaluation. Experiment.Run checks the parameters (the checks every
// experiment shares, its own, MaxCellBytes) and runs the experiment on
// a goroutine of its own, so that a cancelled run returns at once.
//
// # Kernels
//
// The loops that a run spends its time in (a layer's product over a chunk
// of columns, tanh, the weight update with weight decay, the DI and SDI
// loops) sit behind the Kernels interface. Reference is today's pure-Go
// code; a Trainer, a Forward and the propagators take their Kernels as an
// argument (nil: Reference), and an experiment passes on Env.Kernels.
// Another implementation must pass dinv/models/kerneltest.Conformance.
//
// # Ownership
//
// A Propagator owns the workspace of one layer shape and batch size. After
// its first call it allocates nothing; it must not be shared between
// goroutines. The matrices passed to it are only read, except dst. Likewise
// a Trainer owns every buffer of its run and a Forward its activations; a
// Trainer mutates its network's weights, and nothing else outside itself.
//
// # Numerics
//
// The rules follow SCIENCE.md, the project's restatement of the paper's code,
// and agree with that code to rounding (testdata/reference). Two shortcuts
// are exact in exact arithmetic and tested against the literal computation:
// linear DI with fewer outputs than inputs integrates its loop in the output
// dimension, and minimum-norm least squares take Cholesky or LU fast paths
// when the problem is well conditioned (see linalg.LeastSquares).
package models
