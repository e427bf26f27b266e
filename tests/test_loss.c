/*
 * Losses: values against formulas written here, gradients against central
 * differences, clipping, stability of the logits forms and the checks.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

#define ROWS 3
#define COLS 4
#define N (ROWS * COLS)
#define KINDS 6
#define STEP 1e-6

typedef nn_status (*loss_fn)(int64_t, int64_t, const double *, const double *,
                             double *, double *);

static const loss_fn named[KINDS] = {
    nn_loss_mse, nn_loss_mae, nn_loss_bce, nn_loss_bce_logits, nn_loss_cce,
    nn_loss_cce_logits,
};

static uint64_t seed = 2024;

static double uniform(double lo, double hi)
{
    return lo + (hi - lo) * (nn_test_rand(&seed) + 1.0) / 2.0;
}

/*
 * Predictions and targets for a kind, away from every kink and clip:
 * |p - t| > 0.1 for MAE, probabilities in [0.05, 0.95] for the
 * cross-entropies, soft targets for the logits forms (the formulas do not
 * need one-hot rows).
 */
static void make_data(int kind, double *p, double *t)
{
    for (int i = 0; i < N; i++) {
        switch (kind) {
        case NN_LOSS_MSE:
            p[i] = uniform(-2, 2);
            t[i] = uniform(-2, 2);
            break;
        case NN_LOSS_MAE:
            t[i] = uniform(-2, 2);
            p[i] = t[i] + (i % 2 ? 1 : -1) * uniform(0.1, 1.0);
            break;
        case NN_LOSS_BCE:
        case NN_LOSS_CCE:
            p[i] = uniform(0.05, 0.95);
            t[i] = uniform(0, 1);
            break;
        default:
            p[i] = uniform(-4, 4);
            t[i] = uniform(0, 1);
            break;
        }
    }
}

static double clip(double p)
{
    const double eps = 1e-7;

    return p < eps ? eps : p > 1 - eps ? 1 - eps : p;
}

/* The loss by its textbook definition (naive where that is safe). */
static double expected(int kind, const double *p, const double *t)
{
    double sum = 0.0;

    for (int r = 0; r < ROWS; r++) {
        const double *pr = p + r * COLS, *tr = t + r * COLS;
        double norm = 0.0;
        for (int j = 0; j < COLS; j++) {
            norm += exp(pr[j]);
        }
        for (int j = 0; j < COLS; j++) {
            double s = 1.0 / (1.0 + exp(-pr[j])), q = clip(pr[j]);
            switch (kind) {
            case NN_LOSS_MSE: sum += (pr[j] - tr[j]) * (pr[j] - tr[j]); break;
            case NN_LOSS_MAE: sum += fabs(pr[j] - tr[j]); break;
            case NN_LOSS_BCE:
                sum -= tr[j] * log(q) + (1 - tr[j]) * log(1 - q);
                break;
            case NN_LOSS_BCE_LOGITS:
                sum -= tr[j] * log(s) + (1 - tr[j]) * log(1 - s);
                break;
            case NN_LOSS_CCE: sum -= tr[j] * log(q); break;
            default: sum -= tr[j] * log(exp(pr[j]) / norm); break;
            }
        }
    }
    return kind == NN_LOSS_CCE || kind == NN_LOSS_CCE_LOGITS ? sum / ROWS
                                                             : sum / N;
}

static void test_values_and_gradients(void)
{
    double p[N], t[N], g[N], g2[N], pg[N], v = 0.0, v2 = 0.0, up, down;

    for (int kind = 0; kind < KINDS; kind++) {
        for (int rep = 0; rep < 3; rep++) {
            double worst = 0.0;

            make_data(kind, p, t);
            CHECK_STATUS(named[kind](ROWS, COLS, p, t, &v, g), NN_OK);
            if (!CHECK_NEAR(v, expected(kind, p, t), 1e-13)) {
                printf("  %s\n", nn_loss_name(kind));
            }
            for (int i = 0; i < N; i++) {
                double keep = p[i], fd, e;
                p[i] = keep + STEP;
                CHECK_STATUS(named[kind](ROWS, COLS, p, t, &up, NULL), NN_OK);
                p[i] = keep - STEP;
                CHECK_STATUS(named[kind](ROWS, COLS, p, t, &down, NULL), NN_OK);
                p[i] = keep;
                fd = (up - down) / (2 * STEP);
                e = fabs(fd - g[i]) / fmax(1e-8, fmax(fabs(fd), fabs(g[i])));
                worst = e > worst || isnan(e) ? e : worst;
            }
            if (!CHECK(worst < 1e-6)) {
                printf("  %s: gradient error %g\n", nn_loss_name(kind), worst);
            }

            /* By kind, value alone, gradient alone, gradient over pred. */
            CHECK_STATUS(nn_loss_compute(kind, ROWS, COLS, p, t, &v2, g2),
                         NN_OK);
            CHECK(v2 == v && memcmp(g2, g, sizeof g) == 0);
            v2 = 0.0;
            CHECK_STATUS(nn_loss_compute(kind, ROWS, COLS, p, t, &v2, NULL),
                         NN_OK);
            CHECK(v2 == v);
            CHECK_STATUS(named[kind](ROWS, COLS, p, t, NULL, g2), NN_OK);
            CHECK(memcmp(g2, g, sizeof g) == 0);
            memcpy(pg, p, sizeof p);
            CHECK_STATUS(named[kind](ROWS, COLS, pg, t, &v2, pg), NN_OK);
            CHECK(v2 == v && memcmp(pg, g, sizeof g) == 0);
        }
    }
}

/* Probabilities of exactly 0 and 1 are clipped to [1e-7, 1 - 1e-7]. */
static void test_clipping(void)
{
    const double eps = NN_LOSS_EPSILON;
    double p[4] = {0.0, 1.0, 0.0, 1.0}, t[4] = {1.0, 0.0, 0.0, 1.0};
    double v = NAN, g[4];

    CHECK(NN_LOSS_EPSILON == 1e-7 && nn_loss_epsilon() == NN_LOSS_EPSILON);

    /* Two confident mistakes and two confident hits. */
    CHECK_STATUS(nn_loss_bce(1, 4, p, t, &v, g), NN_OK);
    CHECK(isfinite(v));
    CHECK_NEAR(v, (-2 * log(eps) - 2 * log(1 - eps)) / 4, 1e-9);

    /* Past the clip the gradient keeps the interior formula, so a
     * saturated mistake is still pushed back (see nnblas/loss.h). */
    CHECK_NEAR(g[0], -1.0 / (eps * (1 - eps)) / 4, 1e-9);
    CHECK_NEAR(g[1], 1.0 / (eps * (1 - eps)) / 4, 1e-9);
    CHECK(g[2] == 0.0 && g[3] == 0.0);

    /* Outside [0, 1]: the same clip. */
    p[0] = -0.5;
    CHECK_STATUS(nn_loss_bce(1, 1, p, t, &v, g), NN_OK);
    CHECK_NEAR(v, -log(eps), 1e-12);

    /* CCE: a one-hot row whose probability for the class is 0. */
    {
        double q[3] = {0.0, 1.0, 0.0}, oh[3] = {1.0, 0.0, 0.0};
        CHECK_STATUS(nn_loss_cce(1, 3, q, oh, &v, g), NN_OK);
        CHECK_NEAR(v, -log(eps), 1e-12);
        CHECK(isfinite(g[0]) && g[1] == 0.0);
    }
}

static void test_logits_stability(void)
{
    const double z[4] = {1000.0, 1000.0, -1000.0, -1000.0};
    const double t[4] = {1.0, 0.0, 0.0, 1.0};
    const double zc[3] = {1000.0, 0.0, -1000.0};
    const double hit[3] = {1.0, 0.0, 0.0}, miss[3] = {0.0, 0.0, 1.0};
    double v = NAN, g[4];

    CHECK_STATUS(nn_loss_bce_logits(1, 4, z, t, &v, g), NN_OK);
    CHECK_NEAR(v, 2000.0 / 4, 1e-12);
    CHECK(g[0] == 0.0 && g[1] == 0.25 && g[2] == 0.0 && g[3] == -0.25);

    CHECK_STATUS(nn_loss_cce_logits(1, 3, zc, hit, &v, g), NN_OK);
    CHECK(v == 0.0);
    CHECK(g[0] == 0.0 && g[1] == 0.0 && g[2] == 0.0);
    CHECK_STATUS(nn_loss_cce_logits(1, 3, zc, miss, &v, g), NN_OK);
    CHECK_NEAR(v, 2000.0, 1e-12);
    CHECK(g[0] == 1.0 && g[1] == 0.0 && g[2] == -1.0);
}

/* CCE on logits is CCE on their softmax (probabilities far from clip). */
static void test_cce_logits_is_cce_of_softmax(void)
{
    double z[N], t[N], s[N], v1, v2;

    for (int i = 0; i < N; i++) {
        z[i] = uniform(-3, 3);
        t[i] = i % COLS == i / COLS ? 1.0 : 0.0;
    }
    CHECK_STATUS(nn_activation_forward(NN_ACTIVATION_SOFTMAX, 0.0, ROWS, COLS,
                                       z, s), NN_OK);
    CHECK_STATUS(nn_loss_cce_logits(ROWS, COLS, z, t, &v1, NULL), NN_OK);
    CHECK_STATUS(nn_loss_cce(ROWS, COLS, s, t, &v2, NULL), NN_OK);
    CHECK_NEAR(v1, v2, 1e-14);
}

static void test_errors(void)
{
    const int64_t huge = INT64_C(1) << 40;
    double p[N] = {0.5}, t[N] = {0.5}, v = -3.0, g[N], saved[N];

    for (int i = 0; i < N; i++) {
        g[i] = saved[i] = 10.0 + i;
    }
    CHECK_STATUS(nn_loss_compute(-1, ROWS, COLS, p, t, &v, g), NN_EINVAL);
    CHECK_STATUS(nn_loss_compute(KINDS, ROWS, COLS, p, t, &v, g), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "6") != NULL);
    for (int kind = 0; kind < KINDS; kind++) {
        CHECK_STATUS(named[kind](ROWS, COLS, NULL, t, &v, g), NN_EINVAL);
        CHECK_STATUS(named[kind](ROWS, COLS, p, NULL, &v, g), NN_EINVAL);
        CHECK_STATUS(named[kind](ROWS, COLS, p, t, NULL, NULL), NN_EINVAL);
        CHECK_STATUS(named[kind](0, COLS, p, t, &v, g), NN_EINVAL);
        CHECK_STATUS(named[kind](ROWS, -1, p, t, &v, g), NN_EINVAL);
        CHECK_STATUS(named[kind](huge, huge, p, t, &v, g), NN_ERANGE);
        CHECK_STATUS(nn_loss_compute(kind, huge, huge, p, t, &v, g), NN_ERANGE);
    }
    CHECK(v == -3.0 && memcmp(g, saved, sizeof g) == 0);

    /* The message names the call that was made. */
    CHECK_STATUS(nn_loss_bce(0, 1, p, t, &v, g), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "nn_loss_bce") != NULL);
    CHECK_STATUS(nn_loss_mse(1, 1, p, t, NULL, NULL), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "nn_loss_mse") != NULL);

    CHECK(strcmp(nn_loss_name(NN_LOSS_MSE), "mean_squared_error") == 0);
    CHECK(strcmp(nn_loss_name(NN_LOSS_BCE), "binary_crossentropy") == 0);
    CHECK(strcmp(nn_loss_name(NN_LOSS_CCE), "categorical_crossentropy") == 0);
    CHECK(strcmp(nn_loss_name(KINDS), "unknown") == 0);
}

int main(void)
{
    test_values_and_gradients();
    test_clipping();
    test_logits_stability();
    test_cce_logits_is_cce_of_softmax();
    test_errors();
    return nn_test_done();
}
