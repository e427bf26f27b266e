/*
 * A small seeded random number generator that gives the same numbers on
 * every machine: xoshiro256** seeded through splitmix64.
 *
 * The integer stream and the uniform doubles are bit-for-bit identical
 * everywhere. Normal draws use the Marsaglia polar method, which calls
 * log and sqrt: sqrt is exact in IEEE arithmetic, and log is the C
 * library's, so normals agree across machines to within the last bit that
 * libm's log gets right (glibc's does on all the machines we test).
 *
 * The state is a plain struct so it can live on the stack or inside
 * another object; treat its fields as private. One generator must not be
 * used from two threads at once; separate generators may.
 */
#ifndef NNBLAS_RNG_H
#define NNBLAS_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

NN_BEGIN_DECLS

typedef struct nn_rng {
    uint64_t state[4];
} nn_rng;

/* Seeds the generator. Every seed, 0 included, gives a good stream.
 * Returns NN_OK or NN_EINVAL (rng is NULL). */
NN_API NN_NODISCARD nn_status nn_rng_seed(nn_rng *rng, uint64_t seed);

/* The next 64 random bits into *out. Returns NN_OK or NN_EINVAL. */
NN_API NN_NODISCARD nn_status nn_rng_u64(nn_rng *rng, uint64_t *out);

/*
 * Fills out[0..n-1] with doubles uniform on [lo, hi), each made from the
 * top 53 bits of one draw. Returns NN_OK or NN_EINVAL (NULL, n < 0, lo or
 * hi not finite, hi < lo, or hi - lo overflows); out is untouched on
 * failure.
 */
NN_API NN_NODISCARD nn_status nn_rng_uniform(nn_rng *rng,
                                             int64_t n,
                                             double  lo,
                                             double  hi,
                                             double *out);

/*
 * Fills out[0..n-1] with normal draws of the given mean and standard
 * deviation (stddev >= 0). Returns NN_OK or NN_EINVAL.
 */
NN_API NN_NODISCARD nn_status nn_rng_normal(nn_rng *rng,
                                            int64_t n,
                                            double  mean,
                                            double  stddev,
                                            double *out);

/*
 * A uniform integer in [0, n) into *out, without modulo bias. Returns
 * NN_OK or NN_EINVAL (NULL or n < 1).
 */
NN_API NN_NODISCARD nn_status nn_rng_below(nn_rng *rng, int64_t n, int64_t *out);

NN_END_DECLS

#endif
