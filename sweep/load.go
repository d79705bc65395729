package sweep

import (
	"bytes"
	"os"
	"regexp"
	"strconv"

	"dinv/config"
)

// LoadResolved reads and plans a results folder's sweep.yaml (or dinv
// slurm's copy of one), unchanged since Resolved wrote it, as the
// configuration it was resolved from: the plan's Config.SHA256 is the hash
// its header records, not the file's own. A run of the plan, a Slurm task's
// above all, so writes the runs rows (config_sha256 included) that a run of
// the original writes, and finds the folder's sweep.yaml unchanged.
//
// A file without the header is a configuration error, and so is one that
// resolving again does not give back byte for byte: it was edited, and the
// header no longer describes it. An edit that writes exactly what Resolved
// would (same layout, same order) cannot be told from the original; the
// caller vouches for the file, as dinv slurm does for the copy it staged.
func LoadResolved(path string, maxCells int) (*Plan, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	m := resolvedHeader.FindSubmatch(src)
	if m == nil {
		return nil, &config.Error{File: path, Line: 1, Msg: "not a sweep.yaml that dinv wrote: no header naming the sha256 of the configuration it was resolved from"}
	}
	c, err := config.Parse(path, src)
	if err != nil {
		return nil, err
	}
	p, err := NewPlan(c, maxCells)
	if err != nil {
		return nil, err
	}
	p.Config.SHA256 = string(m[1])
	for i, q := range resolvedSet.FindAllSubmatch(src, -1) {
		text, err := strconv.Unquote(string(q[1]))
		if err != nil {
			return nil, &config.Error{File: path, Msg: "edited since dinv wrote it (an override in its header is not a quoted string), so its header does not describe it"}
		}
		p.Config.Sets = append(p.Config.Sets, &config.Set{N: i + 1, Text: text})
	}
	if text, err := Resolved(p); err != nil || !bytes.Equal(text, src) {
		return nil, &config.Error{File: path, Msg: "edited since dinv wrote it (resolving it again gives other text), so its header does not describe it"}
	}
	return p, nil
}

// resolvedHeader matches the first lines of what Resolved writes, with the
// hash of the configuration resolved.
var resolvedHeader = regexp.MustCompile(`\A# The resolved configuration of sweep [^\n]*, from a configuration file with\n# sha256 ([0-9a-f]{64})\.`)

// resolvedSet matches an override that Resolved lists in the header.
var resolvedSet = regexp.MustCompile(`(?m)^#   -set ("[^\n]*")$`)
