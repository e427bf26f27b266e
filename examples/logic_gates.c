/*
 * Logic gates the Keras way: for each of AND, OR, NAND, NOR, XOR, XNOR
 * (two inputs) and NOT (one input), a sequential model Dense(10, relu),
 * Dense(10, relu), Dense(1, sigmoid), compiled with Adam, binary
 * cross-entropy and binary accuracy, fitted on the truth table, then
 * asked for its predictions.
 *
 * Usage: logic_gates [OUTPUT_DIR]   (default: the current directory)
 * Writes OUTPUT_DIR/gate_<name>_loss.csv for each gate and, when gnuplot
 * is installed, all curves in OUTPUT_DIR/logic_gates_loss.png.
 */
#include <stdio.h>
#include <stdlib.h>

#include <nnblas.h>

#include "plot.h"

#define GATES 7

struct gate {
    const char *name;
    int inputs;
    int rows;
    double y[4];
    int epochs;
};

/* Truth tables over the inputs [0,0], [0,1], [1,0], [1,1] (or [0], [1]). */
static const struct gate gates[GATES] = {
    {"AND", 2, 4, {0, 0, 0, 1}, 500},
    {"OR", 2, 4, {0, 1, 1, 1}, 1000},
    {"NAND", 2, 4, {1, 1, 1, 0}, 500},
    {"NOR", 2, 4, {1, 0, 0, 0}, 1000},
    {"XOR", 2, 4, {0, 1, 1, 0}, 1000},
    {"XNOR", 2, 4, {1, 0, 0, 1}, 1000},
    {"NOT", 1, 2, {1, 0}, 500},
};

static const double x2[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
static const double x1[2][1] = {{0}, {1}};

static void check(nn_status s, const char *what)
{
    if (s != NN_OK) {
        fprintf(stderr, "logic_gates: %s failed: %s (%s)\n", what,
                nn_last_error(), nn_status_str(s));
        exit(1);
    }
}

/* The seed model of the exercise. */
static nn_model *build(int inputs)
{
    nn_model *m;
    nn_optim_opts adam;
    int metric = NN_METRIC_BINARY_ACCURACY;

    check(nn_model_new(&m, inputs), "nn_model_new");
    check(nn_model_add_dense(m, 10, NN_ACTIVATION_RELU), "add dense");
    check(nn_model_add_dense(m, 10, NN_ACTIVATION_RELU), "add dense");
    check(nn_model_add_dense(m, 1, NN_ACTIVATION_SIGMOID), "add dense");
    check(nn_optim_opts_init(&adam, NN_OPTIM_ADAM), "adam");
    check(nn_model_compile(m, NN_LOSS_BCE, &adam, &metric, 1), "compile");
    return m;
}

/* Keeps the user informed every 100 epochs instead of every epoch. */
static int every_hundred(void *user, int64_t epoch, const nn_history *h)
{
    double loss, acc;

    (void)user;
    if ((epoch + 1) % 100 == 0 && nn_history_get(h, "loss", epoch, &loss) == NN_OK
        && nn_history_get(h, "binary_accuracy", epoch, &acc) == NN_OK) {
        printf("  epoch %4lld - loss: %.4f - binary_accuracy: %.4f\n",
               (long long)epoch + 1, loss, acc);
    }
    return 0;
}

static int write_curve(const char *path, const nn_history *h)
{
    const double *loss = nn_history_series(h, "loss");
    FILE *f = fopen(path, "w");

    if (f == NULL) {
        perror(path);
        return -1;
    }
    fprintf(f, "epoch,loss\n");
    for (int64_t e = 0; e < nn_history_epochs(h); e++) {
        fprintf(f, "%lld,%.17g\n", (long long)e + 1, loss[e]);
    }
    return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    static char csv[GATES][4096];
    plot_curve curves[GATES];
    char png[4096];
    int failures = 0;

    for (int g = 0; g < GATES; g++) {
        const struct gate *gate = &gates[g];
        const double *x = gate->inputs == 2 ? &x2[0][0] : &x1[0][0];
        nn_model *m = build(gate->inputs);
        nn_history *h;
        nn_fit_opts fit;
        double pred[4], loss, acc;

        if (g == 0) {
            check(nn_model_summary(m, stdout), "summary");
        }
        printf("\n%s: training for %d epochs\n", gate->name, gate->epochs);
        check(nn_fit_opts_init(&fit), "fit options");
        fit.epochs = gate->epochs;
        fit.verbose = 0;
        fit.on_epoch = every_hundred;
        check(nn_model_fit(m, gate->rows, gate->inputs, 1, x, gate->y, &fit, &h), "fit");
        check(nn_model_predict(m, gate->rows, gate->inputs, 1, x, pred), "predict");
        check(nn_model_evaluate(m, gate->rows, gate->inputs, 1, x, gate->y, &loss, &acc), "evaluate");

        /* The raw probabilities, then rounded, as the exercise shows them. */
        printf("%s predictions:", gate->name);
        for (int r = 0; r < gate->rows; r++) {
            printf(" %.4f", pred[r]);
        }
        printf("\n%s rounded:    ", gate->name);
        for (int r = 0; r < gate->rows; r++) {
            printf(" %d", pred[r] > 0.5 ? 1 : 0);
        }
        printf("   (truth:");
        for (int r = 0; r < gate->rows; r++) {
            printf(" %g", gate->y[r]);
        }
        printf(")\n%s loss %.4f, binary accuracy %.0f%%\n", gate->name, loss,
               100.0 * acc);
        failures += acc < 1.0;

        snprintf(csv[g], sizeof csv[g], "%s/gate_%s_loss.csv", dir, gate->name);
        if (write_curve(csv[g], h) != 0) {
            return 1;
        }
        curves[g] = (plot_curve){csv[g], 2, gate->name};
        nn_history_free(h);
        nn_model_free(m);
    }

    snprintf(png, sizeof png, "%s/logic_gates_loss.png", dir);
    printf("\nloss curves: %s/gate_*_loss.csv\n", dir);
    if (plot_curves(png, "Logic gates: Dense(10, relu) x2, Dense(1, sigmoid), Adam",
                    "epoch", curves, GATES) == 0) {
        printf("chart: %s\n", png);
    }
    if (failures > 0) {
        printf("%d gate(s) did not reach 100%% binary accuracy\n", failures);
        return 1;
    }
    printf("all %d gates reached 100%% binary accuracy\n", GATES);
    return 0;
}
