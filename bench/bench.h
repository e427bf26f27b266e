/*
 * nnblas-bench internals: the timing harness, the run settings, the
 * result records and the writers shared by the bench's modes.
 */
#ifndef NNBLAS_BENCH_H
#define NNBLAS_BENCH_H

#include <stdint.h>
#include <stdio.h>

#include <nnblas.h>

#define BENCH_MAX_GRID 32
#define BENCH_MAX_RECORDS 1024

/* How long and how often each figure is measured. */
struct bench_plan {
    double warm_s;       /* warm-up time before timing (at least one call) */
    double rep_s;        /* one repetition times calls adding up to this */
    double budget_s;     /* time for all repetitions of one figure */
    int64_t min_reps;
    int64_t max_reps;
    double naive_flops;  /* naive paths above this many flops per call are
                            skipped (0: never skip) */
};

/* One timed figure, in seconds per call. */
struct bench_stats {
    double median;
    double min;
    double max;
    int64_t reps;        /* repetitions; the median is over these */
    int64_t inner;       /* calls per repetition */
};

/* A call to time. Returns an nn_status; anything but NN_OK stops the
 * measurement. */
typedef int (*bench_fn)(void *ctx);

/* Which gemm modes train mode runs (bit per nn_gemm_mode). */
#define BENCH_GEMM_BIT(mode) (1u << (mode))

struct bench_config {
    int quick;
    int smoke;
    int run_layers;
    int run_train;
    int run_crossover;
    int64_t threads;                 /* 0: leave the BLAS default */
    unsigned gemm_modes;             /* BENCH_GEMM_BIT set for train mode */
    int64_t batches[BENCH_MAX_GRID];
    int64_t n_batches;
    int64_t shapes[BENCH_MAX_GRID][2];   /* inputs, outputs */
    int64_t n_shapes;
    const char *csv_path;
    const char *json_path;
    struct bench_plan plan;
};

/*
 * One measured path of one case. section is "layer", "train",
 * "crossover" or "threads"; path is "naive", "blas", "auto" (the gemm
 * modes), "raw" (cblas_dgemm alone on the same products) or, in the
 * threads section, "raw_1t" and "raw_2t".
 */
struct bench_record {
    const char *section;
    char name[48];               /* model name, or "" */
    int64_t batch;
    int64_t inputs;
    int64_t outputs;
    const char *pass;            /* "forward", "backward", "step", "weights",
                                    "inputs" */
    const char *path;
    int64_t threads;
    double flops;                /* per call */
    struct bench_stats t;
    int ran;                     /* 0: skipped (too slow for this run) */
    double max_rel_diff;         /* naive against BLAS, < 0 if unchecked */
    double speedup;              /* naive time / this time, < 0 if unknown */
    double raw_ratio;            /* raw dgemm time / this time: for the
                                    library's BLAS path, the fraction of raw
                                    dgemm speed reached; < 0 if unknown */
};

/* The crossover found for one pass. */
struct bench_crossover {
    const char *pass;
    double last_naive_win;       /* largest m*n*k where the loops won */
    double first_blas_win;       /* smallest m*n*k where BLAS won */
    double chosen;               /* the threshold with the least slowdown */
    double worst_slowdown;       /* worst time / best time at chosen */
    double mean_slowdown;        /* geometric mean of the same */
    int64_t current;             /* the library's crossover during the run */
};

/* All results of one run, written to CSV and JSON at the end. */
struct bench_results {
    struct bench_record records[BENCH_MAX_RECORDS];
    int64_t n_records;
    struct bench_crossover crossovers[3];
    int64_t n_crossovers;
};

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/*
 * Warms up, then times fn per plan into *out. Returns NN_OK or the
 * status fn failed with.
 */
int bench_measure(bench_fn fn, void *ctx, const struct bench_plan *plan,
                  struct bench_stats *out);

/* Stops the program with the library's message when s is not NN_OK. */
void bench_check(int s, const char *what);

/* malloc that stops the program on failure; memory is zeroed. */
void *bench_alloc(size_t count, size_t size);

/* Fills a with uniform values in [lo, hi) from *state (splitmix64). */
void bench_fill(uint64_t *state, int64_t n, double lo, double hi, double *a);

/* max |a - b| / max |b| over n values (0 when b is all zero). */
double bench_rel_diff(int64_t n, const double *a, const double *b);

/* Adds a record; stops the program when the table is full. */
struct bench_record *bench_add(struct bench_results *res,
                               const char *section, const char *path);

/* The modes of the bench. Each returns 0, or 1 after printing why not. */
int bench_layers(const struct bench_config *cfg, struct bench_results *res);
int bench_train(const struct bench_config *cfg, struct bench_results *res);
int bench_crossover(const struct bench_config *cfg, struct bench_results *res);

/* Sets speedup and raw_ratio of the n records of one case from its
 * "naive" and "raw" records. */
void bench_relate(struct bench_record *recs, int64_t n);

/* The run header: date, CPU, library, BLAS and build. */
void bench_header(FILE *out, const struct bench_config *cfg);

/* A time in seconds as "12.3 us" (three or four significant digits). */
const char *bench_time_str(char *buf, size_t len, double seconds);

/* The human tables, printed as results arrive. */
void format_layer_head(FILE *out);
void format_layer_row(FILE *out, struct bench_record *const rec[4]);
void format_train_head(FILE *out);
void format_train_row(FILE *out, const struct bench_record *rec);

/* The results as CSV and JSON files. Return 0 or 1 after printing why. */
int bench_write_csv(const char *path, const struct bench_results *res);
int bench_write_json(const char *path, const struct bench_config *cfg,
                     const struct bench_results *res);

#endif
