/*
 * Weight initializers.
 *
 * A kernel is a fan_in x fan_out row-major matrix (inputs by units, the
 * layout of a dense layer's weights). The variance-scaling initializers
 * follow Keras, so a ported Keras model starts from the same
 * distribution:
 *
 *   kind             distribution                  scale s
 *   GLOROT_UNIFORM   U(-sqrt(3 s), +sqrt(3 s))     2 / (fan_in + fan_out)
 *   GLOROT_NORMAL    truncated normal, variance s  2 / (fan_in + fan_out)
 *   HE_UNIFORM       U(-sqrt(3 s), +sqrt(3 s))     2 / fan_in
 *   HE_NORMAL        truncated normal, variance s  2 / fan_in
 *   LECUN_UNIFORM    U(-sqrt(3 s), +sqrt(3 s))     1 / fan_in
 *   LECUN_NORMAL     truncated normal, variance s  1 / fan_in
 *
 * "Truncated normal, variance s" draws N(0, sd^2) with sd = sqrt(s) /
 * 0.87962566103423978, redrawing anything beyond two sd: the divisor is
 * the standard deviation of a unit normal cut at +-2, so the result has
 * variance s exactly.
 *
 * The simple kinds use the param argument:
 *
 *   ZEROS       all 0 (param ignored)
 *   ONES        all 1 (param ignored)
 *   CONSTANT    all param
 *   UNIFORM     U(-param, +param)        (Keras default param: 0.05)
 *   NORMAL      N(0, param^2)            (Keras default param: 0.05)
 *   ORTHOGONAL  param times a matrix with orthonormal columns (fan_in >=
 *               fan_out) or orthonormal rows (fan_in < fan_out), from the
 *               QR factorisation of a normal matrix (LAPACKE dgeqrf and
 *               dorgqr), signs fixed so the draw is uniform (Haar).
 *               Keras default param: 1.
 *
 * Same seed, same kind, same shape: same numbers (see nnblas/rng.h).
 */
#ifndef NNBLAS_INIT_H
#define NNBLAS_INIT_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "rng.h"
#include "status.h"

NN_BEGIN_DECLS

typedef enum nn_init {
    NN_INIT_ZEROS = 0,
    NN_INIT_ONES = 1,
    NN_INIT_CONSTANT = 2,
    NN_INIT_UNIFORM = 3,
    NN_INIT_NORMAL = 4,
    NN_INIT_GLOROT_UNIFORM = 5,
    NN_INIT_GLOROT_NORMAL = 6,
    NN_INIT_HE_UNIFORM = 7,
    NN_INIT_HE_NORMAL = 8,
    NN_INIT_LECUN_UNIFORM = 9,
    NN_INIT_LECUN_NORMAL = 10,
    NN_INIT_ORTHOGONAL = 11,
} nn_init;

/*
 * Fills w (fan_in x fan_out, row-major) by the initializer kind, drawing
 * from rng (which may be NULL for ZEROS, ONES and CONSTANT). Returns NN_OK,
 * NN_EINVAL (NULL, unknown kind, non-positive fan, param not finite or,
 * for UNIFORM and NORMAL, negative), NN_ERANGE (too large for LAPACK, for
 * ORTHOGONAL), NN_ENOMEM (ORTHOGONAL needs workspace) or NN_EINTERNAL
 * (LAPACK failed). w is untouched on failure. Not for use on the same rng
 * from two threads.
 */
NN_API NN_NODISCARD nn_status nn_init_fill(int      kind,
                                           double   param,
                                           int64_t  fan_in,
                                           int64_t  fan_out,
                                           nn_rng  *rng,
                                           double  *w);

/*
 * Keras's default param for an initializer kind: 0.05 for UNIFORM and
 * NORMAL, 0 for CONSTANT, 1 for ORTHOGONAL and for the kinds that ignore
 * it; NAN for an unknown kind.
 */
NN_API double nn_init_default_param(int kind);

/* A static name for an initializer ("glorot_uniform"), or "unknown". */
NN_API const char *nn_init_name(int kind);

NN_END_DECLS

#endif
