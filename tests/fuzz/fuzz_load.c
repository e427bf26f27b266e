/*
 * The model loader's fuzz target. Any bytes go to nn_model_load_mem; a
 * model that loads must save back to the same bytes, describe itself,
 * predict, evaluate and take a training step, all without a sanitizer
 * complaint. Built for libFuzzer by -Dfuzz=true (clang), and run over the
 * corpus and past crashes by replay.c in every build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nnblas.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the library: stop here so the fuzzer keeps the
 * input. */
static void broken(const char *what, nn_status s)
{
    fprintf(stderr, "fuzz_load: %s (%s: %s)\n", what, nn_status_str(s),
            nn_last_error());
    abort();
}

/* Saving what was loaded gives the input back; the checksum is left out,
 * since the fuzz build loads files whose checksum is wrong. */
static void check_round_trip(const nn_model *m, const uint8_t *data,
                             size_t size)
{
    unsigned char *copy;
    int64_t len = 0;
    nn_status s = nn_model_save_mem(m, NULL, 0, &len);

    if (s != NN_OK || len != (int64_t)size || size < 4) {
        broken("the loaded model saves to a different size", s);
    }
    copy = malloc(size);
    if (copy == NULL) {
        return;
    }
    s = nn_model_save_mem(m, copy, len, &len);
    if (s != NN_OK || memcmp(copy, data, size - 4) != 0) {
        broken("the loaded model saves to different bytes", s);
    }
    free(copy);
}

/* One sample of zeros through everything that reads the model, then a
 * training step. Zero targets are valid for every loss. */
static void exercise(nn_model *m)
{
    int64_t in = nn_model_input_width(m), out = nn_model_output_width(m);
    double *x = calloc((size_t)(in + 2 * out), sizeof(double));
    double metrics[NN_MAX_METRICS], loss;
    char summary[64];
    nn_status s;

    if (x == NULL) {
        return;
    }
    s = nn_model_predict(m, 1, in, out, x, x + in);
    if (s != NN_OK && s != NN_ENOMEM) {
        broken("predict failed on a loaded model", s);
    }
    s = nn_model_evaluate(m, 1, in, out, x, x + in + out, &loss, metrics);
    if (s != NN_OK && s != NN_ENOMEM) {
        broken("evaluate failed on a loaded model", s);
    }
    s = nn_model_summary_str(m, summary, sizeof summary, NULL);
    if (s != NN_OK && s != NN_ERANGE) {
        broken("summary failed on a loaded model", s);
    }
    s = nn_model_train_batch(m, 1, in, out, x, x + in + out, &loss);
    if (s != NN_OK && s != NN_ENOMEM && s != NN_EDIVERGED) {
        broken("a training step failed on a loaded model", s);
    }
    free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nn_model *m = (nn_model *)data;
    nn_status s;

    nn_last_error_clear();
    s = nn_model_load_mem(&m, data, (int64_t)size);

    if (s != NN_OK) {
        if (m != NULL || nn_last_error()[0] == '\0'
            || (s != NN_EFORMAT && s != NN_ENOTSUP && s != NN_ENOMEM)) {
            broken("a failed load broke its contract", s);
        }
        return 0;
    }
    check_round_trip(m, data, size);
    exercise(m);
    nn_model_free(m);
    return 0;
}
