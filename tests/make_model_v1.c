/*
 * Writes the format version 1 files kept under tests/data/ (and copied
 * into the fuzz corpus): small trained models, each with a text file of
 * inputs and the predictions the model gave when it was saved.
 *
 *     make_model_v1 OUTDIR
 *
 * Not run by the test suite: the files it wrote once are the fixed
 * reference that test_model_io checks every later library against.
 * Running it again overwrites them, which is only right when the format
 * version changes (then write model_v2_* files instead).
 */
#include <stdio.h>
#include <stdlib.h>

#include <nnblas.h>

#define ROWS_MAX 8

struct spec {
    const char *name;
    int64_t inputs, outputs, rows;
    double x[ROWS_MAX * 4];
    double y[ROWS_MAX * 3];
};

static void die(const char *what, nn_status s)
{
    fprintf(stderr, "make_model_v1: %s: %s: %s\n", what, nn_status_str(s),
            nn_last_error());
    exit(1);
}

#define TRY(call) do { nn_status s_ = (call); if (s_ != NN_OK) die(#call, s_); } while (0)

/* XOR: Adam, dropout, sigmoid output fused with binary cross-entropy. */
static nn_model *make_xor(void)
{
    nn_optim_opts opt;
    nn_dense_opts d;
    nn_model *m;
    int metrics[2] = {NN_METRIC_BINARY_ACCURACY, NN_METRIC_MSE};

    TRY(nn_model_new(&m, 2));
    TRY(nn_model_set_seed(m, 20240611));
    TRY(nn_dense_opts_init(&d, 8, NN_ACTIVATION_TANH));
    d.kernel_init = NN_INIT_HE_UNIFORM;
    d.bias_init = NN_INIT_CONSTANT;
    d.bias_param = 0.125;
    TRY(nn_model_add_dense_opts(m, &d));
    TRY(nn_model_add_dropout(m, 0.25));
    TRY(nn_model_add_dense(m, 1, NN_ACTIVATION_SIGMOID));
    TRY(nn_optim_opts_init(&opt, NN_OPTIM_ADAM));
    opt.lr = 0.05;
    opt.clip_norm = 5.0;
    opt.schedule = NN_SCHEDULE_COSINE;
    opt.decay_steps = 400;
    opt.cosine_floor = 0.1;
    TRY(nn_model_compile(m, NN_LOSS_BCE, &opt, metrics, 2));
    return m;
}

/* Logic gates AND, OR, XOR: SGD with Nesterov momentum, leaky relu, a
 * layer without bias, mean squared error. */
static nn_model *make_sgd(void)
{
    nn_optim_opts opt;
    nn_dense_opts d;
    nn_model *m;
    int metric = NN_METRIC_MAE;

    TRY(nn_model_new(&m, 2));
    TRY(nn_model_set_seed(m, 7));
    TRY(nn_dense_opts_init(&d, 6, NN_ACTIVATION_LEAKY_RELU));
    d.slope = 0.05;
    d.use_bias = 0;
    d.kernel_init = NN_INIT_HE_NORMAL;
    d.kernel_param = nn_init_default_param(NN_INIT_HE_NORMAL);
    TRY(nn_model_add_dense_opts(m, &d));
    TRY(nn_model_add_dense(m, 3, NN_ACTIVATION_IDENTITY));
    TRY(nn_optim_opts_init(&opt, NN_OPTIM_SGD));
    opt.lr = 0.05;
    opt.momentum = 0.9;
    opt.nesterov = 1;
    opt.schedule = NN_SCHEDULE_STEP;
    opt.decay_steps = 50;
    opt.decay_rate = 0.5;
    TRY(nn_model_compile(m, NN_LOSS_MSE, &opt, &metric, 1));
    return m;
}

/* Three classes: softmax with categorical cross-entropy, RMSprop with
 * value clipping, an orthogonal kernel. */
static nn_model *make_softmax(void)
{
    nn_optim_opts opt;
    nn_dense_opts d;
    nn_model *m;
    int metric = NN_METRIC_CATEGORICAL_ACCURACY;

    TRY(nn_model_new(&m, 4));
    TRY(nn_model_set_seed(m, 99));
    TRY(nn_dense_opts_init(&d, 5, NN_ACTIVATION_RELU));
    d.kernel_init = NN_INIT_ORTHOGONAL;
    d.kernel_param = 1.0;
    TRY(nn_model_add_dense_opts(m, &d));
    TRY(nn_model_add_dense(m, 3, NN_ACTIVATION_SOFTMAX));
    TRY(nn_optim_opts_init(&opt, NN_OPTIM_RMSPROP));
    opt.lr = 0.01;
    opt.clip_value = 1.0;
    opt.schedule = NN_SCHEDULE_EXPONENTIAL;
    opt.decay_steps = 100;
    opt.decay_rate = 0.9;
    TRY(nn_model_compile(m, NN_LOSS_CCE, &opt, &metric, 1));
    return m;
}

/* AdamW on logits: three dense layers, a dropout at the end, no metrics. */
static nn_model *make_adamw(void)
{
    nn_optim_opts opt;
    nn_dense_opts d;
    nn_model *m;

    TRY(nn_model_new(&m, 3));
    TRY(nn_model_set_seed(m, UINT64_C(0xfeedfacecafebeef)));
    TRY(nn_dense_opts_init(&d, 4, NN_ACTIVATION_SIGMOID));
    d.kernel_init = NN_INIT_GLOROT_NORMAL;
    TRY(nn_model_add_dense_opts(m, &d));
    TRY(nn_dense_opts_init(&d, 3, NN_ACTIVATION_RELU));
    d.kernel_init = NN_INIT_LECUN_UNIFORM;
    d.bias_init = NN_INIT_UNIFORM;
    d.bias_param = 0.05;
    TRY(nn_model_add_dense_opts(m, &d));
    TRY(nn_model_add_dense(m, 1, NN_ACTIVATION_IDENTITY));
    TRY(nn_model_add_dropout(m, 0.1));
    TRY(nn_optim_opts_init(&opt, NN_OPTIM_ADAMW));
    opt.lr = 0.01;
    TRY(nn_model_compile(m, NN_LOSS_BCE_LOGITS, &opt, NULL, 0));
    return m;
}

/* Adagrad on two softmax logits, mean absolute error as a metric. */
static nn_model *make_adagrad(void)
{
    nn_optim_opts opt;
    nn_model *m;
    int metrics[2] = {NN_METRIC_MAE, NN_METRIC_CATEGORICAL_ACCURACY};

    TRY(nn_model_new(&m, 2));
    TRY(nn_model_set_seed(m, 3));
    TRY(nn_model_add_dense(m, 4, NN_ACTIVATION_TANH));
    TRY(nn_model_add_dense(m, 2, NN_ACTIVATION_IDENTITY));
    TRY(nn_optim_opts_init(&opt, NN_OPTIM_ADAGRAD));
    opt.lr = 0.1;
    TRY(nn_model_compile(m, NN_LOSS_CCE_LOGITS, &opt, metrics, 2));
    return m;
}

/* Plain SGD, which keeps no state, on a line: mean absolute error. */
static nn_model *make_plain(void)
{
    nn_optim_opts opt;
    nn_model *m;
    int metric = NN_METRIC_MSE;

    TRY(nn_model_new(&m, 1));
    TRY(nn_model_add_dense(m, 1, NN_ACTIVATION_IDENTITY));
    TRY(nn_optim_opts_init(&opt, NN_OPTIM_SGD));
    TRY(nn_model_compile(m, NN_LOSS_MAE, &opt, &metric, 1));
    return m;
}

static void write_files(const char *dir, const struct spec *sp, nn_model *m)
{
    double out[ROWS_MAX * 3];
    char path[512];
    nn_fit_opts fit;
    FILE *f;

    TRY(nn_fit_opts_init(&fit));
    fit.epochs = 40;
    fit.batch_size = 2;
    fit.verbose = 0;
    TRY(nn_model_fit(m, sp->rows, sp->inputs, sp->outputs, sp->x, sp->y,
                     &fit, NULL));
    TRY(nn_model_predict(m, sp->rows, sp->inputs, sp->outputs, sp->x, out));

    snprintf(path, sizeof path, "%s/model_v1_%s.nnb", dir, sp->name);
    TRY(nn_model_save(m, path));
    snprintf(path, sizeof path, "%s/model_v1_%s.txt", dir, sp->name);
    f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    fprintf(f, "# inputs, then the predictions at save time (hex floats)\n");
    fprintf(f, "%lld %lld %lld\n", (long long)sp->inputs,
            (long long)sp->outputs, (long long)sp->rows);
    for (int64_t r = 0; r < sp->rows; r++) {
        for (int64_t j = 0; j < sp->inputs; j++) {
            fprintf(f, "%a ", sp->x[r * sp->inputs + j]);
        }
        for (int64_t j = 0; j < sp->outputs; j++) {
            fprintf(f, "%a%s", out[r * sp->outputs + j],
                    j + 1 < sp->outputs ? " " : "\n");
        }
    }
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    printf("wrote %s/model_v1_%s.nnb and .txt\n", dir, sp->name);
}

int main(int argc, char **argv)
{
    static const struct spec xor_spec = {
        "xor", 2, 1, 4,
        {0, 0, 0, 1, 1, 0, 1, 1},
        {0, 1, 1, 0},
    };
    static const struct spec gates_spec = {
        "sgd", 2, 3, 4,
        {0, 0, 0, 1, 1, 0, 1, 1},
        {0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0},
    };
    static const struct spec class_spec = {
        "softmax", 4, 3, 6,
        {5.1, 3.5, 1.4, 0.2, 4.9, 3.0, 1.4, 0.2, 7.0, 3.2, 4.7, 1.4,
         6.4, 3.2, 4.5, 1.5, 6.3, 3.3, 6.0, 2.5, 5.8, 2.7, 5.1, 1.9},
        {1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1},
    };
    static const struct spec logits_spec = {
        "adamw", 3, 1, 5,
        {0.5, -1, 2, 1, 1, -1, -2, 0.25, 0, 3, 1, 1, -0.5, -0.5, 0.5},
        {1, 0, 0, 1, 0},
    };
    static const struct spec multi_spec = {
        "adagrad", 2, 2, 4,
        {0, 0, 0, 1, 1, 0, 1, 1},
        {1, 0, 0, 1, 0, 1, 1, 0},
    };
    static const struct spec plain_spec = {
        "plain", 1, 1, 4,
        {-1, 0, 1, 2},
        {-2.5, -0.5, 1.5, 3.5},
    };
    static const struct {
        nn_model *(*make)(void);
        const struct spec *spec;
    } makers[] = {
        {make_xor, &xor_spec}, {make_sgd, &gates_spec},
        {make_softmax, &class_spec}, {make_adamw, &logits_spec},
        {make_adagrad, &multi_spec}, {make_plain, &plain_spec},
    };
    nn_status s;

    if (argc != 2) {
        fprintf(stderr, "usage: make_model_v1 OUTDIR\n");
        return 2;
    }
    s = nn_blas_threads_set(1);
    if (s != NN_OK && s != NN_ENOTSUP) {
        die("nn_blas_threads_set", s);
    }
    for (size_t i = 0; i < sizeof makers / sizeof makers[0]; i++) {
        nn_model *m = makers[i].make();
        write_files(argv[1], makers[i].spec, m);
        nn_model_free(m);
    }
    return 0;
}
