package results

import "fmt"

// Status is how a cell's run ended: the status column of the runs table.
type Status string

const (
	StatusOK       Status = "ok"       // trained to the end
	StatusDiverged Status = "diverged" // weights became NaN or infinite: a result, not a failure
	StatusFailed   Status = "failed"   // an error or a panic, in Run.Message; the cell runs again
)

// Statuses are the valid statuses, in the order tables list them.
var Statuses = []Status{StatusOK, StatusDiverged, StatusFailed}

// Finished reports whether a cell whose run ended with s need not run
// again: ok or diverged.
func (s Status) Finished() bool { return s == StatusOK || s == StatusDiverged }

// valid reports whether s is one of Statuses.
func (s Status) valid() bool { return s.Finished() || s == StatusFailed }

// checkStatus is the error of a runs file at path whose status is none of
// Statuses: another program's file, or a damaged one that still decodes.
func checkStatus(path string, s Status) error {
	if s.valid() {
		return nil
	}
	return fmt.Errorf("results: %s: status %q is not one of ok, diverged, failed", path, s)
}
