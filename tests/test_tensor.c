/*
 * Tensors and the matrix product: BLAS, the dispatcher and the naive twin
 * against a triple loop written here, on odd, transposed and strided
 * shapes; the argument checks; the accessors and elementwise calls.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

/* Padding around each operand when it is a view: ld exceeds cols. */
#define PAD_ROWS 2
#define PAD_COLS 3
#define SENTINEL 12345.0

static uint64_t seed = 42;

/* An operand: the tensor used in the product and, for a view, the parent
 * that owns the memory around it. */
typedef struct operand {
    nn_tensor *parent;
    nn_tensor *t;
} operand;

static int operand_new(operand *op, int64_t rows, int64_t cols, int strided)
{
    op->parent = NULL;
    op->t = NULL;
    if (!strided) {
        return CHECK_STATUS(nn_tensor_new(&op->t, rows, cols), NN_OK);
    }
    if (!CHECK_STATUS(nn_tensor_new(&op->parent, rows + PAD_ROWS,
                                    cols + PAD_COLS), NN_OK)
        || !CHECK_STATUS(nn_tensor_fill(op->parent, SENTINEL), NN_OK)) {
        return 0;
    }
    return CHECK_STATUS(nn_tensor_view(&op->t, op->parent, 1, 2, rows, cols),
                        NN_OK);
}

static void operand_free(operand *op)
{
    nn_tensor_free(op->t);
    nn_tensor_free(op->parent);
}

static void fill_random(nn_tensor *t)
{
    double *d = nn_tensor_data(t);

    for (int64_t i = 0; i < nn_tensor_rows(t); i++) {
        for (int64_t j = 0; j < nn_tensor_cols(t); j++) {
            d[i * nn_tensor_ld(t) + j] = nn_test_rand(&seed);
        }
    }
}

/* 1 if every element of the parent outside the view still holds the
 * sentinel: the product must respect ld. */
static int padding_intact(const operand *op)
{
    const double *p, *lo;
    int64_t ld;

    if (op->parent == NULL) {
        return 1;
    }
    p = nn_tensor_data(op->parent);
    lo = nn_tensor_data(op->t);
    ld = nn_tensor_ld(op->parent);
    for (int64_t i = 0; i < nn_tensor_rows(op->parent); i++) {
        for (int64_t j = 0; j < ld; j++) {
            const double *e = p + i * ld + j;
            int64_t off = e - lo;
            int inside = off >= 0 && off / ld < nn_tensor_rows(op->t)
                         && off % ld < nn_tensor_cols(op->t);
            if (!inside && *e != SENTINEL) {
                return 0;
            }
        }
    }
    return 1;
}

static double at(const nn_tensor *t, int64_t i, int64_t j)
{
    return nn_tensor_data(t)[i * nn_tensor_ld(t) + j];
}

/* op(x)(i, j), read straight from storage. */
static double op_at(const nn_tensor *t, int trans, int64_t i, int64_t j)
{
    return trans ? at(t, j, i) : at(t, i, j);
}

/*
 * The reference: c = alpha op(a) op(b) + beta c0 by the textbook triple
 * loop, plus the magnitude alpha sum |a||b| + |beta c0| of each entry,
 * which bounds its rounding error.
 */
static void reference(int64_t m, int64_t n, int64_t k, double alpha,
                      const nn_tensor *a, int ta, const nn_tensor *b, int tb,
                      double beta, const double *c0, double *ref,
                      double *scale)
{
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = 0; j < n; j++) {
            double sum = 0.0, mag = 0.0;
            for (int64_t p = 0; p < k; p++) {
                double x = op_at(a, ta, i, p) * op_at(b, tb, p, j);
                sum += x;
                mag += fabs(x);
            }
            ref[i * n + j] = alpha * sum
                             + (beta != 0.0 ? beta * c0[i * n + j] : 0.0);
            scale[i * n + j] = fabs(alpha) * mag
                               + fabs(beta) * fabs(c0[i * n + j]);
        }
    }
}

/* Largest error of c against ref in units of 8 k eps scale (must be <= 1),
 * and largest relative error against the largest |ref| into *rel. */
static double error_ratio(const nn_tensor *c, int64_t k, const double *ref,
                          const double *scale, double *rel)
{
    int64_t m = nn_tensor_rows(c), n = nn_tensor_cols(c);
    double worst = 0.0, diff = 0.0, big = 0.0;

    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = 0; j < n; j++) {
            double e = fabs(at(c, i, j) - ref[i * n + j]);
            double bound = 8.0 * (double)k * DBL_EPSILON * scale[i * n + j];
            double r = e == 0.0 ? 0.0 : bound > 0.0 ? e / bound : INFINITY;
            worst = r > worst || isnan(e) ? (isnan(e) ? INFINITY : r) : worst;
            diff = e > diff ? e : diff;
            big = fabs(ref[i * n + j]) > big ? fabs(ref[i * n + j]) : big;
        }
    }
    *rel = big > 0.0 ? diff / big : diff;
    return worst;
}

static void copy_out(const nn_tensor *c, double *dst)
{
    int64_t n = nn_tensor_cols(c);

    for (int64_t i = 0; i < nn_tensor_rows(c); i++) {
        for (int64_t j = 0; j < n; j++) {
            dst[i * n + j] = at(c, i, j);
        }
    }
}

static void copy_in(nn_tensor *c, const double *src)
{
    int64_t n = nn_tensor_cols(c);

    for (int64_t i = 0; i < nn_tensor_rows(c); i++) {
        for (int64_t j = 0; j < n; j++) {
            nn_tensor_data(c)[i * nn_tensor_ld(c) + j] = src[i * n + j];
        }
    }
}

typedef nn_status (*matmul_fn)(nn_tensor *, double, const nn_tensor *, int,
                               const nn_tensor *, int, double);

/*
 * One shape: for each dispatch mode, nn_tensor_matmul against the naive
 * twin, and the twin against the triple loop, within 8 k eps scale and
 * 1e-12 relative; views keep their padding.
 */
static void check_shape(int64_t m, int64_t n, int64_t k, int ta, int tb,
                        double alpha, double beta, int strided)
{
    static const int modes[] = {NN_GEMM_BLAS, NN_GEMM_AUTO, NN_GEMM_NAIVE};
    operand a, b, c, cn;
    double *c0 = malloc((size_t)(m * n) * sizeof *c0);
    double *ref = malloc((size_t)(m * n) * sizeof *ref);
    double *scale = malloc((size_t)(m * n) * sizeof *scale);
    double *naive = malloc((size_t)(m * n) * sizeof *naive);
    double rel, ratio;

    if (!CHECK(c0 != NULL && ref != NULL && scale != NULL && naive != NULL)
        || !operand_new(&a, ta ? k : m, ta ? m : k, strided)
        || !operand_new(&b, tb ? n : k, tb ? k : n, strided)
        || !operand_new(&c, m, n, strided)
        || !operand_new(&cn, m, n, 0)) {
        goto done;
    }
    fill_random(a.t);
    fill_random(b.t);
    fill_random(c.t);
    copy_out(c.t, c0);
    reference(m, n, k, alpha, a.t, ta, b.t, tb, beta, c0, ref, scale);

    /* The twin against the loop written here. */
    copy_in(cn.t, c0);
    CHECK_STATUS(nn_tensor_matmul_naive(cn.t, alpha, a.t, ta, b.t, tb, beta),
                 NN_OK);
    ratio = error_ratio(cn.t, k, ref, scale, &rel);
    if (!CHECK(ratio <= 1.0 && rel <= 1e-12)) {
        printf("  naive %lldx%lldx%lld ta=%d tb=%d alpha=%g beta=%g "
               "strided=%d: ratio %g rel %g\n", (long long)m, (long long)n,
               (long long)k, ta, tb, alpha, beta, strided, ratio, rel);
    }
    copy_out(cn.t, naive);

    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        CHECK_STATUS(nn_gemm_mode_set(modes[i]), NN_OK);
        copy_in(c.t, c0);
        CHECK_STATUS(nn_tensor_matmul(c.t, alpha, a.t, ta, b.t, tb, beta),
                     NN_OK);
        ratio = error_ratio(c.t, k, naive, scale, &rel);
        if (!CHECK(ratio <= 1.0 && rel <= 1e-12 && padding_intact(&c)
                   && padding_intact(&a) && padding_intact(&b))) {
            printf("  mode %d %lldx%lldx%lld ta=%d tb=%d alpha=%g beta=%g "
                   "strided=%d: ratio %g rel %g\n", modes[i], (long long)m,
                   (long long)n, (long long)k, ta, tb, alpha, beta, strided,
                   ratio, rel);
        }
    }
    CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_AUTO), NN_OK);

done:
    operand_free(&a);
    operand_free(&b);
    operand_free(&c);
    operand_free(&cn);
    free(c0);
    free(ref);
    free(scale);
    free(naive);
}

static void test_matmul_shapes(void)
{
    static const int64_t sizes[] = {1, 3, 17, 64};
    static const double ab[][2] = {{1.0, 0.0}, {0.7, -1.3}, {-2.0, 0.5},
                                   {1.0, 1.0}};
    int count = 0;

    for (int mi = 0; mi < 4; mi++) {
        for (int ni = 0; ni < 4; ni++) {
            for (int ki = 0; ki < 4; ki++) {
                for (int t = 0; t < 4; t++) {
                    const double *p = ab[count++ % 4];
                    check_shape(sizes[mi], sizes[ni], sizes[ki], t & 1, t >> 1,
                                p[0], p[1], (mi + ni + ki + t) % 2);
                }
            }
        }
    }

    /* 1x1, tall, wide, and a product large enough that AUTO picks BLAS. */
    for (int t = 0; t < 4; t++) {
        check_shape(1, 1, 1, t & 1, t >> 1, 1.5, -0.5, t % 2);
        check_shape(300, 2, 5, t & 1, t >> 1, 1.0, 0.0, 1);
        check_shape(2, 300, 5, t & 1, t >> 1, -1.0, 2.0, 0);
        check_shape(5, 7, 300, t & 1, t >> 1, 0.25, 0.0, 1);
        check_shape(33, 29, 31, t & 1, t >> 1, 1.0, 0.0, t % 2);
    }
}

/* With beta = 0 the output is never read: NaN in c must not leak. */
static void test_beta_zero_ignores_c(void)
{
    static const int modes[] = {NN_GEMM_BLAS, NN_GEMM_AUTO, NN_GEMM_NAIVE};
    static const int64_t sizes[] = {1, 3, 17, 64};
    nn_tensor *a = NULL, *b = NULL, *c = NULL;

    for (int s = 0; s < 4; s++) {
        int64_t n = sizes[s];
        for (int t = 0; t < 4; t++) {
            CHECK_STATUS(nn_tensor_new(&a, n, n), NN_OK);
            CHECK_STATUS(nn_tensor_new(&b, n, n), NN_OK);
            CHECK_STATUS(nn_tensor_new(&c, n, n), NN_OK);
            if (a == NULL || b == NULL || c == NULL) {
                return;
            }
            fill_random(a);
            fill_random(b);
            for (int i = 0; i < 4; i++) {
                int finite = 1;
                CHECK_STATUS(nn_tensor_fill(c, NAN), NN_OK);
                if (i < 3) {
                    CHECK_STATUS(nn_gemm_mode_set(modes[i]), NN_OK);
                    CHECK_STATUS(nn_tensor_matmul(c, 1.0, a, t & 1, b, t >> 1,
                                                  0.0), NN_OK);
                } else {
                    CHECK_STATUS(nn_tensor_matmul_naive(c, 1.0, a, t & 1, b,
                                                        t >> 1, 0.0), NN_OK);
                }
                for (int64_t e = 0; e < n * n; e++) {
                    finite &= isfinite(nn_tensor_data(c)[e]) != 0;
                }
                if (!CHECK(finite)) {
                    printf("  NaN leaked: n=%lld t=%d path=%d\n",
                           (long long)n, t, i);
                }
            }
            nn_tensor_free(a);
            nn_tensor_free(b);
            nn_tensor_free(c);
        }
    }
    CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_AUTO), NN_OK);
}

/* Snapshot of c's bytes so failures can be shown to leave it alone. */
static int same_bytes(const nn_tensor *t, const double *saved)
{
    return memcmp(nn_tensor_data(t), saved,
                  (size_t)(nn_tensor_rows(t) * nn_tensor_cols(t))
                      * sizeof(double)) == 0;
}

static int mentions(const char *s)
{
    return strstr(nn_last_error(), s) != NULL;
}

static void matmul_errors(matmul_fn fn, const char *name)
{
    nn_tensor *a = NULL, *at = NULL, *b = NULL, *c = NULL, *c33 = NULL;
    nn_tensor *sq = NULL, *view = NULL, *other = NULL;
    double saved[6], saved33[9], saved16[16];

    if (!CHECK_STATUS(nn_tensor_new(&a, 3, 4), NN_OK)
        || !CHECK_STATUS(nn_tensor_new(&at, 4, 3), NN_OK)
        || !CHECK_STATUS(nn_tensor_new(&b, 5, 2), NN_OK)
        || !CHECK_STATUS(nn_tensor_new(&c, 3, 2), NN_OK)
        || !CHECK_STATUS(nn_tensor_new(&c33, 3, 3), NN_OK)
        || !CHECK_STATUS(nn_tensor_new(&sq, 4, 4), NN_OK)) {
        goto done;
    }
    fill_random(a);
    fill_random(b);
    fill_random(c);
    fill_random(c33);
    memcpy(saved, nn_tensor_data(c), sizeof saved);
    memcpy(saved33, nn_tensor_data(c33), sizeof saved33);

    /* Inner sizes disagree: 3x4 times 5x2, plain and through a transpose. */
    CHECK_STATUS(fn(c, 1.0, a, NN_TRANS_NO, b, NN_TRANS_NO, 0.0), NN_ESHAPE);
    CHECK(mentions(name) && mentions("3x4") && mentions("5x2"));
    CHECK(same_bytes(c, saved));
    CHECK_STATUS(fn(c, 1.0, at, NN_TRANS_YES, b, NN_TRANS_NO, 1.0), NN_ESHAPE);
    CHECK(mentions("3x4") && mentions("5x2") && mentions("transposed"));
    CHECK(same_bytes(c, saved));
    CHECK_STATUS(fn(c, 1.0, a, NN_TRANS_NO, b, NN_TRANS_YES, 1.0), NN_ESHAPE);
    CHECK(mentions("3x4") && mentions("2x5"));
    CHECK(same_bytes(c, saved));

    /* Product 3x3 (a 3x4 times a^T) but c 3x2. */
    CHECK_STATUS(fn(c, 1.0, a, NN_TRANS_NO, a, NN_TRANS_YES, 0.0), NN_ESHAPE);
    CHECK(mentions("3x3") && mentions("3x2"));
    CHECK(same_bytes(c, saved));

    /* NULL tensors. */
    CHECK_STATUS(fn(NULL, 1.0, a, 0, at, 0, 0.0), NN_EINVAL);
    CHECK_STATUS(fn(c33, 1.0, NULL, 0, at, 0, 0.0), NN_EINVAL);
    CHECK(mentions("a"));
    CHECK_STATUS(fn(c33, 1.0, a, 0, NULL, 0, 0.0), NN_EINVAL);
    CHECK(same_bytes(c33, saved33));

    /* Transpose flags other than 0 and 1. */
    CHECK_STATUS(fn(c33, 1.0, a, 2, at, 0, 0.0), NN_EINVAL);
    CHECK_STATUS(fn(c33, 1.0, a, 0, at, -1, 0.0), NN_EINVAL);
    CHECK(mentions("2") || mentions("-1"));
    CHECK(same_bytes(c33, saved33));

    /* c is a, or two views of one parent overlap. */
    fill_random(sq);
    memcpy(saved16, nn_tensor_data(sq), sizeof saved16);
    CHECK_STATUS(fn(sq, 1.0, sq, 0, sq, 1, 0.0), NN_EINVAL);
    CHECK(mentions("share"));
    if (CHECK_STATUS(nn_tensor_view(&view, sq, 0, 0, 3, 3), NN_OK)
        && CHECK_STATUS(nn_tensor_view(&other, sq, 1, 1, 3, 3), NN_OK)) {
        CHECK_STATUS(fn(view, 1.0, c33, 0, other, 0, 0.0), NN_EINVAL);
        CHECK_STATUS(fn(view, 1.0, other, 1, c33, 0, 1.0), NN_EINVAL);
    }
    CHECK(memcmp(nn_tensor_data(sq), saved16, sizeof saved16) == 0);

done:
    nn_tensor_free(view);
    nn_tensor_free(other);
    nn_tensor_free(a);
    nn_tensor_free(at);
    nn_tensor_free(b);
    nn_tensor_free(c);
    nn_tensor_free(c33);
    nn_tensor_free(sq);
}

static void test_matmul_errors(void)
{
    CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_BLAS), NN_OK);
    matmul_errors(nn_tensor_matmul, "nn_tensor_matmul");
    CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_AUTO), NN_OK);
    matmul_errors(nn_tensor_matmul, "nn_tensor_matmul");
    matmul_errors(nn_tensor_matmul_naive, "nn_tensor_matmul_naive");
}

static void *count_alloc(void *user, size_t size)
{
    ++*(int *)user;
    return malloc(size);
}

static void count_release(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

static void test_new_and_wrap(void)
{
    const int64_t too_big = (int64_t)INT32_MAX + 1;
    nn_tensor *t = NULL, *w = NULL;
    double buf[12];
    int allocs = 0;

    /* Bad sizes are refused before anything is allocated. */
    CHECK_STATUS(nn_allocator_set(count_alloc, count_release, &allocs), NN_OK);
    CHECK_STATUS(nn_tensor_new(&t, 1, too_big), NN_ERANGE);
    CHECK(t == NULL);
    CHECK(mentions("cols") && mentions("2147483648"));
    CHECK_STATUS(nn_tensor_new(&t, too_big, 1), NN_ERANGE);
    CHECK(t == NULL);
    CHECK_STATUS(nn_tensor_new(&t, INT32_MAX, INT32_MAX), NN_ERANGE);
    CHECK_STATUS(nn_tensor_new(&t, 0, 3), NN_EINVAL);
    CHECK(mentions("rows"));
    CHECK_STATUS(nn_tensor_new(&t, 3, -1), NN_EINVAL);
    CHECK(t == NULL);
    CHECK_STATUS(nn_tensor_new(NULL, 3, 3), NN_EINVAL);
    CHECK_STATUS(nn_tensor_wrap(&w, 2, 3, too_big, buf), NN_ERANGE);
    CHECK(w == NULL);
    CHECK(allocs == 0);
    CHECK_STATUS(nn_tensor_new(&t, 2, 5), NN_OK);
    CHECK(allocs == 1);
    nn_tensor_free(t);
    CHECK_STATUS(nn_allocator_set(NULL, NULL, NULL), NN_OK);

    /* Failures set *out to NULL, whatever it held. */
    if (CHECK_STATUS(nn_tensor_new(&w, 1, 1), NN_OK)) {
        nn_tensor *keep = w;
        t = keep;
        CHECK_STATUS(nn_tensor_new(&t, 1, too_big), NN_ERANGE);
        CHECK(t == NULL);
        t = keep;
        CHECK_STATUS(nn_tensor_new(&t, -1, 1), NN_EINVAL);
        CHECK(t == NULL);
        t = keep;
        CHECK_STATUS(nn_tensor_wrap(&t, 3, 4, 3, buf), NN_EINVAL);
        CHECK(t == NULL);
        t = keep;
        CHECK_STATUS(nn_tensor_view(&t, keep, 0, 0, 2, 1), NN_ESHAPE);
        CHECK(t == NULL);
        nn_tensor_free(keep);
        w = NULL;
    }

    /* A new tensor is zero and contiguous. */
    if (CHECK_STATUS(nn_tensor_new(&t, 3, 4), NN_OK)) {
        int zero = 1;
        for (int i = 0; i < 12; i++) {
            zero &= nn_tensor_data(t)[i] == 0.0;
        }
        CHECK(zero);
        CHECK(nn_tensor_rows(t) == 3 && nn_tensor_cols(t) == 4
              && nn_tensor_ld(t) == 4);
        nn_tensor_free(t);
    }

    /* Wrap: caller memory, ld >= cols; free releases only the wrapper
     * (buf is on the stack, so freeing it would crash under ASan). */
    for (int i = 0; i < 12; i++) {
        buf[i] = i;
    }
    CHECK_STATUS(nn_tensor_wrap(&w, 3, 3, 4, buf), NN_OK);
    if (w != NULL) {
        double v = 0.0;
        CHECK(nn_tensor_data(w) == buf && nn_tensor_ld(w) == 4);
        CHECK_STATUS(nn_tensor_get(w, 2, 1, &v), NN_OK);
        CHECK(v == 9.0);
        CHECK_STATUS(nn_tensor_set(w, 1, 2, -1.0), NN_OK);
        CHECK(buf[6] == -1.0);
        nn_tensor_free(w);
    }
    CHECK_STATUS(nn_tensor_wrap(&w, 3, 4, 3, buf), NN_EINVAL);
    CHECK(w == NULL && mentions("ld"));
    CHECK_STATUS(nn_tensor_wrap(&w, 3, 4, 4, NULL), NN_EINVAL);
    CHECK_STATUS(nn_tensor_wrap(&w, 0, 4, 4, buf), NN_EINVAL);
    CHECK_STATUS(nn_tensor_wrap(&w, 3, -2, 4, buf), NN_EINVAL);
    CHECK_STATUS(nn_tensor_wrap(NULL, 3, 4, 4, buf), NN_EINVAL);

    /* NULL is harmless to free and to the accessors. */
    nn_tensor_free(NULL);
    CHECK(nn_tensor_rows(NULL) == 0 && nn_tensor_cols(NULL) == 0
          && nn_tensor_ld(NULL) == 0 && nn_tensor_data(NULL) == NULL);
}

static void test_views(void)
{
    nn_tensor *p = NULL, *v = NULL, *vv = NULL;
    double x = 0.0;

    if (!CHECK_STATUS(nn_tensor_new(&p, 5, 6), NN_OK)) {
        return;
    }
    for (int i = 0; i < 30; i++) {
        nn_tensor_data(p)[i] = i;
    }

    /* A 3x4 block at (1, 2) shares the parent's memory and ld. */
    if (CHECK_STATUS(nn_tensor_view(&v, p, 1, 2, 3, 4), NN_OK)) {
        CHECK(nn_tensor_rows(v) == 3 && nn_tensor_cols(v) == 4);
        CHECK(nn_tensor_ld(v) == 6);
        CHECK(nn_tensor_data(v) == nn_tensor_data(p) + 8);
        CHECK_STATUS(nn_tensor_get(v, 2, 3, &x), NN_OK);
        CHECK(x == 3 * 6 + 5);
        CHECK_STATUS(nn_tensor_set(v, 0, 0, -7.0), NN_OK);
        CHECK(nn_tensor_data(p)[8] == -7.0);

        /* A view of a view still indexes the first parent. */
        if (CHECK_STATUS(nn_tensor_view(&vv, v, 1, 1, 2, 2), NN_OK)) {
            CHECK(nn_tensor_data(vv) == nn_tensor_data(p) + 15);
            CHECK(nn_tensor_ld(vv) == 6);
            nn_tensor_free(vv);
            vv = p;
            CHECK_STATUS(nn_tensor_view(&vv, v, 2, 0, 2, 1), NN_ESHAPE);
            CHECK(vv == NULL);
        }
    }

    /* Blocks that do not fit, and bad arguments. */
    vv = v;
    CHECK_STATUS(nn_tensor_view(&vv, p, 3, 0, 3, 1), NN_ESHAPE);
    CHECK(vv == NULL && mentions("5x6"));
    CHECK_STATUS(nn_tensor_view(&vv, p, 0, 3, 1, 4), NN_ESHAPE);
    CHECK_STATUS(nn_tensor_view(&vv, p, -1, 0, 1, 1), NN_ESHAPE);
    CHECK_STATUS(nn_tensor_view(&vv, p, 0, -1, 1, 1), NN_ESHAPE);
    CHECK_STATUS(nn_tensor_view(&vv, p, 0, 0, 0, 1), NN_EINVAL);
    CHECK_STATUS(nn_tensor_view(&vv, p, 0, 0, 1, -1), NN_EINVAL);
    CHECK_STATUS(nn_tensor_view(&vv, NULL, 0, 0, 1, 1), NN_EINVAL);
    CHECK_STATUS(nn_tensor_view(NULL, p, 0, 0, 1, 1), NN_EINVAL);
    CHECK_STATUS(nn_tensor_view(&vv, p, 0, 0, 5, 6), NN_OK);
    nn_tensor_free(vv);
    nn_tensor_free(v);
    nn_tensor_free(p);
}

/* get, set, fill, copy, scale and axpy on views, so that ld > cols and
 * the elements outside the block must stay as they were. */
static void test_elementwise(void)
{
    operand x, y;
    nn_tensor *small = NULL;
    double v = 0.0, want, saved[12];
    int ok = 1;

    if (!operand_new(&x, 3, 4, 1) || !operand_new(&y, 3, 4, 1)
        || !CHECK_STATUS(nn_tensor_new(&small, 4, 3), NN_OK)) {
        goto done;
    }
    fill_random(x.t);
    fill_random(y.t);

    CHECK_STATUS(nn_tensor_get(x.t, 2, 3, &v), NN_OK);
    CHECK(v == at(x.t, 2, 3));
    CHECK_STATUS(nn_tensor_get(x.t, 3, 0, &v), NN_ESHAPE);
    CHECK(mentions("3x4"));
    CHECK_STATUS(nn_tensor_get(x.t, 0, 4, &v), NN_ESHAPE);
    CHECK_STATUS(nn_tensor_get(x.t, -1, 0, &v), NN_ESHAPE);
    CHECK_STATUS(nn_tensor_get(x.t, 0, 0, NULL), NN_EINVAL);
    CHECK_STATUS(nn_tensor_get(NULL, 0, 0, &v), NN_EINVAL);
    CHECK_STATUS(nn_tensor_set(x.t, 0, -1, 1.0), NN_ESHAPE);
    CHECK_STATUS(nn_tensor_set(x.t, 3, 0, 1.0), NN_ESHAPE);
    CHECK_STATUS(nn_tensor_set(NULL, 0, 0, 1.0), NN_EINVAL);
    CHECK(padding_intact(&x));

    /* axpy: y += 2.5 x. */
    want = at(y.t, 1, 2) + 2.5 * at(x.t, 1, 2);
    CHECK_STATUS(nn_tensor_axpy(y.t, 2.5, x.t), NN_OK);
    CHECK_NEAR(at(y.t, 1, 2), want, 1e-15);
    CHECK(padding_intact(&y));

    /* scale and fill. */
    want = -3.0 * at(y.t, 2, 0);
    CHECK_STATUS(nn_tensor_scale(y.t, -3.0), NN_OK);
    CHECK(at(y.t, 2, 0) == want);
    CHECK(padding_intact(&y));
    CHECK_STATUS(nn_tensor_fill(y.t, 0.5), NN_OK);
    for (int64_t i = 0; i < 3; i++) {
        for (int64_t j = 0; j < 4; j++) {
            ok &= at(y.t, i, j) == 0.5;
        }
    }
    CHECK(ok && padding_intact(&y));

    /* copy between different ld. */
    CHECK_STATUS(nn_tensor_copy(y.t, x.t), NN_OK);
    ok = 1;
    for (int64_t i = 0; i < 3; i++) {
        for (int64_t j = 0; j < 4; j++) {
            ok &= at(y.t, i, j) == at(x.t, i, j);
        }
    }
    CHECK(ok && padding_intact(&y));

    /* Shape mismatches leave the destination alone. */
    fill_random(small);
    memcpy(saved, nn_tensor_data(small), sizeof saved);
    CHECK_STATUS(nn_tensor_copy(small, x.t), NN_ESHAPE);
    CHECK(mentions("4x3") && mentions("3x4"));
    CHECK_STATUS(nn_tensor_axpy(small, 1.0, x.t), NN_ESHAPE);
    CHECK(memcmp(nn_tensor_data(small), saved, sizeof saved) == 0);
    CHECK_STATUS(nn_tensor_copy(NULL, x.t), NN_EINVAL);
    CHECK_STATUS(nn_tensor_copy(small, NULL), NN_EINVAL);
    CHECK_STATUS(nn_tensor_axpy(NULL, 1.0, x.t), NN_EINVAL);
    CHECK_STATUS(nn_tensor_axpy(small, 1.0, NULL), NN_EINVAL);
    CHECK_STATUS(nn_tensor_fill(NULL, 1.0), NN_EINVAL);
    CHECK_STATUS(nn_tensor_scale(NULL, 1.0), NN_EINVAL);

done:
    operand_free(&x);
    operand_free(&y);
    nn_tensor_free(small);
}

static void test_dispatch_settings(void)
{
    int64_t fwd = nn_gemm_crossover_get(NN_PASS_FORWARD);

    CHECK(nn_gemm_mode_get() == NN_GEMM_AUTO);
    CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_NAIVE), NN_OK);
    CHECK(nn_gemm_mode_get() == NN_GEMM_NAIVE);
    CHECK_STATUS(nn_gemm_mode_set(3), NN_EINVAL);
    CHECK_STATUS(nn_gemm_mode_set(-1), NN_EINVAL);
    CHECK(mentions("-1"));
    CHECK(nn_gemm_mode_get() == NN_GEMM_NAIVE);
    CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_AUTO), NN_OK);

    for (int pass = NN_PASS_FORWARD; pass <= NN_PASS_INPUTS; pass++) {
        CHECK(nn_gemm_crossover_default(pass) >= 0);
        CHECK(nn_gemm_crossover_get(pass) == nn_gemm_crossover_default(pass));
    }
    CHECK_STATUS(nn_gemm_crossover_set(NN_PASS_FORWARD, 0), NN_OK);
    CHECK(nn_gemm_crossover_get(NN_PASS_FORWARD) == 0);
    CHECK_STATUS(nn_gemm_crossover_set(NN_PASS_FORWARD, -1), NN_EINVAL);
    CHECK(nn_gemm_crossover_get(NN_PASS_FORWARD) == 0);
    CHECK_STATUS(nn_gemm_crossover_set(3, 10), NN_EINVAL);
    CHECK_STATUS(nn_gemm_crossover_set(-1, 10), NN_EINVAL);
    CHECK(nn_gemm_crossover_get(3) == -1 && nn_gemm_crossover_get(-1) == -1);
    CHECK(nn_gemm_crossover_default(3) == -1);

    /* AUTO with every product on BLAS, then every product on the loops. */
    check_shape(3, 17, 5, 0, 1, 1.0, 0.0, 1);
    CHECK_STATUS(nn_gemm_crossover_set(NN_PASS_FORWARD, INT64_MAX), NN_OK);
    check_shape(64, 64, 64, 0, 0, 1.0, 0.0, 1);
    CHECK_STATUS(nn_gemm_crossover_set(NN_PASS_FORWARD, fwd), NN_OK);

    CHECK_STATUS(nn_blas_threads_set(0), NN_EINVAL);
    CHECK(nn_blas_threads_get() >= 1);
    {
        /* Setting the current count changes nothing; a BLAS without a
         * thread-count call says so instead. */
        int64_t threads = nn_blas_threads_get();
        nn_status s = nn_blas_threads_set(threads);
        CHECK(s == NN_OK || s == NN_ENOTSUP);
        CHECK(nn_blas_threads_get() == threads);
    }
    CHECK(nn_blas_info() != NULL && nn_blas_info()[0] != '\0');
    CHECK(nn_build_info() != NULL && nn_build_info()[0] != '\0');
}

int main(void)
{
    test_matmul_shapes();
    test_beta_zero_ignores_c();
    test_matmul_errors();
    test_new_and_wrap();
    test_views();
    test_elementwise();
    test_dispatch_settings();
    return nn_test_done();
}
