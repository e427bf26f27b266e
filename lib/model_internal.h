/*
 * The sequential model's internals, shared by model.c (building and
 * inspection), fit.c (training and inference) and model_io.c (files).
 */
#ifndef NNBLAS_MODEL_INTERNAL_H
#define NNBLAS_MODEL_INTERNAL_H

#include "internal.h"

/* How the output layer and the loss are fused in the backward pass. */
enum fused_output {
    FUSED_NONE = 0,
    FUSED_SIGMOID_BCE = 1,  /* dz = (y - t) / (batch * outputs) */
    FUSED_SOFTMAX_CCE = 2,  /* dz = (y sum(t) - t) / batch */
};

struct layer {
    int kind;                   /* nn_layer_kind */
    int64_t inputs;
    int64_t units;
    nn_dense_opts opts;         /* dense: the settings it was added with */
    struct nn_dense dense;      /* dense: arrays point into the model's */
    double rate;                /* dropout */
    int64_t param_offset;
    int64_t param_count;

    /* Training workspace, inside the model's workspace block. */
    double *out;                /* batch x units */
    double *mask;               /* dropout: 0 or 1 / (1 - rate) */
};

struct nn_model {
    int64_t inputs;
    int64_t n_layers;
    int64_t cap_layers;
    struct layer *layers;
    int64_t n_params;
    int64_t max_width;          /* widest input or output of any layer */

    uint64_t seed;
    nn_rng rng;

    int compiled;
    int loss;
    int fused;
    int64_t n_metrics;
    int metrics[NN_MAX_METRICS];
    struct nn_optim *optim;
    double *params;             /* n_params, then grads after it */
    double *grads;

    /* Training workspace for up to ws_batch samples per step. */
    double *ws;
    int64_t ws_batch;
    double *x_batch;            /* batch x inputs, gathered when shuffling */
    double *y_batch;            /* batch x outputs */
    double *delta[2];           /* batch x max_width each */
};

/* Longest series name: "val_" + the longest metric name + NUL. */
#define NN__SERIES_NAME_MAX 32
#define NN__MAX_SERIES (2 * (1 + NN_MAX_METRICS))

struct nn_history {
    int64_t epochs;
    int64_t capacity;
    int64_t n_series;
    int64_t best_epoch;
    char names[NN__MAX_SERIES][NN__SERIES_NAME_MAX];
    double *values;             /* series s at epoch e: values[s * capacity + e] */
};

/* A history with room for `epochs` epochs of the model's series, or NULL
 * when it cannot be allocated. */
nn_history *nn__history_new(const struct nn_model *m, int has_val,
                            int64_t epochs);

/* The index of a series by name, or -1. */
int64_t nn__history_series_index(const nn_history *h, const char *name);

/* The width of the model's output. */
static inline int64_t nn__model_outputs(const struct nn_model *m)
{
    return m->n_layers > 0 ? m->layers[m->n_layers - 1].units : 0;
}

/* Recomputes offsets, widths and the parameter count from the layers. */
void nn__model_layout(struct nn_model *m);

/* Creates the parameter arrays and points the dense layers into them.
 * Draws initial weights when draw is 1. */
nn_status nn__model_alloc_params(struct nn_model *m, int draw);

/* Decides how the output layer is fused with loss. */
int nn__model_fused(const struct nn_model *m, int loss);

#endif
