/*
 * Layer mode: one dense layer (bias, relu), forward and backward, through
 * the naive loops, through BLAS, and as raw cblas_dgemm on the same
 * products.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "bench.h"

/* The arrays of one (batch, inputs, outputs) case. */
struct layer_case {
    nn_dense *layer;
    int64_t batch;
    int64_t in;
    int64_t out;
    double *x;          /* batch x in */
    double *y;          /* batch x out, the forward output */
    double *dy;         /* batch x out; backward turns it into dz in place */
    double *dx;         /* batch x in */
    double *raw_y;      /* raw dgemm outputs, so the library's stay intact */
    double *raw_dw;
    double *raw_dx;
};

static int run_forward(void *ctx)
{
    struct layer_case *c = ctx;

    return nn_dense_forward(c->layer, c->batch, c->x, c->y);
}

/* Repeating the backward pass on its own output is harmless: relu's
 * derivative masks dz exactly as it masked dy, so every call does the
 * same work on the same values. */
static int run_backward(void *ctx)
{
    struct layer_case *c = ctx;

    return nn_dense_backward(c->layer, c->batch, c->x, c->y, c->dy, c->dx);
}

static int run_raw_forward(void *ctx)
{
    struct layer_case *c = ctx;

    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)c->batch,
                (int)c->out, (int)c->in, 1.0, c->x, (int)c->in,
                nn_dense_weights(c->layer), (int)c->out, 0.0, c->raw_y,
                (int)c->out);
    return NN_OK;
}

static int run_raw_backward(void *ctx)
{
    struct layer_case *c = ctx;

    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)c->in,
                (int)c->out, (int)c->batch, 1.0, c->x, (int)c->in, c->dy,
                (int)c->out, 0.0, c->raw_dw, (int)c->out);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)c->batch,
                (int)c->in, (int)c->out, 1.0, c->dy, (int)c->out,
                nn_dense_weights(c->layer), (int)c->out, 0.0, c->raw_dx,
                (int)c->in);
    return NN_OK;
}

static void case_new(struct layer_case *c, int64_t batch, int64_t in,
                     int64_t out, uint64_t *seed)
{
    nn_dense_opts opts;
    nn_rng rng;

    c->batch = batch;
    c->in = in;
    c->out = out;
    bench_check(nn_dense_opts_init(&opts, out, NN_ACTIVATION_RELU), "options");
    bench_check(nn_dense_new(&c->layer, in, &opts), "nn_dense_new");
    bench_check(nn_rng_seed(&rng, *seed), "nn_rng_seed");
    bench_check(nn_dense_init(c->layer, &rng), "nn_dense_init");

    /* A nonzero bias, so that the bias pass does real work. */
    bench_fill(seed, out, -0.1, 0.1, nn_dense_bias(c->layer));
    c->x = bench_alloc((size_t)(batch * in), sizeof(double));
    c->y = bench_alloc((size_t)(batch * out), sizeof(double));
    c->dy = bench_alloc((size_t)(batch * out), sizeof(double));
    c->dx = bench_alloc((size_t)(batch * in), sizeof(double));
    c->raw_y = bench_alloc((size_t)(batch * out), sizeof(double));
    c->raw_dw = bench_alloc((size_t)(in * out), sizeof(double));
    c->raw_dx = bench_alloc((size_t)(batch * in), sizeof(double));
    bench_fill(seed, batch * in, -1.0, 1.0, c->x);
}

static void case_free(struct layer_case *c)
{
    nn_dense_free(c->layer);
    free(c->x);
    free(c->y);
    free(c->dy);
    free(c->dx);
    free(c->raw_y);
    free(c->raw_dw);
    free(c->raw_dx);
}

/* Runs forward and backward once in one mode and keeps copies of y,
 * the gradients (dW then db) and dx. */
static void run_once(struct layer_case *c, int mode, const double *dy0,
                     double *y, double *grads, double *dx)
{
    int64_t params = nn_dense_param_count(c->layer);

    bench_check(nn_gemm_mode_set(mode), "nn_gemm_mode_set");
    bench_check(run_forward(c), "nn_dense_forward");
    memcpy(c->dy, dy0, (size_t)(c->batch * c->out) * sizeof(double));
    bench_check(run_backward(c), "nn_dense_backward");
    memcpy(y, c->y, (size_t)(c->batch * c->out) * sizeof(double));
    memcpy(grads, nn_dense_grads(c->layer), (size_t)params * sizeof(double));
    memcpy(dx, c->dx, (size_t)(c->batch * c->in) * sizeof(double));
}

/* Naive against BLAS (and the automatic choice) before any timing: the
 * largest relative difference of the forward output and of the backward
 * results. */
static void check_case(struct layer_case *c, uint64_t *seed, double *fwd,
                       double *bwd)
{
    static const int modes[3] = {NN_GEMM_NAIVE, NN_GEMM_BLAS, NN_GEMM_AUTO};
    int64_t ny = c->batch * c->out, nx = c->batch * c->in;
    int64_t np = nn_dense_param_count(c->layer);
    double *dy0 = bench_alloc((size_t)ny, sizeof(double));
    double *y[3], *g[3], *dx[3];

    bench_fill(seed, ny, -1.0, 1.0, dy0);
    *fwd = 0.0;
    *bwd = 0.0;
    for (int k = 0; k < 3; k++) {
        y[k] = bench_alloc((size_t)ny, sizeof(double));
        g[k] = bench_alloc((size_t)np, sizeof(double));
        dx[k] = bench_alloc((size_t)nx, sizeof(double));
        run_once(c, modes[k], dy0, y[k], g[k], dx[k]);
        if (k > 0) {
            *fwd = fmax(*fwd, bench_rel_diff(ny, y[k], y[0]));
            *bwd = fmax(*bwd, bench_rel_diff(np, g[k], g[0]));
            *bwd = fmax(*bwd, bench_rel_diff(nx, dx[k], dx[0]));
        }
    }
    for (int k = 0; k < 3; k++) {
        free(y[k]);
        free(g[k]);
        free(dx[k]);
    }
    free(dy0);
}

/* Times one pass through the four paths and records them. */
static void time_pass(const struct bench_config *cfg,
                      struct bench_results *res, struct layer_case *c,
                      const char *pass, double flops, double diff,
                      bench_fn lib, bench_fn raw)
{
    static const char *paths[4] = {"naive", "blas", "auto", "raw"};
    static const int modes[4] = {NN_GEMM_NAIVE, NN_GEMM_BLAS, NN_GEMM_AUTO,
                                 NN_GEMM_BLAS};
    struct bench_record *rec[4];

    for (int p = 0; p < 4; p++) {
        rec[p] = bench_add(res, "layer", paths[p]);
        rec[p]->batch = c->batch;
        rec[p]->inputs = c->in;
        rec[p]->outputs = c->out;
        rec[p]->pass = pass;
        rec[p]->flops = flops;
        rec[p]->max_rel_diff = diff;
        if (p == 0 && cfg->plan.naive_flops > 0
            && flops > cfg->plan.naive_flops) {
            continue;
        }
        bench_check(nn_gemm_mode_set(modes[p]), "nn_gemm_mode_set");
        bench_check(bench_measure(p < 3 ? lib : raw, c, &cfg->plan,
                                  &rec[p]->t), pass);
        rec[p]->ran = 1;
    }
    bench_relate(rec[0], 4);
    format_layer_row(stdout, rec);
}

int bench_layers(const struct bench_config *cfg, struct bench_results *res)
{
    uint64_t seed = 2024;

    format_layer_head(stdout);
    for (int64_t bi = 0; bi < cfg->n_batches; bi++) {
        for (int64_t si = 0; si < cfg->n_shapes; si++) {
            struct layer_case c;
            double b = (double)cfg->batches[bi], io, fwd, bwd;

            memset(&c, 0, sizeof c);
            case_new(&c, cfg->batches[bi], cfg->shapes[si][0],
                     cfg->shapes[si][1], &seed);
            io = (double)c.in * (double)c.out;
            check_case(&c, &seed, &fwd, &bwd);
            time_pass(cfg, res, &c, "forward", 2.0 * b * io, fwd,
                      run_forward, run_raw_forward);
            time_pass(cfg, res, &c, "backward", 4.0 * b * io, bwd,
                      run_backward, run_raw_backward);
            case_free(&c);
        }
    }
    bench_check(nn_gemm_mode_set(NN_GEMM_AUTO), "nn_gemm_mode_set");
    printf("\n");
    return 0;
}
