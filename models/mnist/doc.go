// Package mnist is the paper's MNIST experiments (Fig. 4):
// mnist_classification, a 784-1000-10 tanh/softmax classifier trained
// online, and mnist_autoencoder, a 784-500-250-30-250-500-784 autoencoder
// trained on minibatches. Both register themselves with package models; the
// images come from dinv/io/mnist.
//
// # Data and errors
//
// The classifier standardises its inputs with the training images' global
// mean and standard deviation, the autoencoder scales them to [0, 1]. Each
// epoch visits the training images in a fresh order from the seed's order
// stream. The classifier's error is the fraction of images whose largest
// output pre-activation is not the label, the autoencoder's the mean
// squared reconstruction error over pixels and images, both over whole
// sets, evaluated in chunks of 1000 images.
package mnist
