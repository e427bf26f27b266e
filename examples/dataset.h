/*
 * Small labelled data sets for the examples: read a CSV (plain or
 * gzip-compressed, through zlib), split it into training and test parts
 * with a fixed seed, standardise the features and one-hot encode the
 * labels.
 */
#ifndef NNBLAS_EXAMPLES_DATASET_H
#define NNBLAS_EXAMPLES_DATASET_H

#include <stdint.h>

typedef struct dataset {
    int64_t rows;
    int64_t features;
    int64_t classes;
    double *x;          /* rows x features, row-major */
    double *y;          /* rows x classes, one-hot */
    int *label;         /* rows */
} dataset;

/*
 * Reads a CSV whose last column is an integer class label in [0, classes)
 * and whose other columns are features. skip_lines lines at the top are
 * ignored. Returns 0, or -1 with a message on stderr.
 */
int dataset_read(const char *path, int skip_lines, int64_t classes,
                 dataset *out);

/*
 * Splits `all` into train and test at random (seeded) with test_fraction
 * of the rows in test, then standardises every feature of both to the
 * training part's mean and standard deviation (a constant feature
 * becomes 0). Returns 0 or -1.
 */
int dataset_split(const dataset *all, double test_fraction, uint64_t seed,
                  dataset *train, dataset *test);

/* Fraction of rows whose largest prediction is at the true label. */
double dataset_accuracy(const dataset *d, const double *pred);

void dataset_free(dataset *d);

#endif
