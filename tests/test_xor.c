/*
 * The from-scratch XOR exercise, end to end: runs the built example
 * program and checks its loss trajectory and outputs against
 *
 *   - the reference values of an independent float64 computation of the
 *     same algorithm (first loss 0.69740009796859115, last loss
 *     0.3363432488815099, outputs 0.2137, 0.7324, 0.7325, 0.3824), and
 *   - every one of the 10000 losses of a plain-C computation written here,
 *     without the library,
 *
 * to 1e-10 relative.
 *
 * Usage: test_xor PATH_TO_xor_scratch OUTPUT_DIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_test.h"

#define ITERATIONS 10000

static double reference_losses[ITERATIONS];
static double reference_outputs[4];

static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

/*
 * The exercise in plain C, written the way the textbook version is:
 * hidden = sigmoid(x w1^T), out = sigmoid(hidden w2^T), output delta
 * (out - t) / 4, hidden delta through w2 and the sigmoid derivative.
 */
static void reference_run(void)
{
    const double x[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const double t[4] = {0, 1, 1, 0};
    double w1[2][2] = {{0.3745401188473625, 0.9507143064099162},
                       {0.7319939418114051, 0.5986584841970366}};
    double w2[2] = {0.15601864044243652, 0.15599452033620265};
    double h[4][2], out[4];

    for (int it = 0; it <= ITERATIONS; it++) {
        double loss = 0.0, g1[2][2] = {{0}}, g2[2] = {0};
        for (int s = 0; s < 4; s++) {
            for (int k = 0; k < 2; k++) {
                h[s][k] = sigmoid(w1[k][0] * x[s][0] + w1[k][1] * x[s][1]);
            }
            out[s] = sigmoid(w2[0] * h[s][0] + w2[1] * h[s][1]);
            loss -= t[s] * log(out[s]) + (1 - t[s]) * log(1 - out[s]);
        }
        if (it == ITERATIONS) {
            break;
        }
        reference_losses[it] = loss / 4;
        for (int s = 0; s < 4; s++) {
            double d_out = (out[s] - t[s]) / 4;
            for (int k = 0; k < 2; k++) {
                double d_h = d_out * w2[k] * h[s][k] * (1 - h[s][k]);
                g2[k] += d_out * h[s][k];
                g1[k][0] += d_h * x[s][0];
                g1[k][1] += d_h * x[s][1];
            }
        }
        for (int k = 0; k < 2; k++) {
            w2[k] -= 0.1 * g2[k];
            w1[k][0] -= 0.1 * g1[k][0];
            w1[k][1] -= 0.1 * g1[k][1];
        }
    }
    memcpy(reference_outputs, out, sizeof out);
}

static int relative_ok(double got, double want)
{
    return fabs(got - want) <= 1e-10 * fabs(want);
}

/* Reads the example's CSV: "iteration,loss" then one row per iteration. */
static int read_losses(const char *path, double *losses)
{
    FILE *f = fopen(path, "r");
    char line[256];
    int count = 0;

    if (f == NULL || fgets(line, sizeof line, f) == NULL) {
        if (f != NULL) {
            fclose(f);
        }
        return -1;
    }
    while (count < ITERATIONS && fgets(line, sizeof line, f) != NULL) {
        int it;
        if (sscanf(line, "%d,%lf", &it, &losses[count]) != 2 || it != count + 1) {
            break;
        }
        count++;
    }
    fclose(f);
    return count;
}

/* Runs the example and collects the four raw outputs it prints. */
static int run_example(const char *program, const char *dir, double *outputs,
                       int *rounded)
{
    char command[8192], line[512];
    int found = 0;
    FILE *p;

    snprintf(command, sizeof command, "'%s' '%s'", program, dir);
    p = popen(command, "r");
    if (p == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, p) != NULL) {
        double a, b, raw;
        int r;
        if (found < 4 && sscanf(line, "For input [%lf, %lf] output is %d (raw %lf)",
                                &a, &b, &r, &raw) == 4) {
            outputs[found] = raw;
            rounded[found] = r;
            found++;
        }
    }
    return pclose(p) == 0 ? found : -1;
}

int main(int argc, char **argv)
{
    static double losses[ITERATIONS];
    const double spec_outputs[4] = {0.2137, 0.7324, 0.7325, 0.3824};
    const int truth[4] = {0, 1, 1, 0};
    double outputs[4];
    int rounded[4];
    char csv[4096];

    if (argc != 3) {
        fprintf(stderr, "usage: %s PATH_TO_xor_scratch OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    reference_run();

    /* The spec's independent computation and ours agree with each other. */
    CHECK(relative_ok(reference_losses[0], 0.69740009796859115));
    CHECK(relative_ok(reference_losses[ITERATIONS - 1], 0.3363432488815099));

    if (!CHECK(run_example(argv[1], argv[2], outputs, rounded) == 4)) {
        return nn_test_done();
    }
    snprintf(csv, sizeof csv, "%s/xor_scratch_loss.csv", argv[2]);
    if (!CHECK(read_losses(csv, losses) == ITERATIONS)) {
        return nn_test_done();
    }

    CHECK_NEAR(losses[0], 0.69740009796859115, 1e-10);
    CHECK_NEAR(losses[ITERATIONS - 1], 0.3363432488815099, 1e-10);
    {
        int worst = 0;
        for (int it = 1; it < ITERATIONS; it++) {
            if (fabs(losses[it] - reference_losses[it])
                > fabs(losses[worst] - reference_losses[worst])) {
                worst = it;
            }
        }
        CHECK(relative_ok(losses[worst], reference_losses[worst]));
    }
    for (int s = 0; s < 4; s++) {
        CHECK_NEAR(outputs[s], reference_outputs[s], 1e-10);
        CHECK(fabs(outputs[s] - spec_outputs[s]) < 5e-5);
        CHECK(rounded[s] == truth[s]);
    }
    return nn_test_done();
}
