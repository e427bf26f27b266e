/*
 * Status codes, error messages, logging, memory allocation and version.
 *
 * Every fallible call returns an nn_status. NN_OK is 0 and failures are
 * negative. After a failure, nn_last_error() says what was wrong in words
 * the caller can act on, naming the call and the values involved. The
 * library never prints, aborts or exits on the caller's behalf: messages
 * reach the host only through a log sink the host installs.
 */
#ifndef NNBLAS_STATUS_H
#define NNBLAS_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

NN_BEGIN_DECLS

/* Result codes. The values are stable across releases. */
typedef enum nn_status {
    NN_OK = 0,            /* success */
    NN_EINVAL = -1,       /* NULL pointer, value out of range, unknown enum */
    NN_ESHAPE = -2,       /* array sizes disagree with each other */
    NN_ERANGE = -3,       /* a size is larger than BLAS or memory can address */
    NN_ENOMEM = -4,       /* an allocation failed; nothing was changed */
    NN_ENONFINITE = -5,   /* input data holds NaN or Inf */
    NN_EDIVERGED = -6,    /* the training loss became NaN or Inf */
    NN_ESTATE = -7,       /* call out of order, e.g. fit before compile */
    NN_ESTOPPED = -8,     /* a caller's callback asked to stop */
    NN_EIO = -9,          /* reading or writing a file failed */
    NN_EFORMAT = -10,     /* a model file or buffer is corrupt or inconsistent */
    NN_ENOTSUP = -11,     /* valid but not supported, e.g. a newer file version */
    NN_EINTERNAL = -12,   /* LAPACK reported a failure, or a library bug */
} nn_status;

/*
 * The name of a status code ("NN_ESHAPE"), or "NN_UNKNOWN" for a value
 * that is not a status. The string is static. Thread-safe.
 */
NN_API const char *nn_status_str(int status);

/*
 * A one-line meaning of a status code ("array sizes disagree"). Static.
 */
NN_API const char *nn_status_meaning(int status);

/*
 * The message of the most recent failure on the calling thread, or "" if
 * no call on this thread has failed yet. Like errno, successful calls leave
 * it alone: read it right after a call returned a failure. The string is
 * owned by the library and stays valid until the next failing call on the
 * same thread.
 */
NN_API const char *nn_last_error(void);

/*
 * Copies the last error message of the calling thread into buf (at most
 * len bytes, always NUL-terminated when len > 0). Returns the length of the
 * full message, which may exceed len - 1 if it was cut. Meant for bindings
 * that cannot hold a pointer into library memory (Fortran).
 */
NN_API int64_t nn_last_error_copy(char *buf, int64_t len);

/* Clears the calling thread's last error message. */
NN_API void nn_last_error_clear(void);

/*
 * Records message as the calling thread's last error, passes it to the log
 * sink as a failure would, and returns status. Meant for bindings that
 * check arguments on their own side (the Fortran module checks array
 * shapes that C cannot see), so that one per-thread message serves both
 * languages. A message longer than the library's buffer (511 bytes) is
 * cut; NULL records "". Thread-safe like nn_last_error.
 */
NN_API nn_status nn_last_error_set(int status, const char *message);

/* Severity of a log message. */
typedef enum nn_log_level {
    NN_LOG_DEBUG = 0,
    NN_LOG_INFO = 1,
    NN_LOG_WARN = 2,
    NN_LOG_ERROR = 3,
} nn_log_level;

/* A log sink: receives the level and a NUL-terminated message. */
typedef void (*nn_log_fn)(void *user, int level, const char *message);

/*
 * Installs a log sink that receives every message at min_level or above,
 * or removes it when fn is NULL (the default: messages are dropped).
 * Every failure is logged at NN_LOG_ERROR with the same text as
 * nn_last_error. The sink may be called from any thread that calls the
 * library. NOTE: install the sink before other threads use the library;
 * the call itself is not synchronised with logging in progress.
 */
NN_API void nn_log_set(nn_log_fn fn, void *user, int min_level);

/*
 * A ready-made sink that writes "nnblas: <level>: <message>" lines to
 * stderr. It is the only function in the library that prints, and only
 * when the host installs it: nn_log_set(nn_log_stderr, NULL, NN_LOG_WARN).
 */
NN_API void nn_log_stderr(void *user, int level, const char *message);

/* Memory allocator hooks: size in bytes; returns NULL on failure. */
typedef void *(*nn_malloc_fn)(void *user, size_t size);
typedef void (*nn_free_fn)(void *user, void *ptr);

/*
 * Routes every allocation the library makes through alloc and release
 * (the BLAS keeps its own buffers and is not affected). Pass NULL for both
 * to restore malloc/free. Returns NN_EINVAL if exactly one is NULL.
 * NOTE: call it only while no libnnblas object exists: an object must be
 * freed by the allocator that made it. Not thread-safe.
 */
NN_API nn_status nn_allocator_set(nn_malloc_fn alloc,
                                  nn_free_fn   release,
                                  void        *user);

/* The library version, "MAJOR.MINOR.PATCH". */
NN_API const char *nn_version(void);

NN_END_DECLS

#endif
