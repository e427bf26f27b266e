/*
 * Numerical guards: fit and train_batch stop with NN_EDIVERGED when the
 * loss stops being finite, naming where it happened and keeping the
 * weights that produced it; predict, evaluate and fit refuse NaN and Inf
 * in their data with NN_ENONFINITE, naming the array, row and column of
 * the first bad value, for every bit pattern of NaN and Inf and at every
 * position the vectorised scan may treat differently.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

#define N 40
#define IN 4
#define BATCH 8
#define BATCHES (N / BATCH)

static double x[N * IN], y[N];

static void make_data(void)
{
    uint64_t state = 31;

    for (int i = 0; i < N; i++) {
        y[i] = 0.0;
        for (int j = 0; j < IN; j++) {
            x[i * IN + j] = nn_test_rand(&state);
            y[i] += x[i * IN + j];
        }
    }
}

/* A linear regression, so that a large learning rate makes gradient
 * descent blow up geometrically. */
static nn_model *linear(double lr)
{
    nn_optim_opts sgd;
    nn_model *m = NULL;

    if (!CHECK_STATUS(nn_model_new(&m, IN), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_add_dense(m, 1, NN_ACTIVATION_IDENTITY), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&sgd, NN_OPTIM_SGD), NN_OK);
    sgd.lr = lr;
    CHECK_STATUS(nn_model_compile(m, NN_LOSS_MSE, &sgd, NULL, 0), NN_OK);
    return m;
}

static nn_status fit_plain(nn_model *m, int64_t epochs, nn_history **h)
{
    nn_fit_opts o;
    nn_status s = nn_fit_opts_init(&o);

    o.epochs = epochs;
    o.batch_size = BATCH;
    o.shuffle = 0;
    o.verbose = 0;
    return s != NN_OK ? s : nn_model_fit(m, N, IN, 1, x, y, &o, h);
}

/* 1 when the last error contains text; prints it when it does not. */
static int error_says(const char *text)
{
    if (strstr(nn_last_error(), text) != NULL) {
        return 1;
    }
    printf("  expected \"%s\" in \"%s\"\n", text, nn_last_error());
    return 0;
}

/* ----------------------------------------------------------------------
 * Divergence
 */

/*
 * Steps a twin model through the same batches with train_batch until the
 * loss is not finite, and checks that fit names that step's epoch and
 * batch, reports the same loss, keeps the same weights and records the
 * epochs before it.
 */
static void test_fit_diverges(void)
{
    nn_model *m = linear(40.0), *twin = linear(40.0);
    nn_history *h = NULL;
    char where[128], value[32];
    int64_t step = 0;
    double loss = 0.0;
    nn_status s = NN_OK;

    if (m == NULL || twin == NULL) {
        nn_model_free(m);
        nn_model_free(twin);
        return;
    }
    for (; step < 100000 && s == NN_OK; step++) {
        int64_t b = step % BATCHES;
        s = nn_model_train_batch(twin, BATCH, IN, 1, x + b * BATCH * IN,
                                 y + b * BATCH, &loss);
    }
    step--;
    if (!CHECK_STATUS(s, NN_EDIVERGED) || !CHECK(step >= BATCHES)) {
        printf("  the twin diverged at step %lld\n", (long long)step);
    }

    CHECK_STATUS(fit_plain(m, 100000, &h), NN_EDIVERGED);
    snprintf(where, sizeof where, "at epoch %lld, batch %lld (of %d samples)",
             (long long)(step / BATCHES + 1), (long long)(step % BATCHES + 1),
             BATCH);
    snprintf(value, sizeof value, "the loss became %g ", loss);
    CHECK(error_says("nn_model_fit: ") && error_says(where)
          && error_says(value));
    CHECK(memcmp(nn_model_params(m), nn_model_params(twin),
                 (size_t)nn_model_param_count(m) * sizeof(double)) == 0);
    CHECK(h != NULL && nn_history_epochs(h) == step / BATCHES);
    nn_history_free(h);
    nn_model_free(m);
    nn_model_free(twin);
}

/* A NaN or a huge weight makes the very first loss NaN or Inf: fit stops
 * at epoch 1, batch 1, and train_batch makes no update. */
static void test_bad_weight(double weight, const char *shown)
{
    nn_model *m = linear(0.01);
    double saved[IN + 1], loss = 0.0;
    char value[64];

    if (m == NULL) {
        return;
    }
    nn_model_params(m)[1] = weight;
    memcpy(saved, nn_model_params(m), sizeof saved);
    snprintf(value, sizeof value, "the loss became %s at epoch 1, batch 1 ",
             shown);

    CHECK_STATUS(fit_plain(m, 3, NULL), NN_EDIVERGED);
    CHECK(error_says(value));
    CHECK(memcmp(nn_model_params(m), saved, sizeof saved) == 0);

    CHECK_STATUS(nn_model_train_batch(m, BATCH, IN, 1, x, y, &loss),
                 NN_EDIVERGED);
    CHECK(!isfinite(loss) && error_says("no update was made"));
    CHECK(memcmp(nn_model_params(m), saved, sizeof saved) == 0);
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * Non-finite data
 */

#define ROWS 300        /* more than one inference chunk */
#define COLS 3
#define OUTS 2

static double data[ROWS * COLS], targets[ROWS * OUTS], out[ROWS * OUTS];

static nn_model *classifier(void)
{
    nn_model *m = NULL;
    int metric = NN_METRIC_BINARY_ACCURACY;

    if (!CHECK_STATUS(nn_model_new(&m, COLS), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_add_dense(m, 5, NN_ACTIVATION_RELU), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, OUTS, NN_ACTIVATION_SIGMOID), NN_OK);
    CHECK_STATUS(nn_model_compile(m, NN_LOSS_BCE, NULL, &metric, 1), NN_OK);
    return m;
}

static void reset_data(void)
{
    uint64_t state = 8;

    for (int i = 0; i < ROWS * COLS; i++) {
        data[i] = nn_test_rand(&state);
    }
    for (int i = 0; i < ROWS * OUTS; i++) {
        targets[i] = nn_test_rand(&state) > 0.0;
        out[i] = -1.0;
    }
}

static double from_bits(uint64_t bits)
{
    double d;

    memcpy(&d, &bits, sizeof d);
    return d;
}

static int out_untouched(void)
{
    for (int i = 0; i < ROWS * OUTS; i++) {
        if (out[i] != -1.0) {
            return 0;
        }
    }
    return 1;
}

/* predict on data with bad at (row, col) names that entry. */
static void expect_predict_names(const nn_model *m, int64_t rows, int row,
                                 int col, const char *shown)
{
    char want[96];

    snprintf(want, sizeof want, "nn_model_predict: x holds %s at row %d, "
             "column %d;", shown, row, col);
    CHECK_STATUS(nn_model_predict(m, rows, COLS, OUTS, data, out),
                 NN_ENONFINITE);
    CHECK(error_says(want) && out_untouched());
}

static void test_predict_nonfinite(void)
{
    static const struct {
        uint64_t bits;
        const char *shown;
    } bad[] = {
        {UINT64_C(0x7ff8000000000000), "nan"},      /* quiet NaN */
        {UINT64_C(0xfff8000000000000), "-nan"},     /* negative NaN */
        {UINT64_C(0x7ff0000000000001), "nan"},      /* signalling NaN */
        {UINT64_C(0x7ffdeadbeef00001), "nan"},      /* NaN with a payload */
        {UINT64_C(0x7ff0000000000000), "inf"},
        {UINT64_C(0xfff0000000000000), "-inf"},
    };
    static const double fine[] = {DBL_MAX, -DBL_MAX, DBL_MIN, -0.0,
                                  0x1p-1074};
    nn_model *m = classifier();

    if (m == NULL) {
        return;
    }

    /* Every kind of NaN and Inf, in the middle, at the very end, and the
     * first of two bad values wins. */
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        reset_data();
        data[271 * COLS + 2] = from_bits(bad[k].bits);
        data[280 * COLS] = INFINITY;
        expect_predict_names(m, ROWS, 271, 2, bad[k].shown);
        reset_data();
        data[ROWS * COLS - 1] = from_bits(bad[k].bits);
        expect_predict_names(m, ROWS, ROWS - 1, COLS - 1, bad[k].shown);
    }

    /* Each position of a short array, whatever the scan's vector width. */
    for (int i = 0; i < 11 * COLS; i++) {
        reset_data();
        data[i] = NAN;
        expect_predict_names(m, 11, i / COLS, i % COLS, "nan");
    }

    /* The largest, smallest and signed finite values pass. */
    reset_data();
    for (size_t k = 0; k < sizeof fine / sizeof fine[0]; k++) {
        data[k * 7] = fine[k];
    }
    CHECK_STATUS(nn_model_predict(m, ROWS, COLS, OUTS, data, out), NN_OK);
    nn_model_free(m);
}

static void test_evaluate_and_fit_nonfinite(void)
{
    nn_model *m = classifier();
    double loss = 5.0, metric = 5.0, saved[64];
    size_t bytes;
    nn_fit_opts o;

    if (m == NULL) {
        return;
    }
    bytes = (size_t)nn_model_param_count(m) * sizeof(double);
    if (!CHECK(bytes <= sizeof saved)) {
        nn_model_free(m);
        return;
    }
    memcpy(saved, nn_model_params(m), bytes);

    /* evaluate: y is scanned too, and *loss stays as it was. */
    reset_data();
    targets[17 * OUTS + 1] = -INFINITY;
    CHECK_STATUS(nn_model_evaluate(m, ROWS, COLS, OUTS, data, targets, &loss,
                                   &metric), NN_ENONFINITE);
    CHECK(error_says("y holds -inf at row 17, column 1"));
    CHECK(loss == 5.0 && metric == 5.0);

    /* fit: x, y and explicit validation data, with the model unchanged. */
    CHECK_STATUS(nn_fit_opts_init(&o), NN_OK);
    o.verbose = 0;
    reset_data();
    data[3 * COLS] = NAN;
    CHECK_STATUS(nn_model_fit(m, 200, COLS, OUTS, data, targets, &o, NULL),
                 NN_ENONFINITE);
    CHECK(error_says("nn_model_fit: x holds nan at row 3, column 0"));
    reset_data();
    o.x_val = data + 200 * COLS;
    o.y_val = targets + 200 * OUTS;
    o.n_val = 100;
    targets[250 * OUTS] = NAN;
    CHECK_STATUS(nn_model_fit(m, 200, COLS, OUTS, data, targets, &o, NULL),
                 NN_ENONFINITE);
    CHECK(error_says("y_val holds nan at row 50, column 0"));
    CHECK(memcmp(nn_model_params(m), saved, bytes) == 0);
    nn_model_free(m);
}

int main(void)
{
    make_data();
    test_fit_diverges();
    test_bad_weight(NAN, "nan");
    test_bad_weight(1e300, "inf");
    test_predict_nonfinite();
    test_evaluate_and_fit_nonfinite();
    return nn_test_done();
}
