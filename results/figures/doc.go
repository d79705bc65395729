// Package figures draws the figures of Podlaski & Machens (NeurIPS 2020) from
// a results folder's runs and curves (results.ReadRuns, results.ReadCurves),
// with gonum.org/v1/plot, as PNG, SVG or PDF.
//
// # The figures
//
// New chooses by Options.Figure:
//
//   - Fig3, for linear_regression and nonlinear_regression (paper Fig. 3),
//     panels in two rows: (a) the error against examples, divided per seed
//     by the largest train_error of any ok model of that seed, on a log
//     axis; (b) lambda_max of the DI and SDI loops; (c) the angle between B
//     and -Wᵀ; (d) delta_DI vs delta_NDI; (e) delta_SDI vs delta_NDI (the
//     SDI models' angle_delta_NDI); (f) delta_DI (and delta_SDI) vs
//     delta_PBP. The angle panels show the first 500 examples, in degrees
//     as recorded. Lines of layer 1 are solid, of layer 2 dashed.
//   - Fig4, for mnist_classification (test and train error, in percent) and
//     mnist_autoencoder (test and train mean squared reconstruction error,
//     log axis), against examples = step × batch_size.
//   - Metric: one metric against step, in one panel, a line per model or
//     per value of one of Axes (Options.By).
//
// Panels without data are left out, and the others are lettered in order.
//
// # Lines and bands
//
// A line is the median, at each step, across the cells of a group (a
// model's seeds; with -by, every cell of the value), and the band around
// it spans their minimum to maximum; the figure's title says so. A model
// whose cells differ in a grid value (eta, leak, w_decay, fback_type) has a
// line per value. Failed cells are not drawn; diverged cells are, up to
// where they diverged. Non-finite values are skipped, and values that are
// not positive are left off log axes, which are drawn as log10 of the
// values on a linear axis. Lines of more than 1000 points are thinned for
// drawing, the band keeping the extremes of the points left out.
//
// # Colours and layout
//
// Each learning rule has one colour in every figure (TypeColor), the one
// of package models' table of rules (models.RuleInfo), which also gives
// the rules' names and order and which of them record the DI diagnostics;
// several models of one rule share its hue in shades, the first in the
// rule's own colour. Lines of values of other axes follow a sequential
// palette. The legend is never inside a panel: it fills the free tiles of
// the last row of panels, or a column on the right. Panels of a row share
// their axes' positions (plot.Align). PNG is drawn at DPI dots per inch;
// fonts are embedded in PDF.
//
// A Figure is immutable once New returns it: Write and Save may be called
// any number of times, in any format.
package figures
