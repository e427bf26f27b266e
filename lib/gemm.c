/*
 * The matrix product: dispatch between cblas_dgemm and the library's own
 * loops, the loops themselves, and the BLAS thread and version queries.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <cblas.h>

#include "config.h"
#include "internal.h"

/*
 * Default crossovers in m*n*k, measured with `nnblas-bench --crossover`
 * (medians over 40 square and layer-shaped products per pass, one BLAS
 * thread) on a 2-core KVM guest of an AVX-512 Xeon ("Intel(R) Xeon(R)
 * Processor", OpenBLAS 0.3.21 DYNAMIC_ARCH with the SkylakeX kernels,
 * Debian 12, gcc 12 -O3). That OpenBLAS has small-matrix kernels for NN
 * and TN whose fixed cost is about 20 ns, so the loops only win the
 * tiniest forward and weight-gradient products (2x2x2: 20 ns against
 * 21 and 30); its NT path costs about 80 ns, and the loops win the input
 * gradient up to m*n*k = 128 and lose from 216 (6x6x6) on. A BLAS
 * without such kernels has far higher crossovers: measure yours.
 */
#define CROSSOVER_FORWARD 16
#define CROSSOVER_WEIGHTS 32
#define CROSSOVER_INPUTS 200

static const int64_t crossover_defaults[3] = {
    [NN_PASS_FORWARD] = CROSSOVER_FORWARD,
    [NN_PASS_WEIGHTS] = CROSSOVER_WEIGHTS,
    [NN_PASS_INPUTS] = CROSSOVER_INPUTS,
};

static atomic_int gemm_mode = NN_GEMM_AUTO;
static atomic_llong crossover[3] = {
    [NN_PASS_FORWARD] = CROSSOVER_FORWARD,
    [NN_PASS_WEIGHTS] = CROSSOVER_WEIGHTS,
    [NN_PASS_INPUTS] = CROSSOVER_INPUTS,
};

nn_status nn_gemm_mode_set(int mode)
{
    if (mode != NN_GEMM_AUTO && mode != NN_GEMM_BLAS && mode != NN_GEMM_NAIVE) {
        return nn__fail(NN_EINVAL, "nn_gemm_mode_set: mode %d is not "
                        "NN_GEMM_AUTO (0), NN_GEMM_BLAS (1) or NN_GEMM_NAIVE "
                        "(2)", mode);
    }
    atomic_store_explicit(&gemm_mode, mode, memory_order_relaxed);
    return NN_OK;
}

int nn_gemm_mode_get(void)
{
    return atomic_load_explicit(&gemm_mode, memory_order_relaxed);
}

static int valid_pass(int pass)
{
    return pass >= NN_PASS_FORWARD && pass <= NN_PASS_INPUTS;
}

nn_status nn_gemm_crossover_set(int pass, int64_t mnk)
{
    if (!valid_pass(pass)) {
        return nn__fail(NN_EINVAL, "nn_gemm_crossover_set: pass %d is not "
                        "NN_PASS_FORWARD, NN_PASS_WEIGHTS or NN_PASS_INPUTS",
                        pass);
    }
    if (mnk < 0) {
        return nn__fail(NN_EINVAL, "nn_gemm_crossover_set: the crossover "
                        "must be 0 or more, got %lld", (long long)mnk);
    }
    atomic_store_explicit(&crossover[pass], (long long)mnk,
                          memory_order_relaxed);
    return NN_OK;
}

int64_t nn_gemm_crossover_get(int pass)
{
    if (!valid_pass(pass)) {
        return -1;
    }
    return (int64_t)atomic_load_explicit(&crossover[pass],
                                         memory_order_relaxed);
}

int64_t nn_gemm_crossover_default(int pass)
{
    return valid_pass(pass) ? crossover_defaults[pass] : -1;
}

/* c (m x n) = beta * c, without reading c when beta is 0. */
static void scale_rows(int64_t m, int64_t n, double beta, double *c,
                       int64_t ldc)
{
    if (beta == 1.0) {
        return;
    }
    for (int64_t i = 0; i < m; i++) {
        double *ci = c + i * ldc;
        if (beta == 0.0) {
            memset(ci, 0, (size_t)n * sizeof *ci);
        } else {
            for (int64_t j = 0; j < n; j++) {
                ci[j] *= beta;
            }
        }
    }
}

/*
 * The loop orders keep the innermost loop running along contiguous rows
 * of b and c where the layout allows it (no transpose of b); with b
 * transposed each entry of c is a dot product of two contiguous rows.
 */
void nn__gemm_naive(int trans_a, int trans_b, int64_t m, int64_t n,
                    int64_t k, double alpha, const double *a, int64_t lda,
                    const double *b, int64_t ldb, double beta, double *c,
                    int64_t ldc)
{
    if (!trans_b) {
        /* With beta 0 the first term of each row is written rather than
         * added (0.0 + x, so the bits match), which spares a pass that
         * clears c: an outer product (k = 1) then streams c once. */
        int first = beta == 0.0 && k > 0;
        if (!first) {
            scale_rows(m, n, beta, c, ldc);
        }
        for (int64_t i = 0; i < m; i++) {
            double *ci = c + i * ldc;
            for (int64_t p = 0; p < k; p++) {
                double aip = alpha * (trans_a ? a[p * lda + i] : a[i * lda + p]);
                const double *bp = b + p * ldb;
                if (p == 0 && first) {
                    for (int64_t j = 0; j < n; j++) {
                        ci[j] = 0.0 + aip * bp[j];
                    }
                    continue;
                }
                for (int64_t j = 0; j < n; j++) {
                    ci[j] += aip * bp[j];
                }
            }
        }
        return;
    }

    for (int64_t i = 0; i < m; i++) {
        double *ci = c + i * ldc;
        for (int64_t j = 0; j < n; j++) {
            const double *bj = b + j * ldb;
            double sum = 0.0;
            if (trans_a) {
                for (int64_t p = 0; p < k; p++) {
                    sum += a[p * lda + i] * bj[p];
                }
            } else {
                const double *ai = a + i * lda;
                for (int64_t p = 0; p < k; p++) {
                    sum += ai[p] * bj[p];
                }
            }
            ci[j] = beta == 0.0 ? alpha * sum : alpha * sum + beta * ci[j];
        }
    }
}

/*
 * NN_GEMM_AUTO's rule for two shapes of a batch of one, once b (or c)
 * holds at least this many elements (2 MB, past the L2 cache): dgemm
 * copies all of b into its packed layout before computing, which for a
 * single row of output costs as much as the product itself.
 */
#define ONE_ROW_MIN 262144

/*
 * c (1 x n) = alpha op(a) op(b) + beta c as a matrix-vector product,
 * which reads b once. Measured with OpenBLAS 0.3.21 on one thread, a
 * 1024x1024 b: 280 us against 450 us (NN) and 530 us (NT) for dgemm.
 * c is cleared first when beta is 0, so that it is never read.
 */
static void one_row(int trans_a, int trans_b, int64_t n, int64_t k,
                    double alpha, const double *a, int64_t lda,
                    const double *b, int64_t ldb, double beta, double *c)
{
    int inc_a = trans_a ? (int)lda : 1;

    if (beta == 0.0) {
        memset(c, 0, (size_t)n * sizeof *c);
        beta = 1.0;
    }
    if (trans_b) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, alpha, b,
                    (int)ldb, a, inc_a, beta, c, 1);
    } else {
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)k, (int)n, alpha, b,
                    (int)ldb, a, inc_a, beta, c, 1);
    }
}

void nn__gemm(int pass, int trans_a, int trans_b, int64_t m, int64_t n,
              int64_t k, double alpha, const double *a, int64_t lda,
              const double *b, int64_t ldb, double beta, double *c,
              int64_t ldc)
{
    int mode = atomic_load_explicit(&gemm_mode, memory_order_relaxed);
    long long limit = atomic_load_explicit(&crossover[pass],
                                           memory_order_relaxed);
    int automatic = mode == NN_GEMM_AUTO;

    /* In double: m * n * k of BLAS-sized operands can overflow int64. */
    if (mode == NN_GEMM_NAIVE
        || (automatic && (double)m * (double)n * (double)k < (double)limit)) {
        nn__gemm_naive(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                       beta, c, ldc);
        return;
    }
    if (automatic && m == 1 && (double)n * (double)k >= ONE_ROW_MIN) {
        one_row(trans_a, trans_b, n, k, alpha, a, lda, b, ldb, beta, c);
        return;
    }

    /* An outer product (k = 1): the loops write c in one streaming pass,
     * dgemm takes twice as long (1024x1024: 300 us against 725 us). */
    if (automatic && k == 1 && (double)m * (double)n >= ONE_ROW_MIN) {
        nn__gemm_naive(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                       beta, c, ldc);
        return;
    }
    cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
                alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

nn_status nn_blas_threads_set(int64_t n)
{
    if (n < 1 || n > 1024) {
        return nn__fail(NN_EINVAL, "nn_blas_threads_set: the thread count "
                        "must be between 1 and 1024, got %lld", (long long)n);
    }
#if NN_HAVE_OPENBLAS
    openblas_set_num_threads((int)n);
    return NN_OK;
#else
    return nn__fail(NN_ENOTSUP, "nn_blas_threads_set: libnnblas was built "
                    "against a BLAS without a thread-count call; set the "
                    "BLAS's own environment variable instead");
#endif
}

int64_t nn_blas_threads_get(void)
{
#if NN_HAVE_OPENBLAS
    return openblas_get_num_threads();
#else
    return 1;
#endif
}

static char blas_info[256];
static pthread_once_t blas_info_once = PTHREAD_ONCE_INIT;

static void make_blas_info(void)
{
#if NN_HAVE_OPENBLAS
    snprintf(blas_info, sizeof blas_info, "%s (core %s)", openblas_get_config(),
             openblas_get_corename());
#else
    snprintf(blas_info, sizeof blas_info, "a generic CBLAS (not OpenBLAS)");
#endif
}

const char *nn_blas_info(void)
{
    pthread_once(&blas_info_once, make_blas_info);
    return blas_info;
}

const char *nn_build_info(void)
{
    return NN_BUILD_COMPILER " " NN_BUILD_CFLAGS;
}
