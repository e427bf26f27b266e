/*
 * The sequential model: building, compiling and inspecting it.
 * Training and inference are in fit.c, files in model_io.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

/* The seed a new model starts with, so that runs repeat by default. */
#define DEFAULT_SEED 0

nn_status nn_model_new(nn_model **out, int64_t inputs)
{
    struct nn_model *m;
    nn_status s;

    if (out == NULL) {
        return nn__fail(NN_EINVAL, "nn_model_new: out is NULL");
    }
    *out = NULL;
    if ((s = nn__check_size("nn_model_new", "inputs", inputs)) != NN_OK) {
        return s;
    }
    m = nn__alloc_zero(sizeof *m);
    if (m == NULL) {
        return nn__fail(NN_ENOMEM, "nn_model_new: cannot allocate the model");
    }
    m->inputs = inputs;
    m->max_width = inputs;
    m->loss = -1;
    m->seed = DEFAULT_SEED;
    nn__rng_seed(&m->rng, DEFAULT_SEED);
    *out = m;
    return NN_OK;
}

void nn_model_free(nn_model *m)
{
    if (m == NULL) {
        return;
    }
    nn_optim_free(m->optim);
    nn__free(m->params);
    nn__free(m->ws);
    nn__free(m->layers);
    nn__free(m);
}

nn_status nn_model_set_seed(nn_model *m, uint64_t seed)
{
    if (m == NULL) {
        return nn__fail(NN_EINVAL, "nn_model_set_seed: model is NULL");
    }
    m->seed = seed;
    return nn_rng_seed(&m->rng, seed);
}

void nn__model_layout(struct nn_model *m)
{
    int64_t width = m->inputs, offset = 0;

    m->max_width = m->inputs;
    for (int64_t i = 0; i < m->n_layers; i++) {
        struct layer *l = &m->layers[i];
        l->inputs = width;
        l->param_offset = offset;
        if (l->kind == NN_LAYER_DENSE) {
            l->units = l->opts.units;
            l->param_count = (width + (l->opts.use_bias ? 1 : 0)) * l->units;
        } else {
            l->units = width;
            l->param_count = 0;
        }
        offset += l->param_count;
        width = l->units;
        m->max_width = width > m->max_width ? width : m->max_width;
    }
    m->n_params = offset;
}

/* Checks that a layer may be added, and makes room for it. */
static nn_status make_room(const char *fn, struct nn_model *m)
{
    struct layer *grown;
    int64_t cap;

    if (m == NULL) {
        return nn__fail(NN_EINVAL, "%s: model is NULL", fn);
    }
    if (m->compiled) {
        return nn__fail(NN_ESTATE, "%s: the model is already compiled; add "
                        "every layer before nn_model_compile", fn);
    }
    if (m->n_layers >= NN_MAX_LAYERS) {
        return nn__fail(NN_ESTATE, "%s: the model already has the most "
                        "layers allowed (%d)", fn, NN_MAX_LAYERS);
    }
    if (m->n_layers < m->cap_layers) {
        return NN_OK;
    }
    cap = m->cap_layers > 0 ? 2 * m->cap_layers : 4;
    grown = nn__alloc_zero((size_t)cap * sizeof *grown);
    if (grown == NULL) {
        return nn__fail(NN_ENOMEM, "%s: cannot grow the layer list", fn);
    }
    if (m->n_layers > 0) {
        memcpy(grown, m->layers, (size_t)m->n_layers * sizeof *grown);
    }
    nn__free(m->layers);
    m->layers = grown;
    m->cap_layers = cap;
    return NN_OK;
}

/* The input width the next layer will have. */
static int64_t next_inputs(const struct nn_model *m)
{
    return m->n_layers > 0 ? m->layers[m->n_layers - 1].units : m->inputs;
}

nn_status nn_model_add_dense_opts(nn_model *m, const nn_dense_opts *opts)
{
    const char *fn = "nn_model_add_dense";
    struct layer *l;
    nn_status s;

    if ((s = make_room(fn, m)) != NN_OK) {
        return s;
    }
    if ((s = nn__dense_check_opts(fn, next_inputs(m), opts)) != NN_OK) {
        return s;
    }
    l = &m->layers[m->n_layers++];
    memset(l, 0, sizeof *l);
    l->kind = NN_LAYER_DENSE;
    l->opts = *opts;
    nn__model_layout(m);
    return NN_OK;
}

nn_status nn_model_add_dense(nn_model *m, int64_t units, int activation)
{
    nn_dense_opts opts;
    nn_status s = nn_dense_opts_init(&opts, units, activation);

    return s != NN_OK ? s : nn_model_add_dense_opts(m, &opts);
}

nn_status nn_model_add_dropout(nn_model *m, double rate)
{
    const char *fn = "nn_model_add_dropout";
    struct layer *l;
    nn_status s;

    if ((s = make_room(fn, m)) != NN_OK) {
        return s;
    }
    if (!(rate >= 0.0 && rate < 1.0)) {
        return nn__fail(NN_EINVAL, "%s: the rate must be in [0, 1), got %g", fn,
                        rate);
    }
    l = &m->layers[m->n_layers++];
    memset(l, 0, sizeof *l);
    l->kind = NN_LAYER_DROPOUT;
    l->rate = rate;
    nn__model_layout(m);
    return NN_OK;
}

nn_status nn__model_alloc_params(struct nn_model *m, int draw)
{
    int64_t stride = nn__round8(m->n_params);
    double *block = nn__alloc_zero(2 * (size_t)stride * sizeof(double));
    nn_rng start = m->rng;

    if (block == NULL) {
        return nn__fail(NN_ENOMEM, "nn_model_compile: cannot allocate %lld "
                        "parameters and their gradients",
                        (long long)m->n_params);
    }
    for (int64_t i = 0; i < m->n_layers; i++) {
        struct layer *l = &m->layers[i];
        if (l->kind != NN_LAYER_DENSE) {
            continue;
        }
        nn__dense_setup(&l->dense, l->inputs, &l->opts,
                        block + l->param_offset, block + stride + l->param_offset);
        if (draw) {
            nn_status s = nn_dense_init(&l->dense, &m->rng);
            if (s != NN_OK) {
                /* A later layer's draw failed (orthogonal workspace): the
                 * earlier layers' draws are undone too, so a retry
                 * gives the weights a first success would have. */
                m->rng = start;
                nn__free(block);
                return s;
            }
        }
    }
    m->params = block;
    m->grads = block + stride;
    return NN_OK;
}

int nn__model_fused(const struct nn_model *m, int loss)
{
    const struct layer *last = &m->layers[m->n_layers - 1];

    if (last->kind != NN_LAYER_DENSE) {
        return FUSED_NONE;
    }
    if (loss == NN_LOSS_BCE && last->opts.activation == NN_ACTIVATION_SIGMOID) {
        return FUSED_SIGMOID_BCE;
    }
    if (loss == NN_LOSS_CCE && last->opts.activation == NN_ACTIVATION_SOFTMAX) {
        return FUSED_SOFTMAX_CCE;
    }
    return FUSED_NONE;
}

static nn_status check_compile(const struct nn_model *m, int loss,
                               const int *metrics, int64_t n_metrics)
{
    const char *fn = "nn_model_compile";
    int has_dense = 0;

    if (m == NULL) {
        return nn__fail(NN_EINVAL, "%s: model is NULL", fn);
    }
    for (int64_t i = 0; i < m->n_layers; i++) {
        has_dense |= m->layers[i].kind == NN_LAYER_DENSE;
    }
    if (!has_dense) {
        return nn__fail(NN_ESTATE, "%s: the model has no dense layer; add "
                        "layers with nn_model_add_dense first", fn);
    }
    if (loss < NN_LOSS_MSE || loss > NN_LOSS_CCE_LOGITS) {
        return nn__fail(NN_EINVAL, "%s: unknown loss %d (see nnblas/loss.h)",
                        fn, loss);
    }
    if (n_metrics < 0 || n_metrics > NN_MAX_METRICS
        || (n_metrics > 0 && metrics == NULL)) {
        return nn__fail(NN_EINVAL, "%s: n_metrics must be in [0, %d] with a "
                        "metrics array when positive, got %lld", fn,
                        NN_MAX_METRICS, (long long)n_metrics);
    }
    for (int64_t i = 0; i < n_metrics; i++) {
        if (metrics[i] < NN_METRIC_BINARY_ACCURACY || metrics[i] > NN_METRIC_MAE) {
            return nn__fail(NN_EINVAL, "%s: metrics[%lld] is %d, not a known "
                            "metric (see nnblas/model.h)", fn, (long long)i,
                            metrics[i]);
        }
    }
    return NN_OK;
}

nn_status nn_model_compile(nn_model *m, int loss, const nn_optim_opts *optim,
                           const int *metrics, int64_t n_metrics)
{
    nn_optim_opts defaults;
    nn_optim *opt;
    nn_status s;

    if ((s = check_compile(m, loss, metrics, n_metrics)) != NN_OK) {
        return s;
    }
    if (optim == NULL) {
        if ((s = nn_optim_opts_init(&defaults, NN_OPTIM_RMSPROP)) != NN_OK) {
            return s;
        }
        optim = &defaults;
    }

    /* Everything that can fail happens before the model changes. */
    if ((s = nn_optim_new(&opt, optim, m->n_params)) != NN_OK) {
        return s;
    }
    if (!m->compiled && (s = nn__model_alloc_params(m, 1)) != NN_OK) {
        nn_optim_free(opt);
        return s;
    }
    nn_optim_free(m->optim);
    m->optim = opt;
    m->loss = loss;
    m->fused = nn__model_fused(m, loss);
    m->n_metrics = n_metrics;
    for (int64_t i = 0; i < n_metrics; i++) {
        m->metrics[i] = metrics[i];
    }
    m->compiled = 1;
    return NN_OK;
}

/* ----------------------------------------------------------------------
 * Inspection
 */

int64_t nn_model_layer_count(const nn_model *m)
{
    return m != NULL ? m->n_layers : 0;
}

int64_t nn_model_input_width(const nn_model *m)
{
    return m != NULL ? m->inputs : 0;
}

int64_t nn_model_output_width(const nn_model *m)
{
    return m != NULL ? nn__model_outputs(m) : 0;
}

int64_t nn_model_param_count(const nn_model *m)
{
    return m != NULL ? m->n_params : 0;
}

int64_t nn_model_is_compiled(const nn_model *m)
{
    return m != NULL && m->compiled;
}

double *nn_model_params(const nn_model *m)
{
    return m != NULL ? m->params : NULL;
}

double *nn_model_grads(const nn_model *m)
{
    return m != NULL ? m->grads : NULL;
}

int nn_model_loss(const nn_model *m)
{
    return m != NULL && m->compiled ? m->loss : -1;
}

int64_t nn_model_metric_count(const nn_model *m)
{
    return m != NULL && m->compiled ? m->n_metrics : 0;
}

nn_status nn_model_layer_info(const nn_model *m, int64_t index,
                              nn_layer_info *info)
{
    const struct layer *l;

    if (m == NULL || info == NULL) {
        return nn__fail(NN_EINVAL, "nn_model_layer_info: %s is NULL",
                        m == NULL ? "model" : "info");
    }
    if (index < 0 || index >= m->n_layers) {
        return nn__fail(NN_EINVAL, "nn_model_layer_info: index %lld is not "
                        "in [0, %lld)", (long long)index,
                        (long long)m->n_layers);
    }
    l = &m->layers[index];
    memset(info, 0, sizeof *info);
    info->kind = l->kind;
    info->inputs = l->inputs;
    info->units = l->units;
    info->activation = l->kind == NN_LAYER_DENSE ? l->opts.activation : 0;
    info->use_bias = l->kind == NN_LAYER_DENSE ? l->opts.use_bias : 0;
    info->param_offset = l->param_offset;
    info->param_count = l->param_count;
    info->rate = l->rate;
    return NN_OK;
}

const char *nn_metric_name(int metric)
{
    switch (metric) {
    case NN_METRIC_BINARY_ACCURACY: return "binary_accuracy";
    case NN_METRIC_CATEGORICAL_ACCURACY: return "categorical_accuracy";
    case NN_METRIC_MSE: return "mse";
    case NN_METRIC_MAE: return "mae";
    default: return "unknown";
    }
}

/* ----------------------------------------------------------------------
 * Summary
 */

/* Text goes either to a FILE or into a buffer; `needed` counts it all. */
struct sink {
    FILE *file;
    char *buf;
    size_t cap;
    size_t needed;
    int failed;
};

static void emit(struct sink *out, const char *fmt, ...) NN__PRINTF(2, 3);

static void emit(struct sink *out, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) {
        out->failed = 1;
        return;
    }
    if (out->file != NULL && fputs(line, out->file) == EOF) {
        out->failed = 1;
    }
    if (out->buf != NULL && out->needed + 1 < out->cap) {
        size_t room = out->cap - out->needed - 1;
        size_t len = (size_t)n < room ? (size_t)n : room;
        memcpy(out->buf + out->needed, line, len);
        out->buf[out->needed + len] = '\0';
    }
    out->needed += (size_t)n;
}

#define RULE "-----------------------------------------------------------------------\n"
#define DOUBLE_RULE "=======================================================================\n"

static void write_summary(const struct nn_model *m, struct sink *out)
{
    int64_t dense_seen = 0, dropout_seen = 0;

    emit(out, "Model: sequential, %lld inputs\n", (long long)m->inputs);
    emit(out, RULE);
    emit(out, "%-26s %-16s %-14s %12s\n", "Layer (type)", "Output shape",
         "Activation", "Param #");
    emit(out, DOUBLE_RULE);
    for (int64_t i = 0; i < m->n_layers; i++) {
        const struct layer *l = &m->layers[i];
        int dense = l->kind == NN_LAYER_DENSE;
        int64_t seen = dense ? dense_seen++ : dropout_seen++;
        char name[64], shape[32];

        /* Keras's naming: dense, dense_1, dense_2, ... */
        if (seen > 0) {
            snprintf(name, sizeof name, "%s_%lld (%s)",
                     dense ? "dense" : "dropout", (long long)seen,
                     dense ? "Dense" : "Dropout");
        } else {
            snprintf(name, sizeof name, "%s (%s)", dense ? "dense" : "dropout",
                     dense ? "Dense" : "Dropout");
        }
        snprintf(shape, sizeof shape, "(None, %lld)", (long long)l->units);
        emit(out, "%-26s %-16s %-14s %12lld\n", name, shape,
             dense ? nn_activation_name((int)l->opts.activation) : "-",
             (long long)l->param_count);
    }
    emit(out, DOUBLE_RULE);
    emit(out, "Total params: %lld (%.2f KB)\n", (long long)m->n_params,
         (double)m->n_params * sizeof(double) / 1024.0);
    emit(out, "Trainable params: %lld\n", (long long)m->n_params);
    emit(out, "Non-trainable params: 0\n");
    emit(out, RULE);
}

nn_status nn_model_summary(const nn_model *m, FILE *file)
{
    struct sink out = {file, NULL, 0, 0, 0};

    if (m == NULL || file == NULL) {
        return nn__fail(NN_EINVAL, "nn_model_summary: %s is NULL",
                        m == NULL ? "model" : "out");
    }
    write_summary(m, &out);
    if (out.failed || fflush(file) != 0) {
        return nn__fail(NN_EIO, "nn_model_summary: writing the summary failed");
    }
    return NN_OK;
}

nn_status nn_model_summary_str(const nn_model *m, char *buf, int64_t len,
                               int64_t *needed)
{
    struct sink out = {NULL, buf, len > 0 ? (size_t)len : 0, 0, 0};

    if (m == NULL || (buf == NULL && len > 0) || len < 0) {
        return nn__fail(NN_EINVAL, "nn_model_summary_str: %s",
                        m == NULL ? "model is NULL"
                                  : "buf is NULL or len is negative");
    }
    if (buf != NULL && len > 0) {
        buf[0] = '\0';
    }
    write_summary(m, &out);
    if (needed != NULL) {
        *needed = (int64_t)out.needed;
    }
    /* buf NULL with len 0 is a size query, not a failure. */
    if (buf != NULL && out.needed + 1 > out.cap) {
        return nn__fail(NN_ERANGE, "nn_model_summary_str: the summary needs "
                        "%lld bytes with its NUL, buf has %lld",
                        (long long)out.needed + 1, (long long)len);
    }
    return NN_OK;
}
