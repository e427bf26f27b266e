/*
 * The model's training step against central differences: after one
 * nn_model_train_batch, nn_model_grads must hold the gradient of the loss
 * that nn_model_evaluate reports, with respect to every parameter, for
 * plain and fused output layers, layers without bias, and dropout. With
 * a dropout rate above 0 the step's mask is read off the gradient (a
 * dropped unit's weights get exactly zero gradient on a one-sample
 * batch) and the reference is a twin model without dropout whose weights
 * or inputs carry that mask, scaled by 1 / (1 - rate) as inverted dropout
 * is documented to do.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

#define MAX_LAYERS 5
#define MAX_PARAMS 128
#define MAX_BATCH 8
#define MAX_WIDTH 6
#define STEP 1e-3
#define TOLERANCE 1e-6
#define LR 0.1

enum targets { REAL, BINARY, ONE_HOT, SOFT };

struct layer_spec {
    int kind;               /* nn_layer_kind */
    int64_t units;
    int activation;
    int no_bias;
    double rate;
};

struct grad_case {
    const char *name;
    int64_t inputs;
    int64_t batch;
    int loss;
    int targets;
    int n_layers;
    struct layer_spec layers[MAX_LAYERS];
};

#define DENSE(u, act) {NN_LAYER_DENSE, (u), (act), 0, 0.0}
#define DENSE_NO_BIAS(u, act) {NN_LAYER_DENSE, (u), (act), 1, 0.0}
#define DROPOUT(r) {NN_LAYER_DROPOUT, 0, 0, 0, (r)}

static const struct grad_case cases[] = {
    {"tanh, identity, mse", 3, 5, NN_LOSS_MSE, REAL, 2,
     {DENSE(4, NN_ACTIVATION_TANH), DENSE(2, NN_ACTIVATION_IDENTITY)}},
    {"sigmoid, bce (fused)", 3, 6, NN_LOSS_BCE, BINARY, 2,
     {DENSE(4, NN_ACTIVATION_TANH), DENSE(1, NN_ACTIVATION_SIGMOID)}},
    {"two sigmoids, bce (fused)", 3, 6, NN_LOSS_BCE, BINARY, 2,
     {DENSE(4, NN_ACTIVATION_TANH), DENSE(2, NN_ACTIVATION_SIGMOID)}},
    {"softmax, cce (fused)", 3, 7, NN_LOSS_CCE, ONE_HOT, 2,
     {DENSE(4, NN_ACTIVATION_TANH), DENSE(3, NN_ACTIVATION_SOFTMAX)}},
    {"softmax, cce, soft targets (fused)", 3, 7, NN_LOSS_CCE, SOFT, 2,
     {DENSE(4, NN_ACTIVATION_SIGMOID), DENSE(3, NN_ACTIVATION_SOFTMAX)}},
    {"softmax, mse", 3, 5, NN_LOSS_MSE, REAL, 2,
     {DENSE(4, NN_ACTIVATION_TANH), DENSE(3, NN_ACTIVATION_SOFTMAX)}},
    {"sigmoid, mse", 3, 5, NN_LOSS_MSE, REAL, 2,
     {DENSE(4, NN_ACTIVATION_TANH), DENSE(2, NN_ACTIVATION_SIGMOID)}},
    {"identity, bce on logits", 3, 6, NN_LOSS_BCE_LOGITS, BINARY, 2,
     {DENSE(4, NN_ACTIVATION_TANH), DENSE(2, NN_ACTIVATION_IDENTITY)}},
    {"identity, cce on logits", 3, 6, NN_LOSS_CCE_LOGITS, ONE_HOT, 2,
     {DENSE(4, NN_ACTIVATION_TANH), DENSE(3, NN_ACTIVATION_IDENTITY)}},
    {"tanh, mae", 3, 5, NN_LOSS_MAE, REAL, 2,
     {DENSE(4, NN_ACTIVATION_TANH), DENSE(2, NN_ACTIVATION_TANH)}},
    {"relu, leaky relu without bias, identity", 3, 8, NN_LOSS_MSE, REAL, 3,
     {DENSE(5, NN_ACTIVATION_RELU), DENSE_NO_BIAS(4, NN_ACTIVATION_LEAKY_RELU),
      DENSE(2, NN_ACTIVATION_IDENTITY)}},
    {"one sample, one input", 1, 1, NN_LOSS_BCE, BINARY, 3,
     {DENSE(3, NN_ACTIVATION_SIGMOID), DENSE(2, NN_ACTIVATION_TANH),
      DENSE(1, NN_ACTIVATION_SIGMOID)}},
    {"dropout 0 between", 3, 5, NN_LOSS_MSE, REAL, 3,
     {DENSE(4, NN_ACTIVATION_TANH), DROPOUT(0.0),
      DENSE(2, NN_ACTIVATION_IDENTITY)}},
    /* A dropout last makes sigmoid with BCE go the unfused way. */
    {"dropout 0 first and last, sigmoid, bce", 3, 6, NN_LOSS_BCE, BINARY, 4,
     {DROPOUT(0.0), DENSE(4, NN_ACTIVATION_TANH),
      DENSE(2, NN_ACTIVATION_SIGMOID), DROPOUT(0.0)}},
};

#define N_CASES (sizeof cases / sizeof cases[0])

static nn_model *build(const struct grad_case *c, int with_dropout,
                       uint64_t seed)
{
    nn_optim_opts sgd;
    nn_model *m = NULL;

    if (!CHECK_STATUS(nn_model_new(&m, c->inputs), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_set_seed(m, seed), NN_OK);
    for (int i = 0; i < c->n_layers; i++) {
        const struct layer_spec *l = &c->layers[i];
        nn_dense_opts opts;
        if (l->kind == NN_LAYER_DROPOUT) {
            if (with_dropout) {
                CHECK_STATUS(nn_model_add_dropout(m, l->rate), NN_OK);
            }
            continue;
        }
        CHECK_STATUS(nn_dense_opts_init(&opts, l->units, l->activation), NN_OK);
        opts.use_bias = !l->no_bias;
        /* Nonzero biases, so that their gradients are tested in general
         * position and relu's kink is not sat on. */
        if (!l->no_bias) {
            opts.bias_init = NN_INIT_UNIFORM;
            opts.bias_param = nn_init_default_param(NN_INIT_UNIFORM);
        }
        CHECK_STATUS(nn_model_add_dense_opts(m, &opts), NN_OK);
    }
    CHECK_STATUS(nn_optim_opts_init(&sgd, NN_OPTIM_SGD), NN_OK);
    sgd.lr = LR;
    if (!CHECK_STATUS(nn_model_compile(m, c->loss, &sgd, NULL, 0), NN_OK)) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}

static void make_data(const struct grad_case *c, int64_t outputs,
                      uint64_t *state, double *x, double *y)
{
    for (int64_t i = 0; i < c->batch * c->inputs; i++) {
        x[i] = 1.5 * nn_test_rand(state);
    }
    for (int64_t r = 0; r < c->batch; r++) {
        double u = nn_test_rand(state);
        int64_t hot = (int64_t)((u + 1.0) * 0.5 * (double)outputs);
        for (int64_t j = 0; j < outputs; j++) {
            double v = nn_test_rand(state), *t = &y[r * outputs + j];
            switch (c->targets) {
            case REAL: *t = v; break;
            case BINARY: *t = v > 0.0; break;
            case ONE_HOT: *t = j == hot; break;
            default: *t = 0.2 + 0.3 * (v + 1.0); break;  /* rows sum != 1 */
            }
        }
    }
}

static double eval_loss(const nn_model *m, int64_t batch, const double *x,
                        const double *y)
{
    double loss = NAN;

    CHECK_STATUS(nn_model_evaluate(m, batch, nn_model_input_width(m),
                                   nn_model_output_width(m), x, y, &loss, NULL),
                 NN_OK);
    return loss;
}

/*
 * d loss / d params[j] by the fourth-order central difference, whose
 * truncation error is negligible at a step large enough to keep rounding
 * small; params[j] is restored.
 */
static double central(const nn_model *m, int64_t j, int64_t batch,
                      const double *x, const double *y)
{
    double *p = nn_model_params(m), keep = p[j], f[4];
    const double at[4] = {-2.0, -1.0, 1.0, 2.0};

    for (int k = 0; k < 4; k++) {
        p[j] = keep + at[k] * STEP;
        f[k] = eval_loss(m, batch, x, y);
    }
    p[j] = keep;
    return (8.0 * (f[2] - f[1]) - (f[3] - f[0])) / (12.0 * STEP);
}

/* The relative error of a gradient entry, with a floor for entries that
 * are zero up to the differences' own error. */
static double rel_error(double got, double want)
{
    return fabs(got - want) / fmax(1e-8, fmax(fabs(got), fabs(want)));
}

static void check_case(const struct grad_case *c, uint64_t seed)
{
    static double x[MAX_BATCH * MAX_WIDTH], y[MAX_BATCH * MAX_WIDTH];
    double p0[MAX_PARAMS], g[MAX_PARAMS], worst = 0.0, largest = 0.0;
    double before, loss = NAN;
    nn_model *m = build(c, 1, seed);
    int64_t n, outputs;
    uint64_t state = seed;

    if (m == NULL) {
        return;
    }
    n = nn_model_param_count(m);
    outputs = nn_model_output_width(m);
    if (!CHECK(n <= MAX_PARAMS && c->batch <= MAX_BATCH)) {
        nn_model_free(m);
        return;
    }
    make_data(c, outputs, &state, x, y);
    memcpy(p0, nn_model_params(m), (size_t)n * sizeof(double));

    /* The step reports the loss evaluate gives at the same weights. */
    before = eval_loss(m, c->batch, x, y);
    CHECK_STATUS(nn_model_train_batch(m, c->batch, c->inputs, outputs, x, y,
                                      &loss), NN_OK);
    CHECK_NEAR(loss, before, 1e-14);
    memcpy(g, nn_model_grads(m), (size_t)n * sizeof(double));

    /* SGD moved every parameter by -lr times its gradient. */
    for (int64_t j = 0; j < n; j++) {
        double want = p0[j] - LR * g[j];
        if (!CHECK(fabs(nn_model_params(m)[j] - want)
                   <= 4 * DBL_EPSILON * fmax(fabs(p0[j]), 1.0))) {
            break;
        }
    }

    /* Back at the old weights, every entry against central differences. */
    memcpy(nn_model_params(m), p0, (size_t)n * sizeof(double));
    for (int64_t j = 0; j < n; j++) {
        double e = rel_error(g[j], central(m, j, c->batch, x, y));
        worst = e > worst || isnan(e) ? e : worst;
        largest = fmax(largest, fabs(g[j]));
    }
    if (!CHECK(worst < TOLERANCE) || !CHECK(largest > 1e-3)) {
        printf("  %s (seed %llu): gradient error %g, largest entry %g\n",
               c->name, (unsigned long long)seed, worst, largest);
    }
    nn_model_free(m);
}

static void test_cases(void)
{
    const int modes[] = {NN_GEMM_AUTO, NN_GEMM_NAIVE, NN_GEMM_BLAS};

    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        CHECK_STATUS(nn_gemm_mode_set(modes[k]), NN_OK);
        for (size_t i = 0; i < N_CASES; i++) {
            check_case(&cases[i], 1 + i);
            check_case(&cases[i], 101 + i);
        }
    }
    CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_AUTO), NN_OK);
}

/* ----------------------------------------------------------------------
 * Dropout above 0
 */

#define RATE 0.5
#define DROP_STEPS 12

/* 3 -> Dense(4, tanh) -> Dropout -> Dense(2) with MSE: W2 is 4 x 2 and
 * starts at offset 3 * 4 + 4. */
static const struct grad_case middle = {
    "dropout between", 3, 1, NN_LOSS_MSE, REAL, 3,
    {DENSE(4, NN_ACTIVATION_TANH), DROPOUT(RATE),
     DENSE(2, NN_ACTIVATION_IDENTITY)}};
#define W2_AT 16

/* 3 -> Dropout -> Dense(4, tanh) -> Dense(1, sigmoid) with BCE (fused). */
static const struct grad_case first = {
    "dropout on the inputs", 3, 1, NN_LOSS_BCE, BINARY, 3,
    {DROPOUT(RATE), DENSE(4, NN_ACTIVATION_TANH),
     DENSE(1, NN_ACTIVATION_SIGMOID)}};

/* Whether the gradients of `count` weights from `at` are all exactly 0. */
static int all_zero(const double *g, int64_t at, int64_t count)
{
    for (int64_t i = at; i < at + count; i++) {
        if (g[i] != 0.0) {
            return 0;
        }
    }
    return 1;
}

/*
 * A dropped hidden unit u is the same as a twin without dropout whose row
 * u of W2 is 0; a kept one as row u scaled by 1 / (1 - rate). The twin's
 * loss at those weights is the step's loss, and its gradient, through the
 * chain rule for W2, is the step's gradient.
 */
static void test_dropout_between(void)
{
    nn_model *m = build(&middle, 1, 5), *twin = build(&middle, 0, 5);
    double p0[MAX_PARAMS], g[MAX_PARAMS], x[3], y[2], worst = 0.0;
    uint64_t state = 55;
    int dropped = 0, kept = 0;
    int64_t n;

    if (m == NULL || twin == NULL
        || !CHECK((n = nn_model_param_count(m)) == nn_model_param_count(twin))) {
        goto done;
    }
    for (int step = 0; step < DROP_STEPS; step++) {
        double loss = NAN, *tp = nn_model_params(twin);
        make_data(&middle, 2, &state, x, y);
        memcpy(p0, nn_model_params(m), (size_t)n * sizeof(double));
        CHECK_STATUS(nn_model_train_batch(m, 1, 3, 2, x, y, &loss), NN_OK);
        memcpy(g, nn_model_grads(m), (size_t)n * sizeof(double));

        /* The twin: W2's rows masked and scaled as the step did. */
        memcpy(tp, p0, (size_t)n * sizeof(double));
        for (int64_t u = 0; u < 4; u++) {
            int drop = all_zero(g, W2_AT + 2 * u, 2);
            dropped += drop;
            kept += !drop;
            for (int64_t o = 0; o < 2; o++) {
                tp[W2_AT + 2 * u + o] *= drop ? 0.0 : 1.0 / (1.0 - RATE);
            }
        }
        CHECK_NEAR(loss, eval_loss(twin, 1, x, y), 1e-14);

        /* dL/dW2[u][o] = mask[u] dL/dW2'[u][o]; the rest match directly. */
        for (int64_t j = 0; j < n; j++) {
            double fd = central(twin, j, 1, x, y);
            if (j >= W2_AT && j < W2_AT + 8) {
                int64_t u = (j - W2_AT) / 2;
                fd *= all_zero(g, W2_AT + 2 * u, 2) ? 0.0 : 1.0 / (1.0 - RATE);
            }
            double e = rel_error(g[j], fd);
            worst = e > worst || isnan(e) ? e : worst;
        }
    }
    if (!CHECK(worst < TOLERANCE)) {
        printf("  %s: gradient error %g\n", middle.name, worst);
    }

    /* Both outcomes happened, so the check above saw both. */
    CHECK(dropped > 0 && kept > 0);

done:
    nn_model_free(m);
    nn_model_free(twin);
}

/* Dropout on the inputs: the same as a twin fed the masked, scaled x. */
static void test_dropout_first(void)
{
    nn_model *m = build(&first, 1, 6), *twin = build(&first, 0, 6);
    double p0[MAX_PARAMS], g[MAX_PARAMS], x[3], y[1], worst = 0.0;
    uint64_t state = 66;
    int dropped = 0, kept = 0;
    int64_t n;

    if (m == NULL || twin == NULL
        || !CHECK((n = nn_model_param_count(m)) == nn_model_param_count(twin))) {
        goto done;
    }
    for (int step = 0; step < DROP_STEPS; step++) {
        double loss = NAN;
        make_data(&first, 1, &state, x, y);
        memcpy(p0, nn_model_params(m), (size_t)n * sizeof(double));
        CHECK_STATUS(nn_model_train_batch(m, 1, 3, 1, x, y, &loss), NN_OK);
        memcpy(g, nn_model_grads(m), (size_t)n * sizeof(double));

        /* Input i dropped: row i of the first W (4 wide) has no gradient. */
        for (int64_t i = 0; i < 3; i++) {
            int drop = all_zero(g, 4 * i, 4);
            dropped += drop;
            kept += !drop;
            x[i] *= drop ? 0.0 : 1.0 / (1.0 - RATE);
        }
        memcpy(nn_model_params(twin), p0, (size_t)n * sizeof(double));
        CHECK_NEAR(loss, eval_loss(twin, 1, x, y), 1e-14);
        for (int64_t j = 0; j < n; j++) {
            double e = rel_error(g[j], central(twin, j, 1, x, y));
            worst = e > worst || isnan(e) ? e : worst;
        }
    }
    if (!CHECK(worst < TOLERANCE)) {
        printf("  %s: gradient error %g\n", first.name, worst);
    }
    CHECK(dropped > 0 && kept > 0);

done:
    nn_model_free(m);
    nn_model_free(twin);
}

/* Over many steps about `rate` of the units are dropped. */
static void test_dropout_rate(void)
{
    const double rates[] = {0.2, 0.7};

    for (int k = 0; k < 2; k++) {
        struct grad_case c = middle;
        nn_model *m;
        double x[3], y[2];
        uint64_t state = 77;
        int64_t dropped = 0, total = 0;

        c.layers[1].rate = rates[k];
        if ((m = build(&c, 1, 8)) == NULL) {
            continue;
        }
        for (int step = 0; step < 400; step++) {
            make_data(&c, 2, &state, x, y);
            if (!CHECK_STATUS(nn_model_train_batch(m, 1, 3, 2, x, y, NULL),
                              NN_OK)) {
                break;
            }
            for (int64_t u = 0; u < 4; u++) {
                dropped += all_zero(nn_model_grads(m), W2_AT + 2 * u, 2);
                total++;
            }
        }
        /* 1600 draws: the binomial's standard deviation is under 0.013. */
        CHECK(fabs((double)dropped / (double)total - rates[k]) < 0.06);
        nn_model_free(m);
    }
}

int main(void)
{
    test_cases();
    test_dropout_between();
    test_dropout_first();
    test_dropout_rate();
    return nn_test_done();
}
