/*
 * Activation functions and their derivatives (formulas in
 * nnblas/activation.h).
 */
#include <math.h>
#include <string.h>

#include "config.h"
#include "internal.h"

const char *nn_activation_name(int kind)
{
    switch (kind) {
    case NN_ACTIVATION_IDENTITY: return "linear";
    case NN_ACTIVATION_SIGMOID: return "sigmoid";
    case NN_ACTIVATION_TANH: return "tanh";
    case NN_ACTIVATION_RELU: return "relu";
    case NN_ACTIVATION_LEAKY_RELU: return "leaky_relu";
    case NN_ACTIVATION_SOFTMAX: return "softmax";
    default: return "unknown";
    }
}

nn_status nn__check_activation(const char *fn, int kind, double slope)
{
    if (kind < NN_ACTIVATION_IDENTITY || kind > NN_ACTIVATION_SOFTMAX) {
        return nn__fail(NN_EINVAL, "%s: unknown activation %d (see "
                        "nnblas/activation.h for the kinds)", fn, kind);
    }
    if (kind == NN_ACTIVATION_LEAKY_RELU && !(slope >= 0.0 && isfinite(slope))) {
        return nn__fail(NN_EINVAL, "%s: the leaky relu slope must be finite "
                        "and not negative, got %g", fn, slope);
    }
    return NN_OK;
}

#if NN_HAVE_LIBMVEC
/*
 * glibc's libmvec has vector versions of exp (at most 4 ulps off, against
 * libm's 1). Declaring exp callable on vectors lets GCC vectorize the
 * sigmoid loop without -ffast-math: with scalar exp it took 8 ns a value,
 * half a forward pass of a 1000-wide sigmoid layer at batch 64. NOTE: a
 * vectorized loop finishes its last few values with libm's exp, so the
 * last bit of a value can depend on where it sits in the array; results
 * still repeat exactly from run to run.
 */
__attribute__((simd("notinbranch"))) double exp(double);
#endif

/*
 * y = 1 / (1 + e) for z >= 0 and e / (1 + e) below, e = exp(-|z|): no
 * exp overflows, and both divide by a number in [1, 2], so the result is
 * accurate for every z and exactly 0 or 1 far out (z = -1000 gives 0, not
 * a NaN). Written without a branch so that the loop vectorizes.
 */
static void sigmoid_n(int64_t n, double *y)
{
    for (int64_t i = 0; i < n; i++) {
        double z = y[i], e = exp(-fabs(z));
        y[i] = (z >= 0.0 ? 1.0 : e) / (1.0 + e);
    }
}

/* Softmax of one row in place. Subtracting the maximum keeps every exp
 * in (0, 1], so nothing overflows and the sum is at least 1. */
static void softmax_row(int64_t cols, double *y)
{
    double max = y[0], sum = 0.0;

    for (int64_t j = 1; j < cols; j++) {
        max = y[j] > max ? y[j] : max;
    }
    for (int64_t j = 0; j < cols; j++) {
        y[j] = exp(y[j] - max);
        sum += y[j];
    }
    for (int64_t j = 0; j < cols; j++) {
        y[j] /= sum;
    }
}

/* f applied in place to n contiguous values (not softmax). */
static void apply(int kind, double slope, int64_t n, double *y)
{
    switch (kind) {
    case NN_ACTIVATION_SIGMOID:
        sigmoid_n(n, y);
        break;
    case NN_ACTIVATION_TANH:
        for (int64_t i = 0; i < n; i++) {
            y[i] = tanh(y[i]);
        }
        break;
    case NN_ACTIVATION_RELU:
        for (int64_t i = 0; i < n; i++) {
            y[i] = y[i] > 0.0 ? y[i] : 0.0;
        }
        break;
    case NN_ACTIVATION_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++) {
            y[i] = y[i] > 0.0 ? y[i] : slope * y[i];
        }
        break;
    default:
        break;
    }
}

void nn__activation_forward(int kind, double slope, int64_t rows,
                            int64_t cols, const double *z, double *y)
{
    if (y != z) {
        memcpy(y, z, (size_t)(rows * cols) * sizeof *y);
    }
    nn__bias_activation(kind, slope, rows, cols, NULL, y);
}

void nn__bias_activation(int kind, double slope, int64_t rows, int64_t cols,
                         const double *b, double *y)
{
    if (b == NULL && kind != NN_ACTIVATION_SOFTMAX) {
        apply(kind, slope, rows * cols, y);
        return;
    }

    /* Row by row, so each row is added to and activated while in cache. */
    for (int64_t i = 0; i < rows; i++) {
        double *yi = y + i * cols;
        if (b != NULL) {
            for (int64_t j = 0; j < cols; j++) {
                yi[j] += b[j];
            }
        }
        if (kind == NN_ACTIVATION_SOFTMAX) {
            softmax_row(cols, yi);
        } else {
            apply(kind, slope, cols, yi);
        }
    }
}

void nn__activation_backward(int kind, double slope, int64_t rows,
                             int64_t cols, const double *y, const double *dy,
                             double *dz)
{
    int64_t n = rows * cols;

    switch (kind) {
    case NN_ACTIVATION_IDENTITY:
        if (dz != dy) {
            memcpy(dz, dy, (size_t)n * sizeof *dz);
        }
        break;
    case NN_ACTIVATION_SIGMOID:
        for (int64_t i = 0; i < n; i++) {
            dz[i] = dy[i] * y[i] * (1.0 - y[i]);
        }
        break;
    case NN_ACTIVATION_TANH:
        for (int64_t i = 0; i < n; i++) {
            dz[i] = dy[i] * (1.0 - y[i] * y[i]);
        }
        break;
    case NN_ACTIVATION_RELU:
        /* NOTE: dy is read before the choice, which makes the choice a
         * select that vectorizes; a branch on the sign of y mispredicts
         * about half the time and cost 3 ns a value. */
        for (int64_t i = 0; i < n; i++) {
            double d = dy[i];
            dz[i] = y[i] > 0.0 ? d : 0.0;
        }
        break;
    case NN_ACTIVATION_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++) {
            dz[i] = y[i] > 0.0 ? dy[i] : slope * dy[i];
        }
        break;
    case NN_ACTIVATION_SOFTMAX:
        for (int64_t r = 0; r < rows; r++) {
            const double *yr = y + r * cols, *dyr = dy + r * cols;
            double *dzr = dz + r * cols;
            double dot = 0.0;
            for (int64_t j = 0; j < cols; j++) {
                dot += dyr[j] * yr[j];
            }
            for (int64_t j = 0; j < cols; j++) {
                dzr[j] = yr[j] * (dyr[j] - dot);
            }
        }
        break;
    default:
        break;
    }
}

static nn_status check_arrays(const char *fn, int kind, double slope,
                              int64_t rows, int64_t cols, const void *a,
                              const void *b, const void *c)
{
    nn_status s = nn__check_activation(fn, kind, slope);
    size_t bytes;

    if (s != NN_OK) {
        return s;
    }
    if (a == NULL || b == NULL || c == NULL) {
        return nn__fail(NN_EINVAL, "%s: an array argument is NULL", fn);
    }
    if (rows < 1 || cols < 1) {
        return nn__fail(NN_EINVAL, "%s: rows and cols must be at least 1, "
                        "got %lldx%lld", fn, (long long)rows, (long long)cols);
    }
    if (nn__size_mul(rows, cols, sizeof(double), &bytes) != 0) {
        return nn__fail(NN_ERANGE, "%s: %lldx%lld is too large", fn,
                        (long long)rows, (long long)cols);
    }
    return NN_OK;
}

nn_status nn_activation_forward(int kind, double slope, int64_t rows,
                                int64_t cols, const double *z, double *y)
{
    nn_status s = check_arrays("nn_activation_forward", kind, slope, rows,
                               cols, z, y, y);

    if (s == NN_OK) {
        nn__activation_forward(kind, slope, rows, cols, z, y);
    }
    return s;
}

nn_status nn_activation_backward(int kind, double slope, int64_t rows,
                                 int64_t cols, const double *y,
                                 const double *dy, double *dz)
{
    nn_status s = check_arrays("nn_activation_backward", kind, slope, rows,
                               cols, y, dy, dz);

    if (s == NN_OK) {
        nn__activation_backward(kind, slope, rows, cols, y, dy, dz);
    }
    return s;
}
