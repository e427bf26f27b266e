/*
 * The sequential model outside of fit: parameter counts and layout, the
 * summary text, seeding and recompiling, inference with and without
 * dropout, and the loss and metrics of nn_model_evaluate against sums
 * written here over nn_model_predict's output.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

/* Dense(10, relu), Dense(10, relu), Dense(1, sigmoid) on `inputs`. */
static nn_model *seed_model(int64_t inputs)
{
    nn_model *m = NULL;

    if (!CHECK_STATUS(nn_model_new(&m, inputs), NN_OK)) {
        return NULL;
    }
    if (!CHECK_STATUS(nn_model_add_dense(m, 10, NN_ACTIVATION_RELU), NN_OK)
        || !CHECK_STATUS(nn_model_add_dense(m, 10, NN_ACTIVATION_RELU), NN_OK)
        || !CHECK_STATUS(nn_model_add_dense(m, 1, NN_ACTIVATION_SIGMOID),
                         NN_OK)) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}

static int compile_seed(nn_model *m)
{
    nn_optim_opts adam;
    int metric = NN_METRIC_BINARY_ACCURACY;

    return CHECK_STATUS(nn_optim_opts_init(&adam, NN_OPTIM_ADAM), NN_OK)
           && CHECK_STATUS(nn_model_compile(m, NN_LOSS_BCE, &adam, &metric, 1),
                           NN_OK);
}

/* ----------------------------------------------------------------------
 * Parameter counts and the summary
 */

/* The seed model's counts, from the exercise: 2*10+10, 10*10+10, 10+1. */
static const int64_t seed_counts[3] = {30, 110, 11};

static void test_layer_info(void)
{
    nn_model *m = seed_model(2);
    nn_layer_info info;
    int64_t offset = 0;
    const int64_t widths[4] = {2, 10, 10, 1};
    const int64_t acts[3] = {NN_ACTIVATION_RELU, NN_ACTIVATION_RELU,
                             NN_ACTIVATION_SIGMOID};

    if (m == NULL) {
        return;
    }

    /* Counts are known before compile, and compile does not move them. */
    for (int pass = 0; pass < 2; pass++) {
        CHECK(nn_model_layer_count(m) == 3);
        CHECK(nn_model_input_width(m) == 2);
        CHECK(nn_model_output_width(m) == 1);
        CHECK(nn_model_param_count(m) == 151);
        CHECK(nn_model_is_compiled(m) == pass);
        offset = 0;
        for (int i = 0; i < 3; i++) {
            if (!CHECK_STATUS(nn_model_layer_info(m, i, &info), NN_OK)) {
                continue;
            }
            CHECK(info.kind == NN_LAYER_DENSE);
            CHECK(info.inputs == widths[i] && info.units == widths[i + 1]);
            CHECK(info.activation == acts[i]);
            CHECK(info.use_bias == 1);
            CHECK(info.param_count == seed_counts[i]);
            CHECK(info.param_offset == offset);
            offset += info.param_count;
        }
        CHECK(offset == nn_model_param_count(m));
        if (pass == 0) {
            CHECK(nn_model_params(m) == NULL && nn_model_grads(m) == NULL);
            CHECK(nn_model_loss(m) == -1 && nn_model_metric_count(m) == 0);
            if (!compile_seed(m)) {
                break;
            }
        }
    }
    CHECK(nn_model_params(m) != NULL && nn_model_grads(m) != NULL);
    CHECK(nn_model_loss(m) == NN_LOSS_BCE && nn_model_metric_count(m) == 1);

    CHECK_STATUS(nn_model_layer_info(m, 3, &info), NN_EINVAL);
    CHECK_STATUS(nn_model_layer_info(m, -1, &info), NN_EINVAL);
    CHECK_STATUS(nn_model_layer_info(m, 0, NULL), NN_EINVAL);
    CHECK_STATUS(nn_model_layer_info(NULL, 0, &info), NN_EINVAL);
    CHECK(nn_model_layer_count(NULL) == 0 && nn_model_param_count(NULL) == 0);
    CHECK(nn_model_input_width(NULL) == 0 && nn_model_output_width(NULL) == 0);
    CHECK(nn_model_params(NULL) == NULL && nn_model_grads(NULL) == NULL);
    CHECK(nn_model_is_compiled(NULL) == 0 && nn_model_loss(NULL) == -1);
    nn_model_free(m);
    nn_model_free(NULL);
}

/* A layer without bias, and dropout, move the offsets as they should. */
static void test_layout_mixed(void)
{
    nn_model *m = NULL;
    nn_dense_opts opts;
    nn_layer_info info;
    const int64_t counts[4] = {3 * 4, 0, 4 * 5 + 5, 0};
    int64_t offset = 0;

    if (!CHECK_STATUS(nn_model_new(&m, 3), NN_OK)) {
        return;
    }
    CHECK_STATUS(nn_dense_opts_init(&opts, 4, NN_ACTIVATION_TANH), NN_OK);
    opts.use_bias = 0;
    CHECK_STATUS(nn_model_add_dense_opts(m, &opts), NN_OK);
    CHECK_STATUS(nn_model_add_dropout(m, 0.25), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 5, NN_ACTIVATION_IDENTITY), NN_OK);
    CHECK_STATUS(nn_model_add_dropout(m, 0.0), NN_OK);
    CHECK(nn_model_param_count(m) == 12 + 25);
    CHECK(nn_model_output_width(m) == 5);
    for (int i = 0; i < 4; i++) {
        if (!CHECK_STATUS(nn_model_layer_info(m, i, &info), NN_OK)) {
            continue;
        }
        CHECK(info.param_count == counts[i] && info.param_offset == offset);
        CHECK(info.kind == (i % 2 == 0 ? NN_LAYER_DENSE : NN_LAYER_DROPOUT));
        CHECK(info.units == (i < 2 ? 4 : 5));
        if (i == 1) {
            CHECK(info.rate == 0.25 && info.inputs == 4);
        }
        offset += info.param_count;
    }
    CHECK_STATUS(nn_model_layer_info(m, 0, &info), NN_OK);
    CHECK(info.use_bias == 0);
    nn_model_free(m);
}


/*
 * Checks the summary of the seed model: the rows of the dense layers end
 * in their parameter counts, in order, and the totals are there.
 */
static void check_seed_summary(const char *text)
{
    int64_t counts[8];
    int rows = 0, total = 0, trainable = 0;
    const char *line = text;

    while (line != NULL && *line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        char row[256];

        if (len >= sizeof row) {
            CHECK(len < sizeof row);
            return;
        }
        memcpy(row, line, len);
        row[len] = '\0';
        if (strncmp(row, "dense", 5) == 0 && rows < 8) {
            const char *last = strrchr(row, ' ');
            counts[rows++] = last != NULL ? strtoll(last + 1, NULL, 10) : -1;
            CHECK(strstr(row, "(Dense)") != NULL);
        }
        total += strcmp(row, "Total params: 151") == 0
                 || strncmp(row, "Total params: 151 ", 18) == 0;
        trainable += strcmp(row, "Trainable params: 151") == 0;
        line = end != NULL ? end + 1 : NULL;
    }
    if (CHECK(rows == 3)) {
        for (int i = 0; i < 3; i++) {
            CHECK(counts[i] == seed_counts[i]);
        }
    }
    CHECK(total == 1);
    CHECK(trainable == 1);
    CHECK(strstr(text, "relu") != NULL && strstr(text, "sigmoid") != NULL);
    CHECK(strstr(text, "(None, 10)") != NULL);
    CHECK(strstr(text, "(None, 1) ") != NULL);
}

static void test_summary(void)
{
    nn_model *m = seed_model(2);
    char *before = NULL, *after = NULL, *text = NULL;
    int64_t needed = -1, needed2 = -1;
    FILE *f;

    if (m == NULL) {
        return;
    }

    /* Before compile, the file and the string versions agree. */
    f = tmpfile();
    if (CHECK(f != NULL)) {
        CHECK_STATUS(nn_model_summary(m, f), NN_OK);
        before = nn_test_slurp(f);
        fclose(f);
    }
    CHECK_STATUS(nn_model_summary_str(m, NULL, 0, &needed), NN_OK);
    if (CHECK(before != NULL) && CHECK(needed == (int64_t)strlen(before))) {
        check_seed_summary(before);
        text = malloc((size_t)needed + 1);
    }
    if (text != NULL) {
        CHECK_STATUS(nn_model_summary_str(m, text, needed + 1, &needed2),
                     NN_OK);
        CHECK(needed2 == needed && strcmp(text, before) == 0);
    }

    /* After compile, the same text. */
    if (compile_seed(m) && text != NULL) {
        f = tmpfile();
        if (CHECK(f != NULL)) {
            CHECK_STATUS(nn_model_summary(m, f), NN_OK);
            after = nn_test_slurp(f);
            fclose(f);
        }
        CHECK(after != NULL && strcmp(after, before) == 0);
        memset(text, 'x', (size_t)needed + 1);
        CHECK_STATUS(nn_model_summary_str(m, text, needed + 1, NULL), NN_OK);
        CHECK(strcmp(text, before) == 0);
    }

    /* Too small: the cut text, NUL-terminated, and the full length. */
    if (text != NULL) {
        for (int64_t len = 1; len <= needed; len += needed / 7 + 1) {
            memset(text, 'x', (size_t)needed + 1);
            needed2 = -1;
            CHECK_STATUS(nn_model_summary_str(m, text, len, &needed2),
                         NN_ERANGE);
            CHECK(needed2 == needed);
            CHECK(strlen(text) == (size_t)len - 1);
            CHECK(strncmp(text, before, (size_t)len - 1) == 0);
            CHECK(text[len] == 'x');
        }
        CHECK_STATUS(nn_model_summary_str(m, text, needed, NULL), NN_ERANGE);
        CHECK(strlen(text) == (size_t)needed - 1);
        memset(text, 'x', (size_t)needed + 1);
        CHECK_STATUS(nn_model_summary_str(m, text, 0, NULL), NN_ERANGE);
        CHECK(text[0] == 'x');
    }
    free(text);
    free(before);
    free(after);
    nn_model_free(m);
}

static void test_summary_dropout(void)
{
    nn_model *m = NULL;
    char buf[4096];

    if (!CHECK_STATUS(nn_model_new(&m, 3), NN_OK)) {
        return;
    }
    CHECK_STATUS(nn_model_summary_str(m, buf, sizeof buf, NULL), NN_OK);
    CHECK(strstr(buf, "Total params: 0") != NULL);
    CHECK_STATUS(nn_model_add_dense(m, 4, NN_ACTIVATION_TANH), NN_OK);
    CHECK_STATUS(nn_model_add_dropout(m, 0.5), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 2, NN_ACTIVATION_SOFTMAX), NN_OK);
    CHECK_STATUS(nn_model_summary_str(m, buf, sizeof buf, NULL), NN_OK);
    CHECK(strstr(buf, "dropout (Dropout)") != NULL);
    CHECK(strstr(buf, "dense_1 (Dense)") != NULL);
    CHECK(strstr(buf, "softmax") != NULL && strstr(buf, "tanh") != NULL);
    CHECK(strstr(buf, "Total params: 26") != NULL);
    nn_model_free(m);
}

static void test_summary_errors(void)
{
    nn_model *m = seed_model(2);
    char buf[16];
    FILE *ro;

    if (m == NULL) {
        return;
    }
    CHECK_STATUS(nn_model_summary(NULL, stdout), NN_EINVAL);
    CHECK_STATUS(nn_model_summary(m, NULL), NN_EINVAL);
    CHECK_STATUS(nn_model_summary_str(NULL, buf, sizeof buf, NULL), NN_EINVAL);
    CHECK_STATUS(nn_model_summary_str(m, NULL, 5, NULL), NN_EINVAL);
    CHECK_STATUS(nn_model_summary_str(m, buf, -1, NULL), NN_EINVAL);

    /* A stream opened for reading refuses writes. */
    ro = fopen("/dev/null", "r");
    if (CHECK(ro != NULL)) {
        CHECK_STATUS(nn_model_summary(m, ro), NN_EIO);
        CHECK(strstr(nn_last_error(), "nn_model_summary") != NULL);
        fclose(ro);
    }
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * Seeds and compiling
 */

static int params_equal(const nn_model *a, const nn_model *b)
{
    int64_t n = nn_model_param_count(a);

    return n == nn_model_param_count(b) && nn_model_params(a) != NULL
           && nn_model_params(b) != NULL
           && memcmp(nn_model_params(a), nn_model_params(b),
                     (size_t)n * sizeof(double)) == 0;
}

static void test_seeds(void)
{
    nn_model *m[4] = {NULL, NULL, NULL, NULL};
    const uint64_t seeds[4] = {0, 0, 1, 2};

    for (int i = 0; i < 4; i++) {
        m[i] = seed_model(2);
        if (m[i] == NULL) {
            goto done;
        }
        /* m[0] keeps the default seed, which is documented as 0. */
        if (i > 0) {
            CHECK_STATUS(nn_model_set_seed(m[i], seeds[i]), NN_OK);
        }
        if (!compile_seed(m[i])) {
            goto done;
        }
    }
    CHECK(params_equal(m[0], m[1]));
    CHECK(!params_equal(m[1], m[2]));
    CHECK(!params_equal(m[2], m[3]));

    /* Glorot-uniform W within its limit sqrt(6 / (in + out)), b zero. */
    for (int64_t i = 0; i < 151; i++) {
        const double *p = nn_model_params(m[2]);
        double limit = i < 20 ? sqrt(6.0 / 12) : i < 130 ? sqrt(6.0 / 20)
                                                          : sqrt(6.0 / 11);
        int bias = (i >= 20 && i < 30) || (i >= 130 && i < 140) || i == 150;
        if (!CHECK(bias ? p[i] == 0.0 : fabs(p[i]) <= limit && p[i] != 0.0)) {
            break;
        }
    }
    CHECK_STATUS(nn_model_set_seed(NULL, 1), NN_EINVAL);

done:
    for (int i = 0; i < 4; i++) {
        nn_model_free(m[i]);
    }
}

/* A second compile keeps the weights and switches loss and metrics. */
static void test_recompile(void)
{
    nn_model *m = seed_model(2);
    double keep[151], x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, y[4] = {0, 1, 1, 0};
    int metrics[2] = {NN_METRIC_MAE, NN_METRIC_MSE};
    double loss, values[2];

    if (m == NULL || !compile_seed(m)) {
        nn_model_free(m);
        return;
    }
    CHECK_STATUS(nn_model_train_batch(m, 4, 2, 1, x, y, NULL), NN_OK);
    memcpy(keep, nn_model_params(m), sizeof keep);
    CHECK_STATUS(nn_model_compile(m, NN_LOSS_MSE, NULL, metrics, 2), NN_OK);
    CHECK(memcmp(keep, nn_model_params(m), sizeof keep) == 0);
    CHECK(nn_model_loss(m) == NN_LOSS_MSE && nn_model_metric_count(m) == 2);

    /* MSE as the loss and as a metric agree; MAE is its own number. */
    CHECK_STATUS(nn_model_evaluate(m, 4, 2, 1, x, y, &loss, values), NN_OK);
    CHECK(loss == values[1]);
    CHECK(values[0] > 0.0 && values[0] != values[1]);
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * Inference and metrics
 */

#define ROWS 300
#define IN 3
#define OUT 3

static void fill(uint64_t *state, int64_t n, double *a, double scale)
{
    for (int64_t i = 0; i < n; i++) {
        a[i] = scale * nn_test_rand(state);
    }
}

/* Dropout is off outside fit: the same weights without it predict alike. */
static void test_predict_dropout_off(void)
{
    nn_model *with = NULL, *without = NULL;
    static double x[ROWS * IN], a[ROWS * OUT], b[ROWS * OUT];
    uint64_t state = 7;

    fill(&state, ROWS * IN, x, 2.0);
    if (!CHECK_STATUS(nn_model_new(&with, IN), NN_OK)
        || !CHECK_STATUS(nn_model_new(&without, IN), NN_OK)) {
        goto done;
    }
    CHECK_STATUS(nn_model_add_dropout(with, 0.5), NN_OK);
    CHECK_STATUS(nn_model_add_dense(with, 6, NN_ACTIVATION_TANH), NN_OK);
    CHECK_STATUS(nn_model_add_dropout(with, 0.9), NN_OK);
    CHECK_STATUS(nn_model_add_dense(with, OUT, NN_ACTIVATION_SOFTMAX), NN_OK);
    CHECK_STATUS(nn_model_add_dropout(with, 0.3), NN_OK);
    CHECK_STATUS(nn_model_add_dense(without, 6, NN_ACTIVATION_TANH), NN_OK);
    CHECK_STATUS(nn_model_add_dense(without, OUT, NN_ACTIVATION_SOFTMAX),
                 NN_OK);
    if (!CHECK_STATUS(nn_model_compile(with, NN_LOSS_CCE, NULL, NULL, 0), NN_OK)
        || !CHECK_STATUS(nn_model_compile(without, NN_LOSS_CCE, NULL, NULL, 0),
                         NN_OK)
        || !CHECK(nn_model_param_count(with) == nn_model_param_count(without))) {
        goto done;
    }
    CHECK(params_equal(with, without));
    CHECK_STATUS(nn_model_predict(with, ROWS, IN, OUT, x, a), NN_OK);
    CHECK_STATUS(nn_model_predict(without, ROWS, IN, OUT, x, b), NN_OK);
    CHECK(memcmp(a, b, sizeof a) == 0);

    /* Predicting twice gives the same answer: no hidden randomness. */
    CHECK_STATUS(nn_model_predict(with, ROWS, IN, OUT, x, b), NN_OK);
    CHECK(memcmp(a, b, sizeof a) == 0);

done:
    nn_model_free(with);
    nn_model_free(without);
}

/* The loss of kind over predictions p, by its definition in loss.h. */
static double reference_loss(int kind, int64_t rows, int64_t cols,
                             const double *p, const double *t)
{
    const double eps = 1e-7;
    double sum = 0.0;

    for (int64_t i = 0; i < rows * cols; i++) {
        double q = fmin(fmax(p[i], eps), 1 - eps);
        switch (kind) {
        case NN_LOSS_MSE: sum += (p[i] - t[i]) * (p[i] - t[i]); break;
        case NN_LOSS_MAE: sum += fabs(p[i] - t[i]); break;
        case NN_LOSS_BCE: sum -= t[i] * log(q) + (1 - t[i]) * log(1 - q); break;
        default: sum -= t[i] * log(q); break;
        }
    }
    return kind == NN_LOSS_CCE ? sum / (double)rows
                               : sum / (double)(rows * cols);
}

/* The metric by its definition in model.h, over all rows. */
static double reference_metric(int metric, int64_t rows, int64_t cols,
                               const double *p, const double *t)
{
    double sum = 0.0;

    for (int64_t r = 0; r < rows; r++) {
        const double *pr = p + r * cols, *tr = t + r * cols;
        int64_t arg_p = 0, arg_t = 0;
        for (int64_t j = 0; j < cols; j++) {
            switch (metric) {
            case NN_METRIC_BINARY_ACCURACY:
                sum += ((pr[j] > 0.5) == (tr[j] > 0.5)) / (double)cols;
                break;
            case NN_METRIC_MSE:
                sum += (pr[j] - tr[j]) * (pr[j] - tr[j]) / (double)cols;
                break;
            case NN_METRIC_MAE: sum += fabs(pr[j] - tr[j]) / (double)cols; break;
            default:
                arg_p = pr[j] > pr[arg_p] ? j : arg_p;
                arg_t = tr[j] > tr[arg_t] ? j : arg_t;
                break;
            }
        }
        sum += metric == NN_METRIC_CATEGORICAL_ACCURACY && arg_p == arg_t;
    }
    return sum / (double)rows;
}

/*
 * evaluate against predict: ROWS is more than one chunk of the library's
 * inference, so the chunked sums are checked too.
 */
static void check_evaluate(int activation, int loss)
{
    static double x[ROWS * IN], y[ROWS * OUT], p[ROWS * OUT];
    int metrics[4] = {NN_METRIC_BINARY_ACCURACY, NN_METRIC_CATEGORICAL_ACCURACY,
                      NN_METRIC_MSE, NN_METRIC_MAE};
    double value = NAN, got[4];
    uint64_t state = 100 + (uint64_t)loss;
    nn_model *m = NULL;

    fill(&state, ROWS * IN, x, 2.0);
    for (int64_t r = 0; r < ROWS; r++) {
        int64_t hot = (int64_t)((nn_test_rand(&state) + 1.0) * 0.5 * OUT);
        for (int64_t j = 0; j < OUT; j++) {
            y[r * OUT + j] = loss == NN_LOSS_MSE || loss == NN_LOSS_MAE
                                 ? nn_test_rand(&state) : j == hot;
        }
    }
    if (!CHECK_STATUS(nn_model_new(&m, IN), NN_OK)) {
        return;
    }
    CHECK_STATUS(nn_model_set_seed(m, 11), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 8, NN_ACTIVATION_TANH), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, OUT, activation), NN_OK);
    if (CHECK_STATUS(nn_model_compile(m, loss, NULL, metrics, 4), NN_OK)
        && CHECK_STATUS(nn_model_predict(m, ROWS, IN, OUT, x, p), NN_OK)
        && CHECK_STATUS(nn_model_evaluate(m, ROWS, IN, OUT, x, y, &value,
                                          got), NN_OK)) {
        CHECK_NEAR(value, reference_loss(loss, ROWS, OUT, p, y), 1e-12);
        for (int k = 0; k < 4; k++) {
            if (!CHECK_NEAR(got[k],
                            reference_metric(metrics[k], ROWS, OUT, p, y),
                            1e-12)) {
                printf("  %s with %s\n", nn_metric_name(metrics[k]),
                       nn_loss_name(loss));
            }
        }
        /* The accuracies are not trivially 0 or 1 on random data. */
        CHECK(got[1] > 0.0 && got[1] < 1.0);
        CHECK_STATUS(nn_model_evaluate(m, ROWS, IN, OUT, x, y, &value,
                                       NULL), NN_OK);
    }
    nn_model_free(m);
}

/* binary_accuracy counts y > 0.5 as 1, so exactly 0.5 counts as 0. */
static void test_binary_threshold(void)
{
    nn_model *m = seed_model(2);
    double x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, t[4] = {0, 1, 0, 0};
    double p[4], loss, acc;
    int metric = NN_METRIC_BINARY_ACCURACY;

    if (m == NULL
        || !CHECK_STATUS(nn_model_compile(m, NN_LOSS_BCE, NULL, &metric, 1),
                         NN_OK)) {
        nn_model_free(m);
        return;
    }

    /* Zero weights make every output sigmoid(0) = 0.5 exactly. */
    memset(nn_model_params(m), 0, 151 * sizeof(double));
    CHECK_STATUS(nn_model_predict(m, 4, 2, 1, x, p), NN_OK);
    CHECK(p[0] == 0.5 && p[3] == 0.5);
    CHECK_STATUS(nn_model_evaluate(m, 4, 2, 1, x, t, &loss, &acc), NN_OK);
    CHECK(acc == 0.75);
    CHECK_NEAR(loss, log(2.0), 1e-15);
    nn_model_free(m);
}

/* categorical_accuracy breaks ties as argmax does: the first maximum. */
static void test_categorical_ties(void)
{
    nn_model *m = NULL;
    double x[4] = {0.5, -1.0, 2.0, 0.0}, p[12], loss, acc;
    double t[12] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0};
    int metric = NN_METRIC_CATEGORICAL_ACCURACY;

    if (!CHECK_STATUS(nn_model_new(&m, 1), NN_OK)) {
        return;
    }
    CHECK_STATUS(nn_model_add_dense(m, 3, NN_ACTIVATION_SOFTMAX), NN_OK);
    if (CHECK_STATUS(nn_model_compile(m, NN_LOSS_CCE, NULL, &metric, 1),
                     NN_OK)) {
        /* Zero weights: every row of the output is a three-way tie. */
        memset(nn_model_params(m), 0, 6 * sizeof(double));
        CHECK_STATUS(nn_model_predict(m, 4, 1, 3, x, p), NN_OK);
        CHECK(p[0] == p[1] && p[1] == p[2] && p[9] == p[11]);
        CHECK_STATUS(nn_model_evaluate(m, 4, 1, 3, x, t, &loss, &acc), NN_OK);
        CHECK(acc == 0.5);
        CHECK_NEAR(loss, log(3.0), 1e-15);
    }
    nn_model_free(m);
}

static void test_metric_names(void)
{
    CHECK(strcmp(nn_metric_name(NN_METRIC_BINARY_ACCURACY), "binary_accuracy")
          == 0);
    CHECK(strcmp(nn_metric_name(NN_METRIC_CATEGORICAL_ACCURACY),
                 "categorical_accuracy") == 0);
    CHECK(strcmp(nn_metric_name(NN_METRIC_MSE), "mse") == 0);
    CHECK(strcmp(nn_metric_name(NN_METRIC_MAE), "mae") == 0);
    CHECK(strcmp(nn_metric_name(-1), "unknown") == 0);
    CHECK(strcmp(nn_metric_name(4), "unknown") == 0);
}

int main(void)
{
    test_layer_info();
    test_layout_mixed();
    test_summary();
    test_summary_dropout();
    test_summary_errors();
    test_seeds();
    test_recompile();
    test_predict_dropout_off();
    check_evaluate(NN_ACTIVATION_SOFTMAX, NN_LOSS_CCE);
    check_evaluate(NN_ACTIVATION_SIGMOID, NN_LOSS_BCE);
    check_evaluate(NN_ACTIVATION_IDENTITY, NN_LOSS_MSE);
    check_evaluate(NN_ACTIVATION_TANH, NN_LOSS_MAE);
    test_binary_threshold();
    test_categorical_ties();
    test_metric_names();
    return nn_test_done();
}
