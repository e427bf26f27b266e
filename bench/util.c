/*
 * The timing harness and small helpers shared by the bench's modes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define MAX_REPS 1001

double bench_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Repetitions that fit the budget, within the plan's bounds. */
static int64_t rep_count(const struct bench_plan *plan, double rep_time)
{
    double fit = plan->budget_s / rep_time;
    int64_t reps = fit > (double)plan->max_reps ? plan->max_reps
                   : fit < (double)plan->min_reps ? plan->min_reps
                   : (int64_t)fit;

    return reps < 1 ? 1 : reps < MAX_REPS ? reps : MAX_REPS;
}

int bench_measure(bench_fn fn, void *ctx, const struct bench_plan *plan,
                  struct bench_stats *out)
{
    double times[MAX_REPS], start = bench_now(), fastest = INFINITY;
    int64_t inner, reps;
    int s;

    /* Warm-up: page faults, caches, BLAS buffers and threads. The fastest
     * warm-up call sizes the repetitions. */
    do {
        double t0 = bench_now(), t;
        if ((s = fn(ctx)) != NN_OK) {
            return s;
        }
        t = bench_now() - t0;
        fastest = t < fastest ? t : fastest;
    } while (bench_now() - start < plan->warm_s);
    fastest = fastest > 1e-9 ? fastest : 1e-9;
    inner = (int64_t)ceil(plan->rep_s / fastest);
    inner = inner < 1 ? 1 : inner;
    reps = rep_count(plan, (double)inner * fastest);

    for (int64_t r = 0; r < reps; r++) {
        double t0 = bench_now();
        for (int64_t i = 0; i < inner; i++) {
            if ((s = fn(ctx)) != NN_OK) {
                return s;
            }
        }
        times[r] = (bench_now() - t0) / (double)inner;
    }

    qsort(times, (size_t)reps, sizeof times[0], compare_doubles);
    out->median = reps % 2 ? times[reps / 2]
                           : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
    out->min = times[0];
    out->max = times[reps - 1];
    out->reps = reps;
    out->inner = inner;
    return NN_OK;
}

void bench_check(int s, const char *what)
{
    if (s != NN_OK) {
        fprintf(stderr, "nnblas-bench: %s failed: %s (%s)\n", what,
                nn_last_error(), nn_status_str(s));
        exit(1);
    }
}

void *bench_alloc(size_t count, size_t size)
{
    void *p = calloc(count > 0 ? count : 1, size);

    if (p == NULL) {
        fprintf(stderr, "nnblas-bench: out of memory (%zu x %zu bytes)\n",
                count, size);
        exit(1);
    }
    return p;
}

void bench_fill(uint64_t *state, int64_t n, double lo, double hi, double *a)
{
    for (int64_t i = 0; i < n; i++) {
        uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        z ^= z >> 31;
        a[i] = lo + (hi - lo) * ((double)(z >> 11) * 0x1.0p-53);
    }
}

double bench_rel_diff(int64_t n, const double *a, const double *b)
{
    double diff = 0.0, scale = 0.0;

    for (int64_t i = 0; i < n; i++) {
        diff = fmax(diff, fabs(a[i] - b[i]));
        scale = fmax(scale, fabs(b[i]));
    }
    return scale > 0.0 ? diff / scale : diff;
}

struct bench_record *bench_add(struct bench_results *res, const char *section,
                               const char *path)
{
    struct bench_record *r;

    if (res->n_records >= BENCH_MAX_RECORDS) {
        fprintf(stderr, "nnblas-bench: more than %d results; use a smaller "
                "grid\n", BENCH_MAX_RECORDS);
        exit(1);
    }
    r = &res->records[res->n_records++];
    memset(r, 0, sizeof *r);
    r->section = section;
    r->path = path;
    r->pass = "";
    r->threads = nn_blas_threads_get();
    r->max_rel_diff = -1.0;
    return r;
}
