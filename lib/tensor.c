/*
 * Row-major double tensors and the checked entry points to the matrix
 * product.
 */
#include <string.h>

#include "internal.h"

struct nn_tensor {
    int64_t rows;
    int64_t cols;
    int64_t ld;
    double *data;
    int owns;            /* data sits in this allocation, after the header */
};

/* Header padded so the data that follows it starts 64-byte aligned
 * relative to the block. */
#define HEADER_SIZE ((sizeof(struct nn_tensor) + 63) & ~(size_t)63)

static nn_status check_dims(const char *fn, int64_t rows, int64_t cols)
{
    nn_status s = nn__check_size(fn, "rows", rows);

    if (s == NN_OK) {
        s = nn__check_size(fn, "cols", cols);
    }
    return s;
}

nn_status nn_tensor_new(nn_tensor **out, int64_t rows, int64_t cols)
{
    struct nn_tensor *t;
    size_t bytes;
    nn_status s;

    if (out == NULL) {
        return nn__fail(NN_EINVAL, "nn_tensor_new: out is NULL");
    }
    *out = NULL;
    if ((s = check_dims("nn_tensor_new", rows, cols)) != NN_OK) {
        return s;
    }
    if (nn__size_mul(rows, cols, sizeof(double), &bytes) != 0
        || bytes > SIZE_MAX - HEADER_SIZE) {
        return nn__fail(NN_ERANGE, "nn_tensor_new: %lldx%lld doubles do not "
                        "fit in memory", (long long)rows, (long long)cols);
    }

    t = nn__alloc_zero(HEADER_SIZE + bytes);
    if (t == NULL) {
        return nn__fail(NN_ENOMEM, "nn_tensor_new: cannot allocate %lldx%lld "
                        "doubles", (long long)rows, (long long)cols);
    }
    t->rows = rows;
    t->cols = cols;
    t->ld = cols;
    t->data = (double *)((char *)t + HEADER_SIZE);
    t->owns = 1;
    *out = t;
    return NN_OK;
}

static nn_status make_borrowed(const char *fn, nn_tensor **out, int64_t rows,
                               int64_t cols, int64_t ld, double *data)
{
    struct nn_tensor *t = nn__alloc(sizeof *t);

    if (t == NULL) {
        return nn__fail(NN_ENOMEM, "%s: cannot allocate the tensor header", fn);
    }
    t->rows = rows;
    t->cols = cols;
    t->ld = ld;
    t->data = data;
    t->owns = 0;
    *out = t;
    return NN_OK;
}

nn_status nn_tensor_wrap(nn_tensor **out, int64_t rows, int64_t cols,
                         int64_t ld, double *data)
{
    size_t bytes;
    nn_status s;

    if (out == NULL) {
        return nn__fail(NN_EINVAL, "nn_tensor_wrap: out is NULL");
    }
    *out = NULL;
    if (data == NULL) {
        return nn__fail(NN_EINVAL, "nn_tensor_wrap: data is NULL");
    }
    if ((s = check_dims("nn_tensor_wrap", rows, cols)) != NN_OK) {
        return s;
    }
    if (ld < cols) {
        return nn__fail(NN_EINVAL, "nn_tensor_wrap: ld (%lld) is less than "
                        "cols (%lld); rows would overlap", (long long)ld,
                        (long long)cols);
    }
    if ((s = nn__check_size("nn_tensor_wrap", "ld", ld)) != NN_OK) {
        return s;
    }
    if (nn__size_mul(rows, ld, sizeof(double), &bytes) != 0) {
        return nn__fail(NN_ERANGE, "nn_tensor_wrap: %lld rows of ld %lld do "
                        "not fit in memory", (long long)rows, (long long)ld);
    }
    return make_borrowed("nn_tensor_wrap", out, rows, cols, ld, data);
}

nn_status nn_tensor_view(nn_tensor **out, const nn_tensor *parent,
                         int64_t row0, int64_t col0, int64_t rows,
                         int64_t cols)
{
    nn_status s;

    if (out == NULL) {
        return nn__fail(NN_EINVAL, "nn_tensor_view: out is NULL");
    }
    *out = NULL;
    if (parent == NULL) {
        return nn__fail(NN_EINVAL, "nn_tensor_view: parent is NULL");
    }
    if ((s = check_dims("nn_tensor_view", rows, cols)) != NN_OK) {
        return s;
    }
    if (row0 < 0 || col0 < 0 || row0 > parent->rows - rows
        || col0 > parent->cols - cols) {
        return nn__fail(NN_ESHAPE, "nn_tensor_view: a %lldx%lld block at "
                        "(%lld, %lld) does not fit in a %lldx%lld tensor",
                        (long long)rows, (long long)cols, (long long)row0,
                        (long long)col0, (long long)parent->rows,
                        (long long)parent->cols);
    }
    return make_borrowed("nn_tensor_view", out, rows, cols, parent->ld,
                         parent->data + row0 * parent->ld + col0);
}

void nn_tensor_free(nn_tensor *t)
{
    nn__free(t);
}

int64_t nn_tensor_rows(const nn_tensor *t) { return t != NULL ? t->rows : 0; }
int64_t nn_tensor_cols(const nn_tensor *t) { return t != NULL ? t->cols : 0; }
int64_t nn_tensor_ld(const nn_tensor *t) { return t != NULL ? t->ld : 0; }
double *nn_tensor_data(const nn_tensor *t) { return t != NULL ? t->data : NULL; }

static nn_status check_index(const char *fn, const nn_tensor *t, int64_t i,
                             int64_t j)
{
    if (t == NULL) {
        return nn__fail(NN_EINVAL, "%s: the tensor is NULL", fn);
    }
    if (i < 0 || i >= t->rows || j < 0 || j >= t->cols) {
        return nn__fail(NN_ESHAPE, "%s: (%lld, %lld) is outside a %lldx%lld "
                        "tensor", fn, (long long)i, (long long)j,
                        (long long)t->rows, (long long)t->cols);
    }
    return NN_OK;
}

nn_status nn_tensor_get(const nn_tensor *t, int64_t i, int64_t j, double *value)
{
    nn_status s = check_index("nn_tensor_get", t, i, j);

    if (s != NN_OK) {
        return s;
    }
    if (value == NULL) {
        return nn__fail(NN_EINVAL, "nn_tensor_get: value is NULL");
    }
    *value = t->data[i * t->ld + j];
    return NN_OK;
}

nn_status nn_tensor_set(nn_tensor *t, int64_t i, int64_t j, double value)
{
    nn_status s = check_index("nn_tensor_set", t, i, j);

    if (s == NN_OK) {
        t->data[i * t->ld + j] = value;
    }
    return s;
}

nn_status nn_tensor_fill(nn_tensor *t, double value)
{
    if (t == NULL) {
        return nn__fail(NN_EINVAL, "nn_tensor_fill: the tensor is NULL");
    }
    for (int64_t i = 0; i < t->rows; i++) {
        double *row = t->data + i * t->ld;
        for (int64_t j = 0; j < t->cols; j++) {
            row[j] = value;
        }
    }
    return NN_OK;
}

static nn_status check_same_shape(const char *fn, const char *name_a,
                                  const nn_tensor *a, const char *name_b,
                                  const nn_tensor *b)
{
    if (a == NULL || b == NULL) {
        return nn__fail(NN_EINVAL, "%s: %s is NULL", fn,
                        a == NULL ? name_a : name_b);
    }
    if (a->rows != b->rows || a->cols != b->cols) {
        return nn__fail(NN_ESHAPE, "%s: %s is %lldx%lld but %s is %lldx%lld",
                        fn, name_a, (long long)a->rows, (long long)a->cols,
                        name_b, (long long)b->rows, (long long)b->cols);
    }
    return NN_OK;
}

nn_status nn_tensor_copy(nn_tensor *dst, const nn_tensor *src)
{
    nn_status s = check_same_shape("nn_tensor_copy", "dst", dst, "src", src);

    if (s != NN_OK) {
        return s;
    }
    for (int64_t i = 0; i < dst->rows; i++) {
        memmove(dst->data + i * dst->ld, src->data + i * src->ld,
                (size_t)dst->cols * sizeof(double));
    }
    return NN_OK;
}

nn_status nn_tensor_scale(nn_tensor *t, double alpha)
{
    if (t == NULL) {
        return nn__fail(NN_EINVAL, "nn_tensor_scale: the tensor is NULL");
    }
    for (int64_t i = 0; i < t->rows; i++) {
        double *row = t->data + i * t->ld;
        for (int64_t j = 0; j < t->cols; j++) {
            row[j] *= alpha;
        }
    }
    return NN_OK;
}

nn_status nn_tensor_axpy(nn_tensor *y, double alpha, const nn_tensor *x)
{
    nn_status s = check_same_shape("nn_tensor_axpy", "y", y, "x", x);

    if (s != NN_OK) {
        return s;
    }
    for (int64_t i = 0; i < y->rows; i++) {
        double *yi = y->data + i * y->ld;
        const double *xi = x->data + i * x->ld;
        for (int64_t j = 0; j < y->cols; j++) {
            yi[j] += alpha * xi[j];
        }
    }
    return NN_OK;
}

/* The bytes a tensor's elements span, for the overlap check. */
static void span(const nn_tensor *t, const char **lo, const char **hi)
{
    *lo = (const char *)t->data;
    *hi = (const char *)(t->data + (t->rows - 1) * t->ld + t->cols);
}

static int overlaps(const nn_tensor *a, const nn_tensor *b)
{
    const char *alo, *ahi, *blo, *bhi;

    span(a, &alo, &ahi);
    span(b, &blo, &bhi);
    return alo < bhi && blo < ahi;
}

/* Shared checks of nn_tensor_matmul and its naive twin. */
static nn_status check_matmul(const char *fn, const nn_tensor *c,
                              const nn_tensor *a, int trans_a,
                              const nn_tensor *b, int trans_b)
{
    int64_t m, k, kb, n;

    if (c == NULL || a == NULL || b == NULL) {
        return nn__fail(NN_EINVAL, "%s: tensor %s is NULL", fn,
                        c == NULL ? "c" : a == NULL ? "a" : "b");
    }
    if ((trans_a != NN_TRANS_NO && trans_a != NN_TRANS_YES)
        || (trans_b != NN_TRANS_NO && trans_b != NN_TRANS_YES)) {
        return nn__fail(NN_EINVAL, "%s: transpose flags must be NN_TRANS_NO "
                        "(0) or NN_TRANS_YES (1), got %d and %d", fn, trans_a,
                        trans_b);
    }
    m = trans_a ? a->cols : a->rows;
    k = trans_a ? a->rows : a->cols;
    kb = trans_b ? b->cols : b->rows;
    n = trans_b ? b->rows : b->cols;
    if (k != kb) {
        return nn__fail(NN_ESHAPE, "%s: op(a) is %lldx%lld%s but op(b) is "
                        "%lldx%lld%s; the inner sizes %lld and %lld must "
                        "agree", fn, (long long)m, (long long)k,
                        trans_a ? " (a transposed)" : "", (long long)kb,
                        (long long)n, trans_b ? " (b transposed)" : "",
                        (long long)k, (long long)kb);
    }
    if (c->rows != m || c->cols != n) {
        return nn__fail(NN_ESHAPE, "%s: op(a) op(b) is %lldx%lld but c is "
                        "%lldx%lld", fn, (long long)m, (long long)n,
                        (long long)c->rows, (long long)c->cols);
    }
    if (overlaps(c, a) || overlaps(c, b)) {
        return nn__fail(NN_EINVAL, "%s: c shares memory with %s; write the "
                        "product to a separate tensor", fn,
                        overlaps(c, a) ? "a" : "b");
    }
    return NN_OK;
}

/* The product of the pass that this pair of flags belongs to in a layer. */
static int pass_of(int trans_a, int trans_b)
{
    if (trans_a && !trans_b) {
        return NN_PASS_WEIGHTS;
    }
    if (!trans_a && trans_b) {
        return NN_PASS_INPUTS;
    }
    return NN_PASS_FORWARD;
}

nn_status nn_tensor_matmul(nn_tensor *c, double alpha, const nn_tensor *a,
                           int trans_a, const nn_tensor *b, int trans_b,
                           double beta)
{
    nn_status s = check_matmul("nn_tensor_matmul", c, a, trans_a, b, trans_b);

    if (s != NN_OK) {
        return s;
    }
    nn__gemm(pass_of(trans_a, trans_b), trans_a, trans_b, c->rows, c->cols,
             trans_a ? a->rows : a->cols, alpha, a->data, a->ld, b->data,
             b->ld, beta, c->data, c->ld);
    return NN_OK;
}

nn_status nn_tensor_matmul_naive(nn_tensor *c, double alpha,
                                 const nn_tensor *a, int trans_a,
                                 const nn_tensor *b, int trans_b, double beta)
{
    nn_status s = check_matmul("nn_tensor_matmul_naive", c, a, trans_a, b,
                               trans_b);

    if (s != NN_OK) {
        return s;
    }
    nn__gemm_naive(trans_a, trans_b, c->rows, c->cols,
                   trans_a ? a->rows : a->cols, alpha, a->data, a->ld,
                   b->data, b->ld, beta, c->data, c->ld);
    return NN_OK;
}
