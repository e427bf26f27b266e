/*
 * Saving and loading models: exact round trips and resumed training, the
 * file's bytes checked against a little-endian encoder and decoder written
 * here from docs/format.md, the files of format version 1 kept under
 * tests/data/, atomic saving under injected failures, and every class of
 * corrupt input (each truncation, each byte flip, wrong magic, newer
 * versions, absurd sizes) refused with a status and no large allocation.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nnblas.h>

#include "model_internal.h"
#include "nn_test.h"

#ifndef NN_TEST_DATA
#error "NN_TEST_DATA must name the tests/data folder"
#endif

/* ----------------------------------------------------------------------
 * The format, written here from docs/format.md and nothing else
 */

static void le_put(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint64_t le_get(const unsigned char *p, int bytes)
{
    uint64_t v = 0;

    for (int i = bytes - 1; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static uint64_t bits_of(double x)
{
    uint64_t b;

    memcpy(&b, &x, sizeof b);
    return b;
}

/* CRC-32 as zlib computes it (reflected polynomial 0xedb88320), bit by
 * bit, so the test does not share the library's implementation. */
static uint32_t crc32_bits(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xffffffffu;

    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

/* Rewrites the trailing checksum after an edit, so that the field checks
 * behind it are reached. */
static void fix_checksum(unsigned char *buf, int64_t len)
{
    le_put(buf + len - 4, crc32_bits(buf, (size_t)len - 4), 4);
}

/* Byte offsets of a file's parts (docs/format.md). */
struct layout {
    int64_t metrics;        /* first metric */
    int64_t layer_count;
    int64_t layers;         /* first layer record, 80 bytes each */
    int64_t optim;          /* 16 words of settings */
    int64_t iterations;
    int64_t states;
    int64_t param_count;
    int64_t params;
};

static struct layout layout_of(const unsigned char *buf)
{
    struct layout l;
    int64_t n_metrics = (int64_t)le_get(buf + 88, 8), n_layers;

    l.metrics = 96;
    l.layer_count = 96 + 8 * n_metrics;
    n_layers = (int64_t)le_get(buf + l.layer_count, 8);
    l.layers = l.layer_count + 8;
    l.optim = l.layers + 80 * n_layers;
    l.iterations = l.optim + 128;
    l.states = l.iterations + 8;
    l.param_count = l.states + 8;
    l.params = l.param_count + 8;
    return l;
}

/* ----------------------------------------------------------------------
 * Models and data
 */

/* 16 samples of a noisy XOR of two inputs, targets in {0, 1}. */
static double data_x[32], data_y[16];

static void make_data(void)
{
    uint64_t state = 42;

    for (int i = 0; i < 16; i++) {
        int a = i & 1, b = (i >> 1) & 1;
        data_x[2 * i] = a + 0.1 * nn_test_rand(&state);
        data_x[2 * i + 1] = b + 0.1 * nn_test_rand(&state);
        data_y[i] = a ^ b;
    }
}

/* A small model that uses every part of the file: two dense layers with
 * dropout between them, an optimizer with clipping and a schedule, two
 * metrics. */
static nn_model *new_model(int optim_kind, double momentum, int nesterov,
                           uint64_t seed)
{
    int metrics[2] = {NN_METRIC_BINARY_ACCURACY, NN_METRIC_MAE};
    nn_optim_opts opt;
    nn_dense_opts d;
    nn_model *m = NULL;

    if (!CHECK_STATUS(nn_model_new(&m, 2), NN_OK)) {
        return NULL;
    }
    CHECK_STATUS(nn_model_set_seed(m, seed), NN_OK);
    CHECK_STATUS(nn_dense_opts_init(&d, 6, NN_ACTIVATION_TANH), NN_OK);
    d.bias_init = NN_INIT_CONSTANT;
    d.bias_param = 0.01;
    CHECK_STATUS(nn_model_add_dense_opts(m, &d), NN_OK);
    CHECK_STATUS(nn_model_add_dropout(m, 0.2), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 1, NN_ACTIVATION_SIGMOID), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&opt, optim_kind), NN_OK);
    opt.lr = optim_kind == NN_OPTIM_SGD ? 0.1 : 0.01;
    opt.momentum = momentum;
    opt.nesterov = nesterov;
    opt.clip_norm = 3.0;
    opt.schedule = NN_SCHEDULE_EXPONENTIAL;
    opt.decay_steps = 20;
    opt.decay_rate = 0.9;
    CHECK_STATUS(nn_model_compile(m, NN_LOSS_BCE, &opt, metrics, 2), NN_OK);
    return m;
}

static nn_status fit(nn_model *m, int64_t epochs)
{
    nn_fit_opts o;
    nn_status s = nn_fit_opts_init(&o);

    o.epochs = epochs;
    o.batch_size = 5;
    o.verbose = 0;
    return s != NN_OK ? s : nn_model_fit(m, 16, 2, 1, data_x, data_y, &o, NULL);
}

/* The file of m in a new malloc'd buffer. */
static unsigned char *save_mem(const nn_model *m, int64_t *len)
{
    unsigned char *buf;

    *len = 0;
    if (!CHECK_STATUS(nn_model_save_mem(m, NULL, 0, len), NN_OK)) {
        return NULL;
    }
    buf = malloc((size_t)*len);
    if (!CHECK(buf != NULL)
        || !CHECK_STATUS(nn_model_save_mem(m, buf, *len, len), NN_OK)) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int same_params(const nn_model *a, const nn_model *b)
{
    int64_t n = nn_model_param_count(a);

    return n == nn_model_param_count(b)
           && memcmp(nn_model_params(a), nn_model_params(b),
                     (size_t)n * sizeof(double)) == 0;
}

static int same_predictions(const nn_model *a, const nn_model *b)
{
    double pa[16], pb[16];

    return nn_model_predict(a, 16, 2, 1, data_x, pa) == NN_OK
           && nn_model_predict(b, 16, 2, 1, data_x, pb) == NN_OK
           && memcmp(pa, pb, sizeof pa) == 0;
}

/* A folder of its own under /tmp, removed with its files at the end. */
static char tmp_dir[64];

static void path_in_tmp(char *path, size_t len, const char *name)
{
    snprintf(path, len, "%s/%s", tmp_dir, name);
}

static int count_files(const char *dir, const char *containing)
{
    struct dirent *e;
    DIR *d = opendir(dir);
    int n = 0;

    while (d != NULL && (e = readdir(d)) != NULL) {
        n += e->d_name[0] != '.' && strstr(e->d_name, containing) != NULL;
    }
    if (d != NULL) {
        closedir(d);
    }
    return n;
}

/* ----------------------------------------------------------------------
 * A counting allocator that can fail on demand
 */

struct counter {
    int64_t calls;
    int64_t fail_at;        /* the call that fails (0-based), or -1 */
    size_t largest;
    size_t total;
};

static void *counting_alloc(void *user, size_t size)
{
    struct counter *c = user;

    if (c->calls++ == c->fail_at) {
        return NULL;
    }
    c->largest = size > c->largest ? size : c->largest;
    c->total += size;
    return malloc(size);
}

static void counting_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

static void count_from_here(struct counter *c, int64_t fail_at)
{
    memset(c, 0, sizeof *c);
    c->fail_at = fail_at;
    CHECK_STATUS(nn_allocator_set(counting_alloc, counting_free, c), NN_OK);
}

static void stop_counting(void)
{
    CHECK_STATUS(nn_allocator_set(NULL, NULL, NULL), NN_OK);
}

/* ----------------------------------------------------------------------
 * Round trips
 */

static void test_round_trip_mem(void)
{
    nn_model *m = new_model(NN_OPTIM_ADAM, 0.0, 0, 5), *back = NULL;
    unsigned char *buf, *again;
    int64_t len, len2;
    char sa[2048], sb[2048];

    CHECK_STATUS(fit(m, 30), NN_OK);
    buf = save_mem(m, &len);
    if (buf == NULL) {
        nn_model_free(m);
        return;
    }
    CHECK_STATUS(nn_model_load_mem(&back, buf, len), NN_OK);
    if (!CHECK(back != NULL)) {
        free(buf);
        nn_model_free(m);
        return;
    }

    /* Same structure, same bits, same answers. */
    CHECK(nn_model_is_compiled(back) == 1);
    CHECK(nn_model_layer_count(back) == 3);
    CHECK(nn_model_input_width(back) == 2 && nn_model_output_width(back) == 1);
    CHECK(nn_model_loss(back) == NN_LOSS_BCE);
    CHECK(nn_model_metric_count(back) == 2);
    for (int64_t i = 0; i < 3; i++) {
        nn_layer_info a, b;
        CHECK_STATUS(nn_model_layer_info(m, i, &a), NN_OK);
        CHECK_STATUS(nn_model_layer_info(back, i, &b), NN_OK);
        CHECK(memcmp(&a, &b, sizeof a) == 0);
    }
    CHECK(same_params(m, back));
    CHECK(same_predictions(m, back));
    CHECK_STATUS(nn_model_summary_str(m, sa, sizeof sa, NULL), NN_OK);
    CHECK_STATUS(nn_model_summary_str(back, sb, sizeof sb, NULL), NN_OK);
    CHECK(strcmp(sa, sb) == 0);
    CHECK(nn_optim_iterations(back->optim) == nn_optim_iterations(m->optim));
    CHECK(memcmp(&back->rng, &m->rng, sizeof m->rng) == 0);
    CHECK(back->fused == m->fused && back->seed == m->seed);

    /* The encoding is canonical: the loaded model saves to the same bytes. */
    again = save_mem(back, &len2);
    CHECK(again != NULL && len2 == len && memcmp(again, buf, (size_t)len) == 0);
    free(again);
    free(buf);
    nn_model_free(back);
    nn_model_free(m);
}

/*
 * Save after e1 epochs, then train the original and the loaded copy for
 * e2 more: the weights must agree bit for bit, because the file carries
 * the generator (shuffling and dropout draw from it) and the optimizer's
 * state and step count.
 */
static void check_resume(int kind, double momentum, int nesterov,
                         const char *what)
{
    nn_model *a = new_model(kind, momentum, nesterov, 11), *b = NULL;
    unsigned char *buf;
    double loss_a, loss_b, xa[2] = {0.3, 0.7}, ya = 1.0;
    int64_t len;

    if (a == NULL) {
        return;
    }
    CHECK_STATUS(fit(a, 7), NN_OK);
    buf = save_mem(a, &len);
    if (buf == NULL || !CHECK_STATUS(nn_model_load_mem(&b, buf, len), NN_OK)) {
        free(buf);
        nn_model_free(a);
        return;
    }
    CHECK_STATUS(fit(a, 9), NN_OK);
    CHECK_STATUS(fit(b, 9), NN_OK);
    CHECK_STATUS(nn_model_train_batch(a, 1, 2, 1, xa, &ya, &loss_a), NN_OK);
    CHECK_STATUS(nn_model_train_batch(b, 1, 2, 1, xa, &ya, &loss_b), NN_OK);
    if (!CHECK(same_params(a, b))) {
        printf("  resumed training differs for %s\n", what);
    }
    CHECK(memcmp(&loss_a, &loss_b, sizeof loss_a) == 0);
    CHECK(memcmp(&a->rng, &b->rng, sizeof a->rng) == 0);
    CHECK(same_predictions(a, b));
    free(buf);
    nn_model_free(a);
    nn_model_free(b);
}

static void test_resume_exact(void)
{
    check_resume(NN_OPTIM_SGD, 0.0, 0, "sgd");
    check_resume(NN_OPTIM_SGD, 0.9, 0, "sgd with momentum");
    check_resume(NN_OPTIM_SGD, 0.8, 1, "sgd with nesterov");
    check_resume(NN_OPTIM_ADAM, 0.0, 0, "adam");
    check_resume(NN_OPTIM_ADAMW, 0.0, 0, "adamw");
    check_resume(NN_OPTIM_RMSPROP, 0.0, 0, "rmsprop");
    check_resume(NN_OPTIM_ADAGRAD, 0.0, 0, "adagrad");
}

static void test_round_trip_file(void)
{
    nn_model *m = new_model(NN_OPTIM_RMSPROP, 0.0, 0, 8), *back = NULL;
    nn_model *other = new_model(NN_OPTIM_SGD, 0.5, 0, 9);
    char path[128];
    struct stat st;
    mode_t old_mask;

    path_in_tmp(path, sizeof path, "model.nnb");
    CHECK_STATUS(fit(m, 5), NN_OK);
    old_mask = umask(022);
    CHECK_STATUS(nn_model_save(m, path), NN_OK);
    umask(old_mask);

    /* An ordinary file with the mode fopen would give it. */
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
    CHECK(count_files(tmp_dir, ".tmp.") == 0);
    CHECK_STATUS(nn_model_load(&back, path), NN_OK);
    CHECK(back != NULL && same_params(m, back) && same_predictions(m, back));

    /* Training the loaded model matches training the original. */
    if (back != NULL) {
        CHECK_STATUS(fit(m, 3), NN_OK);
        CHECK_STATUS(fit(back, 3), NN_OK);
        CHECK(same_params(m, back));
    }
    nn_model_free(back);

    /* Saving over an existing file replaces it. */
    back = NULL;
    CHECK_STATUS(nn_model_save(other, path), NN_OK);
    CHECK_STATUS(nn_model_load(&back, path), NN_OK);
    CHECK(back != NULL && same_params(other, back));
    CHECK(count_files(tmp_dir, "model.nnb") == 1);
    nn_model_free(back);
    nn_model_free(other);
    nn_model_free(m);
    unlink(path);
}

/* ----------------------------------------------------------------------
 * The bytes, field by field
 */

/* Appends one 8-byte little-endian word. */
static unsigned char *word(unsigned char *p, uint64_t v)
{
    le_put(p, v, 8);
    return p + 8;
}

/*
 * Builds the expected file of a known model from docs/format.md with
 * shifts alone, so the result is the same on a host of either byte
 * order, and compares it with the library's output; then edits fields in
 * those bytes and checks that the library reads back exactly the values
 * written.
 */
static void test_bytes_field_by_field(void)
{
    int metrics[2] = {NN_METRIC_MSE, NN_METRIC_BINARY_ACCURACY};
    unsigned char expected[1024], *p = expected, *got;
    nn_optim_opts opt;
    nn_dense_opts d;
    nn_model *m = NULL, *back = NULL;
    double x[3] = {0.5, -1.0, 2.0}, y = 1.0, loss, *params;
    int64_t len, n;

    CHECK_STATUS(nn_model_new(&m, 3), NN_OK);
    CHECK_STATUS(nn_model_set_seed(m, 12345), NN_OK);
    CHECK_STATUS(nn_dense_opts_init(&d, 2, NN_ACTIVATION_LEAKY_RELU), NN_OK);
    d.slope = 0.25;
    CHECK_STATUS(nn_model_add_dense_opts(m, &d), NN_OK);
    CHECK_STATUS(nn_model_add_dropout(m, 0.5), NN_OK);
    CHECK_STATUS(nn_dense_opts_init(&d, 1, NN_ACTIVATION_SIGMOID), NN_OK);
    d.use_bias = 0;
    d.kernel_init = NN_INIT_UNIFORM;
    d.kernel_param = 0.75;
    CHECK_STATUS(nn_model_add_dense_opts(m, &d), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&opt, NN_OPTIM_SGD), NN_OK);
    opt.momentum = 0.5;
    opt.nesterov = 1;
    opt.clip_value = 2.0;
    opt.schedule = NN_SCHEDULE_STEP;
    opt.decay_steps = 10;
    opt.decay_rate = 0.5;
    CHECK_STATUS(nn_model_compile(m, NN_LOSS_BCE, &opt, metrics, 2), NN_OK);
    params = nn_model_params(m);
    n = nn_model_param_count(m);
    if (!CHECK(n == 3 * 2 + 2 + 2 * 1)) {
        nn_model_free(m);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        params[i] = (double)(i + 1) / 8.0 - 0.5;
    }
    for (int step = 0; step < 3; step++) {
        CHECK_STATUS(nn_model_train_batch(m, 1, 3, 1, x, &y, &loss), NN_OK);
    }

    /* Header: magic, version 1, byte-order mark, size (filled in below). */
    memcpy(p, "\x89NNB\r\n\x1a\n", 8);
    le_put(p + 8, 1, 4);
    le_put(p + 12, 0x01020304, 4);
    p += 24;

    /* Model: inputs, seed, generator, compiled, loss, metrics. */
    p = word(p, 3);
    p = word(p, 12345);
    for (int i = 0; i < 4; i++) {
        p = word(p, m->rng.state[i]);
    }
    p = word(p, 1);
    p = word(p, NN_LOSS_BCE);
    p = word(p, 2);
    p = word(p, NN_METRIC_MSE);
    p = word(p, NN_METRIC_BINARY_ACCURACY);

    /* Layers: kind, units, activation, use_bias, slope, kernel init and
     * param, bias init and param, rate. */
    p = word(p, 3);
    p = word(p, NN_LAYER_DENSE);
    p = word(p, 2);
    p = word(p, NN_ACTIVATION_LEAKY_RELU);
    p = word(p, 1);
    p = word(p, bits_of(0.25));
    p = word(p, NN_INIT_GLOROT_UNIFORM);
    p = word(p, bits_of(nn_init_default_param(NN_INIT_GLOROT_UNIFORM)));
    p = word(p, NN_INIT_ZEROS);
    p = word(p, bits_of(nn_init_default_param(NN_INIT_ZEROS)));
    p = word(p, 0);
    p = word(p, NN_LAYER_DROPOUT);
    p = word(p, 2);
    for (int i = 0; i < 7; i++) {
        p = word(p, 0);
    }
    p = word(p, bits_of(0.5));
    p = word(p, NN_LAYER_DENSE);
    p = word(p, 1);
    p = word(p, NN_ACTIVATION_SIGMOID);
    p = word(p, 0);
    p = word(p, bits_of(NN_LEAKY_SLOPE_DEFAULT));
    p = word(p, NN_INIT_UNIFORM);
    p = word(p, bits_of(0.75));
    p = word(p, NN_INIT_ZEROS);
    p = word(p, bits_of(nn_init_default_param(NN_INIT_ZEROS)));
    p = word(p, 0);

    /* Optimizer: the 16 settings in struct order, steps, state count. */
    p = word(p, NN_OPTIM_SGD);
    p = word(p, bits_of(0.01));
    p = word(p, bits_of(0.5));
    p = word(p, 1);
    p = word(p, bits_of(0.9));
    p = word(p, bits_of(0.999));
    p = word(p, bits_of(1e-7));
    p = word(p, bits_of(0.0));
    p = word(p, bits_of(0.9));
    p = word(p, bits_of(0.1));
    p = word(p, bits_of(2.0));
    p = word(p, bits_of(0.0));
    p = word(p, NN_SCHEDULE_STEP);
    p = word(p, 10);
    p = word(p, bits_of(0.5));
    p = word(p, bits_of(0.0));
    p = word(p, 3);
    p = word(p, 1);

    /* Parameters, then the momentum array, then the checksum. */
    p = word(p, (uint64_t)n);
    for (int64_t i = 0; i < n; i++) {
        p = word(p, bits_of(params[i]));
    }
    for (int64_t i = 0; i < n; i++) {
        p = word(p, bits_of(m->optim->m[i]));
    }
    len = (int64_t)(p - expected) + 4;
    le_put(expected + 16, (uint64_t)len, 8);
    fix_checksum(expected, len);

    got = save_mem(m, &n);
    if (got != NULL && CHECK(n == len)) {
        int64_t first = 0;
        while (first < len && got[first] == expected[first]) {
            first++;
        }
        if (!CHECK(first == len)) {
            printf("  the file differs from docs/format.md at byte %lld\n",
                   (long long)first);
        }
    }
    free(got);

    /* Reading: new values written with shifts come back exactly. */
    {
        struct layout at = layout_of(expected);
        le_put(expected + at.iterations, 77, 8);
        le_put(expected + at.params, bits_of(-3.0625), 8);
        le_put(expected + 40, UINT64_C(0x0123456789abcdef), 8);
        fix_checksum(expected, len);
        CHECK_STATUS(nn_model_load_mem(&back, expected, len), NN_OK);
        if (back != NULL) {
            CHECK(nn_optim_iterations(back->optim) == 77);
            CHECK(nn_model_params(back)[0] == -3.0625);
            CHECK(memcmp(nn_model_params(back) + 1, params + 1,
                         (size_t)(nn_model_param_count(m) - 1) * sizeof(double)) == 0);
            CHECK(back->rng.state[0] == UINT64_C(0x0123456789abcdef));
            CHECK(back->rng.state[3] == m->rng.state[3]);
            CHECK(memcmp(back->optim->m, m->optim->m, 10 * sizeof(double)) == 0);
        }
    }
    nn_model_free(back);
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * Files of format version 1, kept forever
 */

static void check_v1_file(const char *name)
{
    char path[512];
    double x[64], want[64], got[64];
    long long inputs = 0, outputs = 0, rows = 0;
    unsigned char *again;
    nn_model *m = NULL;
    FILE *f;
    int ok = 1;
    int64_t len;

    snprintf(path, sizeof path, "%s/model_v1_%s.txt", NN_TEST_DATA, name);
    f = fopen(path, "r");
    if (!CHECK(f != NULL)) {
        printf("  cannot open %s\n", path);
        return;
    }
    ok = fscanf(f, "%*[^\n]\n%lld %lld %lld", &inputs, &outputs, &rows) == 3
         && inputs * rows <= 64 && outputs * rows <= 64;
    for (long long r = 0; ok && r < rows; r++) {
        for (long long j = 0; ok && j < inputs; j++) {
            ok = fscanf(f, "%la", &x[r * inputs + j]) == 1;
        }
        for (long long j = 0; ok && j < outputs; j++) {
            ok = fscanf(f, "%la", &want[r * outputs + j]) == 1;
        }
    }
    fclose(f);
    if (!CHECK(ok)) {
        printf("  %s is not in the expected layout\n", path);
        return;
    }

    snprintf(path, sizeof path, "%s/model_v1_%s.nnb", NN_TEST_DATA, name);
    if (!CHECK_STATUS(nn_model_load(&m, path), NN_OK)) {
        return;
    }
    CHECK(nn_model_input_width(m) == inputs);
    CHECK(nn_model_output_width(m) == outputs);
    CHECK_STATUS(nn_model_predict(m, rows, inputs, outputs, x, got), NN_OK);

    /* Bit for bit on the machine that wrote the files; another libm may
     * round exp and tanh differently in the last place. */
    for (long long i = 0; i < rows * outputs; i++) {
        CHECK_NEAR(got[i], want[i], 1e-13);
    }

    /* While the library writes version 1, it writes these very bytes. */
    again = save_mem(m, &len);
    if (again != NULL && le_get(again + 8, 4) == 1) {
        unsigned char *orig = malloc((size_t)len);
        f = fopen(path, "rb");
        CHECK(orig != NULL && f != NULL
              && fread(orig, 1, (size_t)len, f) == (size_t)len
              && fgetc(f) == EOF && memcmp(orig, again, (size_t)len) == 0);
        if (f != NULL) {
            fclose(f);
        }
        free(orig);
    }
    free(again);
    nn_model_free(m);
}

static void test_v1_files(void)
{
    static const char *const names[] = {
        "xor", "sgd", "softmax", "adamw", "adagrad", "plain",
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        check_v1_file(names[i]);
    }
}

/* ----------------------------------------------------------------------
 * Saving: arguments and failures
 */

static void test_save_arguments(void)
{
    nn_model *m = new_model(NN_OPTIM_ADAM, 0.0, 0, 1), *bare = NULL;
    unsigned char small[16];
    int64_t len = -1;
    char path[128];

    path_in_tmp(path, sizeof path, "args.nnb");
    CHECK_STATUS(nn_model_save(NULL, path), NN_EINVAL);
    CHECK_STATUS(nn_model_save(m, NULL), NN_EINVAL);
    CHECK_STATUS(nn_model_save(m, ""), NN_EINVAL);
    CHECK_STATUS(nn_model_save(m, "/tmp/"), NN_EINVAL);
    CHECK_STATUS(nn_model_save_mem(NULL, NULL, 0, &len), NN_EINVAL);
    CHECK_STATUS(nn_model_save_mem(m, NULL, 0, NULL), NN_EINVAL);
    CHECK_STATUS(nn_model_save_mem(m, small, -1, &len), NN_EINVAL);

    /* A buffer too small: NN_ERANGE, and the size needed. */
    CHECK_STATUS(nn_model_save_mem(m, small, sizeof small, &len), NN_ERANGE);
    CHECK(len > (int64_t)sizeof small);
    CHECK(strstr(nn_last_error(), "needs") != NULL);

    /* Only compiled models are saved. */
    CHECK_STATUS(nn_model_new(&bare, 2), NN_OK);
    CHECK_STATUS(nn_model_add_dense(bare, 1, NN_ACTIVATION_IDENTITY), NN_OK);
    CHECK_STATUS(nn_model_save(bare, path), NN_ESTATE);
    CHECK_STATUS(nn_model_save_mem(bare, NULL, 0, &len), NN_ESTATE);
    CHECK(strstr(nn_last_error(), "compile") != NULL);
    CHECK(access(path, F_OK) != 0);
    nn_model_free(bare);
    nn_model_free(m);
}

/* Loads path and checks that it is the model `want`. */
static void check_file_holds(const char *path, const nn_model *want)
{
    nn_model *back = NULL;

    CHECK_STATUS(nn_model_load(&back, path), NN_OK);
    CHECK(back != NULL && same_params(back, want));
    nn_model_free(back);
}

/*
 * Saves under a file size limit of 100 bytes, which makes write() fail
 * half way with EFBIG whatever the privileges (root ignores file modes,
 * not this limit). Nothing is printed while the limit holds.
 */
static nn_status save_past_size_limit(const nn_model *m, const char *path)
{
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    nn_status s = NN_EINTERNAL;

    if (getrlimit(RLIMIT_FSIZE, &old) == 0) {
        lim = old;
        lim.rlim_cur = 100;
        if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
            s = nn_model_save(m, path);
            CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
        }
    }
    signal(SIGXFSZ, old_handler);
    return s;
}

static void test_save_failures(void)
{
    nn_model *old = new_model(NN_OPTIM_ADAM, 0.0, 0, 2);
    nn_model *m = new_model(NN_OPTIM_ADAM, 0.0, 0, 3);
    char path[128], dir_path[128], missing[160];
    struct counter c;

    path_in_tmp(path, sizeof path, "keep.nnb");
    CHECK_STATUS(nn_model_save(old, path), NN_OK);
    CHECK_STATUS(fit(m, 2), NN_OK);

    /* A write that fails half way leaves the old file whole. */
    CHECK_STATUS(save_past_size_limit(m, path), NN_EIO);
    CHECK(strstr(nn_last_error(), "writing the temporary file") != NULL);
    CHECK(strstr(nn_last_error(), strerror(EFBIG)) != NULL);
    CHECK(strstr(nn_last_error(), "is unchanged") != NULL);
    check_file_holds(path, old);
    CHECK(count_files(tmp_dir, ".tmp.") == 0);

    /* So does a failed allocation. */
    count_from_here(&c, 0);
    CHECK_STATUS(nn_model_save(m, path), NN_ENOMEM);
    stop_counting();
    check_file_holds(path, old);

    /* A folder that does not exist: the message names the step and the
     * system's reason. */
    snprintf(missing, sizeof missing, "%s/no/such/folder/m.nnb", tmp_dir);
    CHECK_STATUS(nn_model_save(m, missing), NN_EIO);
    CHECK(strstr(nn_last_error(), "creating the temporary file") != NULL);
    CHECK(strstr(nn_last_error(), strerror(ENOENT)) != NULL);

    /* A target that is a folder: the rename fails and the temporary file
     * is removed. */
    path_in_tmp(dir_path, sizeof dir_path, "folder.nnb");
    CHECK(mkdir(dir_path, 0755) == 0);
    CHECK_STATUS(nn_model_save(m, dir_path), NN_EIO);
    CHECK(strstr(nn_last_error(), "renaming") != NULL);
    CHECK(count_files(tmp_dir, ".tmp.") == 0);
    rmdir(dir_path);

    /* The failed attempts left the old file alone; a good one replaces it. */
    check_file_holds(path, old);
    CHECK_STATUS(nn_model_save(m, path), NN_OK);
    check_file_holds(path, m);
    unlink(path);
    nn_model_free(old);
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * Loading: arguments, files, allocation failures
 */

static void write_bytes(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");

    CHECK(f != NULL && fwrite(buf, 1, len, f) == len && fclose(f) == 0);
}

static void test_load_arguments(void)
{
    nn_model *m = new_model(NN_OPTIM_ADAM, 0.0, 0, 4), *out = m;
    unsigned char *buf;
    char path[128];
    int64_t len;

    buf = save_mem(m, &len);
    CHECK_STATUS(nn_model_load_mem(NULL, buf, len), NN_EINVAL);
    CHECK_STATUS(nn_model_load_mem(&out, NULL, len), NN_EINVAL);
    CHECK(out == NULL);
    out = m;
    CHECK_STATUS(nn_model_load_mem(&out, buf, -1), NN_EINVAL);
    CHECK(out == NULL);
    CHECK_STATUS(nn_model_load(NULL, "x"), NN_EINVAL);
    CHECK_STATUS(nn_model_load(&out, NULL), NN_EINVAL);

    /* Files that cannot be read: missing, a folder. */
    path_in_tmp(path, sizeof path, "absent.nnb");
    out = m;
    CHECK_STATUS(nn_model_load(&out, path), NN_EIO);
    CHECK(out == NULL && strstr(nn_last_error(), "absent.nnb") != NULL);
    CHECK(strstr(nn_last_error(), strerror(ENOENT)) != NULL);
    CHECK_STATUS(nn_model_load(&out, tmp_dir), NN_EIO);
    CHECK(strstr(nn_last_error(), "not a regular file") != NULL);

    /* A FIFO without a writer is refused at once, not waited on. */
    path_in_tmp(path, sizeof path, "fifo.nnb");
    if (CHECK(mkfifo(path, 0600) == 0)) {
        CHECK_STATUS(nn_model_load(&out, path), NN_EIO);
        CHECK(strstr(nn_last_error(), "not a regular file") != NULL);
        unlink(path);
    }

    /* Files that can: empty, cut short. The message names the file. */
    path_in_tmp(path, sizeof path, "short.nnb");
    write_bytes(path, buf, 0);
    CHECK_STATUS(nn_model_load(&out, path), NN_EFORMAT);
    write_bytes(path, buf, (size_t)len / 2);
    CHECK_STATUS(nn_model_load(&out, path), NN_EFORMAT);
    CHECK(out == NULL && strstr(nn_last_error(), "short.nnb") != NULL);
    CHECK(strstr(nn_last_error(), "truncated") != NULL);
    unlink(path);
    free(buf);
    nn_model_free(m);
}

/* Every allocation of a load fails in turn: each gives NN_ENOMEM, leaks
 * nothing (the sanitizer build checks) and leaves *out NULL. */
static void test_load_out_of_memory(void)
{
    nn_model *m = new_model(NN_OPTIM_ADAMW, 0.0, 0, 6), *out;
    unsigned char *buf;
    struct counter c;
    char path[128];
    int64_t len, calls;

    buf = save_mem(m, &len);
    path_in_tmp(path, sizeof path, "oom.nnb");
    CHECK_STATUS(nn_model_save(m, path), NN_OK);

    for (int from_file = 0; from_file < 2; from_file++) {
        count_from_here(&c, -1);
        CHECK_STATUS(from_file ? nn_model_load(&out, path)
                               : nn_model_load_mem(&out, buf, len), NN_OK);
        nn_model_free(out);
        stop_counting();
        calls = c.calls;
        CHECK(calls >= 4);
        for (int64_t k = 0; k < calls; k++) {
            out = m;
            count_from_here(&c, k);
            CHECK_STATUS(from_file ? nn_model_load(&out, path)
                                   : nn_model_load_mem(&out, buf, len),
                         NN_ENOMEM);
            stop_counting();
            CHECK(out == NULL);
        }
    }
    unlink(path);
    free(buf);
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * Corrupt input
 */

/* Loads a corrupt buffer: the status must be a failure, *out NULL and the
 * message non-empty. Returns the status. */
static nn_status load_bad(const unsigned char *buf, int64_t len)
{
    nn_model *out = (nn_model *)&out;
    nn_status s;

    nn_last_error_clear();
    s = nn_model_load_mem(&out, buf, len);
    if (s == NN_OK) {
        nn_model_free(out);
        return s;
    }
    CHECK(out == NULL && nn_last_error()[0] != '\0');
    return s;
}

static void test_truncation(void)
{
    nn_model *m = new_model(NN_OPTIM_ADAM, 0.0, 0, 7);
    unsigned char *buf, *longer;
    int64_t len, bad = 0;

    buf = save_mem(m, &len);
    if (buf == NULL) {
        nn_model_free(m);
        return;
    }
    for (int64_t cut = 0; cut < len; cut++) {
        bad += load_bad(buf, cut) != NN_EFORMAT;
    }
    CHECK(bad == 0);
    CHECK_STATUS(load_bad(buf, 3), NN_EFORMAT);
    CHECK(strstr(nn_last_error(), "truncated at byte 3") != NULL);
    CHECK_STATUS(load_bad(buf, len - 1), NN_EFORMAT);
    CHECK(strstr(nn_last_error(), "truncated") != NULL);

    /* A byte too many is refused as well. */
    longer = malloc((size_t)len + 1);
    if (longer != NULL) {
        memcpy(longer, buf, (size_t)len);
        longer[len] = 0;
        CHECK_STATUS(load_bad(longer, len + 1), NN_EFORMAT);
        CHECK(strstr(nn_last_error(), "trailing") != NULL);
    }
    free(longer);
    free(buf);
    nn_model_free(m);
}

/* Each byte XOR 0xff and XOR 0x01: CRC-32 catches every one, and the
 * header checks in front of it give NN_ENOTSUP for a version that looks
 * newer. */
static void check_flips(nn_model *m)
{
    unsigned char *buf;
    int64_t len, wrong = 0;
    static const unsigned char masks[2] = {0xff, 0x01};

    buf = save_mem(m, &len);
    if (buf == NULL) {
        return;
    }
    for (int64_t i = 0; i < len; i++) {
        for (int k = 0; k < 2; k++) {
            nn_status s;
            buf[i] ^= masks[k];
            s = load_bad(buf, len);
            buf[i] ^= masks[k];
            wrong += !(s == NN_EFORMAT
                       || (s == NN_ENOTSUP && i >= 8 && i < 12));
        }
    }
    CHECK(wrong == 0);
    free(buf);
}

static void test_byte_flips(void)
{
    nn_model *a = new_model(NN_OPTIM_ADAM, 0.0, 0, 12);
    nn_model *b = new_model(NN_OPTIM_SGD, 0.0, 0, 13);
    unsigned char *buf;
    int64_t len;

    CHECK_STATUS(fit(a, 2), NN_OK);
    check_flips(a);
    check_flips(b);

    /* In this build (no NN_FUZZING) a flipped weight fails the checksum. */
    buf = save_mem(a, &len);
    if (buf != NULL) {
        buf[layout_of(buf).params + 3] ^= 0x10;
        CHECK_STATUS(load_bad(buf, len), NN_EFORMAT);
        CHECK(strstr(nn_last_error(), "checksum mismatch: stored 0x") != NULL);
        CHECK(strstr(nn_last_error(), "computed 0x") != NULL);
    }
    free(buf);
    nn_model_free(a);
    nn_model_free(b);
}

static void test_magic_and_version(void)
{
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    nn_model *m = new_model(NN_OPTIM_ADAM, 0.0, 0, 14);
    unsigned char *buf, *text;
    int64_t len;

    buf = save_mem(m, &len);
    if (buf == NULL) {
        nn_model_free(m);
        return;
    }

    /* Not a model: another format, plain text, a text-mode copy. */
    CHECK_STATUS(load_bad(png, sizeof png), NN_EFORMAT);
    CHECK(strstr(nn_last_error(), "magic") != NULL);
    CHECK_STATUS(load_bad((const unsigned char *)"hello, world", 12), NN_EFORMAT);
    CHECK(strstr(nn_last_error(), "not a libnnblas model") != NULL);
    text = malloc((size_t)len);
    if (text != NULL) {
        memcpy(text, buf, 4);
        memcpy(text + 4, buf + 5, (size_t)len - 5);     /* CR LF -> LF */
        CHECK_STATUS(load_bad(text, len - 1), NN_EFORMAT);
        CHECK(strstr(nn_last_error(), "magic") != NULL);
    }
    free(text);

    /* A newer version, with a valid checksum, so the version check is
     * what answers: NN_ENOTSUP naming both versions. */
    le_put(buf + 8, 2, 4);
    fix_checksum(buf, len);
    CHECK_STATUS(load_bad(buf, len), NN_ENOTSUP);
    CHECK(strstr(nn_last_error(), "version 2") != NULL);
    CHECK(strstr(nn_last_error(), "version 1") != NULL);
    le_put(buf + 8, 0xffffffffu, 4);
    fix_checksum(buf, len);
    CHECK_STATUS(load_bad(buf, len), NN_ENOTSUP);
    le_put(buf + 8, 0, 4);
    fix_checksum(buf, len);
    CHECK_STATUS(load_bad(buf, len), NN_EFORMAT);

    /* A file written big-endian (which no libnnblas does). */
    le_put(buf + 8, 1, 4);
    memcpy(buf + 12, "\x01\x02\x03\x04", 4);
    fix_checksum(buf, len);
    CHECK_STATUS(load_bad(buf, len), NN_EFORMAT);
    CHECK(strstr(nn_last_error(), "big-endian") != NULL);
    free(buf);
    nn_model_free(m);
}

/* One edit of a valid file: an 8-byte field at `at` set to value. */
struct edit {
    const char *what;
    int64_t at;
    uint64_t value;
    const char *message;        /* a part of the expected message */
};

/*
 * Headers that claim huge sizes, with valid checksums: each is refused
 * with NN_EFORMAT before anything is allocated, and no allocation comes
 * near the sizes claimed.
 */
static void test_absurd_sizes(void)
{
    nn_model *m = new_model(NN_OPTIM_ADAM, 0.0, 0, 15);
    unsigned char *buf, *copy;
    struct counter c;
    struct layout at;
    int64_t len;
    const uint64_t tera = UINT64_C(1000000000000);

    buf = save_mem(m, &len);
    copy = malloc((size_t)len);
    if (buf == NULL || copy == NULL) {
        free(buf);
        free(copy);
        nn_model_free(m);
        return;
    }
    at = layout_of(buf);
    {
        const struct edit edits[] = {
            {"file size", 16, tera, "file size"},
            {"inputs", 24, tera, "inputs"},
            {"inputs at the BLAS limit", 24, INT32_MAX, "parameters"},
            {"metric count", 88, UINT64_C(1000000000), "metric count"},
            {"layer count", at.layer_count, tera, "layer count"},
            {"layer count 257", at.layer_count, 257, "layer count"},
            {"negative layer count", at.layer_count, UINT64_MAX, "layer count"},
            {"layer 0 units", at.layers + 8, tera, "layer 0 units"},
            {"layer 0 width 0", at.layers + 8, 0, "layer 0 units"},
            {"layer 0 at the BLAS limit", at.layers + 8, INT32_MAX, "parameters"},
            {"layer 2 units", at.layers + 160 + 8, INT32_MAX, "parameters"},
            {"parameter count", at.param_count, tera, "parameter count"},
            {"parameter count 2^63 - 1", at.param_count, INT64_MAX, "parameter count"},
            {"step count", at.iterations, UINT64_C(1) << 62, "step count"},
            {"state count", at.states, 3, "state count"},
        };
        for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
            nn_status s;
            memcpy(copy, buf, (size_t)len);
            le_put(copy + edits[i].at, edits[i].value, 8);
            fix_checksum(copy, len);
            count_from_here(&c, -1);
            s = load_bad(copy, len);
            stop_counting();
            CHECK_STATUS(s, NN_EFORMAT);
            if (!CHECK(strstr(nn_last_error(), edits[i].message) != NULL)
                || !CHECK(c.calls == 0)) {
                printf("  edit: %s, message: %s\n", edits[i].what,
                       nn_last_error());
            }
            CHECK(c.largest <= 65536 + (size_t)len);
        }
    }

    /* Two layers 2^31 - 1 wide each, dropout in between: their product
     * overflows nothing and is still refused. */
    memcpy(copy, buf, (size_t)len);
    le_put(copy + at.layers + 8, INT32_MAX, 8);
    le_put(copy + at.layers + 80 + 8, INT32_MAX, 8);
    fix_checksum(copy, len);
    count_from_here(&c, -1);
    CHECK_STATUS(load_bad(copy, len), NN_EFORMAT);
    stop_counting();
    CHECK(c.calls == 0);

    /* A valid load allocates about twice the file's size at most. */
    {
        nn_model *back = NULL;
        count_from_here(&c, -1);
        CHECK_STATUS(nn_model_load_mem(&back, buf, len), NN_OK);
        nn_model_free(back);
        stop_counting();
        CHECK(c.largest <= 65536 + 2 * (size_t)len);
        CHECK(c.total <= 65536 + 4 * (size_t)len);
    }
    free(copy);
    free(buf);
    nn_model_free(m);
}

/* Fields that are each in range but disagree with each other or with the
 * rules of the library, with valid checksums. */
static void test_inconsistent_fields(void)
{
    nn_model *m = new_model(NN_OPTIM_ADAM, 0.0, 0, 16);
    unsigned char *buf, *copy;
    struct layout at;
    int64_t len;

    CHECK_STATUS(fit(m, 1), NN_OK);
    buf = save_mem(m, &len);
    copy = malloc((size_t)len);
    if (buf == NULL || copy == NULL) {
        free(buf);
        free(copy);
        nn_model_free(m);
        return;
    }
    at = layout_of(buf);
    {
        const struct edit edits[] = {
            {"generator zero", 40, 0, NULL},
            {"not compiled", 72, 0, "compiled"},
            {"unknown loss", 80, 6, "loss"},
            {"unknown metric", at.metrics, 4, "metric 0"},
            {"unknown layer kind", at.layers, 2, "layer 0 kind"},
            {"unknown activation", at.layers + 16, 9, "layer 0"},
            {"use_bias 2", at.layers + 24, 2, "use_bias"},
            {"unknown initializer", at.layers + 40, 12, "initializer"},
            {"NaN kernel param", at.layers + 48, bits_of(NAN), "param"},
            {"rate on a dense layer", at.layers + 72, bits_of(0.5), "rate"},
            {"dropout width", at.layers + 80 + 8, 5, "input is 6 wide"},
            {"dropout rate 1", at.layers + 80 + 72, bits_of(1.0), "rate"},
            {"dropout with an activation", at.layers + 80 + 16, 1, "not zero"},
            {"unknown optimizer", at.optim, 5, "optimizer"},
            {"negative lr", at.optim + 8, bits_of(-0.1), "lr"},
            {"beta1 of 1", at.optim + 32, bits_of(1.0), "beta1"},
            {"negative step count", at.iterations, UINT64_MAX, "step count"},
            {"too few state arrays", at.states, 1, "keeps 2"},
            {"parameter count off by one", at.param_count, 0, "parameter count"},
            {"negative accumulator", len - 4 - 8, bits_of(-1.0), "sum of squares"},
        };
        for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
            memcpy(copy, buf, (size_t)len);
            le_put(copy + edits[i].at, edits[i].value, 8);
            if (edits[i].message == NULL) {
                le_put(copy + 48, 0, 8);
                le_put(copy + 56, 0, 8);
                le_put(copy + 64, 0, 8);
            }
            fix_checksum(copy, len);
            CHECK_STATUS(load_bad(copy, len), NN_EFORMAT);
            if (!CHECK(strstr(nn_last_error(), edits[i].message != NULL
                              ? edits[i].message : "all zero") != NULL)) {
                printf("  edit: %s, message: %s\n", edits[i].what,
                       nn_last_error());
            }
        }
    }

    /* A model without a dense layer: both dense layers turned into
     * dropout of the right width. */
    memcpy(copy, buf, (size_t)len);
    le_put(copy + at.layer_count, 1, 8);
    le_put(copy + at.layers, NN_LAYER_DROPOUT, 8);
    le_put(copy + at.layers + 8, 2, 8);
    memset(copy + at.layers + 16, 0, 64);
    fix_checksum(copy, len);
    CHECK_STATUS(load_bad(copy, len), NN_EFORMAT);

    /* A negative leaky relu slope (other activations ignore it). */
    memcpy(copy, buf, (size_t)len);
    le_put(copy + at.layers + 16, NN_ACTIVATION_LEAKY_RELU, 8);
    le_put(copy + at.layers + 32, bits_of(-1.0), 8);
    fix_checksum(copy, len);
    CHECK_STATUS(load_bad(copy, len), NN_EFORMAT);
    CHECK(strstr(nn_last_error(), "layer 0") != NULL);
    CHECK(strstr(nn_last_error(), "slope") != NULL);

    /* The message says what and where. */
    memcpy(copy, buf, (size_t)len);
    le_put(copy + at.layers + 160 + 8, 0, 8);
    fix_checksum(copy, len);
    CHECK_STATUS(load_bad(copy, len), NN_EFORMAT);
    CHECK(strstr(nn_last_error(), "layer 2 units at byte") != NULL);
    CHECK(strstr(nn_last_error(), "is 0") != NULL);
    free(copy);
    free(buf);
    nn_model_free(m);
}

int main(void)
{
    nn_status threads = nn_blas_threads_set(1);

    CHECK(threads == NN_OK || threads == NN_ENOTSUP);
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/nnblas-io-XXXXXX");
    if (!CHECK(mkdtemp(tmp_dir) != NULL)) {
        return nn_test_done();
    }
    make_data();

    test_round_trip_mem();
    test_resume_exact();
    test_round_trip_file();
    test_bytes_field_by_field();
    test_v1_files();
    test_save_arguments();
    test_save_failures();
    test_load_arguments();
    test_load_out_of_memory();
    test_truncation();
    test_byte_flips();
    test_magic_and_version();
    test_absurd_sizes();
    test_inconsistent_fields();

    CHECK(rmdir(tmp_dir) == 0);
    return nn_test_done();
}
