/*
 * Saving and loading models in format version 1 (docs/format.md has it
 * field by field).
 *
 * Every integer and double is encoded byte by byte, least significant
 * byte first, so the bytes never depend on the host's byte order. The
 * loader checks the header, the size and the checksum, then every field
 * and every count against the bytes that remain, all before it allocates
 * anything; only then does it build the model through the calls a
 * program would make, so a loaded model is an ordinary one.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "model_internal.h"

_Static_assert(sizeof(double) == sizeof(uint64_t),
               "model files hold doubles as 64-bit IEEE 754 patterns");

/*
 * LIMITATION: format version 1 is the only one. nn_model_load returns
 * NN_ENOTSUP for a file of a newer version, naming both versions,
 * instead of guessing at fields it does not know.
 */
#define FORMAT_VERSION 1u

/* Written as 04 03 02 01: a reader that sees 01 02 03 04 has met a file
 * written big-endian, which no libnnblas does. */
#define BYTE_ORDER_MARK 0x01020304u

/* A high first byte catches 7-bit transfers; CR LF and ^Z catch text-mode
 * conversions. */
static const unsigned char magic[8] = {0x89, 'N', 'N', 'B', '\r', '\n', 0x1a, '\n'};

enum {
    HEADER_BYTES = 24,      /* magic, version, byte-order mark, file size */
    CHECKSUM_BYTES = 4,
    WORD = 8,               /* every other field is 8 bytes */
    LAYER_WORDS = 10,
    OPTIM_WORDS = 16,
};

/* Adam's step count k enters pow(beta, k) and must keep counting. */
#define MAX_ITERATIONS (INT64_C(1) << 53)

/* Files larger than this cannot be models: it keeps every size sum below
 * in range. */
#define MAX_FILE_BYTES (INT64_MAX / 16)

/* The optimizer settings in file order, which is the order of
 * nn_optim_opts; is_double tells how to read each word. */
static const struct optim_field {
    const char *name;
    size_t offset;
    int is_double;
} optim_fields[OPTIM_WORDS] = {
    {"kind", offsetof(nn_optim_opts, kind), 0},
    {"lr", offsetof(nn_optim_opts, lr), 1},
    {"momentum", offsetof(nn_optim_opts, momentum), 1},
    {"nesterov", offsetof(nn_optim_opts, nesterov), 0},
    {"beta1", offsetof(nn_optim_opts, beta1), 1},
    {"beta2", offsetof(nn_optim_opts, beta2), 1},
    {"epsilon", offsetof(nn_optim_opts, epsilon), 1},
    {"weight_decay", offsetof(nn_optim_opts, weight_decay), 1},
    {"rho", offsetof(nn_optim_opts, rho), 1},
    {"initial_accumulator", offsetof(nn_optim_opts, initial_accumulator), 1},
    {"clip_value", offsetof(nn_optim_opts, clip_value), 1},
    {"clip_norm", offsetof(nn_optim_opts, clip_norm), 1},
    {"schedule", offsetof(nn_optim_opts, schedule), 0},
    {"decay_steps", offsetof(nn_optim_opts, decay_steps), 0},
    {"decay_rate", offsetof(nn_optim_opts, decay_rate), 1},
    {"cosine_floor", offsetof(nn_optim_opts, cosine_floor), 1},
};

/* ----------------------------------------------------------------------
 * Little-endian encoding
 */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

/* Two's complement without relying on how the compiler converts an
 * unsigned value that does not fit. */
static int64_t to_i64(uint64_t v)
{
    return v <= (uint64_t)INT64_MAX ? (int64_t)v : -(int64_t)~v - 1;
}

static uint64_t double_bits(double x)
{
    uint64_t bits;

    memcpy(&bits, &x, sizeof bits);
    return bits;
}

static double bits_double(uint64_t bits)
{
    double x;

    memcpy(&x, &bits, sizeof x);
    return x;
}

/* ----------------------------------------------------------------------
 * Writing
 */

/* The optimizer's state arrays in file order (m, then v) and their count. */
static int state_arrays(const struct nn_optim *opt, double *arrays[2])
{
    int n = 0;

    if (opt->m != NULL) {
        arrays[n++] = opt->m;
    }
    if (opt->v != NULL) {
        arrays[n++] = opt->v;
    }
    assert(n == nn__optim_state_count(&opt->opts));
    return n;
}

/* The size of a compiled model's file. Every part is in memory already,
 * so the sum cannot overflow. */
static int64_t file_bytes(const struct nn_model *m)
{
    double *arrays[2];
    int64_t words = 6 + 3 + m->n_metrics + 1 + LAYER_WORDS * m->n_layers
                    + OPTIM_WORDS + 3
                    + m->n_params * (1 + state_arrays(m->optim, arrays));

    return HEADER_BYTES + WORD * words + CHECKSUM_BYTES;
}

static unsigned char *put_word(unsigned char *p, uint64_t v)
{
    put_u64(p, v);
    return p + WORD;
}

static unsigned char *put_layer(unsigned char *p, const struct layer *l)
{
    const nn_dense_opts *o = &l->opts;

    p = put_word(p, (uint64_t)l->kind);
    p = put_word(p, (uint64_t)l->units);
    if (l->kind == NN_LAYER_DROPOUT) {
        memset(p, 0, 7 * WORD);
        return put_word(p + 7 * WORD, double_bits(l->rate));
    }
    p = put_word(p, (uint64_t)o->activation);
    p = put_word(p, (uint64_t)o->use_bias);
    p = put_word(p, double_bits(o->slope));
    p = put_word(p, (uint64_t)o->kernel_init);
    p = put_word(p, double_bits(o->kernel_param));
    p = put_word(p, (uint64_t)o->bias_init);
    p = put_word(p, double_bits(o->bias_param));
    return put_word(p, 0);
}

static unsigned char *put_optim(unsigned char *p, const struct nn_optim *opt)
{
    double *arrays[2];
    int states = state_arrays(opt, arrays);

    for (int i = 0; i < OPTIM_WORDS; i++) {
        uint64_t word;
        memcpy(&word, (const char *)&opt->opts + optim_fields[i].offset,
               sizeof word);
        p = put_word(p, word);
    }
    p = put_word(p, (uint64_t)opt->iterations);
    return put_word(p, (uint64_t)states);
}

/* Writes the file of a compiled model into buf (file_bytes(m) long). */
static void encode(const struct nn_model *m, unsigned char *buf, int64_t size)
{
    unsigned char *p = buf;
    double *arrays[2];
    int states = state_arrays(m->optim, arrays);

    memcpy(p, magic, sizeof magic);
    put_u32(p + 8, FORMAT_VERSION);
    put_u32(p + 12, BYTE_ORDER_MARK);
    p = put_word(p + 16, (uint64_t)size);

    p = put_word(p, (uint64_t)m->inputs);
    p = put_word(p, m->seed);
    for (int i = 0; i < 4; i++) {
        p = put_word(p, m->rng.state[i]);
    }
    p = put_word(p, 1);
    p = put_word(p, (uint64_t)m->loss);
    p = put_word(p, (uint64_t)m->n_metrics);
    for (int64_t i = 0; i < m->n_metrics; i++) {
        p = put_word(p, (uint64_t)m->metrics[i]);
    }

    p = put_word(p, (uint64_t)m->n_layers);
    for (int64_t i = 0; i < m->n_layers; i++) {
        p = put_layer(p, &m->layers[i]);
    }
    p = put_optim(p, m->optim);
    p = put_word(p, (uint64_t)m->n_params);
    for (int64_t i = 0; i < m->n_params; i++) {
        p = put_word(p, double_bits(m->params[i]));
    }
    for (int k = 0; k < states; k++) {
        for (int64_t i = 0; i < m->n_params; i++) {
            p = put_word(p, double_bits(arrays[k][i]));
        }
    }

    assert(p - buf == size - CHECKSUM_BYTES);
    put_u32(p, (uint32_t)crc32_z(0, buf, (z_size_t)(size - CHECKSUM_BYTES)));
}

/* Checks what save and save_mem share. */
static nn_status check_saveable(const char *fn, const struct nn_model *m)
{
    if (m == NULL) {
        return nn__fail(NN_EINVAL, "%s: model is NULL", fn);
    }
    if (!m->compiled) {
        return nn__fail(NN_ESTATE, "%s: the model is not compiled; only "
                        "compiled models are saved (call nn_model_compile "
                        "first)", fn);
    }
    return NN_OK;
}

nn_status nn_model_save_mem(const nn_model *m, void *buf, int64_t cap,
                            int64_t *len)
{
    const char *fn = "nn_model_save_mem";
    int64_t size;
    nn_status s;

    if ((s = check_saveable(fn, m)) != NN_OK) {
        return s;
    }
    if (len == NULL || (buf != NULL && cap < 0)) {
        return nn__fail(NN_EINVAL, "%s: %s", fn, len == NULL ? "len is NULL"
                        : "cap is negative");
    }
    size = file_bytes(m);
    *len = size;
    if (buf == NULL) {
        return NN_OK;
    }
    if (cap < size) {
        return nn__fail(NN_ERANGE, "%s: the model needs %lld bytes, buf has "
                        "%lld", fn, (long long)size, (long long)cap);
    }
    encode(m, buf, size);
    return NN_OK;
}

/* ----------------------------------------------------------------------
 * Saving to a file
 */

/* errno's text, without strerror's shared buffer. */
static const char *error_text(int err, char *buf, size_t len)
{
    if (strerror_r(err, buf, len) != 0) {
        snprintf(buf, len, "error %d", err);
    }
    return buf;
}

/*
 * Creates path.tmp.<pid>.<n> exclusively, so that two savers never share
 * a temporary file. NOTE: not mkstemp, which makes the file 0600 whatever
 * the umask: this file becomes the model, and should get the mode a
 * plain fopen would give it.
 */
static int open_temp(const char *path, char *tmp, size_t cap)
{
    static atomic_uint_fast64_t counter;

    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned long long n = atomic_fetch_add(&counter, 1);
        int fd;

        snprintf(tmp, cap, "%s.tmp.%ld.%llu", path, (long)getpid(), n);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) {
            return fd;
        }
    }
    errno = EEXIST;
    return -1;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        size_t chunk = n < ((size_t)1 << 30) ? n : (size_t)1 << 30;
        ssize_t done = write(fd, p, chunk);
        if (done < 0 && errno == EINTR) {
            continue;
        }
        if (done <= 0) {
            errno = done == 0 ? EIO : errno;
            return -1;
        }
        p += done;
        n -= (size_t)done;
    }
    return 0;
}

/* The folder that holds path: dir gets room for strlen(path) + 2. */
static void folder_of(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }
}

/* Flushes a folder's entries, so that a rename in it survives a crash. */
static int sync_folder(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_CLOEXEC), err;

    if (fd < 0) {
        return -1;
    }
    /* Some file systems cannot sync a folder and say EINVAL; there is
     * nothing more to do on those. */
    if (fsync(fd) != 0 && errno != EINVAL) {
        err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return close(fd);
}

/*
 * Writes data to a new temporary file next to path, flushes it to disk
 * and renames it over path, so that path holds either the old file or
 * the whole new one. On failure before the rename the temporary file is
 * removed.
 */
static nn_status write_atomic(const char *path, const unsigned char *data,
                              size_t size, char *tmp, size_t tmp_cap,
                              char *dir)
{
    const char *fn = "nn_model_save", *step = NULL;
    char text[128];
    int fd = open_temp(path, tmp, tmp_cap), err = 0;

    if (fd < 0) {
        return nn__fail(NN_EIO, "%s: creating the temporary file %s failed: "
                        "%s; %s is unchanged", fn, tmp,
                        error_text(errno, text, sizeof text), path);
    }

    if (write_all(fd, data, size) != 0) {
        step = "writing";
    } else if (fsync(fd) != 0) {
        step = "flushing to disk";
    }
    err = errno;
    if (close(fd) != 0 && step == NULL) {
        step = "closing";
        err = errno;
    }
    if (step == NULL && rename(tmp, path) != 0) {
        step = "renaming over the target";
        err = errno;
    }
    if (step != NULL) {
        unlink(tmp);
        return nn__fail(NN_EIO, "%s: %s the temporary file %s failed: %s; %s "
                        "is unchanged", fn, step, tmp,
                        error_text(err, text, sizeof text), path);
    }

    folder_of(path, dir);
    if (sync_folder(dir) != 0) {
        return nn__fail(NN_EIO, "%s: %s was written, but flushing its folder "
                        "%s to disk failed: %s; after a crash the old file "
                        "may reappear", fn, path, dir,
                        error_text(errno, text, sizeof text));
    }
    return NN_OK;
}

nn_status nn_model_save(const nn_model *m, const char *path)
{
    const char *fn = "nn_model_save";
    unsigned char *buf;
    size_t len, tmp_cap;
    int64_t size;
    nn_status s;

    if ((s = check_saveable(fn, m)) != NN_OK) {
        return s;
    }
    if (path == NULL || path[0] == '\0' || path[strlen(path) - 1] == '/') {
        return nn__fail(NN_EINVAL, "%s: path %s", fn, path == NULL ? "is NULL"
                        : path[0] == '\0' ? "is empty" : "names a folder");
    }

    /* One block: the file's bytes, the temporary name, the folder name. */
    size = file_bytes(m);
    len = strlen(path);
    tmp_cap = len + 64;
    buf = nn__alloc((size_t)size + tmp_cap + len + 2);
    if (buf == NULL) {
        return nn__fail(NN_ENOMEM, "%s: cannot allocate %lld bytes for the "
                        "file", fn, (long long)size);
    }
    encode(m, buf, size);
    s = write_atomic(path, buf, (size_t)size, (char *)buf + size, tmp_cap,
                     (char *)buf + size + tmp_cap);
    nn__free(buf);
    return s;
}

/* ----------------------------------------------------------------------
 * Reading
 */

struct reader {
    const char *who;            /* "nn_model_load: <path>" or "..._mem" */
    const unsigned char *buf;
    int64_t end;                /* fields stop here: the checksum follows */
    int64_t pos;
    char part[32];              /* "layer 3 ", "optimizer ": for messages */
};

/* Takes `bytes` bytes for a field, or fails saying where the data ends. */
static nn_status take(struct reader *r, int64_t bytes, const char *field,
                      const unsigned char **at)
{
    if (r->end - r->pos < bytes) {
        return nn__fail(NN_EFORMAT, "%s: truncated at byte %lld: expected "
                        "%lld more bytes for %s%s (at byte %lld)", r->who,
                        (long long)r->end,
                        (long long)(bytes - (r->end - r->pos)), r->part,
                        field, (long long)r->pos);
    }
    *at = r->buf + r->pos;
    r->pos += bytes;
    return NN_OK;
}

static nn_status read_u64(struct reader *r, const char *field, uint64_t *out)
{
    const unsigned char *at = NULL;
    nn_status s = take(r, WORD, field, &at);

    if (s == NN_OK) {
        *out = get_u64(at);
    }
    return s;
}

static nn_status read_f64(struct reader *r, const char *field, double *out)
{
    uint64_t bits = 0;
    nn_status s = read_u64(r, field, &bits);

    *out = bits_double(bits);
    return s;
}

/* Reads an integer field and fails unless lo <= value <= hi. */
static nn_status read_int(struct reader *r, const char *field, int64_t lo,
                          int64_t hi, int64_t *out)
{
    int64_t at = r->pos;
    uint64_t word = 0;
    nn_status s = read_u64(r, field, &word);

    *out = to_i64(word);
    if (s == NN_OK && (*out < lo || *out > hi)) {
        return nn__fail(NN_EFORMAT, "%s: %s%s at byte %lld is %lld, outside "
                        "[%lld, %lld]", r->who, r->part, field, (long long)at,
                        (long long)*out, (long long)lo, (long long)hi);
    }
    return s;
}

/*
 * Turns the failure just recorded by a check the library shares (dense
 * options, optimizer options) into NN_EFORMAT with the same message.
 * NOTE: a log sink sees both messages.
 */
static nn_status as_format_error(void)
{
    char message[512];

    snprintf(message, sizeof message, "%s", nn_last_error());
    return nn__fail(NN_EFORMAT, "%s", message);
}

/* A layer record as read: kind, dense settings, dropout rate. */
struct layer_rec {
    int64_t kind;
    nn_dense_opts opts;
    double rate;
    int64_t params;             /* parameter count */
};

/* Checks the fields one kind of layer does not use: they must be zero. */
static nn_status check_unused(struct reader *r, int64_t at,
                              const struct layer_rec *l)
{
    const nn_dense_opts *o = &l->opts;
    int dense = l->kind == NN_LAYER_DENSE;
    uint64_t unused = dense ? double_bits(l->rate)
                            : (uint64_t)(o->activation | o->use_bias
                                         | o->kernel_init | o->bias_init)
                                  | double_bits(o->slope)
                                  | double_bits(o->kernel_param)
                                  | double_bits(o->bias_param);

    if (unused != 0) {
        return nn__fail(NN_EFORMAT, "%s: %s(at byte %lld) is a %s layer, but "
                        "its %s not zero", r->who, r->part, (long long)at,
                        dense ? "dense" : "dropout",
                        dense ? "rate is" : "dense settings are");
    }
    return NN_OK;
}

/* Reads and checks layer `index`, whose input is `width` wide. */
static nn_status read_layer(struct reader *r, int64_t index, int64_t width,
                            struct layer_rec *l)
{
    nn_dense_opts *o = &l->opts;
    int64_t at = r->pos;
    char fn[160];
    nn_status s;

    snprintf(r->part, sizeof r->part, "layer %lld ", (long long)index);
    if ((s = read_int(r, "kind", NN_LAYER_DENSE, NN_LAYER_DROPOUT, &l->kind)) != NN_OK
        || (s = read_int(r, "units", 1, NN__BLAS_INT_MAX, &o->units)) != NN_OK
        || (s = read_int(r, "activation", INT64_MIN, INT64_MAX, &o->activation)) != NN_OK
        || (s = read_int(r, "use_bias", INT64_MIN, INT64_MAX, &o->use_bias)) != NN_OK
        || (s = read_f64(r, "slope", &o->slope)) != NN_OK
        || (s = read_int(r, "kernel_init", INT64_MIN, INT64_MAX, &o->kernel_init)) != NN_OK
        || (s = read_f64(r, "kernel_param", &o->kernel_param)) != NN_OK
        || (s = read_int(r, "bias_init", INT64_MIN, INT64_MAX, &o->bias_init)) != NN_OK
        || (s = read_f64(r, "bias_param", &o->bias_param)) != NN_OK
        || (s = read_f64(r, "rate", &l->rate)) != NN_OK
        || (s = check_unused(r, at, l)) != NN_OK) {
        return s;
    }

    if (l->kind == NN_LAYER_DROPOUT) {
        l->params = 0;
        if (o->units != width) {
            return nn__fail(NN_EFORMAT, "%s: %s(at byte %lld) is dropout with "
                            "%lld units, but its input is %lld wide", r->who,
                            r->part, (long long)at, (long long)o->units,
                            (long long)width);
        }
        if (!(l->rate >= 0.0 && l->rate < 1.0)) {
            return nn__fail(NN_EFORMAT, "%s: %s(at byte %lld) has dropout "
                            "rate %g, outside [0, 1)", r->who, r->part,
                            (long long)at, l->rate);
        }
        return NN_OK;
    }
    snprintf(fn, sizeof fn, "%s: %s(at byte %lld)", r->who, r->part,
             (long long)at);
    if (nn__dense_check_opts(fn, width, o) != NN_OK) {
        return as_format_error();
    }
    /* Both factors are below 2^31, so the product fits. */
    l->params = (width + o->use_bias) * o->units;
    return NN_OK;
}

/* Everything the file says, checked, before anything is allocated. */
struct parsed {
    int64_t inputs;
    uint64_t seed;
    nn_rng rng;
    int64_t loss;
    int64_t n_metrics;
    int metrics[NN_MAX_METRICS];
    int64_t n_layers;
    int64_t layers_at;          /* byte of the first layer record */
    nn_optim_opts optim;
    int64_t iterations;
    int64_t states;             /* optimizer state arrays */
    int64_t n_params;
    int64_t params_at;          /* byte of the first parameter */
};

/* Checks the 16 bytes every version starts with: magic, version and
 * byte-order mark. */
static nn_status check_start(struct reader *r, int64_t len)
{
    const unsigned char *p = r->buf;
    size_t shown = len < 8 ? (size_t)len : 8;
    uint32_t version, mark;

    if (memcmp(p, magic, shown) != 0) {
        return nn__fail(NN_EFORMAT, "%s: not a libnnblas model: the first "
                        "bytes are not the magic 89 4e 4e 42 0d 0a 1a 0a",
                        r->who);
    }
    r->end = len;
    if (len < 16) {
        return take(r, 16, "the magic, version and byte-order mark", &p);
    }

    /* These bytes mean the same in every version, so the byte order is
     * known before the version is read. */
    version = get_u32(r->buf + 8);
    mark = get_u32(r->buf + 12);
    if (mark != BYTE_ORDER_MARK) {
        return nn__fail(NN_EFORMAT, "%s: the byte-order mark at byte 12 reads "
                        "0x%08lx, not 0x%08lx%s", r->who, (unsigned long)mark,
                        (unsigned long)BYTE_ORDER_MARK,
                        mark == 0x04030201u ? ": the file was written "
                        "big-endian, which no libnnblas does" : "");
    }
    if (version != FORMAT_VERSION) {
        return nn__fail(version > FORMAT_VERSION ? NN_ENOTSUP : NN_EFORMAT,
                        "%s: the file has format version %lu, and this "
                        "libnnblas reads version %u only%s", r->who,
                        (unsigned long)version, FORMAT_VERSION,
                        version > FORMAT_VERSION
                            ? " (a newer libnnblas wrote it)" : "");
    }
    return NN_OK;
}

/* Checks the file size field against the real size, then the checksum;
 * leaves r->end before the checksum. */
static nn_status check_size(struct reader *r, int64_t len)
{
    uint32_t stored, computed;
    uint64_t size;

    r->pos = 16;
    if (read_u64(r, "the file size", &size) != NN_OK) {
        return NN_EFORMAT;
    }
    if (size != (uint64_t)len) {
        return nn__fail(NN_EFORMAT, "%s: the header gives the file size as "
                        "%llu bytes, but there are %lld: %s", r->who,
                        (unsigned long long)size, (long long)len,
                        size > (uint64_t)len ? "the file is truncated"
                                             : "trailing data follows");
    }
    if (len < HEADER_BYTES + CHECKSUM_BYTES) {
        return nn__fail(NN_EFORMAT, "%s: truncated at byte %lld: expected "
                        "%lld more bytes for the checksum", r->who,
                        (long long)len,
                        (long long)(HEADER_BYTES + CHECKSUM_BYTES - len));
    }

    r->end = len - CHECKSUM_BYTES;
    stored = get_u32(r->buf + r->end);
    computed = (uint32_t)crc32_z(0, r->buf, (z_size_t)r->end);
    if (stored != computed) {
#ifndef NN_FUZZING
        return nn__fail(NN_EFORMAT, "%s: checksum mismatch: stored 0x%08lx, "
                        "computed 0x%08lx: the file is corrupt", r->who,
                        (unsigned long)stored, (unsigned long)computed);
#else
        /* The fuzz target (tests/fuzz/, the only build with NN_FUZZING)
         * goes on past a wrong checksum, so that mutated files reach the
         * field checks behind it. */
#endif
    }
    return NN_OK;
}

/* Inputs, seed, generator, compiled flag, loss and metrics. */
static nn_status read_model(struct reader *r, struct parsed *p)
{
    int64_t compiled, value;
    char name[32];
    nn_status s;

    if ((s = read_int(r, "inputs", 1, NN__BLAS_INT_MAX, &p->inputs)) != NN_OK
        || (s = read_u64(r, "seed", &p->seed)) != NN_OK) {
        return s;
    }
    for (int i = 0; i < 4; i++) {
        if ((s = read_u64(r, "generator state", &p->rng.state[i])) != NN_OK) {
            return s;
        }
    }
    if ((p->rng.state[0] | p->rng.state[1] | p->rng.state[2]
         | p->rng.state[3]) == 0) {
        return nn__fail(NN_EFORMAT, "%s: the generator state at byte 40 is "
                        "all zero, which the generator never reaches",
                        r->who);
    }

    if ((s = read_int(r, "compiled flag", 0, 1, &compiled)) != NN_OK) {
        return s;
    }
    if (compiled != 1) {
        return nn__fail(NN_EFORMAT, "%s: the compiled flag at byte %lld is "
                        "0, but version 1 files hold compiled models only",
                        r->who, (long long)r->pos - WORD);
    }
    if ((s = read_int(r, "loss", NN_LOSS_MSE, NN_LOSS_CCE_LOGITS, &p->loss)) != NN_OK
        || (s = read_int(r, "metric count", 0, NN_MAX_METRICS,
                         &p->n_metrics)) != NN_OK) {
        return s;
    }
    for (int64_t i = 0; i < p->n_metrics; i++) {
        snprintf(name, sizeof name, "metric %lld", (long long)i);
        if ((s = read_int(r, name, NN_METRIC_BINARY_ACCURACY, NN_METRIC_MAE,
                          &value)) != NN_OK) {
            return s;
        }
        p->metrics[i] = (int)value;
    }
    return NN_OK;
}

/* The layer records: counts and widths, and the parameters they add up
 * to, bounded by the bytes that remain. */
static nn_status read_layers(struct reader *r, struct parsed *p)
{
    int64_t width = p->inputs, total = 0, budget, at;
    int any_dense = 0;
    struct layer_rec l;
    nn_status s;

    if ((s = read_int(r, "layer count", 1, NN_MAX_LAYERS,
                      &p->n_layers)) != NN_OK) {
        return s;
    }
    if (p->n_layers * LAYER_WORDS * WORD > r->end - r->pos) {
        return nn__fail(NN_EFORMAT, "%s: %lld layers need %lld bytes from "
                        "byte %lld, but the data ends at byte %lld", r->who,
                        (long long)p->n_layers,
                        (long long)(p->n_layers * LAYER_WORDS * WORD),
                        (long long)r->pos, (long long)r->end);
    }
    p->layers_at = r->pos;

    /* Words left for parameters once the layers and the optimizer's
     * fixed part are read; negative when the file is too short. */
    budget = (r->end - r->pos - p->n_layers * LAYER_WORDS * WORD) / WORD
             - (OPTIM_WORDS + 3);
    for (int64_t i = 0; i < p->n_layers; i++) {
        at = r->pos;
        if ((s = read_layer(r, i, width, &l)) != NN_OK) {
            return s;
        }
        if (l.params > 0 && l.params > budget - total) {
            return nn__fail(NN_EFORMAT, "%s: layer %lld (at byte %lld) holds "
                            "%lld parameters, more than the rest of the file "
                            "can store", r->who, (long long)i, (long long)at,
                            (long long)l.params);
        }
        total += l.params;
        width = l.opts.units;
        any_dense |= l.kind == NN_LAYER_DENSE;
    }
    r->part[0] = '\0';
    if (!any_dense) {
        return nn__fail(NN_EFORMAT, "%s: the model has no dense layer, so it "
                        "cannot have been compiled", r->who);
    }
    p->n_params = total;
    return NN_OK;
}

/* The optimizer's settings, step count and state count. */
static nn_status read_optim(struct reader *r, struct parsed *p)
{
    int64_t at = r->pos;
    char message[512];
    nn_status s;

    snprintf(r->part, sizeof r->part, "optimizer ");
    for (int i = 0; i < OPTIM_WORDS; i++) {
        const struct optim_field *f = &optim_fields[i];
        char *dst = (char *)&p->optim + f->offset;
        int64_t word;
        if ((s = read_int(r, f->name, INT64_MIN, INT64_MAX, &word)) != NN_OK) {
            return s;
        }
        if (f->is_double) {
            double x = bits_double((uint64_t)word);
            memcpy(dst, &x, sizeof x);
        } else {
            memcpy(dst, &word, sizeof word);
        }
    }
    if (nn_optim_opts_check(&p->optim) != NN_OK) {
        snprintf(message, sizeof message, "%s", nn_last_error());
        return nn__fail(NN_EFORMAT, "%s: the optimizer settings at byte %lld "
                        "are invalid: %s", r->who, (long long)at, message);
    }

    if ((s = read_int(r, "step count", 0, MAX_ITERATIONS,
                      &p->iterations)) != NN_OK
        || (s = read_int(r, "state count", 0, 2, &p->states)) != NN_OK) {
        return s;
    }
    if (p->states != nn__optim_state_count(&p->optim)) {
        return nn__fail(NN_EFORMAT, "%s: the optimizer state count at byte "
                        "%lld is %lld, but %s with these settings keeps %d",
                        r->who, (long long)r->pos - WORD, (long long)p->states,
                        nn_optim_name((int)p->optim.kind),
                        nn__optim_state_count(&p->optim));
    }
    r->part[0] = '\0';
    return NN_OK;
}

/* The parameter count, the exact size of what follows, and the
 * accumulators that must not be negative. */
static nn_status read_arrays(struct reader *r, struct parsed *p)
{
    int64_t count, need, v_at;
    nn_status s;

    if ((s = read_int(r, "parameter count", 1, INT64_MAX, &count)) != NN_OK) {
        return s;
    }
    if (count != p->n_params) {
        return nn__fail(NN_EFORMAT, "%s: the parameter count at byte %lld is "
                        "%lld, but the layers hold %lld", r->who,
                        (long long)r->pos - WORD, (long long)count,
                        (long long)p->n_params);
    }
    /* n_params is at most a sixteenth of the file, so this cannot wrap. */
    need = p->n_params * WORD * (1 + p->states);
    if (need != r->end - r->pos) {
        return nn__fail(NN_EFORMAT, "%s: %lld parameters and %lld state "
                        "arrays need %lld bytes from byte %lld, but %lld "
                        "remain before the checksum", r->who,
                        (long long)p->n_params, (long long)p->states,
                        (long long)need, (long long)r->pos,
                        (long long)(r->end - r->pos));
    }
    p->params_at = r->pos;

    /* Adam's v, RMSprop's v and Adagrad's a are sums of squares; SGD
     * keeps no such array. NaN is let through: a model that diverged
     * saves and loads as it was. */
    if (p->optim.kind == NN_OPTIM_SGD || p->states == 0) {
        return NN_OK;
    }
    v_at = r->end - p->n_params * WORD;
    for (int64_t i = 0; i < p->n_params; i++) {
        double v = bits_double(get_u64(r->buf + v_at + i * WORD));
        if (v < 0.0) {
            return nn__fail(NN_EFORMAT, "%s: optimizer accumulator %lld (at "
                            "byte %lld) is %g, but it is a sum of squares",
                            r->who, (long long)i, (long long)(v_at + i * WORD),
                            v);
        }
    }
    return NN_OK;
}

/* Reads and checks the whole file into *p without allocating. */
static nn_status parse(struct reader *r, int64_t len, struct parsed *p)
{
    nn_status s;

    memset(p, 0, sizeof *p);
    if ((s = check_start(r, len)) != NN_OK || (s = check_size(r, len)) != NN_OK) {
        return s;
    }
    r->pos = HEADER_BYTES;
    if ((s = read_model(r, p)) != NN_OK || (s = read_layers(r, p)) != NN_OK
        || (s = read_optim(r, p)) != NN_OK) {
        return s;
    }
    return read_arrays(r, p);
}

/* Keeps NN_ENOMEM; anything else from a construction step means the
 * checks above missed something, and is reported as a format error. */
static nn_status build_failed(nn_model *m, nn_status s)
{
    nn_model_free(m);
    return s == NN_ENOMEM ? s : as_format_error();
}

/*
 * Builds the model that the checked file describes: the layers through
 * the public calls, then the steps of nn_model_compile with the weights
 * read rather than drawn, then the generator and the optimizer's state.
 */
static nn_status build(struct reader *r, const struct parsed *p,
                       nn_model **out)
{
    struct nn_model *m;
    struct layer_rec l;
    double *arrays[2];
    int64_t width = p->inputs, n_params = p->n_params;
    const unsigned char *at;
    nn_status s;

    if ((s = nn_model_new(&m, p->inputs)) != NN_OK
        || (s = nn_model_set_seed(m, p->seed)) != NN_OK) {
        return build_failed(m, s);
    }
    r->pos = p->layers_at;
    for (int64_t i = 0; i < p->n_layers; i++) {
        if ((s = read_layer(r, i, width, &l)) != NN_OK
            || (s = l.kind == NN_LAYER_DENSE
                    ? nn_model_add_dense_opts(m, &l.opts)
                    : nn_model_add_dropout(m, l.rate)) != NN_OK) {
            return build_failed(m, s);
        }
        width = l.opts.units;
    }
    assert(m->n_params == n_params);
    if ((s = nn_optim_new(&m->optim, &p->optim, n_params)) != NN_OK
        || (s = nn__model_alloc_params(m, 0)) != NN_OK) {
        return build_failed(m, s);
    }
    m->loss = (int)p->loss;
    m->fused = nn__model_fused(m, m->loss);
    m->n_metrics = p->n_metrics;
    memcpy(m->metrics, p->metrics, sizeof m->metrics);
    m->compiled = 1;

    m->rng = p->rng;
    m->optim->iterations = p->iterations;
    at = r->buf + p->params_at;
    for (int64_t i = 0; i < n_params; i++, at += WORD) {
        m->params[i] = bits_double(get_u64(at));
    }
    for (int k = 0, states = state_arrays(m->optim, arrays); k < states; k++) {
        for (int64_t i = 0; i < n_params; i++, at += WORD) {
            arrays[k][i] = bits_double(get_u64(at));
        }
    }
    *out = m;
    return NN_OK;
}

static nn_status load(const char *who, nn_model **out, const void *buf,
                      int64_t len)
{
    struct reader r = {who, buf, 0, 0, ""};
    struct parsed p;
    nn_status s;

    if (len > MAX_FILE_BYTES) {
        return nn__fail(NN_EFORMAT, "%s: %lld bytes is more than any model "
                        "file holds", who, (long long)len);
    }
    if ((s = parse(&r, len, &p)) != NN_OK) {
        return s;
    }
    return build(&r, &p, out);
}

nn_status nn_model_load_mem(nn_model **out, const void *buf, int64_t len)
{
    const char *fn = "nn_model_load_mem";

    if (out == NULL) {
        return nn__fail(NN_EINVAL, "%s: out is NULL", fn);
    }
    *out = NULL;
    if (buf == NULL || len < 0) {
        return nn__fail(NN_EINVAL, "%s: %s", fn, buf == NULL ? "buf is NULL"
                        : "len is negative");
    }
    return load(fn, out, buf, len);
}

/* ----------------------------------------------------------------------
 * Loading from a file
 */

/* Reads up to n bytes; returns how many, or -1 with errno. */
static int64_t read_all(int fd, unsigned char *p, int64_t n)
{
    int64_t got = 0;

    while (got < n) {
        int64_t want = n - got < (1 << 30) ? n - got : (1 << 30);
        ssize_t done = read(fd, p + got, (size_t)want);
        if (done < 0 && errno == EINTR) {
            continue;
        }
        if (done < 0) {
            return -1;
        }
        if (done == 0) {
            break;
        }
        got += done;
    }
    return got;
}

/* Reads a whole regular file into a new buffer of *len bytes. */
static nn_status read_file(const char *path, unsigned char **buf, int64_t *len)
{
    const char *fn = "nn_model_load";
    char text[128];
    struct stat st;
    int64_t got;
    int fd, err;

    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is
     * refused below, and reads of a regular file ignore the flag. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return nn__fail(NN_EIO, "%s: cannot open %s: %s", fn, path,
                        error_text(errno, text, sizeof text));
    }
    if (fstat(fd, &st) != 0) {
        err = errno;
        close(fd);
        return nn__fail(NN_EIO, "%s: cannot stat %s: %s", fn, path,
                        error_text(err, text, sizeof text));
    }
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_FILE_BYTES) {
        close(fd);
        return nn__fail(NN_EIO, "%s: %s %s", fn, path, S_ISREG(st.st_mode)
                        ? "is too large to be a model file"
                        : "is not a regular file");
    }

    /* The real size bounds the buffer, whatever the file claims. */
    *len = (int64_t)st.st_size;
    *buf = nn__alloc(*len > 0 ? (size_t)*len : 1);
    if (*buf == NULL) {
        close(fd);
        return nn__fail(NN_ENOMEM, "%s: cannot allocate %lld bytes to read "
                        "%s", fn, (long long)*len, path);
    }
    got = read_all(fd, *buf, *len);
    err = errno;
    close(fd);
    if (got != *len) {
        nn__free(*buf);
        return nn__fail(NN_EIO, "%s: reading %s failed: %s", fn, path,
                        got < 0 ? error_text(err, text, sizeof text)
                                : "it became shorter while it was read");
    }
    return NN_OK;
}

nn_status nn_model_load(nn_model **out, const char *path)
{
    unsigned char *buf = NULL;
    char who[256];
    int64_t len = 0;
    nn_status s;

    if (out == NULL || path == NULL) {
        return nn__fail(NN_EINVAL, "nn_model_load: %s is NULL",
                        out == NULL ? "out" : "path");
    }
    *out = NULL;
    if ((s = read_file(path, &buf, &len)) != NN_OK) {
        return s;
    }
    snprintf(who, sizeof who, "nn_model_load: %s", path);
    s = load(who, out, buf, len);
    nn__free(buf);
    return s;
}
