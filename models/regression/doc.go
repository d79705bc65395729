// Package regression is the paper's regression experiments (Fig. 3):
// linear_regression, a 30-20-10 linear network that learns a random linear
// teacher online, and nonlinear_regression, a 30-20-10-10 tanh network with
// biases that learns a teacher network of its own shape. Both register
// themselves with package models; see the README for their parameters.
//
// # Data and errors
//
// The teacher and the inputs are drawn from the seed's data stream, so that
// every model of a seed learns the same task in the same order. The error
// recorded is the sum of squared errors over the whole data set: for a
// linear network without biases in closed form, trace(D X Xᵀ Dᵀ) with
// D = T - W_L...W_1, which needs no pass over the data.
//
// The tests replay the original implementation's runs draw for draw
// (numpy's generator reproduced) and compare distributions of ours with
// the original's over many seeds.
package regression
