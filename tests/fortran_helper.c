/*
 * The C side of the Fortran tests, called through bind(C): the headers'
 * value of every constant and the layout of every option struct, to
 * compare with the module's twins; the same training run made through the
 * C API; and the C view of the last error and of the log sink.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <nnblas.h>

struct named {
    const char *name;
    int64_t value;
};

#define CONSTANT(x) {#x, (int64_t)(x)}

static const struct named constants[] = {
    CONSTANT(NN_OK), CONSTANT(NN_EINVAL), CONSTANT(NN_ESHAPE),
    CONSTANT(NN_ERANGE), CONSTANT(NN_ENOMEM), CONSTANT(NN_ENONFINITE),
    CONSTANT(NN_EDIVERGED), CONSTANT(NN_ESTATE), CONSTANT(NN_ESTOPPED),
    CONSTANT(NN_EIO), CONSTANT(NN_EFORMAT), CONSTANT(NN_ENOTSUP),
    CONSTANT(NN_EINTERNAL),
    CONSTANT(NN_ACTIVATION_IDENTITY), CONSTANT(NN_ACTIVATION_SIGMOID),
    CONSTANT(NN_ACTIVATION_TANH), CONSTANT(NN_ACTIVATION_RELU),
    CONSTANT(NN_ACTIVATION_LEAKY_RELU), CONSTANT(NN_ACTIVATION_SOFTMAX),
    CONSTANT(NN_LOSS_MSE), CONSTANT(NN_LOSS_MAE), CONSTANT(NN_LOSS_BCE),
    CONSTANT(NN_LOSS_BCE_LOGITS), CONSTANT(NN_LOSS_CCE),
    CONSTANT(NN_LOSS_CCE_LOGITS),
    CONSTANT(NN_OPTIM_SGD), CONSTANT(NN_OPTIM_ADAM), CONSTANT(NN_OPTIM_ADAMW),
    CONSTANT(NN_OPTIM_RMSPROP), CONSTANT(NN_OPTIM_ADAGRAD),
    CONSTANT(NN_SCHEDULE_CONSTANT), CONSTANT(NN_SCHEDULE_STEP),
    CONSTANT(NN_SCHEDULE_EXPONENTIAL), CONSTANT(NN_SCHEDULE_COSINE),
    CONSTANT(NN_METRIC_BINARY_ACCURACY),
    CONSTANT(NN_METRIC_CATEGORICAL_ACCURACY), CONSTANT(NN_METRIC_MSE),
    CONSTANT(NN_METRIC_MAE),
    CONSTANT(NN_INIT_ZEROS), CONSTANT(NN_INIT_ONES), CONSTANT(NN_INIT_CONSTANT),
    CONSTANT(NN_INIT_UNIFORM), CONSTANT(NN_INIT_NORMAL),
    CONSTANT(NN_INIT_GLOROT_UNIFORM), CONSTANT(NN_INIT_GLOROT_NORMAL),
    CONSTANT(NN_INIT_HE_UNIFORM), CONSTANT(NN_INIT_HE_NORMAL),
    CONSTANT(NN_INIT_LECUN_UNIFORM), CONSTANT(NN_INIT_LECUN_NORMAL),
    CONSTANT(NN_INIT_ORTHOGONAL),
    CONSTANT(NN_LAYER_DENSE), CONSTANT(NN_LAYER_DROPOUT),
    CONSTANT(NN_MAX_METRICS), CONSTANT(NN_MAX_LAYERS),
};

#define N_CONSTANTS (sizeof constants / sizeof constants[0])

static int asked[N_CONSTANTS];

/* The C value of the constant `name` into *value; 1 if there is one. */
int fh_constant(const char *name, int64_t *value)
{
    for (size_t i = 0; i < N_CONSTANTS; i++) {
        if (strcmp(constants[i].name, name) == 0) {
            asked[i] = 1;
            *value = constants[i].value;
            return 1;
        }
    }
    return 0;
}

/* The first constant nobody asked for, or NULL: the Fortran side checks
 * that it covered every one. */
const char *fh_constant_unasked(void)
{
    for (size_t i = 0; i < N_CONSTANTS; i++) {
        if (!asked[i]) {
            return constants[i].name;
        }
    }
    return NULL;
}

/* The floating-point macros. */
int fh_real_constant(const char *name, double *value)
{
    if (strcmp(name, "NN_LEAKY_SLOPE_DEFAULT") == 0) {
        *value = NN_LEAKY_SLOPE_DEFAULT;
    } else if (strcmp(name, "NN_LOSS_EPSILON") == 0) {
        *value = NN_LOSS_EPSILON;
    } else {
        return 0;
    }
    return 1;
}

#define FIELD(type, field) {#type "." #field, (int64_t)offsetof(type, field)}
#define SIZE(type) {#type, (int64_t)sizeof(type)}

static const struct named layouts[] = {
    SIZE(nn_dense_opts),
    FIELD(nn_dense_opts, units), FIELD(nn_dense_opts, activation),
    FIELD(nn_dense_opts, use_bias), FIELD(nn_dense_opts, slope),
    FIELD(nn_dense_opts, kernel_init), FIELD(nn_dense_opts, kernel_param),
    FIELD(nn_dense_opts, bias_init), FIELD(nn_dense_opts, bias_param),
    SIZE(nn_optim_opts),
    FIELD(nn_optim_opts, kind), FIELD(nn_optim_opts, lr),
    FIELD(nn_optim_opts, momentum), FIELD(nn_optim_opts, nesterov),
    FIELD(nn_optim_opts, beta1), FIELD(nn_optim_opts, beta2),
    FIELD(nn_optim_opts, epsilon), FIELD(nn_optim_opts, weight_decay),
    FIELD(nn_optim_opts, rho), FIELD(nn_optim_opts, initial_accumulator),
    FIELD(nn_optim_opts, clip_value), FIELD(nn_optim_opts, clip_norm),
    FIELD(nn_optim_opts, schedule), FIELD(nn_optim_opts, decay_steps),
    FIELD(nn_optim_opts, decay_rate), FIELD(nn_optim_opts, cosine_floor),
    SIZE(nn_fit_opts),
    FIELD(nn_fit_opts, epochs), FIELD(nn_fit_opts, batch_size),
    FIELD(nn_fit_opts, shuffle), FIELD(nn_fit_opts, verbose),
    FIELD(nn_fit_opts, progress), FIELD(nn_fit_opts, validation_split),
    FIELD(nn_fit_opts, x_val), FIELD(nn_fit_opts, y_val),
    FIELD(nn_fit_opts, n_val), FIELD(nn_fit_opts, early_stopping),
    FIELD(nn_fit_opts, monitor), FIELD(nn_fit_opts, min_delta),
    FIELD(nn_fit_opts, patience), FIELD(nn_fit_opts, restore_best),
    FIELD(nn_fit_opts, on_epoch), FIELD(nn_fit_opts, user),
    SIZE(nn_layer_info),
    FIELD(nn_layer_info, kind), FIELD(nn_layer_info, inputs),
    FIELD(nn_layer_info, units), FIELD(nn_layer_info, activation),
    FIELD(nn_layer_info, use_bias), FIELD(nn_layer_info, param_offset),
    FIELD(nn_layer_info, param_count), FIELD(nn_layer_info, rate),
    SIZE(nn_rng),
    FIELD(nn_rng, state),
};

#define N_LAYOUTS (sizeof layouts / sizeof layouts[0])

static int layout_asked[N_LAYOUTS];

/* sizeof(type) for "type", offsetof(type, field) for "type.field"; -1
 * for a name C does not know. */
int64_t fh_layout(const char *name)
{
    for (size_t i = 0; i < N_LAYOUTS; i++) {
        if (strcmp(layouts[i].name, name) == 0) {
            layout_asked[i] = 1;
            return layouts[i].value;
        }
    }
    return -1;
}

const char *fh_layout_unasked(void)
{
    for (size_t i = 0; i < N_LAYOUTS; i++) {
        if (!layout_asked[i]) {
            return layouts[i].name;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */

/* The data of the reproducibility test, row-major: x is FH_SAMPLES x
 * FH_INPUTS, exact binary fractions so that both languages build the
 * same bits. */
enum { FH_SAMPLES = 12, FH_INPUTS = 3 };

static void make_data(double x[FH_SAMPLES][FH_INPUTS], double y[FH_SAMPLES])
{
    for (int i = 0; i < FH_SAMPLES; i++) {
        for (int j = 0; j < FH_INPUTS; j++) {
            x[i][j] = ((i * 7 + j * 3) % 11) / 8.0 - 0.5;
        }
        y[i] = (i * 5) % 3 == 0 ? 1.0 : 0.0;
    }
}

static nn_status add_dense(nn_model *m, int64_t units, int activation,
                           int64_t use_bias, double slope, int kernel_init)
{
    nn_dense_opts opts;
    nn_status s = nn_dense_opts_init(&opts, units, activation);

    if (s != NN_OK) {
        return s;
    }
    opts.use_bias = use_bias;
    opts.slope = slope;
    opts.kernel_init = kernel_init;
    opts.kernel_param = nn_init_default_param(kernel_init);
    return nn_model_add_dense_opts(m, &opts);
}

/*
 * Builds and trains the model of test_fortran_api's reproducibility test
 * through the C API, then copies its parameters to params (cap entries)
 * and the last validation loss to *val_loss. *count gets the parameter
 * count. Returns the first failing status, or NN_OK.
 */
int fh_train_c(int64_t seed, double *params, int64_t cap, int64_t *count,
               double *val_loss)
{
    double x[FH_SAMPLES][FH_INPUTS], y[FH_SAMPLES];
    int metrics[2] = {NN_METRIC_BINARY_ACCURACY, NN_METRIC_MSE};
    nn_model *m = NULL;
    nn_history *h = NULL;
    nn_optim_opts adam;
    nn_fit_opts fit;
    nn_status s;

    make_data(x, y);
    if ((s = nn_model_new(&m, FH_INPUTS)) != NN_OK
        || (s = nn_model_set_seed(m, (uint64_t)seed)) != NN_OK
        || (s = add_dense(m, 8, NN_ACTIVATION_LEAKY_RELU, 1, 0.1,
                          NN_INIT_HE_NORMAL)) != NN_OK
        || (s = nn_model_add_dropout(m, 0.25)) != NN_OK
        || (s = add_dense(m, 6, NN_ACTIVATION_TANH, 0, NN_LEAKY_SLOPE_DEFAULT,
                          NN_INIT_LECUN_UNIFORM)) != NN_OK
        || (s = nn_model_add_dense(m, 1, NN_ACTIVATION_SIGMOID)) != NN_OK
        || (s = nn_optim_opts_init(&adam, NN_OPTIM_ADAM)) != NN_OK) {
        nn_model_free(m);
        return s;
    }
    adam.lr = 0.01;
    if ((s = nn_model_compile(m, NN_LOSS_BCE, &adam, metrics, 2)) != NN_OK
        || (s = nn_fit_opts_init(&fit)) != NN_OK) {
        nn_model_free(m);
        return s;
    }
    fit.epochs = 30;
    fit.batch_size = 5;
    fit.verbose = 0;
    fit.validation_split = 0.25;
    s = nn_model_fit(m, FH_SAMPLES, FH_INPUTS, 1, &x[0][0], y, &fit, &h);

    *count = nn_model_param_count(m);
    if (s == NN_OK && *count <= cap) {
        memcpy(params, nn_model_params(m), (size_t)*count * sizeof(double));
        s = nn_history_get(h, "val_loss", nn_history_epochs(h) - 1, val_loss);
    }
    nn_history_free(h);
    nn_model_free(m);
    return s;
}

/* n uniform draws on [-1, 1) from a generator seeded with seed. */
int fh_rng_uniform(int64_t seed, int64_t n, double *out)
{
    nn_rng rng;
    nn_status s = nn_rng_seed(&rng, (uint64_t)seed);

    return s != NN_OK ? s : nn_rng_uniform(&rng, n, -1.0, 1.0, out);
}

/* ------------------------------------------------------------------ */

/* 1 if the C library's last error is exactly text[0..len). */
int fh_last_error_equals(const char *text, int64_t len)
{
    const char *e = nn_last_error();

    return (int64_t)strlen(e) == len && memcmp(e, text, (size_t)len) == 0;
}

/* Records a long message made of every printable character (with %, \ and
 * quotes among them) and a UTF-8 "e acute", as C code would. */
int fh_set_long_error(int status)
{
    char message[480];
    size_t n = 0;

    memcpy(message, "c side: ", 8);
    n = 8;
    for (int i = 0; n < 470; i++) {
        message[n++] = (char)(33 + (i * 7) % 94);
    }
    message[n++] = (char)0xc3;
    message[n++] = (char)0xa9;
    message[n] = '\0';
    return nn_last_error_set(status, message);
}

static int log_count;
static char log_last[1024];

static void sink(void *user, int level, const char *message)
{
    (void)user;
    (void)level;
    log_count++;
    strncpy(log_last, message, sizeof log_last - 1);
}

/* Installs (1) or removes (0) a log sink that keeps the last message. */
void fh_log_capture(int on)
{
    log_count = 0;
    log_last[0] = '\0';
    nn_log_set(on ? sink : NULL, NULL, NN_LOG_ERROR);
}

int fh_log_count(void)
{
    return log_count;
}

/* 1 if the sink's last message is exactly text[0..len). */
int fh_log_last_equals(const char *text, int64_t len)
{
    return (int64_t)strlen(log_last) == len
           && memcmp(log_last, text, (size_t)len) == 0;
}
