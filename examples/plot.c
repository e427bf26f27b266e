#define _POSIX_C_SOURCE 200809L
#include "plot.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int plot_curves(const char *png, const char *title, const char *xlabel,
                const plot_curve *curves, int count)
{
    struct sigaction ignore = {0}, previous;
    FILE *gp;
    int status;

    /* Charts are optional: without gnuplot the CSV files are the result. */
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        fprintf(stderr, "note: gnuplot is not installed (Debian package "
                "gnuplot-nox); %s not drawn\n", png);
        return -1;
    }

    /* Should gnuplot die early, a write to its pipe must fail rather than
     * kill this program with SIGPIPE. */
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &previous);
    gp = popen("gnuplot 2>/dev/null", "w");
    if (gp == NULL) {
        sigaction(SIGPIPE, &previous, NULL);
        fprintf(stderr, "note: cannot start gnuplot; %s not drawn\n", png);
        return -1;
    }
    fprintf(gp, "set terminal pngcairo size 900,560 noenhanced\n");
    fprintf(gp, "set output '%s'\n", png);
    fprintf(gp, "set title '%s'\nset datafile separator ','\n", title);
    fprintf(gp, "set key outside right\nset grid\nset logscale y\n");
    fprintf(gp, "set xlabel '%s'\nset ylabel 'loss (log scale)'\nplot ",
            xlabel);
    for (int i = 0; i < count; i++) {
        fprintf(gp, "%s'%s' using 1:%d skip 1 with lines lw 2 title '%s'",
                i > 0 ? ", " : "", curves[i].csv, curves[i].column,
                curves[i].label);
    }
    fprintf(gp, "\n");
    status = pclose(gp);
    sigaction(SIGPIPE, &previous, NULL);
    if (status != 0) {
        fprintf(stderr, "note: gnuplot failed; %s not drawn\n", png);
        return -1;
    }
    return 0;
}
