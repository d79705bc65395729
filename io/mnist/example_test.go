package mnist_test

import (
	"context"
	"fmt"

	"dinv/io/mnist"
)

func ExampleSet_Float64To() {
	// A one-image set; Load returns sets of 60000 and 10000.
	s := &mnist.Set{Images: make([]uint8, mnist.ImageSize), Labels: []uint8{3}, N: 1}
	s.Images[0], s.Images[1] = 255, 51

	x := make([]float64, mnist.ImageSize) // one buffer, reused for every image
	s.Float64To(x, 0, 1.0/255, 0)
	fmt.Println(x[0], x[1], x[2], s.Labels[0])
	// Output: 1 0.2 0 3
}

func ExampleLoad() {
	ds, err := mnist.Load(context.Background(), mnist.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ds.Train.N, ds.Test.N)
}
