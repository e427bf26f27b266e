/*
 * XOR "from scratch": a 2-2-1 sigmoid network without biases, trained by
 * full-batch gradient descent on binary cross-entropy (learning rate 0.1,
 * 10000 iterations) with the library's layer-level calls only: two dense
 * layers, a loss, and a plain SGD step. No model object.
 *
 * Usage: xor_scratch [OUTPUT_DIR]   (default: the current directory)
 * Writes OUTPUT_DIR/xor_scratch_loss.csv (the loss of every iteration)
 * and, when gnuplot is installed, OUTPUT_DIR/xor_scratch_loss.png.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <nnblas.h>

#include "plot.h"

#define SAMPLES 4
#define ITERATIONS 10000
#define LEARNING_RATE 0.1

/* Stops the program with the library's message if a call failed. */
static void check(nn_status s, const char *what)
{
    if (s != NN_OK) {
        fprintf(stderr, "xor_scratch: %s failed: %s (%s)\n", what,
                nn_last_error(), nn_status_str(s));
        exit(1);
    }
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec)
           + 1e-9 * (double)(now.tv_nsec - start->tv_nsec);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    const double x[SAMPLES][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const double target[SAMPLES] = {0, 1, 1, 0};
    /* The exercise's starting weights: w1[h][i] joins input i to hidden
     * unit h, w2[0][h] joins hidden unit h to the output. */
    const double w1[2][2] = {{0.3745401188473625, 0.9507143064099162},
                             {0.7319939418114051, 0.5986584841970366}};
    const double w2[1][2] = {{0.15601864044243652, 0.15599452033620265}};
    double hidden[SAMPLES][2], out[SAMPLES], d_out[SAMPLES], d_hidden[SAMPLES][2];
    static double losses[ITERATIONS];
    nn_dense_opts opts;
    nn_dense *layer1, *layer2;
    struct timespec start;
    char csv[4096], png[4096];
    FILE *f;

    /* Two sigmoid layers without bias. The library stores W as inputs x
     * units, so W1[i][h] = w1[h][i]. */
    check(nn_dense_opts_init(&opts, 2, NN_ACTIVATION_SIGMOID), "options");
    opts.use_bias = 0;
    check(nn_dense_new(&layer1, 2, &opts), "layer 1");
    opts.units = 1;
    check(nn_dense_new(&layer2, 2, &opts), "layer 2");
    for (int i = 0; i < 2; i++) {
        for (int h = 0; h < 2; h++) {
            nn_dense_weights(layer1)[i * 2 + h] = w1[h][i];
        }
        nn_dense_weights(layer2)[i] = w2[0][i];
    }

    /* Full-batch gradient descent: forward, loss, backward, update. */
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int it = 0; it < ITERATIONS; it++) {
        check(nn_dense_forward(layer1, SAMPLES, &x[0][0], &hidden[0][0]), "forward 1");
        check(nn_dense_forward(layer2, SAMPLES, &hidden[0][0], out), "forward 2");
        check(nn_loss_bce(SAMPLES, 1, out, target, &losses[it], d_out), "loss");
        check(nn_dense_backward(layer2, SAMPLES, &hidden[0][0], out, d_out,
                                &d_hidden[0][0]), "backward 2");
        check(nn_dense_backward(layer1, SAMPLES, &x[0][0], &hidden[0][0],
                                &d_hidden[0][0], NULL), "backward 1");
        check(nn_optim_sgd(4, LEARNING_RATE, nn_dense_grads(layer1),
                           nn_dense_params(layer1)), "update 1");
        check(nn_optim_sgd(2, LEARNING_RATE, nn_dense_grads(layer2),
                           nn_dense_params(layer2)), "update 2");
    }
    double elapsed = seconds_since(&start);

    /* The trained network's answers, as the original exercise prints them. */
    check(nn_dense_forward(layer1, SAMPLES, &x[0][0], &hidden[0][0]), "forward 1");
    check(nn_dense_forward(layer2, SAMPLES, &hidden[0][0], out), "forward 2");
    for (int s = 0; s < SAMPLES; s++) {
        printf("For input [%g, %g] output is %d   (raw %.17g)\n", x[s][0],
               x[s][1], out[s] >= 0.5 ? 1 : 0, out[s]);
    }
    printf("loss at iteration 1: %.17g\n", losses[0]);
    printf("final loss (iteration %d): %.17g\n", ITERATIONS,
           losses[ITERATIONS - 1]);
    printf("%d iterations in %.3f ms (%.3f us per iteration)\n", ITERATIONS,
           1e3 * elapsed, 1e6 * elapsed / ITERATIONS);

    /* The loss curve, as CSV and as a chart. */
    snprintf(csv, sizeof csv, "%s/xor_scratch_loss.csv", dir);
    snprintf(png, sizeof png, "%s/xor_scratch_loss.png", dir);
    f = fopen(csv, "w");
    if (f == NULL) {
        perror(csv);
        return 1;
    }
    fprintf(f, "iteration,loss\n");
    for (int it = 0; it < ITERATIONS; it++) {
        fprintf(f, "%d,%.17g\n", it + 1, losses[it]);
    }
    if (fclose(f) != 0) {
        perror(csv);
        return 1;
    }
    printf("loss curve: %s\n", csv);
    if (plot_curves(png, "XOR from scratch: 2-2-1 sigmoid, gradient descent",
                    "iteration", &(plot_curve){csv, 2, "binary cross-entropy"},
                    1) == 0) {
        printf("chart: %s\n", png);
    }

    nn_dense_free(layer1);
    nn_dense_free(layer2);
    return 0;
}
