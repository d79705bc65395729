// Package config reads sweep configurations: the YAML files under configs/
// that declare an experiment, its parameters, named model variants, grids
// and seeds.
//
// Reading is strict. An unknown key, a value of the wrong type, an unknown
// model_type, fback_type or experiment, a value out of range, an empty axis or
// a duplicate model name is an error that names the file, the line and the key,
// with a suggestion for near-miss spellings and the list of valid values:
//
//	configs/fig3.yaml:14: grid.leak_val: unknown key (did you mean "leak_vals"? valid: model_type, fback_type, leak_vals, eta, w_decay)
//
// Load returns every such error at once, as an Errors value, so a user fixes a
// file in one pass. A grid axis crosses every model with its values, over a
// model entry's own value of that field; Config.Warnings says so. A Config keeps the position of each model entry and axis,
// so that later checks (sweep's plan) can name lines too.
//
// Values are checked against the experiment's own validation (models.Experiment.Check)
// with the model's resolved parameters, so a configuration that loads
// makes cells that start.
package config
