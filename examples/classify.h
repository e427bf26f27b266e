/*
 * The shared body of the real-data examples: read a labelled CSV, split
 * and standardise it, train a one-hidden-layer softmax classifier with
 * Adam, and report test accuracy and training time.
 */
#ifndef NNBLAS_EXAMPLES_CLASSIFY_H
#define NNBLAS_EXAMPLES_CLASSIFY_H

#include <stdint.h>

typedef struct classify_spec {
    const char *name;           /* "digits", used in file names */
    const char *path;           /* the CSV */
    int skip_lines;             /* header lines */
    int64_t classes;
    int64_t hidden;             /* units of the relu layer */
    int64_t epochs;
    int64_t batch_size;
    double test_fraction;
    uint64_t seed;
    double min_accuracy;        /* the example fails below this */
} classify_spec;

/* Runs the example; writes <dir>/<name>_loss.csv and, with gnuplot,
 * <dir>/<name>_loss.png. Returns the process exit status. */
int classify_run(const classify_spec *spec, const char *dir);

#endif
