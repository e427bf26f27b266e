/*
 * Shared between the files of lib/ and never exported. Names that cross
 * files start with nn__.
 */
#ifndef NNBLAS_INTERNAL_H
#define NNBLAS_INTERNAL_H

#include <stdint.h>
#include <stddef.h>

#include "nnblas.h"

#define NN__PI 3.14159265358979323846

/* The largest size BLAS and LAPACK accept: both take 32-bit int here. */
#define NN__BLAS_INT_MAX INT32_MAX

#if defined(__GNUC__)
#define NN__PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NN__LIKELY(x) __builtin_expect(!!(x), 1)
#define NN__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define NN__PRINTF(f, a)
#define NN__LIKELY(x) (x)
#define NN__UNLIKELY(x) (x)
#endif

/*
 * Records a failure: formats the message into the calling thread's last
 * error, passes it to the log sink if one is installed, and returns
 * status so that callers can write `return nn__fail(...)`.
 */
nn_status nn__fail(nn_status status, const char *fmt, ...) NN__PRINTF(2, 3);

/* Sends a message to the log sink, if one is installed at this level. */
void nn__log(int level, const char *fmt, ...) NN__PRINTF(2, 3);

/* Allocation through the installed allocator; NULL on failure or size 0.
 * Every library allocation goes through these, so a test can count or
 * fail them. nn__alloc_zero clears the block. */
void *nn__alloc(size_t size);
void *nn__alloc_zero(size_t size);
void nn__free(void *ptr);

/* a * b * elem into *out unless it overflows size_t; returns 0 or -1. */
int nn__size_mul(int64_t a, int64_t b, size_t elem, size_t *out);

/* Rounds n up to a multiple of 8 doubles (64 bytes) so that arrays
 * carved out of one block stay cache-line aligned. */
static inline int64_t nn__round8(int64_t n) { return (n + 7) & ~(int64_t)7; }

/*
 * Checks a size against what BLAS can take. Returns NN_OK, or fails with
 * NN_EINVAL (value < 1) or NN_ERANGE (too large), naming `what` in the
 * message of `fn`.
 */
nn_status nn__check_size(const char *fn, const char *what, int64_t value);

/*
 * Finds the first NaN or Inf in a rows x cols array. Returns 0 if all are
 * finite, else 1 with its row and column.
 */
int nn__find_nonfinite(int64_t rows, int64_t cols, const double *a,
                       int64_t *bad_row, int64_t *bad_col);

/*
 * The matrix product behind every layer and nn_tensor_matmul, without
 * argument checks (callers check): C = alpha op(A) op(B) + beta C with
 * op(A) m x k, op(B) k x n, row-major. Dispatches to cblas_dgemm or to
 * the naive loops according to the mode and the crossover of pass.
 */
void nn__gemm(int pass, int trans_a, int trans_b, int64_t m, int64_t n,
              int64_t k, double alpha, const double *a, int64_t lda,
              const double *b, int64_t ldb, double beta, double *c,
              int64_t ldc);

/* The naive loops alone, same contract. */
void nn__gemm_naive(int trans_a, int trans_b, int64_t m, int64_t n,
                    int64_t k, double alpha, const double *a, int64_t lda,
                    const double *b, int64_t ldb, double beta, double *c,
                    int64_t ldc);

/* Seeds a generator (see nn_rng_seed). */
void nn__rng_seed(nn_rng *rng, uint64_t seed);
/* The generator's next 64 bits, and a uniform double on [0, 1). */
uint64_t nn__rng_next(nn_rng *rng);
double nn__rng_unit(nn_rng *rng);
/* A uniform integer on [0, n), n >= 1. */
int64_t nn__rng_below(nn_rng *rng, int64_t n);
/* Two independent standard normals (Marsaglia's polar method). */
void nn__rng_normal_pair(nn_rng *rng, double *a, double *b);

/* Checks an activation kind and slope for function fn. */
nn_status nn__check_activation(const char *fn, int kind, double slope);

/* y = f(y + b) row by row (b may be NULL): the fused tail of the dense
 * forward pass. */
void nn__bias_activation(int kind, double slope, int64_t rows, int64_t cols,
                         const double *b, double *y);

/* Plain activation forward and backward, without checks. z == y and
 * dy == dz are allowed. */
void nn__activation_forward(int kind, double slope, int64_t rows,
                            int64_t cols, const double *z, double *y);
void nn__activation_backward(int kind, double slope, int64_t rows,
                             int64_t cols, const double *y, const double *dy,
                             double *dz);

/* Loss value and gradient without checks; value and grad may be NULL. */
void nn__loss(int kind, int64_t rows, int64_t cols, const double *pred,
              const double *target, double *value, double *grad);

/* The dense layer, visible here so the model can embed layers. */
struct nn_dense {
    int64_t inputs;
    int64_t units;
    int64_t activation;
    int64_t use_bias;
    double slope;
    int64_t kernel_init;
    double kernel_param;
    int64_t bias_init;
    double bias_param;
    double *params;     /* W (inputs x units) then b */
    double *grads;      /* same layout, or NULL */
    int owns;           /* params and grads live in this object's block */
};

/* Checks dense options for function fn. */
nn_status nn__dense_check_opts(const char *fn, int64_t inputs,
                               const nn_dense_opts *opts);

/* Fills a layer struct over given arrays (no checks, no allocation). */
void nn__dense_setup(struct nn_dense *layer, int64_t inputs,
                     const nn_dense_opts *opts, double *params,
                     double *grads);

/* The dense passes without argument checks. */
void nn__dense_forward(const struct nn_dense *layer, int64_t batch,
                       const double *x, double *y);
void nn__dense_backward(struct nn_dense *layer, int64_t batch,
                        const double *x, const double *y, double *dy,
                        double *dx);
void nn__dense_backward_preact(struct nn_dense *layer, int64_t batch,
                               const double *x, const double *dz,
                               double *dx);

/* Optimizer internals shared with model saving and loading. */
struct nn_optim {
    nn_optim_opts opts;
    int64_t n;
    int64_t iterations;
    double *m;          /* first state array (momentum, Adam m), or NULL */
    double *v;          /* second (Adam v, RMSprop v, Adagrad a), or NULL */
};

/* How many state arrays an optimizer kind keeps (0, 1 or 2). */
int nn__optim_state_count(const nn_optim_opts *opts);

/* The optimizer step without checks. */
void nn__optim_step(struct nn_optim *opt, double *params, double *grads);

#endif
