/*
 * Loss functions: value and gradient (formulas in nnblas/loss.h). Each
 * kernel reads pred[i] before writing grad[i], so grad may alias pred.
 */
#include <math.h>

#include "internal.h"

#define EPS NN_LOSS_EPSILON

double nn_loss_epsilon(void)
{
    return EPS;
}

const char *nn_loss_name(int kind)
{
    switch (kind) {
    case NN_LOSS_MSE: return "mean_squared_error";
    case NN_LOSS_MAE: return "mean_absolute_error";
    case NN_LOSS_BCE: return "binary_crossentropy";
    case NN_LOSS_BCE_LOGITS: return "binary_crossentropy_from_logits";
    case NN_LOSS_CCE: return "categorical_crossentropy";
    case NN_LOSS_CCE_LOGITS: return "categorical_crossentropy_from_logits";
    default: return "unknown";
    }
}

static double clip(double p)
{
    return p < EPS ? EPS : p > 1.0 - EPS ? 1.0 - EPS : p;
}

static double mse(int64_t n, const double *p, const double *t, double *grad)
{
    double sum = 0.0, scale = 2.0 / (double)n;

    for (int64_t i = 0; i < n; i++) {
        double d = p[i] - t[i];
        sum += d * d;
        if (grad != NULL) {
            grad[i] = scale * d;
        }
    }
    return sum / (double)n;
}

static double mae(int64_t n, const double *p, const double *t, double *grad)
{
    double sum = 0.0, scale = 1.0 / (double)n;

    for (int64_t i = 0; i < n; i++) {
        double d = p[i] - t[i];
        sum += fabs(d);
        if (grad != NULL) {
            grad[i] = d > 0.0 ? scale : d < 0.0 ? -scale : 0.0;
        }
    }
    return sum / (double)n;
}

static double bce(int64_t n, const double *p, const double *t, double *grad)
{
    double sum = 0.0, scale = 1.0 / (double)n;

    for (int64_t i = 0; i < n; i++) {
        double q = clip(p[i]), ti = t[i];
        sum -= ti * log(q) + (1.0 - ti) * log1p(-q);
        if (grad != NULL) {
            grad[i] = scale * (p[i] - ti) / (q * (1.0 - q));
        }
    }
    return sum / (double)n;
}

/* log(1 + exp(-|z|)) never overflows; max(z, 0) - z t carries the rest. */
static double bce_logits(int64_t n, const double *z, const double *t,
                         double *grad)
{
    double sum = 0.0, scale = 1.0 / (double)n;

    for (int64_t i = 0; i < n; i++) {
        double zi = z[i], ti = t[i], e = exp(-fabs(zi));
        sum += (zi > 0.0 ? zi : 0.0) - zi * ti + log1p(e);
        if (grad != NULL) {
            double s = zi >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            grad[i] = scale * (s - ti);
        }
    }
    return sum / (double)n;
}

static double cce(int64_t rows, int64_t cols, const double *p, const double *t,
                  double *grad)
{
    double sum = 0.0, scale = 1.0 / (double)rows;
    int64_t n = rows * cols;

    for (int64_t i = 0; i < n; i++) {
        double q = clip(p[i]);
        sum -= t[i] * log(q);
        if (grad != NULL) {
            grad[i] = -scale * t[i] / q;
        }
    }
    return sum / (double)rows;
}

/* Per row: lse = m + log sum exp(z - m) with m the row maximum, so every
 * exp is at most 1 and the log's argument at least 1. */
static double cce_logits(int64_t rows, int64_t cols, const double *z,
                         const double *t, double *grad)
{
    double sum = 0.0, scale = 1.0 / (double)rows;

    for (int64_t r = 0; r < rows; r++) {
        const double *zr = z + r * cols, *tr = t + r * cols;
        double max = zr[0], total = 0.0, tsum = 0.0, lse;

        for (int64_t j = 1; j < cols; j++) {
            max = zr[j] > max ? zr[j] : max;
        }
        for (int64_t j = 0; j < cols; j++) {
            total += exp(zr[j] - max);
            tsum += tr[j];
        }
        lse = max + log(total);
        for (int64_t j = 0; j < cols; j++) {
            sum += tr[j] * (lse - zr[j]);
            if (grad != NULL) {
                double *g = grad + r * cols;
                g[j] = scale * (exp(zr[j] - lse) * tsum - tr[j]);
            }
        }
    }
    return sum / (double)rows;
}

void nn__loss(int kind, int64_t rows, int64_t cols, const double *pred,
              const double *target, double *value, double *grad)
{
    int64_t n = rows * cols;
    double v;

    switch (kind) {
    case NN_LOSS_MSE: v = mse(n, pred, target, grad); break;
    case NN_LOSS_MAE: v = mae(n, pred, target, grad); break;
    case NN_LOSS_BCE: v = bce(n, pred, target, grad); break;
    case NN_LOSS_BCE_LOGITS: v = bce_logits(n, pred, target, grad); break;
    case NN_LOSS_CCE: v = cce(rows, cols, pred, target, grad); break;
    default: v = cce_logits(rows, cols, pred, target, grad); break;
    }
    if (value != NULL) {
        *value = v;
    }
}

static nn_status check_loss(const char *fn, int kind, int64_t rows,
                            int64_t cols, const double *pred,
                            const double *target, const double *value,
                            const double *grad)
{
    size_t bytes;

    if (kind < NN_LOSS_MSE || kind > NN_LOSS_CCE_LOGITS) {
        return nn__fail(NN_EINVAL, "%s: unknown loss %d (see nnblas/loss.h)",
                        fn, kind);
    }
    if (pred == NULL || target == NULL) {
        return nn__fail(NN_EINVAL, "%s: %s is NULL", fn,
                        pred == NULL ? "pred" : "target");
    }
    if (value == NULL && grad == NULL) {
        return nn__fail(NN_EINVAL, "%s: value and grad are both NULL; ask "
                        "for at least one", fn);
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

nn_status nn_loss_compute(int kind, int64_t rows, int64_t cols,
                          const double *pred, const double *target,
                          double *value, double *grad)
{
    nn_status s = check_loss("nn_loss_compute", kind, rows, cols, pred,
                             target, value, grad);

    if (s == NN_OK) {
        nn__loss(kind, rows, cols, pred, target, value, grad);
    }
    return s;
}

/* The named entry points differ only in kind and in the name their
 * messages carry. */
#define NAMED_LOSS(name, kind)                                              \
    nn_status name(int64_t rows, int64_t cols, const double *pred,         \
                   const double *target, double *value, double *grad)      \
    {                                                                       \
        nn_status s = check_loss(#name, kind, rows, cols, pred, target,     \
                                 value, grad);                              \
        if (s == NN_OK) {                                                   \
            nn__loss(kind, rows, cols, pred, target, value, grad);          \
        }                                                                   \
        return s;                                                           \
    }

NAMED_LOSS(nn_loss_mse, NN_LOSS_MSE)
NAMED_LOSS(nn_loss_mae, NN_LOSS_MAE)
NAMED_LOSS(nn_loss_bce, NN_LOSS_BCE)
NAMED_LOSS(nn_loss_bce_logits, NN_LOSS_BCE_LOGITS)
NAMED_LOSS(nn_loss_cce, NN_LOSS_CCE)
NAMED_LOSS(nn_loss_cce_logits, NN_LOSS_CCE_LOGITS)
