#define _POSIX_C_SOURCE 200809L
#include "dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <nnblas.h>

static int alloc_dataset(dataset *d, int64_t rows, int64_t features,
                         int64_t classes)
{
    d->rows = rows;
    d->features = features;
    d->classes = classes;
    d->x = calloc((size_t)(rows * features), sizeof *d->x);
    d->y = calloc((size_t)(rows * classes), sizeof *d->y);
    d->label = calloc((size_t)rows, sizeof *d->label);
    if (d->x == NULL || d->y == NULL || d->label == NULL) {
        dataset_free(d);
        fprintf(stderr, "dataset: out of memory\n");
        return -1;
    }
    return 0;
}

/* Splits a line at commas into at most max numbers; returns the count. */
static int parse_line(char *line, double *values, int max)
{
    int count = 0;

    for (char *field = strtok(line, ",\r\n"); field != NULL && count < max;
         field = strtok(NULL, ",\r\n")) {
        char *end;
        values[count++] = strtod(field, &end);
        if (end == field) {
            return -1;
        }
    }
    return count;
}

int dataset_read(const char *path, int skip_lines, int64_t classes,
                 dataset *out)
{
    enum { MAX_COLUMNS = 1024 };
    static double values[MAX_COLUMNS];
    char line[16384];
    int64_t rows = 0, cols = -1, cap = 0;
    double *table = NULL;
    gzFile f = gzopen(path, "rb");

    if (f == NULL) {
        fprintf(stderr, "dataset: cannot open %s\n", path);
        return -1;
    }

    /* Every row into one growing table, checking the column count. */
    for (int64_t lineno = 1; gzgets(f, line, sizeof line) != NULL; lineno++) {
        int n;
        if (lineno <= skip_lines || line[0] == '\n') {
            continue;
        }
        n = parse_line(line, values, MAX_COLUMNS);
        if (n < 2 || (cols >= 0 && n != cols)) {
            fprintf(stderr, "dataset: %s line %lld is not a row of %lld "
                    "numbers\n", path, (long long)lineno, (long long)cols);
            free(table);
            gzclose(f);
            return -1;
        }
        cols = n;
        if (rows == cap) {
            double *grown;
            cap = cap > 0 ? 2 * cap : 256;
            grown = realloc(table, (size_t)(cap * cols) * sizeof *table);
            if (grown == NULL) {
                free(table);
                gzclose(f);
                return -1;
            }
            table = grown;
        }
        memcpy(table + rows * cols, values, (size_t)cols * sizeof *values);
        rows++;
    }
    gzclose(f);
    if (rows == 0 || alloc_dataset(out, rows, cols - 1, classes) != 0) {
        free(table);
        return -1;
    }

    /* Features, then the label as an integer and as a one-hot row. */
    for (int64_t r = 0; r < rows; r++) {
        double label = table[r * cols + cols - 1];
        memcpy(out->x + r * out->features, table + r * cols,
               (size_t)out->features * sizeof(double));
        if (label != floor(label) || label < 0 || label >= (double)classes) {
            fprintf(stderr, "dataset: %s row %lld has label %g, not a class "
                    "in [0, %lld)\n", path, (long long)r + 1, label,
                    (long long)classes);
            free(table);
            dataset_free(out);
            return -1;
        }
        out->label[r] = (int)label;
        out->y[r * classes + out->label[r]] = 1.0;
    }
    free(table);
    return 0;
}

static void copy_row(const dataset *from, int64_t i, dataset *to, int64_t j)
{
    memcpy(to->x + j * to->features, from->x + i * from->features,
           (size_t)from->features * sizeof(double));
    memcpy(to->y + j * to->classes, from->y + i * from->classes,
           (size_t)from->classes * sizeof(double));
    to->label[j] = from->label[i];
}

int dataset_split(const dataset *all, double test_fraction, uint64_t seed,
                  dataset *train, dataset *test)
{
    int64_t n = all->rows, n_test = (int64_t)llround(test_fraction * (double)n);
    int64_t *order = malloc((size_t)n * sizeof *order);
    nn_rng rng;

    if (order == NULL || nn_rng_seed(&rng, seed) != NN_OK
        || alloc_dataset(train, n - n_test, all->features, all->classes) != 0
        || alloc_dataset(test, n_test, all->features, all->classes) != 0) {
        free(order);
        return -1;
    }

    /* A seeded Fisher-Yates shuffle decides who goes where. */
    for (int64_t i = 0; i < n; i++) {
        order[i] = i;
    }
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j, t;
        if (nn_rng_below(&rng, i + 1, &j) != NN_OK) {
            free(order);
            return -1;
        }
        t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int64_t i = 0; i < n; i++) {
        if (i < n_test) {
            copy_row(all, order[i], test, i);
        } else {
            copy_row(all, order[i], train, i - n_test);
        }
    }
    free(order);

    /* Standardise with the training part's statistics only, so nothing
     * about the test part leaks into training. */
    for (int64_t f = 0; f < all->features; f++) {
        double mean = 0.0, var = 0.0, sd;
        for (int64_t r = 0; r < train->rows; r++) {
            mean += train->x[r * train->features + f];
        }
        mean /= (double)train->rows;
        for (int64_t r = 0; r < train->rows; r++) {
            double d = train->x[r * train->features + f] - mean;
            var += d * d;
        }
        sd = sqrt(var / (double)train->rows);
        for (int p = 0; p < 2; p++) {
            dataset *d = p == 0 ? train : test;
            for (int64_t r = 0; r < d->rows; r++) {
                double *v = &d->x[r * d->features + f];
                *v = sd > 0.0 ? (*v - mean) / sd : 0.0;
            }
        }
    }
    return 0;
}

double dataset_accuracy(const dataset *d, const double *pred)
{
    int64_t correct = 0;

    for (int64_t r = 0; r < d->rows; r++) {
        const double *p = pred + r * d->classes;
        int64_t best = 0;
        for (int64_t c = 1; c < d->classes; c++) {
            best = p[c] > p[best] ? c : best;
        }
        correct += best == d->label[r];
    }
    return (double)correct / (double)d->rows;
}

void dataset_free(dataset *d)
{
    free(d->x);
    free(d->y);
    free(d->label);
    d->x = d->y = NULL;
    d->label = NULL;
}
