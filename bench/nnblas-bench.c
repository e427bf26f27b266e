/*
 * nnblas-bench: what BLAS buys over naive loops in libnnblas, layer by
 * layer and for whole training steps, and where the two cross over.
 *
 * Usage: nnblas-bench [--quick | --smoke] [--layers] [--train]
 *                     [--crossover] [--threads N] [--batch B,B,...]
 *                     [--shapes IxO,IxO,...] [--modes naive,blas,auto]
 *                     [--csv FILE] [--json FILE]
 *
 * Without --layers, --train or --crossover it runs layer and train mode.
 * Each table is printed with a legend of its columns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const int64_t full_batches[] = {1, 32, 256, 1024};
static const int64_t full_shapes[][2] = {
    {2, 2}, {64, 64}, {256, 256}, {512, 512}, {784, 512}, {1024, 1024},
};
static const int64_t quick_batches[] = {1, 32, 256};
static const int64_t quick_shapes[][2] = {
    {2, 2}, {64, 64}, {256, 256}, {512, 512},
};
static const int64_t smoke_batches[] = {1, 4};
static const int64_t smoke_shapes[][2] = {{2, 2}, {8, 8}};

/* warm_s, rep_s, budget_s, min_reps, max_reps, naive_flops */
static const struct bench_plan full_plan = {0.05, 2e-3, 0.4, 5, 51, 0.0};
static const struct bench_plan quick_plan = {0.01, 5e-4, 0.03, 3, 11, 1e8};
static const struct bench_plan smoke_plan = {0.0, 5e-5, 0.0, 2, 2, 1e6};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nnblas-bench [options]\n"
            "  --quick            small grid, short timings (a few seconds)\n"
            "  --smoke            tiny shapes and 2 repetitions (for tests)\n"
            "  --layers           layer mode (forward and backward of one "
            "dense layer)\n"
            "  --train            train mode (whole nn_model_train_batch "
            "steps)\n"
            "  --crossover        where the loops stop beating BLAS, and "
            "1 vs 2 BLAS threads\n"
            "  --threads N        BLAS threads (nn_blas_threads_set)\n"
            "  --batch LIST       batch sizes for layer mode, e.g. 32,256\n"
            "  --shapes LIST      inputs x outputs for layer mode, e.g. "
            "512x512,784x512\n"
            "  --modes LIST       gemm modes for train mode: naive,blas,auto\n"
            "  --csv FILE         write every figure as CSV\n"
            "  --json FILE        write every figure as JSON\n"
            "Without --layers, --train or --crossover, layer and train mode "
            "run.\n");
}

/* A positive integer, or 0 when s is not one. */
static int64_t parse_size(const char *s, char **end)
{
    long long v;

    errno = 0;
    v = strtoll(s, end, 10);
    return errno != 0 || *end == s || v < 1 || v > 1000000 ? 0 : (int64_t)v;
}

static int parse_batches(const char *s, struct bench_config *cfg)
{
    char *end;

    cfg->n_batches = 0;
    for (;;) {
        int64_t v = parse_size(s, &end);
        if (v == 0 || cfg->n_batches == BENCH_MAX_GRID) {
            return 1;
        }
        cfg->batches[cfg->n_batches++] = v;
        if (*end == '\0') {
            return 0;
        }
        if (*end != ',') {
            return 1;
        }
        s = end + 1;
    }
}

static int parse_shapes(const char *s, struct bench_config *cfg)
{
    char *end;

    cfg->n_shapes = 0;
    for (;;) {
        int64_t in = parse_size(s, &end), out;
        if (in == 0 || *end != 'x' || cfg->n_shapes == BENCH_MAX_GRID) {
            return 1;
        }
        out = parse_size(end + 1, &end);
        if (out == 0) {
            return 1;
        }
        cfg->shapes[cfg->n_shapes][0] = in;
        cfg->shapes[cfg->n_shapes][1] = out;
        cfg->n_shapes++;
        if (*end == '\0') {
            return 0;
        }
        if (*end != ',') {
            return 1;
        }
        s = end + 1;
    }
}

static int parse_modes(const char *s, struct bench_config *cfg)
{
    static const char *names[3] = {"auto", "blas", "naive"};

    cfg->gemm_modes = 0;
    while (*s != '\0') {
        size_t len = strcspn(s, ",");
        int found = 0;
        for (int m = 0; m < 3; m++) {
            if (len == strlen(names[m]) && strncmp(s, names[m], len) == 0) {
                cfg->gemm_modes |= BENCH_GEMM_BIT(m);
                found = 1;
            }
        }
        if (!found) {
            return 1;
        }
        s += len + (s[len] == ',');
    }
    return cfg->gemm_modes == 0;
}

/* The grid of the run's size, unless the command line gave one. */
static void default_grid(struct bench_config *cfg, int have_batches,
                         int have_shapes)
{
    const int64_t *b = cfg->smoke ? smoke_batches
                       : cfg->quick ? quick_batches : full_batches;
    const int64_t (*s)[2] = cfg->smoke ? smoke_shapes
                            : cfg->quick ? quick_shapes : full_shapes;
    int64_t nb = cfg->smoke ? 2 : cfg->quick ? 3 : 4;
    int64_t ns = cfg->smoke ? 2 : cfg->quick ? 4 : 6;

    if (!have_batches) {
        memcpy(cfg->batches, b, (size_t)nb * sizeof *b);
        cfg->n_batches = nb;
    }
    if (!have_shapes) {
        memcpy(cfg->shapes, s, (size_t)ns * sizeof *s);
        cfg->n_shapes = ns;
    }
    cfg->plan = cfg->smoke ? smoke_plan : cfg->quick ? quick_plan : full_plan;
}

/* Options that take a value. */
static int takes_value(const char *a)
{
    static const char *names[] = {"--threads", "--batch", "--shapes",
                                  "--modes", "--csv", "--json"};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(a, names[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Applies option a (with value v). Returns 0, 1 for a bad value or 2 for
 * an unknown option. */
static int apply_option(struct bench_config *cfg, const char *a,
                        const char *v, int *have_batches, int *have_shapes)
{
    char *end;

    if (strcmp(a, "--quick") == 0) {
        cfg->quick = 1;
    } else if (strcmp(a, "--smoke") == 0) {
        cfg->smoke = 1;
    } else if (strcmp(a, "--layers") == 0) {
        cfg->run_layers = 1;
    } else if (strcmp(a, "--train") == 0) {
        cfg->run_train = 1;
    } else if (strcmp(a, "--crossover") == 0) {
        cfg->run_crossover = 1;
    } else if (strcmp(a, "--threads") == 0) {
        cfg->threads = parse_size(v, &end);
        return cfg->threads == 0 || *end != '\0';
    } else if (strcmp(a, "--batch") == 0) {
        *have_batches = 1;
        return parse_batches(v, cfg);
    } else if (strcmp(a, "--shapes") == 0) {
        *have_shapes = 1;
        return parse_shapes(v, cfg);
    } else if (strcmp(a, "--modes") == 0) {
        return parse_modes(v, cfg);
    } else if (strcmp(a, "--csv") == 0) {
        cfg->csv_path = v;
    } else if (strcmp(a, "--json") == 0) {
        cfg->json_path = v;
    } else {
        return 2;
    }
    return 0;
}

/* Fills cfg from the command line. Returns 0, or 1 after printing why. */
static int parse_args(int argc, char **argv, struct bench_config *cfg)
{
    int have_batches = 0, have_shapes = 0;

    memset(cfg, 0, sizeof *cfg);
    cfg->gemm_modes = BENCH_GEMM_BIT(NN_GEMM_NAIVE)
                      | BENCH_GEMM_BIT(NN_GEMM_BLAS)
                      | BENCH_GEMM_BIT(NN_GEMM_AUTO);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int s;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (takes_value(a)) {
            if (++i == argc) {
                fprintf(stderr, "nnblas-bench: %s needs a value\n", a);
                return 1;
            }
            v = argv[i];
        }
        s = apply_option(cfg, a, v, &have_batches, &have_shapes);
        if (s == 1) {
            fprintf(stderr, "nnblas-bench: bad value for %s: %s\n", a, v);
            return 1;
        }
        if (s == 2) {
            fprintf(stderr, "nnblas-bench: unknown option %s\n", a);
            usage(stderr);
            return 1;
        }
    }
    if (!cfg->run_layers && !cfg->run_train && !cfg->run_crossover) {
        cfg->run_layers = cfg->run_train = 1;
    }
    default_grid(cfg, have_batches, have_shapes);
    return 0;
}

int main(int argc, char **argv)
{
    static struct bench_results res;
    struct bench_config cfg;
    int failed = 0;

    if (parse_args(argc, argv, &cfg) != 0) {
        return 2;
    }
    if (cfg.threads > 0) {
        bench_check(nn_blas_threads_set(cfg.threads), "nn_blas_threads_set");
    }
    bench_header(stdout, &cfg);

    if (cfg.run_layers) {
        failed |= bench_layers(&cfg, &res);
    }
    if (cfg.run_train) {
        failed |= bench_train(&cfg, &res);
    }
    if (cfg.run_crossover) {
        failed |= bench_crossover(&cfg, &res);
    }
    if (cfg.csv_path != NULL) {
        failed |= bench_write_csv(cfg.csv_path, &res);
    }
    if (cfg.json_path != NULL) {
        failed |= bench_write_json(cfg.json_path, &cfg, &res);
    }
    return failed;
}
