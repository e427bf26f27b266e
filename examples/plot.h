/*
 * Loss curves as PNG charts, drawn by gnuplot (Debian package
 * gnuplot-nox). Only the examples use this; the library never starts
 * another program.
 */
#ifndef NNBLAS_EXAMPLES_PLOT_H
#define NNBLAS_EXAMPLES_PLOT_H

/* One curve: a CSV file (one header line) whose first column is the
 * epoch or iteration, the 1-based column holding the loss, and its
 * legend label. */
typedef struct plot_curve {
    const char *csv;
    int column;
    const char *label;
} plot_curve;

/*
 * Draws the curves into one PNG with a logarithmic loss axis; xlabel
 * names the first column ("epoch", "iteration"). Returns 0
 * on success, or -1 (with a note on stderr) when gnuplot is missing or
 * fails; the CSV files stay either way.
 */
int plot_curves(const char *png, const char *title, const char *xlabel,
                const plot_curve *curves, int count);

#endif
