/*
 * Optimizers over one parameter vector (update rules and defaults in
 * nnblas/optim.h).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "internal.h"

const char *nn_optim_name(int kind)
{
    switch (kind) {
    case NN_OPTIM_SGD: return "sgd";
    case NN_OPTIM_ADAM: return "adam";
    case NN_OPTIM_ADAMW: return "adamw";
    case NN_OPTIM_RMSPROP: return "rmsprop";
    case NN_OPTIM_ADAGRAD: return "adagrad";
    default: return "unknown";
    }
}

nn_status nn_optim_opts_init(nn_optim_opts *opts, int kind)
{
    if (opts == NULL) {
        return nn__fail(NN_EINVAL, "nn_optim_opts_init: opts is NULL");
    }
    if (kind < NN_OPTIM_SGD || kind > NN_OPTIM_ADAGRAD) {
        return nn__fail(NN_EINVAL, "nn_optim_opts_init: unknown optimizer %d "
                        "(see nnblas/optim.h)", kind);
    }
    memset(opts, 0, sizeof *opts);
    opts->kind = kind;
    opts->lr = kind == NN_OPTIM_SGD ? 0.01 : 0.001;
    opts->beta1 = 0.9;
    opts->beta2 = 0.999;
    opts->epsilon = 1e-7;
    opts->weight_decay = kind == NN_OPTIM_ADAMW ? 0.004 : 0.0;
    opts->rho = 0.9;
    opts->initial_accumulator = 0.1;
    opts->schedule = NN_SCHEDULE_CONSTANT;
    opts->decay_steps = 1000;
    opts->decay_rate = 0.96;
    return NN_OK;
}

/* Fails unless lo <= x < hi (or <= hi when closed), naming the field. */
static nn_status check_range(const char *field, double x, double lo, double hi,
                             int closed)
{
    if (!(x >= lo && (closed ? x <= hi : x < hi))) {
        return nn__fail(NN_EINVAL, "nn_optim_opts: %s must be in [%g, %g%c, "
                        "got %g", field, lo, hi, closed ? ']' : ')', x);
    }
    return NN_OK;
}

nn_status nn_optim_opts_check(const nn_optim_opts *o)
{
    nn_status s = NN_OK;

    if (o == NULL) {
        return nn__fail(NN_EINVAL, "nn_optim_opts_check: opts is NULL");
    }
    if (o->kind < NN_OPTIM_SGD || o->kind > NN_OPTIM_ADAGRAD) {
        return nn__fail(NN_EINVAL, "nn_optim_opts: unknown optimizer kind "
                        "%lld (see nnblas/optim.h)", (long long)o->kind);
    }
    if (!(o->lr > 0.0 && isfinite(o->lr))) {
        return nn__fail(NN_EINVAL, "nn_optim_opts: lr must be positive and "
                        "finite, got %g", o->lr);
    }
    if (o->nesterov != 0 && o->nesterov != 1) {
        return nn__fail(NN_EINVAL, "nn_optim_opts: nesterov must be 0 or 1, "
                        "got %lld", (long long)o->nesterov);
    }
    if (s == NN_OK) s = check_range("momentum", o->momentum, 0.0, 1.0, 0);
    if (s == NN_OK) s = check_range("beta1", o->beta1, 0.0, 1.0, 0);
    if (s == NN_OK) s = check_range("beta2", o->beta2, 0.0, 1.0, 0);
    if (s == NN_OK) s = check_range("rho", o->rho, 0.0, 1.0, 0);
    if (s == NN_OK) s = check_range("cosine_floor", o->cosine_floor, 0.0, 1.0, 1);
    if (s == NN_OK) s = check_range("weight_decay", o->weight_decay, 0.0, HUGE_VAL, 0);
    if (s == NN_OK) s = check_range("initial_accumulator", o->initial_accumulator,
                                    0.0, HUGE_VAL, 0);
    if (s == NN_OK) s = check_range("clip_value", o->clip_value, 0.0, HUGE_VAL, 0);
    if (s == NN_OK) s = check_range("clip_norm", o->clip_norm, 0.0, HUGE_VAL, 0);
    if (s != NN_OK) {
        return s;
    }
    if (!(o->epsilon > 0.0 && isfinite(o->epsilon))) {
        return nn__fail(NN_EINVAL, "nn_optim_opts: epsilon must be positive "
                        "and finite, got %g", o->epsilon);
    }
    if (o->schedule < NN_SCHEDULE_CONSTANT || o->schedule > NN_SCHEDULE_COSINE) {
        return nn__fail(NN_EINVAL, "nn_optim_opts: unknown schedule %lld (see "
                        "nnblas/optim.h)", (long long)o->schedule);
    }
    if (o->schedule != NN_SCHEDULE_CONSTANT && o->decay_steps < 1) {
        return nn__fail(NN_EINVAL, "nn_optim_opts: decay_steps must be at "
                        "least 1 with a schedule, got %lld",
                        (long long)o->decay_steps);
    }
    if ((o->schedule == NN_SCHEDULE_STEP || o->schedule == NN_SCHEDULE_EXPONENTIAL)
        && !(o->decay_rate > 0.0 && isfinite(o->decay_rate))) {
        return nn__fail(NN_EINVAL, "nn_optim_opts: decay_rate must be "
                        "positive and finite, got %g", o->decay_rate);
    }
    return NN_OK;
}

/* The object header, padded so the state arrays after it stay aligned. */
#define HEADER_SIZE ((sizeof(struct nn_optim) + 63) & ~(size_t)63)

int nn__optim_state_count(const nn_optim_opts *opts)
{
    switch (opts->kind) {
    case NN_OPTIM_SGD: return opts->momentum > 0.0 ? 1 : 0;
    case NN_OPTIM_ADAM:
    case NN_OPTIM_ADAMW: return 2;
    default: return 1;
    }
}

nn_status nn_optim_new(nn_optim **out, const nn_optim_opts *opts, int64_t n)
{
    struct nn_optim *opt;
    double *state;
    nn_status s;
    size_t bytes;
    int states;

    if (out == NULL) {
        return nn__fail(NN_EINVAL, "nn_optim_new: out is NULL");
    }
    *out = NULL;
    if ((s = nn_optim_opts_check(opts)) != NN_OK) {
        return s;
    }
    if (n < 1) {
        return nn__fail(NN_EINVAL, "nn_optim_new: n must be at least 1, got "
                        "%lld", (long long)n);
    }
    if (n > INT64_MAX / 16) {
        return nn__fail(NN_ERANGE, "nn_optim_new: %lld parameters do not fit "
                        "in memory", (long long)n);
    }
    states = nn__optim_state_count(opts);
    if (nn__size_mul(nn__round8(n), states, sizeof(double), &bytes) != 0
        || bytes > SIZE_MAX - HEADER_SIZE) {
        return nn__fail(NN_ERANGE, "nn_optim_new: state for %lld parameters "
                        "does not fit in memory", (long long)n);
    }

    /* One block: the object, then its state arrays. */
    opt = nn__alloc(HEADER_SIZE + bytes);
    if (opt == NULL) {
        return nn__fail(NN_ENOMEM, "nn_optim_new: cannot allocate state for "
                        "%lld parameters", (long long)n);
    }
    opt->opts = *opts;
    opt->n = n;
    opt->m = NULL;
    opt->v = NULL;
    state = (double *)((char *)opt + HEADER_SIZE);
    switch (opts->kind) {
    case NN_OPTIM_SGD:
        opt->m = states > 0 ? state : NULL;
        break;
    case NN_OPTIM_ADAM:
    case NN_OPTIM_ADAMW:
        opt->m = state;
        opt->v = state + nn__round8(n);
        break;
    default:
        opt->v = state;
        break;
    }
    *out = opt;
    return nn_optim_reset(opt);
}

void nn_optim_free(nn_optim *opt)
{
    nn__free(opt);
}

nn_status nn_optim_reset(nn_optim *opt)
{
    if (opt == NULL) {
        return nn__fail(NN_EINVAL, "nn_optim_reset: opt is NULL");
    }
    opt->iterations = 0;
    if (opt->m != NULL) {
        memset(opt->m, 0, (size_t)opt->n * sizeof(double));
    }
    if (opt->v != NULL) {
        double start = opt->opts.kind == NN_OPTIM_ADAGRAD
                           ? opt->opts.initial_accumulator : 0.0;
        for (int64_t i = 0; i < opt->n; i++) {
            opt->v[i] = start;
        }
    }
    return NN_OK;
}

/* The scheduled learning rate after t earlier steps. */
static double scheduled_lr(const nn_optim_opts *o, int64_t t)
{
    double steps = (double)o->decay_steps;

    switch (o->schedule) {
    case NN_SCHEDULE_STEP:
        return o->lr * pow(o->decay_rate, floor((double)t / steps));
    case NN_SCHEDULE_EXPONENTIAL:
        return o->lr * pow(o->decay_rate, (double)t / steps);
    case NN_SCHEDULE_COSINE: {
        double done = (double)(t < o->decay_steps ? t : o->decay_steps) / steps;
        double a = o->cosine_floor;
        return o->lr * (a + (1.0 - a) * 0.5 * (1.0 + cos(NN__PI * done)));
    }
    default:
        return o->lr;
    }
}

static void clip_grads(const nn_optim_opts *o, int64_t n, double *g)
{
    if (o->clip_value > 0.0) {
        double c = o->clip_value;
        for (int64_t i = 0; i < n; i++) {
            g[i] = g[i] > c ? c : g[i] < -c ? -c : g[i];
        }
    }
    if (o->clip_norm > 0.0) {
        double sum = 0.0, norm;
        for (int64_t i = 0; i < n; i++) {
            sum += g[i] * g[i];
        }
        norm = sqrt(sum);
        if (norm > o->clip_norm) {
            double scale = o->clip_norm / norm;
            for (int64_t i = 0; i < n; i++) {
                g[i] *= scale;
            }
        }
    }
}

/*
 * State that decays while its gradient stays 0 (the weights of a dead
 * relu unit, say) reaches subnormal numbers after a few thousand steps,
 * and x86 computes on those up to a hundred times slower: it doubled the
 * step time of a 2-10-10-1 Adam model. State below DBL_MIN (2.2e-308)
 * moves a parameter by less than lr * 1e-300, so it is stored as 0.
 */
static inline double flush(double x)
{
    return fabs(x) < DBL_MIN ? 0.0 : x;
}

static void step_sgd(const nn_optim_opts *o, double lr, int64_t n, double *p,
                     const double *g, double *m)
{
    double mu = o->momentum;

    if (m == NULL) {
        for (int64_t i = 0; i < n; i++) {
            p[i] -= lr * g[i];
        }
    } else if (o->nesterov) {
        for (int64_t i = 0; i < n; i++) {
            m[i] = flush(mu * m[i] - lr * g[i]);
            p[i] += mu * m[i] - lr * g[i];
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            m[i] = flush(mu * m[i] - lr * g[i]);
            p[i] += m[i];
        }
    }
}

static void step_adam(const nn_optim_opts *o, double lr, int64_t k, int64_t n,
                      double *p, const double *g, double *m, double *v)
{
    double b1 = o->beta1, b2 = o->beta2, eps = o->epsilon;
    double alpha = lr * sqrt(1.0 - pow(b2, (double)k)) / (1.0 - pow(b1, (double)k));
    double decay = o->kind == NN_OPTIM_ADAMW ? lr * o->weight_decay : 0.0;

    for (int64_t i = 0; i < n; i++) {
        double gi = g[i];
        double mi = flush(b1 * m[i] + (1.0 - b1) * gi);
        double vi = flush(b2 * v[i] + (1.0 - b2) * gi * gi);
        m[i] = mi;
        v[i] = vi;
        p[i] -= decay * p[i];
        p[i] -= alpha * mi / (sqrt(vi) + eps);
    }
}

/* RMSprop and Adagrad differ only in how the accumulator a is updated. */
static void step_scaled(const nn_optim_opts *o, double lr, int64_t n, double *p,
                        const double *g, double *a)
{
    double eps = o->epsilon;
    double keep = o->kind == NN_OPTIM_RMSPROP ? o->rho : 1.0;
    double add = o->kind == NN_OPTIM_RMSPROP ? 1.0 - o->rho : 1.0;

    for (int64_t i = 0; i < n; i++) {
        double gi = g[i];
        double ai = flush(keep * a[i] + add * gi * gi);
        a[i] = ai;
        p[i] -= lr * gi / (sqrt(ai) + eps);
    }
}

void nn__optim_step(struct nn_optim *opt, double *params, double *grads)
{
    const nn_optim_opts *o = &opt->opts;
    double lr = scheduled_lr(o, opt->iterations);

    clip_grads(o, opt->n, grads);
    opt->iterations++;
    switch (o->kind) {
    case NN_OPTIM_SGD:
        step_sgd(o, lr, opt->n, params, grads, opt->m);
        break;
    case NN_OPTIM_ADAM:
    case NN_OPTIM_ADAMW:
        step_adam(o, lr, opt->iterations, opt->n, params, grads, opt->m, opt->v);
        break;
    default:
        step_scaled(o, lr, opt->n, params, grads, opt->v);
        break;
    }
}

nn_status nn_optim_step(nn_optim *opt, int64_t n, double *params, double *grads)
{
    if (opt == NULL || params == NULL || grads == NULL) {
        return nn__fail(NN_EINVAL, "nn_optim_step: %s is NULL",
                        opt == NULL ? "opt" : params == NULL ? "params" : "grads");
    }
    if (n != opt->n) {
        return nn__fail(NN_ESHAPE, "nn_optim_step: the optimizer was made for "
                        "%lld parameters, got %lld", (long long)opt->n,
                        (long long)n);
    }
    nn__optim_step(opt, params, grads);
    return NN_OK;
}

int64_t nn_optim_iterations(const nn_optim *opt)
{
    return opt != NULL ? opt->iterations : 0;
}

double nn_optim_lr(const nn_optim *opt)
{
    return opt != NULL ? scheduled_lr(&opt->opts, opt->iterations) : 0.0;
}

nn_status nn_optim_get_opts(const nn_optim *opt, nn_optim_opts *opts)
{
    if (opt == NULL || opts == NULL) {
        return nn__fail(NN_EINVAL, "nn_optim_get_opts: %s is NULL",
                        opt == NULL ? "opt" : "opts");
    }
    *opts = opt->opts;
    return NN_OK;
}

nn_status nn_optim_sgd(int64_t n, double lr, const double *grad, double *param)
{
    if (grad == NULL || param == NULL) {
        return nn__fail(NN_EINVAL, "nn_optim_sgd: %s is NULL",
                        grad == NULL ? "grad" : "param");
    }
    if (n < 1) {
        return nn__fail(NN_EINVAL, "nn_optim_sgd: n must be at least 1, got "
                        "%lld", (long long)n);
    }
    if (!isfinite(lr)) {
        return nn__fail(NN_EINVAL, "nn_optim_sgd: lr must be finite, got %g", lr);
    }
    for (int64_t i = 0; i < n; i++) {
        param[i] -= lr * grad[i];
    }
    return NN_OK;
}
