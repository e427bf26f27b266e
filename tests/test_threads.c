/*
 * Threads: separate models trained at the same time in separate threads
 * end bit for bit where the same trainings run one after another end;
 * one trained model predicts and evaluates from several threads at once
 * exactly as it does from one; and the last-error message belongs to the
 * thread whose call failed. The BLAS runs on one thread throughout, as
 * the model's reproducibility promise requires (see nnblas/model.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

#define THREADS 4

/*
 * 32-64-64-4 at batch 64: the products of every pass are above the
 * default crossovers, so BLAS really runs in NN_GEMM_AUTO mode too.
 */
#define IN 32
#define HIDDEN 64
#define OUT 4
#define N 256
#define BATCH 64
#define EPOCHS 2
#define MAX_PARAMS ((IN + 1) * HIDDEN + (HIDDEN + 1) * HIDDEN \
                    + (HIDDEN + 1) * OUT)

static double x[N * IN], y[N * OUT];

static void make_data(void)
{
    uint64_t state = 77;

    for (int i = 0; i < N * IN; i++) {
        x[i] = nn_test_rand(&state);
    }
    for (int i = 0; i < N; i++) {
        int best = 0;
        for (int j = 1; j < OUT; j++) {
            best = x[i * IN + j] > x[i * IN + best] ? j : best;
        }
        for (int j = 0; j < OUT; j++) {
            y[i * OUT + j] = j == best;
        }
    }
}

/* ----------------------------------------------------------------------
 * Training in parallel
 */

struct job {
    uint64_t seed;              /* each model starts from its own weights */
    int optimizer;
    nn_status status;
    int64_t n_params;
    double params[MAX_PARAMS];
    pthread_barrier_t *start;   /* NULL when run alone */
};

static nn_status train(struct job *job, nn_model *m)
{
    nn_optim_opts optim;
    nn_fit_opts fit;
    nn_status s;

    if ((s = nn_model_set_seed(m, job->seed)) != NN_OK
        || (s = nn_model_add_dense(m, HIDDEN, NN_ACTIVATION_RELU)) != NN_OK
        || (s = nn_model_add_dropout(m, 0.1)) != NN_OK
        || (s = nn_model_add_dense(m, HIDDEN, NN_ACTIVATION_TANH)) != NN_OK
        || (s = nn_model_add_dense(m, OUT, NN_ACTIVATION_SOFTMAX)) != NN_OK
        || (s = nn_optim_opts_init(&optim, job->optimizer)) != NN_OK
        || (s = nn_model_compile(m, NN_LOSS_CCE, &optim, NULL, 0)) != NN_OK
        || (s = nn_fit_opts_init(&fit)) != NN_OK) {
        return s;
    }
    fit.epochs = EPOCHS;
    fit.batch_size = BATCH;
    fit.verbose = 0;
    fit.validation_split = 0.25;
    return nn_model_fit(m, N, IN, OUT, x, y, &fit, NULL);
}

static void *train_job(void *arg)
{
    struct job *job = arg;
    nn_model *m = NULL;

    if (job->start != NULL) {
        pthread_barrier_wait(job->start);
    }
    job->status = nn_model_new(&m, IN);
    if (job->status == NN_OK) {
        job->status = train(job, m);
    }
    job->n_params = nn_model_param_count(m);
    if (job->status == NN_OK) {
        memcpy(job->params, nn_model_params(m),
               (size_t)job->n_params * sizeof(double));
    }
    nn_model_free(m);
    return NULL;
}

static const int optimizers[THREADS] = {
    NN_OPTIM_ADAM, NN_OPTIM_SGD, NN_OPTIM_RMSPROP, NN_OPTIM_ADAGRAD,
};

static void test_parallel_training(int mode)
{
    static struct job alone[THREADS], together[THREADS];
    pthread_t threads[THREADS];
    pthread_barrier_t start;

    CHECK_STATUS(nn_gemm_mode_set(mode), NN_OK);
    for (int i = 0; i < THREADS; i++) {
        alone[i] = (struct job){.seed = 100 + (uint64_t)i,
                                .optimizer = optimizers[i]};
        together[i] = alone[i];
        together[i].start = &start;
        train_job(&alone[i]);
    }

    /* The barrier lines the threads up so that their BLAS calls overlap. */
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_create(&threads[i], NULL, train_job, &together[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
    }
    pthread_barrier_destroy(&start);

    for (int i = 0; i < THREADS; i++) {
        CHECK_STATUS(alone[i].status, NN_OK);
        CHECK_STATUS(together[i].status, NN_OK);
        CHECK(alone[i].n_params == MAX_PARAMS);
        if (!CHECK(memcmp(alone[i].params, together[i].params,
                          sizeof alone[i].params) == 0)) {
            printf("  mode %d, model %d: concurrent training differs\n",
                   mode, i);
        }
    }
    CHECK(memcmp(alone[0].params, alone[1].params,
                 sizeof alone[0].params) != 0);
    CHECK_STATUS(nn_gemm_mode_set(NN_GEMM_AUTO), NN_OK);
}

/* ----------------------------------------------------------------------
 * One model, many readers
 */

#define ROUNDS 8

struct reader {
    const nn_model *m;
    const double *want_out;
    double want_loss;
    double want_metrics[2];
    pthread_barrier_t *start;
    int mismatches;
    nn_status status;
    double out[N * OUT];
};

static void *read_job(void *arg)
{
    struct reader *r = arg;
    double loss, metrics[2];

    pthread_barrier_wait(r->start);
    for (int round = 0; round < ROUNDS && r->status == NN_OK; round++) {
        memset(r->out, 0, sizeof r->out);
        r->status = nn_model_predict(r->m, N, IN, OUT, x, r->out);
        if (r->status == NN_OK) {
            r->status = nn_model_evaluate(r->m, N, IN, OUT, x, y, &loss,
                                          metrics);
        }
        if (r->status == NN_OK
            && (memcmp(r->out, r->want_out, sizeof r->out) != 0
                || memcmp(&loss, &r->want_loss, sizeof loss) != 0
                || memcmp(metrics, r->want_metrics, sizeof metrics) != 0)) {
            r->mismatches++;
        }
    }
    return NULL;
}

static void test_shared_readers(void)
{
    static struct reader readers[THREADS];
    static double want[N * OUT];
    static const int metrics[2] = {NN_METRIC_CATEGORICAL_ACCURACY,
                                   NN_METRIC_MAE};
    pthread_t threads[THREADS];
    pthread_barrier_t start;
    struct job job = {.seed = 5, .optimizer = NN_OPTIM_ADAM};
    double loss, values[2];
    nn_model *m = NULL;

    if (!CHECK_STATUS(nn_model_new(&m, IN), NN_OK)
        || !CHECK_STATUS(train(&job, m), NN_OK)) {
        nn_model_free(m);
        return;
    }
    CHECK_STATUS(nn_model_compile(m, NN_LOSS_CCE, NULL, metrics, 2), NN_OK);
    CHECK_STATUS(nn_model_predict(m, N, IN, OUT, x, want), NN_OK);
    CHECK_STATUS(nn_model_evaluate(m, N, IN, OUT, x, y, &loss, values), NN_OK);

    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        readers[i] = (struct reader){.m = m, .want_out = want,
                                     .want_loss = loss, .start = &start};
        memcpy(readers[i].want_metrics, values, sizeof values);
        CHECK(pthread_create(&threads[i], NULL, read_job, &readers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK_STATUS(readers[i].status, NN_OK);
        if (!CHECK(readers[i].mismatches == 0)) {
            printf("  reader %d: %d of %d rounds differ from one thread's\n",
                   i, readers[i].mismatches, ROUNDS);
        }
    }
    pthread_barrier_destroy(&start);
    nn_model_free(m);
}

/* ----------------------------------------------------------------------
 * The last error belongs to its thread
 */

#define ERROR_ROUNDS 2000

static atomic_long logged;

static void count_sink(void *user, int level, const char *message)
{
    (void)user;
    (void)message;
    if (level == NN_LOG_ERROR) {
        atomic_fetch_add(&logged, 1);
    }
}

struct raiser {
    int id;
    pthread_barrier_t *start;
    int fresh_was_empty;
    int wrong;
};

static void *raise_job(void *arg)
{
    struct raiser *r = arg;
    char want[128], copy[128];
    nn_tensor *t = NULL;

    /* A new thread sees no error, whatever other threads have done. */
    r->fresh_was_empty = nn_last_error()[0] == '\0';
    pthread_barrier_wait(r->start);
    for (int i = 0; i < ERROR_ROUNDS; i++) {
        long long rows = -(1000000LL * (r->id + 1) + i);
        nn_status s = nn_tensor_new(&t, rows, 3);

        snprintf(want, sizeof want, "nn_tensor_new: rows must be at least 1, "
                 "got %lld", rows);
        (void)nn_last_error_copy(copy, sizeof copy);
        if (s != NN_EINVAL || strcmp(nn_last_error(), want) != 0
            || strcmp(copy, want) != 0) {
            r->wrong++;
        }
    }
    return NULL;
}

static void test_last_error_per_thread(void)
{
    static struct raiser raisers[THREADS];
    pthread_t threads[THREADS];
    pthread_barrier_t start;
    nn_tensor *t = NULL;
    char mine[128];

    /* The main thread's message must survive the others' failures. */
    CHECK_STATUS(nn_tensor_new(&t, 0, 5), NN_EINVAL);
    snprintf(mine, sizeof mine, "%s", nn_last_error());
    CHECK(strstr(mine, "got 0") != NULL);

    atomic_store(&logged, 0);
    nn_log_set(count_sink, NULL, NN_LOG_ERROR);
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        raisers[i] = (struct raiser){.id = i, .start = &start};
        CHECK(pthread_create(&threads[i], NULL, raise_job, &raisers[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(raisers[i].fresh_was_empty);
        if (!CHECK(raisers[i].wrong == 0)) {
            printf("  thread %d read another thread's message %d times\n", i,
                   raisers[i].wrong);
        }
    }
    pthread_barrier_destroy(&start);
    nn_log_set(NULL, NULL, NN_LOG_ERROR);

    CHECK(strcmp(nn_last_error(), mine) == 0);
    CHECK(atomic_load(&logged) == (long)THREADS * ERROR_ROUNDS);
}

int main(void)
{
    make_data();

    /* One BLAS thread: see the file comment. */
    if (nn_blas_threads_set(1) != NN_OK) {
        printf("note: the BLAS thread count cannot be set: %s\n",
               nn_last_error());
    }
    test_parallel_training(NN_GEMM_AUTO);
    test_parallel_training(NN_GEMM_BLAS);
    test_shared_readers();
    test_last_error_per_thread();
    return nn_test_done();
}
