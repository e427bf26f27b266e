/*
 * nn_model_fit: it lowers the loss; it is bit-for-bit reproducible from
 * the seed and, without shuffling, the same as a loop of
 * nn_model_train_batch; shuffling only reorders samples; the progress
 * lines and the epoch callback; validation data, split off the end or
 * given, evaluated with the final weights; the history's series; early
 * stopping with patience, min_delta and either direction of monitor, and
 * restoring the best epoch's weights, checked against a copy retrained
 * for that many epochs.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

#define N 64
#define IN 2
#define MAX_PARAMS 64

static double xr[N * IN], yr[N];      /* regression: y = sin(2 x0) + x1 / 2 */
static double xc[N * IN], yc[N];      /* classification: y = x0 x1 > 0 */

static void make_data(void)
{
    uint64_t state = 2024;

    for (int i = 0; i < N; i++) {
        double a = nn_test_rand(&state), b = nn_test_rand(&state);
        xr[i * IN] = a;
        xr[i * IN + 1] = b;
        yr[i] = sin(2.0 * a) + 0.5 * b;
        a = nn_test_rand(&state);
        b = nn_test_rand(&state);
        xc[i * IN] = a;
        xc[i * IN + 1] = b;
        yc[i] = a * b > 0.0;
    }
}

/* 2 -> Dense(8, tanh) [-> Dropout(rate)] -> Dense(1, identity), MSE and
 * mae, Adam at lr 0.01. */
static nn_model *regressor(uint64_t seed, double dropout)
{
    nn_model *m = NULL;
    nn_optim_opts adam;
    int metric = NN_METRIC_MAE;

    if (!CHECK_STATUS(nn_model_new(&m, IN), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_set_seed(m, seed), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 8, NN_ACTIVATION_TANH), NN_OK);
    if (dropout > 0.0) {
        CHECK_STATUS(nn_model_add_dropout(m, dropout), NN_OK);
    }
    CHECK_STATUS(nn_model_add_dense(m, 1, NN_ACTIVATION_IDENTITY), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&adam, NN_OPTIM_ADAM), NN_OK);
    adam.lr = 0.01;
    if (!CHECK_STATUS(nn_model_compile(m, NN_LOSS_MSE, &adam, &metric, 1),
                      NN_OK)) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}

/* The seed model of the exercise with a given seed. */
static nn_model *classifier(uint64_t seed)
{
    nn_model *m = NULL;
    nn_optim_opts adam;
    int metric = NN_METRIC_BINARY_ACCURACY;

    if (!CHECK_STATUS(nn_model_new(&m, IN), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_set_seed(m, seed), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 10, NN_ACTIVATION_RELU), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 10, NN_ACTIVATION_RELU), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 1, NN_ACTIVATION_SIGMOID), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&adam, NN_OPTIM_ADAM), NN_OK);
    adam.lr = 0.01;
    if (!CHECK_STATUS(nn_model_compile(m, NN_LOSS_BCE, &adam, &metric, 1),
                      NN_OK)) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}

static nn_fit_opts quiet(int64_t epochs, int64_t batch)
{
    nn_fit_opts o;

    CHECK_STATUS(nn_fit_opts_init(&o), NN_OK);
    o.epochs = epochs;
    o.batch_size = batch;
    o.verbose = 0;
    return o;
}

static int same_params(const nn_model *a, const nn_model *b)
{
    int64_t n = nn_model_param_count(a);

    return a != NULL && b != NULL && n == nn_model_param_count(b)
           && memcmp(nn_model_params(a), nn_model_params(b),
                     (size_t)n * sizeof(double)) == 0;
}

/* Whether two histories hold the same series with identical values. */
static int same_history(const nn_history *a, const nn_history *b)
{
    int64_t epochs = nn_history_epochs(a);

    if (epochs != nn_history_epochs(b)
        || nn_history_series_count(a) != nn_history_series_count(b)) {
        return 0;
    }
    for (int64_t s = 0; s < nn_history_series_count(a); s++) {
        const char *name = nn_history_series_name(a, s);
        const double *va = nn_history_series(a, name);
        const double *vb = nn_history_series(b, name);
        if (vb == NULL || strcmp(name, nn_history_series_name(b, s)) != 0
            || memcmp(va, vb, (size_t)epochs * sizeof(double)) != 0) {
            return 0;
        }
    }
    return 1;
}

/* ----------------------------------------------------------------------
 * Training and reproducibility
 */

static void test_lowers_loss(void)
{
    nn_model *m = regressor(1, 0.0);
    nn_fit_opts o = quiet(30, 16);
    nn_history *h = NULL;
    double before = NAN, after = NAN;
    const double *loss;

    if (m == NULL) {
        return;
    }
    CHECK_STATUS(nn_model_evaluate(m, N, IN, 1, xr, yr, &before, NULL), NN_OK);
    CHECK_STATUS(nn_model_fit(m, N, IN, 1, xr, yr, &o, &h), NN_OK);
    CHECK_STATUS(nn_model_evaluate(m, N, IN, 1, xr, yr, &after, NULL), NN_OK);
    if (CHECK(h != NULL) && CHECK(nn_history_epochs(h) == 30)
        && CHECK((loss = nn_history_series(h, "loss")) != NULL)) {
        CHECK(loss[29] < 0.5 * loss[0]);
        CHECK(after < 0.5 * before);
        CHECK(nn_history_series_count(h) == 2);
        CHECK(strcmp(nn_history_series_name(h, 0), "loss") == 0);
        CHECK(strcmp(nn_history_series_name(h, 1), "mae") == 0);
        CHECK(nn_history_series_name(h, 2) == NULL);
        CHECK(nn_history_series_name(h, -1) == NULL);
        CHECK(nn_history_best_epoch(h) == 29);
    }
    nn_history_free(h);

    /* NULL opts means the defaults (one epoch, verbose on stderr); NULL
     * history is allowed. */
    CHECK_STATUS(nn_model_fit(m, N, IN, 1, xr, yr, NULL, NULL), NN_OK);
    nn_model_free(m);
}

/*
 * Same seed, same data: the same weights and history bit for bit, with
 * shuffling and dropout drawing from the generator. A different seed
 * gives different initial weights; a different seed set after compile,
 * the same initial weights but a different shuffle and mask; no shuffle,
 * a different run again.
 */
static void test_reproducible(void)
{
    nn_model *m[5] = {NULL, NULL, NULL, NULL, NULL};
    nn_history *h[5] = {NULL, NULL, NULL, NULL, NULL};
    nn_fit_opts o = quiet(5, 10);
    double start[MAX_PARAMS];

    for (int i = 0; i < 5; i++) {
        if ((m[i] = regressor(i == 2 ? 43 : 42, 0.25)) == NULL) {
            goto done;
        }
    }
    memcpy(start, nn_model_params(m[0]), sizeof(double) * 33);
    CHECK(nn_model_param_count(m[0]) == 33);
    CHECK(same_params(m[0], m[1]) && same_params(m[0], m[3]));
    CHECK(!same_params(m[0], m[2]));
    CHECK_STATUS(nn_model_set_seed(m[3], 44), NN_OK);
    for (int i = 0; i < 5; i++) {
        o.shuffle = i != 4;
        CHECK_STATUS(nn_model_fit(m[i], N, IN, 1, xr, yr, &o, &h[i]), NN_OK);
    }
    CHECK(memcmp(start, nn_model_params(m[0]), sizeof(double) * 33) != 0);
    CHECK(same_params(m[0], m[1]));
    CHECK(h[0] != NULL && h[1] != NULL && same_history(h[0], h[1]));
    for (int i = 2; i < 5; i++) {
        CHECK(!same_params(m[0], m[i]));
        CHECK(h[i] != NULL && !same_history(h[0], h[i]));
    }

done:
    for (int i = 0; i < 5; i++) {
        nn_history_free(h[i]);
        nn_model_free(m[i]);
    }
}

/*
 * Without shuffling, fit is train_batch over consecutive batches (the
 * last one short), and its epoch loss and metric are the sample-weighted
 * means of the batches', taken before each update.
 */
static void test_unshuffled_is_train_batch(void)
{
    const int64_t epochs = 3, batch = 10;
    nn_model *fitted = regressor(7, 0.0), *manual = regressor(7, 0.0);
    nn_fit_opts o = quiet(epochs, batch);
    nn_history *h = NULL;
    double loss[3], mae[3];

    o.shuffle = 0;
    if (fitted == NULL || manual == NULL) {
        goto done;
    }
    CHECK_STATUS(nn_model_fit(fitted, N, IN, 1, xr, yr, &o, &h), NN_OK);
    for (int64_t e = 0; e < epochs; e++) {
        double total = 0.0, total_mae = 0.0;
        for (int64_t start = 0; start < N; start += batch) {
            int64_t rows = N - start < batch ? N - start : batch;
            double value = NAN, before = NAN, metric = NAN;
            const double *x = xr + start * IN, *y = yr + start;
            CHECK_STATUS(nn_model_evaluate(manual, rows, IN, 1, x, y, &before,
                                           &metric), NN_OK);
            CHECK_STATUS(nn_model_train_batch(manual, rows, IN, 1, x, y,
                                              &value), NN_OK);
            total += value * (double)rows;
            total_mae += metric * (double)rows;
        }
        loss[e] = total / N;
        mae[e] = total_mae / N;
    }
    CHECK(same_params(fitted, manual));
    if (CHECK(h != NULL) && CHECK(nn_history_epochs(h) == epochs)) {
        for (int64_t e = 0; e < epochs; e++) {
            CHECK(nn_history_series(h, "loss")[e] == loss[e]);
            CHECK_NEAR(nn_history_series(h, "mae")[e], mae[e], 1e-14);
        }
    }

done:
    nn_history_free(h);
    nn_model_free(fitted);
    nn_model_free(manual);
}

/*
 * With the whole set in one batch, the order of the samples changes only
 * the rounding of the gradient's sums: shuffled and unshuffled fits agree
 * to rounding. A shuffle that split x from y would not.
 */
static void test_shuffle_keeps_pairs(void)
{
    nn_model *a = regressor(9, 0.0), *b = regressor(9, 0.0);
    nn_fit_opts o = quiet(4, N);
    nn_history *ha = NULL, *hb = NULL;

    if (a == NULL || b == NULL) {
        goto done;
    }
    o.shuffle = 1;
    CHECK_STATUS(nn_model_fit(a, N, IN, 1, xr, yr, &o, &ha), NN_OK);
    o.shuffle = 0;
    CHECK_STATUS(nn_model_fit(b, N, IN, 1, xr, yr, &o, &hb), NN_OK);
    for (int64_t i = 0; i < nn_model_param_count(a); i++) {
        if (!CHECK_NEAR(nn_model_params(a)[i], nn_model_params(b)[i], 1e-12)) {
            break;
        }
    }
    if (CHECK(ha != NULL && hb != NULL)) {
        for (int64_t e = 0; e < 4; e++) {
            CHECK_NEAR(nn_history_series(ha, "loss")[e],
                       nn_history_series(hb, "loss")[e], 1e-12);
        }
    }

done:
    nn_history_free(ha);
    nn_history_free(hb);
    nn_model_free(a);
    nn_model_free(b);
}

/* ----------------------------------------------------------------------
 * Progress lines and the epoch callback
 */


static void test_progress(void)
{
    nn_model *m = regressor(3, 0.0);
    nn_fit_opts o = quiet(4, 16);
    FILE *f = tmpfile();
    char *text = NULL, *line;
    int lines = 0;

    if (m == NULL || !CHECK(f != NULL)) {
        goto done;
    }

    /* Silent: nothing written. */
    o.progress = f;
    CHECK_STATUS(nn_model_fit(m, N, IN, 1, xr, yr, &o, NULL), NN_OK);
    text = nn_test_slurp(f);
    CHECK(text != NULL && text[0] == '\0');
    free(text);

    /* One line per epoch, numbered, naming every series. */
    o.verbose = 1;
    o.validation_split = 0.25;
    CHECK_STATUS(nn_model_fit(m, N, IN, 1, xr, yr, &o, NULL), NN_OK);
    text = nn_test_slurp(f);
    for (line = text; line != NULL && *line != '\0'; lines++) {
        char *end = strchr(line, '\n'), want[32];
        if (!CHECK(end != NULL)) {
            break;
        }
        *end = '\0';
        snprintf(want, sizeof want, "Epoch %d/4 - loss: ", lines + 1);
        CHECK(strncmp(line, want, strlen(want)) == 0);
        CHECK(strstr(line, " - mae: ") != NULL);
        CHECK(strstr(line, " - val_loss: ") != NULL);
        CHECK(strstr(line, " - val_mae: ") != NULL);
        line = end + 1;
    }
    CHECK(lines == 4);

done:
    free(text);
    if (f != NULL) {
        fclose(f);
    }
    nn_model_free(m);
}

struct calls {
    int64_t count;
    int64_t epochs[16];
    int64_t stop_at;            /* epoch after which to ask to stop */
    int consistent;             /* the history matched at every call */
};

static int on_epoch(void *user, int64_t epoch, const nn_history *h)
{
    struct calls *c = user;
    double loss;

    if (c->count < 16) {
        c->epochs[c->count] = epoch;
    }
    c->count++;
    if (nn_history_epochs(h) != epoch + 1
        || nn_history_get(h, "loss", epoch, &loss) != NN_OK || !isfinite(loss)
        || nn_history_get(h, "loss", epoch + 1, &loss) != NN_EINVAL) {
        c->consistent = 0;
    }
    return epoch == c->stop_at;
}

static void test_callback(void)
{
    nn_model *m = regressor(4, 0.0);
    nn_fit_opts o = quiet(6, 16);
    struct calls c = {0, {0}, -1, 1};
    nn_history *h = NULL;

    if (m == NULL) {
        return;
    }
    o.on_epoch = on_epoch;
    o.user = &c;
    CHECK_STATUS(nn_model_fit(m, N, IN, 1, xr, yr, &o, &h), NN_OK);
    CHECK(c.count == 6 && c.consistent);
    for (int64_t e = 0; e < 6 && e < c.count; e++) {
        CHECK(c.epochs[e] == e);
    }
    nn_history_free(h);

    /* Asking to stop after epoch 2 (0-based) ends the fit there. */
    memset(&c, 0, sizeof c);
    c.stop_at = 2;
    c.consistent = 1;
    CHECK_STATUS(nn_model_fit(m, N, IN, 1, xr, yr, &o, &h), NN_ESTOPPED);
    CHECK(strstr(nn_last_error(), "callback") != NULL);
    CHECK(c.count == 3 && c.consistent);
    CHECK(h != NULL && nn_history_epochs(h) == 3);
    nn_history_free(h);
    nn_model_free(m);
}

static int stop_after_two(void *user, int64_t epoch, const nn_history *h)
{
    (void)user;
    (void)h;
    return epoch == 1;
}

/*
 * epochs is any count >= 1, as with Keras where a huge count is ended by
 * early stopping or a callback. A count whose history cannot even be
 * addressed is refused up front; any other runs until stopped.
 */
static void test_huge_epochs(void)
{
    const int64_t counts[3] = {INT64_MAX, ((int64_t)1 << 61) + 1, 10000000};
    nn_model *m = regressor(10, 0.0);
    nn_fit_opts o = quiet(1, 16);
    double keep[MAX_PARAMS];

    if (m == NULL) {
        return;
    }
    o.validation_split = 0.25;
    o.on_epoch = stop_after_two;
    for (int i = 0; i < 3; i++) {
        nn_history *h = NULL;
        nn_status s;
        o.epochs = counts[i];
        memcpy(keep, nn_model_params(m), sizeof(double) * 33);
        s = nn_model_fit(m, N, IN, 1, xr, yr, &o, &h);
        if (i < 2) {
            CHECK_STATUS(s, NN_ENOMEM);
            CHECK(strstr(nn_last_error(), "epochs") != NULL);
            CHECK(h == NULL);
            CHECK(memcmp(keep, nn_model_params(m), sizeof(double) * 33) == 0);
        } else if (CHECK_STATUS(s, NN_ESTOPPED) && CHECK(h != NULL)) {
            CHECK(nn_history_epochs(h) == 2);
            CHECK(isfinite(nn_history_series(h, "val_mae")[1]));
        }
        nn_history_free(h);
    }
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * Validation
 */

/*
 * validation_split holds out the last rows: the fit trains on the first
 * ones only (the same weights as a fit on those rows alone) and its last
 * val_ numbers are those nn_model_evaluate gives on the held-out rows with
 * the final weights. Keras's rule: the training part is floor(n (1 - s)).
 */
static void check_split(double split, int64_t n_train)
{
    nn_model *a = classifier(5), *b = classifier(5), *c = classifier(5);
    nn_fit_opts o = quiet(6, 32);
    nn_history *ha = NULL, *hb = NULL, *hc = NULL;
    int64_t n_val = N - n_train;
    double loss = NAN, acc = NAN, last;

    if (a == NULL || b == NULL || c == NULL) {
        goto done;
    }
    o.validation_split = split;
    CHECK_STATUS(nn_model_fit(a, N, IN, 1, xc, yc, &o, &ha), NN_OK);
    o.validation_split = 0.0;
    CHECK_STATUS(nn_model_fit(b, n_train, IN, 1, xc, yc, &o, &hb), NN_OK);
    o.x_val = xc + n_train * IN;
    o.y_val = yc + n_train;
    o.n_val = n_val;
    CHECK_STATUS(nn_model_fit(c, n_train, IN, 1, xc, yc, &o, &hc), NN_OK);
    CHECK(same_params(a, b) && same_params(a, c));
    CHECK(ha != NULL && hc != NULL && same_history(ha, hc));

    /* The series, in order. */
    if (CHECK(ha != NULL) && CHECK(nn_history_series_count(ha) == 4)) {
        const char *names[4] = {"loss", "binary_accuracy", "val_loss",
                                "val_binary_accuracy"};
        for (int s = 0; s < 4; s++) {
            CHECK(strcmp(nn_history_series_name(ha, s), names[s]) == 0);
        }
    }
    CHECK(hb != NULL && nn_history_series_count(hb) == 2);
    CHECK(hb != NULL && nn_history_series(hb, "val_loss") == NULL);

    /* The last validation numbers are evaluate's, bit for bit. */
    CHECK_STATUS(nn_model_evaluate(a, n_val, IN, 1, xc + n_train * IN,
                                   yc + n_train, &loss, &acc), NN_OK);
    if (ha != NULL && CHECK_STATUS(nn_history_get(ha, "val_loss", 5, &last),
                                   NN_OK)) {
        CHECK(last == loss);
        CHECK(nn_history_series(ha, "val_binary_accuracy")[5] == acc);
        CHECK(nn_history_series(ha, "val_loss")[0] != loss);
    }

done:
    nn_history_free(ha);
    nn_history_free(hb);
    nn_history_free(hc);
    nn_model_free(a);
    nn_model_free(b);
    nn_model_free(c);
}

static void test_validation(void)
{
    check_split(0.25, 48);
    check_split(0.3, 44);       /* 64 * 0.7 = 44.8 */
    check_split(0.01, 63);      /* 64 * 0.99 = 63.36: one row held out */
}

/* Explicit validation data is evaluated with each epoch's weights. */
static void test_explicit_validation(void)
{
    nn_model *m = regressor(6, 0.0);
    nn_fit_opts o = quiet(3, 16);
    nn_history *h = NULL;
    double loss = NAN, mae = NAN;

    if (m == NULL) {
        return;
    }
    o.x_val = xc;               /* other inputs, same widths */
    o.y_val = yr;
    o.n_val = 12;
    CHECK_STATUS(nn_model_fit(m, N, IN, 1, xr, yr, &o, &h), NN_OK);
    CHECK_STATUS(nn_model_evaluate(m, 12, IN, 1, xc, yr, &loss, &mae), NN_OK);
    if (CHECK(h != NULL) && CHECK(nn_history_series_count(h) == 4)) {
        CHECK(nn_history_series(h, "val_loss")[2] == loss);
        CHECK(nn_history_series(h, "val_mae")[2] == mae);
        CHECK(strcmp(nn_history_series_name(h, 3), "val_mae") == 0);
    }
    nn_history_free(h);
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * Early stopping
 */

/*
 * A line through the origin fitted to y = 2x from w = -1, while the
 * validation data says y = x: val_loss falls until w passes 1, then
 * rises, so the best epoch is in the middle.
 */
#define ES_N 32
#define ES_EPOCHS 40

static double es_x[ES_N], es_y[ES_N], es_yval[ES_N];

static nn_model *line_model(void)
{
    nn_model *m = NULL;
    nn_optim_opts sgd;

    if (!CHECK_STATUS(nn_model_new(&m, 1), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_set_seed(m, 12), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 1, NN_ACTIVATION_IDENTITY), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&sgd, NN_OPTIM_SGD), NN_OK);
    sgd.lr = 0.08;
    if (!CHECK_STATUS(nn_model_compile(m, NN_LOSS_MSE, &sgd, NULL, 0), NN_OK)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_params(m)[0] = -1.0;
    nn_model_params(m)[1] = 0.0;
    return m;
}

static nn_fit_opts line_opts(int64_t epochs)
{
    nn_fit_opts o = quiet(epochs, 8);

    o.x_val = es_x;
    o.y_val = es_yval;
    o.n_val = ES_N;
    return o;
}

/*
 * The documented rule replayed over a recorded series: an epoch is better
 * when it beats the best so far by more than min_delta (up for a series
 * that grows), and training stops once `patience` epochs in a row (at
 * least one) were not. Returns the epochs run; *best gets the best one.
 */
static int64_t reference_run(const double *v, int64_t epochs, int grows,
                             double min_delta, int64_t patience,
                             int64_t *best)
{
    int64_t e, wait = 0;

    *best = 0;
    for (e = 1; e < epochs; e++) {
        int better = grows ? v[e] > v[*best] + min_delta
                           : v[e] < v[*best] - min_delta;
        if (better) {
            *best = e;
            wait = 0;
        } else if (++wait >= (patience > 0 ? patience : 1)) {
            return e + 1;
        }
    }
    return epochs;
}

/* The weights after `epochs` plain epochs of the same run. */
static nn_model *retrained(int64_t epochs)
{
    nn_model *m = line_model();
    nn_fit_opts o = line_opts(epochs);

    if (m != NULL) {
        CHECK_STATUS(nn_model_fit(m, ES_N, 1, 1, es_x, es_y, &o, NULL), NN_OK);
    }
    return m;
}

static void check_early_stop(int64_t patience, double min_delta, int restore)
{
    nn_model *m = line_model(), *copy = NULL;
    nn_fit_opts o = line_opts(ES_EPOCHS);
    nn_history *h = NULL, *full = NULL;
    int64_t run, best = -1, stop_after;
    const double *v;

    if (m == NULL) {
        return;
    }

    /* The run without early stopping gives the reference series. */
    copy = line_model();
    if (copy == NULL) {
        goto done;
    }
    CHECK_STATUS(nn_model_fit(copy, ES_N, 1, 1, es_x, es_y, &o, &full), NN_OK);
    nn_model_free(copy);
    copy = NULL;
    if (!CHECK(full != NULL && nn_history_epochs(full) == ES_EPOCHS)) {
        goto done;
    }
    v = nn_history_series(full, "val_loss");
    stop_after = reference_run(v, ES_EPOCHS, 0, min_delta, patience, &best);

    o.early_stopping = 1;
    o.patience = patience;
    o.min_delta = min_delta;
    o.restore_best = restore;
    CHECK_STATUS(nn_model_fit(m, ES_N, 1, 1, es_x, es_y, &o, &h), NN_OK);
    if (!CHECK(h != NULL)) {
        goto done;
    }
    run = nn_history_epochs(h);
    if (!CHECK(run == stop_after) || !CHECK(run < ES_EPOCHS)) {
        printf("  patience %lld, min_delta %g: ran %lld epochs, expected "
               "%lld (best %lld)\n", (long long)patience, min_delta,
               (long long)run, (long long)stop_after, (long long)best);
        goto done;
    }

    /* The epochs it ran are those of the full run. */
    CHECK(memcmp(nn_history_series(h, "val_loss"), v,
                 (size_t)run * sizeof(double)) == 0);
    CHECK(nn_history_best_epoch(h) == (restore ? best : run - 1));
    copy = retrained(restore ? best + 1 : run);
    CHECK(same_params(m, copy));

done:
    nn_history_free(h);
    nn_history_free(full);
    nn_model_free(copy);
    nn_model_free(m);
}

static void test_early_stopping(void)
{
    nn_model *m;
    nn_fit_opts o = line_opts(ES_EPOCHS);
    nn_history *h = NULL;
    int64_t best;

    /* The setup does what it is meant to: val_loss falls, then rises. */
    if ((m = line_model()) == NULL) {
        return;
    }
    CHECK_STATUS(nn_model_fit(m, ES_N, 1, 1, es_x, es_y, &o, &h), NN_OK);
    if (CHECK(h != NULL)) {
        const double *v = nn_history_series(h, "val_loss");
        CHECK(reference_run(v, ES_EPOCHS, 0, 0.0, ES_EPOCHS, &best)
              == ES_EPOCHS);
        CHECK(best >= 2 && best < ES_EPOCHS - 10);
        CHECK(v[ES_EPOCHS - 1] > 2 * v[best]);
        CHECK(nn_history_series(h, "loss")[ES_EPOCHS - 1]
              < nn_history_series(h, "loss")[0]);
    }
    nn_history_free(h);
    nn_model_free(m);

    for (int restore = 0; restore < 2; restore++) {
        check_early_stop(0, 0.0, restore);
        check_early_stop(1, 0.0, restore);
        check_early_stop(3, 0.0, restore);
        /* Epoch 7 beats epoch 6 by less than 0.015: the best is 6. */
        check_early_stop(2, 0.015, restore);
        /* Nothing counts as better: stops `patience` epochs after the
         * first, and the best is epoch 0. */
        check_early_stop(4, 1e9, restore);
    }
}

/* restore_best without early stopping runs every epoch, then goes back
 * to the best one's weights. */
static void test_restore_without_stopping(void)
{
    nn_model *m = line_model(), *copy = NULL;
    nn_fit_opts o = line_opts(20);
    nn_history *h = NULL;
    int64_t best;

    if (m == NULL) {
        return;
    }
    o.restore_best = 1;
    CHECK_STATUS(nn_model_fit(m, ES_N, 1, 1, es_x, es_y, &o, &h), NN_OK);
    if (CHECK(h != NULL) && CHECK(nn_history_epochs(h) == 20)) {
        CHECK(reference_run(nn_history_series(h, "val_loss"), 20, 0, 0.0,
                            20, &best) == 20);
        CHECK(best < 19 && nn_history_best_epoch(h) == best);
        copy = retrained(best + 1);
        CHECK(same_params(m, copy));
    }
    nn_history_free(h);
    nn_model_free(copy);
    nn_model_free(m);
}

/*
 * A monitored accuracy should grow: on a separable problem the training
 * accuracy reaches its top and stays, so fit stops `patience` epochs
 * after it first got there.
 */
static void test_monitor_accuracy(void)
{
    nn_model *m = classifier(8), *ref = classifier(8);
    nn_fit_opts o = quiet(60, 16);
    nn_history *h = NULL, *full = NULL;
    int64_t best, stop_after;

    if (m == NULL || ref == NULL) {
        goto done;
    }
    CHECK_STATUS(nn_model_fit(ref, N, IN, 1, xc, yc, &o, &full), NN_OK);
    o.early_stopping = 1;
    o.patience = 5;
    o.monitor = "binary_accuracy";
    CHECK_STATUS(nn_model_fit(m, N, IN, 1, xc, yc, &o, &h), NN_OK);
    if (CHECK(h != NULL && full != NULL)) {
        const double *acc = nn_history_series(full, "binary_accuracy");
        stop_after = reference_run(acc, 60, 1, 0.0, 5, &best);
        CHECK(acc[best] > acc[0]);
        CHECK(stop_after < 60);
        CHECK(nn_history_epochs(h) == stop_after);
    }

done:
    nn_history_free(h);
    nn_history_free(full);
    nn_model_free(m);
    nn_model_free(ref);
}

int main(void)
{
    nn_status s = nn_blas_threads_set(1);
    uint64_t state = 77;

    /* Bitwise reproducibility is promised for a one-thread BLAS. */
    CHECK(s == NN_OK || s == NN_ENOTSUP);
    make_data();
    for (int i = 0; i < ES_N; i++) {
        es_x[i] = nn_test_rand(&state);
        es_y[i] = 2.0 * es_x[i];
        es_yval[i] = es_x[i];
    }

    test_lowers_loss();
    test_reproducible();
    test_unshuffled_is_train_batch();
    test_shuffle_keeps_pairs();
    test_progress();
    test_callback();
    test_huge_epochs();
    test_validation();
    test_explicit_validation();
    test_early_stopping();
    test_restore_without_stopping();
    test_monitor_accuracy();
    return nn_test_done();
}
