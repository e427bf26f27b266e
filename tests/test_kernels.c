/*
 * The library's fast paths against plain references.
 *
 * The shapes NN_GEMM_AUTO treats specially, against the naive loops: one
 * row of output from a large b (sent to cblas_dgemv), and an outer
 * product (k = 1) with a large c (sent to the loops, which then write c
 * in one pass). Every transpose, strided operands, beta 0 over a c full
 * of NaN (c must not be read) and beta 0.5; then a dense layer at batch 1
 * whose products take those paths.
 *
 * The sigmoid, whose loop vectorizes on glibc's libmvec exp where that
 * is available, against the same formula on libm's scalar exp: within 4
 * ulps everywhere, subnormal results, infinities and NaN included.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <nnblas.h>

#include "nn_test.h"

/* Past the 2 MB of b (or c) from which AUTO changes its choice. */
#define WIDE 600
#define DEEP 512

static uint64_t seed = 2718;

/* A rows x cols tensor over a buffer with 3 spare columns per row. */
static nn_tensor *strided(int64_t rows, int64_t cols, double fill,
                          double **data)
{
    int64_t ld = cols + 3;
    nn_tensor *t = NULL;

    *data = malloc((size_t)(rows * ld) * sizeof(double));
    if (!CHECK(*data != NULL)) {
        return NULL;
    }
    for (int64_t i = 0; i < rows * ld; i++) {
        (*data)[i] = isnan(fill) ? fill : nn_test_rand(&seed);
    }
    CHECK_STATUS(nn_tensor_wrap(&t, rows, cols, ld, *data), NN_OK);
    return t;
}

/* AUTO against the loops for one product; returns 1 if they agree. */
static int check_product(int64_t m, int64_t n, int64_t k, int trans_a,
                         int trans_b, double beta)
{
    double *ad, *bd, *cd, *rd, worst = 0.0, scale = 0.0;
    nn_tensor *a = strided(trans_a ? k : m, trans_a ? m : k, 0.0, &ad);
    nn_tensor *b = strided(trans_b ? n : k, trans_b ? k : n, 0.0, &bd);
    nn_tensor *c = strided(m, n, beta == 0.0 ? NAN : 0.0, &cd);
    nn_tensor *ref = strided(m, n, 0.0, &rd);
    int ok = 0;

    if (a != NULL && b != NULL && c != NULL && ref != NULL) {
        /* The same starting c for both, unless beta 0 hides it. */
        for (int64_t i = 0; beta != 0.0 && i < m * (n + 3); i++) {
            cd[i] = rd[i];
        }
        CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_AUTO), NN_OK);
        CHECK_STATUS(nn_tensor_matmul(c, 1.25, a, trans_a, b, trans_b, beta),
                     NN_OK);
        CHECK_STATUS(nn_tensor_matmul_naive(ref, 1.25, a, trans_a, b,
                                            trans_b, beta), NN_OK);
        for (int64_t i = 0; i < m; i++) {
            for (int64_t j = 0; j < n; j++) {
                double got = cd[i * (n + 3) + j], want = rd[i * (n + 3) + j];
                worst = fmax(worst, isnan(got) ? INFINITY : fabs(got - want));
                scale = fmax(scale, fabs(want));
            }
        }
        ok = CHECK(worst <= 8.0 * (double)k * 0x1p-52 * fmax(scale, 1.0));
        if (!ok) {
            printf("  %lldx%lldx%lld trans %d%d beta %g: off by %g\n",
                   (long long)m, (long long)n, (long long)k, trans_a,
                   trans_b, beta, worst);
        }
    }
    nn_tensor_free(a);
    nn_tensor_free(b);
    nn_tensor_free(c);
    nn_tensor_free(ref);
    free(ad);
    free(bd);
    free(cd);
    free(rd);
    return ok;
}

static void test_products(void)
{
    static const double betas[2] = {0.0, 0.5};

    for (int ta = 0; ta <= 1; ta++) {
        for (int tb = 0; tb <= 1; tb++) {
            for (int bi = 0; bi < 2; bi++) {
                check_product(1, WIDE, DEEP, ta, tb, betas[bi]);
                check_product(WIDE, DEEP, 1, ta, tb, betas[bi]);
                check_product(1, 7, 5, ta, tb, betas[bi]);
                check_product(3, 4, 1, ta, tb, betas[bi]);
            }
        }
    }
}

/* A 600-512 layer at batch 1 gives all three special products. */
static void test_layer(void)
{
    nn_dense_opts opts;
    nn_dense *layer = NULL;
    nn_rng rng;
    double x[WIDE], dy0[DEEP], y[2][DEEP], dy[DEEP], dx[2][WIDE];
    double *g[2];
    int64_t np;

    CHECK_STATUS(nn_rng_seed(&rng, 3), NN_OK);
    CHECK_STATUS(nn_dense_opts_init(&opts, DEEP, NN_ACTIVATION_TANH), NN_OK);
    if (!CHECK_STATUS(nn_dense_new(&layer, WIDE, &opts), NN_OK)
        || !CHECK_STATUS(nn_dense_init(layer, &rng), NN_OK)) {
        nn_dense_free(layer);
        return;
    }
    np = nn_dense_param_count(layer);
    for (int i = 0; i < WIDE; i++) {
        x[i] = nn_test_rand(&seed);
    }
    for (int j = 0; j < DEEP; j++) {
        dy0[j] = nn_test_rand(&seed);
    }
    for (int k = 0; k < 2; k++) {
        g[k] = malloc((size_t)np * sizeof(double));
        if (!CHECK(g[k] != NULL)) {
            return;
        }
        CHECK_STATUS(nn_gemm_mode_set(k == 0 ? NN_GEMM_NAIVE : NN_GEMM_AUTO),
                     NN_OK);
        CHECK_STATUS(nn_dense_forward(layer, 1, x, y[k]), NN_OK);
        for (int j = 0; j < DEEP; j++) {
            dy[j] = dy0[j];
        }
        CHECK_STATUS(nn_dense_backward(layer, 1, x, y[k], dy, dx[k]), NN_OK);
        for (int64_t i = 0; i < np; i++) {
            g[k][i] = nn_dense_grads(layer)[i];
        }
    }
    for (int j = 0; j < DEEP; j++) {
        CHECK_NEAR(y[1][j], y[0][j], 1e-12);
    }
    for (int i = 0; i < WIDE; i++) {
        CHECK_NEAR(dx[1][i], dx[0][i], 1e-12);
    }
    for (int64_t i = 0; i < np; i++) {
        if (!CHECK_NEAR(g[1][i], g[0][i], 1e-12)) {
            break;
        }
    }
    free(g[0]);
    free(g[1]);
    nn_dense_free(layer);
}

/* The distance of got from want in units in the last place of want. */
static double ulps(double got, double want)
{
    double ulp = nextafter(fabs(want), INFINITY) - fabs(want);

    return fabs(got - want) / ulp;
}

static void test_sigmoid(void)
{
    static const double special[] = {
        0.0, -0.0, 1e-300, -1e-300, 0.5, -0.5, 36.7, -36.7, 37.5, -37.5,
        708.0, -708.0, -708.5, -744.5, -745.1, -745.2, 745.5, -746.0, 1000.0,
        -1000.0, INFINITY, -INFINITY,
    };
    enum { N = 200000 };
    static double z[N], y[N];
    double worst = 0.0, at = 0.0;

    for (int i = 0; i < N; i++) {
        static const double scales[4] = {800.0, 40.0, 1.0, 1e-6};
        double scale = scales[i % 4];
        z[i] = i < (int)(sizeof special / sizeof special[0])
                   ? special[i] : scale * nn_test_rand(&seed);
    }
    CHECK_STATUS(nn_activation_forward(NN_ACTIVATION_SIGMOID, 0.0, 1, N, z, y),
                 NN_OK);
    for (int i = 0; i < N; i++) {
        double e = exp(-fabs(z[i]));
        double want = z[i] >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
        double d = ulps(y[i], want);
        if (!(d <= worst)) {
            worst = d;
            at = z[i];
        }
    }
    if (!CHECK(worst <= 4.0)) {
        printf("  sigmoid is %g ulps off at z = %.17g\n", worst, at);
    }
    CHECK(y[0] == 0.5 && y[1] == 0.5);
    CHECK(y[18] == 1.0 && y[19] == 0.0 && y[20] == 1.0 && y[21] == 0.0);

    z[0] = NAN;
    CHECK_STATUS(nn_activation_forward(NN_ACTIVATION_SIGMOID, 0.0, 1, 3, z, y),
                 NN_OK);
    CHECK(isnan(y[0]) && y[1] == 0.5);
}

int main(void)
{
    test_products();
    test_layer();
    test_sigmoid();
    CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_AUTO), NN_OK);
    return nn_test_done();
}
