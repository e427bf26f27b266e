/*
 * Weight initializers: constants, uniform and normal draws, the
 * variance-scaling family, and orthogonal matrices through LAPACKE.
 */
#include <math.h>
#include <string.h>

#include <lapacke.h>

#include "internal.h"

/* The standard deviation of a unit normal truncated to [-2, 2]. */
#define TRUNCATED_SD 0.87962566103423978

const char *nn_init_name(int kind)
{
    switch (kind) {
    case NN_INIT_ZEROS: return "zeros";
    case NN_INIT_ONES: return "ones";
    case NN_INIT_CONSTANT: return "constant";
    case NN_INIT_UNIFORM: return "uniform";
    case NN_INIT_NORMAL: return "normal";
    case NN_INIT_GLOROT_UNIFORM: return "glorot_uniform";
    case NN_INIT_GLOROT_NORMAL: return "glorot_normal";
    case NN_INIT_HE_UNIFORM: return "he_uniform";
    case NN_INIT_HE_NORMAL: return "he_normal";
    case NN_INIT_LECUN_UNIFORM: return "lecun_uniform";
    case NN_INIT_LECUN_NORMAL: return "lecun_normal";
    case NN_INIT_ORTHOGONAL: return "orthogonal";
    default: return "unknown";
    }
}

double nn_init_default_param(int kind)
{
    switch (kind) {
    case NN_INIT_UNIFORM:
    case NN_INIT_NORMAL:
        return 0.05;
    case NN_INIT_CONSTANT:
        return 0.0;
    default:
        return kind >= NN_INIT_ZEROS && kind <= NN_INIT_ORTHOGONAL ? 1.0 : NAN;
    }
}

/* The variance s of a variance-scaling kind (table in nnblas/init.h). */
static double scale_of(int kind, int64_t fan_in, int64_t fan_out)
{
    switch (kind) {
    case NN_INIT_GLOROT_UNIFORM:
    case NN_INIT_GLOROT_NORMAL:
        return 2.0 / (double)(fan_in + fan_out);
    case NN_INIT_HE_UNIFORM:
    case NN_INIT_HE_NORMAL:
        return 2.0 / (double)fan_in;
    default:
        return 1.0 / (double)fan_in;
    }
}

static void fill_truncated(nn_rng *rng, size_t n, double sd, double *w)
{
    size_t i = 0;

    /* Each accepted draw is used; a draw beyond 2 sd is replaced. */
    while (i < n) {
        double pair[2];
        nn__rng_normal_pair(rng, &pair[0], &pair[1]);
        for (int j = 0; j < 2 && i < n; j++) {
            if (fabs(pair[j]) <= 2.0) {
                w[i++] = sd * pair[j];
            }
        }
    }
}

/*
 * Fills w with gain times a matrix whose columns (fan_in >= fan_out) or
 * rows (fan_in < fan_out) are orthonormal: Q of the QR factorisation of a
 * tall normal matrix, with column signs taken from diag(R) so that the
 * distribution is uniform over orthogonal matrices.
 */
static nn_status fill_orthogonal(double gain, int64_t fan_in, int64_t fan_out,
                                 nn_rng *rng, double *w)
{
    int64_t r = fan_in >= fan_out ? fan_in : fan_out;
    int64_t c = fan_in >= fan_out ? fan_out : fan_in;
    double query, *a, *tau, *sign, *work;
    lapack_int lwork, info;
    size_t count;

    /* Workspace size: one query covers both dgeqrf and dorgqr. */
    info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)r, (lapack_int)c,
                               NULL, (lapack_int)r, NULL, &query, -1);
    if (info != 0 || !(query < (double)NN__BLAS_INT_MAX)) {
        return nn__fail(NN_EINTERNAL, "nn_init_fill: LAPACK dgeqrf workspace "
                        "query failed (info %d)", (int)info);
    }
    lwork = (lapack_int)query > c ? (lapack_int)query : (lapack_int)c;
    /* r * c itself fits (each is below 2^31); the total in bytes might not. */
    count = (size_t)r * (size_t)c + 2 * (size_t)c + (size_t)lwork;
    if (count > SIZE_MAX / sizeof(double)) {
        return nn__fail(NN_ERANGE, "nn_init_fill: a %lldx%lld orthogonal "
                        "matrix does not fit in memory", (long long)fan_in,
                        (long long)fan_out);
    }
    a = nn__alloc(count * sizeof(double));
    if (a == NULL) {
        return nn__fail(NN_ENOMEM, "nn_init_fill: cannot allocate workspace "
                        "for a %lldx%lld orthogonal matrix", (long long)fan_in,
                        (long long)fan_out);
    }
    tau = a + r * c;
    sign = tau + c;
    work = sign + c;

    /* Factorise a normal r x c matrix (column-major: LAPACK's own layout,
     * so LAPACKE copies nothing) and form its Q in place. */
    for (int64_t i = 0; i < r * c; i += 2) {
        double p, q;
        nn__rng_normal_pair(rng, &p, &q);
        a[i] = p;
        if (i + 1 < r * c) {
            a[i + 1] = q;
        }
    }
    info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, (lapack_int)r, (lapack_int)c,
                               a, (lapack_int)r, tau, work, lwork);
    for (int64_t j = 0; info == 0 && j < c; j++) {
        sign[j] = a[j + j * r] < 0.0 ? -gain : gain;
    }
    if (info == 0) {
        info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, (lapack_int)r,
                                   (lapack_int)c, (lapack_int)c, a,
                                   (lapack_int)r, tau, work, lwork);
    }
    if (info != 0) {
        nn__free(a);
        return nn__fail(NN_EINTERNAL, "nn_init_fill: LAPACK QR of a %lldx%lld "
                        "matrix failed (info %d)", (long long)r, (long long)c,
                        (int)info);
    }

    /* Column-major Q (r x c) read row-major is Q^T (c x r): that is w
     * itself when fan_in < fan_out, and needs a transpose otherwise. */
    for (int64_t j = 0; j < c; j++) {
        for (int64_t i = 0; i < r; i++) {
            a[i + j * r] *= sign[j];
        }
    }
    if (fan_in < fan_out) {
        memcpy(w, a, (size_t)(r * c) * sizeof(double));
    } else {
        for (int64_t i = 0; i < r; i++) {
            for (int64_t j = 0; j < c; j++) {
                w[i * c + j] = a[i + j * r];
            }
        }
    }
    nn__free(a);
    return NN_OK;
}

static nn_status check_init(int kind, double param, int64_t fan_in,
                            int64_t fan_out, const nn_rng *rng, const double *w,
                            size_t *count)
{
    const char *fn = "nn_init_fill";

    if (w == NULL) {
        return nn__fail(NN_EINVAL, "%s: w is NULL", fn);
    }
    if (kind < NN_INIT_ZEROS || kind > NN_INIT_ORTHOGONAL) {
        return nn__fail(NN_EINVAL, "%s: unknown initializer %d (see "
                        "nnblas/init.h for the kinds)", fn, kind);
    }
    if (rng == NULL && kind > NN_INIT_CONSTANT) {
        return nn__fail(NN_EINVAL, "%s: the %s initializer draws random "
                        "numbers, but rng is NULL", fn, nn_init_name(kind));
    }
    if (fan_in < 1 || fan_out < 1) {
        return nn__fail(NN_EINVAL, "%s: fan_in and fan_out must be at least "
                        "1, got %lld and %lld", fn, (long long)fan_in,
                        (long long)fan_out);
    }
    if (fan_in > NN__BLAS_INT_MAX || fan_out > NN__BLAS_INT_MAX
        || nn__size_mul(fan_in, fan_out, sizeof(double), count) != 0) {
        return nn__fail(NN_ERANGE, "%s: a %lldx%lld matrix is too large", fn,
                        (long long)fan_in, (long long)fan_out);
    }
    *count /= sizeof(double);
    if (!isfinite(param)
        || ((kind == NN_INIT_UNIFORM || kind == NN_INIT_NORMAL) && param < 0)) {
        return nn__fail(NN_EINVAL, "%s: param of the %s initializer must be "
                        "finite%s, got %g", fn, nn_init_name(kind),
                        kind == NN_INIT_UNIFORM || kind == NN_INIT_NORMAL
                            ? " and not negative" : "", param);
    }
    return NN_OK;
}

nn_status nn_init_fill(int kind, double param, int64_t fan_in, int64_t fan_out,
                       nn_rng *rng, double *w)
{
    size_t n;
    nn_status s = check_init(kind, param, fan_in, fan_out, rng, w, &n);

    if (s != NN_OK) {
        return s;
    }
    switch (kind) {
    case NN_INIT_ZEROS:
    case NN_INIT_ONES:
    case NN_INIT_CONSTANT: {
        double value = kind == NN_INIT_ZEROS ? 0.0
                       : kind == NN_INIT_ONES ? 1.0 : param;
        for (size_t i = 0; i < n; i++) {
            w[i] = value;
        }
        return NN_OK;
    }
    case NN_INIT_UNIFORM:
        return nn_rng_uniform(rng, (int64_t)n, -param, param, w);
    case NN_INIT_NORMAL:
        return nn_rng_normal(rng, (int64_t)n, 0.0, param, w);
    case NN_INIT_GLOROT_UNIFORM:
    case NN_INIT_HE_UNIFORM:
    case NN_INIT_LECUN_UNIFORM: {
        double limit = sqrt(3.0 * scale_of(kind, fan_in, fan_out));
        return nn_rng_uniform(rng, (int64_t)n, -limit, limit, w);
    }
    case NN_INIT_ORTHOGONAL:
        return fill_orthogonal(param, fan_in, fan_out, rng, w);
    default:
        fill_truncated(rng, n, sqrt(scale_of(kind, fan_in, fan_out))
                                   / TRUNCATED_SD, w);
        return NN_OK;
    }
}
