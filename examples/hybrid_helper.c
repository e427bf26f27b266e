/*
 * The C half of the hybrid example: routines a Fortran program calls
 * through bind(C) interfaces, as a mixed code base calls its C parts.
 * Arrays are plain pointers and sizes are int64_t, the types the Fortran
 * side declares with ISO_C_BINDING; nothing here knows about Fortran.
 */
#include <math.h>
#include <stdint.h>

/* The reference signal: a damped oscillation, y = exp(-t) sin(2 pi t),
 * at n points t. */
void hybrid_signal(int64_t n, const double *t, double *y)
{
    const double pi = 3.14159265358979323846;

    for (int64_t i = 0; i < n; i++) {
        y[i] = exp(-t[i]) * sin(2.0 * pi * t[i]);
    }
}

/*
 * How far a prediction is from the reference over n points: the root
 * mean square and the largest absolute error, and where (from 0) the
 * largest one is.
 */
void hybrid_errors(int64_t n, const double *ref, const double *pred,
                   double *rms, double *max_abs, int64_t *worst)
{
    double sum = 0.0;

    *max_abs = 0.0;
    *worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs(pred[i] - ref[i]);

        sum += e * e;
        if (e > *max_abs) {
            *max_abs = e;
            *worst = i;
        }
    }
    *rms = n > 0 ? sqrt(sum / (double)n) : 0.0;
}
