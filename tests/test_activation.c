/*
 * Activations: forward against formulas written here, backward against
 * central differences, extreme inputs, in-place use and argument checks.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <nnblas.h>

#include "nn_test.h"

#define ROWS 4
#define COLS 5
#define N (ROWS * COLS)
#define KINDS 6

/* Central-difference step: truncation (h^2) and rounding (eps / h)
 * errors both stay near 1e-10 for the values used. */
#define STEP 1e-5

static uint64_t seed = 7;

/* Inputs in +-(0.1, 3): no input sits near the kink of relu at 0. */
static void random_inputs(double *z, int n)
{
    for (int i = 0; i < n; i++) {
        double u = nn_test_rand(&seed);
        z[i] = (u < 0 ? -1.0 : 1.0) * (0.1 + 2.9 * fabs(u));
    }
}

/* f of one row, by the textbook formulas. */
static void expected_row(int kind, double slope, const double *z, double *y)
{
    double sum = 0.0;

    for (int j = 0; j < COLS; j++) {
        switch (kind) {
        case NN_ACTIVATION_IDENTITY: y[j] = z[j]; break;
        case NN_ACTIVATION_SIGMOID: y[j] = 1.0 / (1.0 + exp(-z[j])); break;
        case NN_ACTIVATION_TANH:
            y[j] = (exp(2 * z[j]) - 1) / (exp(2 * z[j]) + 1);
            break;
        case NN_ACTIVATION_RELU: y[j] = z[j] > 0 ? z[j] : 0.0; break;
        case NN_ACTIVATION_LEAKY_RELU:
            y[j] = z[j] > 0 ? z[j] : slope * z[j];
            break;
        default:
            y[j] = exp(z[j]);
            sum += y[j];
            break;
        }
    }
    for (int j = 0; kind == NN_ACTIVATION_SOFTMAX && j < COLS; j++) {
        y[j] /= sum;
    }
}

static void test_forward(void)
{
    static const double slopes[] = {0.0, 0.01, NN_LEAKY_SLOPE_DEFAULT, 1.5};
    double z[N], y[N], want[N];

    random_inputs(z, N);
    for (int kind = 0; kind < KINDS; kind++) {
        for (int s = 0; s < 4; s++) {
            double worst = 0.0;
            CHECK_STATUS(nn_activation_forward(kind, slopes[s], ROWS, COLS, z,
                                               y), NN_OK);
            for (int r = 0; r < ROWS; r++) {
                expected_row(kind, slopes[s], z + r * COLS, want + r * COLS);
            }
            for (int i = 0; i < N; i++) {
                double d = fabs(y[i] - want[i]) / fmax(1e-300, fabs(want[i]));
                worst = d > worst ? d : worst;
            }
            if (!CHECK(worst < 1e-13)) {
                printf("  %s slope %g: relative error %g\n",
                       nn_activation_name(kind), slopes[s], worst);
            }
        }
    }

    /* Softmax rows sum to one. */
    CHECK_STATUS(nn_activation_forward(NN_ACTIVATION_SOFTMAX, 0.0, ROWS, COLS,
                                       z, y), NN_OK);
    for (int r = 0; r < ROWS; r++) {
        double sum = 0.0;
        for (int j = 0; j < COLS; j++) {
            sum += y[r * COLS + j];
        }
        CHECK_NEAR(sum, 1.0, 1e-15);
    }
}

/* L = sum over row r of w .* f(z), the scalar the gradient is of. */
static double row_loss(int kind, double slope, const double *z,
                       const double *w, int r)
{
    double y[N], sum = 0.0;

    if (nn_activation_forward(kind, slope, ROWS, COLS, z, y) != NN_OK) {
        return NAN;
    }
    for (int j = 0; j < COLS; j++) {
        sum += w[r * COLS + j] * y[r * COLS + j];
    }
    return sum;
}

static void test_backward(void)
{
    static const double slopes[] = {0.0, NN_LEAKY_SLOPE_DEFAULT, 0.7};
    double z[N], y[N], w[N], dz[N];

    for (int kind = 0; kind < KINDS; kind++) {
        for (int s = 0; s < 3; s++) {
            double worst = 0.0;
            random_inputs(z, N);
            for (int i = 0; i < N; i++) {
                w[i] = nn_test_rand(&seed);
            }
            CHECK_STATUS(nn_activation_forward(kind, slopes[s], ROWS, COLS, z,
                                               y), NN_OK);
            CHECK_STATUS(nn_activation_backward(kind, slopes[s], ROWS, COLS,
                                                y, w, dz), NN_OK);
            for (int i = 0; i < N; i++) {
                double keep = z[i], up, down, fd, err;
                z[i] = keep + STEP;
                up = row_loss(kind, slopes[s], z, w, i / COLS);
                z[i] = keep - STEP;
                down = row_loss(kind, slopes[s], z, w, i / COLS);
                z[i] = keep;
                fd = (up - down) / (2 * STEP);
                err = fabs(fd - dz[i]) / fmax(1e-3, fmax(fabs(fd), fabs(dz[i])));
                worst = err > worst || isnan(err) ? err : worst;
            }
            if (!CHECK(worst < 1e-6)) {
                printf("  %s slope %g: gradient error %g\n",
                       nn_activation_name(kind), slopes[s], worst);
            }
        }
    }
}

/* +-1000 would overflow a naive exp: results must be exact and finite. */
static void test_extremes(void)
{
    const double z[3] = {1000.0, 0.0, -1000.0};
    const double same[3] = {-1000.0, -1000.0, -1000.0};
    double y[3], dz[3], dy[3] = {1.0, -2.0, 0.5};
    int finite = 1;

    CHECK_STATUS(nn_activation_forward(NN_ACTIVATION_SIGMOID, 0.0, 1, 3, z, y),
                 NN_OK);
    CHECK(y[0] == 1.0 && y[1] == 0.5 && y[2] == 0.0);
    CHECK_STATUS(nn_activation_backward(NN_ACTIVATION_SIGMOID, 0.0, 1, 3, y,
                                        dy, dz), NN_OK);
    CHECK(dz[0] == 0.0 && dz[2] == 0.0 && dz[1] == -0.5);

    CHECK_STATUS(nn_activation_forward(NN_ACTIVATION_SOFTMAX, 0.0, 1, 3, z, y),
                 NN_OK);
    CHECK(y[0] == 1.0 && y[1] == 0.0 && y[2] == 0.0);
    CHECK_STATUS(nn_activation_backward(NN_ACTIVATION_SOFTMAX, 0.0, 1, 3, y,
                                        dy, dz), NN_OK);
    for (int i = 0; i < 3; i++) {
        finite &= isfinite(dz[i]) != 0;
    }
    CHECK(finite);
    CHECK_STATUS(nn_activation_forward(NN_ACTIVATION_SOFTMAX, 0.0, 1, 3, same,
                                       y), NN_OK);
    CHECK_NEAR(y[0], 1.0 / 3, 1e-15);
    CHECK_NEAR(y[2], 1.0 / 3, 1e-15);

    CHECK_STATUS(nn_activation_forward(NN_ACTIVATION_TANH, 0.0, 1, 3, z, y),
                 NN_OK);
    CHECK(y[0] == 1.0 && y[1] == 0.0 && y[2] == -1.0);
}

/* z == y forward and dy == dz backward give the out-of-place results. */
static void test_in_place(void)
{
    double z[N], y[N], buf[N], dy[N], dz[N];

    for (int kind = 0; kind < KINDS; kind++) {
        random_inputs(z, N);
        memcpy(buf, z, sizeof z);
        CHECK_STATUS(nn_activation_forward(kind, 0.3, ROWS, COLS, z, y), NN_OK);
        CHECK_STATUS(nn_activation_forward(kind, 0.3, ROWS, COLS, buf, buf),
                     NN_OK);
        CHECK(memcmp(y, buf, sizeof y) == 0);

        for (int i = 0; i < N; i++) {
            dy[i] = nn_test_rand(&seed);
        }
        memcpy(buf, dy, sizeof dy);
        CHECK_STATUS(nn_activation_backward(kind, 0.3, ROWS, COLS, y, dy, dz),
                     NN_OK);
        CHECK_STATUS(nn_activation_backward(kind, 0.3, ROWS, COLS, y, buf, buf),
                     NN_OK);
        CHECK(memcmp(dz, buf, sizeof dz) == 0);
    }
}

static void test_errors(void)
{
    double z[N] = {0}, y[N], saved[N];
    const int64_t huge = INT64_C(1) << 40;

    for (int i = 0; i < N; i++) {
        y[i] = saved[i] = 42.0 + i;
    }
    CHECK_STATUS(nn_activation_forward(-1, 0.0, ROWS, COLS, z, y), NN_EINVAL);
    CHECK_STATUS(nn_activation_forward(KINDS, 0.0, ROWS, COLS, z, y),
                 NN_EINVAL);
    CHECK(strstr(nn_last_error(), "6") != NULL);
    CHECK_STATUS(nn_activation_forward(NN_ACTIVATION_LEAKY_RELU, -0.1, ROWS,
                                       COLS, z, y), NN_EINVAL);
    CHECK(strstr(nn_last_error(), "slope") != NULL);
    CHECK_STATUS(nn_activation_forward(NN_ACTIVATION_LEAKY_RELU, NAN, ROWS,
                                       COLS, z, y), NN_EINVAL);
    CHECK_STATUS(nn_activation_forward(NN_ACTIVATION_LEAKY_RELU, INFINITY,
                                       ROWS, COLS, z, y), NN_EINVAL);
    CHECK_STATUS(nn_activation_forward(0, 0.0, 0, COLS, z, y), NN_EINVAL);
    CHECK_STATUS(nn_activation_forward(0, 0.0, ROWS, -1, z, y), NN_EINVAL);
    CHECK_STATUS(nn_activation_forward(0, 0.0, ROWS, COLS, NULL, y), NN_EINVAL);
    CHECK_STATUS(nn_activation_forward(0, 0.0, ROWS, COLS, z, NULL), NN_EINVAL);

    /* A size whose byte count overflows is refused before any access. */
    CHECK(nn_activation_forward(0, 0.0, huge, huge, z, y) != NN_OK);
    CHECK(memcmp(y, saved, sizeof y) == 0);

    CHECK_STATUS(nn_activation_backward(-1, 0.0, ROWS, COLS, z, z, y),
                 NN_EINVAL);
    CHECK_STATUS(nn_activation_backward(NN_ACTIVATION_LEAKY_RELU, -1.0, ROWS,
                                        COLS, z, z, y), NN_EINVAL);
    CHECK_STATUS(nn_activation_backward(0, 0.0, ROWS, 0, z, z, y), NN_EINVAL);
    CHECK_STATUS(nn_activation_backward(0, 0.0, ROWS, COLS, NULL, z, y),
                 NN_EINVAL);
    CHECK_STATUS(nn_activation_backward(0, 0.0, ROWS, COLS, z, NULL, y),
                 NN_EINVAL);
    CHECK_STATUS(nn_activation_backward(0, 0.0, ROWS, COLS, z, z, NULL),
                 NN_EINVAL);
    CHECK(nn_activation_backward(0, 0.0, huge, huge, z, z, y) != NN_OK);
    CHECK(memcmp(y, saved, sizeof y) == 0);

    CHECK(strcmp(nn_activation_name(NN_ACTIVATION_RELU), "relu") == 0);
    CHECK(strcmp(nn_activation_name(NN_ACTIVATION_SOFTMAX), "softmax") == 0);
    CHECK(strcmp(nn_activation_name(KINDS), "unknown") == 0);
}

int main(void)
{
    test_forward();
    test_backward();
    test_extremes();
    test_in_place();
    test_errors();
    return nn_test_done();
}
