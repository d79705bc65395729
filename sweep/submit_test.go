package sweep

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testJob is a SlurmJob of the values dinv slurm checks, for dir.
func testJob(dir string) SlurmJob {
	return SlurmJob{Name: "dinv-small", Dir: dir, WorkDir: "/", CPUsPerTask: 1}
}

// TestSlurmArrayPending: after shards 1 and 3 of five ran, the array counts
// their cells finished and submits the other shards; a finished cell whose
// curves file is missing makes its shard pending again, as run would run it
// again.
func TestSlurmArrayPending(t *testing.T) {
	p := plan(t, "small.yaml", small)
	dir := t.TempDir()
	perTask := (len(p.Cells) + 4) / 5
	for _, k := range []int{1, 3} {
		if _, err := runSweep(t, p, Options{Dir: dir, Shard: k, Shards: 5}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := NewSlurmArray(p, testJob(dir), perTask, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := len(p.Shard(1, 5)) + len(p.Shard(3, 5))
	if a.Job.Shards != 5 || a.Finished != done || !slices.Equal(a.Pending, []int{2, 4, 5}) {
		t.Fatalf("%d tasks, %d finished, pending %v; want 5, %d, [2 4 5]", a.Job.Shards, a.Finished, a.Pending, done)
	}
	if _, err := os.Stat(filepath.Join(dir, "slurm")); err != nil {
		t.Errorf("no slurm/ folder: %v", err)
	}
	os.Remove(filepath.Join(dir, "curves", p.Shard(3, 5)[1].ID+".parquet"))
	a, err = NewSlurmArray(p, testJob(dir), perTask, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Finished != done-1 || !slices.Equal(a.Pending, []int{2, 3, 4, 5}) {
		t.Fatalf("without a curves file: %d finished, pending %v; want %d, [2 3 4 5]", a.Finished, a.Pending, done-1)
	}
}

// TestSlurmArrayChecksFirst: a job whose values cannot go into the script is
// an error before anything is written.
func TestSlurmArrayChecksFirst(t *testing.T) {
	p := plan(t, "small.yaml", small)
	dir := filepath.Join(t.TempDir(), "out")
	job := testJob(dir)
	job.Mem = "4G\ntouch x"
	if _, err := NewSlurmArray(p, job, 1, nil); err == nil || !strings.Contains(err.Error(), "--mem") {
		t.Errorf("error %v, want one naming --mem", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s written for a bad job (%v)", dir, err)
	}
}

// TestStage: the tool and the folder's sweep.yaml are copied under names
// of their contents' hash, the tool executable, and the script runs the
// copies, sweep.yaml -resolved, which plans the same cells with the hash of
// the original configuration. Staging again reuses the copies; a new build
// or a new plan of the folder is a new copy beside the old one, which tasks
// already submitted still run.
func TestStage(t *testing.T) {
	p := plan(t, "small.yaml", small)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "out")
	exe := filepath.Join(tmp, "dinv")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	a, err := NewSlurmArray(p, testJob(dir), 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	script, err := a.Stage(exe)
	if err != nil {
		t.Fatal(err)
	}
	sdir := filepath.Join(dir, "slurm")
	if want := filepath.Join(sdir, "small-6-tasks.sbatch"); script != want {
		t.Errorf("script %s, want %s", script, want)
	}
	bin, conf := a.Job.Binary, a.Job.Config
	if filepath.Dir(bin) != filepath.Join(sdir, "bin") || !strings.HasPrefix(filepath.Base(bin), "dinv-") ||
		filepath.Dir(conf) != sdir || !strings.HasPrefix(filepath.Base(conf), "sweep-") || filepath.Ext(conf) != ".yaml" {
		t.Errorf("copies %s and %s, want slurm/bin/dinv-HASH and slurm/sweep-HASH.yaml", bin, conf)
	}
	for path, perm := range map[string]os.FileMode{bin: 0o755, script: 0o755, conf: 0o644} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != perm {
			t.Errorf("%s: %v, want mode %v", path, err, perm)
		}
	}
	copied, _ := os.ReadFile(conf)
	if resolved, _ := os.ReadFile(filepath.Join(dir, "sweep.yaml")); !bytes.Equal(copied, resolved) {
		t.Errorf("%s is not a copy of sweep.yaml", conf)
	}
	q, err := LoadResolved(conf, 0)
	if err != nil || q.Config.SHA256 != p.Config.SHA256 || len(q.Cells) != len(p.Cells) {
		t.Errorf("the copy plans %v (%v), want %d cells with SHA256 %s", q, err, len(p.Cells), p.Config.SHA256)
	}
	text, _ := os.ReadFile(script)
	if want := bin + ` run -resolved -jobs "${SLURM_CPUS_PER_TASK:-1}" -shard "$SHARD/$TOTAL" -out ` + dir + " " + conf + "\n"; !strings.HasSuffix(string(text), want) {
		t.Errorf("script ends\n%s\nwant\n%s", text, want)
	}
	if _, err := a.Stage(exe); err != nil || a.Job.Binary != bin || a.Job.Config != conf {
		t.Errorf("staged again: %s, %s (%v); want the same copies", a.Job.Binary, a.Job.Config, err)
	}
	os.WriteFile(exe, []byte("#!/bin/sh\n# rebuilt\n"), 0o755)
	other := plan(t, "small.yaml", strings.Replace(small, "seeds: [0, 1]", "seeds: [0, 1, 2]", 1))
	if err := Prepare(other, dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Stage(exe); err != nil || a.Job.Binary == bin || a.Job.Config == conf {
		t.Errorf("a new build and plan staged as %s and %s (%v), want new copies", a.Job.Binary, a.Job.Config, err)
	}
	for _, old := range []string{bin, conf} {
		if _, err := os.Stat(old); err != nil {
			t.Errorf("the old copy is gone: %v", err)
		}
	}
}

// TestSubmit runs a stand-in for sbatch: Submit passes it the arguments,
// returns the job id it prints, and logs the submission, which
// LastSubmission reads back; a failing sbatch is an error with what it said
// on stderr, and output that is not a job id an error too.
func TestSubmit(t *testing.T) {
	p := plan(t, "small.yaml", small)
	tmp := t.TempDir()
	a, err := NewSlurmArray(p, testJob(filepath.Join(tmp, "out")), 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if line, tasks := a.LastSubmission(); line != "" || tasks != 0 {
		t.Errorf("before any submission: %q, %d", line, tasks)
	}
	fake := func(body string) string {
		path := filepath.Join(t.TempDir(), "sbatch")
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	got := filepath.Join(tmp, "args")
	ch := ArrayChunk{Offset: 4, Indices: []int{0, 1}}
	args := SbatchArgs("/s/x.sbatch", ch, 1)
	if want := []string{"--parsable", "--array=0-1%1", "--export=ALL,DINV_SHARD_OFFSET=4", "/s/x.sbatch"}; !slices.Equal(args, want) {
		t.Errorf("SbatchArgs %q, want %q", args, want)
	}
	id, err := a.Submit(context.Background(), fake(`echo "$@" >`+got+"\necho 'sbatch: warning: x'\necho '4242;cluster'\n"), ch, args)
	if err != nil || id != "4242" {
		t.Fatalf("Submit: %q, %v; want job 4242", id, err)
	}
	if b, _ := os.ReadFile(got); strings.TrimSpace(string(b)) != strings.Join(args, " ") {
		t.Errorf("sbatch ran with %q, want %q", b, strings.Join(args, " "))
	}
	line, tasks := a.LastSubmission()
	if tasks != 6 || !strings.Contains(line, " job=4242 tasks=6 offset=4 sbatch --parsable --array=0-1%1 ") {
		t.Errorf("LastSubmission: %q, %d tasks", line, tasks)
	}
	if _, err := a.Submit(context.Background(), fake("echo 'sbatch: error: invalid partition' >&2\nexit 1\n"), ch, args); err == nil ||
		!strings.Contains(err.Error(), "sbatch: error: invalid partition") {
		t.Errorf("failing sbatch: %v", err)
	}
	if _, err := a.Submit(context.Background(), fake("echo 'Submitted batch job'\n"), ch, args); err == nil ||
		!strings.Contains(err.Error(), "not a job id") {
		t.Errorf("sbatch printing no id: %v", err)
	}
	if l, _ := a.LastSubmission(); l != line {
		t.Errorf("a failed submission was logged: %q", l)
	}
}

// TestParseMaxArraySize reads the line of scontrol show config.
func TestParseMaxArraySize(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want int
		ok   bool
	}{
		{"MailProg                = /bin/mail\nMaxArraySize            = 1001\nMaxJobCount = 10000\n", 1001, true},
		{"MaxArraySize=4\n", 4, true},
		{"MaxArraySize            = 0\n", 0, false},
		{"MaxArraySize            = many\n", 0, false},
		{"MaxJobCount = 10000\n", 0, false},
		{"", 0, false},
	} {
		if v, ok := parseMaxArraySize([]byte(tc.out)); v != tc.want || ok != tc.ok {
			t.Errorf("%q: %d, %v; want %d, %v", tc.out, v, ok, tc.want, tc.ok)
		}
	}
}
