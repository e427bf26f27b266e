/*
 * Status names, the per-thread last error, the log sink, silence without
 * a sink, and the allocator hooks (counting, and failing on demand).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nnblas.h>

#include "nn_test.h"

static void test_names(void)
{
    static const struct {
        int code;
        const char *name;
    } codes[] = {
        {NN_OK, "NN_OK"}, {NN_EINVAL, "NN_EINVAL"}, {NN_ESHAPE, "NN_ESHAPE"},
        {NN_ERANGE, "NN_ERANGE"}, {NN_ENOMEM, "NN_ENOMEM"},
        {NN_ENONFINITE, "NN_ENONFINITE"}, {NN_EDIVERGED, "NN_EDIVERGED"},
        {NN_ESTATE, "NN_ESTATE"}, {NN_ESTOPPED, "NN_ESTOPPED"},
        {NN_EIO, "NN_EIO"}, {NN_EFORMAT, "NN_EFORMAT"},
        {NN_ENOTSUP, "NN_ENOTSUP"}, {NN_EINTERNAL, "NN_EINTERNAL"},
    };
    const size_t count = sizeof codes / sizeof codes[0];

    for (size_t i = 0; i < count; i++) {
        const char *meaning = nn_status_meaning(codes[i].code);
        CHECK(codes[i].code == -(int)i);
        CHECK(strcmp(nn_status_str(codes[i].code), codes[i].name) == 0);
        CHECK(meaning != NULL && meaning[0] != '\0');
        CHECK(strcmp(meaning, nn_status_meaning(999)) != 0);
        for (size_t j = 0; j < i; j++) {
            CHECK(strcmp(meaning, nn_status_meaning(codes[j].code)) != 0);
        }
    }
    CHECK(strcmp(nn_status_str(1), "NN_UNKNOWN") == 0);
    CHECK(strcmp(nn_status_str(-13), "NN_UNKNOWN") == 0);
    CHECK(nn_status_meaning(-13) != NULL);
    CHECK(strcmp(nn_status_meaning(NN_ESHAPE), "array sizes disagree") == 0);
}

static void test_version(void)
{
    unsigned major, minor, patch;
    char tail;

    CHECK(sscanf(nn_version(), "%u.%u.%u%c", &major, &minor, &patch, &tail)
          == 3);
}

/* What a second thread saw, checked by the main thread after the join. */
typedef struct thread_view {
    char at_start[64];
    char after_fail[256];
    int status;
} thread_view;

static void *thread_main(void *arg)
{
    thread_view *v = arg;
    nn_tensor *t = NULL;

    snprintf(v->at_start, sizeof v->at_start, "%s", nn_last_error());
    v->status = nn_tensor_new(&t, 7, -7);
    snprintf(v->after_fail, sizeof v->after_fail, "%s", nn_last_error());
    return NULL;
}

static void test_last_error(void)
{
    char main_msg[256], buf[8];
    thread_view view;
    pthread_t thread;
    double x = 0.0;
    int64_t full;
    nn_rng rng;

    /* Nothing has failed on this thread yet. */
    CHECK(strcmp(nn_last_error(), "") == 0);

    CHECK_STATUS(nn_rng_uniform(&rng, 1, 2.0, 1.0, &x), NN_EINVAL);
    snprintf(main_msg, sizeof main_msg, "%s", nn_last_error());
    CHECK(strstr(main_msg, "nn_rng_uniform") != NULL);

    /* Successful calls leave it alone. */
    CHECK_STATUS(nn_rng_seed(&rng, 1), NN_OK);
    CHECK(strcmp(nn_last_error(), main_msg) == 0);

    /* Another thread starts empty, and its failure stays its own. */
    memset(&view, 0, sizeof view);
    if (CHECK(pthread_create(&thread, NULL, thread_main, &view) == 0)) {
        CHECK(pthread_join(thread, NULL) == 0);
        CHECK(strcmp(view.at_start, "") == 0);
        CHECK(view.status == NN_EINVAL);
        CHECK(strstr(view.after_fail, "nn_tensor_new") != NULL);
        CHECK(strcmp(nn_last_error(), main_msg) == 0);
    }

    /* Copies: cut to the buffer, always terminated, full length back. */
    full = (int64_t)strlen(main_msg);
    memset(buf, 'x', sizeof buf);
    CHECK(nn_last_error_copy(buf, sizeof buf) == full);
    CHECK(memcmp(buf, main_msg, 7) == 0 && buf[7] == '\0');
    memset(buf, 'x', sizeof buf);
    CHECK(nn_last_error_copy(buf, 1) == full && buf[0] == '\0' && buf[1] == 'x');
    memset(buf, 'x', sizeof buf);
    CHECK(nn_last_error_copy(buf, 0) == full && buf[0] == 'x');
    CHECK(nn_last_error_copy(NULL, 10) == full);
    {
        char whole[256];
        CHECK(nn_last_error_copy(whole, full + 1) == full);
        CHECK(strcmp(whole, main_msg) == 0);
    }

    nn_last_error_clear();
    CHECK(strcmp(nn_last_error(), "") == 0);
    CHECK(nn_last_error_copy(buf, sizeof buf) == 0 && buf[0] == '\0');
}

/* A sink that records what it got. */
typedef struct sink_log {
    int calls;
    int level;
    char message[512];
} sink_log;

static void record(void *user, int level, const char *message)
{
    sink_log *log = user;

    log->calls++;
    log->level = level;
    snprintf(log->message, sizeof log->message, "%s", message);
}

static void test_log_sink(void)
{
    sink_log log = {0, -1, ""};
    nn_tensor *t = NULL;

    nn_log_set(record, &log, NN_LOG_ERROR);
    CHECK_STATUS(nn_tensor_new(&t, 0, 2), NN_EINVAL);
    CHECK(log.calls == 1 && log.level == NN_LOG_ERROR);
    CHECK(strcmp(log.message, nn_last_error()) == 0);
    CHECK_STATUS(nn_tensor_new(&t, 2, 2), NN_OK);
    CHECK(log.calls == 1);
    nn_tensor_free(t);

    /* A threshold above ERROR filters failures out. */
    nn_log_set(record, &log, NN_LOG_ERROR + 1);
    CHECK_STATUS(nn_gemm_mode_set(9), NN_EINVAL);
    CHECK(log.calls == 1);

    /* Removed: nothing more arrives. */
    nn_log_set(NULL, NULL, NN_LOG_DEBUG);
    CHECK_STATUS(nn_gemm_mode_set(9), NN_EINVAL);
    CHECK_STATUS(nn_tensor_new(&t, -1, 2), NN_EINVAL);
    CHECK(log.calls == 1);
}

/* A binding records its own failure: returned, stored, logged, cut. */
static void test_last_error_set(void)
{
    sink_log log = {0, -1, ""};
    char longer[600], buf[8];

    nn_log_set(record, &log, NN_LOG_ERROR);
    CHECK_STATUS(nn_last_error_set(NN_ESHAPE, "f90: x is 3x2, want 2x3"),
                 NN_ESHAPE);
    CHECK(strcmp(nn_last_error(), "f90: x is 3x2, want 2x3") == 0);
    CHECK(log.calls == 1 && strcmp(log.message, nn_last_error()) == 0);
    nn_log_set(NULL, NULL, NN_LOG_DEBUG);

    /* The message is text, not a format. */
    CHECK_STATUS(nn_last_error_set(NN_EINVAL, "100%s %d %n done"), NN_EINVAL);
    CHECK(strcmp(nn_last_error(), "100%s %d %n done") == 0);

    CHECK_STATUS(nn_last_error_set(NN_EIO, NULL), NN_EIO);
    CHECK(strcmp(nn_last_error(), "") == 0);

    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    CHECK_STATUS(nn_last_error_set(NN_EINVAL, longer), NN_EINVAL);
    CHECK(nn_last_error_copy(buf, sizeof buf) == 511);
    CHECK(strncmp(nn_last_error(), longer, 511) == 0);
    nn_last_error_clear();
}

/*
 * Runs fn with file descriptors 1 and 2 sent to a temporary file and
 * returns how many bytes were written to them, or -1 if the capture
 * could not be set up. Nothing may print in between, so fn only stores
 * results; the checks come after.
 */
static long captured_bytes(void (*fn)(void *), void *arg)
{
    FILE *tmp = tmpfile();
    int out, err;
    long size;

    if (tmp == NULL) {
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    out = dup(1);
    err = dup(2);
    if (out < 0 || err < 0 || dup2(fileno(tmp), 1) < 0
        || dup2(fileno(tmp), 2) < 0) {
        fclose(tmp);
        return -1;
    }
    fn(arg);
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    fseek(tmp, 0, SEEK_END);
    size = ftell(tmp);
    fclose(tmp);
    return size;
}

#define MAX_CALLS 64

typedef struct call_results {
    int n;
    int status[MAX_CALLS];
} call_results;

static void note(call_results *r, nn_status s)
{
    if (r->n < MAX_CALLS) {
        r->status[r->n++] = s;
    }
}

static void plain_release(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

/* Many kinds of misuse across the modules, with BLAS forced on so that
 * shape errors would reach cblas_dgemm if the checks let them. */
static void misuse(void *arg)
{
    call_results *r = arg;
    const int64_t big = (int64_t)INT32_MAX + 1;
    double x[16] = {0}, y[16] = {0}, w[16] = {0};
    nn_tensor *a = NULL, *b = NULL, *c = NULL, *t = NULL;
    nn_dense *layer = NULL, *unused = NULL;
    nn_dense_opts dopts;
    nn_optim_opts oopts;
    nn_optim *opt = NULL;
    nn_rng rng;

    note(r, nn_gemm_mode_set(NN_GEMM_BLAS));
    note(r, nn_tensor_new(&a, 3, 4));
    note(r, nn_tensor_new(&b, 5, 2));
    note(r, nn_tensor_new(&c, 3, 2));
    note(r, nn_tensor_matmul(c, 1.0, a, 0, b, 0, 0.0));
    note(r, nn_tensor_matmul(c, 1.0, a, 1, b, 1, 1.0));
    note(r, nn_tensor_matmul(a, 1.0, a, 0, a, 1, 0.0));
    note(r, nn_tensor_matmul(c, 1.0, a, 3, b, 0, 0.0));
    note(r, nn_tensor_matmul(NULL, 1.0, a, 0, b, 0, 0.0));
    note(r, nn_tensor_matmul_naive(c, 1.0, a, 0, b, 0, 0.0));
    note(r, nn_tensor_new(NULL, 1, 1));
    note(r, nn_tensor_new(&t, 0, 1));
    note(r, nn_tensor_new(&t, 1, big));
    note(r, nn_tensor_wrap(&t, 2, 3, 2, x));
    note(r, nn_tensor_wrap(&t, 2, 3, 3, NULL));
    note(r, nn_tensor_view(&t, a, 2, 2, 2, 3));
    note(r, nn_tensor_get(a, 9, 9, x));
    note(r, nn_tensor_set(NULL, 0, 0, 1.0));
    note(r, nn_tensor_copy(a, b));
    note(r, nn_tensor_axpy(a, 1.0, b));
    note(r, nn_tensor_fill(NULL, 0.0));
    note(r, nn_gemm_mode_set(42));
    note(r, nn_gemm_crossover_set(NN_PASS_FORWARD, -1));
    note(r, nn_blas_threads_set(-1));
    note(r, nn_rng_seed(NULL, 0));
    note(r, nn_rng_uniform(&rng, 4, 1.0, -1.0, x));
    note(r, nn_rng_normal(&rng, 4, 0.0, -1.0, x));
    note(r, nn_rng_below(&rng, 0, NULL));
    note(r, nn_init_fill(77, 0.0, 2, 2, &rng, w));
    note(r, nn_init_fill(NN_INIT_ORTHOGONAL, 1.0, big, 2, &rng, w));
    note(r, nn_activation_forward(9, 0.0, 2, 2, x, y));
    note(r, nn_activation_backward(0, 0.0, 0, 2, x, y, y));
    note(r, nn_dense_opts_init(&dopts, 2, NN_ACTIVATION_RELU));
    note(r, nn_dense_wrap(&layer, 3, &dopts, w, NULL));
    note(r, nn_dense_forward(layer, 0, x, y));
    note(r, nn_dense_forward(layer, big, x, y));
    note(r, nn_dense_backward(layer, 2, x, y, y, x));
    note(r, nn_dense_backward_preact(NULL, 2, x, y, x));
    note(r, nn_dense_new(&unused, 0, &dopts));
    note(r, nn_dense_init(NULL, &rng));
    note(r, nn_loss_compute(12, 2, 2, x, y, w, NULL));
    note(r, nn_loss_bce(2, 2, x, y, NULL, NULL));
    note(r, nn_loss_cce_logits(-1, 2, x, y, w, NULL));
    note(r, nn_optim_opts_init(&oopts, NN_OPTIM_ADAM));
    oopts.beta1 = 2.0;
    note(r, nn_optim_new(&opt, &oopts, 4));
    oopts.beta1 = 0.9;
    note(r, nn_optim_new(&opt, &oopts, 4));
    note(r, nn_optim_step(opt, 5, x, y));
    note(r, nn_optim_sgd(0, 0.1, x, y));
    note(r, nn_allocator_set(NULL, plain_release, NULL));
    note(r, nn_gemm_mode_set(NN_GEMM_AUTO));

    nn_optim_free(opt);
    nn_dense_free(layer);
    nn_tensor_free(a);
    nn_tensor_free(b);
    nn_tensor_free(c);
}

static void test_silence(void)
{
    call_results r = {0, {0}};
    int failures = 0;
    long bytes;

    nn_log_set(NULL, NULL, NN_LOG_DEBUG);
    bytes = captured_bytes(misuse, &r);
    CHECK(bytes == 0);
    for (int i = 0; i < r.n; i++) {
        failures += r.status[i] != NN_OK;
    }
    CHECK(r.n > 40 && failures > 35);

    /* The capture itself works: the ready-made sink does print. */
    r.n = 0;
    nn_log_set(nn_log_stderr, NULL, NN_LOG_WARN);
    bytes = captured_bytes(misuse, &r);
    nn_log_set(NULL, NULL, NN_LOG_DEBUG);
    CHECK(bytes > 100);
}

/* An allocator that counts, and fails while `failing` is set. */
typedef struct alloc_stats {
    long allocs, releases, refused;
    int failing;
} alloc_stats;

static void *stats_alloc(void *user, size_t size)
{
    alloc_stats *s = user;

    if (s->failing) {
        s->refused++;
        return NULL;
    }
    s->allocs++;
    return malloc(size);
}

static void stats_release(void *user, void *ptr)
{
    alloc_stats *s = user;

    s->releases++;
    free(ptr);
}

static void test_allocator(void)
{
    alloc_stats s = {0, 0, 0, 0};
    nn_tensor *t = NULL, *keep = NULL, *v = NULL;
    nn_dense *layer = NULL, *keep_layer = NULL;
    nn_optim *opt = NULL, *keep_opt = NULL;
    nn_dense_opts dopts;
    nn_optim_opts oopts;
    double buf[6], params[12];

    CHECK_STATUS(nn_allocator_set(stats_alloc, NULL, &s), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "nn_allocator_set") != NULL);
    CHECK_STATUS(nn_allocator_set(NULL, stats_release, &s), NN_EINVAL);
    CHECK_STATUS(nn_dense_opts_init(&dopts, 3, NN_ACTIVATION_TANH), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&oopts, NN_OPTIM_ADAM), NN_OK);

    /* Counting: every object is one allocation, released by _free. */
    CHECK_STATUS(nn_allocator_set(stats_alloc, stats_release, &s), NN_OK);
    CHECK_STATUS(nn_tensor_new(&t, 4, 4), NN_OK);
    CHECK_STATUS(nn_tensor_view(&v, t, 1, 1, 2, 2), NN_OK);
    CHECK_STATUS(nn_dense_new(&layer, 2, &dopts), NN_OK);
    CHECK_STATUS(nn_optim_new(&opt, &oopts, 10), NN_OK);
    CHECK(s.allocs >= 4);
    nn_tensor_free(v);
    nn_tensor_free(t);
    nn_dense_free(layer);
    nn_optim_free(opt);
    CHECK(s.releases == s.allocs);

    /* Failing: NN_ENOMEM, *out NULL (it held a live object), no leak. */
    CHECK_STATUS(nn_tensor_new(&keep, 2, 3), NN_OK);
    CHECK_STATUS(nn_dense_new(&keep_layer, 4, &dopts), NN_OK);
    CHECK_STATUS(nn_optim_new(&keep_opt, &oopts, 5), NN_OK);
    s.failing = 1;
    t = keep;
    CHECK_STATUS(nn_tensor_new(&t, 2, 3), NN_ENOMEM);
    CHECK(t == NULL);
    t = keep;
    CHECK_STATUS(nn_tensor_wrap(&t, 2, 3, 3, buf), NN_ENOMEM);
    CHECK(t == NULL);
    t = keep;
    CHECK_STATUS(nn_tensor_view(&t, keep, 0, 0, 1, 1), NN_ENOMEM);
    CHECK(t == NULL);
    layer = keep_layer;
    CHECK_STATUS(nn_dense_new(&layer, 4, &dopts), NN_ENOMEM);
    CHECK(layer == NULL);
    layer = keep_layer;
    CHECK_STATUS(nn_dense_wrap(&layer, 3, &dopts, params, NULL), NN_ENOMEM);
    CHECK(layer == NULL);
    opt = keep_opt;
    CHECK_STATUS(nn_optim_new(&opt, &oopts, 5), NN_ENOMEM);
    CHECK(opt == NULL);
    oopts.kind = NN_OPTIM_SGD;
    opt = keep_opt;
    CHECK_STATUS(nn_optim_new(&opt, &oopts, 5), NN_ENOMEM);
    CHECK(opt == NULL);
    CHECK(s.refused == 7);
    s.failing = 0;

    nn_tensor_free(keep);
    nn_dense_free(keep_layer);
    nn_optim_free(keep_opt);
    CHECK(s.releases == s.allocs);
    CHECK_STATUS(nn_allocator_set(NULL, NULL, NULL), NN_OK);

    /* Back on malloc: objects no longer reach the hooks. */
    CHECK_STATUS(nn_tensor_new(&t, 1, 1), NN_OK);
    nn_tensor_free(t);
    CHECK(s.releases == s.allocs && s.refused == 7);
}

int main(void)
{
    test_last_error();
    test_names();
    test_version();
    test_log_sink();
    test_last_error_set();
    test_silence();
    test_allocator();
    return nn_test_done();
}
