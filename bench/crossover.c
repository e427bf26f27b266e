/*
 * Crossover mode: for each product of a dense layer, where the library's
 * loops stop beating cblas_dgemm on one thread; then whether a second
 * BLAS thread helps or hurts mid-sized products.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "bench.h"

/* Layer-shaped cases (batch, inputs, outputs); a square case is a layer
 * with batch = inputs = outputs. Each pass's product has m*n*k =
 * batch * inputs * outputs. */
static const int64_t crossover_cases[][3] = {
    {2, 2, 2}, {3, 3, 3}, {4, 4, 4}, {5, 5, 5}, {6, 6, 6}, {8, 8, 8},
    {10, 10, 10}, {12, 12, 12}, {16, 16, 16}, {20, 20, 20}, {24, 24, 24},
    {32, 32, 32}, {40, 40, 40}, {48, 48, 48}, {64, 64, 64},
    {4, 2, 2}, {4, 2, 10}, {4, 10, 10}, {4, 10, 1}, {32, 2, 2},
    {256, 2, 2}, {256, 10, 1}, {32, 10, 10}, {1, 64, 64}, {4, 64, 64},
    {8, 32, 32}, {32, 64, 10}, {64, 64, 1}, {1, 100, 100}, {4, 100, 100},
    {64, 8, 8}, {128, 4, 4}, {16, 64, 64}, {1, 256, 256}, {8, 128, 128},
    {32, 32, 64}, {2, 784, 10}, {1, 784, 512}, {32, 100, 10}, {4, 256, 256},
};

static const int64_t smoke_cases[][3] = {{2, 2, 2}, {8, 8, 8}, {4, 10, 1}};

/* Mid-sized products around OpenBLAS's single-thread limit. */
static const int64_t thread_cases[][3] = {
    {32, 32, 32}, {48, 48, 48}, {63, 64, 64}, {64, 64, 64}, {65, 64, 64},
    {72, 72, 72}, {80, 80, 80}, {96, 96, 96}, {128, 128, 128},
    {160, 160, 160}, {192, 192, 192}, {256, 256, 256}, {384, 384, 384},
    {4, 784, 512}, {16, 256, 256}, {32, 512, 512}, {64, 100, 1000},
    {64, 1000, 1000}, {256, 784, 512},
};

static const char *pass_names[3] = {"forward", "weights", "inputs"};

/* The three products of one layer case, as tensors over bench arrays. */
struct product {
    int pass;
    nn_tensor *a;
    nn_tensor *b;
    nn_tensor *c;
    int trans_a;
    int trans_b;
    double *data[3];
    int64_t m, n, k;
};

static int run_naive(void *ctx)
{
    struct product *p = ctx;

    return nn_tensor_matmul_naive(p->c, 1.0, p->a, p->trans_a, p->b,
                                  p->trans_b, 0.0);
}

/* Through the library in NN_GEMM_BLAS mode, so both sides pay the same
 * argument checks and only the kernel differs. */
static int run_blas(void *ctx)
{
    struct product *p = ctx;

    return nn_tensor_matmul(p->c, 1.0, p->a, p->trans_a, p->b, p->trans_b,
                            0.0);
}

static int run_raw(void *ctx)
{
    struct product *p = ctx;

    cblas_dgemm(CblasRowMajor, p->trans_a ? CblasTrans : CblasNoTrans,
                p->trans_b ? CblasTrans : CblasNoTrans, (int)p->m, (int)p->n,
                (int)p->k, 1.0, nn_tensor_data(p->a), (int)nn_tensor_ld(p->a),
                nn_tensor_data(p->b), (int)nn_tensor_ld(p->b), 0.0,
                nn_tensor_data(p->c), (int)nn_tensor_ld(p->c));
    return NN_OK;
}

static nn_tensor *wrap(int64_t rows, int64_t cols, uint64_t *seed,
                       double **data)
{
    nn_tensor *t;

    *data = bench_alloc((size_t)(rows * cols), sizeof(double));
    bench_fill(seed, rows * cols, -1.0, 1.0, *data);
    bench_check(nn_tensor_wrap(&t, rows, cols, cols, *data), "nn_tensor_wrap");
    return t;
}

/* forward y = x W, weights dW = x^T dz, inputs dx = dz W^T. */
static void product_new(struct product *p, int pass, const int64_t shape[3],
                        uint64_t *seed)
{
    int64_t b = shape[0], in = shape[1], out = shape[2];
    int64_t a_cols = pass == NN_PASS_INPUTS ? out : in;
    int64_t b_rows = pass == NN_PASS_WEIGHTS ? b : in;
    int64_t c_rows = pass == NN_PASS_WEIGHTS ? in : b;
    int64_t c_cols = pass == NN_PASS_INPUTS ? in : out;

    memset(p, 0, sizeof *p);
    p->pass = pass;
    p->trans_a = pass == NN_PASS_WEIGHTS;
    p->trans_b = pass == NN_PASS_INPUTS;
    p->a = wrap(b, a_cols, seed, &p->data[0]);
    p->b = wrap(b_rows, out, seed, &p->data[1]);
    p->c = wrap(c_rows, c_cols, seed, &p->data[2]);
    p->m = c_rows;
    p->n = c_cols;
    p->k = pass == NN_PASS_FORWARD ? in : pass == NN_PASS_WEIGHTS ? b : out;
}

static const char *shape_str(char *buf, size_t len, const struct product *p)
{
    snprintf(buf, len, "%lldx%lldx%lld", (long long)p->m, (long long)p->n,
             (long long)p->k);
    return buf;
}

static void product_free(struct product *p)
{
    nn_tensor_free(p->a);
    nn_tensor_free(p->b);
    nn_tensor_free(p->c);
    for (int i = 0; i < 3; i++) {
        free(p->data[i]);
    }
}

/* The naive and BLAS results of a product agree (largest relative
 * difference). */
static double check_product(struct product *p)
{
    int64_t size = p->m * p->n;
    double *ref = bench_alloc((size_t)size, sizeof(double)), diff;

    bench_check(run_naive(p), "nn_tensor_matmul_naive");
    memcpy(ref, p->data[2], (size_t)size * sizeof(double));
    bench_check(nn_gemm_mode_set(NN_GEMM_BLAS), "nn_gemm_mode_set");
    bench_check(run_blas(p), "nn_tensor_matmul");
    diff = bench_rel_diff(size, ref, p->data[2]);
    free(ref);
    return diff;
}

static struct bench_record *add_record(struct bench_results *res,
                                       const char *section, const char *path,
                                       const int64_t shape[3], int pass,
                                       double diff)
{
    struct bench_record *r = bench_add(res, section, path);

    r->batch = shape[0];
    r->inputs = shape[1];
    r->outputs = shape[2];
    r->pass = pass_names[pass];
    r->flops = 2.0 * (double)shape[0] * (double)shape[1] * (double)shape[2];
    r->max_rel_diff = diff;
    return r;
}

/*
 * The threshold T (the loops run when m*n*k < T) with the smallest
 * geometric-mean slowdown against the faster path of each case, over
 * the records of one pass: pairs of naive then blas at rec[2i], rec[2i+1].
 */
static void choose(struct bench_crossover *x, const struct bench_record *rec,
                   int64_t pairs)
{
    double best_cost = INFINITY;

    x->last_naive_win = 0.0;
    x->first_blas_win = INFINITY;
    for (int64_t i = 0; i < pairs; i++) {
        double mnk = rec[2 * i].flops / 2.0;
        if (rec[2 * i].t.median < rec[2 * i + 1].t.median) {
            x->last_naive_win = fmax(x->last_naive_win, mnk);
        } else {
            x->first_blas_win = fmin(x->first_blas_win, mnk);
        }
    }

    /* Candidates: every measured m*n*k, and one beyond them all. */
    for (int64_t c = 0; c <= pairs; c++) {
        double limit = c < pairs ? rec[2 * c].flops / 2.0 : INFINITY;
        double cost = 0.0, worst = 1.0, below = 0.0;
        for (int64_t i = 0; i < pairs; i++) {
            double mnk = rec[2 * i].flops / 2.0;
            double tn = rec[2 * i].t.median, tb = rec[2 * i + 1].t.median;
            double slow = (mnk < limit ? tn : tb) / fmin(tn, tb);
            cost += log(slow);
            worst = fmax(worst, slow);
            below = mnk < limit ? fmax(below, mnk) : below;
        }
        if (cost < best_cost - 1e-12
            || (fabs(cost - best_cost) <= 1e-12 && limit < x->chosen)) {
            best_cost = cost;
            x->worst_slowdown = worst;
            x->mean_slowdown = exp(cost / (double)pairs);
            /* Any value in (below, limit] splits the cases the same way:
             * take the largest power of two in it, for a round default. */
            x->chosen = limit;
            if (isfinite(limit)) {
                double p2 = exp2(floor(log2(limit)));
                x->chosen = p2 > below ? p2 : limit;
            }
        }
    }
}

static void print_crossover(const struct bench_crossover *x)
{
    printf("  %-8s %16.0f %16.0f %12.0f %10.2fx %10.3fx %12lld\n", x->pass,
           x->last_naive_win,
           isfinite(x->first_blas_win) ? x->first_blas_win : -1.0,
           isfinite(x->chosen) ? x->chosen : -1.0, x->worst_slowdown,
           x->mean_slowdown, (long long)x->current);
}

static void measure_pass(const struct bench_config *cfg,
                         struct bench_results *res, int pass,
                         const int64_t (*cases)[3], int64_t n_cases,
                         uint64_t *seed)
{
    struct bench_record *first = NULL;
    char tn[32], tb[32], shape[48];

    for (int64_t i = 0; i < n_cases; i++) {
        struct product p;
        struct bench_record *r[2];
        double diff;

        product_new(&p, pass, cases[i], seed);
        diff = check_product(&p);
        for (int k = 0; k < 2; k++) {
            r[k] = add_record(res, "crossover", k == 0 ? "naive" : "blas",
                              cases[i], pass, diff);
            bench_check(bench_measure(k == 0 ? run_naive : run_blas, &p,
                                      &cfg->plan, &r[k]->t), "crossover");
            r[k]->ran = 1;
        }
        bench_relate(r[0], 2);
        first = first != NULL ? first : r[0];
        printf("  %-8s %-17s %10.0f %11s %11s %8.2f %6lld %9.1e\n",
               pass_names[pass], shape_str(shape, sizeof shape, &p),
               (double)(p.m * p.n * p.k),
               bench_time_str(tn, sizeof tn, r[0]->t.median),
               bench_time_str(tb, sizeof tb, r[1]->t.median),
               r[0]->t.median / r[1]->t.median, (long long)r[1]->t.reps, diff);
        product_free(&p);
    }

    res->crossovers[res->n_crossovers].pass = pass_names[pass];
    res->crossovers[res->n_crossovers].current = nn_gemm_crossover_get(pass);
    choose(&res->crossovers[res->n_crossovers], first, n_cases);
    res->n_crossovers++;
}

/* Raw dgemm on one and on two BLAS threads, product by product. */
static void measure_threads(const struct bench_config *cfg,
                            struct bench_results *res, uint64_t *seed)
{
    int64_t n_cases = sizeof thread_cases / sizeof thread_cases[0];
    char t1[32], t2[32], shape[48];

    if (nn_blas_threads_set(2) != NN_OK) {
        printf("Threads: skipped, the BLAS thread count cannot be set (%s)\n\n",
               nn_last_error());
        return;
    }
    printf("Raw cblas_dgemm on 1 and on 2 BLAS threads (speedup > 1: the "
           "second thread helps):\n");
    printf("  %-8s %-17s %10s %11s %11s %8s %6s\n", "pass", "m x n x k",
           "m*n*k", "1 thread", "2 threads", "speedup", "reps");
    n_cases = cfg->smoke ? 2 : n_cases;
    for (int64_t i = 0; i < n_cases; i++) {
        for (int pass = 0; pass < 3; pass++) {
            struct product p;
            struct bench_record *r[2];

            product_new(&p, pass, thread_cases[i], seed);
            for (int k = 0; k < 2; k++) {
                bench_check(nn_blas_threads_set(k + 1), "nn_blas_threads_set");
                r[k] = add_record(res, "threads", k == 0 ? "raw_1t" : "raw_2t",
                                  thread_cases[i], pass, -1.0);
                bench_check(bench_measure(run_raw, &p, &cfg->plan, &r[k]->t),
                            "threads");
                r[k]->ran = 1;
            }
            printf("  %-8s %-17s %10.0f %11s %11s %8.2f %6lld\n",
                   pass_names[pass], shape_str(shape, sizeof shape, &p),
                   (double)(p.m * p.n * p.k),
                   bench_time_str(t1, sizeof t1, r[0]->t.median),
                   bench_time_str(t2, sizeof t2, r[1]->t.median),
                   r[0]->t.median / r[1]->t.median, (long long)r[1]->t.reps);
            product_free(&p);
        }
    }
    printf("\n");
}

int bench_crossover(const struct bench_config *cfg, struct bench_results *res)
{
    const int64_t (*cases)[3] = cfg->smoke ? smoke_cases : crossover_cases;
    int64_t n_cases = cfg->smoke ? sizeof smoke_cases / sizeof smoke_cases[0]
                      : sizeof crossover_cases / sizeof crossover_cases[0];
    int64_t threads = nn_blas_threads_get();
    uint64_t seed = 11;

    /* The crossover is a property of one thread: a second thread only
     * joins products far larger than any crossover. */
    if (nn_blas_threads_set(1) != NN_OK) {
        printf("(the BLAS thread count cannot be set; measuring on %lld)\n",
               (long long)threads);
    }
    printf("Crossover: the library's loops (nn_tensor_matmul_naive) against "
           "BLAS (nn_tensor_matmul in NN_GEMM_BLAS mode) on 1 thread; "
           "ratio > 1: BLAS is faster\n");
    printf("  %-8s %-17s %10s %11s %11s %8s %6s %9s\n", "pass", "m x n x k",
           "m*n*k", "loops", "BLAS", "ratio", "reps", "max rel");
    for (int pass = 0; pass < 3; pass++) {
        measure_pass(cfg, res, pass, cases, n_cases, &seed);
    }
    bench_check(nn_gemm_mode_set(NN_GEMM_AUTO), "nn_gemm_mode_set");

    printf("\nCrossover table (m*n*k; the loops run below 'chosen'; slowdown "
           "= time of the path the rule picks / the faster path):\n");
    printf("  %-8s %16s %16s %12s %11s %11s %12s\n", "pass", "last loops win",
           "first BLAS win", "chosen", "worst", "geo-mean", "current");
    for (int64_t i = 0; i < res->n_crossovers; i++) {
        print_crossover(&res->crossovers[i]);
    }
    printf("\n");

    measure_threads(cfg, res, &seed);
    if (threads >= 1 && nn_blas_threads_set(threads) != NN_OK) {
        printf("(could not restore %lld BLAS threads)\n", (long long)threads);
    }
    return 0;
}
