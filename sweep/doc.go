// Package sweep turns a configuration into cells and runs them: grid
// expansion, cell identity, the bounded scheduler, resume, shards, locks and
// the status of a results folder.
//
// # Cells
//
// NewPlan crosses the configuration's models with its grid points and seeds,
// in a fixed order, and resolves every value: a grid value over the model's
// own, over defaults, over the experiment's parameters. Values a rule ignores
// are cleared (BP and PBP read no feedback and no leak, FA no leak), so that
// crossing BP with three fback_types gives one cell, not three. A cell's id
// is a hash of its resolved definition (Def), cell.Numerics and the
// experiment's numerics version (cell.Def.ID): the
// same cell in two configurations has the same id, and changing any value
// makes a new one. The model's name is not part of it.
//
// # Running and resuming
//
// Run executes the cells of one shard that have no finished runs file,
// at most Options.Jobs at once (errgroup with SetLimit), the DI and SDI
// cells first (the longest; otherwise in the plan's order). Each cell is
// isolated: an error or a panic becomes a runs file with status "failed" and
// the message (with the stack for a panic), and the others go on. A diverged
// cell is a result. A cell writes its curves file, then its runs file, each
// atomically (results.WriteFileAtomic); the runs file is what marks the cell
// finished. Rerunning skips ok and diverged cells, retries failed ones, and
// runs the rest. Cells interrupted by the context write nothing and stay
// pending. A finished cell is one whose runs and curves files both read
// back. Before running, Run takes the folder's lock, writes sweep.yaml,
// proves runs/ and curves/ writable, moves unreadable runs and curves files
// to DIR/damaged/ (their cells run again) and removes temporaries and
// curves without a finished run, for its own shard's cells only.
//
// # Shards and locks
//
// Shard k of n holds every n-th cell of the plan from k-1, so the assignment
// depends only on the plan, and each shard has a share of every model. Runs
// of one folder hold flock(2) locks: a whole run excludes every other run of
// the folder, shard runs exclude the same shard and shard runs of another
// count (whose cells overlap). Shards write only their own cells' files;
// sweep.yaml is written only by a holder of the lock, when missing or
// changed.
//
// # Slurm
//
// SlurmJob writes the sbatch script of a job array whose task K runs shard
// K of N, after checking every value that goes on an #SBATCH line.
// SlurmArray does the rest of what dinv slurm does: NewSlurmArray prepares
// the folder and finds the shards with unfinished cells, Chunk keeps their
// array indices below the cluster's MaxArraySize, Stage writes the script
// and copies of the tool and of sweep.yaml into DIR/slurm/ under names of
// their hashes, and Submit runs sbatch and logs the job in
// DIR/slurm/submissions.log. The tasks run the copy of sweep.yaml through
// LoadResolved, as the configuration it was resolved from: a cell run by a
// task has the runs row, config_sha256 included, of a local run.
//
// # Counting
//
// NewPlan counts a plan's cells exactly, in arithmetic that saturates rather
// than wraps, before it builds any: a plan over the cap costs nothing.
//
// A results folder is self-describing: sweep.yaml is the resolved
// configuration (every parameter written out), from which ReadStatus plans
// the cells again and counts them against runs/.
package sweep
