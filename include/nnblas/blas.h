/*
 * How matrix products are computed: BLAS, the library's own loops, or a
 * size-based choice between the two; and the BLAS thread count.
 *
 * A cblas_dgemm call has a fixed cost (argument checks, packing, thread
 * hand-off) of 20 to 100 ns even with OpenBLAS's small-matrix kernels.
 * For the tiny products of a 2-2-1 network that cost can dominate, and
 * plain loops are up to several times faster. In NN_GEMM_AUTO mode (the
 * default) every product whose m*n*k is below the crossover of its pass
 * runs on the library's loops and the rest on BLAS, with two exceptions
 * for a batch of one: a product with one row of output and at least
 * 262144 elements in b goes to cblas_dgemv, and an outer product (k = 1)
 * of at least 262144 elements to the loops; dgemm first copies all of b,
 * which for such shapes costs as much as the product. The default
 * crossovers were measured with nnblas-bench on an x86-64 machine with
 * OpenBLAS 0.3.21 (see lib/gemm.c); `nnblas-bench --crossover` measures
 * them on yours.
 *
 * These settings are process-wide. They may be changed at any time and
 * from any thread (they are atomic), and apply to products started after
 * the change.
 *
 * LIMITATION: only the matrix products use more than one thread (the
 * BLAS's). The library starts no threads of its own, so the elementwise
 * passes of a training step (activations, loss, the optimizer update)
 * run on the calling thread. With Adam, whose update moves 56 bytes a
 * parameter, that is about a fifth of a 784-512-512-10 step at batch 256
 * on two BLAS threads (nnblas-bench train mode shows the split).
 */
#ifndef NNBLAS_BLAS_H
#define NNBLAS_BLAS_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

NN_BEGIN_DECLS

/* Which code computes matrix products. */
typedef enum nn_gemm_mode {
    NN_GEMM_AUTO = 0,     /* loops below the crossover, BLAS above (default) */
    NN_GEMM_BLAS = 1,     /* always cblas_dgemm */
    NN_GEMM_NAIVE = 2,    /* always the library's loops (for comparison) */
} nn_gemm_mode;

/*
 * The three products of a dense layer, which have different shapes and so
 * different crossovers. NN_PASS_FORWARD also covers nn_tensor_matmul.
 */
typedef enum nn_gemm_pass {
    NN_PASS_FORWARD = 0,  /* y = x * W            (no transpose) */
    NN_PASS_WEIGHTS = 1,  /* dW = x^T * dz        (a transposed) */
    NN_PASS_INPUTS = 2,   /* dx = dz * W^T        (b transposed) */
} nn_gemm_pass;

/* Sets the mode. Returns NN_OK or NN_EINVAL (unknown mode). */
NN_API NN_NODISCARD nn_status nn_gemm_mode_set(int mode);

/* The current mode. */
NN_API int nn_gemm_mode_get(void);

/*
 * Sets the crossover of a pass: products with m*n*k < mnk use the loops
 * in NN_GEMM_AUTO mode. 0 sends every product to BLAS. Returns NN_OK or
 * NN_EINVAL (unknown pass, negative mnk).
 */
NN_API NN_NODISCARD nn_status nn_gemm_crossover_set(int pass, int64_t mnk);

/* The crossover of a pass, or -1 for an unknown pass. */
NN_API int64_t nn_gemm_crossover_get(int pass);

/* The built-in default crossover of a pass, or -1 for an unknown pass. */
NN_API int64_t nn_gemm_crossover_default(int pass);

/*
 * Sets the number of threads the BLAS uses (OpenBLAS only; process-wide).
 * Returns NN_OK, NN_EINVAL (n < 1 or n > 1024) or NN_ENOTSUP when the
 * library was built against a BLAS without a thread-count call.
 * NOTE: OpenBLAS applies this to the whole process, including other
 * libraries that use it; do not call it while products are running.
 * Products started from several threads at once are safe with the
 * pthread build of OpenBLAS 0.3.21 (Debian 12): each gives the bits it
 * gives when run alone at the same thread count (checked at 1, 2 and 4).
 */
NN_API NN_NODISCARD nn_status nn_blas_threads_set(int64_t n);

/* The number of threads the BLAS uses, or 1 if it cannot say. */
NN_API int64_t nn_blas_threads_get(void);

/*
 * A static description of the BLAS the library was built with and runs
 * on, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64".
 */
NN_API const char *nn_blas_info(void);

/* A static description of the compiler and flags the library was built with. */
NN_API const char *nn_build_info(void);

NN_END_DECLS

#endif
