/*
 * The per-epoch record of a fit: one series of values for the loss and
 * each metric, and their val_ twins when there is validation data.
 */
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

nn_history *nn__history_new(const struct nn_model *m, int has_val,
                            int64_t epochs)
{
    int64_t n_series = (1 + m->n_metrics) * (has_val ? 2 : 1);
    nn_history *h;
    size_t bytes;

    /* NOTE: room for every epoch asked for, so that series pointers stay
     * valid; an epoch count whose history cannot be addressed fails here
     * instead of wrapping around. The values are written as epochs end
     * and never read before, so the block is not cleared: a large epoch
     * count with early stopping costs address space, not memory. */
    if (nn__size_mul(n_series, epochs, sizeof(double), &bytes) != 0) {
        return NULL;
    }
    h = nn__alloc_zero(sizeof *h);
    if (h == NULL) {
        return NULL;
    }
    h->values = nn__alloc(bytes);
    if (h->values == NULL) {
        nn__free(h);
        return NULL;
    }
    h->capacity = epochs;
    h->n_series = n_series;
    h->best_epoch = -1;
    for (int64_t s = 0; s < n_series; s++) {
        int64_t base = s % (1 + m->n_metrics);
        const char *name = base == 0 ? "loss" : nn_metric_name(m->metrics[base - 1]);
        snprintf(h->names[s], NN__SERIES_NAME_MAX, "%s%s",
                 s > m->n_metrics ? "val_" : "", name);
    }
    return h;
}

int64_t nn__history_series_index(const nn_history *h, const char *name)
{
    for (int64_t s = 0; name != NULL && s < h->n_series; s++) {
        if (strcmp(h->names[s], name) == 0) {
            return s;
        }
    }
    return -1;
}

void nn_history_free(nn_history *h)
{
    if (h != NULL) {
        nn__free(h->values);
        nn__free(h);
    }
}

int64_t nn_history_epochs(const nn_history *h)
{
    return h != NULL ? h->epochs : 0;
}

int64_t nn_history_series_count(const nn_history *h)
{
    return h != NULL ? h->n_series : 0;
}

const char *nn_history_series_name(const nn_history *h, int64_t i)
{
    return h != NULL && i >= 0 && i < h->n_series ? h->names[i] : NULL;
}

const double *nn_history_series(const nn_history *h, const char *name)
{
    int64_t s = h != NULL ? nn__history_series_index(h, name) : -1;

    return s >= 0 ? h->values + s * h->capacity : NULL;
}

nn_status nn_history_get(const nn_history *h, const char *name, int64_t epoch,
                         double *value)
{
    const double *series = nn_history_series(h, name);

    if (series == NULL || value == NULL) {
        return nn__fail(NN_EINVAL, "nn_history_get: %s",
                        h == NULL ? "history is NULL"
                        : value == NULL ? "value is NULL"
                                        : "no series of that name");
    }
    if (epoch < 0 || epoch >= h->epochs) {
        return nn__fail(NN_EINVAL, "nn_history_get: epoch %lld is not in "
                        "[0, %lld)", (long long)epoch, (long long)h->epochs);
    }
    *value = series[epoch];
    return NN_OK;
}

int64_t nn_history_best_epoch(const nn_history *h)
{
    if (h == NULL || h->epochs == 0) {
        return -1;
    }
    return h->best_epoch >= 0 ? h->best_epoch : h->epochs - 1;
}
