#define _POSIX_C_SOURCE 200809L
#include "classify.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <nnblas.h>

#include "dataset.h"
#include "plot.h"

static int failed(nn_status s, const char *what)
{
    if (s != NN_OK) {
        fprintf(stderr, "%s failed: %s (%s)\n", what, nn_last_error(),
                nn_status_str(s));
        return 1;
    }
    return 0;
}

static double now_seconds(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static nn_model *build(const classify_spec *spec, int64_t features)
{
    int metric = NN_METRIC_CATEGORICAL_ACCURACY;
    nn_optim_opts adam;
    nn_model *m = NULL;

    if (failed(nn_model_new(&m, features), "nn_model_new")
        || failed(nn_model_set_seed(m, spec->seed), "seed")
        || failed(nn_model_add_dense(m, spec->hidden, NN_ACTIVATION_RELU), "dense")
        || failed(nn_model_add_dense(m, spec->classes, NN_ACTIVATION_SOFTMAX), "dense")
        || failed(nn_optim_opts_init(&adam, NN_OPTIM_ADAM), "adam")
        || failed(nn_model_compile(m, NN_LOSS_CCE, &adam, &metric, 1), "compile")) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}

static int write_curves(const char *path, const nn_history *h)
{
    const double *loss = nn_history_series(h, "loss");
    const double *val = nn_history_series(h, "val_loss");
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        perror(path);
        return -1;
    }
    fprintf(f, "epoch,loss,test_loss\n");
    for (int64_t e = 0; e < nn_history_epochs(h); e++) {
        fprintf(f, "%lld,%.17g,%.17g\n", (long long)e + 1, loss[e], val[e]);
    }
    return fclose(f) == 0 ? 0 : -1;
}

int classify_run(const classify_spec *spec, const char *dir)
{
    dataset all = {0}, train = {0}, test = {0};
    nn_history *h = NULL;
    nn_fit_opts fit;
    nn_model *m = NULL;
    double *pred = NULL, seconds, accuracy;
    char csv[4096], png[4096];
    int status = 1;

    if (dataset_read(spec->path, spec->skip_lines, spec->classes, &all) != 0
        || dataset_split(&all, spec->test_fraction, spec->seed, &train, &test) != 0) {
        goto done;
    }
    printf("%s: %lld samples of %lld features, %lld classes; %lld to train, "
           "%lld to test\n", spec->name, (long long)all.rows,
           (long long)all.features, (long long)all.classes,
           (long long)train.rows, (long long)test.rows);
    m = build(spec, all.features);
    pred = malloc((size_t)(test.rows * test.classes) * sizeof *pred);
    if (m == NULL || pred == NULL || failed(nn_model_summary(m, stdout), "summary")
        || failed(nn_fit_opts_init(&fit), "fit options")) {
        goto done;
    }

    /* The test set rides along as validation data, so the history shows
     * both curves; it plays no part in the updates. */
    fit.epochs = spec->epochs;
    fit.batch_size = spec->batch_size;
    fit.verbose = 0;
    fit.x_val = test.x;
    fit.y_val = test.y;
    fit.n_val = test.rows;
    seconds = now_seconds();
    if (failed(nn_model_fit(m, train.rows, train.features, train.classes, train.x,
                            train.y, &fit, &h), "fit")) {
        goto done;
    }
    seconds = now_seconds() - seconds;
    if (failed(nn_model_predict(m, test.rows, test.features, test.classes, test.x,
                                pred), "predict")) {
        goto done;
    }
    accuracy = dataset_accuracy(&test, pred);
    printf("%s: %lld epochs (batch %lld) in %.3f s (%.2f ms per epoch)\n",
           spec->name, (long long)spec->epochs, (long long)spec->batch_size,
           seconds, 1e3 * seconds / (double)spec->epochs);
    printf("%s: final training loss %.4f, test loss %.4f\n", spec->name,
           nn_history_series(h, "loss")[spec->epochs - 1],
           nn_history_series(h, "val_loss")[spec->epochs - 1]);
    printf("%s: test accuracy %.2f%% (%lld of %lld)\n", spec->name,
           100.0 * accuracy, (long long)(accuracy * (double)test.rows + 0.5),
           (long long)test.rows);

    snprintf(csv, sizeof csv, "%s/%s_loss.csv", dir, spec->name);
    snprintf(png, sizeof png, "%s/%s_loss.png", dir, spec->name);
    if (write_curves(csv, h) != 0) {
        goto done;
    }
    printf("loss curves: %s\n", csv);
    {
        char title[128];
        plot_curve curves[2] = {{csv, 2, "training loss"}, {csv, 3, "test loss"}};
        snprintf(title, sizeof title, "%s: %lld-%lld-%lld, Adam", spec->name,
                 (long long)all.features, (long long)spec->hidden,
                 (long long)spec->classes);
        if (plot_curves(png, title, "epoch", curves, 2) == 0) {
            printf("chart: %s\n", png);
        }
    }
    status = accuracy >= spec->min_accuracy ? 0 : 1;
    if (status != 0) {
        printf("%s: accuracy below the expected %.0f%%\n", spec->name,
               100.0 * spec->min_accuracy);
    }

done:
    nn_history_free(h);
    nn_model_free(m);
    free(pred);
    dataset_free(&all);
    dataset_free(&train);
    dataset_free(&test);
    return status;
}
