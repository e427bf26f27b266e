/*
 * The sequential model: a stack of layers trained as one.
 *
 *     nn_model *m;
 *     nn_model_new(&m, 2);                                 // 2 inputs
 *     nn_model_add_dense(m, 10, NN_ACTIVATION_RELU);
 *     nn_model_add_dense(m, 10, NN_ACTIVATION_RELU);
 *     nn_model_add_dense(m, 1, NN_ACTIVATION_SIGMOID);
 *     nn_optim_opts adam;
 *     nn_optim_opts_init(&adam, NN_OPTIM_ADAM);
 *     int metric = NN_METRIC_BINARY_ACCURACY;
 *     nn_model_compile(m, NN_LOSS_BCE, &adam, &metric, 1);
 *     nn_fit_opts fit;
 *     nn_fit_opts_init(&fit);
 *     fit.epochs = 1000;
 *     nn_model_fit(m, 4, 2, 1, x, y, &fit, NULL);         // x 4x2, y 4x1
 *     nn_model_predict(m, 4, 2, 1, x, out);
 *     nn_model_free(m);
 *
 * (Every call returns a status that real code checks.)
 *
 * Data: x is n x inputs and y is n x outputs, row-major, one sample per
 * row. The parameters of all layers live in one array, layer after layer,
 * each dense layer's W (inputs x units, row-major) then its b; the
 * gradients live in a second array of the same layout. Both exist from
 * compile on.
 *
 * Randomness: one seeded generator per model (nn_model_set_seed; the
 * default seed is 0) draws the initial weights at the first compile, then
 * the shuffling order and the dropout masks during fit. The same seed and
 * data give bit-for-bit the same model, as long as the BLAS runs on one
 * thread (a multi-threaded BLAS may sum in a different order).
 *
 * Fused output layers: a sigmoid output with NN_LOSS_BCE and a softmax
 * output with NN_LOSS_CCE are trained through the exact gradient
 * (y - t) / batch of the pair, which neither saturates nor divides by
 * small probabilities; the loss values reported are the clipped ones
 * described in nnblas/loss.h, as Keras reports them.
 *
 * LIMITATION: the layers are dense and dropout; there are no
 * convolutions, normalisation or recurrent layers. Early stopping has no
 * baseline or start_from_epoch setting.
 *
 * Threads: one model must not be changed from two threads at once.
 * nn_model_predict and nn_model_evaluate only read the model and use
 * scratch space of their own, so several threads may call them at once on
 * a compiled model while nothing changes it, and each gets the bits one
 * thread alone gets. Separate models are independent: trained in
 * separate threads at the same time, they end bit for bit where the same
 * trainings run one after another end (with the BLAS on one thread; the
 * test suite checks this with OpenBLAS's pthread build). The
 * process-wide settings nn_allocator_set, nn_log_set and
 * nn_blas_threads_set must not be changed while other threads are in
 * the library.
 */
#ifndef NNBLAS_MODEL_H
#define NNBLAS_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "export.h"
#include "layer.h"
#include "optim.h"
#include "status.h"

NN_BEGIN_DECLS

typedef struct nn_model nn_model;
typedef struct nn_history nn_history;

/* Kinds of layer in a model. */
typedef enum nn_layer_kind {
    NN_LAYER_DENSE = 0,
    NN_LAYER_DROPOUT = 1,
} nn_layer_kind;

/* Metrics reported by fit and evaluate, under Keras's names. */
typedef enum nn_metric {
    NN_METRIC_BINARY_ACCURACY = 0,      /* "binary_accuracy": (y > 0.5) == (t > 0.5) */
    NN_METRIC_CATEGORICAL_ACCURACY = 1, /* "categorical_accuracy": argmax y == argmax t */
    NN_METRIC_MSE = 2,                  /* "mse": mean of (y - t)^2 */
    NN_METRIC_MAE = 3,                  /* "mae": mean of |y - t| */
} nn_metric;

/* The most metrics one model may track. */
#define NN_MAX_METRICS 8

/* The most layers one model may hold. */
#define NN_MAX_LAYERS 256

/* Settings for nn_model_fit. Fill with nn_fit_opts_init, then change. */
typedef int (*nn_epoch_fn)(void *user, int64_t epoch, const nn_history *history);

typedef struct nn_fit_opts {
    int64_t       epochs;           /* passes over the data, >= 1 (default 1) */
    int64_t       batch_size;       /* samples per step, >= 1 (default 32) */
    int64_t       shuffle;          /* 1: new sample order each epoch (default) */
    int64_t       verbose;          /* 1: one line per epoch (default); 0: silent */
    FILE         *progress;         /* where lines go; NULL means stderr */
    double        validation_split; /* fraction held out from the END of x, y */
    const double *x_val;            /* or explicit validation data (n_val rows) */
    const double *y_val;
    int64_t       n_val;
    int64_t       early_stopping;   /* 1: stop when monitor stops improving */
    const char   *monitor;          /* "val_loss", "loss", "val_mae", ...; NULL
                                       means val_loss when there is validation
                                       data, else loss */
    double        min_delta;        /* smallest change that counts as better */
    int64_t       patience;         /* epochs without improvement before stopping */
    int64_t       restore_best;     /* 1: end with the best epoch's weights */
    nn_epoch_fn   on_epoch;         /* called after each epoch; nonzero stops */
    void         *user;             /* passed to on_epoch */
} nn_fit_opts;

/*
 * Fills opts with Keras's defaults: 1 epoch, batch 32, shuffling on, one
 * progress line per epoch on stderr, no validation, no early stopping
 * (monitor chosen as described, min_delta 0, patience 0, no restore).
 * Returns NN_OK or NN_EINVAL (NULL).
 */
NN_API NN_NODISCARD nn_status nn_fit_opts_init(nn_fit_opts *opts);

/* What nn_model_layer_info reports about one layer. */
typedef struct nn_layer_info {
    int64_t kind;          /* nn_layer_kind */
    int64_t inputs;        /* width of the layer's input */
    int64_t units;         /* width of its output */
    int64_t activation;    /* nn_activation (dense) */
    int64_t use_bias;      /* 1 if the dense layer has b */
    int64_t param_offset;  /* where its W starts in the parameter array */
    int64_t param_count;   /* W and b together; 0 for dropout */
    double  rate;          /* dropout rate (dropout) */
} nn_layer_info;

/* ----------------------------------------------------------------------
 * Building
 */

/*
 * Creates an empty model for samples of `inputs` features. Returns NN_OK,
 * NN_EINVAL (NULL out, inputs < 1), NN_ERANGE or NN_ENOMEM; *out is NULL
 * on failure. Free it with nn_model_free.
 */
NN_API NN_NODISCARD nn_status nn_model_new(nn_model **out, int64_t inputs);

/* Releases a model. NULL does nothing. */
NN_API void nn_model_free(nn_model *model);

/*
 * Seeds the model's generator (see "Randomness" above). Call it before
 * nn_model_compile to choose the initial weights. Returns NN_OK or
 * NN_EINVAL.
 */
NN_API NN_NODISCARD nn_status nn_model_set_seed(nn_model *model, uint64_t seed);

/*
 * Appends a dense layer with the default settings of nn_dense_opts_init.
 * Returns NN_OK, NN_EINVAL (units < 1, unknown activation), NN_ESTATE
 * (the model is compiled, or has NN_MAX_LAYERS layers) or NN_ENOMEM; the
 * model is unchanged on failure.
 */
NN_API NN_NODISCARD nn_status nn_model_add_dense(nn_model *model,
                                                 int64_t   units,
                                                 int       activation);

/* Appends a dense layer with explicit settings. Returns as above. */
NN_API NN_NODISCARD nn_status nn_model_add_dense_opts(nn_model            *model,
                                                      const nn_dense_opts *opts);

/*
 * Appends inverted dropout: while fitting, each value is zeroed with
 * probability rate and the others are scaled by 1 / (1 - rate); outside
 * fit it passes values through. rate is in [0, 1). Returns as
 * nn_model_add_dense.
 */
NN_API NN_NODISCARD nn_status nn_model_add_dropout(nn_model *model, double rate);

/*
 * Chooses the loss, the optimizer and the metrics. The first compile
 * creates the parameter arrays and draws the initial weights; a later
 * compile keeps the weights and starts the optimizer afresh. optim NULL
 * means RMSprop with its defaults (Keras's default optimizer). metrics
 * holds n_metrics nn_metric values (metrics may be NULL when n_metrics is
 * 0). Returns NN_OK, NN_EINVAL (unknown loss or metric, bad optimizer
 * settings, n_metrics outside [0, NN_MAX_METRICS]), NN_ESTATE (no dense
 * layer) or NN_ENOMEM; the model is unchanged on failure.
 */
NN_API NN_NODISCARD nn_status nn_model_compile(nn_model            *model,
                                               int                  loss,
                                               const nn_optim_opts *optim,
                                               const int           *metrics,
                                               int64_t              n_metrics);

/* ----------------------------------------------------------------------
 * Training and inference
 */

/*
 * Trains on n samples. x is n x x_cols and y is n x y_cols, where x_cols
 * must equal the model's input width and y_cols its output width (they
 * are passed so that a mismatch is caught rather than read past). Explicit
 * validation data in opts has the same widths. Before any
 * work every argument is checked, x and y are scanned for NaN and Inf,
 * and the workspace is sized; a training step afterwards allocates
 * nothing. If history is not NULL, *history receives the per-epoch record
 * (free it with nn_history_free), also when training stopped with
 * NN_EDIVERGED or NN_ESTOPPED.
 *
 * Returns NN_OK (also when early stopping ended training), NN_EINVAL (NULL
 * data, n < 1, bad opts, unknown monitor), NN_ESTATE (not compiled),
 * NN_ESHAPE (x_cols or y_cols differs from the model's), NN_ENONFINITE
 * (NaN or Inf in the data: the message names the first bad row and
 * column, counted from 0 as C indexes them), NN_EDIVERGED
 * (the loss became NaN or Inf: the message names epoch and batch, counted
 * from 1 as the progress lines count them, and the
 * weights are those that produced it, or with restore_best the best
 * epoch's), NN_ESTOPPED (on_epoch returned nonzero), NN_ERANGE (n or
 * n_val above 2^31 - 1, what BLAS takes) or NN_ENOMEM (also when the
 * history of `epochs` epochs cannot be held). On a failure found before
 * training the model is unchanged.
 *
 * Early stopping follows Keras: after each epoch the monitored series is
 * compared with its best value so far (a series whose name contains "acc"
 * should grow, any other shrink, by more than min_delta); training stops
 * once `patience` epochs in a row brought no improvement (patience 0: at
 * the first). With restore_best the model ends with the weights of the
 * best epoch, whether or not training stopped early. The monitor must name
 * a series of this fit's history when early_stopping or restore_best is
 * on.
 */
NN_API NN_NODISCARD nn_status nn_model_fit(nn_model           *model,
                                           int64_t             n,
                                           int64_t             x_cols,
                                           int64_t             y_cols,
                                           const double       *x,
                                           const double       *y,
                                           const nn_fit_opts  *opts,
                                           nn_history        **history);

/*
 * One training step on one batch (forward, loss, backward, update),
 * without shuffling, validation or checks for NaN in the data. The
 * workspace grows at the first batch larger than any before; later steps
 * allocate nothing. *loss (if not NULL) gets the batch loss before the
 * update. x is batch x x_cols, y batch x y_cols (the model's widths).
 * Returns NN_OK, NN_EINVAL, NN_ESTATE, NN_ESHAPE, NN_ERANGE (batch above
 * 2^31 - 1), NN_EDIVERGED (the loss is NaN or Inf; no update was made) or
 * NN_ENOMEM.
 */
NN_API NN_NODISCARD nn_status nn_model_train_batch(nn_model     *model,
                                                   int64_t       batch,
                                                   int64_t       x_cols,
                                                   int64_t       y_cols,
                                                   const double *x,
                                                   const double *y,
                                                   double       *loss);

/*
 * Runs the model on n samples: x is n x x_cols and out n x out_cols, the
 * model's input and output widths. Dropout is off. Checks x for NaN and
 * Inf first and returns NN_ENONFINITE naming the first bad entry. The
 * check is one streaming read of x; on one BLAS thread it measured about
 * 2% of the call for a 784-512-512-10 model (80 us of 5 ms at n = 256)
 * and about 1% for a 2-10-10-1 model at n = 4. Its share grows as the
 * first layer narrows or the BLAS gets faster. Returns NN_OK, NN_EINVAL,
 * NN_ESTATE (not compiled), NN_ESHAPE (a width differs from the model's),
 * NN_ERANGE (n above 2^31 - 1), NN_ENONFINITE or NN_ENOMEM (scratch
 * space); out is untouched on failure. out must not overlap x.
 * Thread-safe on a model nothing changes.
 */
NN_API NN_NODISCARD nn_status nn_model_predict(const nn_model *model,
                                               int64_t         n,
                                               int64_t         x_cols,
                                               int64_t         out_cols,
                                               const double   *x,
                                               double         *out);

/*
 * Loss and metrics on n samples (x is n x x_cols, y n x y_cols), dropout
 * off. *loss gets the loss and metrics (if not NULL) one value per
 * compiled metric, in compile order. Returns as nn_model_predict, and
 * NN_ENONFINITE for NaN or Inf in y.
 */
NN_API NN_NODISCARD nn_status nn_model_evaluate(const nn_model *model,
                                                int64_t         n,
                                                int64_t         x_cols,
                                                int64_t         y_cols,
                                                const double   *x,
                                                const double   *y,
                                                double         *loss,
                                                double         *metrics);

/* ----------------------------------------------------------------------
 * Inspection
 */

/*
 * Writes a table like Keras's summary to out: one row per layer with its
 * type, output shape and parameter count, then the totals. Works before
 * compile. Returns NN_OK, NN_EINVAL or NN_EIO (the write failed).
 */
NN_API NN_NODISCARD nn_status nn_model_summary(const nn_model *model, FILE *out);

/*
 * The same table into buf (len bytes, always NUL-terminated when len >
 * 0); *needed (if not NULL) gets the full length without the NUL. With
 * buf NULL and len 0 it only reports the length. Returns NN_OK, NN_EINVAL
 * or NN_ERANGE (buf too small: it holds the cut text).
 */
NN_API NN_NODISCARD nn_status nn_model_summary_str(const nn_model *model,
                                                   char           *buf,
                                                   int64_t         len,
                                                   int64_t        *needed);

/* Number of layers, input width, output width (0 for NULL or no layer). */
NN_API int64_t nn_model_layer_count(const nn_model *model);
NN_API int64_t nn_model_input_width(const nn_model *model);
NN_API int64_t nn_model_output_width(const nn_model *model);

/* Number of parameters (known before compile; 0 for NULL). */
NN_API int64_t nn_model_param_count(const nn_model *model);

/* 1 once the model is compiled, else 0. */
NN_API int64_t nn_model_is_compiled(const nn_model *model);

/*
 * The parameter and gradient arrays (borrowed; the layout is described
 * above), NULL before compile. Writing parameters is allowed between
 * calls. Valid until the model is freed.
 */
NN_API double *nn_model_params(const nn_model *model);
NN_API double *nn_model_grads(const nn_model *model);

/* Describes layer `index` (0-based). Returns NN_OK or NN_EINVAL. */
NN_API NN_NODISCARD nn_status nn_model_layer_info(const nn_model *model,
                                                  int64_t         index,
                                                  nn_layer_info  *info);

/* The compiled loss (nn_loss) and metric count; -1 and 0 before compile. */
NN_API int nn_model_loss(const nn_model *model);
NN_API int64_t nn_model_metric_count(const nn_model *model);

/* A static name of a metric ("binary_accuracy"), or "unknown". */
NN_API const char *nn_metric_name(int metric);

/* ----------------------------------------------------------------------
 * History of a fit
 */

/* Epochs recorded (0 for NULL). */
NN_API int64_t nn_history_epochs(const nn_history *history);

/* Number of series ("loss", each metric, and "val_" twins). */
NN_API int64_t nn_history_series_count(const nn_history *history);

/* Name of series i, or NULL when out of range. Borrowed. */
NN_API const char *nn_history_series_name(const nn_history *history, int64_t i);

/*
 * The values of a series by name, one per epoch (borrowed, valid until the
 * history is freed), or NULL if there is no such series.
 */
NN_API const double *nn_history_series(const nn_history *history, const char *name);

/*
 * One value: series `name` at 0-based epoch. Returns NN_OK or NN_EINVAL
 * (no such series or epoch).
 */
NN_API NN_NODISCARD nn_status nn_history_get(const nn_history *history,
                                             const char       *name,
                                             int64_t           epoch,
                                             double           *value);

/* 0-based epoch whose weights the model ended with when restore_best
 * was on, else the last epoch; -1 for NULL or an empty history. */
NN_API int64_t nn_history_best_epoch(const nn_history *history);

/* Releases a history. NULL does nothing. */
NN_API void nn_history_free(nn_history *history);

/* ----------------------------------------------------------------------
 * Files
 */

/*
 * Saves a compiled model (layers, loss, metrics, optimizer settings, step
 * count and state, seed and generator state, and parameters) to path, so
 * that a loaded model predicts bit-for-bit the same and, trained further,
 * reaches bit-for-bit the weights the original would (with the BLAS on
 * one thread, as under "Randomness" above). The gradient array and the
 * training workspace are not saved: a loaded model's gradients are zero
 * until its first training step, which overwrites them anyway.
 *
 * The file is written to path.tmp.<pid>.<n> in the same folder, flushed
 * to disk, renamed over path, and the folder is flushed too, so a crash
 * leaves either the old file or the whole new one, never a mix. It gets
 * the mode fopen would give it (0666 less the umask). NOTE: when path is
 * a symbolic link, the link itself is replaced, not the file it points
 * to. The format, format version 1, is in docs/format.md.
 *
 * Returns NN_OK, NN_EINVAL (NULL, empty path, or a path ending in '/'),
 * NN_ESTATE (not compiled: only compiled models are saved), NN_EIO (the
 * message names the failing step, the system's reason and whether the
 * old file is unchanged; when a failure comes before the rename the
 * temporary file is removed) or NN_ENOMEM. Reads the model only: it may
 * run while other threads predict with the same model.
 */
NN_API NN_NODISCARD nn_status nn_model_save(const nn_model *model, const char *path);

/*
 * Loads a model saved by nn_model_save, as an ordinary compiled model
 * (free it with nn_model_free). The whole file is read into memory
 * (bounded by its real size), then the header, the size and the CRC-32
 * are checked, then every field and every count against the bytes that
 * remain, all before the model is allocated: a file claiming 10^12
 * parameters is refused without allocating, and loading a good file
 * needs at most about three times its size in memory.
 *
 * Returns NN_OK, NN_EINVAL (NULL), NN_EIO (cannot open or read path, or
 * it is not a regular file), NN_EFORMAT (not a model file, truncated,
 * corrupt or inconsistent: the message names the field and its byte
 * offset, e.g. "layer 2 units at byte 304 is 0, outside [1, ...]" or
 * "checksum mismatch: stored 0x..., computed 0x..."), NN_ENOTSUP (a
 * newer format version: the message names both versions) or NN_ENOMEM;
 * *out is NULL on failure.
 *
 * LIMITATION: format version 1 is the only one. A file from a newer
 * version returns NN_ENOTSUP instead of guessing at fields it does not
 * know. Parameters and optimizer state are taken as stored, NaN
 * included, so a model saved after it diverged loads as it was.
 */
NN_API NN_NODISCARD nn_status nn_model_load(nn_model **out, const char *path);

/*
 * The in-memory twin of nn_model_save: writes the same bytes into buf
 * (cap bytes) and puts the file's size in *len. With buf NULL it only
 * reports the size. Returns NN_OK, NN_EINVAL (model or len NULL, cap
 * negative), NN_ESTATE (not compiled) or NN_ERANGE (cap is too small:
 * *len still gets the size needed, and buf is untouched). Allocates
 * nothing.
 */
NN_API NN_NODISCARD nn_status nn_model_save_mem(const nn_model *model,
                                                void           *buf,
                                                int64_t         cap,
                                                int64_t        *len);

/*
 * The in-memory twin of nn_model_load: loads from the len bytes at buf,
 * which it only reads. Returns as nn_model_load, without NN_EIO, and
 * NN_EINVAL for a NULL buf or a negative len.
 */
NN_API NN_NODISCARD nn_status nn_model_load_mem(nn_model  **out,
                                                const void *buf,
                                                int64_t     len);

NN_END_DECLS

#endif
