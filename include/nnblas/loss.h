/*
 * Loss functions: value and gradient.
 *
 * pred and target are rows x cols, row-major, one sample per row. Each
 * call writes the loss value to *value and its gradient with respect to
 * pred to grad (rows x cols); either may be NULL to skip it, not both. The
 * reductions follow Keras:
 *
 *   kind        value                                      grad
 *   MSE         mean over all elements of (p - t)^2         2 (p - t) / (rows cols)
 *   MAE         mean over all elements of |p - t|           sign(p - t) / (rows cols)
 *   BCE         mean of -(t log q + (1 - t) log(1 - q))     (p - t) / (q (1 - q)) / (rows cols)
 *               with q = p clipped to [eps, 1 - eps]
 *   BCE_LOGITS  mean of max(z, 0) - z t + log(1 + exp(-|z|))   (sigmoid(z) - t) / (rows cols)
 *               (pred holds logits z; exact for any z)
 *   CCE         mean over rows of -sum_j t_j log q_j,       -t / q / rows
 *               q = p clipped to [eps, 1 - eps]
 *   CCE_LOGITS  mean over rows of sum_j t_j (lse - z_j),    (s T - t) / rows
 *               lse = log sum_k exp(z_k), s = softmax(z),
 *               T = sum_j t_j (1 for one-hot targets)
 *
 * eps is NN_LOSS_EPSILON = 1e-7, Keras's default. NOTE: past the clip
 * BCE's gradient keeps the interior formula with q in the denominator,
 * so a saturated wrong prediction still gets pushed back (the derivative
 * of the clipped value would be 0 there). Inside the clip value and
 * gradient agree exactly. CCE expects rows of p that sum to 1 and does
 * not renormalise them.
 *
 * All functions return NN_OK, NN_EINVAL (NULL arrays, both outputs NULL,
 * non-positive size, unknown kind) or NN_ERANGE; outputs are untouched on
 * failure. grad may be the same array as pred. Thread-safe; allocate
 * nothing.
 */
#ifndef NNBLAS_LOSS_H
#define NNBLAS_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

NN_BEGIN_DECLS

typedef enum nn_loss {
    NN_LOSS_MSE = 0,
    NN_LOSS_MAE = 1,
    NN_LOSS_BCE = 2,
    NN_LOSS_BCE_LOGITS = 3,
    NN_LOSS_CCE = 4,
    NN_LOSS_CCE_LOGITS = 5,
} nn_loss;

/* The clip applied to probabilities by BCE and CCE. */
#define NN_LOSS_EPSILON 1e-7

/* NN_LOSS_EPSILON, for bindings that cannot see macros. */
NN_API double nn_loss_epsilon(void);

/* Any loss, chosen by kind. */
NN_API NN_NODISCARD nn_status nn_loss_compute(int           kind,
                                              int64_t       rows,
                                              int64_t       cols,
                                              const double *pred,
                                              const double *target,
                                              double       *value,
                                              double       *grad);

NN_API NN_NODISCARD nn_status nn_loss_mse(int64_t       rows,
                                          int64_t       cols,
                                          const double *pred,
                                          const double *target,
                                          double       *value,
                                          double       *grad);

NN_API NN_NODISCARD nn_status nn_loss_mae(int64_t       rows,
                                          int64_t       cols,
                                          const double *pred,
                                          const double *target,
                                          double       *value,
                                          double       *grad);

NN_API NN_NODISCARD nn_status nn_loss_bce(int64_t       rows,
                                          int64_t       cols,
                                          const double *prob,
                                          const double *target,
                                          double       *value,
                                          double       *grad);

NN_API NN_NODISCARD nn_status nn_loss_bce_logits(int64_t       rows,
                                                 int64_t       cols,
                                                 const double *logits,
                                                 const double *target,
                                                 double       *value,
                                                 double       *grad);

NN_API NN_NODISCARD nn_status nn_loss_cce(int64_t       rows,
                                          int64_t       cols,
                                          const double *prob,
                                          const double *target,
                                          double       *value,
                                          double       *grad);

NN_API NN_NODISCARD nn_status nn_loss_cce_logits(int64_t       rows,
                                                 int64_t       cols,
                                                 const double *logits,
                                                 const double *target,
                                                 double       *value,
                                                 double       *grad);

/* A static name in Keras's spelling ("binary_crossentropy"), or "unknown". */
NN_API const char *nn_loss_name(int kind);

NN_END_DECLS

#endif
