/*
 * Activation functions, forward and backward, on row-major rows x cols
 * arrays (one sample per row).
 *
 * The backward pass is written in terms of the forward output y, not the
 * input z: every activation here has a derivative that y determines, so a
 * layer keeps only y. For leaky relu this needs slope >= 0 (then y > 0
 * exactly when z > 0).
 *
 *   kind        y = f(z)                         dz = dy * f'(z)
 *   IDENTITY    z                                dy
 *   SIGMOID     1 / (1 + exp(-z))                dy * y * (1 - y)
 *   TANH        tanh(z)                          dy * (1 - y^2)
 *   RELU        max(z, 0)                        dy if y > 0, else 0
 *   LEAKY_RELU  z if z > 0, else slope * z       dy if y > 0, else slope * dy
 *   SOFTMAX     exp(z_j - m) / sum_k exp(z_k - m),  m = max_k z_k  (per row)
 *               dz_j = y_j * (dy_j - sum_k dy_k y_k)
 *
 * Sigmoid and softmax are computed so that no exp overflows: inputs of
 * +-1000 give 0 and 1 exactly, never NaN or Inf.
 */
#ifndef NNBLAS_ACTIVATION_H
#define NNBLAS_ACTIVATION_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

NN_BEGIN_DECLS

typedef enum nn_activation {
    NN_ACTIVATION_IDENTITY = 0,
    NN_ACTIVATION_SIGMOID = 1,
    NN_ACTIVATION_TANH = 2,
    NN_ACTIVATION_RELU = 3,
    NN_ACTIVATION_LEAKY_RELU = 4,
    NN_ACTIVATION_SOFTMAX = 5,
} nn_activation;

/* The slope of leaky relu for negative inputs when none is given (the
 * Keras default for activation='leaky_relu'). */
#define NN_LEAKY_SLOPE_DEFAULT 0.2

/*
 * y = f(z) elementwise (row-wise for softmax). z and y are rows x cols and
 * may be the same array. slope is used by LEAKY_RELU only. Returns NN_OK,
 * NN_EINVAL (NULL, non-positive size, unknown kind, slope < 0 or not
 * finite) or NN_ERANGE (rows x cols does not fit in memory); y is
 * untouched on failure. Thread-safe.
 */
NN_API NN_NODISCARD nn_status nn_activation_forward(int           kind,
                                                    double        slope,
                                                    int64_t       rows,
                                                    int64_t       cols,
                                                    const double *z,
                                                    double       *y);

/*
 * dz = dL/dz from y = f(z) and dy = dL/dy, all rows x cols. dz may be the
 * same array as dy. Returns as nn_activation_forward; dz is untouched on
 * failure. Thread-safe.
 */
NN_API NN_NODISCARD nn_status nn_activation_backward(int           kind,
                                                     double        slope,
                                                     int64_t       rows,
                                                     int64_t       cols,
                                                     const double *y,
                                                     const double *dy,
                                                     double       *dz);

/* A static name ("relu"), or "unknown". */
NN_API const char *nn_activation_name(int kind);

NN_END_DECLS

#endif
