/*
 * Allocation-failure injection. An allocator installed with
 * nn_allocator_set counts every allocation the library asks for, keeps a
 * table of the blocks that are live, and can refuse the N-th request (and,
 * in a second pass, every request after it too). For each operation the
 * test first counts the allocations one successful call makes, then fails
 * each of them in turn and checks that the call returns NN_ENOMEM with a
 * message, leaves its outputs untouched, leaves its objects usable (a
 * retry succeeds and gives what a call that never failed gives), and
 * that no block is live once everything is freed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nnblas.h>

#include "nn_test.h"

/* ----------------------------------------------------------------------
 * The counting allocator
 */

#define MAX_LIVE 256

struct counter {
    int64_t count;          /* allocations asked for so far */
    int64_t fail_at;        /* the count that is refused; 0 for none */
    int fail_rest;          /* 1: every later request is refused too */
    void *live[MAX_LIVE];   /* blocks handed out and not yet released */
    int64_t n_live;
    int64_t foreign;        /* releases of blocks this allocator never made */
};

static struct counter ctr;

static void *counting_alloc(void *user, size_t size)
{
    struct counter *c = user;
    void *p;

    c->count++;
    if (c->fail_at > 0 && (c->count == c->fail_at
                           || (c->fail_rest && c->count > c->fail_at))) {
        return NULL;
    }
    if (c->n_live == MAX_LIVE || (p = malloc(size)) == NULL) {
        return NULL;
    }
    c->live[c->n_live++] = p;
    return p;
}

static void counting_release(void *user, void *ptr)
{
    struct counter *c = user;

    for (int64_t i = 0; i < c->n_live; i++) {
        if (c->live[i] == ptr) {
            c->live[i] = c->live[--c->n_live];
            free(ptr);
            return;
        }
    }
    c->foreign++;
}

/* ----------------------------------------------------------------------
 * Data and models shared by the operations
 */

#define N 40            /* training samples */
#define N_PRED 300      /* more than one inference chunk of 256 rows */
#define IN 3
#define OUT 2
#define SENTINEL -7.25

static double x[N_PRED * IN], y[N_PRED * OUT];

static void make_data(void)
{
    uint64_t state = 2024;

    for (int i = 0; i < N_PRED * IN; i++) {
        x[i] = nn_test_rand(&state);
    }
    for (int i = 0; i < N_PRED; i++) {
        y[i * OUT] = x[i * IN] + x[i * IN + 1] > 0.0;
        y[i * OUT + 1] = x[i * IN + 2] > 0.2;
    }
}

/*
 * 3 -> dense 8 (orthogonal W) -> dropout -> dense 8 (orthogonal b) ->
 * dense 2 sigmoid: the orthogonal draws make compile allocate workspace
 * inside nn_init_fill, and the dropout needs its mask in the workspace.
 */
static nn_model *build(void)
{
    nn_dense_opts opts;
    nn_model *m = NULL;

    if (!CHECK_STATUS(nn_model_new(&m, IN), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_set_seed(m, 11), NN_OK);
    CHECK_STATUS(nn_dense_opts_init(&opts, 8, NN_ACTIVATION_RELU), NN_OK);
    opts.kernel_init = NN_INIT_ORTHOGONAL;
    opts.kernel_param = 1.0;
    CHECK_STATUS(nn_model_add_dense_opts(m, &opts), NN_OK);
    CHECK_STATUS(nn_model_add_dropout(m, 0.25), NN_OK);
    CHECK_STATUS(nn_dense_opts_init(&opts, 8, NN_ACTIVATION_TANH), NN_OK);
    opts.bias_init = NN_INIT_ORTHOGONAL;
    opts.bias_param = 0.1;
    CHECK_STATUS(nn_model_add_dense_opts(m, &opts), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, OUT, NN_ACTIVATION_SIGMOID), NN_OK);
    return m;
}

static const int metrics[2] = {NN_METRIC_BINARY_ACCURACY, NN_METRIC_MSE};

static nn_status compile_adam(nn_model *m)
{
    nn_optim_opts adam;
    nn_status s = nn_optim_opts_init(&adam, NN_OPTIM_ADAM);

    return s != NN_OK ? s : nn_model_compile(m, NN_LOSS_BCE, &adam, metrics, 2);
}

static nn_model *build_compiled(void)
{
    nn_model *m = build();

    if (m != NULL) {
        CHECK_STATUS(compile_adam(m), NN_OK);
    }
    return m;
}

/* Fit A: validation split, restore_best, shuffling, history. */
static nn_status fit_a(nn_model *m, nn_history **h)
{
    nn_fit_opts o;
    nn_status s = nn_fit_opts_init(&o);

    o.epochs = 3;
    o.batch_size = 8;
    o.verbose = 0;
    o.validation_split = 0.25;
    o.restore_best = 1;
    return s != NN_OK ? s : nn_model_fit(m, N, IN, OUT, x, y, &o, h);
}

/* Fit B: a larger batch (the workspace grows), explicit validation
 * data, early stopping on a metric. */
static nn_status fit_b(nn_model *m, nn_history **h)
{
    nn_fit_opts o;
    nn_status s = nn_fit_opts_init(&o);

    o.epochs = 2;
    o.batch_size = 16;
    o.verbose = 0;
    o.x_val = x + N * IN;
    o.y_val = y + N * OUT;
    o.n_val = 20;
    o.early_stopping = 1;
    o.monitor = "val_binary_accuracy";
    return s != NN_OK ? s : nn_model_fit(m, N, IN, OUT, x, y, &o, h);
}

/* 1 if the model's parameters equal a saved copy bit for bit. */
static int same_params(const nn_model *m, const double *saved)
{
    size_t bytes = (size_t)nn_model_param_count(m) * sizeof(double);

    return m != NULL && nn_model_params(m) != NULL
           && memcmp(nn_model_params(m), saved, bytes) == 0;
}

#define MAX_PARAMS 256

/* ----------------------------------------------------------------------
 * The operations
 */

struct fixture {
    nn_model *m;
    nn_model *made;          /* the out-parameter of nn_model_new */
    nn_history *h;
    nn_tensor *parent;
    nn_tensor *t;
    nn_dense *layer;
    nn_optim *opt;
    nn_rng rng;
    nn_rng rng_before;
    double params[MAX_PARAMS];
    double w[64];
    double out[N_PRED * OUT];
    double loss;
    double metrics[2];
};

/* Any non-NULL value that a failing constructor must overwrite. */
static char not_null;
#define NOT_NULL ((void *)&not_null)

static void fixture_free(struct fixture *f)
{
    /* A constructor that failed to clear its out-parameter is reported
     * by the checks; the placeholder must not reach a _free. */
    if (f->made == NOT_NULL || f->h == NOT_NULL || f->t == NOT_NULL
        || f->layer == NOT_NULL || f->opt == NOT_NULL) {
        CHECK(!"an out-parameter kept its old value");
        return;
    }
    nn_model_free(f->m);
    nn_model_free(f->made);
    nn_history_free(f->h);
    nn_tensor_free(f->t);
    nn_tensor_free(f->parent);
    nn_dense_free(f->layer);
    nn_optim_free(f->opt);
}

/* Keeps the parameters of f->m for a later comparison. */
static void snapshot(struct fixture *f)
{
    int64_t n = nn_model_param_count(f->m);

    if (CHECK(n <= MAX_PARAMS) && nn_model_params(f->m) != NULL) {
        memcpy(f->params, nn_model_params(f->m), (size_t)n * sizeof(double));
    }
}

static void no_setup(struct fixture *f) { (void)f; }

/* nn_model_new */

static nn_status run_model_new(struct fixture *f)
{
    f->made = NOT_NULL;
    return nn_model_new(&f->made, IN);
}

static void after_model_new(struct fixture *f)
{
    CHECK(f->made == NULL);
    CHECK_STATUS(nn_model_new(&f->made, IN), NN_OK);
}

/* nn_model_add_dense and nn_model_add_dropout: the layer list starts at
 * 4 and doubles, so the first layer and the fifth allocate. */

static void setup_empty(struct fixture *f)
{
    CHECK_STATUS(nn_model_new(&f->m, IN), NN_OK);
}

static void setup_four_layers(struct fixture *f)
{
    setup_empty(f);
    for (int i = 0; i < 4; i++) {
        CHECK_STATUS(nn_model_add_dense(f->m, 5 + i, NN_ACTIVATION_RELU),
                     NN_OK);
    }
}

static nn_status run_add_dense(struct fixture *f)
{
    return nn_model_add_dense(f->m, 6, NN_ACTIVATION_TANH);
}

static nn_status run_add_dropout(struct fixture *f)
{
    return nn_model_add_dropout(f->m, 0.5);
}

static void after_add(struct fixture *f, int64_t layers, int dropout)
{
    nn_layer_info info;

    CHECK(nn_model_layer_count(f->m) == layers);
    if (layers > 0 && CHECK_STATUS(nn_model_layer_info(f->m, layers - 1,
                                                       &info), NN_OK)) {
        CHECK(info.units == 4 + layers && info.inputs == 3 + layers);
    }
    CHECK_STATUS(dropout ? run_add_dropout(f) : run_add_dense(f), NN_OK);
    CHECK(nn_model_layer_count(f->m) == layers + 1);
}

static void after_add_first(struct fixture *f) { after_add(f, 0, 0); }
static void after_add_fifth(struct fixture *f) { after_add(f, 4, 0); }
static void after_add_dropout(struct fixture *f) { after_add(f, 4, 1); }

/* nn_model_compile, first and second time */

static void setup_built(struct fixture *f)
{
    f->m = build();
}

static nn_status run_compile(struct fixture *f)
{
    return compile_adam(f->m);
}

static void after_compile_first(struct fixture *f)
{
    nn_model *ref = build_compiled();

    CHECK(!nn_model_is_compiled(f->m));
    CHECK(nn_model_params(f->m) == NULL && nn_model_loss(f->m) == -1);

    /* The failed draws must not have moved the generator. */
    if (CHECK_STATUS(run_compile(f), NN_OK) && ref != NULL) {
        CHECK(same_params(f->m, nn_model_params(ref)));
    }
    nn_model_free(ref);
}

static void setup_trained(struct fixture *f)
{
    f->m = build_compiled();
    CHECK_STATUS(nn_model_train_batch(f->m, 10, IN, OUT, x, y, NULL), NN_OK);
    snapshot(f);
}

static nn_status run_recompile(struct fixture *f)
{
    nn_optim_opts sgd;
    nn_status s = nn_optim_opts_init(&sgd, NN_OPTIM_SGD);

    sgd.momentum = 0.9;
    return s != NN_OK ? s : nn_model_compile(f->m, NN_LOSS_MSE, &sgd, NULL, 0);
}

static void after_recompile(struct fixture *f)
{
    nn_model *ref = build_compiled();

    /* Still compiled as before: loss, metrics and Adam's state kept. */
    CHECK(nn_model_is_compiled(f->m) && nn_model_loss(f->m) == NN_LOSS_BCE);
    CHECK(nn_model_metric_count(f->m) == 2);
    CHECK(same_params(f->m, f->params));
    CHECK_STATUS(nn_model_train_batch(ref, 10, IN, OUT, x, y, NULL), NN_OK);
    CHECK_STATUS(nn_model_train_batch(ref, 10, IN, OUT, x + 10 * IN,
                                      y + 10 * OUT, NULL), NN_OK);
    CHECK_STATUS(nn_model_train_batch(f->m, 10, IN, OUT, x + 10 * IN,
                                      y + 10 * OUT, NULL), NN_OK);
    CHECK(same_params(f->m, nn_model_params(ref)));
    CHECK_STATUS(run_recompile(f), NN_OK);
    nn_model_free(ref);
}

/* nn_model_fit: a first fit (workspace, history, order, best copy) and
 * a second one whose larger batch regrows the workspace */

static void setup_compiled(struct fixture *f)
{
    f->m = build_compiled();
    snapshot(f);
}

static void setup_fitted(struct fixture *f)
{
    f->m = build_compiled();
    CHECK_STATUS(fit_a(f->m, NULL), NN_OK);
    snapshot(f);
}

static nn_status run_fit_a(struct fixture *f)
{
    f->h = NOT_NULL;
    return fit_a(f->m, &f->h);
}

static nn_status run_fit_b(struct fixture *f)
{
    f->h = NOT_NULL;
    return fit_b(f->m, &f->h);
}

/* The model was not changed, and fitting again gives what a model that
 * never saw a failure gets. */
static void after_fit(struct fixture *f, int second)
{
    nn_model *ref = build_compiled();

    CHECK(f->h == NULL);
    CHECK(same_params(f->m, f->params));
    if (second) {
        CHECK_STATUS(fit_a(ref, NULL), NN_OK);
    }
    CHECK_STATUS(second ? fit_b(ref, NULL) : fit_a(ref, NULL), NN_OK);
    CHECK_STATUS(second ? run_fit_b(f) : run_fit_a(f), NN_OK);
    CHECK(nn_history_epochs(f->h) >= 1);
    CHECK(same_params(f->m, nn_model_params(ref)));
    nn_model_free(ref);
}

static void after_fit_a(struct fixture *f) { after_fit(f, 0); }
static void after_fit_b(struct fixture *f) { after_fit(f, 1); }

/* nn_model_train_batch */

static nn_status run_train_batch(struct fixture *f)
{
    f->loss = SENTINEL;
    return nn_model_train_batch(f->m, 10, IN, OUT, x, y, &f->loss);
}

static void after_train_batch(struct fixture *f)
{
    nn_model *ref = build_compiled();

    CHECK(f->loss == SENTINEL);
    CHECK(same_params(f->m, f->params));
    CHECK_STATUS(nn_model_train_batch(ref, 10, IN, OUT, x, y, NULL), NN_OK);
    CHECK_STATUS(run_train_batch(f), NN_OK);
    CHECK(f->loss != SENTINEL && same_params(f->m, nn_model_params(ref)));
    nn_model_free(ref);
}

/* nn_model_predict and nn_model_evaluate */

static int out_untouched(const struct fixture *f)
{
    for (int i = 0; i < N_PRED * OUT; i++) {
        if (f->out[i] != SENTINEL) {
            return 0;
        }
    }
    return 1;
}

static nn_status run_predict(struct fixture *f)
{
    for (int i = 0; i < N_PRED * OUT; i++) {
        f->out[i] = SENTINEL;
    }
    return nn_model_predict(f->m, N_PRED, IN, OUT, x, f->out);
}

static void after_predict(struct fixture *f)
{
    CHECK(out_untouched(f));
    CHECK_STATUS(run_predict(f), NN_OK);
    CHECK(!out_untouched(f));
}

static nn_status run_evaluate(struct fixture *f)
{
    f->loss = f->metrics[0] = f->metrics[1] = SENTINEL;
    return nn_model_evaluate(f->m, N_PRED, IN, OUT, x, y, &f->loss,
                             f->metrics);
}

static void after_evaluate(struct fixture *f)
{
    CHECK(f->loss == SENTINEL && f->metrics[0] == SENTINEL
          && f->metrics[1] == SENTINEL);
    CHECK_STATUS(run_evaluate(f), NN_OK);
    CHECK(f->loss != SENTINEL && f->metrics[1] != SENTINEL);
}

/* Tensors */

static nn_status run_tensor_new(struct fixture *f)
{
    f->t = NOT_NULL;
    return nn_tensor_new(&f->t, 5, 7);
}

static nn_status run_tensor_wrap(struct fixture *f)
{
    f->t = NOT_NULL;
    return nn_tensor_wrap(&f->t, 4, 3, 8, f->w);
}

static void setup_parent(struct fixture *f)
{
    CHECK_STATUS(nn_tensor_new(&f->parent, 6, 6), NN_OK);
}

static nn_status run_tensor_view(struct fixture *f)
{
    f->t = NOT_NULL;
    return nn_tensor_view(&f->t, f->parent, 1, 2, 3, 4);
}

static void after_tensor(struct fixture *f, nn_status (*run)(struct fixture *))
{
    CHECK(f->t == NULL);
    CHECK_STATUS(run(f), NN_OK);
    CHECK(f->t != NULL && nn_tensor_rows(f->t) >= 3);
}

static void after_tensor_new(struct fixture *f)
{
    after_tensor(f, run_tensor_new);
}

static void after_tensor_wrap(struct fixture *f)
{
    after_tensor(f, run_tensor_wrap);
}

static void after_tensor_view(struct fixture *f)
{
    after_tensor(f, run_tensor_view);
}

/* Layers and optimizers on their own */

static nn_status run_dense_new(struct fixture *f)
{
    nn_dense_opts opts;
    nn_status s = nn_dense_opts_init(&opts, 4, NN_ACTIVATION_RELU);

    f->layer = NOT_NULL;
    return s != NN_OK ? s : nn_dense_new(&f->layer, 5, &opts);
}

static nn_status run_dense_wrap(struct fixture *f)
{
    nn_dense_opts opts;
    nn_status s = nn_dense_opts_init(&opts, 4, NN_ACTIVATION_RELU);

    f->layer = NOT_NULL;
    return s != NN_OK ? s : nn_dense_wrap(&f->layer, 5, &opts, f->w, NULL);
}

static void after_dense(struct fixture *f, nn_status (*run)(struct fixture *))
{
    CHECK(f->layer == NULL);
    CHECK_STATUS(run(f), NN_OK);
    CHECK(nn_dense_param_count(f->layer) == 24);
}

static void after_dense_new(struct fixture *f)
{
    after_dense(f, run_dense_new);
}

static void after_dense_wrap(struct fixture *f)
{
    after_dense(f, run_dense_wrap);
}

static nn_status run_optim_new(struct fixture *f)
{
    nn_optim_opts adam;
    nn_status s = nn_optim_opts_init(&adam, NN_OPTIM_ADAM);

    f->opt = NOT_NULL;
    return s != NN_OK ? s : nn_optim_new(&f->opt, &adam, 100);
}

static void after_optim_new(struct fixture *f)
{
    CHECK(f->opt == NULL);
    CHECK_STATUS(run_optim_new(f), NN_OK);
    CHECK(nn_optim_iterations(f->opt) == 0);
}

/* nn_init_fill(ORTHOGONAL) and nn_dense_init with orthogonal W and b:
 * w and the generator are untouched on failure. */

static void setup_rng(struct fixture *f)
{
    CHECK_STATUS(nn_rng_seed(&f->rng, 5), NN_OK);
    f->rng_before = f->rng;
    for (int i = 0; i < 64; i++) {
        f->w[i] = SENTINEL;
    }
}

static nn_status run_orthogonal(struct fixture *f)
{
    return nn_init_fill(NN_INIT_ORTHOGONAL, 1.0, 6, 4, &f->rng, f->w);
}

static int w_untouched(const struct fixture *f, int count)
{
    for (int i = 0; i < count; i++) {
        if (f->w[i] != SENTINEL) {
            return 0;
        }
    }
    return memcmp(&f->rng, &f->rng_before, sizeof f->rng) == 0;
}

static void after_orthogonal(struct fixture *f)
{
    double ref[24];
    nn_rng rng = f->rng_before;

    CHECK(w_untouched(f, 64));
    CHECK_STATUS(nn_init_fill(NN_INIT_ORTHOGONAL, 1.0, 6, 4, &rng, ref), NN_OK);
    CHECK_STATUS(run_orthogonal(f), NN_OK);
    CHECK(memcmp(f->w, ref, sizeof ref) == 0);
}

static void setup_orthogonal_layer(struct fixture *f)
{
    nn_dense_opts opts;

    setup_rng(f);
    CHECK_STATUS(nn_dense_opts_init(&opts, 4, NN_ACTIVATION_TANH), NN_OK);
    opts.kernel_init = NN_INIT_ORTHOGONAL;
    opts.bias_init = NN_INIT_ORTHOGONAL;
    opts.kernel_param = opts.bias_param = 1.0;
    if (CHECK_STATUS(nn_dense_new(&f->layer, 5, &opts), NN_OK)) {
        memcpy(nn_dense_params(f->layer), f->w, 24 * sizeof(double));
    }
}

static nn_status run_dense_init(struct fixture *f)
{
    return nn_dense_init(f->layer, &f->rng);
}

static void after_dense_init(struct fixture *f)
{
    memcpy(f->w, nn_dense_params(f->layer), 24 * sizeof(double));
    CHECK(w_untouched(f, 24));
    CHECK_STATUS(run_dense_init(f), NN_OK);
    CHECK(nn_dense_params(f->layer)[0] != SENTINEL);
}

/* Saving and loading. The file operations work in a scratch folder
 * that holds only model.nnb, so a temporary file left behind shows. */

static char folder[256];
static char model_path[300];
static unsigned char image[16384];      /* a saved model */
static int64_t image_len;
static double image_params[MAX_PARAMS];

/* Makes the saved image that the loads read. */
static void make_image(void)
{
    nn_model *m = build_compiled();

    if (m != NULL && CHECK_STATUS(fit_a(m, NULL), NN_OK)
        && CHECK_STATUS(nn_model_save_mem(m, image, sizeof image, &image_len),
                        NN_OK)) {
        memcpy(image_params, nn_model_params(m),
               (size_t)nn_model_param_count(m) * sizeof(double));
    }
    nn_model_free(m);
}

static void write_file(const void *bytes, size_t len)
{
    FILE *file = fopen(model_path, "wb");

    if (CHECK(file != NULL)) {
        CHECK(fwrite(bytes, 1, len, file) == len);
        CHECK(fclose(file) == 0);
    }
}

/* 1 if model.nnb holds exactly len bytes equal to bytes. */
static int file_holds(const void *bytes, size_t len)
{
    static unsigned char read_back[sizeof image + 1];
    FILE *file = fopen(model_path, "rb");
    size_t got;

    if (file == NULL) {
        return 0;
    }
    got = fread(read_back, 1, sizeof read_back, file);
    fclose(file);
    return got == len && memcmp(read_back, bytes, len) == 0;
}

static int folder_entries(void)
{
    DIR *d = opendir(folder);
    struct dirent *e;
    int count = 0;

    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        count += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return count;
}

static const char old_file[] = "the previous model";

static void setup_save(struct fixture *f)
{
    setup_fitted(f);
    write_file(old_file, sizeof old_file);
}

static nn_status run_save(struct fixture *f)
{
    return nn_model_save(f->m, model_path);
}

/* The old file is intact and nothing else was left in the folder; a
 * retry writes a file that loads back to the same parameters. */
static void after_save(struct fixture *f)
{
    nn_model *back = NULL;

    CHECK(file_holds(old_file, sizeof old_file) && folder_entries() == 1);
    CHECK_STATUS(run_save(f), NN_OK);
    CHECK(folder_entries() == 1);
    if (CHECK_STATUS(nn_model_load(&back, model_path), NN_OK)) {
        CHECK(same_params(back, f->params));
    }
    nn_model_free(back);
}

static nn_status run_load_mem(struct fixture *f)
{
    f->made = NOT_NULL;
    return nn_model_load_mem(&f->made, image, image_len);
}

static void setup_file(struct fixture *f)
{
    (void)f;
    write_file(image, (size_t)image_len);
}

static nn_status run_load(struct fixture *f)
{
    f->made = NOT_NULL;
    return nn_model_load(&f->made, model_path);
}

/* *out stays NULL; a retry loads the model, which can go on training. */
static void after_load(struct fixture *f, nn_status (*run)(struct fixture *))
{
    CHECK(f->made == NULL);
    if (CHECK_STATUS(run(f), NN_OK)) {
        CHECK(same_params(f->made, image_params));
        CHECK_STATUS(nn_model_train_batch(f->made, 10, IN, OUT, x, y, NULL),
                     NN_OK);
    }
}

static void after_load_mem(struct fixture *f)
{
    after_load(f, run_load_mem);
}

static void after_load_file(struct fixture *f)
{
    after_load(f, run_load);
}

/* ----------------------------------------------------------------------
 * The walk
 */

struct op {
    const char *name;
    void (*setup)(struct fixture *f);
    nn_status (*run)(struct fixture *f);
    void (*after_failure)(struct fixture *f);
};

static const struct op ops[] = {
    {"nn_model_new", no_setup, run_model_new, after_model_new},
    {"nn_model_add_dense (1st)", setup_empty, run_add_dense, after_add_first},
    {"nn_model_add_dense (5th)", setup_four_layers, run_add_dense,
     after_add_fifth},
    {"nn_model_add_dropout (5th)", setup_four_layers, run_add_dropout,
     after_add_dropout},
    {"nn_model_compile (1st)", setup_built, run_compile, after_compile_first},
    {"nn_model_compile (again)", setup_trained, run_recompile,
     after_recompile},
    {"nn_model_fit (1st)", setup_compiled, run_fit_a, after_fit_a},
    {"nn_model_fit (regrow)", setup_fitted, run_fit_b, after_fit_b},
    {"nn_model_train_batch", setup_compiled, run_train_batch,
     after_train_batch},
    {"nn_model_predict", setup_fitted, run_predict, after_predict},
    {"nn_model_evaluate", setup_fitted, run_evaluate, after_evaluate},
    {"nn_tensor_new", no_setup, run_tensor_new, after_tensor_new},
    {"nn_tensor_wrap", no_setup, run_tensor_wrap, after_tensor_wrap},
    {"nn_tensor_view", setup_parent, run_tensor_view, after_tensor_view},
    {"nn_dense_new", no_setup, run_dense_new, after_dense_new},
    {"nn_dense_wrap", no_setup, run_dense_wrap, after_dense_wrap},
    {"nn_dense_init (orthogonal)", setup_orthogonal_layer, run_dense_init,
     after_dense_init},
    {"nn_optim_new", no_setup, run_optim_new, after_optim_new},
    {"nn_init_fill (orthogonal)", setup_rng, run_orthogonal,
     after_orthogonal},
    {"nn_model_save", setup_save, run_save, after_save},
    {"nn_model_load_mem", no_setup, run_load_mem, after_load_mem},
    {"nn_model_load", setup_file, run_load, after_load_file},
};

static void check_no_leak(const char *name, int64_t k)
{
    if (!CHECK(ctr.n_live == 0 && ctr.foreign == 0)) {
        printf("  %s, allocation %lld: %lld blocks live, %lld foreign "
               "releases\n", name, (long long)k, (long long)ctr.n_live,
               (long long)ctr.foreign);
        ctr.n_live = 0;
        ctr.foreign = 0;
    }
}

/* Fails allocation k of one call (and with rest, all after it). */
static void fail_one(const struct op *op, int64_t k, int rest)
{
    struct fixture f;
    nn_status s;

    memset(&f, 0, sizeof f);
    op->setup(&f);
    nn_last_error_clear();
    ctr.fail_at = ctr.count + k;
    ctr.fail_rest = rest;
    s = op->run(&f);
    ctr.fail_at = 0;
    ctr.fail_rest = 0;
    if (!CHECK_STATUS(s, NN_ENOMEM)) {
        printf("  %s: failing allocation %lld%s\n", op->name, (long long)k,
               rest ? " and the rest" : "");
    }
    if (!CHECK(strncmp(nn_last_error(), "nn_", 3) == 0)) {
        printf("  %s: message \"%s\"\n", op->name, nn_last_error());
    }
    if (s != NN_OK) {
        op->after_failure(&f);
    }
    fixture_free(&f);
    check_no_leak(op->name, k);
}

/* Counts the allocations of one successful call, then fails each. */
static int64_t walk(const struct op *op)
{
    struct fixture f;
    int64_t before, allocs;

    memset(&f, 0, sizeof f);
    op->setup(&f);
    before = ctr.count;
    CHECK_STATUS(op->run(&f), NN_OK);
    allocs = ctr.count - before;
    fixture_free(&f);
    check_no_leak(op->name, 0);
    CHECK(allocs > 0);

    for (int rest = 0; rest <= 1; rest++) {
        for (int64_t k = 1; k <= allocs; k++) {
            fail_one(op, k, rest);
        }
    }
    printf("  %-28s %2lld allocations, each failed alone and with the "
           "rest\n", op->name, (long long)allocs);
    return allocs;
}

/* ----------------------------------------------------------------------
 * Calls that must not allocate at all
 */

static int64_t allocs_of_fit(nn_model *m, int64_t epochs)
{
    nn_fit_opts o;
    int64_t before = ctr.count;

    CHECK_STATUS(nn_fit_opts_init(&o), NN_OK);
    o.epochs = epochs;
    o.batch_size = 8;
    o.verbose = 0;
    CHECK_STATUS(nn_model_fit(m, N, IN, OUT, x, y, &o, NULL), NN_OK);
    return ctr.count - before;
}

static void test_steps_allocate_nothing(void)
{
    nn_model *m = build_compiled();
    nn_tensor *a = NULL, *b = NULL, *c = NULL;
    int64_t before;

    /* A fit allocates per call, never per epoch or per step. */
    CHECK(allocs_of_fit(m, 1) > 0);
    CHECK(allocs_of_fit(m, 1) == allocs_of_fit(m, 5));
    before = ctr.count;
    for (int i = 0; i < 3; i++) {
        CHECK_STATUS(nn_model_train_batch(m, 8, IN, OUT, x, y, NULL), NN_OK);
    }
    CHECK(ctr.count == before);

    CHECK_STATUS(nn_tensor_new(&a, 17, 9), NN_OK);
    CHECK_STATUS(nn_tensor_new(&b, 9, 64), NN_OK);
    CHECK_STATUS(nn_tensor_new(&c, 17, 64), NN_OK);
    before = ctr.count;
    CHECK_STATUS(nn_tensor_fill(a, 0.5), NN_OK);
    CHECK_STATUS(nn_tensor_fill(b, 0.25), NN_OK);
    CHECK_STATUS(nn_tensor_matmul(c, 1.0, a, 0, b, 0, 0.0), NN_OK);
    CHECK_STATUS(nn_tensor_matmul_naive(c, 1.0, a, 0, b, 0, 1.0), NN_OK);
    CHECK_STATUS(nn_tensor_axpy(c, 2.0, c), NN_OK);
    CHECK(ctr.count == before);

    /* Saving into the caller's buffer needs no memory of its own. */
    CHECK_STATUS(nn_model_save_mem(m, image, sizeof image, &image_len), NN_OK);
    CHECK(ctr.count == before);
    nn_tensor_free(a);
    nn_tensor_free(b);
    nn_tensor_free(c);
    nn_model_free(m);
    check_no_leak("allocation-free calls", 0);
}

int main(void)
{
    int64_t total = 0;

    make_data();
    snprintf(folder, sizeof folder, "%s/nnblas-alloc-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (!CHECK(mkdtemp(folder) != NULL)) {
        return nn_test_done();
    }
    snprintf(model_path, sizeof model_path, "%s/model.nnb", folder);
    CHECK_STATUS(nn_allocator_set(counting_alloc, counting_release, &ctr),
                 NN_OK);
    make_image();
    printf("allocation sites walked per operation:\n");
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        total += walk(&ops[i]);
    }
    printf("  total: %lld allocation sites in %zu operations\n",
           (long long)total, sizeof ops / sizeof ops[0]);
    test_steps_allocate_nothing();
    CHECK_STATUS(nn_allocator_set(NULL, NULL, NULL), NN_OK);
    unlink(model_path);
    CHECK(rmdir(folder) == 0);
    return nn_test_done();
}
