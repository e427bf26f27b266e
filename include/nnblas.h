/*
 * libnnblas: dense neural networks in C on BLAS.
 *
 * One header per module; each one is the manual for its calls:
 *
 *   nnblas/status.h      status codes, last-error messages, logging,
 *                        allocator hooks, version
 *   nnblas/blas.h        BLAS threads, BLAS versus loop dispatch
 *   nnblas/tensor.h      row-major tensors and the matrix product
 *   nnblas/rng.h         the seeded random number generator
 *   nnblas/init.h        weight initializers
 *   nnblas/activation.h  activation functions and their derivatives
 *   nnblas/layer.h       the dense layer, forward and backward
 *   nnblas/loss.h        loss functions and their gradients
 *   nnblas/optim.h       optimizers, clipping, learning-rate schedules
 *   nnblas/model.h       the sequential model: compile, fit, predict,
 *                        evaluate, summary, save and load
 */
#ifndef NNBLAS_H
#define NNBLAS_H

#include "nnblas/status.h"
#include "nnblas/blas.h"
#include "nnblas/tensor.h"
#include "nnblas/rng.h"
#include "nnblas/init.h"
#include "nnblas/activation.h"
#include "nnblas/layer.h"
#include "nnblas/loss.h"
#include "nnblas/optim.h"
#include "nnblas/model.h"

#endif
