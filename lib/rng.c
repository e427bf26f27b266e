/*
 * xoshiro256** (Blackman and Vigna) seeded by splitmix64, and the
 * distributions built on it. Both generators are defined by their
 * published integer recurrences, so the streams are identical on every
 * machine and compiler.
 */
#include <math.h>

#include "internal.h"

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t nn__rng_next(nn_rng *rng)
{
    uint64_t *s = rng->state;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double nn__rng_unit(nn_rng *rng)
{
    /* The top 53 bits fill a double's mantissa exactly. */
    return (double)(nn__rng_next(rng) >> 11) * 0x1.0p-53;
}

int64_t nn__rng_below(nn_rng *rng, int64_t n)
{
    uint64_t range = (uint64_t)n;
    /* Draws at or above `limit` would favour small results: redraw. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t x;

    do {
        x = nn__rng_next(rng);
    } while (x >= limit);
    return (int64_t)(x % range);
}

void nn__rng_normal_pair(nn_rng *rng, double *a, double *b)
{
    double u, v, r2, f;

    do {
        u = 2.0 * nn__rng_unit(rng) - 1.0;
        v = 2.0 * nn__rng_unit(rng) - 1.0;
        r2 = u * u + v * v;
    } while (r2 >= 1.0 || r2 == 0.0);
    f = sqrt(-2.0 * log(r2) / r2);
    *a = u * f;
    *b = v * f;
}

void nn__rng_seed(nn_rng *rng, uint64_t seed)
{
    /* splitmix64 never yields four zero words, the one bad xoshiro state. */
    for (int i = 0; i < 4; i++) {
        rng->state[i] = splitmix64(&seed);
    }
}

nn_status nn_rng_seed(nn_rng *rng, uint64_t seed)
{
    if (rng == NULL) {
        return nn__fail(NN_EINVAL, "nn_rng_seed: rng is NULL");
    }
    nn__rng_seed(rng, seed);
    return NN_OK;
}

nn_status nn_rng_u64(nn_rng *rng, uint64_t *out)
{
    if (rng == NULL || out == NULL) {
        return nn__fail(NN_EINVAL, "nn_rng_u64: %s is NULL",
                        rng == NULL ? "rng" : "out");
    }
    *out = nn__rng_next(rng);
    return NN_OK;
}

static nn_status check_fill(const char *fn, const nn_rng *rng, int64_t n,
                            const double *out)
{
    if (rng == NULL || out == NULL) {
        return nn__fail(NN_EINVAL, "%s: %s is NULL", fn,
                        rng == NULL ? "rng" : "out");
    }
    if (n < 0) {
        return nn__fail(NN_EINVAL, "%s: n must not be negative, got %lld", fn,
                        (long long)n);
    }
    return NN_OK;
}

nn_status nn_rng_uniform(nn_rng *rng, int64_t n, double lo, double hi,
                         double *out)
{
    nn_status s = check_fill("nn_rng_uniform", rng, n, out);

    if (s != NN_OK) {
        return s;
    }
    if (!isfinite(lo) || !isfinite(hi) || hi < lo || !isfinite(hi - lo)) {
        return nn__fail(NN_EINVAL, "nn_rng_uniform: the interval [%g, %g) "
                        "must be finite with lo <= hi", lo, hi);
    }
    for (int64_t i = 0; i < n; i++) {
        double x;
        /* Rounding can land lo + (hi - lo) u on hi itself: redraw. */
        do {
            x = lo + (hi - lo) * nn__rng_unit(rng);
        } while (x >= hi && hi > lo);
        out[i] = x;
    }
    return NN_OK;
}

nn_status nn_rng_normal(nn_rng *rng, int64_t n, double mean, double stddev,
                        double *out)
{
    nn_status s = check_fill("nn_rng_normal", rng, n, out);

    if (s != NN_OK) {
        return s;
    }
    if (!isfinite(mean) || !isfinite(stddev) || stddev < 0.0) {
        return nn__fail(NN_EINVAL, "nn_rng_normal: mean (%g) must be finite "
                        "and stddev (%g) finite and not negative", mean, stddev);
    }

    /* Normals come in pairs; an odd n drops the last one. */
    for (int64_t i = 0; i < n; i += 2) {
        double a, b;
        nn__rng_normal_pair(rng, &a, &b);
        out[i] = mean + stddev * a;
        if (i + 1 < n) {
            out[i + 1] = mean + stddev * b;
        }
    }
    return NN_OK;
}

nn_status nn_rng_below(nn_rng *rng, int64_t n, int64_t *out)
{
    if (rng == NULL || out == NULL) {
        return nn__fail(NN_EINVAL, "nn_rng_below: %s is NULL",
                        rng == NULL ? "rng" : "out");
    }
    if (n < 1) {
        return nn__fail(NN_EINVAL, "nn_rng_below: n must be at least 1, got "
                        "%lld", (long long)n);
    }
    *out = nn__rng_below(rng, n);
    return NN_OK;
}
