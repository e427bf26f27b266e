/*
 * The generator against xoshiro256** and splitmix64 written here from
 * their published definitions, the distributions' moments, and the
 * weight initializers' bounds, variances and orthogonality.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

/* Draws for the moment checks: large enough that 5 standard errors of
 * the mean and of the variance are well under the tolerances used. */
#define DRAWS 200000

/* Fan sizes for the initializer moments: 60000 draws. */
#define FAN_IN 200
#define FAN_OUT 300

/* The standard deviation of a unit normal cut at +-2 (nnblas/init.h). */
#define TRUNCATED_SD 0.87962566103423978

typedef struct ref_rng {
    uint64_t s[4];
} ref_rng;

static uint64_t ref_splitmix64(uint64_t *x)
{
    uint64_t z;

    *x += UINT64_C(0x9e3779b97f4a7c15);
    z = *x;
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t ref_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static void ref_seed(ref_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        r->s[i] = ref_splitmix64(&seed);
    }
}

static uint64_t ref_next(ref_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = ref_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ref_rotl(s[3], 45);
    return out;
}

static void moments(const double *x, int64_t n, double *mean, double *var)
{
    double sum = 0.0, sq = 0.0;

    for (int64_t i = 0; i < n; i++) {
        sum += x[i];
    }
    *mean = sum / (double)n;
    for (int64_t i = 0; i < n; i++) {
        sq += (x[i] - *mean) * (x[i] - *mean);
    }
    *var = sq / (double)(n - 1);
}

static void test_stream(void)
{
    static const uint64_t seeds[] = {0, 1, 42, UINT64_MAX};
    nn_rng a, b;
    ref_rng r;
    uint64_t x = 0, y = 0;
    int same = 1, differ = 0;

    /* The first value for seed 0 is fixed by the published algorithms. */
    CHECK_STATUS(nn_rng_seed(&a, 0), NN_OK);
    CHECK_STATUS(nn_rng_u64(&a, &x), NN_OK);
    CHECK(x == UINT64_C(0x99ec5f36cb75f2b4));

    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        int match = 1;
        CHECK_STATUS(nn_rng_seed(&a, seeds[s]), NN_OK);
        ref_seed(&r, seeds[s]);
        for (int i = 0; i < 500; i++) {
            match &= nn_rng_u64(&a, &x) == NN_OK && x == ref_next(&r);
        }
        CHECK(match);
    }

    /* Same seed, same numbers; neighbouring seeds, different numbers. */
    CHECK_STATUS(nn_rng_seed(&a, 7), NN_OK);
    CHECK_STATUS(nn_rng_seed(&b, 7), NN_OK);
    for (int i = 0; i < 100; i++) {
        same &= nn_rng_u64(&a, &x) == NN_OK && nn_rng_u64(&b, &y) == NN_OK
                && x == y;
    }
    CHECK(same);
    CHECK_STATUS(nn_rng_seed(&b, 8), NN_OK);
    for (int i = 0; i < 100; i++) {
        differ += nn_rng_u64(&a, &x) == NN_OK && nn_rng_u64(&b, &y) == NN_OK
                  && x != y;
    }
    CHECK(differ == 100);

    CHECK_STATUS(nn_rng_seed(NULL, 1), NN_EINVAL);
    CHECK_STATUS(nn_rng_u64(NULL, &x), NN_EINVAL);
    CHECK_STATUS(nn_rng_u64(&a, NULL), NN_EINVAL);
}

static void test_uniform(void)
{
    double *x = malloc(DRAWS * sizeof *x);
    double mean, var, lo = -1.5, hi = 2.5, w = hi - lo, out[4];
    int inside = 1, exact = 1;
    nn_rng g;
    ref_rng r;

    if (!CHECK(x != NULL)) {
        return;
    }

    /* Each double is the top 53 bits of one draw, bit for bit. */
    CHECK_STATUS(nn_rng_seed(&g, 3), NN_OK);
    ref_seed(&r, 3);
    CHECK_STATUS(nn_rng_uniform(&g, 1000, 0.0, 1.0, x), NN_OK);
    for (int i = 0; i < 1000; i++) {
        exact &= x[i] == (double)(ref_next(&r) >> 11) * 0x1.0p-53;
    }
    CHECK(exact);

    CHECK_STATUS(nn_rng_uniform(&g, DRAWS, lo, hi, x), NN_OK);
    for (int i = 0; i < DRAWS; i++) {
        inside &= x[i] >= lo && x[i] < hi;
    }
    CHECK(inside);
    moments(x, DRAWS, &mean, &var);
    CHECK(fabs(mean - (lo + hi) / 2) < 5 * sqrt(w * w / 12 / DRAWS));
    CHECK_NEAR(var, w * w / 12, 0.01 * w * w / 12);

    /* A degenerate interval gives its one point; n = 0 writes nothing. */
    CHECK_STATUS(nn_rng_uniform(&g, 2, 0.25, 0.25, out), NN_OK);
    CHECK(out[0] == 0.25 && out[1] == 0.25);
    out[0] = 9.0;
    CHECK_STATUS(nn_rng_uniform(&g, 0, 0.0, 1.0, out), NN_OK);
    CHECK(out[0] == 9.0);

    /* Failures leave out alone. */
    out[0] = out[1] = 9.0;
    CHECK_STATUS(nn_rng_uniform(&g, 2, 1.0, 0.0, out), NN_EINVAL);
    CHECK_STATUS(nn_rng_uniform(&g, 2, -INFINITY, 0.0, out), NN_EINVAL);
    CHECK_STATUS(nn_rng_uniform(&g, 2, 0.0, NAN, out), NN_EINVAL);
    CHECK_STATUS(nn_rng_uniform(&g, -1, 0.0, 1.0, out), NN_EINVAL);
    CHECK_STATUS(nn_rng_uniform(NULL, 2, 0.0, 1.0, out), NN_EINVAL);
    CHECK_STATUS(nn_rng_uniform(&g, 2, 0.0, 1.0, NULL), NN_EINVAL);
    CHECK(out[0] == 9.0 && out[1] == 9.0);
    free(x);
}

static void test_normal(void)
{
    double *x = malloc(DRAWS * sizeof *x), *y = malloc(DRAWS * sizeof *y);
    double mean, var, out[4] = {9.0, 9.0, 9.0, 9.0};
    nn_rng g, h;

    if (!CHECK(x != NULL && y != NULL)) {
        free(x);
        free(y);
        return;
    }
    CHECK_STATUS(nn_rng_seed(&g, 11), NN_OK);
    CHECK_STATUS(nn_rng_normal(&g, DRAWS, 3.0, 2.0, x), NN_OK);
    moments(x, DRAWS, &mean, &var);
    CHECK(fabs(mean - 3.0) < 5 * 2.0 / sqrt(DRAWS));
    CHECK_NEAR(var, 4.0, 0.02 * 4.0);

    /* Same seed, same draws. */
    CHECK_STATUS(nn_rng_seed(&h, 11), NN_OK);
    CHECK_STATUS(nn_rng_normal(&h, DRAWS, 3.0, 2.0, y), NN_OK);
    CHECK(memcmp(x, y, DRAWS * sizeof *x) == 0);

    /* An odd count writes exactly that many; stddev 0 gives the mean. */
    CHECK_STATUS(nn_rng_normal(&g, 3, 0.0, 1.0, out), NN_OK);
    CHECK(out[3] == 9.0 && isfinite(out[2]));
    CHECK_STATUS(nn_rng_normal(&g, 2, -1.0, 0.0, out), NN_OK);
    CHECK(out[0] == -1.0 && out[1] == -1.0);

    out[0] = 9.0;
    CHECK_STATUS(nn_rng_normal(&g, 1, 0.0, -1.0, out), NN_EINVAL);
    CHECK_STATUS(nn_rng_normal(&g, 1, NAN, 1.0, out), NN_EINVAL);
    CHECK_STATUS(nn_rng_normal(&g, 1, 0.0, INFINITY, out), NN_EINVAL);
    CHECK_STATUS(nn_rng_normal(&g, -2, 0.0, 1.0, out), NN_EINVAL);
    CHECK_STATUS(nn_rng_normal(NULL, 1, 0.0, 1.0, out), NN_EINVAL);
    CHECK_STATUS(nn_rng_normal(&g, 1, 0.0, 1.0, NULL), NN_EINVAL);
    CHECK(out[0] == 9.0);
    free(x);
    free(y);
}

static void test_below(void)
{
    enum { BINS = 7, N = 70000 };
    int64_t counts[BINS] = {0}, v = -5;
    double chi2 = 0.0;
    int in_range = 1;
    nn_rng g;

    CHECK_STATUS(nn_rng_seed(&g, 5), NN_OK);
    for (int i = 0; i < N; i++) {
        if (nn_rng_below(&g, BINS, &v) != NN_OK || v < 0 || v >= BINS) {
            in_range = 0;
            break;
        }
        counts[v]++;
    }
    CHECK(in_range);

    /* Chi-square with 6 degrees of freedom: 22.5 is its 0.999 quantile. */
    for (int b = 0; b < BINS; b++) {
        double d = (double)counts[b] - (double)N / BINS;
        chi2 += d * d / ((double)N / BINS);
    }
    CHECK(chi2 < 22.5);

    in_range = 1;
    for (int i = 0; i < 1000; i++) {
        in_range &= nn_rng_below(&g, 1, &v) == NN_OK && v == 0;
        in_range &= nn_rng_below(&g, INT64_MAX, &v) == NN_OK && v >= 0;
        in_range &= nn_rng_below(&g, (INT64_C(1) << 62) + 1, &v) == NN_OK
                    && v >= 0 && v <= (INT64_C(1) << 62);
    }
    CHECK(in_range);

    v = -5;
    CHECK_STATUS(nn_rng_below(&g, 0, &v), NN_EINVAL);
    CHECK_STATUS(nn_rng_below(&g, -3, &v), NN_EINVAL);
    CHECK_STATUS(nn_rng_below(NULL, 3, &v), NN_EINVAL);
    CHECK_STATUS(nn_rng_below(&g, 3, NULL), NN_EINVAL);
    CHECK(v == -5);
}

/* max over i, j of |(gain^-2) sum_k w_ki w_kj - [i == j]| for the columns
 * of w (rows = 0) or its rows (rows = 1). */
static double orthonormal_error(const double *w, int64_t fan_in,
                                int64_t fan_out, double gain, int rows)
{
    int64_t n = rows ? fan_in : fan_out, len = rows ? fan_out : fan_in;
    double worst = 0.0;

    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < n; j++) {
            double dot = 0.0;
            for (int64_t k = 0; k < len; k++) {
                double a = rows ? w[i * fan_out + k] : w[k * fan_out + i];
                double b = rows ? w[j * fan_out + k] : w[k * fan_out + j];
                dot += a * b;
            }
            dot = dot / (gain * gain) - (i == j ? 1.0 : 0.0);
            worst = fabs(dot) > worst ? fabs(dot) : worst;
        }
    }
    return worst;
}

static void test_orthogonal(void)
{
    static const int64_t shapes[][2] = {{7, 3}, {3, 7}, {5, 5}, {1, 4},
                                        {4, 1}, {64, 17}, {17, 64}, {1, 1}};
    static const double gains[] = {1.0, 2.5};
    double *w = malloc(64 * 17 * sizeof *w), *w2 = malloc(64 * 17 * sizeof *w2);
    nn_rng g, h;

    if (!CHECK(w != NULL && w2 != NULL)) {
        free(w);
        free(w2);
        return;
    }
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t fi = shapes[s][0], fo = shapes[s][1];
        for (int gi = 0; gi < 2; gi++) {
            double err;
            CHECK_STATUS(nn_rng_seed(&g, 100 + s), NN_OK);
            CHECK_STATUS(nn_init_fill(NN_INIT_ORTHOGONAL, gains[gi], fi, fo,
                                      &g, w), NN_OK);
            err = orthonormal_error(w, fi, fo, gains[gi], fi < fo);
            if (!CHECK(err < 1e-12)) {
                printf("  orthogonal %lldx%lld gain %g: error %g\n",
                       (long long)fi, (long long)fo, gains[gi], err);
            }
        }
    }

    /* Not merely a signed identity: a square draw has off-diagonal mass,
     * and the same seed gives the same matrix. */
    CHECK_STATUS(nn_rng_seed(&g, 9), NN_OK);
    CHECK_STATUS(nn_rng_seed(&h, 9), NN_OK);
    CHECK_STATUS(nn_init_fill(NN_INIT_ORTHOGONAL, 1.0, 5, 5, &g, w), NN_OK);
    CHECK_STATUS(nn_init_fill(NN_INIT_ORTHOGONAL, 1.0, 5, 5, &h, w2), NN_OK);
    CHECK(memcmp(w, w2, 25 * sizeof *w) == 0);
    CHECK(fabs(w[1]) + fabs(w[5]) + fabs(w[7]) > 1e-3);
    free(w);
    free(w2);
}

/* Bounds and moments of every random kind on a FAN_IN x FAN_OUT draw. */
static void test_variance_scaling(void)
{
    const double n = FAN_IN * FAN_OUT;
    const double glorot = 2.0 / (FAN_IN + FAN_OUT), he = 2.0 / FAN_IN;
    const double lecun = 1.0 / FAN_IN;
    const struct {
        int kind;
        double param, var, bound;   /* bound 0: unbounded */
    } cases[] = {
        {NN_INIT_GLOROT_UNIFORM, 1.0, glorot, sqrt(3 * glorot)},
        {NN_INIT_HE_UNIFORM, 1.0, he, sqrt(3 * he)},
        {NN_INIT_LECUN_UNIFORM, 1.0, lecun, sqrt(3 * lecun)},
        {NN_INIT_GLOROT_NORMAL, 1.0, glorot, 2 * sqrt(glorot) / TRUNCATED_SD},
        {NN_INIT_HE_NORMAL, 1.0, he, 2 * sqrt(he) / TRUNCATED_SD},
        {NN_INIT_LECUN_NORMAL, 1.0, lecun, 2 * sqrt(lecun) / TRUNCATED_SD},
        {NN_INIT_UNIFORM, 0.05, 0.05 * 0.05 / 3, 0.05},
        {NN_INIT_NORMAL, 0.05, 0.05 * 0.05, 0.0},
    };
    double *w = malloc(FAN_IN * FAN_OUT * sizeof *w);
    double *w2 = malloc(FAN_IN * FAN_OUT * sizeof *w2);
    nn_rng g, h;

    if (!CHECK(w != NULL && w2 != NULL)) {
        free(w);
        free(w2);
        return;
    }
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double mean, var, big = 0.0;
        int inside = 1;

        CHECK_STATUS(nn_rng_seed(&g, 1234), NN_OK);
        CHECK_STATUS(nn_init_fill(cases[c].kind, cases[c].param, FAN_IN,
                                  FAN_OUT, &g, w), NN_OK);
        for (int i = 0; i < FAN_IN * FAN_OUT; i++) {
            big = fabs(w[i]) > big ? fabs(w[i]) : big;
        }
        inside = cases[c].bound == 0.0 || big <= cases[c].bound;
        moments(w, FAN_IN * FAN_OUT, &mean, &var);
        if (!CHECK(inside && fabs(mean) < 5 * sqrt(cases[c].var / n)
                   && fabs(var - cases[c].var) < 0.03 * cases[c].var)) {
            printf("  %s: max |w| %g (bound %g), mean %g, variance %g "
                   "(want %g)\n", nn_init_name(cases[c].kind), big,
                   cases[c].bound, mean, var, cases[c].var);
        }

        /* The draws reach near their bound: the truncation is at 2 sd,
         * not tighter; and the plain normal is not truncated. */
        if (cases[c].bound != 0.0) {
            CHECK(big > 0.95 * cases[c].bound);
        } else {
            CHECK(big > 3.0 * cases[c].param);
        }

        CHECK_STATUS(nn_rng_seed(&h, 1234), NN_OK);
        CHECK_STATUS(nn_init_fill(cases[c].kind, cases[c].param, FAN_IN,
                                  FAN_OUT, &h, w2), NN_OK);
        CHECK(memcmp(w, w2, FAN_IN * FAN_OUT * sizeof *w) == 0);
        CHECK_STATUS(nn_rng_seed(&h, 1235), NN_OK);
        CHECK_STATUS(nn_init_fill(cases[c].kind, cases[c].param, FAN_IN,
                                  FAN_OUT, &h, w2), NN_OK);
        CHECK(memcmp(w, w2, FAN_IN * FAN_OUT * sizeof *w) != 0);
    }
    free(w);
    free(w2);
}

static void test_constants(void)
{
    double w[6];
    int ok = 1;

    CHECK_STATUS(nn_init_fill(NN_INIT_ZEROS, 1.0, 2, 3, NULL, w), NN_OK);
    for (int i = 0; i < 6; i++) {
        ok &= w[i] == 0.0;
    }
    CHECK_STATUS(nn_init_fill(NN_INIT_ONES, 0.0, 3, 2, NULL, w), NN_OK);
    for (int i = 0; i < 6; i++) {
        ok &= w[i] == 1.0;
    }
    CHECK_STATUS(nn_init_fill(NN_INIT_CONSTANT, -3.5, 1, 6, NULL, w), NN_OK);
    for (int i = 0; i < 6; i++) {
        ok &= w[i] == -3.5;
    }
    CHECK(ok);

    CHECK(nn_init_default_param(NN_INIT_UNIFORM) == 0.05);
    CHECK(nn_init_default_param(NN_INIT_NORMAL) == 0.05);
    CHECK(nn_init_default_param(NN_INIT_CONSTANT) == 0.0);
    CHECK(nn_init_default_param(NN_INIT_ORTHOGONAL) == 1.0);
    CHECK(nn_init_default_param(NN_INIT_GLOROT_UNIFORM) == 1.0);
    CHECK(isnan(nn_init_default_param(12)) && isnan(nn_init_default_param(-1)));
    CHECK(strcmp(nn_init_name(NN_INIT_GLOROT_UNIFORM), "glorot_uniform") == 0);
    CHECK(strcmp(nn_init_name(NN_INIT_HE_NORMAL), "he_normal") == 0);
    CHECK(strcmp(nn_init_name(99), "unknown") == 0);
}

static void test_init_errors(void)
{
    const int64_t too_big = (int64_t)INT32_MAX + 1;
    double w[8], saved[8];
    nn_rng g;

    CHECK_STATUS(nn_rng_seed(&g, 1), NN_OK);
    for (int i = 0; i < 8; i++) {
        w[i] = saved[i] = 100.0 + i;
    }
    CHECK_STATUS(nn_init_fill(-1, 1.0, 2, 2, &g, w), NN_EINVAL);
    CHECK_STATUS(nn_init_fill(12, 1.0, 2, 2, &g, w), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "12") != NULL);
    for (int kind = NN_INIT_UNIFORM; kind <= NN_INIT_ORTHOGONAL; kind++) {
        CHECK_STATUS(nn_init_fill(kind, 1.0, 2, 2, NULL, w), NN_EINVAL);
        CHECK_STATUS(nn_init_fill(kind, NAN, 2, 2, &g, w), NN_EINVAL);
        CHECK_STATUS(nn_init_fill(kind, INFINITY, 2, 2, &g, w), NN_EINVAL);
        CHECK_STATUS(nn_init_fill(kind, 1.0, 0, 2, &g, w), NN_EINVAL);
        CHECK_STATUS(nn_init_fill(kind, 1.0, 2, -1, &g, w), NN_EINVAL);
        CHECK_STATUS(nn_init_fill(kind, 1.0, too_big, 1, &g, w), NN_ERANGE);
        CHECK_STATUS(nn_init_fill(kind, 1.0, 2, 2, &g, NULL), NN_EINVAL);
    }
    CHECK_STATUS(nn_init_fill(NN_INIT_UNIFORM, -0.1, 2, 2, &g, w), NN_EINVAL);
    CHECK_STATUS(nn_init_fill(NN_INIT_NORMAL, -0.1, 2, 2, &g, w), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "param") != NULL);
    CHECK_STATUS(nn_init_fill(NN_INIT_CONSTANT, NAN, 2, 2, NULL, w), NN_EINVAL);
    CHECK(memcmp(w, saved, sizeof w) == 0);
}

/* A failing allocator: ORTHOGONAL needs workspace, so it reports
 * NN_ENOMEM and leaves w alone. */
static void *no_alloc(void *user, size_t size)
{
    (void)user;
    (void)size;
    return NULL;
}

static void no_release(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

static void test_init_enomem(void)
{
    double w[12], saved[12];
    nn_rng g;

    CHECK_STATUS(nn_rng_seed(&g, 1), NN_OK);
    for (int i = 0; i < 12; i++) {
        w[i] = saved[i] = -1.0 - i;
    }
    CHECK_STATUS(nn_allocator_set(no_alloc, no_release, NULL), NN_OK);
    CHECK_STATUS(nn_init_fill(NN_INIT_ORTHOGONAL, 1.0, 4, 3, &g, w),
                 NN_ENOMEM);
    CHECK_STATUS(nn_allocator_set(NULL, NULL, NULL), NN_OK);
    CHECK(memcmp(w, saved, sizeof w) == 0);
}

int main(void)
{
    test_stream();
    test_uniform();
    test_normal();
    test_below();
    test_orthogonal();
    test_variance_scaling();
    test_constants();
    test_init_errors();
    test_init_enomem();
    return nn_test_done();
}
