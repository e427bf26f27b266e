/*
 * No allocation inside a training step: with a counting allocator
 * installed, the first nn_model_train_batch may size the workspace, and
 * the next 100 steps allocate nothing; the same for models with dropout,
 * for SGD with momentum and for Adam, in every gemm mode, and for the
 * layer-level calls (nn_dense_forward, nn_dense_backward, nn_optim_step).
 */
#include <stdint.h>
#include <stdlib.h>

#include <nnblas.h>

#include "nn_test.h"

#define STEPS 100
#define BATCH 8
#define INPUTS 5

static int64_t allocations;

static void *counting_alloc(void *user, size_t size)
{
    (void)user;
    allocations++;
    return malloc(size);
}

static void counting_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

static const int modes[] = {NN_GEMM_AUTO, NN_GEMM_BLAS, NN_GEMM_NAIVE};

/* Adam or SGD with momentum, and with or without dropout: a 5-16-8-1
 * model with a sigmoid output on binary cross-entropy. */
static nn_model *make_model(int optim, int dropout)
{
    nn_optim_opts opts;
    nn_model *m = NULL;

    if (!CHECK_STATUS(nn_model_new(&m, INPUTS), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_add_dense(m, 16, NN_ACTIVATION_RELU), NN_OK);
    if (dropout) {
        CHECK_STATUS(nn_model_add_dropout(m, 0.25), NN_OK);
    }
    CHECK_STATUS(nn_model_add_dense(m, 8, NN_ACTIVATION_TANH), NN_OK);
    if (dropout) {
        CHECK_STATUS(nn_model_add_dropout(m, 0.5), NN_OK);
    }
    CHECK_STATUS(nn_model_add_dense(m, 1, NN_ACTIVATION_SIGMOID), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&opts, optim), NN_OK);
    if (optim == NN_OPTIM_SGD) {
        opts.momentum = 0.9;
    }
    CHECK_STATUS(nn_model_compile(m, NN_LOSS_BCE, &opts, NULL, 0), NN_OK);
    return m;
}

static void test_model_steps(int optim, int dropout, int mode,
                             const double *x, const double *y)
{
    nn_model *m;
    int64_t before;
    double loss = 0.0;

    CHECK_STATUS(nn_gemm_mode_set(mode), NN_OK);
    allocations = 0;
    m = make_model(optim, dropout);
    if (m == NULL) {
        return;
    }
    CHECK(allocations > 0);

    /* The first step may size the workspace; none after it. A smaller
     * batch fits in the same workspace. */
    CHECK_STATUS(nn_model_train_batch(m, BATCH, INPUTS, 1, x, y, &loss),
                 NN_OK);
    before = allocations;
    for (int i = 0; i < STEPS; i++) {
        int64_t batch = i % 10 == 9 ? BATCH - 3 : BATCH;
        if (!CHECK_STATUS(nn_model_train_batch(m, batch, INPUTS, 1, x, y,
                                               &loss), NN_OK)) {
            break;
        }
    }
    if (!CHECK(allocations == before)) {
        printf("  %lld allocations in %d steps (optimizer %s, dropout %d, "
               "gemm mode %d)\n", (long long)(allocations - before), STEPS,
               nn_optim_name(optim), dropout, mode);
    }
    CHECK(isfinite(loss));
    nn_model_free(m);
}

/* The from-scratch loop: two layers, a loss and an optimizer, driven by
 * hand over caller arrays. */
static void test_layer_steps(int optim, int mode, const double *x,
                             const double *y)
{
    nn_dense_opts opts;
    nn_dense *l1 = NULL, *l2 = NULL;
    nn_optim_opts oo;
    nn_optim *o1 = NULL, *o2 = NULL;
    double h[BATCH * 16], out[BATCH], d_out[BATCH], d_h[BATCH * 16];
    nn_rng rng;
    int64_t before;

    CHECK_STATUS(nn_gemm_mode_set(mode), NN_OK);
    CHECK_STATUS(nn_rng_seed(&rng, 5), NN_OK);
    CHECK_STATUS(nn_dense_opts_init(&opts, 16, NN_ACTIVATION_TANH), NN_OK);
    CHECK_STATUS(nn_dense_new(&l1, INPUTS, &opts), NN_OK);
    opts.units = 1;
    opts.activation = NN_ACTIVATION_SIGMOID;
    CHECK_STATUS(nn_dense_new(&l2, 16, &opts), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&oo, optim), NN_OK);
    oo.momentum = optim == NN_OPTIM_SGD ? 0.9 : 0.0;
    if (!CHECK_STATUS(nn_optim_new(&o1, &oo, nn_dense_param_count(l1)), NN_OK)
        || !CHECK_STATUS(nn_optim_new(&o2, &oo, nn_dense_param_count(l2)),
                         NN_OK)
        || !CHECK_STATUS(nn_dense_init(l1, &rng), NN_OK)
        || !CHECK_STATUS(nn_dense_init(l2, &rng), NN_OK)) {
        goto done;
    }

    before = allocations;
    for (int i = 0; i < STEPS; i++) {
        double loss;
        if (!CHECK_STATUS(nn_dense_forward(l1, BATCH, x, h), NN_OK)
            || !CHECK_STATUS(nn_dense_forward(l2, BATCH, h, out), NN_OK)
            || !CHECK_STATUS(nn_loss_bce(BATCH, 1, out, y, &loss, d_out), NN_OK)
            || !CHECK_STATUS(nn_dense_backward(l2, BATCH, h, out, d_out, d_h),
                             NN_OK)
            || !CHECK_STATUS(nn_dense_backward(l1, BATCH, x, h, d_h, NULL),
                             NN_OK)
            || !CHECK_STATUS(nn_optim_step(o1, nn_dense_param_count(l1),
                                           nn_dense_params(l1),
                                           nn_dense_grads(l1)), NN_OK)
            || !CHECK_STATUS(nn_optim_step(o2, nn_dense_param_count(l2),
                                           nn_dense_params(l2),
                                           nn_dense_grads(l2)), NN_OK)) {
            break;
        }
    }
    CHECK(allocations == before);

done:
    nn_optim_free(o1);
    nn_optim_free(o2);
    nn_dense_free(l1);
    nn_dense_free(l2);
}

int main(void)
{
    static const int optims[] = {NN_OPTIM_SGD, NN_OPTIM_ADAM};
    double x[BATCH * INPUTS], y[BATCH];
    uint64_t seed = 17;

    for (int i = 0; i < BATCH * INPUTS; i++) {
        x[i] = nn_test_rand(&seed);
    }
    for (int i = 0; i < BATCH; i++) {
        y[i] = nn_test_rand(&seed) > 0.0 ? 1.0 : 0.0;
    }
    CHECK_STATUS(nn_allocator_set(counting_alloc, counting_free, NULL), NN_OK);

    for (int o = 0; o < 2; o++) {
        for (int k = 0; k < 3; k++) {
            test_model_steps(optims[o], 0, modes[k], x, y);
            test_model_steps(optims[o], 1, modes[k], x, y);
            test_layer_steps(optims[o], modes[k], x, y);
        }
    }

    CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_AUTO), NN_OK);
    CHECK_STATUS(nn_allocator_set(NULL, NULL, NULL), NN_OK);
    return nn_test_done();
}
