/*
 * The dense layer: y = f(x W + b), with its backward pass.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

nn_status nn_dense_opts_init(nn_dense_opts *opts, int64_t units, int activation)
{
    if (opts == NULL) {
        return nn__fail(NN_EINVAL, "nn_dense_opts_init: opts is NULL");
    }
    opts->units = units;
    opts->activation = activation;
    opts->use_bias = 1;
    opts->slope = NN_LEAKY_SLOPE_DEFAULT;
    opts->kernel_init = NN_INIT_GLOROT_UNIFORM;
    opts->kernel_param = nn_init_default_param(NN_INIT_GLOROT_UNIFORM);
    opts->bias_init = NN_INIT_ZEROS;
    opts->bias_param = nn_init_default_param(NN_INIT_ZEROS);
    return NN_OK;
}

static nn_status check_init_kind(const char *fn, const char *what,
                                 int64_t kind, double param)
{
    if (kind < NN_INIT_ZEROS || kind > NN_INIT_ORTHOGONAL) {
        return nn__fail(NN_EINVAL, "%s: unknown %s initializer %lld (see "
                        "nnblas/init.h)", fn, what, (long long)kind);
    }
    if (!isfinite(param)
        || ((kind == NN_INIT_UNIFORM || kind == NN_INIT_NORMAL) && param < 0)) {
        return nn__fail(NN_EINVAL, "%s: the %s initializer's param must be "
                        "finite (and not negative for uniform and normal), "
                        "got %g", fn, what, param);
    }
    return NN_OK;
}

nn_status nn__dense_check_opts(const char *fn, int64_t inputs,
                               const nn_dense_opts *opts)
{
    nn_status s;
    size_t bytes;

    if (opts == NULL) {
        return nn__fail(NN_EINVAL, "%s: opts is NULL", fn);
    }
    if ((s = nn__check_size(fn, "inputs", inputs)) != NN_OK
        || (s = nn__check_size(fn, "units", opts->units)) != NN_OK) {
        return s;
    }
    if (nn__size_mul(inputs + 1, opts->units, 2 * sizeof(double), &bytes) != 0) {
        return nn__fail(NN_ERANGE, "%s: a %lldx%lld layer does not fit in "
                        "memory", fn, (long long)inputs, (long long)opts->units);
    }
    if (opts->activation < INT32_MIN || opts->activation > INT32_MAX
        || (s = nn__check_activation(fn, (int)opts->activation,
                                     opts->slope)) != NN_OK) {
        return s != NN_OK ? s : nn__fail(NN_EINVAL, "%s: unknown activation "
                                         "%lld", fn, (long long)opts->activation);
    }
    if (opts->use_bias != 0 && opts->use_bias != 1) {
        return nn__fail(NN_EINVAL, "%s: use_bias must be 0 or 1, got %lld", fn,
                        (long long)opts->use_bias);
    }
    if ((s = check_init_kind(fn, "kernel", opts->kernel_init,
                             opts->kernel_param)) != NN_OK) {
        return s;
    }
    return check_init_kind(fn, "bias", opts->bias_init, opts->bias_param);
}

static int64_t param_count(int64_t inputs, const nn_dense_opts *opts)
{
    return (inputs + (opts->use_bias ? 1 : 0)) * opts->units;
}

void nn__dense_setup(struct nn_dense *layer, int64_t inputs,
                     const nn_dense_opts *opts, double *params, double *grads)
{
    layer->inputs = inputs;
    layer->units = opts->units;
    layer->activation = opts->activation;
    layer->use_bias = opts->use_bias;
    layer->slope = opts->slope;
    layer->kernel_init = opts->kernel_init;
    layer->kernel_param = opts->kernel_param;
    layer->bias_init = opts->bias_init;
    layer->bias_param = opts->bias_param;
    layer->params = params;
    layer->grads = grads;
    layer->owns = 0;
}

/* Object header padded to keep the arrays that follow it 64-byte aligned
 * relative to the block. */
#define HEADER_SIZE ((sizeof(struct nn_dense) + 63) & ~(size_t)63)

nn_status nn_dense_new(nn_dense **out, int64_t inputs, const nn_dense_opts *opts)
{
    struct nn_dense *layer;
    nn_status s;
    int64_t count;

    if (out == NULL) {
        return nn__fail(NN_EINVAL, "nn_dense_new: out is NULL");
    }
    *out = NULL;
    if ((s = nn__dense_check_opts("nn_dense_new", inputs, opts)) != NN_OK) {
        return s;
    }

    /* One block: header, parameters, gradients (sizes checked above). */
    count = nn__round8(param_count(inputs, opts));
    layer = nn__alloc_zero(HEADER_SIZE + 2 * (size_t)count * sizeof(double));
    if (layer == NULL) {
        return nn__fail(NN_ENOMEM, "nn_dense_new: cannot allocate a %lldx%lld "
                        "layer", (long long)inputs, (long long)opts->units);
    }
    nn__dense_setup(layer, inputs, opts,
                    (double *)((char *)layer + HEADER_SIZE),
                    (double *)((char *)layer + HEADER_SIZE) + count);
    layer->owns = 1;
    *out = layer;
    return NN_OK;
}

nn_status nn_dense_wrap(nn_dense **out, int64_t inputs,
                        const nn_dense_opts *opts, double *params,
                        double *grads)
{
    struct nn_dense *layer;
    nn_status s;

    if (out == NULL) {
        return nn__fail(NN_EINVAL, "nn_dense_wrap: out is NULL");
    }
    *out = NULL;
    if (params == NULL) {
        return nn__fail(NN_EINVAL, "nn_dense_wrap: params is NULL");
    }
    if ((s = nn__dense_check_opts("nn_dense_wrap", inputs, opts)) != NN_OK) {
        return s;
    }
    layer = nn__alloc(sizeof *layer);
    if (layer == NULL) {
        return nn__fail(NN_ENOMEM, "nn_dense_wrap: cannot allocate the layer");
    }
    nn__dense_setup(layer, inputs, opts, params, grads);
    *out = layer;
    return NN_OK;
}

void nn_dense_free(nn_dense *layer)
{
    nn__free(layer);
}

nn_status nn_dense_init(nn_dense *layer, nn_rng *rng)
{
    double *saved = NULL;
    size_t w_bytes;
    nn_rng start;
    nn_status s;

    if (layer == NULL || rng == NULL) {
        return nn__fail(NN_EINVAL, "nn_dense_init: %s is NULL",
                        layer == NULL ? "layer" : "rng");
    }

    /* An orthogonal bias can still fail (workspace, LAPACK) after W is
     * drawn, so W is kept aside first to be put back on failure. */
    w_bytes = (size_t)(layer->inputs * layer->units) * sizeof(double);
    if (layer->use_bias && layer->bias_init == NN_INIT_ORTHOGONAL) {
        saved = nn__alloc(w_bytes);
        if (saved == NULL) {
            return nn__fail(NN_ENOMEM, "nn_dense_init: cannot allocate a "
                            "copy of the %lldx%lld weights",
                            (long long)layer->inputs, (long long)layer->units);
        }
        memcpy(saved, layer->params, w_bytes);
    }

    start = *rng;
    s = nn_init_fill((int)layer->kernel_init, layer->kernel_param,
                     layer->inputs, layer->units, rng, layer->params);
    if (s == NN_OK && layer->use_bias) {
        s = nn_init_fill((int)layer->bias_init, layer->bias_param, 1,
                         layer->units, rng,
                         layer->params + layer->inputs * layer->units);
    }
    if (s != NN_OK) {
        *rng = start;
        if (saved != NULL) {
            memcpy(layer->params, saved, w_bytes);
        }
    }
    nn__free(saved);
    return s;
}

int64_t nn_dense_inputs(const nn_dense *layer)
{
    return layer != NULL ? layer->inputs : 0;
}

int64_t nn_dense_units(const nn_dense *layer)
{
    return layer != NULL ? layer->units : 0;
}

int64_t nn_dense_param_count(const nn_dense *layer)
{
    return layer != NULL
               ? (layer->inputs + (layer->use_bias ? 1 : 0)) * layer->units
               : 0;
}

double *nn_dense_weights(const nn_dense *layer)
{
    return layer != NULL ? layer->params : NULL;
}

double *nn_dense_bias(const nn_dense *layer)
{
    return layer != NULL && layer->use_bias
               ? layer->params + layer->inputs * layer->units : NULL;
}

double *nn_dense_params(const nn_dense *layer)
{
    return layer != NULL ? layer->params : NULL;
}

double *nn_dense_grads(const nn_dense *layer)
{
    return layer != NULL ? layer->grads : NULL;
}

void nn__dense_forward(const struct nn_dense *layer, int64_t batch,
                       const double *x, double *y)
{
    int64_t in = layer->inputs, units = layer->units;
    const double *b = layer->use_bias ? layer->params + in * units : NULL;

    nn__gemm(NN_PASS_FORWARD, 0, 0, batch, units, in, 1.0, x, in,
             layer->params, units, 0.0, y, units);
    nn__bias_activation((int)layer->activation, layer->slope, batch, units, b,
                        y);
}

/* dW = x^T dz and, unless dx is NULL, dx = dz W^T. */
static void weight_and_input_grads(struct nn_dense *layer, int64_t batch,
                                   const double *x, const double *dz,
                                   double *dx)
{
    int64_t in = layer->inputs, units = layer->units;

    nn__gemm(NN_PASS_WEIGHTS, 1, 0, in, units, batch, 1.0, x, in, dz, units,
             0.0, layer->grads, units);
    if (dx != NULL) {
        nn__gemm(NN_PASS_INPUTS, 0, 1, batch, in, units, 1.0, dz, units,
                 layer->params, units, 0.0, dx, in);
    }
}

void nn__dense_backward(struct nn_dense *layer, int64_t batch,
                        const double *x, const double *y, double *dy,
                        double *dx)
{
    int64_t units = layer->units;
    double *db = layer->grads + layer->inputs * units;

    /* dz = f'(y) * dy in place; with a bias, db is summed in the same pass
     * while each row of dz is still in cache. */
    if (!layer->use_bias) {
        nn__activation_backward((int)layer->activation, layer->slope, batch,
                                units, y, dy, dy);
    } else {
        memset(db, 0, (size_t)units * sizeof *db);
        for (int64_t i = 0; i < batch; i++) {
            double *dzi = dy + i * units;
            nn__activation_backward((int)layer->activation, layer->slope, 1,
                                    units, y + i * units, dzi, dzi);
            for (int64_t j = 0; j < units; j++) {
                db[j] += dzi[j];
            }
        }
    }
    weight_and_input_grads(layer, batch, x, dy, dx);
}

void nn__dense_backward_preact(struct nn_dense *layer, int64_t batch,
                               const double *x, const double *dz, double *dx)
{
    int64_t units = layer->units;

    if (layer->use_bias) {
        double *db = layer->grads + layer->inputs * units;
        memset(db, 0, (size_t)units * sizeof *db);
        for (int64_t i = 0; i < batch; i++) {
            const double *dzi = dz + i * units;
            for (int64_t j = 0; j < units; j++) {
                db[j] += dzi[j];
            }
        }
    }
    weight_and_input_grads(layer, batch, x, dz, dx);
}

static nn_status check_pass(const char *fn, const nn_dense *layer,
                            int64_t batch, const void *a, const char *name_a,
                            const void *b, const char *name_b)
{
    size_t bytes;
    nn_status s;

    if (layer == NULL) {
        return nn__fail(NN_EINVAL, "%s: layer is NULL", fn);
    }
    if (a == NULL || b == NULL) {
        return nn__fail(NN_EINVAL, "%s: %s is NULL", fn,
                        a == NULL ? name_a : name_b);
    }
    if ((s = nn__check_size(fn, "batch", batch)) != NN_OK) {
        return s;
    }
    if (nn__size_mul(batch, layer->inputs > layer->units ? layer->inputs
                                                         : layer->units,
                     sizeof(double), &bytes) != 0) {
        return nn__fail(NN_ERANGE, "%s: a batch of %lld does not fit in "
                        "memory", fn, (long long)batch);
    }
    return NN_OK;
}

nn_status nn_dense_forward(const nn_dense *layer, int64_t batch,
                           const double *x, double *y)
{
    nn_status s = check_pass("nn_dense_forward", layer, batch, x, "x", y, "y");

    if (s == NN_OK) {
        nn__dense_forward(layer, batch, x, y);
    }
    return s;
}

static nn_status check_backward(const char *fn, const nn_dense *layer,
                                int64_t batch, const double *x,
                                const double *d, const char *d_name)
{
    nn_status s = check_pass(fn, layer, batch, x, "x", d, d_name);

    if (s != NN_OK) {
        return s;
    }
    if (layer->grads == NULL) {
        return nn__fail(NN_ESTATE, "%s: the layer was wrapped without a "
                        "gradient array; wrap it with grads to train it", fn);
    }
    return NN_OK;
}

nn_status nn_dense_backward(nn_dense *layer, int64_t batch, const double *x,
                            const double *y, double *dy, double *dx)
{
    nn_status s = check_backward("nn_dense_backward", layer, batch, x, dy, "dy");

    if (s == NN_OK && y == NULL) {
        s = nn__fail(NN_EINVAL, "nn_dense_backward: y is NULL");
    }
    if (s == NN_OK) {
        nn__dense_backward(layer, batch, x, y, dy, dx);
    }
    return s;
}

nn_status nn_dense_backward_preact(nn_dense *layer, int64_t batch,
                                   const double *x, const double *dz,
                                   double *dx)
{
    nn_status s = check_backward("nn_dense_backward_preact", layer, batch, x,
                                 dz, "dz");

    if (s == NN_OK) {
        nn__dense_backward_preact(layer, batch, x, dz, dx);
    }
    return s;
}
