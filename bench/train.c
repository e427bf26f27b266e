/*
 * Train mode: whole training steps (nn_model_train_batch: forward, loss,
 * backward, optimizer update) of a few typical models, in each gemm mode,
 * against raw cblas_dgemm on the step's products.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "bench.h"

#define MAX_DENSE 4

/* Targets the data gets, to suit the loss. */
enum targets { TARGETS_XOR, TARGETS_BINARY, TARGETS_ONE_HOT, TARGETS_REAL };

struct model_spec {
    const char *name;
    const char *about;
    int64_t batch;
    int n_dense;
    int64_t widths[MAX_DENSE + 1];   /* inputs, then units of each layer */
    int activations[MAX_DENSE];
    int use_bias;
    int loss;
    int optim;
    double lr;                       /* 0: the optimizer's default */
    int targets;
    int level;                       /* 0 smoke, 1 quick, 2 full only */
};

static const struct model_spec specs[] = {
    {"xor-2-2-1", "sigmoid, no bias, BCE, SGD lr 0.1", 4, 2, {2, 2, 1},
     {NN_ACTIVATION_SIGMOID, NN_ACTIVATION_SIGMOID}, 0, NN_LOSS_BCE,
     NN_OPTIM_SGD, 0.1, TARGETS_XOR, 0},
    {"xor-2-10-10-1", "relu, relu, sigmoid, BCE, Adam", 4, 3, {2, 10, 10, 1},
     {NN_ACTIVATION_RELU, NN_ACTIVATION_RELU, NN_ACTIVATION_SIGMOID}, 1,
     NN_LOSS_BCE, NN_OPTIM_ADAM, 0.0, TARGETS_XOR, 0},
    {"mlp-784-512-512-10", "relu, relu, softmax, CCE, Adam", 256, 3,
     {784, 512, 512, 10},
     {NN_ACTIVATION_RELU, NN_ACTIVATION_RELU, NN_ACTIVATION_SOFTMAX}, 1,
     NN_LOSS_CCE, NN_OPTIM_ADAM, 0.0, TARGETS_ONE_HOT, 1},
    {"mlp-100-1000-1000-1", "sigmoid x3, BCE, Adam", 64, 3,
     {100, 1000, 1000, 1},
     {NN_ACTIVATION_SIGMOID, NN_ACTIVATION_SIGMOID, NN_ACTIVATION_SIGMOID}, 1,
     NN_LOSS_BCE, NN_OPTIM_ADAM, 0.0, TARGETS_BINARY, 1},
    /* The same two models with plain SGD, whose update reads and writes
     * 24 bytes a parameter against Adam's 56: the gap between the pairs
     * is what the optimizer's memory traffic costs. */
    {"mlp-784-512-512-10-sgd", "relu, relu, softmax, CCE, SGD", 256, 3,
     {784, 512, 512, 10},
     {NN_ACTIVATION_RELU, NN_ACTIVATION_RELU, NN_ACTIVATION_SOFTMAX}, 1,
     NN_LOSS_CCE, NN_OPTIM_SGD, 0.0, TARGETS_ONE_HOT, 2},
    {"mlp-100-1000-1000-1-sgd", "sigmoid x3, BCE, SGD", 64, 3,
     {100, 1000, 1000, 1},
     {NN_ACTIVATION_SIGMOID, NN_ACTIVATION_SIGMOID, NN_ACTIVATION_SIGMOID}, 1,
     NN_LOSS_BCE, NN_OPTIM_SGD, 0.0, TARGETS_BINARY, 2},
    {"mlp-1024x4", "relu, relu, linear, MSE, Adam", 1024, 3,
     {1024, 1024, 1024, 1024},
     {NN_ACTIVATION_RELU, NN_ACTIVATION_RELU, NN_ACTIVATION_IDENTITY}, 1,
     NN_LOSS_MSE, NN_OPTIM_ADAM, 0.0, TARGETS_REAL, 2},
};

/* One model with its batch, and the raw-dgemm twin of its products. */
struct train_case {
    const struct model_spec *spec;
    nn_model *model;
    double *x;
    double *y;
    double *act[MAX_DENSE + 1];   /* raw: batch x widths[l] */
    double *delta[MAX_DENSE];     /* raw: batch x widths[l + 1] */
    double *dw[MAX_DENSE];        /* raw: widths[l] x widths[l + 1] */
    const double *w[MAX_DENSE];   /* the model's weights, only read */
};

static int run_step(void *ctx)
{
    struct train_case *c = ctx;

    const struct model_spec *s = c->spec;

    return nn_model_train_batch(c->model, s->batch, s->widths[0],
                                s->widths[s->n_dense], c->x, c->y, NULL);
}

/* The gemms of one step: every forward product, every dW, and dx of
 * every layer but the first. */
static int run_raw(void *ctx)
{
    struct train_case *c = ctx;
    const struct model_spec *s = c->spec;
    int b = (int)s->batch;

    for (int l = 0; l < s->n_dense; l++) {
        int in = (int)s->widths[l], out = (int)s->widths[l + 1];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, out, in,
                    1.0, c->act[l], in, c->w[l], out, 0.0, c->act[l + 1], out);
    }
    for (int l = s->n_dense - 1; l >= 0; l--) {
        int in = (int)s->widths[l], out = (int)s->widths[l + 1];
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, b, 1.0,
                    c->act[l], in, c->delta[l], out, 0.0, c->dw[l], out);
        if (l > 0) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, in, out,
                        1.0, c->delta[l], out, c->w[l], out, 0.0,
                        c->delta[l - 1], in);
        }
    }
    return NN_OK;
}

/* Flops of the step's products (as run_raw counts them). */
static double step_flops(const struct model_spec *s)
{
    double total = 0.0;

    for (int l = 0; l < s->n_dense; l++) {
        double prod = 2.0 * (double)s->batch * (double)s->widths[l]
                      * (double)s->widths[l + 1];
        total += l > 0 ? 3.0 * prod : 2.0 * prod;
    }
    return total;
}

static void fill_targets(const struct model_spec *s, uint64_t *seed, double *x,
                         double *y)
{
    int64_t b = s->batch, in = s->widths[0], out = s->widths[s->n_dense];

    bench_fill(seed, b * in, 0.0, 1.0, x);
    bench_fill(seed, b * out, 0.0, 1.0, y);
    for (int64_t r = 0; r < b; r++) {
        double *yr = y + r * out;
        if (s->targets == TARGETS_XOR) {
            x[r * in] = (double)(r & 1);
            x[r * in + 1] = (double)((r >> 1) & 1);
            yr[0] = (double)((r & 1) ^ ((r >> 1) & 1));
        } else if (s->targets == TARGETS_BINARY) {
            for (int64_t j = 0; j < out; j++) {
                yr[j] = yr[j] < 0.5 ? 0.0 : 1.0;
            }
        } else if (s->targets == TARGETS_ONE_HOT) {
            int64_t hot = (int64_t)(yr[0] * (double)out);
            for (int64_t j = 0; j < out; j++) {
                yr[j] = j == hot ? 1.0 : 0.0;
            }
        }
    }
}

static void case_new(struct train_case *c, const struct model_spec *s,
                     uint64_t *seed)
{
    nn_optim_opts optim;
    int64_t b = s->batch;

    memset(c, 0, sizeof *c);
    c->spec = s;
    bench_check(nn_model_new(&c->model, s->widths[0]), "nn_model_new");
    for (int l = 0; l < s->n_dense; l++) {
        nn_dense_opts opts;
        bench_check(nn_dense_opts_init(&opts, s->widths[l + 1],
                                       s->activations[l]), "options");
        opts.use_bias = s->use_bias;
        bench_check(nn_model_add_dense_opts(c->model, &opts), "add dense");
    }
    bench_check(nn_optim_opts_init(&optim, s->optim), "optimizer options");
    optim.lr = s->lr > 0.0 ? s->lr : optim.lr;
    bench_check(nn_model_compile(c->model, s->loss, &optim, NULL, 0),
                "nn_model_compile");

    c->x = bench_alloc((size_t)(b * s->widths[0]), sizeof(double));
    c->y = bench_alloc((size_t)(b * s->widths[s->n_dense]), sizeof(double));
    fill_targets(s, seed, c->x, c->y);
    for (int l = 0; l <= s->n_dense; l++) {
        c->act[l] = bench_alloc((size_t)(b * s->widths[l]), sizeof(double));
    }
    bench_fill(seed, b * s->widths[0], 0.0, 1.0, c->act[0]);
    for (int l = 0; l < s->n_dense; l++) {
        nn_layer_info info;
        bench_check(nn_model_layer_info(c->model, l, &info), "layer info");
        c->w[l] = nn_model_params(c->model) + info.param_offset;
        c->delta[l] = bench_alloc((size_t)(b * s->widths[l + 1]),
                                  sizeof(double));
        bench_fill(seed, b * s->widths[l + 1], -0.01, 0.01, c->delta[l]);
        c->dw[l] = bench_alloc((size_t)(s->widths[l] * s->widths[l + 1]),
                               sizeof(double));
    }
}

static void case_free(struct train_case *c)
{
    nn_model_free(c->model);
    free(c->x);
    free(c->y);
    for (int l = 0; l <= c->spec->n_dense; l++) {
        free(c->act[l]);
    }
    for (int l = 0; l < c->spec->n_dense; l++) {
        free(c->delta[l]);
        free(c->dw[l]);
    }
}

/*
 * Naive against BLAS before timing: one step from the same weights in
 * each mode, comparing the gradients (the update itself depends on the
 * optimizer's state, the gradient only on weights and data). The
 * weights are put back afterwards.
 */
static double check_case(struct train_case *c)
{
    const struct model_spec *s = c->spec;
    int64_t n = nn_model_param_count(c->model);
    double *params = nn_model_params(c->model), *grads = nn_model_grads(c->model);
    double *saved = bench_alloc((size_t)n, sizeof(double));
    double *naive = bench_alloc((size_t)n, sizeof(double));
    double loss[2], diff;

    memcpy(saved, params, (size_t)n * sizeof(double));
    for (int k = 0; k < 2; k++) {
        bench_check(nn_gemm_mode_set(k == 0 ? NN_GEMM_NAIVE : NN_GEMM_BLAS),
                    "nn_gemm_mode_set");
        bench_check(nn_model_train_batch(c->model, s->batch, s->widths[0],
                                         s->widths[s->n_dense], c->x, c->y,
                                         &loss[k]), "nn_model_train_batch");
        if (k == 0) {
            memcpy(naive, grads, (size_t)n * sizeof(double));
        }
        memcpy(params, saved, (size_t)n * sizeof(double));
    }
    diff = bench_rel_diff(n, naive, grads);
    diff = fmax(diff, fabs(loss[0] - loss[1]) / fmax(fabs(loss[1]), 1e-300));
    free(saved);
    free(naive);
    return diff;
}

static void fill_record(struct bench_record *r, const struct model_spec *s,
                        double flops, double diff)
{
    snprintf(r->name, sizeof r->name, "%s", s->name);
    r->batch = s->batch;
    r->inputs = s->widths[0];
    r->outputs = s->widths[s->n_dense];
    r->pass = "step";
    r->flops = flops;
    r->max_rel_diff = diff;
}

/* Times the step in each chosen mode, then the raw products. */
static void time_case(const struct bench_config *cfg,
                      struct bench_results *res, struct train_case *c)
{
    static const char *names[3] = {"auto", "blas", "naive"};
    static const int order[3] = {NN_GEMM_NAIVE, NN_GEMM_BLAS, NN_GEMM_AUTO};
    double flops = step_flops(c->spec), diff = check_case(c);
    struct bench_record *first = NULL, *r;
    int64_t n = 0;

    for (int i = 0; i < 4; i++) {
        int mode = i < 3 ? order[i] : -1;
        if (mode >= 0 && !(cfg->gemm_modes & BENCH_GEMM_BIT(mode))) {
            continue;
        }
        r = bench_add(res, "train", mode >= 0 ? names[mode] : "raw");
        first = first != NULL ? first : r;
        n++;
        fill_record(r, c->spec, flops, diff);
        if (mode == NN_GEMM_NAIVE && cfg->plan.naive_flops > 0
            && flops > cfg->plan.naive_flops) {
            continue;
        }
        bench_check(nn_gemm_mode_set(mode >= 0 ? mode : NN_GEMM_BLAS),
                    "nn_gemm_mode_set");
        bench_check(bench_measure(mode >= 0 ? run_step : run_raw, c,
                                  &cfg->plan, &r->t), c->spec->name);
        r->ran = 1;
    }
    bench_relate(first, n);
    for (int64_t i = 0; i < n; i++) {
        format_train_row(stdout, first + i);
    }
}

int bench_train(const struct bench_config *cfg, struct bench_results *res)
{
    int level = cfg->smoke ? 0 : cfg->quick ? 1 : 2;
    uint64_t seed = 7;

    format_train_head(stdout);
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        struct train_case c;
        if (specs[i].level > level) {
            continue;
        }
        printf("%s, batch %lld: %s\n", specs[i].name,
               (long long)specs[i].batch, specs[i].about);
        case_new(&c, &specs[i], &seed);
        time_case(cfg, res, &c);
        case_free(&c);
    }
    bench_check(nn_gemm_mode_set(NN_GEMM_AUTO), "nn_gemm_mode_set");
    printf("\n");
    return 0;
}
