/*
 * Optimizers over one contiguous parameter vector.
 *
 * A model keeps all its parameters in one array and all gradients in a
 * second array of the same layout, so an optimizer step is one pass over
 * n doubles, and clipping by global norm is one norm.
 *
 * Each step first clips the gradient (in place, in the caller's array):
 *
 *   clip_value > 0:  g = min(max(g, -clip_value), clip_value), elementwise
 *   clip_norm > 0:   g = g * clip_norm / ||g||_2 when ||g||_2 > clip_norm
 *
 * (value first, then norm; 0 turns either off), then takes the learning
 * rate lr_t of this step from the schedule, where t counts earlier steps
 * (0 for the first) and lr is the base rate:
 *
 *   CONSTANT     lr_t = lr
 *   STEP         lr_t = lr * decay_rate ^ floor(t / decay_steps)
 *   EXPONENTIAL  lr_t = lr * decay_rate ^ (t / decay_steps)
 *   COSINE       lr_t = lr * (a + (1 - a) (1 + cos(pi min(t, decay_steps)
 *                                               / decay_steps)) / 2),
 *                a = cosine_floor
 *
 * then updates every parameter p with gradient g. State arrays (m, v, a)
 * start at zero except Adagrad's; k = t + 1 counts steps including this
 * one:
 *
 *   SGD      momentum = 0:  p -= lr_t g
 *            otherwise:     m = momentum m - lr_t g
 *                           p += m                        (classic)
 *                           p += momentum m - lr_t g      (nesterov = 1)
 *   ADAM     m = beta1 m + (1 - beta1) g
 *            v = beta2 v + (1 - beta2) g^2
 *            p -= lr_t sqrt(1 - beta2^k) / (1 - beta1^k) m / (sqrt(v) + epsilon)
 *   ADAMW    p -= lr_t weight_decay p, then the ADAM step
 *   RMSPROP  v = rho v + (1 - rho) g^2
 *            p -= lr_t g / (sqrt(v) + epsilon)
 *   ADAGRAD  a = a + g^2   (a starts at initial_accumulator)
 *            p -= lr_t g / (sqrt(a) + epsilon)
 *
 * These are Keras's update rules, and nn_optim_opts_init sets Keras's
 * defaults:
 *
 *   SGD      lr 0.01,  momentum 0, nesterov 0
 *   ADAM     lr 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7
 *   ADAMW    as ADAM, weight_decay 0.004
 *   RMSPROP  lr 0.001, rho 0.9, epsilon 1e-7
 *   ADAGRAD  lr 0.001, initial_accumulator 0.1, epsilon 1e-7
 *
 * and no clipping, CONSTANT schedule. NOTE: AdamW decays every entry of
 * the vector, biases included (as Keras does unless told otherwise).
 *
 * LIMITATION: RMSprop has neither momentum nor the centered variant that
 * Keras offers; a port that sets them gets plain RMSprop here.
 * NOTE: a state entry (m, v or a) smaller in magnitude than DBL_MIN
 * (2.2e-308) is stored as 0, so that the state of a parameter whose
 * gradient stays 0 never decays into subnormal numbers, which x86
 * computes on up to a hundred times slower; the parameter moves by less
 * than lr * 1e-300 either way.
 */
#ifndef NNBLAS_OPTIM_H
#define NNBLAS_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

NN_BEGIN_DECLS

typedef enum nn_optim_kind {
    NN_OPTIM_SGD = 0,
    NN_OPTIM_ADAM = 1,
    NN_OPTIM_ADAMW = 2,
    NN_OPTIM_RMSPROP = 3,
    NN_OPTIM_ADAGRAD = 4,
} nn_optim_kind;

typedef enum nn_schedule {
    NN_SCHEDULE_CONSTANT = 0,
    NN_SCHEDULE_STEP = 1,
    NN_SCHEDULE_EXPONENTIAL = 2,
    NN_SCHEDULE_COSINE = 3,
} nn_schedule;

/* Optimizer settings. Fill with nn_optim_opts_init, then change. */
typedef struct nn_optim_opts {
    int64_t kind;                /* nn_optim_kind */
    double  lr;                  /* base learning rate, > 0 */
    double  momentum;            /* SGD, in [0, 1) */
    int64_t nesterov;            /* SGD, 0 or 1 */
    double  beta1;               /* ADAM, ADAMW, in [0, 1) */
    double  beta2;               /* ADAM, ADAMW, in [0, 1) */
    double  epsilon;             /* ADAM, ADAMW, RMSPROP, ADAGRAD, > 0 */
    double  weight_decay;        /* ADAMW, >= 0 */
    double  rho;                 /* RMSPROP, in [0, 1) */
    double  initial_accumulator; /* ADAGRAD, >= 0 */
    double  clip_value;          /* 0 = off, else > 0 */
    double  clip_norm;           /* 0 = off, else > 0 */
    int64_t schedule;            /* nn_schedule */
    int64_t decay_steps;         /* STEP, EXPONENTIAL, COSINE: > 0 */
    double  decay_rate;          /* STEP, EXPONENTIAL: > 0 */
    double  cosine_floor;        /* COSINE: final fraction of lr, in [0, 1] */
} nn_optim_opts;

typedef struct nn_optim nn_optim;

/*
 * Fills opts with the defaults of kind (table above). Returns NN_OK or
 * NN_EINVAL (NULL opts, unknown kind; opts untouched).
 */
NN_API NN_NODISCARD nn_status nn_optim_opts_init(nn_optim_opts *opts, int kind);

/*
 * Checks opts and says what is wrong with them. Returns NN_OK or
 * NN_EINVAL with a message naming the field.
 */
NN_API NN_NODISCARD nn_status nn_optim_opts_check(const nn_optim_opts *opts);

/*
 * Creates an optimizer for vectors of n parameters, with its state
 * arrays. Returns NN_OK, NN_EINVAL (bad opts, n < 1), NN_ERANGE or
 * NN_ENOMEM; *out is NULL on failure. Free it with nn_optim_free.
 */
NN_API NN_NODISCARD nn_status nn_optim_new(nn_optim            **out,
                                           const nn_optim_opts  *opts,
                                           int64_t               n);

/* Releases an optimizer. NULL does nothing. */
NN_API void nn_optim_free(nn_optim *opt);

/*
 * One update of params from grads (both n long, the n the optimizer was
 * made for). grads is clipped in place when clipping is on. Returns NN_OK,
 * NN_EINVAL (NULL) or NN_ESHAPE (n differs); nothing changes on failure.
 * Allocates nothing. Not for use on one optimizer from two threads.
 */
NN_API NN_NODISCARD nn_status nn_optim_step(nn_optim *opt,
                                            int64_t   n,
                                            double   *params,
                                            double   *grads);

/* Sets the state back to that of a new optimizer (step count 0).
 * Returns NN_OK or NN_EINVAL. */
NN_API NN_NODISCARD nn_status nn_optim_reset(nn_optim *opt);

/* Steps taken so far (0 for NULL). */
NN_API int64_t nn_optim_iterations(const nn_optim *opt);

/* The learning rate the next step will use (0 for NULL). */
NN_API double nn_optim_lr(const nn_optim *opt);

/* The settings the optimizer was made with, copied to *opts.
 * Returns NN_OK or NN_EINVAL. */
NN_API NN_NODISCARD nn_status nn_optim_get_opts(const nn_optim *opt,
                                                nn_optim_opts  *opts);

/*
 * The plain gradient-descent kernel: param -= lr * grad over n entries,
 * without any optimizer object. Returns NN_OK or NN_EINVAL (NULL, n < 1,
 * lr not finite).
 */
NN_API NN_NODISCARD nn_status nn_optim_sgd(int64_t       n,
                                           double        lr,
                                           const double *grad,
                                           double       *param);

/* A static name ("adam"), or "unknown". */
NN_API const char *nn_optim_name(int kind);

NN_END_DECLS

#endif
