/*
 * The dense layer: forward against a loop written here, backward against
 * central differences in every dispatch mode, the preactivation entry
 * point, wrapped layers, initialisation and the argument checks.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

#define KINDS 6
#define MAX_IN 9
#define MAX_UNITS 25
#define MAX_BATCH 20
#define STEP 1e-5

static uint64_t seed = 99;

static const int modes[] = {NN_GEMM_BLAS, NN_GEMM_NAIVE, NN_GEMM_AUTO};

/* y = f(x W + b) by loops and textbook formulas. */
static void reference_forward(int kind, double slope, int64_t batch,
                              int64_t in, int64_t units, const double *x,
                              const double *w, const double *b, double *y)
{
    for (int64_t r = 0; r < batch; r++) {
        double *yr = y + r * units, sum = 0.0;
        for (int64_t u = 0; u < units; u++) {
            double z = b != NULL ? b[u] : 0.0;
            for (int64_t i = 0; i < in; i++) {
                z += x[r * in + i] * w[i * units + u];
            }
            switch (kind) {
            case NN_ACTIVATION_SIGMOID: yr[u] = 1.0 / (1.0 + exp(-z)); break;
            case NN_ACTIVATION_TANH: yr[u] = tanh(z); break;
            case NN_ACTIVATION_RELU: yr[u] = z > 0 ? z : 0.0; break;
            case NN_ACTIVATION_LEAKY_RELU: yr[u] = z > 0 ? z : slope * z; break;
            case NN_ACTIVATION_SOFTMAX: yr[u] = exp(z); sum += yr[u]; break;
            default: yr[u] = z; break;
            }
        }
        for (int64_t u = 0; kind == NN_ACTIVATION_SOFTMAX && u < units; u++) {
            yr[u] /= sum;
        }
    }
}

/* The smallest |x W + b|: relu's kink must be further than the step. */
static double min_preact(const nn_dense *layer, int64_t batch, const double *x)
{
    double z[MAX_BATCH * MAX_UNITS], least = INFINITY;
    int64_t units = nn_dense_units(layer);

    reference_forward(NN_ACTIVATION_IDENTITY, 0.0, batch,
                      nn_dense_inputs(layer), units, x,
                      nn_dense_weights(layer), nn_dense_bias(layer), z);
    for (int64_t i = 0; i < batch * units; i++) {
        least = fabs(z[i]) < least ? fabs(z[i]) : least;
    }
    return least;
}

/* L = sum of w .* y, accumulated in long double so that the terms a
 * perturbation does not touch cancel between the two sides. */
static double loss(const nn_dense *layer, int64_t batch, const double *x,
                   const double *w)
{
    double y[MAX_BATCH * MAX_UNITS];
    long double sum = 0.0L;

    if (nn_dense_forward(layer, batch, x, y) != NN_OK) {
        return NAN;
    }
    for (int64_t i = 0; i < batch * nn_dense_units(layer); i++) {
        sum += (long double)w[i] * y[i];
    }
    return (double)sum;
}

static double central_difference(const nn_dense *layer, int64_t batch,
                                 double *x, const double *w, double *v)
{
    double keep = *v, up, down;

    *v = keep + STEP;
    up = loss(layer, batch, x, w);
    *v = keep - STEP;
    down = loss(layer, batch, x, w);
    *v = keep;
    return (up - down) / (2 * STEP);
}

static double grad_error(double analytic, double numeric)
{
    return fabs(analytic - numeric)
           / fmax(1e-3, fmax(fabs(analytic), fabs(numeric)));
}

static double max_diff(const double *a, const double *b, int64_t n)
{
    double worst = 0.0;

    for (int64_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]) / fmax(1.0, fabs(b[i]));
        worst = d > worst || isnan(d) ? d : worst;
    }
    return worst;
}

/* Results of one mode, kept to compare the modes with each other. */
typedef struct result {
    double y[MAX_BATCH * MAX_UNITS];
    double dz[MAX_BATCH * MAX_UNITS];
    double grads[(MAX_IN + 1) * MAX_UNITS];
    double dx[MAX_BATCH * MAX_IN];
} result;

/*
 * One layer shape: for each mode, forward against the reference and
 * backward (dW, db, dx) against central differences of L = sum w .* y;
 * then the three modes against each other.
 */
static void check_layer(int kind, int use_bias, int64_t batch, int64_t in,
                        int64_t units)
{
    static result res[3];
    nn_dense_opts opts;
    nn_dense *layer = NULL;
    double x[MAX_BATCH * MAX_IN], w[MAX_BATCH * MAX_UNITS];
    double ref[MAX_BATCH * MAX_UNITS];
    nn_rng rng;

    CHECK_STATUS(nn_dense_opts_init(&opts, units, kind), NN_OK);
    opts.use_bias = use_bias;
    opts.slope = 0.15;
    opts.bias_init = NN_INIT_UNIFORM;
    opts.bias_param = 0.5;
    if (!CHECK_STATUS(nn_dense_new(&layer, in, &opts), NN_OK)
        || !CHECK_STATUS(nn_rng_seed(&rng, (uint64_t)(kind * 1000 + batch)),
                         NN_OK)
        || !CHECK_STATUS(nn_dense_init(layer, &rng), NN_OK)) {
        nn_dense_free(layer);
        return;
    }
    do {
        for (int64_t i = 0; i < batch * in; i++) {
            x[i] = 2.0 * nn_test_rand(&seed);
        }
    } while (min_preact(layer, batch, x) < 1e-3);
    for (int64_t i = 0; i < batch * units; i++) {
        w[i] = nn_test_rand(&seed);
    }
    reference_forward(kind, opts.slope, batch, in, units, x,
                      nn_dense_weights(layer), nn_dense_bias(layer), ref);

    for (int m = 0; m < 3; m++) {
        result *r = &res[m];
        double err_fwd, err_grad = 0.0;

        CHECK_STATUS(nn_gemm_mode_set(modes[m]), NN_OK);
        CHECK_STATUS(nn_dense_forward(layer, batch, x, r->y), NN_OK);
        err_fwd = max_diff(r->y, ref, batch * units);

        memcpy(r->dz, w, (size_t)(batch * units) * sizeof *w);
        CHECK_STATUS(nn_dense_backward(layer, batch, x, r->y, r->dz, r->dx),
                     NN_OK);
        memcpy(r->grads, nn_dense_grads(layer),
               (size_t)nn_dense_param_count(layer) * sizeof(double));
        for (int64_t p = 0; p < nn_dense_param_count(layer); p++) {
            double fd = central_difference(layer, batch, x, w,
                                           nn_dense_params(layer) + p);
            double e = grad_error(r->grads[p], fd);
            err_grad = e > err_grad || isnan(e) ? e : err_grad;
        }
        for (int64_t i = 0; i < batch * in; i++) {
            double fd = central_difference(layer, batch, x, w, x + i);
            double e = grad_error(r->dx[i], fd);
            err_grad = e > err_grad || isnan(e) ? e : err_grad;
        }
        if (!CHECK(err_fwd < 1e-13 && err_grad < 1e-6)) {
            printf("  %s bias=%d batch=%lld %lldx%lld mode %d: forward "
                   "error %g, gradient error %g\n", nn_activation_name(kind),
                   use_bias, (long long)batch, (long long)in,
                   (long long)units, modes[m], err_fwd, err_grad);
        }
    }

    /* The modes agree with each other to rounding. */
    for (int m = 1; m < 3; m++) {
        CHECK(max_diff(res[m].y, res[0].y, batch * units) < 1e-13
              && max_diff(res[m].dz, res[0].dz, batch * units) < 1e-13
              && max_diff(res[m].grads, res[0].grads,
                          nn_dense_param_count(layer)) < 1e-13
              && max_diff(res[m].dx, res[0].dx, batch * in) < 1e-13);
    }
    CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_AUTO), NN_OK);
    nn_dense_free(layer);
}

static void test_gradients(void)
{
    static const int64_t batches[] = {1, 2, 5};

    for (int kind = 0; kind < KINDS; kind++) {
        for (int bias = 0; bias <= 1; bias++) {
            for (int b = 0; b < 3; b++) {
                check_layer(kind, bias, batches[b], 3, 4);
            }
            /* Every product of this one is past the default crossover, so
             * AUTO sends it to BLAS. */
            check_layer(kind, bias, MAX_BATCH, MAX_IN, MAX_UNITS);
        }
    }
}

/*
 * backward_preact from dz equals backward from dy when dz = f'(z) dy:
 * for identity dz = dy; for sigmoid the test forms dz itself. dz is only
 * read, and dx = NULL skips the input gradient alone.
 */
static void test_preact(void)
{
    enum { B = 3, IN = 4, U = 5 };
    static const int kinds[] = {NN_ACTIVATION_IDENTITY, NN_ACTIVATION_SIGMOID};
    double x[B * IN], y[B * U], dy[B * U], dz[B * U], dz_saved[B * U];
    double dx1[B * IN], dx2[B * IN], g1[(IN + 1) * U], dx_keep[B * IN];
    nn_dense_opts opts;
    nn_dense *layer = NULL;
    nn_rng rng;

    for (int k = 0; k < 2; k++) {
        CHECK_STATUS(nn_dense_opts_init(&opts, U, kinds[k]), NN_OK);
        opts.bias_init = NN_INIT_NORMAL;
        opts.bias_param = 1.0;
        if (!CHECK_STATUS(nn_dense_new(&layer, IN, &opts), NN_OK)) {
            return;
        }
        CHECK_STATUS(nn_rng_seed(&rng, 17), NN_OK);
        CHECK_STATUS(nn_dense_init(layer, &rng), NN_OK);
        for (int i = 0; i < B * IN; i++) {
            x[i] = nn_test_rand(&seed);
        }
        for (int i = 0; i < B * U; i++) {
            dy[i] = nn_test_rand(&seed);
        }
        CHECK_STATUS(nn_dense_forward(layer, B, x, y), NN_OK);
        for (int i = 0; i < B * U; i++) {
            dz[i] = kinds[k] == NN_ACTIVATION_IDENTITY
                        ? dy[i] : dy[i] * y[i] * (1.0 - y[i]);
        }
        memcpy(dz_saved, dz, sizeof dz);

        CHECK_STATUS(nn_dense_backward(layer, B, x, y, dy, dx1), NN_OK);
        CHECK(max_diff(dy, dz, B * U) < 1e-15);
        memcpy(g1, nn_dense_grads(layer), sizeof g1);
        CHECK_STATUS(nn_dense_backward_preact(layer, B, x, dz, dx2), NN_OK);
        CHECK(memcmp(dz, dz_saved, sizeof dz) == 0);
        CHECK(max_diff(nn_dense_grads(layer), g1, (IN + 1) * U) < 1e-14);
        CHECK(max_diff(dx2, dx1, B * IN) < 1e-14);

        /* Without dx: same parameter gradients, dx never touched. */
        memset(nn_dense_grads(layer), 0, sizeof g1);
        for (int i = 0; i < B * IN; i++) {
            dx_keep[i] = -77.0;
        }
        memcpy(dx2, dx_keep, sizeof dx2);
        CHECK_STATUS(nn_dense_backward_preact(layer, B, x, dz, NULL), NN_OK);
        CHECK(max_diff(nn_dense_grads(layer), g1, (IN + 1) * U) < 1e-14);
        memcpy(dy, dz_saved, sizeof dy);
        memset(nn_dense_grads(layer), 0, sizeof g1);
        if (kinds[k] == NN_ACTIVATION_IDENTITY) {
            CHECK_STATUS(nn_dense_backward(layer, B, x, y, dy, NULL), NN_OK);
            CHECK(max_diff(nn_dense_grads(layer), g1, (IN + 1) * U) < 1e-14);
        }
        CHECK(memcmp(dx2, dx_keep, sizeof dx2) == 0);
        nn_dense_free(layer);
        layer = NULL;
    }
}

static void test_wrap_and_accessors(void)
{
    enum { IN = 3, U = 2 };
    double params[(IN + 1) * U], grads[(IN + 1) * U];
    double x[2 * IN] = {1, 2, 3, -1, 0.5, 0}, y[2 * U], dy[2 * U], dx[2 * IN];
    double want[2 * U], dy_saved[2 * U], dx_saved[2 * IN];
    nn_dense_opts opts;
    nn_dense *layer = NULL;

    for (int i = 0; i < (IN + 1) * U; i++) {
        params[i] = 0.1 * (i + 1);
        grads[i] = -5.0;
    }
    CHECK_STATUS(nn_dense_opts_init(&opts, U, NN_ACTIVATION_TANH), NN_OK);
    if (!CHECK_STATUS(nn_dense_wrap(&layer, IN, &opts, params, grads), NN_OK)) {
        return;
    }
    CHECK(nn_dense_params(layer) == params && nn_dense_weights(layer) == params);
    CHECK(nn_dense_bias(layer) == params + IN * U);
    CHECK(nn_dense_grads(layer) == grads);
    CHECK(nn_dense_inputs(layer) == IN && nn_dense_units(layer) == U);
    CHECK(nn_dense_param_count(layer) == (IN + 1) * U);
    CHECK_STATUS(nn_dense_forward(layer, 2, x, y), NN_OK);
    reference_forward(NN_ACTIVATION_TANH, 0.0, 2, IN, U, x, params,
                      params + IN * U, want);
    CHECK(max_diff(y, want, 2 * U) < 1e-15);
    dy[0] = dy[1] = dy[2] = dy[3] = 1.0;
    CHECK_STATUS(nn_dense_backward(layer, 2, x, y, dy, dx), NN_OK);
    CHECK(grads[0] != -5.0 && grads[(IN + 1) * U - 1] != -5.0);
    nn_dense_free(layer);   /* params and grads are on the stack */

    /* Without grads: forward works, backward reports NN_ESTATE. */
    if (CHECK_STATUS(nn_dense_wrap(&layer, IN, &opts, params, NULL), NN_OK)) {
        CHECK(nn_dense_grads(layer) == NULL);
        CHECK_STATUS(nn_dense_forward(layer, 2, x, y), NN_OK);
        for (int i = 0; i < 2 * U; i++) {
            dy[i] = dy_saved[i] = 0.5 * i;
        }
        for (int i = 0; i < 2 * IN; i++) {
            dx[i] = dx_saved[i] = 3.0;
        }
        CHECK_STATUS(nn_dense_backward(layer, 2, x, y, dy, dx), NN_ESTATE);
        CHECK(strstr(nn_last_error(), "grad") != NULL);
        CHECK_STATUS(nn_dense_backward_preact(layer, 2, x, dy, dx), NN_ESTATE);
        CHECK(memcmp(dy, dy_saved, sizeof dy) == 0);
        CHECK(memcmp(dx, dx_saved, sizeof dx) == 0);
        nn_dense_free(layer);
    }

    /* No bias: no bias pointer, fewer parameters. */
    opts.use_bias = 0;
    if (CHECK_STATUS(nn_dense_new(&layer, IN, &opts), NN_OK)) {
        int zero = 1;
        CHECK(nn_dense_bias(layer) == NULL);
        CHECK(nn_dense_param_count(layer) == IN * U);
        for (int i = 0; i < IN * U; i++) {
            zero &= nn_dense_params(layer)[i] == 0.0
                    && nn_dense_grads(layer)[i] == 0.0;
        }
        CHECK(zero);
        nn_dense_free(layer);
    }
    nn_dense_free(NULL);
    CHECK(nn_dense_inputs(NULL) == 0 && nn_dense_units(NULL) == 0
          && nn_dense_param_count(NULL) == 0);
    CHECK(nn_dense_weights(NULL) == NULL && nn_dense_bias(NULL) == NULL
          && nn_dense_params(NULL) == NULL && nn_dense_grads(NULL) == NULL);
}

static void test_init(void)
{
    enum { IN = 50, U = 40 };
    const double limit = sqrt(6.0 / (IN + U));
    nn_dense_opts opts;
    nn_dense *a = NULL, *b = NULL;
    double big = 0.0;
    int inside = 1, zero_bias = 1;
    nn_rng r1, r2;

    CHECK_STATUS(nn_dense_opts_init(&opts, U, NN_ACTIVATION_RELU), NN_OK);
    CHECK(opts.units == U && opts.activation == NN_ACTIVATION_RELU);
    CHECK(opts.use_bias == 1 && opts.slope == NN_LEAKY_SLOPE_DEFAULT);
    CHECK(opts.kernel_init == NN_INIT_GLOROT_UNIFORM);
    CHECK(opts.bias_init == NN_INIT_ZEROS);
    if (!CHECK_STATUS(nn_dense_new(&a, IN, &opts), NN_OK)
        || !CHECK_STATUS(nn_dense_new(&b, IN, &opts), NN_OK)) {
        goto done;
    }
    CHECK_STATUS(nn_rng_seed(&r1, 5), NN_OK);
    CHECK_STATUS(nn_rng_seed(&r2, 5), NN_OK);
    nn_dense_bias(a)[3] = 1.0;
    CHECK_STATUS(nn_dense_init(a, &r1), NN_OK);
    CHECK_STATUS(nn_dense_init(b, &r2), NN_OK);
    for (int i = 0; i < IN * U; i++) {
        double v = nn_dense_weights(a)[i];
        inside &= fabs(v) < limit;
        big = fabs(v) > big ? fabs(v) : big;
    }
    for (int u = 0; u < U; u++) {
        zero_bias &= nn_dense_bias(a)[u] == 0.0;
    }
    CHECK(inside && big > 0.95 * limit);
    CHECK(zero_bias);
    CHECK(memcmp(nn_dense_params(a), nn_dense_params(b),
                 (size_t)nn_dense_param_count(a) * sizeof(double)) == 0);
    CHECK_STATUS(nn_dense_init(NULL, &r1), NN_EINVAL);
    CHECK_STATUS(nn_dense_init(a, NULL), NN_EINVAL);

done:
    nn_dense_free(a);
    nn_dense_free(b);
}

/* An allocator that fails once `fail_after` more allocations succeeded;
 * installed before any object exists, as nn_allocator_set requires. */
static int fail_after = -1;

static void *flaky_alloc(void *user, size_t size)
{
    (void)user;
    if (fail_after == 0) {
        return NULL;
    }
    if (fail_after > 0) {
        fail_after--;
    }
    return malloc(size);
}

static void flaky_release(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

/*
 * nn_dense_init leaves the parameters untouched on failure. With an
 * orthogonal kernel and an orthogonal bias, each draw needs workspace:
 * let the first allocation (the kernel's) succeed and the second fail.
 */
static void test_init_failure_leaves_params(void)
{
    enum { IN = 4, U = 3 };
    double saved[(IN + 1) * U];
    nn_dense_opts opts;
    nn_dense *layer = NULL;
    nn_rng rng;

    CHECK_STATUS(nn_allocator_set(flaky_alloc, flaky_release, NULL), NN_OK);
    CHECK_STATUS(nn_dense_opts_init(&opts, U, NN_ACTIVATION_TANH), NN_OK);
    opts.kernel_init = NN_INIT_ORTHOGONAL;
    opts.kernel_param = 1.0;
    opts.bias_init = NN_INIT_ORTHOGONAL;
    opts.bias_param = 1.0;
    if (CHECK_STATUS(nn_dense_new(&layer, IN, &opts), NN_OK)) {
        for (int i = 0; i < (IN + 1) * U; i++) {
            nn_dense_params(layer)[i] = saved[i] = 0.5 + i;
        }
        CHECK_STATUS(nn_rng_seed(&rng, 3), NN_OK);
        fail_after = 1;
        CHECK_STATUS(nn_dense_init(layer, &rng), NN_ENOMEM);
        fail_after = -1;
        if (!CHECK(memcmp(nn_dense_params(layer), saved, sizeof saved) == 0)) {
            printf("  nn_dense_init failed with NN_ENOMEM after writing W\n");
        }
        nn_dense_free(layer);
    }
    CHECK_STATUS(nn_allocator_set(NULL, NULL, NULL), NN_OK);
}

static void test_create_errors(void)
{
    nn_dense_opts opts, bad;
    nn_dense *layer = NULL;
    double p[64];

    CHECK_STATUS(nn_dense_opts_init(NULL, 3, 0), NN_EINVAL);
    CHECK_STATUS(nn_dense_opts_init(&opts, 3, NN_ACTIVATION_SIGMOID), NN_OK);
    CHECK_STATUS(nn_dense_new(NULL, 2, &opts), NN_EINVAL);
    CHECK_STATUS(nn_dense_new(&layer, 2, NULL), NN_EINVAL);
    CHECK_STATUS(nn_dense_new(&layer, 0, &opts), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "inputs") != NULL);
    CHECK_STATUS(nn_dense_new(&layer, (int64_t)INT32_MAX + 1, &opts),
                 NN_ERANGE);
    CHECK(layer == NULL);

    bad = opts;
    bad.units = 0;
    CHECK_STATUS(nn_dense_new(&layer, 2, &bad), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "units") != NULL);
    bad = opts;
    bad.activation = KINDS;
    CHECK_STATUS(nn_dense_new(&layer, 2, &bad), NN_EINVAL);
    bad.activation = INT64_C(1) << 40;
    CHECK_STATUS(nn_dense_new(&layer, 2, &bad), NN_EINVAL);
    bad = opts;
    bad.activation = NN_ACTIVATION_LEAKY_RELU;
    bad.slope = -0.5;
    CHECK_STATUS(nn_dense_new(&layer, 2, &bad), NN_EINVAL);
    bad = opts;
    bad.use_bias = 2;
    CHECK_STATUS(nn_dense_new(&layer, 2, &bad), NN_EINVAL);
    bad = opts;
    bad.kernel_init = 12;
    CHECK_STATUS(nn_dense_new(&layer, 2, &bad), NN_EINVAL);
    bad = opts;
    bad.kernel_param = NAN;
    CHECK_STATUS(nn_dense_new(&layer, 2, &bad), NN_EINVAL);
    bad = opts;
    bad.bias_init = -1;
    CHECK_STATUS(nn_dense_new(&layer, 2, &bad), NN_EINVAL);
    bad = opts;
    bad.bias_init = NN_INIT_UNIFORM;
    bad.bias_param = -1.0;
    CHECK_STATUS(nn_dense_new(&layer, 2, &bad), NN_EINVAL);
    CHECK_STATUS(nn_dense_wrap(&layer, 2, &bad, p, p), NN_EINVAL);
    CHECK(layer == NULL);

    CHECK_STATUS(nn_dense_wrap(&layer, 2, &opts, NULL, p), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "params") != NULL);
    CHECK_STATUS(nn_dense_wrap(NULL, 2, &opts, p, p), NN_EINVAL);
    CHECK_STATUS(nn_dense_wrap(&layer, 2, NULL, p, p), NN_EINVAL);
    CHECK(layer == NULL);
}

static void test_pass_errors(void)
{
    enum { B = 2, IN = 3, U = 2 };
    double x[B * IN] = {0}, y[B * U], dy[B * U], dx[B * IN];
    double ys[B * U], dys[B * U], dxs[B * IN], gs[(IN + 1) * U];
    const int64_t too_big = (int64_t)INT32_MAX + 1;
    nn_dense_opts opts;
    nn_dense *layer = NULL;

    CHECK_STATUS(nn_dense_opts_init(&opts, U, NN_ACTIVATION_SIGMOID), NN_OK);
    if (!CHECK_STATUS(nn_dense_new(&layer, IN, &opts), NN_OK)) {
        return;
    }
    for (int i = 0; i < B * U; i++) {
        y[i] = ys[i] = dy[i] = dys[i] = 0.25 + i;
    }
    for (int i = 0; i < B * IN; i++) {
        dx[i] = dxs[i] = -1.0 - i;
    }
    for (int i = 0; i < (IN + 1) * U; i++) {
        nn_dense_grads(layer)[i] = gs[i] = 9.0 + i;
    }

    CHECK_STATUS(nn_dense_forward(NULL, B, x, y), NN_EINVAL);
    CHECK_STATUS(nn_dense_forward(layer, B, NULL, y), NN_EINVAL);
    CHECK_STATUS(nn_dense_forward(layer, B, x, NULL), NN_EINVAL);
    CHECK_STATUS(nn_dense_forward(layer, 0, x, y), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "batch") != NULL);
    CHECK_STATUS(nn_dense_forward(layer, -3, x, y), NN_EINVAL);
    CHECK_STATUS(nn_dense_forward(layer, too_big, x, y), NN_ERANGE);
    CHECK(memcmp(y, ys, sizeof y) == 0);

    CHECK_STATUS(nn_dense_backward(NULL, B, x, y, dy, dx), NN_EINVAL);
    CHECK_STATUS(nn_dense_backward(layer, B, NULL, y, dy, dx), NN_EINVAL);
    CHECK_STATUS(nn_dense_backward(layer, B, x, NULL, dy, dx), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "y") != NULL);
    CHECK_STATUS(nn_dense_backward(layer, B, x, y, NULL, dx), NN_EINVAL);
    CHECK_STATUS(nn_dense_backward(layer, 0, x, y, dy, dx), NN_EINVAL);
    CHECK_STATUS(nn_dense_backward(layer, too_big, x, y, dy, dx), NN_ERANGE);
    CHECK_STATUS(nn_dense_backward_preact(NULL, B, x, dy, dx), NN_EINVAL);
    CHECK_STATUS(nn_dense_backward_preact(layer, B, NULL, dy, dx), NN_EINVAL);
    CHECK_STATUS(nn_dense_backward_preact(layer, B, x, NULL, dx), NN_EINVAL);
    CHECK_STATUS(nn_dense_backward_preact(layer, -1, x, dy, dx), NN_EINVAL);
    CHECK_STATUS(nn_dense_backward_preact(layer, too_big, x, dy, dx),
                 NN_ERANGE);
    CHECK(memcmp(dy, dys, sizeof dy) == 0);
    CHECK(memcmp(dx, dxs, sizeof dx) == 0);
    CHECK(memcmp(nn_dense_grads(layer), gs, sizeof gs) == 0);
    nn_dense_free(layer);
}

int main(void)
{
    test_gradients();
    test_preact();
    test_wrap_and_accessors();
    test_init();
    test_init_failure_leaves_params();
    test_create_errors();
    test_pass_errors();
    return nn_test_done();
}
