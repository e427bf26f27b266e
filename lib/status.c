/*
 * Status names, the per-thread last error, the log sink and the
 * allocator hooks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "config.h"
#include "internal.h"

/* Long enough for any message the library formats; longer ones are cut. */
#define MESSAGE_MAX 512

static _Thread_local char last_error[MESSAGE_MAX];

static nn_log_fn log_fn;
static void *log_user;
static int log_min_level = NN_LOG_ERROR;

static void *default_alloc(void *user, size_t size)
{
    (void)user;
    return malloc(size);
}

static void default_release(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

static nn_malloc_fn alloc_fn = default_alloc;
static nn_free_fn release_fn = default_release;
static void *alloc_user;

const char *nn_status_str(int status)
{
    switch (status) {
    case NN_OK: return "NN_OK";
    case NN_EINVAL: return "NN_EINVAL";
    case NN_ESHAPE: return "NN_ESHAPE";
    case NN_ERANGE: return "NN_ERANGE";
    case NN_ENOMEM: return "NN_ENOMEM";
    case NN_ENONFINITE: return "NN_ENONFINITE";
    case NN_EDIVERGED: return "NN_EDIVERGED";
    case NN_ESTATE: return "NN_ESTATE";
    case NN_ESTOPPED: return "NN_ESTOPPED";
    case NN_EIO: return "NN_EIO";
    case NN_EFORMAT: return "NN_EFORMAT";
    case NN_ENOTSUP: return "NN_ENOTSUP";
    case NN_EINTERNAL: return "NN_EINTERNAL";
    default: return "NN_UNKNOWN";
    }
}

const char *nn_status_meaning(int status)
{
    switch (status) {
    case NN_OK: return "success";
    case NN_EINVAL: return "invalid argument";
    case NN_ESHAPE: return "array sizes disagree";
    case NN_ERANGE: return "size out of range";
    case NN_ENOMEM: return "out of memory";
    case NN_ENONFINITE: return "data holds NaN or Inf";
    case NN_EDIVERGED: return "training diverged";
    case NN_ESTATE: return "call out of order";
    case NN_ESTOPPED: return "stopped by a callback";
    case NN_EIO: return "input/output error";
    case NN_EFORMAT: return "corrupt or inconsistent data";
    case NN_ENOTSUP: return "not supported";
    case NN_EINTERNAL: return "internal error";
    default: return "unknown status";
    }
}

const char *nn_last_error(void)
{
    return last_error;
}

int64_t nn_last_error_copy(char *buf, int64_t len)
{
    size_t full = strlen(last_error);

    if (buf != NULL && len > 0) {
        size_t n = full < (size_t)(len - 1) ? full : (size_t)(len - 1);
        memcpy(buf, last_error, n);
        buf[n] = '\0';
    }
    return (int64_t)full;
}

void nn_last_error_clear(void)
{
    last_error[0] = '\0';
}

nn_status nn_last_error_set(int status, const char *message)
{
    /* Formatting the buffer into itself would be undefined; the message
     * is already in place, so it only needs to reach the sink. */
    if (message == last_error) {
        if (log_fn != NULL && NN_LOG_ERROR >= log_min_level) {
            log_fn(log_user, NN_LOG_ERROR, last_error);
        }
        return (nn_status)status;
    }
    return nn__fail((nn_status)status, "%s", message != NULL ? message : "");
}

nn_status nn__fail(nn_status status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    if (log_fn != NULL && NN_LOG_ERROR >= log_min_level) {
        log_fn(log_user, NN_LOG_ERROR, last_error);
    }
    return status;
}

void nn__log(int level, const char *fmt, ...)
{
    char message[MESSAGE_MAX];
    va_list ap;

    if (log_fn == NULL || level < log_min_level) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    log_fn(log_user, level, message);
}

void nn_log_set(nn_log_fn fn, void *user, int min_level)
{
    log_fn = fn;
    log_user = user;
    log_min_level = min_level;
}

void nn_log_stderr(void *user, int level, const char *message)
{
    static const char *const names[] = {"debug", "info", "warning", "error"};
    const char *name = level >= NN_LOG_DEBUG && level <= NN_LOG_ERROR
                           ? names[level] : "log";

    (void)user;
    fprintf(stderr, "nnblas: %s: %s\n", name, message != NULL ? message : "");
}

nn_status nn_allocator_set(nn_malloc_fn alloc, nn_free_fn release, void *user)
{
    if ((alloc == NULL) != (release == NULL)) {
        return nn__fail(NN_EINVAL, "nn_allocator_set: give both an allocation "
                        "and a release function, or NULL for both to restore "
                        "malloc and free");
    }
    alloc_fn = alloc != NULL ? alloc : default_alloc;
    release_fn = release != NULL ? release : default_release;
    alloc_user = alloc != NULL ? user : NULL;
    return NN_OK;
}

void *nn__alloc(size_t size)
{
    return size == 0 ? NULL : alloc_fn(alloc_user, size);
}

void *nn__alloc_zero(size_t size)
{
    void *p = nn__alloc(size);

    if (p != NULL) {
        memset(p, 0, size);
    }
    return p;
}

void nn__free(void *ptr)
{
    if (ptr != NULL) {
        release_fn(alloc_user, ptr);
    }
}

int nn__size_mul(int64_t a, int64_t b, size_t elem, size_t *out)
{
    size_t ab;

    if (a < 0 || b < 0) {
        return -1;
    }
    if (b != 0 && (uint64_t)a > SIZE_MAX / (uint64_t)b) {
        return -1;
    }
    ab = (size_t)a * (size_t)b;
    if (elem != 0 && ab > SIZE_MAX / elem) {
        return -1;
    }
    *out = ab * elem;
    return 0;
}

nn_status nn__check_size(const char *fn, const char *what, int64_t value)
{
    if (value < 1) {
        return nn__fail(NN_EINVAL, "%s: %s must be at least 1, got %lld", fn,
                        what, (long long)value);
    }
    if (value > NN__BLAS_INT_MAX) {
        return nn__fail(NN_ERANGE, "%s: %s is %lld, more than the BLAS "
                        "integer holds (%lld)", fn, what, (long long)value,
                        (long long)NN__BLAS_INT_MAX);
    }
    return NN_OK;
}

int nn__find_nonfinite(int64_t rows, int64_t cols, const double *a,
                       int64_t *bad_row, int64_t *bad_col)
{
    const uint64_t exponent = UINT64_C(0x7ff0000000000000);
    size_t total = (size_t)rows * (size_t)cols;
    uint64_t any = 0;
    size_t i;

    /*
     * NaN and Inf are the doubles whose exponent bits are all set. Testing
     * the bits with integer operations lets the compiler vectorise the
     * scan (a floating-point sum would be serialised), so the common case,
     * all finite, costs one streaming read.
     */
    for (i = 0; i < total; i++) {
        uint64_t bits;
        memcpy(&bits, &a[i], sizeof bits);
        any |= (uint64_t)((bits & exponent) == exponent);
    }
    if (any == 0) {
        return 0;
    }
    for (i = 0; i < total; i++) {
        if (!isfinite(a[i])) {
            *bad_row = (int64_t)(i / (size_t)cols);
            *bad_col = (int64_t)(i % (size_t)cols);
            return 1;
        }
    }
    return 0;
}

const char *nn_version(void)
{
    return NN_VERSION_STRING;
}
