package sweep

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"dinv/models"
	"dinv/results"
)

// BenchmarkCheckpointWrite writes the checkpoint of a cell of each
// experiment's paper size, feedback included (FA's B; DI's is the same
// size), with a curve of the paper's cadence and, for MNIST, the epoch's
// order: the time of one checkpoint (encoding, SHA-256, write, fsync,
// rename, folder fsync) and, as a metric, its size.
func BenchmarkCheckpointWrite(b *testing.B) {
	for _, bc := range []struct {
		name   string
		sizes  []int
		points int
		order  int
	}{
		{"classifier-784-1000-10", []int{784, 1000, 10}, 15 * 60 * 7, 60000},
		{"autoencoder-784-500-250-30-250-500-784", []int{784, 500, 250, 30, 250, 500, 784}, 20 * 60 * 12, 60000},
		{"nonlinear-30-20-10-10", []int{30, 20, 10, 10}, 10000 * 7, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			fill := func(n int) []float64 {
				v := make([]float64, n)
				for i := range v {
					v[i] = rng.NormFloat64()
				}
				return v
			}
			st := models.State{Step: 12345, Sizes: bc.sizes, Rand: make([]byte, 20)}
			for l := range len(bc.sizes) - 1 {
				n := bc.sizes[l] * bc.sizes[l+1]
				st.Weights = append(st.Weights, fill(n))
				st.Biases = append(st.Biases, fill(bc.sizes[l+1]))
				fb := []float64(nil)
				if l > 0 {
					fb = fill(n)
				}
				st.Feedback = append(st.Feedback, fb)
			}
			if bc.order > 0 {
				o := models.NewOrder(models.StreamOrder, 1, bc.order)
				o.Next()
				own, _ := o.MarshalBinary()
				st.Own = map[string][]byte{"order": own}
			}
			pts := make([]results.Point, bc.points)
			for i := range pts {
				pts[i] = results.Point{Step: int64(i), Metric: models.MetricTrainError, Value: rng.Float64()}
			}
			f := &checkpointFile{Format: checkpointFormat, CellID: "0123456789abcdef", Numerics: "1.1", State: st, Points: pts}
			path := filepath.Join(b.TempDir(), "c.ckpt")
			for b.Loop() {
				if err := writeCheckpoint(path, f); err != nil {
					b.Fatal(err)
				}
			}
			fi, _ := os.Stat(path)
			b.ReportMetric(float64(fi.Size())/1e6, "MB")
		})
	}
}
