/*
 * The exercise the library grew from: the seed model Dense(10, relu),
 * Dense(10, relu), Dense(1, sigmoid), with Adam's defaults, binary
 * cross-entropy and binary accuracy, learns every logic gate's truth
 * table to 100% accuracy, with the default seed and with seeds 1 to 19.
 *
 * The epoch counts are 1.5 times, rounded up, the most any of seeds 0 to
 * 19 needed when measured (full batch, so one Adam step per epoch):
 *
 *   gate   seed 0   worst of 0..19        gate   seed 0   worst of 0..19
 *   AND        31      203 (seed 11)      XOR       219     1413 (seed 1)
 *   OR        378      555 (seed 1)       XNOR       50      396 (seed 9)
 *   NAND      118      424 (seed 9)       NOT         1      122 (seed 6)
 *   NOR       322      475 (seed 11)
 *
 * NOTE: the counts hold for these seeds, not for every seed: with seed 26
 * XNOR settles at 75% (two inputs reach the output only through dead relu
 * units and get the same 0.5), however long it trains.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

#define SEEDS 20

struct gate {
    const char *name;
    int64_t inputs;
    int64_t rows;
    double y[4];
    int64_t epochs;
};

/* Truth tables over [0,0], [0,1], [1,0], [1,1], or [0], [1] for NOT. */
static const struct gate gates[] = {
    {"AND", 2, 4, {0, 0, 0, 1}, 310},
    {"OR", 2, 4, {0, 1, 1, 1}, 840},
    {"NAND", 2, 4, {1, 1, 1, 0}, 640},
    {"NOR", 2, 4, {1, 0, 0, 0}, 720},
    {"XOR", 2, 4, {0, 1, 1, 0}, 2120},
    {"XNOR", 2, 4, {1, 0, 0, 1}, 600},
    {"NOT", 1, 2, {1, 0}, 190},
};

static const double x2[8] = {0, 0, 0, 1, 1, 0, 1, 1};
static const double x1[2] = {0, 1};

/*
 * Trains the seed model on a gate (seed < 0: the default seed) and
 * returns its accuracy on the truth table afterwards, or -1.
 */
static double train(const struct gate *g, int seed, int check_all)
{
    const double *x = g->inputs == 2 ? x2 : x1;
    int metric = NN_METRIC_BINARY_ACCURACY;
    double loss = -1.0, acc = -1.0, p[4];
    nn_history *h = NULL;
    nn_optim_opts adam;
    nn_fit_opts o;
    nn_model *m = NULL;

    if (!CHECK_STATUS(nn_model_new(&m, g->inputs), NN_OK)) {
        return -1.0;
    }
    if (seed >= 0) {
        CHECK_STATUS(nn_model_set_seed(m, (uint64_t)seed), NN_OK);
    }
    CHECK_STATUS(nn_model_add_dense(m, 10, NN_ACTIVATION_RELU), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 10, NN_ACTIVATION_RELU), NN_OK);
    CHECK_STATUS(nn_model_add_dense(m, 1, NN_ACTIVATION_SIGMOID), NN_OK);
    CHECK_STATUS(nn_optim_opts_init(&adam, NN_OPTIM_ADAM), NN_OK);
    CHECK_STATUS(nn_fit_opts_init(&o), NN_OK);
    o.epochs = g->epochs;
    o.verbose = 0;
    if (!CHECK_STATUS(nn_model_compile(m, NN_LOSS_BCE, &adam, &metric, 1),
                      NN_OK)
        || !CHECK_STATUS(nn_model_fit(m, g->rows, g->inputs, 1, x, g->y, &o,
                                      &h), NN_OK)
        || !CHECK_STATUS(nn_model_evaluate(m, g->rows, g->inputs, 1, x, g->y,
                                           &loss, &acc), NN_OK)) {
        acc = -1.0;
        goto done;
    }

    /* The predictions themselves, thresholded, are the truth table, and
     * the loss came down on the way. */
    if (check_all && CHECK_STATUS(nn_model_predict(m, g->rows, g->inputs, 1,
                                                   x, p), NN_OK)) {
        for (int64_t r = 0; r < g->rows; r++) {
            CHECK((p[r] > 0.5) == (g->y[r] > 0.5));
        }
        CHECK(h != NULL && nn_history_epochs(h) == g->epochs);
        CHECK(h != NULL && nn_history_series(h, "loss")[g->epochs - 1]
                               < nn_history_series(h, "loss")[0]);
        CHECK(loss < 0.5);
    }

done:
    nn_history_free(h);
    nn_model_free(m);
    return acc;
}

int main(void)
{
    for (size_t i = 0; i < sizeof gates / sizeof gates[0]; i++) {
        const struct gate *g = &gates[i];

        if (!CHECK(train(g, -1, 1) == 1.0)) {
            printf("  %s with the default seed\n", g->name);
        }
        for (int seed = 1; seed < SEEDS; seed++) {
            if (!CHECK(train(g, seed, 0) == 1.0)) {
                printf("  %s with seed %d\n", g->name, seed);
            }
        }
    }
    return nn_test_done();
}
