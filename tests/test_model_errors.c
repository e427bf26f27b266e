/*
 * Bad input to the model's calls: each returns the documented status and
 * a message that names the problem, and leaves the model as it was: the
 * same layers, parameters and compile state, and, as a final check, the
 * same generator and optimizer state (a fit afterwards gives bit for bit
 * what it gives on a twin that never saw a bad call). Then divergence in
 * a single step and in fit.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

#define N 8
#define IN 2
#define HIDDEN 4
#define N_PARAMS (IN * HIDDEN + HIDDEN + HIDDEN + 1)

static double x[N * IN], y[N];

/* A failed call: the status, and a message holding each given word. */
static int expect(int got, int want, const char *words, const char *call,
                  int line)
{
    const char *message = nn_last_error();
    char copy[128], *word, *save = NULL;
    int ok = nn_test_status(got, want, call, __FILE__, line);

    ok &= nn_test_report(message != NULL && message[0] != '\0', __FILE__,
                         line, "%s left no message", call);
    snprintf(copy, sizeof copy, "%s", words);
    for (word = strtok_r(copy, "|", &save); ok && word != NULL;
         word = strtok_r(NULL, "|", &save)) {
        ok &= nn_test_report(strstr(message, word) != NULL, __FILE__, line,
                             "%s: the message \"%s\" does not say \"%s\"",
                             call, message, word);
    }
    return ok;
}

/* FAILS(call, status, "word|word"): the call fails so, and says so. */
#define FAILS(call, status, words) \
    expect((int)(call), (int)(status), (words), #call, __LINE__)

/* What must not change on a failed call. */
struct snapshot {
    int64_t layers;
    int64_t params;
    int64_t compiled;
    int loss;
    int64_t metrics;
    double values[N_PARAMS];
};

static void take(const nn_model *m, struct snapshot *s)
{
    memset(s, 0, sizeof *s);
    s->layers = nn_model_layer_count(m);
    s->params = nn_model_param_count(m);
    s->compiled = nn_model_is_compiled(m);
    s->loss = nn_model_loss(m);
    s->metrics = nn_model_metric_count(m);
    if (nn_model_params(m) != NULL && s->params <= N_PARAMS) {
        memcpy(s->values, nn_model_params(m),
               (size_t)s->params * sizeof(double));
    }
}

static int unchanged_at(const nn_model *m, const struct snapshot *s, int line)
{
    struct snapshot now;

    take(m, &now);
    return nn_test_report(memcmp(&now, s, sizeof now) == 0, __FILE__, line,
                          "the model changed");
}

#define UNCHANGED(m, s) unchanged_at((m), (s), __LINE__)

static nn_model *build(int compile)
{
    nn_model *m = NULL;
    nn_optim_opts adam;
    int metric = NN_METRIC_BINARY_ACCURACY;

    if (!CHECK_STATUS(nn_model_new(&m, IN), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_set_seed(m, 17), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, HIDDEN, NN_ACTIVATION_TANH), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 1, NN_ACTIVATION_SIGMOID), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&adam, NN_OPTIM_ADAM), NN_OK);
    if (compile
        && !CHECK_STATUS(nn_model_compile(m, NN_LOSS_BCE, &adam, &metric, 1),
                         NN_OK)) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}

static nn_fit_opts quiet(void)
{
    nn_fit_opts o;

    CHECK_STATUS(nn_fit_opts_init(&o), NN_OK);
    o.epochs = 3;
    o.batch_size = 4;
    o.verbose = 0;
    return o;
}

/*
 * Fits the model and a twin that never saw a bad call; both must end
 * bit for bit alike, so no failed call moved the generator, the
 * optimizer or the weights.
 */
static void check_still_trains(nn_model *m)
{
    nn_model *twin = build(1);
    nn_fit_opts o = quiet();

    if (twin == NULL) {
        return;
    }
    CHECK_STATUS(nn_model_fit(m, N, IN, 1, x, y, &o, NULL), NN_OK);
    CHECK_STATUS(nn_model_fit(twin, N, IN, 1, x, y, &o, NULL), NN_OK);
    CHECK(memcmp(nn_model_params(m), nn_model_params(twin),
                 N_PARAMS * sizeof(double)) == 0);
    nn_model_free(twin);
}

/* ----------------------------------------------------------------------
 * Building and compiling
 */

static void test_new(void)
{
    nn_model *m = (nn_model *)&m;

    FAILS(nn_model_new(NULL, 2), NN_EINVAL, "nn_model_new|out");
    FAILS(nn_model_new(&m, 0), NN_EINVAL, "nn_model_new|inputs");
    CHECK(m == NULL);
    m = (nn_model *)&m;
    FAILS(nn_model_new(&m, -5), NN_EINVAL, "inputs|-5");
    CHECK(m == NULL);
    FAILS(nn_model_new(&m, INT64_MAX), NN_ERANGE, "inputs");
    CHECK(m == NULL);
}

static void test_add_layers(void)
{
    nn_model *m = build(0);
    nn_dense_opts opts;
    struct snapshot s;

    if (m == NULL) {
        return;
    }
    take(m, &s);
    FAILS(nn_model_add_dense(m, 0, NN_ACTIVATION_RELU), NN_EINVAL, "units");
    FAILS(nn_model_add_dense(m, -2, NN_ACTIVATION_RELU), NN_EINVAL, "units");
    FAILS(nn_model_add_dense(m, 3, 99), NN_EINVAL, "activation|99");
    FAILS(nn_model_add_dense(m, 3, -1), NN_EINVAL, "activation");
    FAILS(nn_model_add_dense_opts(m, NULL), NN_EINVAL, "opts");
    CHECK_STATUS(nn_dense_opts_init(&opts, 3, NN_ACTIVATION_LEAKY_RELU), NN_OK);
    opts.slope = -0.5;
    FAILS(nn_model_add_dense_opts(m, &opts), NN_EINVAL, "slope");
    CHECK_STATUS(nn_dense_opts_init(&opts, 3, NN_ACTIVATION_RELU), NN_OK);
    opts.kernel_init = 42;
    FAILS(nn_model_add_dense_opts(m, &opts), NN_EINVAL, "initializer");
    CHECK_STATUS(nn_dense_opts_init(&opts, 3, NN_ACTIVATION_RELU), NN_OK);
    opts.use_bias = 2;
    FAILS(nn_model_add_dense_opts(m, &opts), NN_EINVAL, "use_bias");
    FAILS(nn_model_add_dropout(m, -0.1), NN_EINVAL, "rate");
    FAILS(nn_model_add_dropout(m, 1.0), NN_EINVAL, "rate|[0, 1)");
    FAILS(nn_model_add_dropout(m, NAN), NN_EINVAL, "rate");
    FAILS(nn_model_add_dense(NULL, 3, NN_ACTIVATION_RELU), NN_EINVAL, "NULL");
    FAILS(nn_model_add_dropout(NULL, 0.5), NN_EINVAL, "NULL");
    UNCHANGED(m, &s);

    /* After compile, no more layers. */
    if (CHECK_STATUS(nn_model_compile(m, NN_LOSS_BCE, NULL, NULL, 0), NN_OK)) {
        take(m, &s);
        FAILS(nn_model_add_dense(m, 3, NN_ACTIVATION_RELU), NN_ESTATE,
              "nn_model_add_dense|compiled");
        FAILS(nn_model_add_dropout(m, 0.5), NN_ESTATE,
              "nn_model_add_dropout|compiled");
        UNCHANGED(m, &s);
    }
    nn_model_free(m);
}

/* NN_MAX_LAYERS layers fit; one more does not. */
static void test_layer_limit(void)
{
    nn_model *m = NULL;

    if (!CHECK_STATUS(nn_model_new(&m, 3), NN_OK)) {
        return;
    }
    for (int i = 0; i < NN_MAX_LAYERS; i++) {
        if (!CHECK_STATUS(nn_model_add_dropout(m, 0.1), NN_OK)) {
            break;
        }
    }
    CHECK(nn_model_layer_count(m) == NN_MAX_LAYERS);
    FAILS(nn_model_add_dense(m, 2, NN_ACTIVATION_RELU), NN_ESTATE, "256");
    FAILS(nn_model_add_dropout(m, 0.1), NN_ESTATE, "layers");
    CHECK(nn_model_layer_count(m) == NN_MAX_LAYERS);
    nn_model_free(m);
}

static void test_compile(void)
{
    nn_model *empty = NULL, *drop = NULL, *m = build(0);
    int metrics[NN_MAX_METRICS + 1] = {0}, bad = 4;
    nn_optim_opts o;
    struct snapshot s;

    /* No dense layer to compile. */
    if (CHECK_STATUS(nn_model_new(&empty, 2), NN_OK)) {
        FAILS(nn_model_compile(empty, NN_LOSS_MSE, NULL, NULL, 0), NN_ESTATE,
              "nn_model_compile|dense");
        CHECK(!nn_model_is_compiled(empty));
    }
    if (CHECK_STATUS(nn_model_new(&drop, 2), NN_OK)
        && CHECK_STATUS(nn_model_add_dropout(drop, 0.5), NN_OK)) {
        FAILS(nn_model_compile(drop, NN_LOSS_MSE, NULL, NULL, 0), NN_ESTATE,
              "dense");
        CHECK(!nn_model_is_compiled(drop));
    }
    FAILS(nn_model_compile(NULL, NN_LOSS_MSE, NULL, NULL, 0), NN_EINVAL,
          "NULL");
    if (m == NULL) {
        goto done;
    }

    /* The first compile fails cleanly: no arrays, not compiled. */
    for (int pass = 0; pass < 2; pass++) {
        take(m, &s);
        FAILS(nn_model_compile(m, -1, NULL, NULL, 0), NN_EINVAL, "loss|-1");
        FAILS(nn_model_compile(m, 6, NULL, NULL, 0), NN_EINVAL, "loss|6");
        FAILS(nn_model_compile(m, NN_LOSS_BCE, NULL, &bad, 1), NN_EINVAL,
              "metric");
        bad = -1;
        FAILS(nn_model_compile(m, NN_LOSS_BCE, NULL, &bad, 1), NN_EINVAL,
              "metric");
        bad = 4;
        FAILS(nn_model_compile(m, NN_LOSS_BCE, NULL, metrics,
                               NN_MAX_METRICS + 1), NN_EINVAL, "n_metrics");
        FAILS(nn_model_compile(m, NN_LOSS_BCE, NULL, metrics, -1), NN_EINVAL,
              "n_metrics");
        FAILS(nn_model_compile(m, NN_LOSS_BCE, NULL, NULL, 1), NN_EINVAL,
              "metrics");
        CHECK_STATUS(nn_optim_opts_init(&o, NN_OPTIM_ADAM), NN_OK);
        o.kind = 99;
        FAILS(nn_model_compile(m, NN_LOSS_BCE, &o, NULL, 0), NN_EINVAL,
              "kind");
        CHECK_STATUS(nn_optim_opts_init(&o, NN_OPTIM_ADAM), NN_OK);
        o.lr = -0.1;
        FAILS(nn_model_compile(m, NN_LOSS_BCE, &o, NULL, 0), NN_EINVAL, "lr");
        UNCHANGED(m, &s);
        if (pass == 0) {
            CHECK(nn_model_params(m) == NULL);
            CHECK(nn_model_is_compiled(m) == 0 && nn_model_loss(m) == -1);
            FAILS(nn_optim_opts_init(&o, 7), NN_EINVAL, "optimizer");
            metrics[0] = NN_METRIC_BINARY_ACCURACY;
            CHECK_STATUS(nn_optim_opts_init(&o, NN_OPTIM_ADAM), NN_OK);
            CHECK_STATUS(nn_model_compile(m, NN_LOSS_BCE, &o, metrics, 1),
                         NN_OK);
        }
    }

    /* A failed recompile left the first compile's optimizer running. */
    check_still_trains(m);

done:
    nn_model_free(empty);
    nn_model_free(drop);
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * Calls before compile
 */

static void test_not_compiled(void)
{
    nn_model *m = build(0);
    nn_history *h = (nn_history *)&h;
    nn_fit_opts o = quiet();
    double out[N], loss;

    if (m == NULL) {
        return;
    }
    FAILS(nn_model_fit(m, N, IN, 1, x, y, &o, &h), NN_ESTATE,
          "nn_model_fit|compile");
    CHECK(h == NULL);
    FAILS(nn_model_predict(m, N, IN, 1, x, out), NN_ESTATE,
          "nn_model_predict|compile");
    FAILS(nn_model_evaluate(m, N, IN, 1, x, y, &loss, NULL), NN_ESTATE,
          "nn_model_evaluate|compile");
    FAILS(nn_model_train_batch(m, N, IN, 1, x, y, &loss), NN_ESTATE,
          "nn_model_train_batch|compile");
    FAILS(nn_model_fit(NULL, N, IN, 1, x, y, &o, NULL), NN_EINVAL, "NULL");
    FAILS(nn_model_predict(NULL, N, IN, 1, x, out), NN_EINVAL, "NULL");
    FAILS(nn_model_evaluate(NULL, N, IN, 1, x, y, &loss, NULL), NN_EINVAL,
          "NULL");
    FAILS(nn_model_train_batch(NULL, N, IN, 1, x, y, &loss), NN_EINVAL,
          "NULL");
    CHECK(nn_model_layer_count(m) == 2 && !nn_model_is_compiled(m));
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * fit's arguments and options
 */

/* One bad fit: its status and words, no history, the model unchanged. */
static void bad_fit(nn_model *m, int64_t n, int64_t x_cols, int64_t y_cols,
                    const double *xs, const double *ys, const nn_fit_opts *o,
                    int status, const char *words, int line)
{
    nn_history *h = (nn_history *)&h;
    struct snapshot s;

    take(m, &s);
    expect(nn_model_fit(m, n, x_cols, y_cols, xs, ys, o, &h), status, words,
           "nn_model_fit", line);
    nn_test_report(h == NULL, __FILE__, line, "a failed fit gave a history");
    unchanged_at(m, &s, line);
}

#define BAD_FIT(n, xc, yc, xs, ys, o, status, words) \
    bad_fit(m, (n), (xc), (yc), (xs), (ys), (o), (status), (words), __LINE__)

static void test_fit_arguments(void)
{
    nn_model *m = build(1);
    nn_fit_opts o = quiet();

    if (m == NULL) {
        return;
    }
    BAD_FIT(0, IN, 1, x, y, &o, NN_EINVAL, "sample count|0");
    BAD_FIT(-3, IN, 1, x, y, &o, NN_EINVAL, "sample count|-3");
    BAD_FIT((int64_t)INT32_MAX + 1, IN, 1, x, y, &o, NN_ERANGE,
            "sample count");
    BAD_FIT(N, IN, 1, NULL, y, &o, NN_EINVAL, "x is NULL");
    BAD_FIT(N, IN, 1, x, NULL, &o, NN_EINVAL, "y is NULL");

    /* Widths: the caller's arrays against the model's. */
    BAD_FIT(N, 3, 1, x, y, &o, NN_ESHAPE, "x has 3 columns|2 inputs");
    BAD_FIT(N, 1, 1, x, y, &o, NN_ESHAPE, "x has 1 columns");
    BAD_FIT(N, IN, 2, x, y, &o, NN_ESHAPE, "y has 2 columns|1 units");
    BAD_FIT(N, IN, 0, x, y, &o, NN_ESHAPE, "y has 0 columns");
    check_still_trains(m);
    nn_model_free(m);
}

static void test_fit_options(void)
{
    nn_model *m = build(1);
    nn_fit_opts o;

    if (m == NULL) {
        return;
    }
    o = quiet();
    o.epochs = 0;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "epochs");
    o = quiet();
    o.batch_size = 0;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "batch_size");
    o = quiet();
    o.batch_size = -4;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "batch_size|-4");
    o = quiet();
    o.shuffle = 2;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "shuffle");
    o = quiet();
    o.verbose = -1;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "verbose");
    o = quiet();
    o.early_stopping = 3;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "early_stopping");
    o = quiet();
    o.restore_best = 2;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "restore_best");
    o = quiet();
    o.patience = -1;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "patience");
    o = quiet();
    o.min_delta = -0.1;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "min_delta");
    o.min_delta = INFINITY;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "min_delta");
    o.min_delta = NAN;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "min_delta");

    /* validation_split in [0, 1), leaving a row on each side. */
    o = quiet();
    o.validation_split = -0.1;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "validation_split");
    o.validation_split = 1.0;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "validation_split|[0, 1)");
    o.validation_split = NAN;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "validation_split");
    o.validation_split = 0.95;                  /* floor(0.4) = 0 to train */
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "0 for training");
    o.validation_split = 1e-20;                 /* 1 - 1e-20 rounds to 1 */
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "0 for|validation");
    o.validation_split = 0.5;
    BAD_FIT(1, IN, 1, x, y, &o, NN_EINVAL, "validation_split");

    /* Explicit validation data: all of x_val, y_val and n_val, and not
     * together with a split. */
    o = quiet();
    o.x_val = x;
    o.n_val = N;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "x_val|y_val");
    o.x_val = NULL;
    o.y_val = y;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "x_val|y_val");
    o.x_val = x;
    o.n_val = 0;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "n_val");
    o.n_val = -2;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "n_val");
    o.n_val = (int64_t)INT32_MAX + 1;
    BAD_FIT(N, IN, 1, x, y, &o, NN_ERANGE, "sample count");
    o.n_val = N;
    o.validation_split = 0.25;
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "validation_split|not both");
    o = quiet();
    o.n_val = 4;                /* rows of validation data that is not there */
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "n_val");

    /* A monitor must name a series of this fit when it is used. */
    o = quiet();
    o.early_stopping = 1;
    o.monitor = "val_accuracy";
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "monitor|\"val_accuracy\"");
    o.monitor = "val_loss";     /* no validation data */
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "\"val_loss\"");
    o.early_stopping = 0;
    o.restore_best = 1;
    o.monitor = "mae";          /* not compiled as a metric */
    BAD_FIT(N, IN, 1, x, y, &o, NN_EINVAL, "\"mae\"");
    check_still_trains(m);
    nn_model_free(m);
}

/*
 * NaN or Inf anywhere in the data is refused before any work, naming the
 * array and the first bad entry's row and column (0-based, as every index
 * in the API).
 */
static void test_fit_nonfinite(void)
{
    nn_model *m = build(1);
    nn_fit_opts o = quiet();
    static double bx[N * IN], by[N], vx[N * IN], vy[N];

    if (m == NULL) {
        return;
    }
    memcpy(bx, x, sizeof bx);
    bx[3 * IN + 1] = NAN;
    bx[5 * IN + 0] = INFINITY;          /* later: not the first */
    BAD_FIT(N, IN, 1, bx, y, &o, NN_ENONFINITE, "x holds|row 3|column 1");
    memcpy(bx, x, sizeof bx);
    bx[7 * IN + 0] = -INFINITY;
    BAD_FIT(N, IN, 1, bx, y, &o, NN_ENONFINITE, "row 7|column 0");
    memcpy(by, y, sizeof by);
    by[5] = INFINITY;
    BAD_FIT(N, IN, 1, x, by, &o, NN_ENONFINITE, "y holds|row 5|column 0");

    /* In the part a validation_split holds out, still in x. */
    memcpy(bx, x, sizeof bx);
    bx[7 * IN + 1] = NAN;
    o.validation_split = 0.25;
    BAD_FIT(N, IN, 1, bx, y, &o, NN_ENONFINITE, "x holds|row 7|column 1");

    /* In explicit validation data. */
    o = quiet();
    memcpy(vx, x, sizeof vx);
    memcpy(vy, y, sizeof vy);
    vx[2 * IN + 1] = NAN;
    o.x_val = vx;
    o.y_val = vy;
    o.n_val = N;
    BAD_FIT(N, IN, 1, x, y, &o, NN_ENONFINITE, "x_val holds|row 2|column 1");
    vx[2 * IN + 1] = 0.0;
    vy[6] = -INFINITY;
    BAD_FIT(N, IN, 1, x, y, &o, NN_ENONFINITE, "y_val holds|row 6|column 0");
    check_still_trains(m);
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * predict, evaluate, train_batch
 */

static void test_inference_arguments(void)
{
    nn_model *m = build(1);
    static double out[N], bad[N * IN], by[N];
    double loss = 42.0, metric = 42.0;
    struct snapshot s;

    if (m == NULL) {
        return;
    }
    take(m, &s);
    for (int i = 0; i < N; i++) {
        out[i] = -7.0;
    }
    memcpy(bad, x, sizeof bad);
    bad[6 * IN + 1] = NAN;
    memcpy(by, y, sizeof by);
    by[4] = NAN;

    FAILS(nn_model_predict(m, 0, IN, 1, x, out), NN_EINVAL, "sample count");
    FAILS(nn_model_predict(m, (int64_t)INT32_MAX + 1, IN, 1, x, out),
          NN_ERANGE, "sample count");
    FAILS(nn_model_predict(m, N, IN, 1, NULL, out), NN_EINVAL, "x is NULL");
    FAILS(nn_model_predict(m, N, IN, 1, x, NULL), NN_EINVAL, "out is NULL");
    FAILS(nn_model_predict(m, N, 3, 1, x, out), NN_ESHAPE, "x has 3 columns");
    FAILS(nn_model_predict(m, N, IN, 2, x, out), NN_ESHAPE,
          "out has 2 columns");
    FAILS(nn_model_predict(m, N, IN, 1, bad, out), NN_ENONFINITE,
          "nn_model_predict|row 6|column 1");
    for (int i = 0; i < N; i++) {
        CHECK(out[i] == -7.0);
    }

    FAILS(nn_model_evaluate(m, -1, IN, 1, x, y, &loss, NULL), NN_EINVAL,
          "sample count");
    FAILS(nn_model_evaluate(m, N, IN, 1, NULL, y, &loss, NULL), NN_EINVAL,
          "x is NULL");
    FAILS(nn_model_evaluate(m, N, IN, 1, x, NULL, &loss, NULL), NN_EINVAL,
          "y is NULL");
    FAILS(nn_model_evaluate(m, N, IN, 1, x, y, NULL, NULL), NN_EINVAL,
          "loss is NULL");
    FAILS(nn_model_evaluate(m, N, 1, 1, x, y, &loss, NULL), NN_ESHAPE,
          "x has 1 columns");
    FAILS(nn_model_evaluate(m, N, IN, 3, x, y, &loss, NULL), NN_ESHAPE,
          "y has 3 columns");
    FAILS(nn_model_evaluate(m, N, IN, 1, bad, y, &loss, &metric),
          NN_ENONFINITE, "x holds|row 6|column 1");
    FAILS(nn_model_evaluate(m, N, IN, 1, x, by, &loss, &metric),
          NN_ENONFINITE, "y holds|row 4|column 0");
    CHECK(loss == 42.0 && metric == 42.0);

    FAILS(nn_model_train_batch(m, 0, IN, 1, x, y, &loss), NN_EINVAL,
          "sample count");
    FAILS(nn_model_train_batch(m, (int64_t)INT32_MAX + 1, IN, 1, x, y, &loss),
          NN_ERANGE, "sample count");
    FAILS(nn_model_train_batch(m, N, IN, 1, NULL, y, &loss), NN_EINVAL,
          "x is NULL");
    FAILS(nn_model_train_batch(m, N, IN, 1, x, NULL, &loss), NN_EINVAL,
          "y is NULL");
    FAILS(nn_model_train_batch(m, N, 4, 1, x, y, &loss), NN_ESHAPE,
          "x has 4 columns");
    FAILS(nn_model_train_batch(m, N, IN, 2, x, y, &loss), NN_ESHAPE,
          "y has 2 columns");
    CHECK(loss == 42.0);
    UNCHANGED(m, &s);
    check_still_trains(m);
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * Divergence
 */

/* 1 -> Dense(1) with MSE and plain SGD at `lr`. */
static nn_model *line_model(double lr)
{
    nn_model *m = NULL;
    nn_optim_opts sgd;

    if (!CHECK_STATUS(nn_model_new(&m, 1), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_add_dense(m, 1, NN_ACTIVATION_IDENTITY), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&sgd, NN_OPTIM_SGD), NN_OK);
    sgd.lr = lr;
    if (!CHECK_STATUS(nn_model_compile(m, NN_LOSS_MSE, &sgd, NULL, 0), NN_OK)) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}

/* A loss that overflows makes the step refuse to update. */
static void test_step_diverges(void)
{
    nn_model *m = line_model(0.01);
    double big[4] = {1e200, -1e200, 1e200, -1e200}, ones[4] = {1, 1, 1, 1};
    double nan_y[4] = {0, NAN, 0, 0}, loss = 0.0, params[2], grads[2];

    if (m == NULL) {
        return;
    }
    memcpy(params, nn_model_params(m), sizeof params);
    memcpy(grads, nn_model_grads(m), sizeof grads);
    FAILS(nn_model_train_batch(m, 4, 1, 1, ones, big, &loss), NN_EDIVERGED,
          "nn_model_train_batch|loss|no update");
    CHECK(isinf(loss));
    CHECK(memcmp(params, nn_model_params(m), sizeof params) == 0);
    CHECK(memcmp(grads, nn_model_grads(m), sizeof grads) == 0);

    /* train_batch does not scan its data: a NaN comes out as the loss. */
    FAILS(nn_model_train_batch(m, 4, 1, 1, ones, nan_y, &loss), NN_EDIVERGED,
          "nan");
    CHECK(isnan(loss));
    CHECK(memcmp(params, nn_model_params(m), sizeof params) == 0);

    /* And the model is fine afterwards. */
    CHECK_STATUS(nn_model_train_batch(m, 4, 1, 1, ones, ones, &loss), NN_OK);
    CHECK(isfinite(loss));
    CHECK(memcmp(params, nn_model_params(m), sizeof params) != 0);
    nn_model_free(m);
}

#define DN 32
#define DBATCH 4

/*
 * SGD far above the stable rate on targets of 1e6: the weights swing
 * wider every step until the loss overflows. fit stops there, says at
 * which epoch and batch (both counted from 1), returns the history up to
 * the epoch before, and keeps the weights that produced the overflow.
 */
static void test_fit_diverges(void)
{
    nn_model *m = line_model(10.0);
    static double dx[DN], dy[DN];
    nn_fit_opts o = quiet();
    nn_history *h = NULL;
    long long epoch = -1, batch = -1;
    const char *at;
    uint64_t state = 3;
    double loss = 0.0;

    if (m == NULL) {
        return;
    }
    for (int i = 0; i < DN; i++) {
        dx[i] = nn_test_rand(&state);
        dy[i] = 1e6 * nn_test_rand(&state);
    }
    o.epochs = 1000;
    o.batch_size = DBATCH;
    o.shuffle = 0;
    FAILS(nn_model_fit(m, DN, 1, 1, dx, dy, &o, &h), NN_EDIVERGED,
          "nn_model_fit|epoch|batch");
    at = strstr(nn_last_error(), "epoch ");
    if (CHECK(at != NULL)
        && CHECK(sscanf(at, "epoch %lld, batch %lld", &epoch, &batch) == 2)
        && CHECK(h != NULL)) {
        CHECK(epoch > 1 && epoch < 1000);
        CHECK(batch >= 1 && batch <= DN / DBATCH);
        CHECK(nn_history_epochs(h) == epoch - 1);
        CHECK(isfinite(nn_history_series(h, "loss")[epoch - 2]));

        /* The weights are those that overflowed on that batch. */
        CHECK_STATUS(nn_model_evaluate(m, DBATCH, 1, 1,
                                       dx + (batch - 1) * DBATCH,
                                       dy + (batch - 1) * DBATCH, &loss, NULL),
                     NN_OK);
        CHECK(!isfinite(loss));
    }
    nn_history_free(h);
    nn_model_free(m);
}

/* With restore_best, a diverged fit ends with the best epoch's weights. */
static void test_fit_diverges_restores(void)
{
    nn_model *m = line_model(10.0), *copy = line_model(10.0);
    static double dx[DN], dy[DN];
    nn_fit_opts o = quiet();
    nn_history *h = NULL;
    uint64_t state = 3;
    int64_t best;

    if (m == NULL || copy == NULL) {
        goto done;
    }
    for (int i = 0; i < DN; i++) {
        dx[i] = nn_test_rand(&state);
        dy[i] = 1e6 * nn_test_rand(&state);
    }
    o.epochs = 1000;
    o.batch_size = DBATCH;
    o.restore_best = 1;
    o.monitor = "loss";
    FAILS(nn_model_fit(m, DN, 1, 1, dx, dy, &o, &h), NN_EDIVERGED, "epoch");
    if (CHECK(h != NULL) && CHECK(nn_history_epochs(h) > 0)) {
        best = nn_history_best_epoch(h);
        CHECK(best >= 0 && best < nn_history_epochs(h));
        for (int64_t e = 0; e < nn_history_epochs(h); e++) {
            CHECK(nn_history_series(h, "loss")[e]
                  >= nn_history_series(h, "loss")[best]);
        }
        o.epochs = best + 1;
        o.restore_best = 0;
        CHECK_STATUS(nn_model_fit(copy, DN, 1, 1, dx, dy, &o, NULL), NN_OK);
        CHECK(memcmp(nn_model_params(m), nn_model_params(copy),
                     2 * sizeof(double)) == 0);
    }

done:
    nn_history_free(h);
    nn_model_free(m);
    nn_model_free(copy);
}

/* ----------------------------------------------------------------------
 * Options and history with NULL
 */

static void test_null_helpers(void)
{
    double value = 3.0;

    FAILS(nn_fit_opts_init(NULL), NN_EINVAL, "opts");
    CHECK(nn_history_epochs(NULL) == 0);
    CHECK(nn_history_series_count(NULL) == 0);
    CHECK(nn_history_series_name(NULL, 0) == NULL);
    CHECK(nn_history_series(NULL, "loss") == NULL);
    CHECK(nn_history_best_epoch(NULL) == -1);
    FAILS(nn_history_get(NULL, "loss", 0, &value), NN_EINVAL, "history");
    CHECK(value == 3.0);
    nn_history_free(NULL);
}

static void test_history_get(void)
{
    nn_model *m = build(1);
    nn_fit_opts o = quiet();
    nn_history *h = NULL;
    double value = 3.0;

    if (m == NULL) {
        return;
    }
    CHECK_STATUS(nn_model_fit(m, N, IN, 1, x, y, &o, &h), NN_OK);
    if (CHECK(h != NULL)) {
        FAILS(nn_history_get(h, "nope", 0, &value), NN_EINVAL, "series");
        FAILS(nn_history_get(h, NULL, 0, &value), NN_EINVAL, "series");
        FAILS(nn_history_get(h, "loss", 3, &value), NN_EINVAL, "epoch 3");
        FAILS(nn_history_get(h, "loss", -1, &value), NN_EINVAL, "epoch");
        FAILS(nn_history_get(h, "loss", 0, NULL), NN_EINVAL, "value");
        CHECK(value == 3.0);
        CHECK(nn_history_series(h, "nope") == NULL);
        CHECK_STATUS(nn_history_get(h, "binary_accuracy", 2, &value), NN_OK);
        CHECK(value == nn_history_series(h, "binary_accuracy")[2]);
    }
    nn_history_free(h);
    nn_model_free(m);
}

int main(void)
{
    uint64_t state = 8;

    for (int i = 0; i < N; i++) {
        x[i * IN] = nn_test_rand(&state);
        x[i * IN + 1] = nn_test_rand(&state);
        y[i] = x[i * IN] > x[i * IN + 1];
    }
    test_new();
    test_add_layers();
    test_layer_limit();
    test_compile();
    test_not_compiled();
    test_fit_arguments();
    test_fit_options();
    test_fit_nonfinite();
    test_inference_arguments();
    test_step_diverges();
    test_fit_diverges();
    test_fit_diverges_restores();
    test_null_helpers();
    test_history_get();
    return nn_test_done();
}
