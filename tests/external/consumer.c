/*
 * A program built the way a user builds against an installed libnnblas:
 * only <nnblas.h> and the flags pkg-config gives. It trains nothing; it
 * makes a tensor, multiplies on BLAS, runs a dense layer forward, and
 * checks the numbers. Exits 0 when all agree.
 */
#include <math.h>
#include <stdio.h>

#include <nnblas.h>

static int failures;

static void expect(int ok, const char *what)
{
    if (!ok) {
        printf("consumer: %s failed: %s\n", what, nn_last_error());
        failures++;
    }
}

int main(void)
{
    /* a (2x3) times b (3x2); every entry of c is worked out by hand. */
    const double a_data[6] = {1, 2, 3, 4, 5, 6};
    const double b_data[6] = {7, 8, 9, 10, 11, 12};
    const double want_c[4] = {58, 64, 139, 154};
    /* A 3-input, 2-unit relu layer: y = relu(x W + b). */
    const double x[3] = {1.0, -2.0, 0.5};
    const double w[6] = {0.5, -1.0, 0.25, 2.0, -0.5, 1.0};
    const double bias[2] = {0.1, 0.2};
    double y[2] = {-1.0, -1.0};
    nn_tensor *a = NULL, *b = NULL, *c = NULL;
    nn_dense_opts opts;
    nn_dense *layer = NULL;

    expect(nn_tensor_new(&a, 2, 3) == NN_OK, "nn_tensor_new a");
    expect(nn_tensor_new(&b, 3, 2) == NN_OK, "nn_tensor_new b");
    expect(nn_tensor_new(&c, 2, 2) == NN_OK, "nn_tensor_new c");
    if (failures > 0) {
        return 1;
    }
    for (int i = 0; i < 6; i++) {
        nn_tensor_data(a)[i] = a_data[i];
        nn_tensor_data(b)[i] = b_data[i];
    }
    expect(nn_gemm_mode_set(NN_GEMM_BLAS) == NN_OK, "nn_gemm_mode_set");
    expect(nn_tensor_matmul(c, 1.0, a, NN_TRANS_NO, b, NN_TRANS_NO, 0.0)
           == NN_OK, "nn_tensor_matmul");
    for (int i = 0; i < 4; i++) {
        expect(nn_tensor_data(c)[i] == want_c[i], "matmul result");
    }

    /* Shape errors come back as a status, not a BLAS message. */
    expect(nn_tensor_matmul(c, 1.0, a, NN_TRANS_NO, a, NN_TRANS_NO, 0.0)
           == NN_ESHAPE, "nn_tensor_matmul shape check");

    /* x W = (0.5 - 0.5 - 0.25, -1 - 4 + 0.5) = (-0.25, -4.5); plus the
     * bias, (-0.15, -4.3); relu gives zeros. Then a positive input. */
    expect(nn_dense_opts_init(&opts, 2, NN_ACTIVATION_RELU) == NN_OK,
           "nn_dense_opts_init");
    expect(nn_dense_new(&layer, 3, &opts) == NN_OK, "nn_dense_new");
    if (layer != NULL) {
        const double x2[3] = {2.0, 1.0, 1.0};
        for (int i = 0; i < 6; i++) {
            nn_dense_weights(layer)[i] = w[i];
        }
        nn_dense_bias(layer)[0] = bias[0];
        nn_dense_bias(layer)[1] = bias[1];
        expect(nn_dense_forward(layer, 1, x, y) == NN_OK, "nn_dense_forward");
        expect(y[0] == 0.0 && y[1] == 0.0, "dense result");
        /* (1 + 0.25 - 0.5 + 0.1, -2 + 2 + 1 + 0.2) = (0.85, 1.2) */
        expect(nn_dense_forward(layer, 1, x2, y) == NN_OK, "nn_dense_forward");
        expect(fabs(y[0] - 0.85) < 1e-15 && fabs(y[1] - 1.2) < 1e-15,
               "dense result");
    }

    nn_dense_free(layer);
    nn_tensor_free(a);
    nn_tensor_free(b);
    nn_tensor_free(c);
    printf("consumer: libnnblas %s, %s\n", nn_version(),
           failures == 0 ? "all results agree" : "FAILED");
    return failures == 0 ? 0 : 1;
}
