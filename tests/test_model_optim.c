/*
 * The model with each optimizer: every nn_model_train_batch step moves
 * every parameter as the update rules in nnblas/optim.h, written out here
 * with their own state, say it should for the gradient the step left in
 * nn_model_grads. The optimizers themselves are tested in test_optim.c;
 * this checks the wiring: the whole parameter vector is stepped, state
 * carries over between steps, a recompile starts it afresh, compile's
 * default is RMSprop, and clipping and schedules reach the model's step.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

#define IN 3
#define HIDDEN 5
#define OUT 2
#define BATCH 6
#define STEPS 4
#define N_PARAMS (IN * HIDDEN + HIDDEN + HIDDEN * OUT + OUT)

/* The update rules of nnblas/optim.h, with their state. */
struct reference {
    nn_optim_opts o;
    double m[N_PARAMS];
    double v[N_PARAMS];
    int64_t t;                  /* steps taken */
};

static void reference_init(struct reference *r, const nn_optim_opts *o)
{
    memset(r, 0, sizeof *r);
    r->o = *o;
    for (int64_t i = 0; o->kind == NN_OPTIM_ADAGRAD && i < N_PARAMS; i++) {
        r->v[i] = o->initial_accumulator;
    }
}

static double reference_lr(const struct reference *r)
{
    if (r->o.schedule == NN_SCHEDULE_STEP) {
        return r->o.lr * pow(r->o.decay_rate,
                             floor((double)r->t / (double)r->o.decay_steps));
    }
    return r->o.lr;
}

static void reference_step(struct reference *r, double *p, const double *g)
{
    const nn_optim_opts *o = &r->o;
    double lr = reference_lr(r), k = (double)(r->t + 1);
    double adam_scale = lr * sqrt(1 - pow(o->beta2, k)) / (1 - pow(o->beta1, k));

    for (int64_t i = 0; i < N_PARAMS; i++) {
        double *m = &r->m[i], *v = &r->v[i];
        switch (o->kind) {
        case NN_OPTIM_SGD:
            if (o->momentum == 0.0) {
                p[i] -= lr * g[i];
                break;
            }
            *m = o->momentum * *m - lr * g[i];
            p[i] += o->nesterov ? o->momentum * *m - lr * g[i] : *m;
            break;
        case NN_OPTIM_ADAMW:
        case NN_OPTIM_ADAM:
            if (o->kind == NN_OPTIM_ADAMW) {
                p[i] -= lr * o->weight_decay * p[i];
            }
            *m = o->beta1 * *m + (1 - o->beta1) * g[i];
            *v = o->beta2 * *v + (1 - o->beta2) * g[i] * g[i];
            p[i] -= adam_scale * *m / (sqrt(*v) + o->epsilon);
            break;
        case NN_OPTIM_RMSPROP:
            *v = o->rho * *v + (1 - o->rho) * g[i] * g[i];
            p[i] -= lr * g[i] / (sqrt(*v) + o->epsilon);
            break;
        default:
            *v += g[i] * g[i];
            p[i] -= lr * g[i] / (sqrt(*v) + o->epsilon);
            break;
        }
    }
    r->t++;
}

static nn_model *build(const nn_optim_opts *o)
{
    nn_model *m = NULL;

    if (!CHECK_STATUS(nn_model_new(&m, IN), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_set_seed(m, 3), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, HIDDEN, NN_ACTIVATION_TANH), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, OUT, NN_ACTIVATION_IDENTITY), NN_OK);
    if (!CHECK_STATUS(nn_model_compile(m, NN_LOSS_MSE, o, NULL, 0), NN_OK)
        || !CHECK(nn_model_param_count(m) == N_PARAMS)) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}

static void make_batch(uint64_t *state, double *x, double *y)
{
    for (int i = 0; i < BATCH * IN; i++) {
        x[i] = nn_test_rand(state);
    }
    for (int i = 0; i < BATCH * OUT; i++) {
        y[i] = 2.0 * nn_test_rand(state);
    }
}

/*
 * One step of the model against the reference from the same weights and
 * gradient: the largest error relative to the size of the update, with a
 * floor for the rounding of the parameter itself.
 */
static double step_error(nn_model *m, struct reference *r, uint64_t *state,
                         double *delta)
{
    double x[BATCH * IN], y[BATCH * OUT], before[N_PARAMS], want[N_PARAMS];
    const double *p = nn_model_params(m);
    double worst = 0.0;

    make_batch(state, x, y);
    memcpy(before, p, sizeof before);
    if (!CHECK_STATUS(nn_model_train_batch(m, BATCH, IN, OUT, x, y, NULL),
                      NN_OK)) {
        return INFINITY;
    }
    memcpy(want, before, sizeof want);
    reference_step(r, want, nn_model_grads(m));
    for (int64_t i = 0; i < N_PARAMS; i++) {
        double step = fabs(want[i] - before[i]);
        double e = fabs(p[i] - want[i])
                   / fmax(step, 1e3 * DBL_EPSILON * fabs(before[i]));
        worst = e > worst || isnan(e) ? e : worst;
        if (delta != NULL) {
            delta[i] = p[i] - before[i];
        }
    }
    return worst;
}

struct optim_case {
    const char *name;
    int kind;
    double lr;          /* 0: the kind's default */
    double momentum;
    int64_t nesterov;
};

static const struct optim_case optim_cases[] = {
    {"sgd", NN_OPTIM_SGD, 0.05, 0.0, 0},
    {"sgd with momentum", NN_OPTIM_SGD, 0.05, 0.9, 0},
    {"sgd with nesterov momentum", NN_OPTIM_SGD, 0.05, 0.9, 1},
    {"adam", NN_OPTIM_ADAM, 0.0, 0.0, 0},
    {"adamw", NN_OPTIM_ADAMW, 0.01, 0.0, 0},
    {"rmsprop", NN_OPTIM_RMSPROP, 0.0, 0.0, 0},
    {"adagrad", NN_OPTIM_ADAGRAD, 0.05, 0.0, 0},
};

static void test_each_optimizer(void)
{
    for (size_t c = 0; c < sizeof optim_cases / sizeof optim_cases[0]; c++) {
        const struct optim_case *oc = &optim_cases[c];
        struct reference r;
        nn_optim_opts o;
        nn_model *m;
        uint64_t state = 1000 + c;
        double worst = 0.0;

        CHECK_STATUS(nn_optim_opts_init(&o, oc->kind), NN_OK);
        o.lr = oc->lr > 0.0 ? oc->lr : o.lr;
        o.momentum = oc->momentum;
        o.nesterov = oc->nesterov;
        if ((m = build(&o)) == NULL) {
            continue;
        }
        reference_init(&r, &o);
        for (int s = 0; s < STEPS; s++) {
            worst = fmax(worst, step_error(m, &r, &state, NULL));
        }
        if (!CHECK(worst < 1e-9)) {
            printf("  %s: error %g of the update\n", oc->name, worst);
        }
        nn_model_free(m);
    }
}

/*
 * Adam's first step moves each parameter by about lr against its
 * gradient, whatever the gradient's size (m / sqrt(v) is sign(g) after
 * bias correction).
 */
static void test_adam_first_step(void)
{
    double delta[N_PARAMS], g[N_PARAMS];
    struct reference r;
    nn_optim_opts o;
    nn_model *m;
    uint64_t state = 5;
    int counted = 0;

    CHECK_STATUS(nn_optim_opts_init(&o, NN_OPTIM_ADAM), NN_OK);
    if ((m = build(&o)) == NULL) {
        return;
    }
    for (int round = 0; round < 2; round++) {
        reference_init(&r, &o);
        CHECK(step_error(m, &r, &state, delta) < 1e-9);
        memcpy(g, nn_model_grads(m), sizeof g);
        for (int64_t i = 0; i < N_PARAMS; i++) {
            if (fabs(g[i]) > 1e-3) {
                counted++;
                if (!CHECK(fabs(fabs(delta[i]) - o.lr) < 0.01 * o.lr)
                    || !CHECK(delta[i] * g[i] < 0.0)) {
                    break;
                }
            }
        }

        /* A few more steps, then a recompile starts Adam afresh: the
         * next step is a first step again, with the weights kept. */
        for (int s = 0; round == 0 && s < 3; s++) {
            CHECK(step_error(m, &r, &state, NULL) < 1e-9);
        }
        if (round == 0) {
            double keep[N_PARAMS];
            memcpy(keep, nn_model_params(m), sizeof keep);
            CHECK_STATUS(nn_model_compile(m, NN_LOSS_MSE, &o, NULL, 0), NN_OK);
            CHECK(memcmp(keep, nn_model_params(m), sizeof keep) == 0);
        }
    }
    CHECK(counted > N_PARAMS);
    nn_model_free(m);
}

/* compile with no optimizer uses RMSprop with its defaults. */
static void test_default_optimizer(void)
{
    struct reference r;
    nn_optim_opts o;
    nn_model *m = build(NULL);
    uint64_t state = 9;
    double worst = 0.0;

    CHECK_STATUS(nn_optim_opts_init(&o, NN_OPTIM_RMSPROP), NN_OK);
    CHECK(o.lr == 0.001 && o.rho == 0.9 && o.epsilon == 1e-7);
    if (m == NULL) {
        return;
    }
    reference_init(&r, &o);
    for (int s = 0; s < STEPS; s++) {
        worst = fmax(worst, step_error(m, &r, &state, NULL));
    }
    CHECK(worst < 1e-9);
    nn_model_free(m);
}

/*
 * Clipping by norm reaches the model's gradient: after the step,
 * nn_model_grads holds the clipped gradient (the twin without clipping
 * has the same weights, so the same raw gradient), and the step used it.
 */
static void test_clip_norm(void)
{
    const double clip = 0.05;
    double x[BATCH * IN], y[BATCH * OUT], raw[N_PARAMS], norm = 0.0;
    double before[N_PARAMS], got = 0.0;
    nn_optim_opts o;
    nn_model *plain, *clipped;
    uint64_t state = 21;

    CHECK_STATUS(nn_optim_opts_init(&o, NN_OPTIM_SGD), NN_OK);
    o.lr = 0.1;
    plain = build(&o);
    o.clip_norm = clip;
    clipped = build(&o);
    if (plain == NULL || clipped == NULL) {
        goto done;
    }
    make_batch(&state, x, y);
    memcpy(before, nn_model_params(clipped), sizeof before);
    CHECK_STATUS(nn_model_train_batch(plain, BATCH, IN, OUT, x, y, NULL), NN_OK);
    CHECK_STATUS(nn_model_train_batch(clipped, BATCH, IN, OUT, x, y, NULL),
                 NN_OK);
    memcpy(raw, nn_model_grads(plain), sizeof raw);
    for (int64_t i = 0; i < N_PARAMS; i++) {
        norm += raw[i] * raw[i];
    }
    norm = sqrt(norm);
    if (!CHECK(norm > 2 * clip)) {
        goto done;
    }
    for (int64_t i = 0; i < N_PARAMS; i++) {
        double g = nn_model_grads(clipped)[i];
        CHECK_NEAR(g, raw[i] * clip / norm, 1e-14);
        CHECK_NEAR(nn_model_params(clipped)[i], before[i] - o.lr * g, 1e-15);
        got += g * g;
    }
    CHECK_NEAR(sqrt(got), clip, 1e-13);

done:
    nn_model_free(plain);
    nn_model_free(clipped);
}

/* A step schedule halves SGD's rate at every model step. */
static void test_schedule(void)
{
    struct reference r;
    nn_optim_opts o;
    nn_model *m;
    uint64_t state = 31;
    double worst = 0.0;

    CHECK_STATUS(nn_optim_opts_init(&o, NN_OPTIM_SGD), NN_OK);
    o.lr = 0.2;
    o.schedule = NN_SCHEDULE_STEP;
    o.decay_steps = 1;
    o.decay_rate = 0.5;
    if ((m = build(&o)) == NULL) {
        return;
    }
    reference_init(&r, &o);
    for (int s = 0; s < STEPS; s++) {
        worst = fmax(worst, step_error(m, &r, &state, NULL));
    }
    CHECK(worst < 1e-9);
    nn_model_free(m);
}

int main(void)
{
    test_each_optimizer();
    test_adam_first_step();
    test_default_optimizer();
    test_clip_norm();
    test_schedule();
    return nn_test_done();
}
