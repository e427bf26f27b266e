/*
 * What the bench prints and writes: the run header, the human tables,
 * and the CSV and JSON files.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* Facts about the run, gathered once for the header and the JSON. */
struct run_info {
    char date[64];
    char cpu[128];
    long cores;
};

static void run_info_get(struct run_info *info)
{
    static struct run_info cached;
    static int done;

    if (!done) {
        time_t now = time(NULL);
        struct tm tm;
        char line[256];
        FILE *f = fopen("/proc/cpuinfo", "r");

        snprintf(cached.cpu, sizeof cached.cpu, "unknown");
        while (f != NULL && fgets(line, sizeof line, f) != NULL) {
            char *colon = strchr(line, ':');
            if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
                colon += 1 + (colon[1] == ' ');
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(cached.cpu, sizeof cached.cpu, "%s", colon);
                break;
            }
        }
        if (f != NULL) {
            fclose(f);
        }
        if (localtime_r(&now, &tm) == NULL
            || strftime(cached.date, sizeof cached.date,
                        "%Y-%m-%d %H:%M:%S %z", &tm) == 0) {
            snprintf(cached.date, sizeof cached.date, "unknown");
        }
        cached.cores = sysconf(_SC_NPROCESSORS_ONLN);
        done = 1;
    }
    *info = cached;
}

static const char *mode_name(const struct bench_config *cfg)
{
    return cfg->smoke ? "smoke" : cfg->quick ? "quick" : "full";
}

void bench_header(FILE *out, const struct bench_config *cfg)
{
    struct run_info info;
    const struct bench_plan *p = &cfg->plan;

    run_info_get(&info);
    fprintf(out, "nnblas-bench: libnnblas %s, %s mode\n", nn_version(),
            mode_name(cfg));
    fprintf(out, "  date:     %s\n", info.date);
    fprintf(out, "  cpu:      %s, %ld online cores\n", info.cpu, info.cores);
    fprintf(out, "  blas:     %s\n", nn_blas_info());
    fprintf(out, "  threads:  %lld BLAS thread(s)%s\n",
            (long long)nn_blas_threads_get(),
            cfg->threads > 0 ? " (--threads)" : " (the BLAS default)");
    fprintf(out, "  build:    %s\n", nn_build_info());
    fprintf(out, "  dispatch: NN_GEMM_AUTO crossovers (m*n*k) forward %lld, "
            "weights %lld, inputs %lld\n",
            (long long)nn_gemm_crossover_get(NN_PASS_FORWARD),
            (long long)nn_gemm_crossover_get(NN_PASS_WEIGHTS),
            (long long)nn_gemm_crossover_get(NN_PASS_INPUTS));
    fprintf(out, "  timing:   CLOCK_MONOTONIC; %.3g s warm-up, then each "
            "figure is the median (min/max in the CSV and JSON) of %lld to "
            "%lld repetitions of calls adding up to %.3g ms; 'reps' gives "
            "the count\n\n", p->warm_s, (long long)p->min_reps,
            (long long)p->max_reps, 1e3 * p->rep_s);
}

const char *bench_time_str(char *buf, size_t len, double seconds)
{
    static const char *units[4] = {"ns", "us", "ms", "s"};
    double v = seconds * 1e9;
    int u = 0;

    while (u < 3 && v >= 999.5) {
        v /= 1000.0;
        u++;
    }
    snprintf(buf, len, v >= 99.5 ? "%.0f %s" : v >= 9.95 ? "%.1f %s"
                                                       : "%.2f %s", v, units[u]);
    return buf;
}

/* A rate as "3.61 M" (k, M, G for thousands, millions, billions). */
static const char *rate_str(char *buf, size_t len, double per_s)
{
    static const char *units[4] = {"", " k", " M", " G"};
    int u = 0;

    while (u < 3 && per_s >= 999.5) {
        per_s /= 1000.0;
        u++;
    }
    snprintf(buf, len, per_s >= 99.5 ? "%.0f%s" : per_s >= 9.95 ? "%.1f%s"
                                                             : "%.2f%s",
             per_s, units[u]);
    return buf;
}

void bench_relate(struct bench_record *recs, int64_t n)
{
    const struct bench_record *naive = NULL, *raw = NULL;

    for (int64_t i = 0; i < n; i++) {
        if (recs[i].ran && strcmp(recs[i].path, "naive") == 0) {
            naive = &recs[i];
        }
        if (recs[i].ran && strcmp(recs[i].path, "raw") == 0) {
            raw = &recs[i];
        }
    }
    for (int64_t i = 0; i < n; i++) {
        struct bench_record *r = &recs[i];
        r->speedup = naive != NULL && r->ran ? naive->t.median / r->t.median
                                             : -1.0;
        r->raw_ratio = raw != NULL && r->ran ? raw->t.median / r->t.median
                                             : -1.0;
    }
}

static double gflops(const struct bench_record *r)
{
    return r->ran ? r->flops / r->t.median * 1e-9 : NAN;
}

/* A time and its GFLOP/s as two table cells, or dashes when skipped. */
static void time_cells(char *time, char *rate, size_t len,
                       const struct bench_record *r)
{
    if (!r->ran) {
        snprintf(time, len, "-");
        snprintf(rate, len, "-");
        return;
    }
    bench_time_str(time, len, r->t.median);
    snprintf(rate, len, gflops(r) < 99.95 ? "%.2f" : "%.1f", gflops(r));
}

void format_layer_head(FILE *out)
{
    fprintf(out, "Layer mode: one dense layer with bias and relu. forward = "
            "nn_dense_forward (NN gemm, then bias + relu); backward = "
            "nn_dense_backward (relu' and db, then dW by a TN gemm and dx by "
            "an NT gemm).\nGFLOP/s count gemm flops only: 2*b*i*o forward, "
            "4*b*i*o backward. naive = NN_GEMM_NAIVE, BLAS = NN_GEMM_BLAS, "
            "auto = NN_GEMM_AUTO (the default), raw = cblas_dgemm alone on "
            "the same products (the lower bound).\nspeedup = naive time / "
            "BLAS time; overhead = raw time / BLAS time (1.00: the library "
            "adds nothing); times are medians; reps = repetitions of "
            "naive/BLAS/auto/raw.\n");
    fprintf(out, "%5s %11s %-8s %9s %6s %9s %6s %9s %6s %9s %6s %8s %8s %8s "
            "%s\n", "batch", "in x out", "pass", "naive", "GF/s", "BLAS",
            "GF/s", "auto", "GF/s", "raw", "GF/s", "speedup", "overhead",
            "max rel", "reps");
}

void format_layer_row(FILE *out, struct bench_record *const rec[4])
{
    const struct bench_record *blas = rec[1];
    char shape[32], speed[16], reps[64], cell[8][24];

    snprintf(shape, sizeof shape, "%lldx%lld", (long long)blas->inputs,
             (long long)blas->outputs);
    for (int p = 0; p < 4; p++) {
        time_cells(cell[2 * p], cell[2 * p + 1], sizeof cell[0], rec[p]);
    }
    if (blas->speedup > 0) {
        snprintf(speed, sizeof speed, "%.1fx", blas->speedup);
    } else {
        snprintf(speed, sizeof speed, "-");
    }
    snprintf(reps, sizeof reps, "%lld/%lld/%lld/%lld",
             (long long)rec[0]->t.reps, (long long)rec[1]->t.reps,
             (long long)rec[2]->t.reps, (long long)rec[3]->t.reps);
    fprintf(out, "%5lld %11s %-8s %9s %6s %9s %6s %9s %6s %9s %6s %8s %8.3f "
            "%8.1e %s\n", (long long)blas->batch, shape, blas->pass, cell[0],
            cell[1], cell[2], cell[3], cell[4], cell[5], cell[6], cell[7],
            speed, blas->raw_ratio, blas->max_rel_diff, reps);
    fflush(out);
}

void format_train_head(FILE *out)
{
    fprintf(out, "Train mode: nn_model_train_batch steps (forward, loss, "
            "backward, optimizer update) on one batch. GFLOP/s count the "
            "step's gemm flops (forward of every layer, dW of every layer, "
            "dx of all but the first).\nraw = cblas_dgemm alone on those "
            "products; 'in BLAS' = raw time / step time, the fraction of the "
            "step that the products need at raw dgemm speed. max rel = "
            "naive against BLAS gradients of one step.\n");
    fprintf(out, "  %-6s %10s %21s %11s %11s %8s %8s %8s %s\n", "path",
            "time/step", "min .. max", "steps/s", "samples/s", "GFLOP/s",
            "in BLAS", "max rel", "reps");
}

void format_train_row(FILE *out, const struct bench_record *r)
{
    char t[24], lo[24], hi[24], range[56], frac[16], steps[24], samples[24];

    if (!r->ran) {
        fprintf(out, "  %-6s %10s (skipped: too slow for this mode)\n",
                r->path, "-");
        return;
    }
    snprintf(range, sizeof range, "%s .. %s",
             bench_time_str(lo, sizeof lo, r->t.min),
             bench_time_str(hi, sizeof hi, r->t.max));
    if (strcmp(r->path, "raw") != 0 && r->raw_ratio > 0) {
        snprintf(frac, sizeof frac, "%.1f%%", 100.0 * r->raw_ratio);
    } else {
        snprintf(frac, sizeof frac, "-");
    }
    fprintf(out, "  %-6s %10s %21s %11s %11s %8.2f %8s %8.1e %lldx%lld\n",
            r->path, bench_time_str(t, sizeof t, r->t.median), range,
            rate_str(steps, sizeof steps, 1.0 / r->t.median),
            rate_str(samples, sizeof samples, (double)r->batch / r->t.median),
            gflops(r), frac, r->max_rel_diff, (long long)r->t.reps,
            (long long)r->t.inner);
    fflush(out);
}

/* ----------------------------------------------------------------------
 * CSV and JSON
 */

/* A number, or the empty field / null when it is unknown. */
static void put_number(FILE *f, double v, int known, const char *missing)
{
    if (known && isfinite(v)) {
        fprintf(f, "%.9g", v);
    } else {
        fputs(missing, f);
    }
}

static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            fprintf(f, "\\%c", ch);
        } else if (ch < 0x20) {
            fprintf(f, "\\u%04x", ch);
        } else {
            fputc(ch, f);
        }
    }
    fputc('"', f);
}

/* The derived fields of a record, in the order both files use. */
static void record_numbers(const struct bench_record *r, double v[10],
                           int known[10])
{
    v[0] = r->t.median;
    v[1] = r->t.min;
    v[2] = r->t.max;
    v[3] = gflops(r);
    v[4] = 1.0 / r->t.median;
    v[5] = (double)r->batch / r->t.median;
    v[6] = r->speedup;
    v[7] = r->raw_ratio;
    v[8] = r->max_rel_diff;
    v[9] = r->flops;
    for (int i = 0; i < 10; i++) {
        known[i] = i == 9 || (i == 8 ? r->max_rel_diff >= 0
                              : r->ran && (i < 6 || v[i] > 0));
    }
}

static const char *number_names[10] = {
    "median_s", "min_s", "max_s", "gflops", "calls_per_s", "samples_per_s",
    "speedup_vs_naive", "raw_over_this", "max_rel_diff", "flops",
};

static int close_file(FILE *f, const char *path)
{
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "nnblas-bench: writing %s failed\n", path);
        return 1;
    }
    return 0;
}

int bench_write_csv(const char *path, const struct bench_results *res)
{
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        perror(path);
        return 1;
    }
    fprintf(f, "section,name,threads,batch,inputs,outputs,pass,path,ran,"
            "reps,inner");
    for (int i = 0; i < 10; i++) {
        fprintf(f, ",%s", number_names[i]);
    }
    fputc('\n', f);
    for (int64_t i = 0; i < res->n_records; i++) {
        const struct bench_record *r = &res->records[i];
        double v[10];
        int known[10];

        record_numbers(r, v, known);
        fprintf(f, "%s,%s,%lld,%lld,%lld,%lld,%s,%s,%d,%lld,%lld", r->section,
                r->name, (long long)r->threads, (long long)r->batch,
                (long long)r->inputs, (long long)r->outputs, r->pass, r->path,
                r->ran, (long long)r->t.reps, (long long)r->t.inner);
        for (int k = 0; k < 10; k++) {
            fputc(',', f);
            put_number(f, v[k], known[k], "");
        }
        fputc('\n', f);
    }
    return close_file(f, path);
}

static void json_header(FILE *f, const struct bench_config *cfg)
{
    const struct bench_plan *p = &cfg->plan;
    struct run_info info;

    run_info_get(&info);
    fprintf(f, "{\n  \"program\": \"nnblas-bench\",\n  \"version\": ");
    put_json_string(f, nn_version());
    fprintf(f, ",\n  \"mode\": \"%s\",\n  \"date\": ", mode_name(cfg));
    put_json_string(f, info.date);
    fprintf(f, ",\n  \"cpu\": ");
    put_json_string(f, info.cpu);
    fprintf(f, ",\n  \"cores\": %ld,\n  \"blas\": ", info.cores);
    put_json_string(f, nn_blas_info());
    fprintf(f, ",\n  \"build\": ");
    put_json_string(f, nn_build_info());
    fprintf(f, ",\n  \"blas_threads\": %lld,\n",
            (long long)nn_blas_threads_get());
    fprintf(f, "  \"timing\": {\"clock\": \"CLOCK_MONOTONIC\", \"warm_s\": "
            "%g, \"rep_s\": %g, \"budget_s\": %g, \"min_reps\": %lld, "
            "\"max_reps\": %lld},\n", p->warm_s, p->rep_s, p->budget_s,
            (long long)p->min_reps, (long long)p->max_reps);
    fprintf(f, "  \"flops\": {\"forward\": \"2*b*i*o\", \"backward\": "
            "\"4*b*i*o\", \"step\": \"gemm flops: forward and dW of every "
            "layer, dx of all but the first\", \"crossover\": \"2*m*n*k\"},\n");
    fprintf(f, "  \"layer_activation\": \"relu with bias\",\n");
    fprintf(f, "  \"crossovers_in_use\": {\"forward\": %lld, \"weights\": "
            "%lld, \"inputs\": %lld},\n",
            (long long)nn_gemm_crossover_get(NN_PASS_FORWARD),
            (long long)nn_gemm_crossover_get(NN_PASS_WEIGHTS),
            (long long)nn_gemm_crossover_get(NN_PASS_INPUTS));
}

static void json_record(FILE *f, const struct bench_record *r)
{
    double v[10];
    int known[10];

    record_numbers(r, v, known);
    fprintf(f, "    {\"section\": \"%s\", \"name\": ", r->section);
    put_json_string(f, r->name);
    fprintf(f, ", \"threads\": %lld, \"batch\": %lld, \"inputs\": %lld, "
            "\"outputs\": %lld, \"pass\": \"%s\", \"path\": \"%s\", \"ran\": "
            "%s, \"reps\": %lld, \"inner\": %lld", (long long)r->threads,
            (long long)r->batch, (long long)r->inputs, (long long)r->outputs,
            r->pass, r->path, r->ran ? "true" : "false", (long long)r->t.reps,
            (long long)r->t.inner);
    for (int k = 0; k < 10; k++) {
        fprintf(f, ", \"%s\": ", number_names[k]);
        put_number(f, v[k], known[k], "null");
    }
    fputc('}', f);
}

int bench_write_json(const char *path, const struct bench_config *cfg,
                     const struct bench_results *res)
{
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        perror(path);
        return 1;
    }
    json_header(f, cfg);
    fprintf(f, "  \"records\": [\n");
    for (int64_t i = 0; i < res->n_records; i++) {
        json_record(f, &res->records[i]);
        fputs(i + 1 < res->n_records ? ",\n" : "\n", f);
    }
    fprintf(f, "  ],\n  \"crossover_results\": [\n");
    for (int64_t i = 0; i < res->n_crossovers; i++) {
        const struct bench_crossover *x = &res->crossovers[i];
        fprintf(f, "    {\"pass\": \"%s\", \"last_naive_win_mnk\": ", x->pass);
        put_number(f, x->last_naive_win, 1, "null");
        fprintf(f, ", \"first_blas_win_mnk\": ");
        put_number(f, x->first_blas_win, 1, "null");
        fprintf(f, ", \"chosen_mnk\": ");
        put_number(f, x->chosen, 1, "null");
        fprintf(f, ", \"worst_slowdown\": ");
        put_number(f, x->worst_slowdown, 1, "null");
        fprintf(f, ", \"geomean_slowdown\": ");
        put_number(f, x->mean_slowdown, 1, "null");
        fprintf(f, ", \"in_use_mnk\": %lld}%s\n", (long long)x->current,
                i + 1 < res->n_crossovers ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return close_file(f, path);
}
