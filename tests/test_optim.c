/*
 * Optimizers against update rules written here from the formulas in
 * nnblas/optim.h: every kind, clipping, schedules, defaults and checks.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

#define N 7
#define STEPS 6

static const double pi = 3.14159265358979323846;

static uint64_t seed = 31337;

/* The reference optimizer: its own copy of the state arrays. */
typedef struct ref_optim {
    nn_optim_opts o;
    int64_t t;
    double m[N], v[N];
} ref_optim;

static void ref_init(ref_optim *r, const nn_optim_opts *o)
{
    r->o = *o;
    r->t = 0;
    for (int i = 0; i < N; i++) {
        r->m[i] = 0.0;
        r->v[i] = o->kind == NN_OPTIM_ADAGRAD ? o->initial_accumulator : 0.0;
    }
}

static double ref_lr(const nn_optim_opts *o, int64_t t)
{
    double steps = (double)o->decay_steps, a = o->cosine_floor, done;

    switch (o->schedule) {
    case NN_SCHEDULE_STEP:
        return o->lr * pow(o->decay_rate, floor((double)t / steps));
    case NN_SCHEDULE_EXPONENTIAL:
        return o->lr * pow(o->decay_rate, (double)t / steps);
    case NN_SCHEDULE_COSINE:
        done = (double)(t < o->decay_steps ? t : o->decay_steps) / steps;
        return o->lr * (a + (1 - a) * (1 + cos(pi * done)) / 2);
    default:
        return o->lr;
    }
}

static void ref_clip(const nn_optim_opts *o, double *g)
{
    double norm = 0.0;

    for (int i = 0; o->clip_value > 0 && i < N; i++) {
        g[i] = fmin(fmax(g[i], -o->clip_value), o->clip_value);
    }
    for (int i = 0; i < N; i++) {
        norm += g[i] * g[i];
    }
    norm = sqrt(norm);
    for (int i = 0; o->clip_norm > 0 && norm > o->clip_norm && i < N; i++) {
        g[i] = g[i] * o->clip_norm / norm;
    }
}

static void ref_step(ref_optim *r, double *p, double *g)
{
    const nn_optim_opts *o = &r->o;
    double lr, k, b1 = o->beta1, b2 = o->beta2, mu = o->momentum;

    ref_clip(o, g);
    lr = ref_lr(o, r->t);
    k = (double)(r->t + 1);
    for (int i = 0; i < N; i++) {
        switch (o->kind) {
        case NN_OPTIM_SGD:
            if (mu == 0.0) {
                p[i] -= lr * g[i];
            } else {
                r->m[i] = mu * r->m[i] - lr * g[i];
                p[i] += o->nesterov ? mu * r->m[i] - lr * g[i] : r->m[i];
            }
            break;
        case NN_OPTIM_ADAM:
        case NN_OPTIM_ADAMW:
            if (o->kind == NN_OPTIM_ADAMW) {
                p[i] -= lr * o->weight_decay * p[i];
            }
            r->m[i] = b1 * r->m[i] + (1 - b1) * g[i];
            r->v[i] = b2 * r->v[i] + (1 - b2) * g[i] * g[i];
            p[i] -= lr * sqrt(1 - pow(b2, k)) / (1 - pow(b1, k)) * r->m[i]
                    / (sqrt(r->v[i]) + o->epsilon);
            break;
        case NN_OPTIM_RMSPROP:
            r->v[i] = o->rho * r->v[i] + (1 - o->rho) * g[i] * g[i];
            p[i] -= lr * g[i] / (sqrt(r->v[i]) + o->epsilon);
            break;
        default:
            r->v[i] += g[i] * g[i];
            p[i] -= lr * g[i] / (sqrt(r->v[i]) + o->epsilon);
            break;
        }
    }
    r->t++;
}

/* STEPS steps of the library and of the reference from the same start
 * and gradients; parameters, clipped gradients and lr must agree. */
static void compare(const char *label, const nn_optim_opts *opts)
{
    nn_optim *opt = NULL;
    ref_optim ref;
    double p[N], q[N], g[N], h[N], worst = 0.0;

    if (!CHECK_STATUS(nn_optim_new(&opt, opts, N), NN_OK)) {
        return;
    }
    ref_init(&ref, opts);
    for (int i = 0; i < N; i++) {
        p[i] = q[i] = 2.0 * nn_test_rand(&seed);
    }
    for (int s = 0; s < STEPS; s++) {
        for (int i = 0; i < N; i++) {
            g[i] = h[i] = 3.0 * nn_test_rand(&seed);
        }
        CHECK_NEAR(nn_optim_lr(opt), ref_lr(opts, s), 1e-15);
        CHECK_STATUS(nn_optim_step(opt, N, p, g), NN_OK);
        ref_step(&ref, q, h);
        for (int i = 0; i < N; i++) {
            double e = fabs(p[i] - q[i]) / fmax(fabs(q[i]), 1e-300);
            double eg = fabs(g[i] - h[i]) / fmax(fabs(h[i]), 1e-300);
            e = fmax(e, eg);
            worst = e > worst || isnan(e) ? e : worst;
        }
    }
    if (!CHECK(worst <= 1e-14)) {
        printf("  %s: relative difference %g\n", label, worst);
    }
    CHECK(nn_optim_iterations(opt) == STEPS);
    nn_optim_free(opt);
}

static nn_optim_opts defaults(int kind)
{
    nn_optim_opts o;

    memset(&o, 0, sizeof o);
    CHECK_STATUS(nn_optim_opts_init(&o, kind), NN_OK);
    return o;
}

static void test_update_rules(void)
{
    nn_optim_opts o;

    o = defaults(NN_OPTIM_SGD);
    o.lr = 0.1;
    compare("sgd", &o);
    o.momentum = 0.9;
    compare("sgd momentum", &o);
    o.nesterov = 1;
    compare("sgd nesterov", &o);

    o = defaults(NN_OPTIM_ADAM);
    o.lr = 0.01;
    compare("adam", &o);
    o.beta1 = 0.5;
    o.beta2 = 0.7;
    o.epsilon = 1e-3;
    compare("adam, other betas", &o);

    o = defaults(NN_OPTIM_ADAMW);
    o.lr = 0.01;
    o.weight_decay = 0.1;
    compare("adamw", &o);

    o = defaults(NN_OPTIM_RMSPROP);
    o.lr = 0.01;
    compare("rmsprop", &o);
    o.rho = 0.5;
    compare("rmsprop rho 0.5", &o);

    o = defaults(NN_OPTIM_ADAGRAD);
    o.lr = 0.1;
    compare("adagrad", &o);
    o.initial_accumulator = 0.0;
    compare("adagrad from 0", &o);
}

/* Clipping and schedules together with the updates they feed. */
static void test_clipped_scheduled_rules(void)
{
    nn_optim_opts o;

    o = defaults(NN_OPTIM_SGD);
    o.momentum = 0.5;
    o.clip_value = 0.5;
    o.schedule = NN_SCHEDULE_STEP;
    o.decay_steps = 2;
    o.decay_rate = 0.5;
    compare("sgd, clip value, step", &o);

    o = defaults(NN_OPTIM_ADAM);
    o.clip_norm = 1.0;
    o.schedule = NN_SCHEDULE_COSINE;
    o.decay_steps = 4;
    o.cosine_floor = 0.2;
    compare("adam, clip norm, cosine", &o);

    o = defaults(NN_OPTIM_RMSPROP);
    o.clip_value = 1.0;
    o.clip_norm = 1.5;
    o.schedule = NN_SCHEDULE_EXPONENTIAL;
    o.decay_steps = 3;
    o.decay_rate = 0.9;
    compare("rmsprop, both clips, exponential", &o);
}

static void test_clipping(void)
{
    nn_optim_opts o = defaults(NN_OPTIM_SGD);
    nn_optim *opt = NULL;
    double p[2] = {0, 0}, g[2];

    /* By value: elementwise into [-c, c], in the caller's array. */
    o.lr = 1.0;
    o.clip_value = 0.5;
    if (CHECK_STATUS(nn_optim_new(&opt, &o, 2), NN_OK)) {
        g[0] = -2.0;
        g[1] = 0.3;
        CHECK_STATUS(nn_optim_step(opt, 2, p, g), NN_OK);
        CHECK(g[0] == -0.5 && g[1] == 0.3);
        CHECK(p[0] == 0.5 && p[1] == -0.3);
        nn_optim_free(opt);
    }

    /* By global norm: (3, 4) has norm 5 and becomes (0.6, 0.8); a
     * gradient already inside the ball is left alone. */
    o.clip_value = 0.0;
    o.clip_norm = 1.0;
    if (CHECK_STATUS(nn_optim_new(&opt, &o, 2), NN_OK)) {
        g[0] = 3.0;
        g[1] = 4.0;
        CHECK_STATUS(nn_optim_step(opt, 2, p, g), NN_OK);
        CHECK_NEAR(g[0], 0.6, 1e-15);
        CHECK_NEAR(g[1], 0.8, 1e-15);
        g[0] = 0.3;
        g[1] = -0.4;
        CHECK_STATUS(nn_optim_step(opt, 2, p, g), NN_OK);
        CHECK(g[0] == 0.3 && g[1] == -0.4);
        nn_optim_free(opt);
    }

    /* Value first, then norm: (10, 0.1) -> (1, 0.1) -> unit norm. */
    o.clip_value = 1.0;
    if (CHECK_STATUS(nn_optim_new(&opt, &o, 2), NN_OK)) {
        double norm = sqrt(1.0 + 0.01);
        g[0] = 10.0;
        g[1] = 0.1;
        CHECK_STATUS(nn_optim_step(opt, 2, p, g), NN_OK);
        CHECK_NEAR(g[0], 1.0 / norm, 1e-15);
        CHECK_NEAR(g[1], 0.1 / norm, 1e-15);
        nn_optim_free(opt);
    }
}

/* nn_optim_lr after k steps, for each schedule. */
static void test_schedules(void)
{
    nn_optim_opts o = defaults(NN_OPTIM_SGD);
    nn_optim *opt = NULL;
    double p[1] = {0}, g[1] = {0};

    o.lr = 0.1;
    o.decay_steps = 3;
    o.decay_rate = 0.5;
    o.cosine_floor = 0.1;
    for (int sched = NN_SCHEDULE_CONSTANT; sched <= NN_SCHEDULE_COSINE;
         sched++) {
        o.schedule = sched;
        if (!CHECK_STATUS(nn_optim_new(&opt, &o, 1), NN_OK)) {
            continue;
        }
        for (int k = 0; k <= 7; k++) {
            double want;
            switch (sched) {
            case NN_SCHEDULE_STEP: want = 0.1 * pow(0.5, k / 3); break;
            case NN_SCHEDULE_EXPONENTIAL: want = 0.1 * pow(0.5, k / 3.0); break;
            case NN_SCHEDULE_COSINE:
                want = 0.1 * (0.1 + 0.9 * (1 + cos(pi * fmin(k, 3) / 3)) / 2);
                break;
            default: want = 0.1; break;
            }
            CHECK(nn_optim_iterations(opt) == k);
            if (!CHECK_NEAR(nn_optim_lr(opt), want, 1e-15)) {
                printf("  schedule %d after %d steps\n", sched, k);
            }
            CHECK_STATUS(nn_optim_step(opt, 1, p, g), NN_OK);
        }
        nn_optim_free(opt);
    }

    /* Spot values that need no formula. */
    o.schedule = NN_SCHEDULE_COSINE;
    o.cosine_floor = 0.0;
    o.decay_steps = 2;
    if (CHECK_STATUS(nn_optim_new(&opt, &o, 1), NN_OK)) {
        CHECK_NEAR(nn_optim_lr(opt), 0.1, 1e-16);
        CHECK_STATUS(nn_optim_step(opt, 1, p, g), NN_OK);
        CHECK_NEAR(nn_optim_lr(opt), 0.05, 1e-16);
        CHECK_STATUS(nn_optim_step(opt, 1, p, g), NN_OK);
        CHECK_NEAR(nn_optim_lr(opt), 0.0, 1e-16);
        nn_optim_free(opt);
    }
}

/* After reset the optimizer behaves like a new one. */
static void test_reset(void)
{
    nn_optim_opts o = defaults(NN_OPTIM_ADAGRAD);
    nn_optim *a = NULL, *b = NULL;
    double pa[N], pb[N], ga[N], gb[N];

    o.schedule = NN_SCHEDULE_STEP;
    o.decay_steps = 1;
    if (!CHECK_STATUS(nn_optim_new(&a, &o, N), NN_OK)
        || !CHECK_STATUS(nn_optim_new(&b, &o, N), NN_OK)) {
        nn_optim_free(a);
        return;
    }
    for (int i = 0; i < N; i++) {
        pa[i] = pb[i] = 1.0;
        ga[i] = gb[i] = 0.5 * (i + 1);
    }
    CHECK_STATUS(nn_optim_step(a, N, pa, ga), NN_OK);
    CHECK_STATUS(nn_optim_step(a, N, pa, ga), NN_OK);
    CHECK_STATUS(nn_optim_reset(a), NN_OK);
    CHECK(nn_optim_iterations(a) == 0 && nn_optim_lr(a) == o.lr);
    for (int i = 0; i < N; i++) {
        pa[i] = 1.0;
    }
    CHECK_STATUS(nn_optim_step(a, N, pa, ga), NN_OK);
    CHECK_STATUS(nn_optim_step(b, N, pb, gb), NN_OK);
    CHECK(memcmp(pa, pb, sizeof pa) == 0);
    CHECK_STATUS(nn_optim_reset(NULL), NN_EINVAL);
    nn_optim_free(a);
    nn_optim_free(b);
}

static void test_defaults(void)
{
    nn_optim_opts o, saved;

    o = defaults(NN_OPTIM_SGD);
    CHECK(o.kind == NN_OPTIM_SGD && o.lr == 0.01 && o.momentum == 0.0
          && o.nesterov == 0);
    CHECK(o.clip_value == 0.0 && o.clip_norm == 0.0
          && o.schedule == NN_SCHEDULE_CONSTANT);
    CHECK_STATUS(nn_optim_opts_check(&o), NN_OK);
    o = defaults(NN_OPTIM_ADAM);
    CHECK(o.lr == 0.001 && o.beta1 == 0.9 && o.beta2 == 0.999
          && o.epsilon == 1e-7);
    CHECK(o.clip_value == 0.0 && o.clip_norm == 0.0
          && o.schedule == NN_SCHEDULE_CONSTANT);
    o = defaults(NN_OPTIM_ADAMW);
    CHECK(o.lr == 0.001 && o.beta1 == 0.9 && o.beta2 == 0.999
          && o.epsilon == 1e-7 && o.weight_decay == 0.004);
    o = defaults(NN_OPTIM_RMSPROP);
    CHECK(o.lr == 0.001 && o.rho == 0.9 && o.epsilon == 1e-7);
    o = defaults(NN_OPTIM_ADAGRAD);
    CHECK(o.lr == 0.001 && o.initial_accumulator == 0.1 && o.epsilon == 1e-7);
    for (int kind = NN_OPTIM_SGD; kind <= NN_OPTIM_ADAGRAD; kind++) {
        o = defaults(kind);
        CHECK(o.kind == kind);
        CHECK_STATUS(nn_optim_opts_check(&o), NN_OK);
    }

    saved = o;
    CHECK_STATUS(nn_optim_opts_init(&o, 5), NN_EINVAL);
    CHECK_STATUS(nn_optim_opts_init(&o, -1), NN_EINVAL);
    CHECK(memcmp(&o, &saved, sizeof o) == 0);
    CHECK_STATUS(nn_optim_opts_init(NULL, NN_OPTIM_SGD), NN_EINVAL);

    CHECK(strcmp(nn_optim_name(NN_OPTIM_ADAM), "adam") == 0);
    CHECK(strcmp(nn_optim_name(NN_OPTIM_ADAGRAD), "adagrad") == 0);
    CHECK(strcmp(nn_optim_name(9), "unknown") == 0);
}

/* One bad field: opts_check and optim_new refuse it and name it. */
static void expect_bad(const nn_optim_opts *o, const char *field)
{
    nn_optim *opt = NULL;

    CHECK_STATUS(nn_optim_opts_check(o), NN_EINVAL);
    if (!CHECK(strstr(nn_last_error(), field) != NULL)) {
        printf("  message does not name %s: %s\n", field, nn_last_error());
    }
    CHECK_STATUS(nn_optim_new(&opt, o, 3), NN_EINVAL);
    CHECK(opt == NULL);
}

static void test_bad_opts(void)
{
    const nn_optim_opts base = defaults(NN_OPTIM_ADAM);
    nn_optim_opts o;

#define BAD(assign, field) \
    do { \
        o = base; \
        assign; \
        expect_bad(&o, field); \
    } while (0)

    BAD(o.kind = 5, "kind");
    BAD(o.kind = -1, "kind");
    BAD(o.lr = 0.0, "lr");
    BAD(o.lr = -0.1, "lr");
    BAD(o.lr = NAN, "lr");
    BAD(o.lr = INFINITY, "lr");
    BAD(o.momentum = 1.0, "momentum");
    BAD(o.momentum = -0.1, "momentum");
    BAD(o.nesterov = 2, "nesterov");
    BAD(o.beta1 = 1.0, "beta1");
    BAD(o.beta2 = -0.5, "beta2");
    BAD(o.beta2 = NAN, "beta2");
    BAD(o.epsilon = 0.0, "epsilon");
    BAD(o.epsilon = INFINITY, "epsilon");
    BAD(o.weight_decay = -1.0, "weight_decay");
    BAD(o.rho = 1.0, "rho");
    BAD(o.initial_accumulator = -0.1, "initial_accumulator");
    BAD(o.clip_value = -1.0, "clip_value");
    BAD(o.clip_norm = -1.0, "clip_norm");
    BAD(o.clip_norm = NAN, "clip_norm");
    BAD(o.schedule = 4, "schedule");
    BAD((o.schedule = NN_SCHEDULE_STEP, o.decay_steps = 0), "decay_steps");
    BAD((o.schedule = NN_SCHEDULE_COSINE, o.decay_steps = -2), "decay_steps");
    BAD((o.schedule = NN_SCHEDULE_EXPONENTIAL, o.decay_rate = 0.0),
        "decay_rate");
    BAD((o.schedule = NN_SCHEDULE_STEP, o.decay_rate = NAN), "decay_rate");
    BAD(o.cosine_floor = 1.5, "cosine_floor");
    BAD(o.cosine_floor = -0.1, "cosine_floor");
#undef BAD

    CHECK_STATUS(nn_optim_opts_check(NULL), NN_EINVAL);
}

static void test_step_errors(void)
{
    nn_optim_opts o = defaults(NN_OPTIM_ADAM), got;
    nn_optim *opt = NULL;
    double p[N], g[N], ps[N], gs[N];

    o.clip_value = 0.1;
    CHECK_STATUS(nn_optim_new(NULL, &o, N), NN_EINVAL);
    CHECK_STATUS(nn_optim_new(&opt, NULL, N), NN_EINVAL);
    CHECK_STATUS(nn_optim_new(&opt, &o, 0), NN_EINVAL);
    CHECK_STATUS(nn_optim_new(&opt, &o, -5), NN_EINVAL);
    CHECK(opt == NULL);

    /* Too many parameters for memory, refused before any allocation. */
    CHECK_STATUS(nn_optim_new(&opt, &o, INT64_MAX / 4), NN_ERANGE);
    CHECK_STATUS(nn_optim_new(&opt, &o, INT64_MAX), NN_ERANGE);
    CHECK(opt == NULL);

    if (!CHECK_STATUS(nn_optim_new(&opt, &o, N), NN_OK)) {
        return;
    }
    CHECK_STATUS(nn_optim_get_opts(opt, &got), NN_OK);
    CHECK(memcmp(&got, &o, sizeof o) == 0);
    CHECK_STATUS(nn_optim_get_opts(NULL, &got), NN_EINVAL);
    CHECK_STATUS(nn_optim_get_opts(opt, NULL), NN_EINVAL);

    /* Wrong n: nothing changes, not even the clipping of grads. */
    for (int i = 0; i < N; i++) {
        p[i] = ps[i] = 1.0 + i;
        g[i] = gs[i] = 5.0 - i;
    }
    CHECK_STATUS(nn_optim_step(opt, N - 1, p, g), NN_ESHAPE);
    CHECK(strstr(nn_last_error(), "7") != NULL
          && strstr(nn_last_error(), "6") != NULL);
    CHECK_STATUS(nn_optim_step(opt, N + 1, p, g), NN_ESHAPE);
    CHECK_STATUS(nn_optim_step(NULL, N, p, g), NN_EINVAL);
    CHECK_STATUS(nn_optim_step(opt, N, NULL, g), NN_EINVAL);
    CHECK_STATUS(nn_optim_step(opt, N, p, NULL), NN_EINVAL);
    CHECK(memcmp(p, ps, sizeof p) == 0 && memcmp(g, gs, sizeof g) == 0);
    CHECK(nn_optim_iterations(opt) == 0);
    nn_optim_free(opt);
    nn_optim_free(NULL);
    CHECK(nn_optim_iterations(NULL) == 0 && nn_optim_lr(NULL) == 0.0);

    /* The bare kernel. */
    p[0] = 1.0;
    g[0] = 2.0;
    CHECK_STATUS(nn_optim_sgd(1, 0.25, g, p), NN_OK);
    CHECK(p[0] == 0.5);
    CHECK_STATUS(nn_optim_sgd(0, 0.25, g, p), NN_EINVAL);
    CHECK_STATUS(nn_optim_sgd(1, NAN, g, p), NN_EINVAL);
    CHECK_STATUS(nn_optim_sgd(1, 0.25, NULL, p), NN_EINVAL);
    CHECK_STATUS(nn_optim_sgd(1, 0.25, g, NULL), NN_EINVAL);
    CHECK(p[0] == 0.5);
}

int main(void)
{
    test_update_rules();
    test_clipped_scheduled_rules();
    test_clipping();
    test_schedules();
    test_reset();
    test_defaults();
    test_bad_opts();
    test_step_errors();
    return nn_test_done();
}
