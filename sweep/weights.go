package sweep

import (
	"fmt"
	"io"
	"path/filepath"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"dinv/models"
	"dinv/results"
)

// weightsPath is where the weights of cell id go.
func weightsPath(dir, id string) string { return filepath.Join(dir, "weights", id+".npz") }

// writeWeights writes the final weights of a run as a NumPy .npz archive,
// atomically: for each layer l (numbered from 0, input side first, as the
// curves table's layer column), "W<l>" (n_out x n_in), "b<l>" (n_out; a
// layer without biases has none) and, for a rule with feedback, "B<l>"
// (n_in x n_out, the matrix that carries the error of layer l back);
// "B_sdi" (n1 x n3) for SDI's loop; "sizes", the layer sizes, input first.
func writeWeights(path string, st *models.State) error {
	sz := st.Sizes
	if len(sz) != len(st.Weights)+1 {
		return fmt.Errorf("sweep: weights of %d layers for sizes %v", len(st.Weights), sz)
	}
	return results.WriteFileAtomic(path, func(w io.Writer) error {
		zw := npz.NewWriter(w)
		sizes := make([]int64, len(sz))
		for i, n := range sz {
			sizes[i] = int64(n)
		}
		if err := zw.Write("sizes", sizes); err != nil {
			return err
		}
		for l, wl := range st.Weights {
			if err := zw.Write(fmt.Sprintf("W%d", l), mat.NewDense(sz[l+1], sz[l], wl)); err != nil {
				return err
			}
			if len(st.Biases[l]) > 0 {
				if err := zw.Write(fmt.Sprintf("b%d", l), st.Biases[l]); err != nil {
					return err
				}
			}
			if len(st.Feedback[l]) > 0 {
				if err := zw.Write(fmt.Sprintf("B%d", l), mat.NewDense(sz[l], sz[l+1], st.Feedback[l])); err != nil {
					return err
				}
			}
		}
		if len(st.SDIB) > 0 {
			L := len(sz) - 1
			if err := zw.Write("B_sdi", mat.NewDense(sz[L-2], sz[L], st.SDIB)); err != nil {
				return err
			}
		}
		return zw.Close()
	})
}
