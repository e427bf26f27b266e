/*
 * The dense layer at the function level: y = f(x W + b).
 *
 * This is the layer a "from scratch" program drives by hand, and the one
 * the sequential model uses inside. Shapes, one sample per row, all
 * row-major and contiguous:
 *
 *   x   batch x inputs     layer input
 *   W   inputs x units     weights: W[i * units + u] joins input i to unit u
 *   b   units              bias (optional)
 *   y   batch x units      layer output, after the activation f
 *
 * The parameters sit in one array, W followed by b, and the gradients in a
 * second array of the same layout, so an optimizer steps over a layer (or
 * a whole model) as one vector. The layer either owns both arrays
 * (nn_dense_new) or uses the caller's (nn_dense_wrap).
 *
 * Forward is one cblas_dgemm (y = x W) and one fused pass adding b and
 * applying f. Backward is two cblas_dgemm calls with transpose flags,
 * dW = x^T dz and dx = dz W^T, and a column sum for db fused into the pass
 * that applies f'; nothing is transposed by copying. Products too small
 * for BLAS to pay off run on the library's loops, and a wide layer at
 * batch 1 uses cblas_dgemv and the loops (see nnblas/blas.h).
 */
#ifndef NNBLAS_LAYER_H
#define NNBLAS_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "activation.h"
#include "export.h"
#include "init.h"
#include "rng.h"
#include "status.h"

NN_BEGIN_DECLS

typedef struct nn_dense nn_dense;

/* Settings of a dense layer. Fill with nn_dense_opts_init, then change. */
typedef struct nn_dense_opts {
    int64_t units;          /* outputs of the layer, > 0 */
    int64_t activation;     /* nn_activation */
    int64_t use_bias;       /* 1 (default) adds b, 0 leaves it out */
    double  slope;          /* leaky relu slope, NN_LEAKY_SLOPE_DEFAULT */
    int64_t kernel_init;    /* nn_init for W, default NN_INIT_GLOROT_UNIFORM */
    double  kernel_param;   /* its param (see nnblas/init.h); when changing
                               kernel_init, set it, e.g. to
                               nn_init_default_param(kernel_init) */
    int64_t bias_init;      /* nn_init for b, default NN_INIT_ZEROS */
    double  bias_param;     /* its param */
} nn_dense_opts;

/*
 * Fills opts with the defaults (Keras's): the given units and activation,
 * a bias, Glorot-uniform weights and zero biases. Returns NN_OK or
 * NN_EINVAL (opts is NULL); the values are checked when the layer is
 * made.
 */
NN_API NN_NODISCARD nn_status nn_dense_opts_init(nn_dense_opts *opts,
                                                 int64_t        units,
                                                 int            activation);

/*
 * Creates a layer of the given number of inputs that owns its parameters
 * and gradients, both set to zero (call nn_dense_init to draw the
 * weights, or write them through nn_dense_weights). Returns NN_OK,
 * NN_EINVAL (a NULL pointer, a non-positive size, an unknown activation
 * or initializer, a negative slope), NN_ERANGE or NN_ENOMEM; *out is NULL
 * on failure. Free it with nn_dense_free.
 */
NN_API NN_NODISCARD nn_status nn_dense_new(nn_dense            **out,
                                           int64_t               inputs,
                                           const nn_dense_opts  *opts);

/*
 * Creates a layer over caller arrays: params and grads each hold
 * inputs * units (+ units with a bias) doubles, W first. grads may be NULL
 * for a layer that only runs forward. Both arrays must outlive the layer;
 * nn_dense_free releases only the layer. Returns as nn_dense_new.
 */
NN_API NN_NODISCARD nn_status nn_dense_wrap(nn_dense            **out,
                                            int64_t               inputs,
                                            const nn_dense_opts  *opts,
                                            double               *params,
                                            double               *grads);

/* Releases a layer (and its arrays if it owns them). NULL does nothing. */
NN_API void nn_dense_free(nn_dense *layer);

/*
 * Draws W and b with the layer's initializers from rng. Returns NN_OK or
 * as nn_init_fill (NN_ENOMEM also when an orthogonal bias needs a copy of
 * W); the parameters and rng are untouched on failure.
 */
NN_API NN_NODISCARD nn_status nn_dense_init(nn_dense *layer, nn_rng *rng);

/* Sizes: inputs, units, and parameters (inputs*units + units if biased).
 * Each returns 0 for NULL. */
NN_API int64_t nn_dense_inputs(const nn_dense *layer);
NN_API int64_t nn_dense_units(const nn_dense *layer);
NN_API int64_t nn_dense_param_count(const nn_dense *layer);

/*
 * Borrowed pointers into the layer's arrays, valid until it is freed:
 * W (inputs x units), b (units; NULL without a bias), and their gradients
 * (NULL if the layer was wrapped without grads). All NULL for NULL.
 * nn_dense_params and nn_dense_grads are the whole arrays, W then b.
 */
NN_API double *nn_dense_weights(const nn_dense *layer);
NN_API double *nn_dense_bias(const nn_dense *layer);
NN_API double *nn_dense_params(const nn_dense *layer);
NN_API double *nn_dense_grads(const nn_dense *layer);

/*
 * y = f(x W + b) for batch samples. x is batch x inputs, y batch x units;
 * they must not overlap. Returns NN_OK, NN_EINVAL (NULL, batch < 1) or
 * NN_ERANGE; y is untouched on failure. Allocates nothing. Several threads
 * may run it on the same layer at once (it only reads the layer).
 */
NN_API NN_NODISCARD nn_status nn_dense_forward(const nn_dense *layer,
                                               int64_t         batch,
                                               const double   *x,
                                               double         *y);

/*
 * The backward pass from dL/dy. x and y are the forward pass's input and
 * output. On return dy holds dL/dz (it is overwritten: no scratch array is
 * needed), the layer's gradients hold dL/dW and dL/db (overwritten, not
 * accumulated), and dx (batch x inputs) holds dL/dx, unless dx is NULL,
 * which skips that product (for a first layer). dx must not overlap the
 * other arrays. Returns NN_OK, NN_EINVAL, NN_ERANGE or NN_ESTATE (the
 * layer has no gradient array); nothing is written on failure. Allocates
 * nothing. Not for use on the same layer from two threads at once.
 */
NN_API NN_NODISCARD nn_status nn_dense_backward(nn_dense     *layer,
                                                int64_t       batch,
                                                const double *x,
                                                const double *y,
                                                double       *dy,
                                                double       *dx);

/*
 * The backward pass from dL/dz, the gradient before the activation, as
 * fused loss gradients give it (sigmoid with binary cross-entropy, softmax
 * with categorical cross-entropy: dz = (y - target) / batch). dz is only
 * read. Otherwise as nn_dense_backward.
 */
NN_API NN_NODISCARD nn_status nn_dense_backward_preact(nn_dense     *layer,
                                                       int64_t       batch,
                                                       const double *x,
                                                       const double *dz,
                                                       double       *dx);

NN_END_DECLS

#endif
