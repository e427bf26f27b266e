/*
 * A tiny test harness: each check counts, a failed check prints
 * "file:line: message", and nn_test_done() prints "N passed, M failed" and
 * gives the exit status. Every macro is an expression worth 1 on success,
 * so a test can stop early: if (!CHECK(p != NULL)) return;
 */
#ifndef NN_TEST_H
#define NN_TEST_H

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <nnblas.h>

static int nn_test_passed;
static int nn_test_failed;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static inline int nn_test_report(int ok, const char *file, int line,
                                 const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        nn_test_passed++;
        return 1;
    }
    nn_test_failed++;
    fprintf(stdout, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
    return 0;
}

static inline int nn_test_status(int got, int want, const char *call,
                                 const char *file, int line)
{
    return nn_test_report(got == want, file, line,
                          "%s returned %s, expected %s (last error: \"%s\")",
                          call, nn_status_str(got), nn_status_str(want),
                          nn_last_error());
}

/* Passes when |a - b| <= tol * max(1, |a|, |b|): absolute near zero,
 * relative elsewhere. NaN never passes. */
static inline int nn_test_near(double a, double b, double tol,
                               const char *expr_a, const char *expr_b,
                               const char *file, int line)
{
    double scale = fmax(1.0, fmax(fabs(a), fabs(b)));

    return nn_test_report(fabs(a - b) <= tol * scale, file, line,
                          "%s = %.17g but %s = %.17g (difference %.3g, "
                          "tolerance %.3g)", expr_a, a, expr_b, b,
                          fabs(a - b), tol * scale);
}

#define CHECK(cond) \
    nn_test_report((cond) ? 1 : 0, __FILE__, __LINE__, "check failed: %s", \
                   #cond)

#define CHECK_STATUS(call, expected) \
    nn_test_status((int)(call), (int)(expected), #call, __FILE__, __LINE__)

#define CHECK_NEAR(a, b, tol) \
    nn_test_near((a), (b), (tol), #a, #b, __FILE__, __LINE__)

/* Test data that does not depend on the library's own generator: a
 * uniform double on [-1, 1) from a splitmix64 step of *state. */
static inline double nn_test_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-52 - 1.0;
}

/* Reads a whole stream from its start into a new string (free it), or
 * NULL. For checking what a call wrote to a tmpfile(). */
static inline char *nn_test_slurp(FILE *f)
{
    long size;
    char *text;

    if (fflush(f) != 0 || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0) {
        return NULL;
    }
    text = malloc((size_t)size + 1);
    if (text != NULL) {
        size_t got = fread(text, 1, (size_t)size, f);
        text[got] = '\0';
    }
    return text;
}

/* Prints the summary line; returns the exit status for main. */
static inline int nn_test_done(void)
{
    printf("%d passed, %d failed\n", nn_test_passed, nn_test_failed);
    return nn_test_failed == 0 ? 0 : 1;
}

#endif
