// Package curvetest keeps what a run records, for the tests of the
// experiments.
package curvetest

// Curves keeps every recorded point of a run by metric, layer and step: it
// is a models.Recorder.
type Curves map[string]map[int]map[int]float64

// Record keeps the point, replacing one of the same metric, layer and step.
func (s Curves) Record(step int, metric string, layer int, v float64) {
	if s[metric] == nil {
		s[metric] = map[int]map[int]float64{}
	}
	if s[metric][layer] == nil {
		s[metric][layer] = map[int]float64{}
	}
	s[metric][layer][step] = v
}
