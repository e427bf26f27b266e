/*
 * Training and inference of the sequential model: the workspace, one
 * training step, fit with its epochs, validation, early stopping and
 * history, and predict and evaluate.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model_internal.h"

/* ----------------------------------------------------------------------
 * Workspace
 */

/*
 * Makes room for training steps of up to `batch` samples. The block is
 * replaced only when it is too small, so after the first step of the
 * largest batch size nothing is allocated; on failure the old block stays.
 */
static nn_status ensure_workspace(struct nn_model *m, int64_t batch,
                                  const char *fn)
{
    int64_t outputs = nn__model_outputs(m), total, at;
    double widths = (double)(m->inputs + outputs + 2 * m->max_width);
    double *ws;

    if (m->ws != NULL && m->ws_batch >= batch) {
        return NN_OK;
    }

    /* The size in doubles, first estimated in floating point so that the
     * exact integer sum below cannot overflow. */
    for (int64_t i = 0; i < m->n_layers; i++) {
        widths += (double)m->layers[i].units
                  * (m->layers[i].kind == NN_LAYER_DROPOUT ? 2.0 : 1.0);
    }
    if ((double)batch * (widths + 8.0 * (double)(m->n_layers + 4))
        > (double)(SIZE_MAX / sizeof(double))) {
        return nn__fail(NN_ERANGE, "%s: the workspace for batches of %lld "
                        "samples does not fit in memory", fn, (long long)batch);
    }
    total = nn__round8(batch * m->inputs) + nn__round8(batch * outputs)
            + 2 * nn__round8(batch * m->max_width);
    for (int64_t i = 0; i < m->n_layers; i++) {
        int64_t size = nn__round8(batch * m->layers[i].units);
        total += m->layers[i].kind == NN_LAYER_DROPOUT ? 2 * size : size;
    }
    ws = nn__alloc((size_t)total * sizeof(double));
    if (ws == NULL) {
        return nn__fail(NN_ENOMEM, "%s: cannot allocate the workspace for "
                        "batches of %lld samples (%lld doubles)", fn,
                        (long long)batch, (long long)total);
    }

    nn__free(m->ws);
    m->ws = ws;
    m->ws_batch = batch;
    m->x_batch = ws;
    at = nn__round8(batch * m->inputs);
    m->y_batch = ws + at;
    at += nn__round8(batch * outputs);
    for (int k = 0; k < 2; k++) {
        m->delta[k] = ws + at;
        at += nn__round8(batch * m->max_width);
    }
    for (int64_t i = 0; i < m->n_layers; i++) {
        struct layer *l = &m->layers[i];
        int64_t size = nn__round8(batch * l->units);
        l->out = ws + at;
        at += size;
        l->mask = NULL;
        if (l->kind == NN_LAYER_DROPOUT) {
            l->mask = ws + at;
            at += size;
        }
    }
    return NN_OK;
}

/* Checks sizes that every entry point shares: BLAS-sized and addressable. */
static nn_status check_rows(const char *fn, const struct nn_model *m,
                            int64_t n)
{
    nn_status s = nn__check_size(fn, "the sample count", n);
    size_t bytes;

    if (s == NN_OK && nn__size_mul(n, m->max_width, 2 * sizeof(double),
                                   &bytes) != 0) {
        s = nn__fail(NN_ERANGE, "%s: %lld samples do not fit in memory", fn,
                     (long long)n);
    }
    return s;
}

/*
 * Checks the widths the caller says its arrays have against the model's;
 * y_name is "y" or "out".
 */
static nn_status check_widths(const char *fn, const struct nn_model *m,
                              int64_t x_cols, int64_t y_cols,
                              const char *y_name)
{
    if (x_cols != m->inputs) {
        return nn__fail(NN_ESHAPE, "%s: x has %lld columns but the model "
                        "takes %lld inputs", fn, (long long)x_cols,
                        (long long)m->inputs);
    }
    if (y_cols != nn__model_outputs(m)) {
        return nn__fail(NN_ESHAPE, "%s: %s has %lld columns but the model's "
                        "last layer has %lld units", fn, y_name,
                        (long long)y_cols, (long long)nn__model_outputs(m));
    }
    return NN_OK;
}

/* ----------------------------------------------------------------------
 * One training step
 */

static void forward_train(struct nn_model *m, int64_t batch, const double *x)
{
    const double *in = x;

    for (int64_t i = 0; i < m->n_layers; i++) {
        struct layer *l = &m->layers[i];
        int64_t count = batch * l->units;

        if (l->kind == NN_LAYER_DENSE) {
            nn__dense_forward(&l->dense, batch, in, l->out);
        } else {
            /* Inverted dropout: survivors are scaled so that the expected
             * value is unchanged and inference needs no correction. */
            double keep = 1.0 / (1.0 - l->rate);
            for (int64_t j = 0; j < count; j++) {
                l->mask[j] = nn__rng_unit(&m->rng) >= l->rate ? keep : 0.0;
                l->out[j] = in[j] * l->mask[j];
            }
        }
        in = l->out;
    }
}

/* The loss gradient of a fused output pair, with respect to the output
 * layer's pre-activation (see enum fused_output). */
static void fused_gradient(int fused, int64_t batch, int64_t cols,
                           const double *y, const double *t, double *dz)
{
    if (fused == FUSED_SIGMOID_BCE) {
        double scale = 1.0 / (double)(batch * cols);
        for (int64_t i = 0; i < batch * cols; i++) {
            dz[i] = scale * (y[i] - t[i]);
        }
        return;
    }
    for (int64_t r = 0; r < batch; r++) {
        const double *yr = y + r * cols, *tr = t + r * cols;
        double *dr = dz + r * cols, total = 0.0;
        for (int64_t j = 0; j < cols; j++) {
            total += tr[j];
        }
        for (int64_t j = 0; j < cols; j++) {
            dr[j] = (yr[j] * total - tr[j]) / (double)batch;
        }
    }
}

static void backward(struct nn_model *m, int64_t batch, const double *x)
{
    double *cur = m->delta[0], *next = m->delta[1];
    int64_t first = 0;

    /* Below the first dense layer no gradient is needed. */
    while (m->layers[first].kind != NN_LAYER_DENSE) {
        first++;
    }
    for (int64_t i = m->n_layers - 1; i >= first; i--) {
        struct layer *l = &m->layers[i];
        const double *in = i > 0 ? m->layers[i - 1].out : x;
        double *dx = i > first ? next : NULL, *swap;

        if (l->kind == NN_LAYER_DROPOUT) {
            for (int64_t j = 0; j < batch * l->units; j++) {
                cur[j] *= l->mask[j];
            }
            continue;
        }
        if (i == m->n_layers - 1 && m->fused != FUSED_NONE) {
            nn__dense_backward_preact(&l->dense, batch, in, cur, dx);
        } else {
            nn__dense_backward(&l->dense, batch, in, l->out, cur, dx);
        }
        swap = cur;
        cur = next;
        next = swap;
    }
}

/* Adds each sample's value of a metric to *sum. */
static void metric_sum(int metric, int64_t rows, int64_t cols, const double *y,
                       const double *t, double *sum)
{
    for (int64_t r = 0; r < rows; r++) {
        const double *yr = y + r * cols, *tr = t + r * cols;
        double acc = 0.0;
        int64_t best_y = 0, best_t = 0;

        for (int64_t j = 0; j < cols; j++) {
            double d = yr[j] - tr[j];
            switch (metric) {
            case NN_METRIC_BINARY_ACCURACY:
                acc += (yr[j] > 0.5) == (tr[j] > 0.5);
                break;
            case NN_METRIC_CATEGORICAL_ACCURACY:
                best_y = yr[j] > yr[best_y] ? j : best_y;
                best_t = tr[j] > tr[best_t] ? j : best_t;
                break;
            case NN_METRIC_MSE:
                acc += d * d;
                break;
            default:
                acc += fabs(d);
                break;
            }
        }
        *sum += metric == NN_METRIC_CATEGORICAL_ACCURACY
                    ? (double)(best_y == best_t) : acc / (double)cols;
    }
}

/*
 * Forward, loss, backward and update on one batch. *loss gets the batch
 * loss; metric sums are added to sums when it is not NULL. Returns
 * NN_EDIVERGED, without updating, if the loss is not finite; the caller
 * writes the message.
 */
static nn_status train_step(struct nn_model *m, int64_t batch, const double *x,
                            const double *y, double *loss, double *sums)
{
    int64_t cols = nn__model_outputs(m);
    const double *out;

    forward_train(m, batch, x);
    out = m->layers[m->n_layers - 1].out;
    if (m->fused != FUSED_NONE) {
        nn__loss(m->loss, batch, cols, out, y, loss, NULL);
        fused_gradient(m->fused, batch, cols, out, y, m->delta[0]);
    } else {
        nn__loss(m->loss, batch, cols, out, y, loss, m->delta[0]);
    }
    if (!isfinite(*loss)) {
        return NN_EDIVERGED;
    }
    for (int64_t k = 0; sums != NULL && k < m->n_metrics; k++) {
        metric_sum(m->metrics[k], batch, cols, out, y, &sums[k]);
    }
    backward(m, batch, x);
    nn__optim_step(m->optim, m->params, m->grads);
    return NN_OK;
}

static nn_status check_compiled(const char *fn, const struct nn_model *m)
{
    if (m == NULL) {
        return nn__fail(NN_EINVAL, "%s: model is NULL", fn);
    }
    if (!m->compiled) {
        return nn__fail(NN_ESTATE, "%s: the model is not compiled; call "
                        "nn_model_compile first", fn);
    }
    return NN_OK;
}

nn_status nn_model_train_batch(nn_model *m, int64_t batch, int64_t x_cols,
                               int64_t y_cols, const double *x, const double *y,
                               double *loss)
{
    const char *fn = "nn_model_train_batch";
    double value;
    nn_status s;

    if ((s = check_compiled(fn, m)) != NN_OK
        || (s = check_rows(fn, m, batch)) != NN_OK
        || (s = check_widths(fn, m, x_cols, y_cols, "y")) != NN_OK) {
        return s;
    }
    if (x == NULL || y == NULL) {
        return nn__fail(NN_EINVAL, "%s: %s is NULL", fn, x == NULL ? "x" : "y");
    }
    if ((s = ensure_workspace(m, batch, fn)) != NN_OK) {
        return s;
    }
    s = train_step(m, batch, x, y, &value, NULL);
    if (loss != NULL) {
        *loss = value;
    }
    if (s == NN_EDIVERGED) {
        return nn__fail(s, "%s: the loss is %g; no update was made (lower the "
                        "learning rate, or look for extreme values in the "
                        "data)", fn, value);
    }
    return NN_OK;
}

/* ----------------------------------------------------------------------
 * Inference
 */

/*
 * Runs rows samples through the model without dropout, alternating
 * between two scratch arrays of rows x max_width; the last dense layer
 * writes to `final` (rows x outputs), which is returned.
 */
static const double *forward_infer(const struct nn_model *m, int64_t rows,
                                   const double *x, double *scratch[2],
                                   double *final)
{
    int64_t last = m->n_layers - 1;
    const double *in = x;
    int which = 0;

    while (m->layers[last].kind != NN_LAYER_DENSE) {
        last--;
    }
    for (int64_t i = 0; i <= last; i++) {
        const struct layer *l = &m->layers[i];
        double *out = i == last ? final : scratch[which];
        if (l->kind != NN_LAYER_DENSE) {
            continue;
        }
        nn__dense_forward(&l->dense, rows, in, out);
        in = out;
        which ^= 1;
    }
    return final;
}

/*
 * Loss and metric sums of n samples in chunks of `chunk` rows, through
 * scratch arrays of chunk x max_width (three of them: two to alternate,
 * one for the output).
 */
static void evaluate_chunks(const struct nn_model *m, int64_t n,
                            const double *x, const double *y, int64_t chunk,
                            double *scratch[3], double *loss, double *sums)
{
    int64_t cols = nn__model_outputs(m);
    double total = 0.0;

    for (int64_t k = 0; k < m->n_metrics; k++) {
        sums[k] = 0.0;
    }
    for (int64_t start = 0; start < n; start += chunk) {
        int64_t rows = n - start < chunk ? n - start : chunk;
        const double *yc = y + start * cols;
        const double *out = forward_infer(m, rows, x + start * m->inputs,
                                          scratch, scratch[2]);
        double value;
        nn__loss(m->loss, rows, cols, out, yc, &value, NULL);
        total += value * (double)rows;
        for (int64_t k = 0; k < m->n_metrics; k++) {
            metric_sum(m->metrics[k], rows, cols, out, yc, &sums[k]);
        }
    }
    *loss = total / (double)n;
    for (int64_t k = 0; k < m->n_metrics; k++) {
        sums[k] /= (double)n;
    }
}

/* Fails with NN_ENONFINITE naming the first NaN or Inf in a. */
static nn_status check_finite(const char *fn, const char *name, int64_t rows,
                              int64_t cols, const double *a)
{
    int64_t r, c;

    if (nn__find_nonfinite(rows, cols, a, &r, &c)) {
        return nn__fail(NN_ENONFINITE, "%s: %s holds %g at row %lld, column "
                        "%lld; remove or impute non-finite values first", fn,
                        name, a[r * cols + c], (long long)r, (long long)c);
    }
    return NN_OK;
}

/* Per-call scratch for predict and evaluate: chunks of at most 256 rows
 * keep the arrays in cache and the memory small whatever n is. */
#define INFER_CHUNK 256

static nn_status alloc_scratch(const char *fn, const struct nn_model *m,
                               int64_t n, double *scratch[3], int64_t *chunk)
{
    int64_t rows = n < INFER_CHUNK ? n : INFER_CHUNK;
    int64_t size = nn__round8(rows * m->max_width);

    scratch[0] = nn__alloc(3 * (size_t)size * sizeof(double));
    if (scratch[0] == NULL) {
        return nn__fail(NN_ENOMEM, "%s: cannot allocate scratch space", fn);
    }
    scratch[1] = scratch[0] + size;
    scratch[2] = scratch[1] + size;
    *chunk = rows;
    return NN_OK;
}

nn_status nn_model_predict(const nn_model *m, int64_t n, int64_t x_cols,
                           int64_t out_cols, const double *x, double *out)
{
    const char *fn = "nn_model_predict";
    int64_t cols, chunk = 0;
    double *scratch[3];
    nn_status s;

    if ((s = check_compiled(fn, m)) != NN_OK || (s = check_rows(fn, m, n)) != NN_OK
        || (s = check_widths(fn, m, x_cols, out_cols, "out")) != NN_OK) {
        return s;
    }
    if (x == NULL || out == NULL) {
        return nn__fail(NN_EINVAL, "%s: %s is NULL", fn, x == NULL ? "x" : "out");
    }
    if ((s = check_finite(fn, "x", n, m->inputs, x)) != NN_OK
        || (s = alloc_scratch(fn, m, n, scratch, &chunk)) != NN_OK) {
        return s;
    }
    cols = nn__model_outputs(m);
    for (int64_t start = 0; start < n; start += chunk) {
        int64_t rows = n - start < chunk ? n - start : chunk;
        forward_infer(m, rows, x + start * m->inputs, scratch, out + start * cols);
    }
    nn__free(scratch[0]);
    return NN_OK;
}

nn_status nn_model_evaluate(const nn_model *m, int64_t n, int64_t x_cols,
                            int64_t y_cols, const double *x, const double *y,
                            double *loss, double *metrics)
{
    const char *fn = "nn_model_evaluate";
    double *scratch[3], sums[NN_MAX_METRICS];
    int64_t chunk = 0;
    nn_status s;

    if ((s = check_compiled(fn, m)) != NN_OK || (s = check_rows(fn, m, n)) != NN_OK
        || (s = check_widths(fn, m, x_cols, y_cols, "y")) != NN_OK) {
        return s;
    }
    if (x == NULL || y == NULL || loss == NULL) {
        return nn__fail(NN_EINVAL, "%s: %s is NULL", fn,
                        x == NULL ? "x" : y == NULL ? "y" : "loss");
    }
    if ((s = check_finite(fn, "x", n, m->inputs, x)) != NN_OK
        || (s = check_finite(fn, "y", n, nn__model_outputs(m), y)) != NN_OK
        || (s = alloc_scratch(fn, m, n, scratch, &chunk)) != NN_OK) {
        return s;
    }
    evaluate_chunks(m, n, x, y, chunk, scratch, loss, sums);
    for (int64_t k = 0; metrics != NULL && k < m->n_metrics; k++) {
        metrics[k] = sums[k];
    }
    nn__free(scratch[0]);
    return NN_OK;
}

/* ----------------------------------------------------------------------
 * fit
 */

nn_status nn_fit_opts_init(nn_fit_opts *opts)
{
    if (opts == NULL) {
        return nn__fail(NN_EINVAL, "nn_fit_opts_init: opts is NULL");
    }
    memset(opts, 0, sizeof *opts);
    opts->epochs = 1;
    opts->batch_size = 32;
    opts->shuffle = 1;
    opts->verbose = 1;
    return NN_OK;
}

/* What fit works on once the arguments are checked. */
struct plan {
    int64_t n_train;
    const double *x_val;
    const double *y_val;
    int64_t n_val;
    int64_t batch;
    const char *monitor;
};

/* Checks fit's arguments and opts and splits off validation data. */
static nn_status plan_fit(const struct nn_model *m, int64_t n, int64_t x_cols,
                          int64_t y_cols, const double *x, const double *y,
                          const nn_fit_opts *o, struct plan *p)
{
    const char *fn = "nn_model_fit";
    int64_t outputs = nn__model_outputs(m);
    nn_status s;

    if ((s = check_rows(fn, m, n)) != NN_OK
        || (s = check_widths(fn, m, x_cols, y_cols, "y")) != NN_OK) {
        return s;
    }
    if (x == NULL || y == NULL) {
        return nn__fail(NN_EINVAL, "%s: %s is NULL", fn, x == NULL ? "x" : "y");
    }
    if (o->epochs < 1 || o->batch_size < 1) {
        return nn__fail(NN_EINVAL, "%s: epochs and batch_size must be at "
                        "least 1, got %lld and %lld", fn, (long long)o->epochs,
                        (long long)o->batch_size);
    }
    if ((o->shuffle | o->verbose | o->early_stopping | o->restore_best) & ~(int64_t)1) {
        return nn__fail(NN_EINVAL, "%s: shuffle, verbose, early_stopping and "
                        "restore_best must each be 0 or 1", fn);
    }
    if (!(o->validation_split >= 0.0 && o->validation_split < 1.0)) {
        return nn__fail(NN_EINVAL, "%s: validation_split must be in [0, 1), "
                        "got %g", fn, o->validation_split);
    }
    if (o->patience < 0 || !(o->min_delta >= 0.0 && isfinite(o->min_delta))) {
        return nn__fail(NN_EINVAL, "%s: patience and min_delta must not be "
                        "negative, got %lld and %g", fn, (long long)o->patience,
                        o->min_delta);
    }

    /* Validation data: explicit, or the last part of x and y (Keras's
     * split, taken before any shuffling). */
    p->n_train = n;
    p->x_val = o->x_val;
    p->y_val = o->y_val;
    p->n_val = o->n_val;
    if ((o->x_val == NULL) != (o->y_val == NULL)
        || (o->x_val != NULL && o->n_val < 1)
        || (o->x_val == NULL && o->n_val != 0)
        || (o->x_val != NULL && o->validation_split > 0.0)) {
        return nn__fail(NN_EINVAL, "%s: give validation data as x_val, y_val "
                        "and n_val >= 1 together, or as validation_split, not "
                        "both", fn);
    }
    if (o->validation_split > 0.0) {
        p->n_train = (int64_t)((double)n * (1.0 - o->validation_split));
        p->n_val = n - p->n_train;
        if (p->n_train < 1 || p->n_val < 1) {
            return nn__fail(NN_EINVAL, "%s: a validation_split of %g of %lld "
                            "samples leaves %lld for training and %lld for "
                            "validation; both need at least 1", fn,
                            o->validation_split, (long long)n,
                            (long long)p->n_train, (long long)p->n_val);
        }
        p->x_val = x + p->n_train * m->inputs;
        p->y_val = y + p->n_train * outputs;
    }
    if (p->x_val != NULL && (s = check_rows(fn, m, p->n_val)) != NN_OK) {
        return s;
    }
    p->batch = o->batch_size < p->n_train ? o->batch_size : p->n_train;

    /* The data itself: every value finite. */
    if ((s = check_finite(fn, "x", n, m->inputs, x)) != NN_OK
        || (s = check_finite(fn, "y", n, outputs, y)) != NN_OK) {
        return s;
    }
    if (o->x_val != NULL
        && ((s = check_finite(fn, "x_val", p->n_val, m->inputs, p->x_val)) != NN_OK
            || (s = check_finite(fn, "y_val", p->n_val, outputs, p->y_val)) != NN_OK)) {
        return s;
    }
    p->monitor = o->monitor != NULL ? o->monitor
                 : p->x_val != NULL ? "val_loss" : "loss";
    return NN_OK;
}

/* Keras's rule: a monitored accuracy should grow, anything else shrink. */
static int monitor_grows(const char *name)
{
    return strstr(name, "acc") != NULL;
}

static void print_epoch(FILE *f, const nn_history *h, int64_t epoch,
                        int64_t epochs, double seconds)
{
    fprintf(f, "Epoch %lld/%lld", (long long)epoch + 1, (long long)epochs);
    for (int64_t s = 0; s < h->n_series; s++) {
        fprintf(f, " - %s: %.4f", h->names[s], h->values[s * h->capacity + epoch]);
    }
    fprintf(f, " - %.0f ms\n", 1e3 * seconds);
    fflush(f);
}

static double now_seconds(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The state of one fit call, so that the epoch loop reads in steps. */
struct run {
    struct nn_model *m;
    const nn_fit_opts *o;
    struct plan p;
    const double *x;
    const double *y;
    nn_history *h;
    int64_t *order;             /* sample order of this epoch */
    double *best_params;        /* restore_best: the best epoch's weights */
    int64_t monitor;            /* series index */
    double best;
    int64_t wait;
};

/* One pass over the training data. Returns NN_EDIVERGED with a message
 * naming epoch and batch. */
static nn_status run_epoch(struct run *r, int64_t epoch, double *loss,
                           double *sums)
{
    struct nn_model *m = r->m;
    int64_t n = r->p.n_train, batch = r->p.batch, outputs = nn__model_outputs(m);
    double total = 0.0;

    if (r->o->shuffle) {
        for (int64_t i = n - 1; i > 0; i--) {
            int64_t j = nn__rng_below(&m->rng, i + 1), t = r->order[i];
            r->order[i] = r->order[j];
            r->order[j] = t;
        }
    }
    for (int64_t start = 0; start < n; start += batch) {
        int64_t rows = n - start < batch ? n - start : batch;
        const double *xb = r->x + start * m->inputs, *yb = r->y + start * outputs;
        double value;

        /* A shuffled batch is gathered row by row into the workspace. */
        if (r->o->shuffle) {
            for (int64_t i = 0; i < rows; i++) {
                int64_t k = r->order[start + i];
                memcpy(m->x_batch + i * m->inputs, r->x + k * m->inputs,
                       (size_t)m->inputs * sizeof(double));
                memcpy(m->y_batch + i * outputs, r->y + k * outputs,
                       (size_t)outputs * sizeof(double));
            }
            xb = m->x_batch;
            yb = m->y_batch;
        }
        if (train_step(m, rows, xb, yb, &value, sums) != NN_OK) {
            return nn__fail(NN_EDIVERGED, "nn_model_fit: the loss became %g "
                            "at epoch %lld, batch %lld (of %lld samples); the "
                            "weights are those that produced it. Lower the "
                            "learning rate, clip gradients, or scale the data",
                            value, (long long)epoch + 1,
                            (long long)(start / batch) + 1, (long long)rows);
        }
        total += value * (double)rows;
    }
    *loss = total / (double)n;
    for (int64_t k = 0; k < m->n_metrics; k++) {
        sums[k] /= (double)n;
    }
    return NN_OK;
}

/* Records an epoch's numbers in the history. */
static void record_epoch(struct run *r, int64_t epoch, double loss,
                         const double *sums)
{
    struct nn_model *m = r->m;
    nn_history *h = r->h;
    double *col = h->values + epoch;
    int64_t stride = h->capacity;

    col[0] = loss;
    for (int64_t k = 0; k < m->n_metrics; k++) {
        col[(k + 1) * stride] = sums[k];
    }
    if (r->p.x_val != NULL) {
        double vloss, vsums[NN_MAX_METRICS];
        double *scratch[3] = {m->delta[0], m->delta[1], m->y_batch};
        evaluate_chunks(m, r->p.n_val, r->p.x_val, r->p.y_val, m->ws_batch,
                        scratch, &vloss, vsums);
        col[(1 + m->n_metrics) * stride] = vloss;
        for (int64_t k = 0; k < m->n_metrics; k++) {
            col[(2 + m->n_metrics + k) * stride] = vsums[k];
        }
    }
    h->epochs = epoch + 1;
}

/* Early stopping: returns 1 when training should stop after this epoch. */
static int should_stop(struct run *r, int64_t epoch)
{
    double value = r->h->values[r->monitor * r->h->capacity + epoch];
    int grows = monitor_grows(r->p.monitor);
    int better = grows ? value > r->best + r->o->min_delta
                       : value < r->best - r->o->min_delta;

    if (epoch == 0 || better) {
        r->best = value;
        r->wait = 0;
        r->h->best_epoch = epoch;
        if (r->best_params != NULL) {
            memcpy(r->best_params, r->m->params,
                   (size_t)r->m->n_params * sizeof(double));
        }
        return 0;
    }
    /* Keras's rule: stop after `patience` epochs without improvement in a
     * row (patience 0 stops at the first one). */
    r->wait++;
    return r->o->early_stopping && r->wait >= r->o->patience;
}

/* Allocates what a fit call needs besides the workspace: the history,
 * the sample order and, with restore_best, a copy of the parameters. */
static nn_status start_run(struct run *r)
{
    struct nn_model *m = r->m;
    size_t order = (size_t)nn__round8(r->p.n_train) * sizeof(int64_t);
    size_t best = r->o->restore_best ? (size_t)m->n_params * sizeof(double) : 0;

    r->h = nn__history_new(m, r->p.x_val != NULL, r->o->epochs);
    r->order = r->h != NULL ? nn__alloc(order + best) : NULL;
    if (r->order == NULL) {
        nn_history_free(r->h);
        return nn__fail(NN_ENOMEM, "nn_model_fit: cannot allocate the "
                        "history and the sample order for %lld epochs of %lld "
                        "samples", (long long)r->o->epochs,
                        (long long)r->p.n_train);
    }
    r->best_params = best > 0 ? (double *)((char *)r->order + order) : NULL;
    for (int64_t i = 0; i < r->p.n_train; i++) {
        r->order[i] = i;
    }
    r->monitor = nn__history_series_index(r->h, r->p.monitor);
    return NN_OK;
}

nn_status nn_model_fit(nn_model *m, int64_t n, int64_t x_cols, int64_t y_cols,
                       const double *x, const double *y, const nn_fit_opts *opts,
                       nn_history **history)
{
    const char *fn = "nn_model_fit";
    struct run r = {0};
    nn_fit_opts defaults;
    nn_status s;

    if (history != NULL) {
        *history = NULL;
    }
    if ((s = check_compiled(fn, m)) != NN_OK) {
        return s;
    }
    if (opts == NULL) {
        if ((s = nn_fit_opts_init(&defaults)) != NN_OK) {
            return s;
        }
        opts = &defaults;
    }
    r.m = m;
    r.o = opts;
    r.x = x;
    r.y = y;
    if ((s = plan_fit(m, n, x_cols, y_cols, x, y, opts, &r.p)) != NN_OK
        || (s = ensure_workspace(m, r.p.batch, fn)) != NN_OK
        || (s = start_run(&r)) != NN_OK) {
        return s;
    }
    if (r.monitor < 0 && (opts->early_stopping || opts->restore_best)) {
        s = nn__fail(NN_EINVAL, "%s: cannot monitor \"%s\": the history of "
                     "this fit has loss, the compiled metrics and, with "
                     "validation data, their val_ twins", fn, r.p.monitor);
        nn_history_free(r.h);
        nn__free(r.order);
        return s;
    }

    for (int64_t epoch = 0; epoch < opts->epochs; epoch++) {
        double start = now_seconds(), loss = 0.0, sums[NN_MAX_METRICS] = {0};
        int stop;

        if ((s = run_epoch(&r, epoch, &loss, sums)) != NN_OK) {
            break;
        }
        record_epoch(&r, epoch, loss, sums);
        stop = r.monitor >= 0 && should_stop(&r, epoch);
        if (opts->verbose) {
            print_epoch(opts->progress != NULL ? opts->progress : stderr, r.h,
                        epoch, opts->epochs, now_seconds() - start);
        }
        if (opts->on_epoch != NULL && opts->on_epoch(opts->user, epoch, r.h) != 0) {
            s = nn__fail(NN_ESTOPPED, "%s: the epoch callback stopped "
                         "training after epoch %lld", fn, (long long)epoch + 1);
            break;
        }
        if (stop) {
            break;
        }
    }

    if (r.best_params != NULL && r.h->best_epoch >= 0) {
        memcpy(m->params, r.best_params, (size_t)m->n_params * sizeof(double));
    } else {
        r.h->best_epoch = -1;
    }
    nn__free(r.order);
    if (history != NULL) {
        *history = r.h;
    } else {
        nn_history_free(r.h);
    }
    return s;
}
