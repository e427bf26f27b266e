/*
 * Build check: <nnblas.h> on its own compiles as C99 with -pedantic
 * -Werror and, through test_header.cpp, as C++. So this file is written
 * in the subset of C that is also C++. Running it checks little; the
 * point is that it compiled and linked.
 */
#include <nnblas.h>

int main(void)
{
    nn_status (*make)(nn_tensor **, int64_t, int64_t) = nn_tensor_new;
    void (*release)(nn_tensor *) = nn_tensor_free;
    const char *(*name)(int) = nn_status_str;
    nn_tensor *t = NULL;
    nn_rng rng;
    nn_dense_opts dense;
    nn_optim_opts optim;
    int ok;

    ok = make(&t, 2, 3) == NN_OK && nn_tensor_cols(t) == 3;
    release(t);
    ok = ok && name(NN_ESHAPE)[0] == 'N';
    ok = ok && nn_rng_seed(&rng, 1) == NN_OK;
    ok = ok && nn_dense_opts_init(&dense, 4, NN_ACTIVATION_RELU) == NN_OK;
    ok = ok && nn_optim_opts_init(&optim, NN_OPTIM_ADAM) == NN_OK;
    ok = ok && NN_LOSS_EPSILON > 0.0 && NN_LEAKY_SLOPE_DEFAULT > 0.0;
    return ok ? 0 : 1;
}
