/*
 * Dense row-major double tensors and the matrix product.
 *
 * A tensor is a rows x cols matrix of doubles stored row by row, with a
 * leading dimension ld >= cols: element (i, j) lives at data[i * ld + j].
 * A tensor made by nn_tensor_new owns contiguous memory (ld == cols); one
 * made by nn_tensor_wrap or nn_tensor_view borrows memory that someone
 * else owns, and its ld may exceed cols. A vector is a 1 x n tensor.
 *
 * Threads: calls on different tensors may run at the same time. Calls that
 * write a tensor must not overlap with any other call on that tensor.
 *
 * LIMITATION: tensors have two dimensions. Data of more dimensions (a
 * batch of images, say) must be flattened to samples x features by the
 * caller, which is all a dense network needs.
 */
#ifndef NNBLAS_TENSOR_H
#define NNBLAS_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

NN_BEGIN_DECLS

typedef struct nn_tensor nn_tensor;

/* Transpose flags for nn_tensor_matmul. */
typedef enum nn_trans {
    NN_TRANS_NO = 0,     /* use the operand as stored */
    NN_TRANS_YES = 1,    /* use its transpose (BLAS transposes; nothing is copied) */
} nn_trans;

/*
 * Creates a rows x cols tensor filled with zeros. The caller owns it and
 * releases it with nn_tensor_free. Returns NN_OK, NN_EINVAL (out is NULL,
 * or a size is not positive), NN_ERANGE (the size overflows memory or the
 * BLAS integer) or NN_ENOMEM; on failure *out is set to NULL.
 */
NN_API NN_NODISCARD nn_status nn_tensor_new(nn_tensor **out,
                                            int64_t     rows,
                                            int64_t     cols);

/*
 * Creates a tensor over caller memory: element (i, j) is data[i * ld + j].
 * data must hold at least (rows - 1) * ld + cols doubles and outlive the
 * tensor; nn_tensor_free releases only the wrapper, never data. Returns
 * NN_OK, NN_EINVAL (NULL, non-positive size, ld < cols), NN_ERANGE or
 * NN_ENOMEM.
 */
NN_API NN_NODISCARD nn_status nn_tensor_wrap(nn_tensor **out,
                                             int64_t     rows,
                                             int64_t     cols,
                                             int64_t     ld,
                                             double     *data);

/*
 * Creates a view of the block of parent that starts at (row0, col0) and
 * has rows x cols elements. No data is copied: writes through the view
 * change the parent. The view borrows the parent's memory and must be
 * freed before the parent (with nn_tensor_free, which frees only the
 * view). Returns NN_OK, NN_EINVAL or NN_ESHAPE (the block does not fit).
 */
NN_API NN_NODISCARD nn_status nn_tensor_view(nn_tensor      **out,
                                             const nn_tensor *parent,
                                             int64_t          row0,
                                             int64_t          col0,
                                             int64_t          rows,
                                             int64_t          cols);

/* Releases a tensor (only the wrapper for views and wrapped memory).
 * nn_tensor_free(NULL) does nothing. */
NN_API void nn_tensor_free(nn_tensor *t);

/* Number of rows, columns and the leading dimension; 0 for NULL. */
NN_API int64_t nn_tensor_rows(const nn_tensor *t);
NN_API int64_t nn_tensor_cols(const nn_tensor *t);
NN_API int64_t nn_tensor_ld(const nn_tensor *t);

/*
 * The element storage (borrowed), NULL for NULL. Valid until the tensor,
 * or for a view its parent, is freed.
 */
NN_API double *nn_tensor_data(const nn_tensor *t);

/* Element (i, j) into *value. Returns NN_OK, NN_EINVAL or NN_ESHAPE (out
 * of range). Convenient, not fast: loops should use nn_tensor_data. */
NN_API NN_NODISCARD nn_status nn_tensor_get(const nn_tensor *t,
                                            int64_t          i,
                                            int64_t          j,
                                            double          *value);

/* Sets element (i, j). Returns NN_OK, NN_EINVAL or NN_ESHAPE. */
NN_API NN_NODISCARD nn_status nn_tensor_set(nn_tensor *t,
                                            int64_t    i,
                                            int64_t    j,
                                            double     value);

/* Sets every element to value. Returns NN_OK or NN_EINVAL. */
NN_API NN_NODISCARD nn_status nn_tensor_fill(nn_tensor *t, double value);

/*
 * Copies src into dst element by element; both must have the same rows
 * and cols (their ld may differ). Returns NN_OK, NN_EINVAL or NN_ESHAPE
 * (dst untouched). Overlapping dst and src give unspecified results.
 */
NN_API NN_NODISCARD nn_status nn_tensor_copy(nn_tensor       *dst,
                                             const nn_tensor *src);

/* Multiplies every element by alpha. Returns NN_OK or NN_EINVAL. */
NN_API NN_NODISCARD nn_status nn_tensor_scale(nn_tensor *t, double alpha);

/*
 * y = alpha * x + y, elementwise, for tensors of equal shape. Returns
 * NN_OK, NN_EINVAL or NN_ESHAPE (y untouched).
 */
NN_API NN_NODISCARD nn_status nn_tensor_axpy(nn_tensor       *y,
                                             double           alpha,
                                             const nn_tensor *x);

/*
 * c = alpha * op(a) * op(b) + beta * c, where op(x) is x (NN_TRANS_NO) or
 * x transposed (NN_TRANS_YES).
 *
 * op(a) is m x k, op(b) is k x n and c is m x n, all row-major with their
 * own ld. The product goes to cblas_dgemm, or to the library's own loops
 * when it is smaller than the crossover set in nnblas/blas.h (see
 * nn_gemm_mode_set). When beta is 0, c is never read, so it may hold
 * NaN. Returns NN_OK, NN_EINVAL (NULL tensor, bad flag, or c's memory
 * span overlaps a's or b's) or NN_ESHAPE (sizes disagree; the message
 * names them). c is untouched on failure. Allocates nothing. NOTE: the
 * overlap check compares address ranges, so two disjoint column blocks of
 * one parent, whose rows interleave, are refused too. Threads may call it
 * at the same time on different c.
 */
NN_API NN_NODISCARD nn_status nn_tensor_matmul(nn_tensor       *c,
                                               double           alpha,
                                               const nn_tensor *a,
                                               int              trans_a,
                                               const nn_tensor *b,
                                               int              trans_b,
                                               double           beta);

/*
 * The naive-loop twin of nn_tensor_matmul, with exactly the same contract
 * and checks, that never calls BLAS. It is the reference the tests and the
 * benchmark compare BLAS against.
 */
NN_API NN_NODISCARD nn_status nn_tensor_matmul_naive(nn_tensor       *c,
                                                     double           alpha,
                                                     const nn_tensor *a,
                                                     int              trans_a,
                                                     const nn_tensor *b,
                                                     int              trans_b,
                                                     double           beta);

NN_END_DECLS

#endif
