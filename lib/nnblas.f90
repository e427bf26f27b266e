! module nnblas: libnnblas from Fortran 2008, through ISO_C_BINDING.
!
! A Keras-style model from Fortran:
!
!     use, intrinsic :: iso_c_binding     ! c_double, c_int
!     use nnblas
!     type(nn_model_t) :: model
!     real(c_double) :: x(2, 4), y(1, 4), p(1, 4)   ! (features, samples)
!     integer(c_int) :: s
!     s = nn_model_new(model, 2)
!     s = nn_model_add_dense(model, 10, NN_ACTIVATION_RELU)
!     s = nn_model_add_dense(model, 1, NN_ACTIVATION_SIGMOID)
!     s = nn_model_compile(model, NN_LOSS_BCE, &
!                          nn_optim_defaults(NN_OPTIM_ADAM), &
!                          [NN_METRIC_BINARY_ACCURACY])
!     s = nn_model_fit(model, x, y, epochs=1000, verbose=0)
!     s = nn_model_predict(model, x, p)
!     call nn_model_free(model)
!
! (Every call returns a status that real code checks against NN_OK.)
!
! DATA LAYOUT. The C library takes a batch row-major, one sample per row.
! Fortran is column-major, so an array x(features, samples), one sample
! per column, occupies exactly the same memory:
!
!     C     double x[n][inputs]:  x[0][0] x[0][1] .. x[0][inputs-1] x[1][0] ..
!     Fortran  x(inputs, n):      x(1,1)  x(2,1)  .. x(inputs,1)     x(1,2)  ..
!                                 \_________ sample 1 (C's row 0) _/
!
! so x(j, i) is x[i-1][j-1]. The wrappers pass the array itself and the
! dimensions reversed (C's rows are size(x, 2), its columns size(x, 1));
! nothing is copied or transposed. A dense layer's weights, inputs x units
! row-major in C, are w(units, inputs) here. The array dummies are
! `contiguous`: pass whole arrays or contiguous sections; for a strided
! section the compiler makes a temporary copy around the call.
!
! ERRORS. Every fallible call returns a status, NN_OK (0) or a negative
! NN_E* code, and nn_last_error_message() returns the message of the most
! recent failure on the calling thread. Shapes that C cannot see (sample
! counts of two arrays, the widths a dense layer expects) are checked
! here before any C call; a mismatch returns NN_ESHAPE and is recorded
! through the C call nn_last_error_set, so there is one per-thread
! message for both languages: the Fortran program, C code in the same
! process and the host's log sink all see it. Messages from C name sizes
! in C's terms (a "row" is a sample, indices from 0). The module keeps no
! state of its own, so threads may use it as they may use the C library.
!
! NAMES. Each C function nn_x has a thin interface nn_x_c with the exact C
! binding underneath (scalars by value, arrays as dimension(*), sizes
! integer(c_int64_t)), public for code that wants pointers; the friendly
! procedure nn_x takes handles, assumed-shape arrays, optional arguments
! and Fortran strings. Counts given by the caller (units, epochs, ...)
! are default integers; sizes of arrays come from the arrays. Numbers
! that C defines as indices (layer, epoch, series) keep C's numbering
! from 0, so a number means the same in both languages.
!
! HANDLES. A model, dense layer or history is a derived type around a
! type(c_ptr). There are no finalizers: free each one with its nn_*_free,
! which sets the pointer back to c_null_ptr (freeing twice through the
! same variable is harmless). Copying a handle copies the pointer, not
! the object. C keeps no pointer to a Fortran array past the call that
! received it; the pointers that nn_dense_weights and friends return go
! the other way, into C memory, and are Fortran pointers, which the
! compiler knows may alias.
!
! LIMITATION: the module binds the model, the dense layer, the loss, the
! generator and the status calls. Tensors, activations on their own,
! optimizer objects, the log sink, nn_dense_wrap and the calls that take
! a FILE * are C only (fit's progress lines go to stderr when verbose).
module nnblas
    use, intrinsic :: iso_c_binding
    use, intrinsic :: iso_fortran_env, only: output_unit
    implicit none
    private

    ! ------------------------------------------------------------------
    ! Constants: each equals the C enum value of the same name.

    ! nn_status
    integer(c_int), parameter, public :: NN_OK = 0
    integer(c_int), parameter, public :: NN_EINVAL = -1
    integer(c_int), parameter, public :: NN_ESHAPE = -2
    integer(c_int), parameter, public :: NN_ERANGE = -3
    integer(c_int), parameter, public :: NN_ENOMEM = -4
    integer(c_int), parameter, public :: NN_ENONFINITE = -5
    integer(c_int), parameter, public :: NN_EDIVERGED = -6
    integer(c_int), parameter, public :: NN_ESTATE = -7
    integer(c_int), parameter, public :: NN_ESTOPPED = -8
    integer(c_int), parameter, public :: NN_EIO = -9
    integer(c_int), parameter, public :: NN_EFORMAT = -10
    integer(c_int), parameter, public :: NN_ENOTSUP = -11
    integer(c_int), parameter, public :: NN_EINTERNAL = -12

    ! nn_activation
    integer(c_int), parameter, public :: NN_ACTIVATION_IDENTITY = 0
    integer(c_int), parameter, public :: NN_ACTIVATION_SIGMOID = 1
    integer(c_int), parameter, public :: NN_ACTIVATION_TANH = 2
    integer(c_int), parameter, public :: NN_ACTIVATION_RELU = 3
    integer(c_int), parameter, public :: NN_ACTIVATION_LEAKY_RELU = 4
    integer(c_int), parameter, public :: NN_ACTIVATION_SOFTMAX = 5

    ! nn_loss
    integer(c_int), parameter, public :: NN_LOSS_MSE = 0
    integer(c_int), parameter, public :: NN_LOSS_MAE = 1
    integer(c_int), parameter, public :: NN_LOSS_BCE = 2
    integer(c_int), parameter, public :: NN_LOSS_BCE_LOGITS = 3
    integer(c_int), parameter, public :: NN_LOSS_CCE = 4
    integer(c_int), parameter, public :: NN_LOSS_CCE_LOGITS = 5

    ! nn_optim_kind
    integer(c_int), parameter, public :: NN_OPTIM_SGD = 0
    integer(c_int), parameter, public :: NN_OPTIM_ADAM = 1
    integer(c_int), parameter, public :: NN_OPTIM_ADAMW = 2
    integer(c_int), parameter, public :: NN_OPTIM_RMSPROP = 3
    integer(c_int), parameter, public :: NN_OPTIM_ADAGRAD = 4

    ! nn_schedule
    integer(c_int), parameter, public :: NN_SCHEDULE_CONSTANT = 0
    integer(c_int), parameter, public :: NN_SCHEDULE_STEP = 1
    integer(c_int), parameter, public :: NN_SCHEDULE_EXPONENTIAL = 2
    integer(c_int), parameter, public :: NN_SCHEDULE_COSINE = 3

    ! nn_metric
    integer(c_int), parameter, public :: NN_METRIC_BINARY_ACCURACY = 0
    integer(c_int), parameter, public :: NN_METRIC_CATEGORICAL_ACCURACY = 1
    integer(c_int), parameter, public :: NN_METRIC_MSE = 2
    integer(c_int), parameter, public :: NN_METRIC_MAE = 3

    ! nn_init
    integer(c_int), parameter, public :: NN_INIT_ZEROS = 0
    integer(c_int), parameter, public :: NN_INIT_ONES = 1
    integer(c_int), parameter, public :: NN_INIT_CONSTANT = 2
    integer(c_int), parameter, public :: NN_INIT_UNIFORM = 3
    integer(c_int), parameter, public :: NN_INIT_NORMAL = 4
    integer(c_int), parameter, public :: NN_INIT_GLOROT_UNIFORM = 5
    integer(c_int), parameter, public :: NN_INIT_GLOROT_NORMAL = 6
    integer(c_int), parameter, public :: NN_INIT_HE_UNIFORM = 7
    integer(c_int), parameter, public :: NN_INIT_HE_NORMAL = 8
    integer(c_int), parameter, public :: NN_INIT_LECUN_UNIFORM = 9
    integer(c_int), parameter, public :: NN_INIT_LECUN_NORMAL = 10
    integer(c_int), parameter, public :: NN_INIT_ORTHOGONAL = 11

    ! nn_layer_kind
    integer(c_int), parameter, public :: NN_LAYER_DENSE = 0
    integer(c_int), parameter, public :: NN_LAYER_DROPOUT = 1

    ! Macros of the C headers.
    integer(c_int), parameter, public :: NN_MAX_METRICS = 8
    integer(c_int), parameter, public :: NN_MAX_LAYERS = 256
    real(c_double), parameter, public :: NN_LEAKY_SLOPE_DEFAULT = 0.2_c_double
    real(c_double), parameter, public :: NN_LOSS_EPSILON = 1.0e-7_c_double

    ! ------------------------------------------------------------------
    ! Twins of the C option structs, field for field. Fill them with the
    ! matching nn_*_opts_init, then change fields.

    ! nn_dense_opts (nnblas/layer.h)
    type, bind(C), public :: nn_dense_opts
        integer(c_int64_t) :: units         ! outputs of the layer
        integer(c_int64_t) :: activation    ! NN_ACTIVATION_*
        integer(c_int64_t) :: use_bias      ! 1 adds b, 0 leaves it out
        real(c_double) :: slope             ! leaky relu slope
        integer(c_int64_t) :: kernel_init   ! NN_INIT_* for W
        real(c_double) :: kernel_param      ! its parameter
        integer(c_int64_t) :: bias_init     ! NN_INIT_* for b
        real(c_double) :: bias_param        ! its parameter
    end type nn_dense_opts

    ! nn_optim_opts (nnblas/optim.h, which lists the defaults)
    type, bind(C), public :: nn_optim_opts
        integer(c_int64_t) :: kind          ! NN_OPTIM_*
        real(c_double) :: lr                ! base learning rate
        real(c_double) :: momentum          ! SGD
        integer(c_int64_t) :: nesterov      ! SGD, 0 or 1
        real(c_double) :: beta1             ! Adam, AdamW
        real(c_double) :: beta2             ! Adam, AdamW
        real(c_double) :: epsilon           ! all but SGD
        real(c_double) :: weight_decay      ! AdamW
        real(c_double) :: rho               ! RMSprop
        real(c_double) :: initial_accumulator   ! Adagrad
        real(c_double) :: clip_value        ! 0 = off
        real(c_double) :: clip_norm         ! 0 = off
        integer(c_int64_t) :: schedule      ! NN_SCHEDULE_*
        integer(c_int64_t) :: decay_steps   ! steps per decay
        real(c_double) :: decay_rate        ! factor per decay_steps
        real(c_double) :: cosine_floor      ! final fraction of lr
    end type nn_optim_opts

    ! nn_fit_opts (nnblas/model.h). The pointer fields hold c_loc of a
    ! Fortran object that must live until nn_model_fit returns; the
    ! friendly nn_model_fit sets x_val, y_val, n_val and monitor from its
    ! optional arguments. on_epoch takes c_funloc of a function
    !     integer(c_int) function f(user, epoch, history) bind(C)
    !         type(c_ptr), value :: user      ! opts%user
    !         integer(c_int64_t), value :: epoch  ! from 0
    !         type(c_ptr), value :: history   ! borrowed nn_history
    ! that returns nonzero to stop training (wrap history in an
    ! nn_history_t to read it, and do not free it).
    type, bind(C), public :: nn_fit_opts
        integer(c_int64_t) :: epochs        ! passes over the data
        integer(c_int64_t) :: batch_size    ! samples per step
        integer(c_int64_t) :: shuffle       ! 1: new order each epoch
        integer(c_int64_t) :: verbose       ! 1: a line per epoch
        type(c_ptr) :: progress             ! C FILE *; null means stderr
        real(c_double) :: validation_split  ! fraction held out at the end
        type(c_ptr) :: x_val                ! (inputs, n_val) doubles
        type(c_ptr) :: y_val                ! (outputs, n_val) doubles
        integer(c_int64_t) :: n_val         ! validation samples
        integer(c_int64_t) :: early_stopping    ! 1: stop on no progress
        type(c_ptr) :: monitor              ! NUL-terminated series name
        real(c_double) :: min_delta         ! smallest improvement
        integer(c_int64_t) :: patience      ! epochs without one
        integer(c_int64_t) :: restore_best  ! 1: end with best weights
        type(c_funptr) :: on_epoch          ! callback, see above
        type(c_ptr) :: user                 ! passed to on_epoch
    end type nn_fit_opts

    ! nn_layer_info (nnblas/model.h)
    type, bind(C), public :: nn_layer_info
        integer(c_int64_t) :: kind          ! NN_LAYER_*
        integer(c_int64_t) :: inputs        ! input width
        integer(c_int64_t) :: units         ! output width
        integer(c_int64_t) :: activation    ! NN_ACTIVATION_* (dense)
        integer(c_int64_t) :: use_bias      ! 1 if the layer has b
        integer(c_int64_t) :: param_offset  ! W starts at params(offset+1)
        integer(c_int64_t) :: param_count   ! W and b together
        real(c_double) :: rate              ! dropout rate
    end type nn_layer_info

    ! nn_rng (nnblas/rng.h): the generator state, treated as opaque.
    type, bind(C), public :: nn_rng
        integer(c_int64_t) :: state(4)      ! xoshiro256** state words
    end type nn_rng

    ! ------------------------------------------------------------------
    ! Handles.

    ! A sequential model (C nn_model), owned: free with nn_model_free.
    type, public :: nn_model_t
        type(c_ptr) :: p = c_null_ptr       ! the C object
    end type nn_model_t

    ! A dense layer (C nn_dense), owned: free with nn_dense_free.
    type, public :: nn_dense_t
        type(c_ptr) :: p = c_null_ptr       ! the C object
    end type nn_dense_t

    ! The record of a fit (C nn_history): free with nn_history_free,
    ! unless it wraps the borrowed pointer an epoch callback received.
    type, public :: nn_history_t
        type(c_ptr) :: p = c_null_ptr       ! the C object
    end type nn_history_t

    ! ------------------------------------------------------------------
    ! Thin interfaces: exact C names and C types (the comment after each
    ! argument gives the C type).

    interface
        ! status.h
        function nn_status_str_c(status) bind(C, name='nn_status_str')
            import :: c_int, c_ptr
            integer(c_int), value, intent(in) :: status     ! int
            type(c_ptr) :: nn_status_str_c                  ! const char *
        end function nn_status_str_c

        function nn_status_meaning_c(status) &
                bind(C, name='nn_status_meaning')
            import :: c_int, c_ptr
            integer(c_int), value, intent(in) :: status     ! int
            type(c_ptr) :: nn_status_meaning_c              ! const char *
        end function nn_status_meaning_c

        function nn_last_error_copy_c(buf, len) &
                bind(C, name='nn_last_error_copy')
            import :: c_char, c_int64_t
            character(kind=c_char), intent(out) :: buf(*)   ! char *
            integer(c_int64_t), value, intent(in) :: len    ! int64_t
            integer(c_int64_t) :: nn_last_error_copy_c      ! full length
        end function nn_last_error_copy_c

        subroutine nn_last_error_clear_c() &
                bind(C, name='nn_last_error_clear')
        end subroutine nn_last_error_clear_c

        function nn_last_error_set_c(status, message) &
                bind(C, name='nn_last_error_set')
            import :: c_int, c_char
            integer(c_int), value, intent(in) :: status     ! int
            character(kind=c_char), intent(in) :: message(*)    ! const char *
            integer(c_int) :: nn_last_error_set_c           ! status
        end function nn_last_error_set_c

        function nn_version_c() bind(C, name='nn_version')
            import :: c_ptr
            type(c_ptr) :: nn_version_c                     ! const char *
        end function nn_version_c

        ! blas.h
        function nn_blas_threads_set_c(n) bind(C, name='nn_blas_threads_set')
            import :: c_int, c_int64_t
            integer(c_int64_t), value, intent(in) :: n      ! int64_t
            integer(c_int) :: nn_blas_threads_set_c         ! nn_status
        end function nn_blas_threads_set_c

        function nn_blas_threads_get_c() bind(C, name='nn_blas_threads_get')
            import :: c_int64_t
            integer(c_int64_t) :: nn_blas_threads_get_c     ! int64_t
        end function nn_blas_threads_get_c

        ! rng.h, init.h, loss.h, optim.h
        function nn_rng_seed_c(rng, seed) bind(C, name='nn_rng_seed')
            import :: c_int, c_int64_t, nn_rng
            type(nn_rng), intent(inout) :: rng              ! nn_rng *
            integer(c_int64_t), value, intent(in) :: seed   ! uint64_t
            integer(c_int) :: nn_rng_seed_c                 ! nn_status
        end function nn_rng_seed_c

        function nn_rng_uniform_c(rng, n, lo, hi, out) &
                bind(C, name='nn_rng_uniform')
            import :: c_int, c_int64_t, c_double, nn_rng
            type(nn_rng), intent(inout) :: rng              ! nn_rng *
            integer(c_int64_t), value, intent(in) :: n      ! int64_t
            real(c_double), value, intent(in) :: lo, hi     ! double
            real(c_double), intent(inout) :: out(*)         ! double *
            integer(c_int) :: nn_rng_uniform_c              ! nn_status
        end function nn_rng_uniform_c

        function nn_rng_normal_c(rng, n, mean, stddev, out) &
                bind(C, name='nn_rng_normal')
            import :: c_int, c_int64_t, c_double, nn_rng
            type(nn_rng), intent(inout) :: rng              ! nn_rng *
            integer(c_int64_t), value, intent(in) :: n      ! int64_t
            real(c_double), value, intent(in) :: mean, stddev  ! double
            real(c_double), intent(inout) :: out(*)         ! double *
            integer(c_int) :: nn_rng_normal_c               ! nn_status
        end function nn_rng_normal_c

        function nn_init_default_param_c(kind) &
                bind(C, name='nn_init_default_param')
            import :: c_int, c_double
            integer(c_int), value, intent(in) :: kind       ! int
            real(c_double) :: nn_init_default_param_c       ! double
        end function nn_init_default_param_c

        function nn_loss_compute_c(kind, rows, cols, pred, target, value, &
                                   grad) bind(C, name='nn_loss_compute')
            import :: c_int, c_int64_t, c_double, c_ptr
            integer(c_int), value, intent(in) :: kind       ! int
            integer(c_int64_t), value, intent(in) :: rows, cols ! int64_t
            real(c_double), intent(in) :: pred(*)           ! const double *
            real(c_double), intent(in) :: target(*)         ! const double *
            type(c_ptr), value, intent(in) :: value         ! double * or NULL
            type(c_ptr), value, intent(in) :: grad          ! double * or NULL
            integer(c_int) :: nn_loss_compute_c             ! nn_status
        end function nn_loss_compute_c

        function nn_optim_opts_init_c(opts, kind) &
                bind(C, name='nn_optim_opts_init')
            import :: c_int, nn_optim_opts
            type(nn_optim_opts), intent(inout) :: opts      ! nn_optim_opts *
            integer(c_int), value, intent(in) :: kind       ! int
            integer(c_int) :: nn_optim_opts_init_c          ! nn_status
        end function nn_optim_opts_init_c

        ! layer.h
        function nn_dense_opts_init_c(opts, units, activation) &
                bind(C, name='nn_dense_opts_init')
            import :: c_int, c_int64_t, nn_dense_opts
            type(nn_dense_opts), intent(inout) :: opts      ! nn_dense_opts *
            integer(c_int64_t), value, intent(in) :: units  ! int64_t
            integer(c_int), value, intent(in) :: activation ! int
            integer(c_int) :: nn_dense_opts_init_c          ! nn_status
        end function nn_dense_opts_init_c

        function nn_dense_new_c(out, inputs, opts) bind(C, name='nn_dense_new')
            import :: c_int, c_int64_t, c_ptr, nn_dense_opts
            type(c_ptr), intent(out) :: out                 ! nn_dense **
            integer(c_int64_t), value, intent(in) :: inputs ! int64_t
            type(nn_dense_opts), intent(in) :: opts     ! const nn_dense_opts *
            integer(c_int) :: nn_dense_new_c                ! nn_status
        end function nn_dense_new_c

        subroutine nn_dense_free_c(layer) bind(C, name='nn_dense_free')
            import :: c_ptr
            type(c_ptr), value, intent(in) :: layer         ! nn_dense *
        end subroutine nn_dense_free_c

        function nn_dense_init_c(layer, rng) bind(C, name='nn_dense_init')
            import :: c_int, c_ptr, nn_rng
            type(c_ptr), value, intent(in) :: layer         ! nn_dense *
            type(nn_rng), intent(inout) :: rng              ! nn_rng *
            integer(c_int) :: nn_dense_init_c               ! nn_status
        end function nn_dense_init_c

        function nn_dense_inputs_c(layer) bind(C, name='nn_dense_inputs')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: layer         ! const nn_dense *
            integer(c_int64_t) :: nn_dense_inputs_c         ! int64_t
        end function nn_dense_inputs_c

        function nn_dense_units_c(layer) bind(C, name='nn_dense_units')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: layer         ! const nn_dense *
            integer(c_int64_t) :: nn_dense_units_c          ! int64_t
        end function nn_dense_units_c

        function nn_dense_param_count_c(layer) &
                bind(C, name='nn_dense_param_count')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: layer         ! const nn_dense *
            integer(c_int64_t) :: nn_dense_param_count_c    ! int64_t
        end function nn_dense_param_count_c

        function nn_dense_weights_c(layer) bind(C, name='nn_dense_weights')
            import :: c_ptr
            type(c_ptr), value, intent(in) :: layer         ! const nn_dense *
            type(c_ptr) :: nn_dense_weights_c               ! double *
        end function nn_dense_weights_c

        function nn_dense_bias_c(layer) bind(C, name='nn_dense_bias')
            import :: c_ptr
            type(c_ptr), value, intent(in) :: layer         ! const nn_dense *
            type(c_ptr) :: nn_dense_bias_c                  ! double *
        end function nn_dense_bias_c

        function nn_dense_params_c(layer) bind(C, name='nn_dense_params')
            import :: c_ptr
            type(c_ptr), value, intent(in) :: layer         ! const nn_dense *
            type(c_ptr) :: nn_dense_params_c                ! double *
        end function nn_dense_params_c

        function nn_dense_grads_c(layer) bind(C, name='nn_dense_grads')
            import :: c_ptr
            type(c_ptr), value, intent(in) :: layer         ! const nn_dense *
            type(c_ptr) :: nn_dense_grads_c                 ! double *
        end function nn_dense_grads_c

        function nn_dense_forward_c(layer, batch, x, y) &
                bind(C, name='nn_dense_forward')
            import :: c_int, c_int64_t, c_double, c_ptr
            type(c_ptr), value, intent(in) :: layer         ! const nn_dense *
            integer(c_int64_t), value, intent(in) :: batch  ! int64_t
            real(c_double), intent(in) :: x(*)              ! const double *
            real(c_double), intent(inout) :: y(*)           ! double *
            integer(c_int) :: nn_dense_forward_c            ! nn_status
        end function nn_dense_forward_c

        function nn_dense_backward_c(layer, batch, x, y, dy, dx) &
                bind(C, name='nn_dense_backward')
            import :: c_int, c_int64_t, c_double, c_ptr
            type(c_ptr), value, intent(in) :: layer         ! nn_dense *
            integer(c_int64_t), value, intent(in) :: batch  ! int64_t
            real(c_double), intent(in) :: x(*)              ! const double *
            real(c_double), intent(in) :: y(*)              ! const double *
            real(c_double), intent(inout) :: dy(*)          ! double *
            type(c_ptr), value, intent(in) :: dx            ! double * or NULL
            integer(c_int) :: nn_dense_backward_c           ! nn_status
        end function nn_dense_backward_c

        function nn_dense_backward_preact_c(layer, batch, x, dz, dx) &
                bind(C, name='nn_dense_backward_preact')
            import :: c_int, c_int64_t, c_double, c_ptr
            type(c_ptr), value, intent(in) :: layer         ! nn_dense *
            integer(c_int64_t), value, intent(in) :: batch  ! int64_t
            real(c_double), intent(in) :: x(*)              ! const double *
            real(c_double), intent(in) :: dz(*)             ! const double *
            type(c_ptr), value, intent(in) :: dx            ! double * or NULL
            integer(c_int) :: nn_dense_backward_preact_c    ! nn_status
        end function nn_dense_backward_preact_c

        ! model.h: building
        function nn_fit_opts_init_c(opts) bind(C, name='nn_fit_opts_init')
            import :: c_int, nn_fit_opts
            type(nn_fit_opts), intent(inout) :: opts        ! nn_fit_opts *
            integer(c_int) :: nn_fit_opts_init_c            ! nn_status
        end function nn_fit_opts_init_c

        function nn_model_new_c(out, inputs) bind(C, name='nn_model_new')
            import :: c_int, c_int64_t, c_ptr
            type(c_ptr), intent(out) :: out                 ! nn_model **
            integer(c_int64_t), value, intent(in) :: inputs ! int64_t
            integer(c_int) :: nn_model_new_c                ! nn_status
        end function nn_model_new_c

        subroutine nn_model_free_c(model) bind(C, name='nn_model_free')
            import :: c_ptr
            type(c_ptr), value, intent(in) :: model         ! nn_model *
        end subroutine nn_model_free_c

        function nn_model_set_seed_c(model, seed) &
                bind(C, name='nn_model_set_seed')
            import :: c_int, c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: model         ! nn_model *
            integer(c_int64_t), value, intent(in) :: seed   ! uint64_t
            integer(c_int) :: nn_model_set_seed_c           ! nn_status
        end function nn_model_set_seed_c

        function nn_model_add_dense_c(model, units, activation) &
                bind(C, name='nn_model_add_dense')
            import :: c_int, c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: model         ! nn_model *
            integer(c_int64_t), value, intent(in) :: units  ! int64_t
            integer(c_int), value, intent(in) :: activation ! int
            integer(c_int) :: nn_model_add_dense_c          ! nn_status
        end function nn_model_add_dense_c

        function nn_model_add_dense_opts_c(model, opts) &
                bind(C, name='nn_model_add_dense_opts')
            import :: c_int, c_ptr, nn_dense_opts
            type(c_ptr), value, intent(in) :: model         ! nn_model *
            type(nn_dense_opts), intent(in) :: opts     ! const nn_dense_opts *
            integer(c_int) :: nn_model_add_dense_opts_c     ! nn_status
        end function nn_model_add_dense_opts_c

        function nn_model_add_dropout_c(model, rate) &
                bind(C, name='nn_model_add_dropout')
            import :: c_int, c_double, c_ptr
            type(c_ptr), value, intent(in) :: model         ! nn_model *
            real(c_double), value, intent(in) :: rate       ! double
            integer(c_int) :: nn_model_add_dropout_c        ! nn_status
        end function nn_model_add_dropout_c

        function nn_model_compile_c(model, loss, optim, metrics, n_metrics) &
                bind(C, name='nn_model_compile')
            import :: c_int, c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: model         ! nn_model *
            integer(c_int), value, intent(in) :: loss       ! int
            type(c_ptr), value, intent(in) :: optim     ! const nn_optim_opts *
            integer(c_int), intent(in) :: metrics(*)        ! const int *
            integer(c_int64_t), value, intent(in) :: n_metrics  ! int64_t
            integer(c_int) :: nn_model_compile_c            ! nn_status
        end function nn_model_compile_c

        ! model.h: training and inference
        function nn_model_fit_c(model, n, x_cols, y_cols, x, y, opts, &
                                history) bind(C, name='nn_model_fit')
            import :: c_int, c_int64_t, c_double, c_ptr, nn_fit_opts
            type(c_ptr), value, intent(in) :: model         ! nn_model *
            integer(c_int64_t), value, intent(in) :: n      ! int64_t
            integer(c_int64_t), value, intent(in) :: x_cols, y_cols ! int64_t
            real(c_double), intent(in) :: x(*)              ! const double *
            real(c_double), intent(in) :: y(*)              ! const double *
            type(nn_fit_opts), intent(in) :: opts       ! const nn_fit_opts *
            type(c_ptr), value, intent(in) :: history   ! nn_history ** or NULL
            integer(c_int) :: nn_model_fit_c                ! nn_status
        end function nn_model_fit_c

        function nn_model_train_batch_c(model, batch, x_cols, y_cols, x, y, &
                                        loss) &
                bind(C, name='nn_model_train_batch')
            import :: c_int, c_int64_t, c_double, c_ptr
            type(c_ptr), value, intent(in) :: model         ! nn_model *
            integer(c_int64_t), value, intent(in) :: batch  ! int64_t
            integer(c_int64_t), value, intent(in) :: x_cols, y_cols ! int64_t
            real(c_double), intent(in) :: x(*)              ! const double *
            real(c_double), intent(in) :: y(*)              ! const double *
            real(c_double), intent(inout) :: loss           ! double *
            integer(c_int) :: nn_model_train_batch_c        ! nn_status
        end function nn_model_train_batch_c

        function nn_model_predict_c(model, n, x_cols, out_cols, x, out) &
                bind(C, name='nn_model_predict')
            import :: c_int, c_int64_t, c_double, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            integer(c_int64_t), value, intent(in) :: n      ! int64_t
            integer(c_int64_t), value, intent(in) :: x_cols, out_cols ! int64_t
            real(c_double), intent(in) :: x(*)              ! const double *
            real(c_double), intent(inout) :: out(*)         ! double *
            integer(c_int) :: nn_model_predict_c            ! nn_status
        end function nn_model_predict_c

        function nn_model_evaluate_c(model, n, x_cols, y_cols, x, y, loss, &
                                     metrics) bind(C, name='nn_model_evaluate')
            import :: c_int, c_int64_t, c_double, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            integer(c_int64_t), value, intent(in) :: n      ! int64_t
            integer(c_int64_t), value, intent(in) :: x_cols, y_cols ! int64_t
            real(c_double), intent(in) :: x(*)              ! const double *
            real(c_double), intent(in) :: y(*)              ! const double *
            real(c_double), intent(inout) :: loss           ! double *
            real(c_double), intent(inout) :: metrics(*)     ! double *
            integer(c_int) :: nn_model_evaluate_c           ! nn_status
        end function nn_model_evaluate_c

        ! model.h: inspection
        function nn_model_summary_str_c(model, buf, len, needed) &
                bind(C, name='nn_model_summary_str')
            import :: c_int, c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            type(c_ptr), value, intent(in) :: buf           ! char * or NULL
            integer(c_int64_t), value, intent(in) :: len    ! int64_t
            integer(c_int64_t), intent(out) :: needed       ! int64_t *
            integer(c_int) :: nn_model_summary_str_c        ! nn_status
        end function nn_model_summary_str_c

        function nn_model_layer_count_c(model) &
                bind(C, name='nn_model_layer_count')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            integer(c_int64_t) :: nn_model_layer_count_c    ! int64_t
        end function nn_model_layer_count_c

        function nn_model_input_width_c(model) &
                bind(C, name='nn_model_input_width')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            integer(c_int64_t) :: nn_model_input_width_c    ! int64_t
        end function nn_model_input_width_c

        function nn_model_output_width_c(model) &
                bind(C, name='nn_model_output_width')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            integer(c_int64_t) :: nn_model_output_width_c   ! int64_t
        end function nn_model_output_width_c

        function nn_model_param_count_c(model) &
                bind(C, name='nn_model_param_count')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            integer(c_int64_t) :: nn_model_param_count_c    ! int64_t
        end function nn_model_param_count_c

        function nn_model_is_compiled_c(model) &
                bind(C, name='nn_model_is_compiled')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            integer(c_int64_t) :: nn_model_is_compiled_c    ! int64_t
        end function nn_model_is_compiled_c

        function nn_model_params_c(model) bind(C, name='nn_model_params')
            import :: c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            type(c_ptr) :: nn_model_params_c                ! double *
        end function nn_model_params_c

        function nn_model_grads_c(model) bind(C, name='nn_model_grads')
            import :: c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            type(c_ptr) :: nn_model_grads_c                 ! double *
        end function nn_model_grads_c

        function nn_model_layer_info_c(model, index, info) &
                bind(C, name='nn_model_layer_info')
            import :: c_int, c_int64_t, c_ptr, nn_layer_info
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            integer(c_int64_t), value, intent(in) :: index  ! int64_t
            type(nn_layer_info), intent(inout) :: info      ! nn_layer_info *
            integer(c_int) :: nn_model_layer_info_c         ! nn_status
        end function nn_model_layer_info_c

        function nn_model_loss_c(model) bind(C, name='nn_model_loss')
            import :: c_int, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            integer(c_int) :: nn_model_loss_c               ! int
        end function nn_model_loss_c

        function nn_model_metric_count_c(model) &
                bind(C, name='nn_model_metric_count')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            integer(c_int64_t) :: nn_model_metric_count_c   ! int64_t
        end function nn_model_metric_count_c

        function nn_metric_name_c(metric) bind(C, name='nn_metric_name')
            import :: c_int, c_ptr
            integer(c_int), value, intent(in) :: metric     ! int
            type(c_ptr) :: nn_metric_name_c                 ! const char *
        end function nn_metric_name_c

        ! model.h: history
        function nn_history_epochs_c(history) &
                bind(C, name='nn_history_epochs')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: history   ! const nn_history *
            integer(c_int64_t) :: nn_history_epochs_c       ! int64_t
        end function nn_history_epochs_c

        function nn_history_series_count_c(history) &
                bind(C, name='nn_history_series_count')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: history   ! const nn_history *
            integer(c_int64_t) :: nn_history_series_count_c ! int64_t
        end function nn_history_series_count_c

        function nn_history_series_name_c(history, i) &
                bind(C, name='nn_history_series_name')
            import :: c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: history   ! const nn_history *
            integer(c_int64_t), value, intent(in) :: i      ! int64_t
            type(c_ptr) :: nn_history_series_name_c         ! const char *
        end function nn_history_series_name_c

        function nn_history_series_c(history, name) &
                bind(C, name='nn_history_series')
            import :: c_char, c_ptr
            type(c_ptr), value, intent(in) :: history   ! const nn_history *
            character(kind=c_char), intent(in) :: name(*)   ! const char *
            type(c_ptr) :: nn_history_series_c              ! const double *
        end function nn_history_series_c

        function nn_history_get_c(history, name, epoch, value) &
                bind(C, name='nn_history_get')
            import :: c_int, c_int64_t, c_double, c_char, c_ptr
            type(c_ptr), value, intent(in) :: history   ! const nn_history *
            character(kind=c_char), intent(in) :: name(*)   ! const char *
            integer(c_int64_t), value, intent(in) :: epoch  ! int64_t
            real(c_double), intent(inout) :: value          ! double *
            integer(c_int) :: nn_history_get_c              ! nn_status
        end function nn_history_get_c

        subroutine nn_history_free_c(history) bind(C, name='nn_history_free')
            import :: c_ptr
            type(c_ptr), value, intent(in) :: history       ! nn_history *
        end subroutine nn_history_free_c

        ! model.h: files
        function nn_model_save_c(model, path) bind(C, name='nn_model_save')
            import :: c_int, c_char, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            character(kind=c_char), intent(in) :: path(*)   ! const char *
            integer(c_int) :: nn_model_save_c               ! nn_status
        end function nn_model_save_c

        function nn_model_load_c(out, path) bind(C, name='nn_model_load')
            import :: c_int, c_char, c_ptr
            type(c_ptr), intent(out) :: out                 ! nn_model **
            character(kind=c_char), intent(in) :: path(*)   ! const char *
            integer(c_int) :: nn_model_load_c               ! nn_status
        end function nn_model_load_c

        function nn_model_save_mem_c(model, buf, cap, len) &
                bind(C, name='nn_model_save_mem')
            import :: c_int, c_int64_t, c_ptr
            type(c_ptr), value, intent(in) :: model         ! const nn_model *
            type(c_ptr), value, intent(in) :: buf           ! void * or NULL
            integer(c_int64_t), value, intent(in) :: cap    ! int64_t
            integer(c_int64_t), intent(out) :: len          ! int64_t *
            integer(c_int) :: nn_model_save_mem_c           ! nn_status
        end function nn_model_save_mem_c

        function nn_model_load_mem_c(out, buf, len) &
                bind(C, name='nn_model_load_mem')
            import :: c_int, c_int8_t, c_int64_t, c_ptr
            type(c_ptr), intent(out) :: out                 ! nn_model **
            integer(c_int8_t), intent(in) :: buf(*)         ! const void *
            integer(c_int64_t), value, intent(in) :: len    ! int64_t
            integer(c_int) :: nn_model_load_mem_c           ! nn_status
        end function nn_model_load_mem_c
    end interface

    ! The C library's strlen, to size strings that C returns.
    interface
        function c_strlen(s) bind(C, name='strlen')
            import :: c_ptr, c_size_t
            type(c_ptr), value, intent(in) :: s             ! const char *
            integer(c_size_t) :: c_strlen                   ! bytes before NUL
        end function c_strlen
    end interface

    public :: nn_status_str_c, nn_status_meaning_c, nn_last_error_copy_c
    public :: nn_last_error_clear_c, nn_last_error_set_c, nn_version_c
    public :: nn_blas_threads_set_c, nn_blas_threads_get_c
    public :: nn_rng_seed_c, nn_rng_uniform_c, nn_rng_normal_c
    public :: nn_init_default_param_c, nn_loss_compute_c
    public :: nn_optim_opts_init_c, nn_dense_opts_init_c
    public :: nn_dense_new_c, nn_dense_free_c, nn_dense_init_c
    public :: nn_dense_inputs_c, nn_dense_units_c, nn_dense_param_count_c
    public :: nn_dense_weights_c, nn_dense_bias_c, nn_dense_params_c
    public :: nn_dense_grads_c, nn_dense_forward_c, nn_dense_backward_c
    public :: nn_dense_backward_preact_c
    public :: nn_fit_opts_init_c, nn_model_new_c, nn_model_free_c
    public :: nn_model_set_seed_c, nn_model_add_dense_c
    public :: nn_model_add_dense_opts_c, nn_model_add_dropout_c
    public :: nn_model_compile_c, nn_model_fit_c, nn_model_train_batch_c
    public :: nn_model_predict_c, nn_model_evaluate_c
    public :: nn_model_summary_str_c, nn_model_layer_count_c
    public :: nn_model_input_width_c, nn_model_output_width_c
    public :: nn_model_param_count_c, nn_model_is_compiled_c
    public :: nn_model_params_c, nn_model_grads_c, nn_model_layer_info_c
    public :: nn_model_loss_c, nn_model_metric_count_c, nn_metric_name_c
    public :: nn_history_epochs_c, nn_history_series_count_c
    public :: nn_history_series_name_c, nn_history_series_c
    public :: nn_history_get_c, nn_history_free_c
    public :: nn_model_save_c, nn_model_load_c
    public :: nn_model_save_mem_c, nn_model_load_mem_c

    ! ------------------------------------------------------------------
    ! Friendly procedures.

    public :: nn_status_str, nn_status_meaning, nn_version
    public :: nn_last_error_message, nn_last_error_clear, nn_last_error_set
    public :: nn_blas_threads_set, nn_blas_threads_get
    public :: nn_rng_seed, nn_rng_uniform, nn_rng_normal, nn_loss_compute
    public :: nn_optim_opts_init, nn_optim_defaults
    public :: nn_dense_opts_init, nn_fit_opts_init
    public :: nn_dense_new, nn_dense_free, nn_dense_init
    public :: nn_dense_inputs, nn_dense_units, nn_dense_param_count
    public :: nn_dense_weights, nn_dense_bias, nn_dense_params
    public :: nn_dense_grads, nn_dense_forward, nn_dense_backward
    public :: nn_dense_backward_preact
    public :: nn_model_new, nn_model_free, nn_model_set_seed
    public :: nn_model_add_dense, nn_model_add_dropout, nn_model_compile
    public :: nn_model_fit, nn_model_train_batch, nn_model_predict
    public :: nn_model_evaluate, nn_model_summary
    public :: nn_model_layer_count, nn_model_input_width
    public :: nn_model_output_width, nn_model_param_count
    public :: nn_model_is_compiled, nn_model_params_get
    public :: nn_model_params_set, nn_model_layer_info, nn_model_loss
    public :: nn_model_metric_count, nn_metric_name
    public :: nn_history_epochs, nn_history_series_count
    public :: nn_history_series_name, nn_history_series, nn_history_get
    public :: nn_history_free
    public :: nn_model_save, nn_model_load
    public :: nn_model_save_mem, nn_model_load_mem

    ! Seeds are any integer; a negative one stands for the uint64_t with
    ! the same bits.
    interface nn_model_set_seed
        module procedure model_set_seed_i32, model_set_seed_i64
    end interface nn_model_set_seed

    interface nn_rng_seed
        module procedure rng_seed_i32, rng_seed_i64
    end interface nn_rng_seed

    ! A dense layer from (units, activation, options...) or from a filled
    ! nn_dense_opts.
    interface nn_model_add_dense
        module procedure model_add_dense_args, model_add_dense_opts
    end interface nn_model_add_dense

    interface nn_dense_new
        module procedure dense_new_args, dense_new_opts
    end interface nn_dense_new

contains

    ! ==================================================================
    ! Private helpers

    ! A Fortran copy of a NUL-terminated C string ('' for a null pointer).
    function f_string(p) result(s)
        type(c_ptr), intent(in) :: p                ! const char *
        character(len=:), allocatable :: s          ! the text, no NUL
        character(kind=c_char), pointer :: chars(:) ! view of the C bytes
        integer(c_size_t) :: n, i                   ! length, index

        if (.not. c_associated(p)) then
            s = ''
            return
        end if
        n = c_strlen(p)
        call c_f_pointer(p, chars, [n])
        allocate(character(len=n) :: s)
        do i = 1, n
            s(i:i) = chars(i)
        end do
    end function f_string

    ! s without trailing blanks, NUL-terminated, in an array whose address
    ! can be stored in a C struct.
    subroutine c_chars(s, a)
        character(len=*), intent(in) :: s                       ! the text
        character(kind=c_char), allocatable, intent(out) :: a(:)  ! len+1
        integer :: i                                            ! index

        allocate(a(len_trim(s) + 1))
        do i = 1, len_trim(s)
            a(i) = s(i:i)
        end do
        a(size(a)) = c_null_char
    end subroutine c_chars

    ! n in decimal, for messages.
    function str(n) result(s)
        integer(c_int64_t), intent(in) :: n         ! any value
        character(len=:), allocatable :: s          ! its digits
        character(len=24) :: buf                    ! room for 64 bits

        write(buf, '(i0)') n
        s = trim(buf)
    end function str

    ! Records message as the thread's last error and returns status.
    function fail(status, message) result(s)
        integer(c_int), intent(in) :: status        ! NN_E* code
        character(len=*), intent(in) :: message     ! "fn: what is wrong"
        integer(c_int) :: s                         ! status, unchanged

        s = nn_last_error_set_c(status, message // c_null_char)
    end function fail

    ! NN_OK for a created handle, else NN_EINVAL naming the call. C would
    ! say "model is NULL"; in Fortran the cause is a missing nn_*_new.
    function check_handle(p, fn, what) result(status)
        type(c_ptr), intent(in) :: p                ! handle's pointer
        character(len=*), intent(in) :: fn, what    ! call, argument name
        integer(c_int) :: status                    ! NN_OK or NN_EINVAL

        status = NN_OK
        if (.not. c_associated(p)) then
            status = fail(NN_EINVAL, fn // ': ' // what // ' is not ' // &
                          'created (its handle is null; create it with ' // &
                          'its nn_*_new, or it was freed)')
        end if
    end function check_handle

    ! NN_OK when got equals want; otherwise NN_ESHAPE with the message
    ! "fn: what is got, expected want (why)".
    function check_size(fn, what, got, want, why) result(status)
        character(len=*), intent(in) :: fn, what    ! call, e.g. "size(x, 1)"
        integer(c_int64_t), intent(in) :: got, want ! sizes
        character(len=*), intent(in) :: why        ! where want comes from
        integer(c_int) :: status                    ! NN_OK or NN_ESHAPE

        status = NN_OK
        if (got /= want) then
            status = fail(NN_ESHAPE, fn // ': ' // what // ' is ' // &
                          str(got) // ', expected ' // str(want) // &
                          ' (' // why // ')')
        end if
    end function check_size

    ! size(a, dim) as a C size.
    pure function dim_of(a, dim) result(n)
        real(c_double), intent(in) :: a(:, :)       ! any matrix
        integer, intent(in) :: dim                  ! 1 or 2
        integer(c_int64_t) :: n                     ! its extent

        n = size(a, dim, kind=c_int64_t)
    end function dim_of

    ! 1 for .true., 0 for .false., as C's int64_t flags.
    pure function flag(v) result(i)
        logical, intent(in) :: v                    ! the switch
        integer(c_int64_t) :: i                     ! 0 or 1

        i = merge(1_c_int64_t, 0_c_int64_t, v)
    end function flag

    ! ==================================================================
    ! Status, errors, library information

    ! The name of a status code ("NN_ESHAPE"), or "NN_UNKNOWN".
    function nn_status_str(status) result(s)
        integer(c_int), intent(in) :: status        ! a status code
        character(len=:), allocatable :: s          ! its name

        s = f_string(nn_status_str_c(status))
    end function nn_status_str

    ! A one-line meaning of a status code ("array sizes disagree").
    function nn_status_meaning(status) result(s)
        integer(c_int), intent(in) :: status        ! a status code
        character(len=:), allocatable :: s          ! its meaning

        s = f_string(nn_status_meaning_c(status))
    end function nn_status_meaning

    ! The message of the most recent failure on this thread, from C or
    ! from a shape check here, or "" if nothing has failed. Read it right
    ! after a call returned a failure: successful calls leave it alone.
    function nn_last_error_message() result(s)
        character(len=:), allocatable :: s          ! the whole message
        character(kind=c_char) :: probe(1)          ! for the length query
        character(kind=c_char), allocatable :: buf(:)   ! message and NUL
        integer(c_int64_t) :: n, i                  ! length, index

        n = nn_last_error_copy_c(probe, 1_c_int64_t)
        allocate(buf(n + 1))
        n = min(n, nn_last_error_copy_c(buf, n + 1))
        allocate(character(len=n) :: s)
        do i = 1, n
            s(i:i) = buf(i)
        end do
    end function nn_last_error_message

    ! Clears this thread's last error message.
    subroutine nn_last_error_clear()
        call nn_last_error_clear_c()
    end subroutine nn_last_error_clear

    ! Records message (trailing blanks dropped) as this thread's last
    ! error, as a failing C call would, and returns status: for Fortran
    ! code that checks its own arguments and reports like the library.
    function nn_last_error_set(status, message) result(s)
        integer(c_int), intent(in) :: status        ! NN_E* code
        character(len=*), intent(in) :: message     ! the message
        integer(c_int) :: s                         ! status

        s = fail(status, trim(message))
    end function nn_last_error_set

    ! The library version, "MAJOR.MINOR.PATCH".
    function nn_version() result(s)
        character(len=:), allocatable :: s          ! e.g. "0.1.0"

        s = f_string(nn_version_c())
    end function nn_version

    ! Sets the number of BLAS threads (process-wide). One thread makes
    ! training bit-for-bit reproducible. Returns NN_OK, NN_EINVAL or
    ! NN_ENOTSUP (a BLAS without a thread-count call).
    function nn_blas_threads_set(n) result(status)
        integer, intent(in) :: n                    ! threads, >= 1
        integer(c_int) :: status                    ! NN_OK or failure

        status = nn_blas_threads_set_c(int(n, c_int64_t))
    end function nn_blas_threads_set

    ! The number of threads the BLAS uses.
    function nn_blas_threads_get() result(n)
        integer(c_int64_t) :: n                     ! threads

        n = nn_blas_threads_get_c()
    end function nn_blas_threads_get

    ! ==================================================================
    ! Random numbers, losses, option structs

    subroutine rng_seed_i32(rng, seed, status)
        type(nn_rng), intent(inout) :: rng          ! generator
        integer(c_int32_t), intent(in) :: seed      ! any value
        integer(c_int), intent(out), optional :: status ! NN_OK

        call rng_seed_i64(rng, int(seed, c_int64_t), status)
    end subroutine rng_seed_i32

    ! Seeds a generator: the same seed gives the same numbers as C's.
    subroutine rng_seed_i64(rng, seed, status)
        type(nn_rng), intent(inout) :: rng          ! generator
        integer(c_int64_t), intent(in) :: seed      ! any value
        integer(c_int), intent(out), optional :: status ! NN_OK
        integer(c_int) :: s                         ! C's status

        s = nn_rng_seed_c(rng, seed)
        if (present(status)) status = s
    end subroutine rng_seed_i64

    ! Fills out with doubles uniform on [lo, hi). Returns NN_OK or
    ! NN_EINVAL (lo, hi not finite, hi < lo; out untouched).
    function nn_rng_uniform(rng, lo, hi, out) result(status)
        type(nn_rng), intent(inout) :: rng          ! generator
        real(c_double), intent(in) :: lo, hi        ! the interval
        real(c_double), intent(inout), contiguous :: out(:) ! any length
        integer(c_int) :: status                    ! NN_OK or NN_EINVAL

        status = nn_rng_uniform_c(rng, size(out, kind=c_int64_t), lo, hi, out)
    end function nn_rng_uniform

    ! Fills out with normal draws. Returns NN_OK or NN_EINVAL.
    function nn_rng_normal(rng, mean, stddev, out) result(status)
        type(nn_rng), intent(inout) :: rng          ! generator
        real(c_double), intent(in) :: mean, stddev  ! stddev >= 0
        real(c_double), intent(inout), contiguous :: out(:) ! any length
        integer(c_int) :: status                    ! NN_OK or NN_EINVAL

        status = nn_rng_normal_c(rng, size(out, kind=c_int64_t), mean, &
                                 stddev, out)
    end function nn_rng_normal

    ! A loss and its gradient (nnblas/loss.h). pred and target are
    ! (outputs, samples); grad, if present, has their shape. Returns
    ! NN_OK, NN_ESHAPE (shapes differ) or as nn_loss_compute in C.
    function nn_loss_compute(kind, pred, target, value, grad) result(status)
        integer(c_int), intent(in) :: kind          ! NN_LOSS_*
        real(c_double), intent(in), contiguous :: pred(:, :)    ! (out, n)
        real(c_double), intent(in), contiguous :: target(:, :)  ! (out, n)
        real(c_double), intent(inout), optional, target :: value    ! mean loss
        real(c_double), intent(inout), optional, contiguous, target :: &
            grad(:, :)                              ! (out, n), dL/dpred
        integer(c_int) :: status                    ! NN_OK or failure
        character(len=*), parameter :: fn = 'nn_loss_compute'
        type(c_ptr) :: pv, pg                       ! value, grad or NULL

        status = check_size(fn, 'size(target, 1)', dim_of(target, 1), &
                            dim_of(pred, 1), 'size(pred, 1)')
        if (status == NN_OK) status = check_size(fn, 'size(target, 2)', &
            dim_of(target, 2), dim_of(pred, 2), 'size(pred, 2)')
        pv = c_null_ptr
        pg = c_null_ptr
        if (present(value)) pv = c_loc(value)
        if (present(grad)) then
            if (status == NN_OK) status = check_size(fn, 'size(grad, 1)', &
                dim_of(grad, 1), dim_of(pred, 1), 'size(pred, 1)')
            if (status == NN_OK) status = check_size(fn, 'size(grad, 2)', &
                dim_of(grad, 2), dim_of(pred, 2), 'size(pred, 2)')
            pg = c_loc(grad)
        end if
        if (status /= NN_OK) return

        status = nn_loss_compute_c(kind, dim_of(pred, 2), dim_of(pred, 1), &
                                   pred, target, pv, pg)
    end function nn_loss_compute

    ! Fills opts with the defaults of an optimizer kind (the table in
    ! nnblas/optim.h). Returns NN_OK or NN_EINVAL (unknown kind).
    function nn_optim_opts_init(opts, kind) result(status)
        type(nn_optim_opts), intent(inout) :: opts  ! filled on success
        integer(c_int), intent(in) :: kind          ! NN_OPTIM_*
        integer(c_int) :: status                    ! NN_OK or NN_EINVAL

        status = nn_optim_opts_init_c(opts, kind)
    end function nn_optim_opts_init

    ! The defaults of an optimizer kind as a value, with the learning rate
    ! changed if lr is given, for use right in nn_model_compile. For an
    ! unknown kind the result keeps that kind, so compile refuses it.
    function nn_optim_defaults(kind, lr, status) result(opts)
        integer(c_int), intent(in) :: kind          ! NN_OPTIM_*
        real(c_double), intent(in), optional :: lr  ! learning rate
        integer(c_int), intent(out), optional :: status ! NN_OK, NN_EINVAL
        type(nn_optim_opts) :: opts                 ! the settings
        integer(c_int) :: s                         ! C's status

        opts = nn_optim_opts(int(kind, c_int64_t), 0.0_c_double, &
                             0.0_c_double, 0_c_int64_t, 0.0_c_double, &
                             0.0_c_double, 0.0_c_double, 0.0_c_double, &
                             0.0_c_double, 0.0_c_double, 0.0_c_double, &
                             0.0_c_double, 0_c_int64_t, 0_c_int64_t, &
                             0.0_c_double, 0.0_c_double)
        s = nn_optim_opts_init_c(opts, kind)
        if (present(lr)) opts%lr = lr
        if (present(status)) status = s
    end function nn_optim_defaults

    ! Fills opts with the defaults of a dense layer (Keras's).
    function nn_dense_opts_init(opts, units, activation) result(status)
        type(nn_dense_opts), intent(inout) :: opts  ! filled on success
        integer, intent(in) :: units                ! outputs
        integer(c_int), intent(in) :: activation    ! NN_ACTIVATION_*
        integer(c_int) :: status                    ! NN_OK or NN_EINVAL

        status = nn_dense_opts_init_c(opts, int(units, c_int64_t), activation)
    end function nn_dense_opts_init

    ! Fills opts with the defaults of nn_model_fit (Keras's: 1 epoch,
    ! batch 32, shuffled, a progress line per epoch on stderr).
    function nn_fit_opts_init(opts) result(status)
        type(nn_fit_opts), intent(inout) :: opts    ! filled on success
        integer(c_int) :: status                    ! NN_OK

        status = nn_fit_opts_init_c(opts)
    end function nn_fit_opts_init

    ! Dense settings from the optional arguments of nn_model_add_dense and
    ! nn_dense_new. An initializer given without its parameter gets the
    ! kind's default parameter, as nnblas/layer.h asks.
    function dense_opts(units, activation, use_bias, slope, kernel_init, &
                        kernel_param, bias_init, bias_param) result(o)
        integer, intent(in) :: units                ! outputs
        integer(c_int), intent(in) :: activation    ! NN_ACTIVATION_*
        logical, intent(in), optional :: use_bias   ! default .true.
        real(c_double), intent(in), optional :: slope   ! leaky relu
        integer(c_int), intent(in), optional :: kernel_init ! NN_INIT_*
        real(c_double), intent(in), optional :: kernel_param    ! its param
        integer(c_int), intent(in), optional :: bias_init   ! NN_INIT_*
        real(c_double), intent(in), optional :: bias_param  ! its param
        type(nn_dense_opts) :: o                    ! the settings
        integer(c_int) :: s                         ! always NN_OK here

        s = nn_dense_opts_init_c(o, int(units, c_int64_t), activation)
        if (present(use_bias)) o%use_bias = flag(use_bias)
        if (present(slope)) o%slope = slope
        if (present(kernel_init)) then
            o%kernel_init = kernel_init
            o%kernel_param = nn_init_default_param_c(kernel_init)
        end if
        if (present(kernel_param)) o%kernel_param = kernel_param
        if (present(bias_init)) then
            o%bias_init = bias_init
            o%bias_param = nn_init_default_param_c(bias_init)
        end if
        if (present(bias_param)) o%bias_param = bias_param
    end function dense_opts

    ! ==================================================================
    ! The dense layer at the function level (nnblas/layer.h). In Fortran
    ! terms: x(inputs, batch), w(units, inputs), b(units), y(units, batch),
    ! y = f(matmul(w, x) + spread(b)); C's row-major W (inputs x units) is
    ! the same memory as w(units, inputs).

    ! Creates a layer that owns zeroed parameters (draw them with
    ! nn_dense_init or write them through nn_dense_weights). Returns
    ! NN_OK, NN_EINVAL, NN_ERANGE or NN_ENOMEM.
    function dense_new_args(layer, inputs, units, activation, use_bias, &
                            slope, kernel_init, kernel_param, bias_init, &
                            bias_param) result(status)
        type(nn_dense_t), intent(out) :: layer      ! the new layer
        integer, intent(in) :: inputs, units        ! widths
        integer(c_int), intent(in) :: activation    ! NN_ACTIVATION_*
        logical, intent(in), optional :: use_bias   ! default .true.
        real(c_double), intent(in), optional :: slope   ! leaky relu
        integer(c_int), intent(in), optional :: kernel_init ! NN_INIT_*
        real(c_double), intent(in), optional :: kernel_param    ! its param
        integer(c_int), intent(in), optional :: bias_init   ! NN_INIT_*
        real(c_double), intent(in), optional :: bias_param  ! its param
        integer(c_int) :: status                    ! NN_OK or failure

        status = dense_new_opts(layer, inputs, dense_opts(units, activation, &
            use_bias, slope, kernel_init, kernel_param, bias_init, bias_param))
    end function dense_new_args

    function dense_new_opts(layer, inputs, opts) result(status)
        type(nn_dense_t), intent(out) :: layer      ! the new layer
        integer, intent(in) :: inputs               ! input width
        type(nn_dense_opts), intent(in) :: opts     ! its settings
        integer(c_int) :: status                    ! NN_OK or failure

        status = nn_dense_new_c(layer%p, int(inputs, c_int64_t), opts)
    end function dense_new_opts

    ! Releases a layer and sets the handle to null.
    subroutine nn_dense_free(layer)
        type(nn_dense_t), intent(inout) :: layer    ! freed, then null

        call nn_dense_free_c(layer%p)
        layer%p = c_null_ptr
    end subroutine nn_dense_free

    ! Draws W and b with the layer's initializers.
    function nn_dense_init(layer, rng) result(status)
        type(nn_dense_t), intent(inout) :: layer    ! its parameters change
        type(nn_rng), intent(inout) :: rng          ! generator
        integer(c_int) :: status                    ! NN_OK or failure

        status = nn_dense_init_c(layer%p, rng)
    end function nn_dense_init

    ! Input width, units, parameter count (0 for a null handle).
    function nn_dense_inputs(layer) result(n)
        type(nn_dense_t), intent(in) :: layer       ! the layer
        integer(c_int64_t) :: n                     ! inputs

        n = nn_dense_inputs_c(layer%p)
    end function nn_dense_inputs

    function nn_dense_units(layer) result(n)
        type(nn_dense_t), intent(in) :: layer       ! the layer
        integer(c_int64_t) :: n                     ! units

        n = nn_dense_units_c(layer%p)
    end function nn_dense_units

    function nn_dense_param_count(layer) result(n)
        type(nn_dense_t), intent(in) :: layer       ! the layer
        integer(c_int64_t) :: n                     ! inputs*units (+units)

        n = nn_dense_param_count_c(layer%p)
    end function nn_dense_param_count

    ! The weights as w(units, inputs), a pointer into the layer (borrowed:
    ! valid until the layer is freed; writing through it changes the
    ! layer). Null for a null handle.
    function nn_dense_weights(layer) result(w)
        type(nn_dense_t), intent(in) :: layer       ! the layer
        real(c_double), pointer, contiguous :: w(:, :)  ! (units, inputs)

        w => null()
        if (c_associated(nn_dense_weights_c(layer%p))) then
            call c_f_pointer(nn_dense_weights_c(layer%p), w, &
                             [nn_dense_units_c(layer%p), &
                              nn_dense_inputs_c(layer%p)])
        end if
    end function nn_dense_weights

    ! The bias b(units), borrowed like nn_dense_weights; null without a
    ! bias.
    function nn_dense_bias(layer) result(b)
        type(nn_dense_t), intent(in) :: layer       ! the layer
        real(c_double), pointer, contiguous :: b(:) ! (units)

        b => null()
        if (c_associated(nn_dense_bias_c(layer%p))) then
            call c_f_pointer(nn_dense_bias_c(layer%p), b, &
                             [nn_dense_units_c(layer%p)])
        end if
    end function nn_dense_bias

    ! All parameters, W then b, borrowed like nn_dense_weights.
    function nn_dense_params(layer) result(p)
        type(nn_dense_t), intent(in) :: layer       ! the layer
        real(c_double), pointer, contiguous :: p(:) ! (param count)

        p => null()
        if (c_associated(nn_dense_params_c(layer%p))) then
            call c_f_pointer(nn_dense_params_c(layer%p), p, &
                             [nn_dense_param_count_c(layer%p)])
        end if
    end function nn_dense_params

    ! The gradients dL/dW then dL/db, in the layout of nn_dense_params.
    function nn_dense_grads(layer) result(g)
        type(nn_dense_t), intent(in) :: layer       ! the layer
        real(c_double), pointer, contiguous :: g(:) ! (param count)

        g => null()
        if (c_associated(nn_dense_grads_c(layer%p))) then
            call c_f_pointer(nn_dense_grads_c(layer%p), g, &
                             [nn_dense_param_count_c(layer%p)])
        end if
    end function nn_dense_grads

    ! NN_OK when a (rows, cols) array fits the layer: rows = want_rows and
    ! cols = the batch of x.
    function check_batch(fn, name, a, want_rows, why, batch) result(status)
        character(len=*), intent(in) :: fn, name    ! call, array name
        real(c_double), intent(in) :: a(:, :)       ! the array
        integer(c_int64_t), intent(in) :: want_rows ! expected size(a, 1)
        character(len=*), intent(in) :: why        ! where it comes from
        integer(c_int64_t), intent(in) :: batch     ! size(x, 2)
        integer(c_int) :: status                    ! NN_OK or NN_ESHAPE

        status = check_size(fn, 'size(' // name // ', 1)', dim_of(a, 1), &
                            want_rows, why)
        if (status == NN_OK) then
            status = check_size(fn, 'size(' // name // ', 2)', &
                                dim_of(a, 2), batch, &
                                'one column per sample, as in x')
        end if
    end function check_batch

    ! y = f(matmul(w, x) + b) for a batch. x is (inputs, batch) and y
    ! (units, batch). Returns NN_OK, NN_EINVAL (null handle, empty batch),
    ! NN_ESHAPE (x or y does not fit the layer; y untouched) or NN_ERANGE.
    function nn_dense_forward(layer, x, y) result(status)
        type(nn_dense_t), intent(in) :: layer       ! the layer
        real(c_double), intent(in), contiguous :: x(:, :)   ! (inputs, batch)
        real(c_double), intent(inout), contiguous :: y(:, :)    ! (units, b)
        integer(c_int) :: status                    ! NN_OK or failure
        character(len=*), parameter :: fn = 'nn_dense_forward'

        status = check_handle(layer%p, fn, 'layer')
        if (status == NN_OK) status = check_size(fn, 'size(x, 1)', &
            dim_of(x, 1), nn_dense_inputs_c(layer%p), "the layer's inputs")
        if (status == NN_OK) status = check_batch(fn, 'y', y, &
            nn_dense_units_c(layer%p), "the layer's units", dim_of(x, 2))
        if (status /= NN_OK) return

        status = nn_dense_forward_c(layer%p, dim_of(x, 2), x, y)
    end function nn_dense_forward

    ! Shape checks shared by the two backward passes. NOTE: the callers
    ! check dx themselves: passing an absent optional contiguous array on
    ! to another optional dummy makes gfortran 12 load through a null
    ! pointer (-fsanitize=undefined reports it).
    function check_backward(fn, layer, x, d, dname) result(status)
        character(len=*), intent(in) :: fn         ! the call
        type(nn_dense_t), intent(in) :: layer       ! the layer
        real(c_double), intent(in) :: x(:, :)       ! (inputs, batch)
        real(c_double), intent(in) :: d(:, :)       ! (units, batch)
        character(len=*), intent(in) :: dname       ! "dy" or "dz"
        integer(c_int) :: status                    ! NN_OK or failure

        status = check_handle(layer%p, fn, 'layer')
        if (status == NN_OK) status = check_size(fn, 'size(x, 1)', &
            dim_of(x, 1), nn_dense_inputs_c(layer%p), "the layer's inputs")
        if (status == NN_OK) status = check_batch(fn, dname, d, &
            nn_dense_units_c(layer%p), "the layer's units", dim_of(x, 2))
    end function check_backward

    ! The backward pass from dL/dy. x and y are the forward pass's input
    ! and output; on return dy holds dL/dz, the layer's gradients hold
    ! dL/dW and dL/db, and dx (if present) dL/dx. Returns NN_OK, NN_EINVAL,
    ! NN_ESHAPE, NN_ERANGE or NN_ESTATE; nothing is written on failure.
    function nn_dense_backward(layer, x, y, dy, dx) result(status)
        type(nn_dense_t), intent(inout) :: layer    ! gradients change
        real(c_double), intent(in), contiguous :: x(:, :)   ! (inputs, batch)
        real(c_double), intent(in), contiguous :: y(:, :)   ! (units, batch)
        real(c_double), intent(inout), contiguous :: dy(:, :)   ! (units, b)
        real(c_double), intent(inout), optional, contiguous, target :: &
            dx(:, :)                                ! (inputs, batch)
        integer(c_int) :: status                    ! NN_OK or failure
        character(len=*), parameter :: fn = 'nn_dense_backward'
        type(c_ptr) :: pdx                          ! dx or NULL

        status = check_backward(fn, layer, x, dy, 'dy')
        if (status == NN_OK) status = check_batch(fn, 'y', y, &
            nn_dense_units_c(layer%p), "the layer's units", dim_of(x, 2))
        pdx = c_null_ptr
        if (present(dx)) then
            if (status == NN_OK) status = check_batch(fn, 'dx', dx, &
                nn_dense_inputs_c(layer%p), "the layer's inputs", dim_of(x, 2))
            pdx = c_loc(dx)
        end if
        if (status /= NN_OK) return

        status = nn_dense_backward_c(layer%p, dim_of(x, 2), x, y, dy, pdx)
    end function nn_dense_backward

    ! The backward pass from dL/dz (the gradient before the activation),
    ! as fused losses give it; dz is only read. Otherwise as
    ! nn_dense_backward.
    function nn_dense_backward_preact(layer, x, dz, dx) result(status)
        type(nn_dense_t), intent(inout) :: layer    ! gradients change
        real(c_double), intent(in), contiguous :: x(:, :)   ! (inputs, batch)
        real(c_double), intent(in), contiguous :: dz(:, :)  ! (units, batch)
        real(c_double), intent(inout), optional, contiguous, target :: &
            dx(:, :)                                ! (inputs, batch)
        integer(c_int) :: status                    ! NN_OK or failure
        character(len=*), parameter :: fn = 'nn_dense_backward_preact'
        type(c_ptr) :: pdx                          ! dx or NULL

        status = check_backward(fn, layer, x, dz, 'dz')
        pdx = c_null_ptr
        if (present(dx)) then
            if (status == NN_OK) status = check_batch(fn, 'dx', dx, &
                nn_dense_inputs_c(layer%p), "the layer's inputs", dim_of(x, 2))
            pdx = c_loc(dx)
        end if
        if (status /= NN_OK) return

        status = nn_dense_backward_preact_c(layer%p, dim_of(x, 2), x, dz, pdx)
    end function nn_dense_backward_preact

    ! ==================================================================
    ! The sequential model: building

    ! Creates an empty model for samples of `inputs` features. Returns
    ! NN_OK, NN_EINVAL (inputs < 1), NN_ERANGE or NN_ENOMEM. A model
    ! already in the handle is not freed: free it first.
    function nn_model_new(model, inputs) result(status)
        type(nn_model_t), intent(out) :: model      ! the new model
        integer, intent(in) :: inputs               ! features per sample
        integer(c_int) :: status                    ! NN_OK or failure

        status = nn_model_new_c(model%p, int(inputs, c_int64_t))
    end function nn_model_new

    ! Releases a model and sets the handle to null.
    subroutine nn_model_free(model)
        type(nn_model_t), intent(inout) :: model    ! freed, then null

        call nn_model_free_c(model%p)
        model%p = c_null_ptr
    end subroutine nn_model_free

    function model_set_seed_i32(model, seed) result(status)
        type(nn_model_t), intent(inout) :: model    ! the model
        integer(c_int32_t), intent(in) :: seed      ! any value
        integer(c_int) :: status                    ! NN_OK or NN_EINVAL

        status = model_set_seed_i64(model, int(seed, c_int64_t))
    end function model_set_seed_i32

    ! Seeds the model's generator; call it before nn_model_compile to
    ! choose the initial weights.
    function model_set_seed_i64(model, seed) result(status)
        type(nn_model_t), intent(inout) :: model    ! the model
        integer(c_int64_t), intent(in) :: seed      ! any value
        integer(c_int) :: status                    ! NN_OK or NN_EINVAL

        status = check_handle(model%p, 'nn_model_set_seed', 'model')
        if (status /= NN_OK) return
        status = nn_model_set_seed_c(model%p, seed)
    end function model_set_seed_i64

    ! Appends a dense layer. Without optional arguments it is C's
    ! nn_model_add_dense; with any, the settings start from
    ! nn_dense_opts_init and take the given values. Returns NN_OK,
    ! NN_EINVAL, NN_ESTATE or NN_ENOMEM; the model is unchanged on failure.
    function model_add_dense_args(model, units, activation, use_bias, &
                                  slope, kernel_init, kernel_param, &
                                  bias_init, bias_param) result(status)
        type(nn_model_t), intent(inout) :: model    ! the model
        integer, intent(in) :: units                ! outputs
        integer(c_int), intent(in) :: activation    ! NN_ACTIVATION_*
        logical, intent(in), optional :: use_bias   ! default .true.
        real(c_double), intent(in), optional :: slope   ! leaky relu
        integer(c_int), intent(in), optional :: kernel_init ! NN_INIT_*
        real(c_double), intent(in), optional :: kernel_param    ! its param
        integer(c_int), intent(in), optional :: bias_init   ! NN_INIT_*
        real(c_double), intent(in), optional :: bias_param  ! its param
        integer(c_int) :: status                    ! NN_OK or failure

        status = check_handle(model%p, 'nn_model_add_dense', 'model')
        if (status /= NN_OK) return

        if (present(use_bias) .or. present(slope) .or. present(kernel_init) &
                .or. present(kernel_param) .or. present(bias_init) &
                .or. present(bias_param)) then
            status = nn_model_add_dense_opts_c(model%p, dense_opts(units, &
                activation, use_bias, slope, kernel_init, kernel_param, &
                bias_init, bias_param))
        else
            status = nn_model_add_dense_c(model%p, int(units, c_int64_t), &
                                          activation)
        end if
    end function model_add_dense_args

    function model_add_dense_opts(model, opts) result(status)
        type(nn_model_t), intent(inout) :: model    ! the model
        type(nn_dense_opts), intent(in) :: opts     ! the layer's settings
        integer(c_int) :: status                    ! NN_OK or failure

        status = check_handle(model%p, 'nn_model_add_dense_opts', 'model')
        if (status /= NN_OK) return
        status = nn_model_add_dense_opts_c(model%p, opts)
    end function model_add_dense_opts

    ! Appends inverted dropout with rate in [0, 1).
    function nn_model_add_dropout(model, rate) result(status)
        type(nn_model_t), intent(inout) :: model    ! the model
        real(c_double), intent(in) :: rate          ! fraction dropped
        integer(c_int) :: status                    ! NN_OK or failure

        status = check_handle(model%p, 'nn_model_add_dropout', 'model')
        if (status /= NN_OK) return
        status = nn_model_add_dropout_c(model%p, rate)
    end function nn_model_add_dropout

    ! Chooses the loss, the optimizer (absent: RMSprop with its defaults,
    ! as in Keras) and the metrics (NN_METRIC_* values, at most
    ! NN_MAX_METRICS). Returns NN_OK, NN_EINVAL, NN_ESTATE or NN_ENOMEM.
    function nn_model_compile(model, loss, optim, metrics) result(status)
        type(nn_model_t), intent(inout) :: model    ! the model
        integer(c_int), intent(in) :: loss          ! NN_LOSS_*
        type(nn_optim_opts), intent(in), optional, target :: optim ! settings
        integer(c_int), intent(in), optional :: metrics(:)  ! NN_METRIC_*
        integer(c_int) :: status                    ! NN_OK or failure
        integer(c_int) :: m(NN_MAX_METRICS + 1)     ! contiguous copy
        integer(c_int64_t) :: n                     ! metrics given
        type(c_ptr) :: po                           ! optim or NULL

        status = check_handle(model%p, 'nn_model_compile', 'model')
        if (status /= NN_OK) return

        ! More than C accepts still reaches C, which says what is wrong.
        m = 0
        n = 0
        if (present(metrics)) then
            n = size(metrics, kind=c_int64_t)
            m(1:min(size(metrics), size(m))) = &
                metrics(1:min(size(metrics), size(m)))
            n = min(n, int(size(m), c_int64_t))
        end if
        po = c_null_ptr
        if (present(optim)) po = c_loc(optim)
        status = nn_model_compile_c(model%p, loss, po, m, n)
    end function nn_model_compile

    ! ==================================================================
    ! The sequential model: training and inference. x is (inputs, n) and
    ! y (outputs, n): one sample per column.

    ! Shape checks of x and y against the model, in Fortran terms.
    function check_xy(fn, model, x, y, yname) result(status)
        character(len=*), intent(in) :: fn, yname   ! call, "y" or "out"
        type(nn_model_t), intent(in) :: model       ! the model
        real(c_double), intent(in) :: x(:, :)       ! (inputs, n)
        real(c_double), intent(in) :: y(:, :)       ! (outputs, n)
        integer(c_int) :: status                    ! NN_OK or failure

        status = check_handle(model%p, fn, 'model')
        if (status == NN_OK) status = check_size(fn, 'size(x, 1)', &
            dim_of(x, 1), nn_model_input_width_c(model%p), &
            "the model's inputs; x is x(features, samples)")
        if (status == NN_OK) status = check_batch(fn, yname, y, &
            nn_model_output_width_c(model%p), "the model's outputs", &
            dim_of(x, 2))
    end function check_xy

    ! Trains on the samples of x and y. The settings start from opts if
    ! given, else from nn_fit_opts_init, and the optional arguments
    ! override them: epochs, batch_size, verbose (0 silent, 1 a line per
    ! epoch on stderr), shuffle, validation_split (the fraction of samples
    ! held out from the END of x and y), or explicit validation data
    ! x_val(inputs, n_val) and y_val(outputs, n_val), and the monitor
    ! series of early stopping. history, if present, receives the record
    ! of the fit (free it with nn_history_free), also when training
    ! stopped with NN_EDIVERGED or NN_ESTOPPED. Returns NN_OK, NN_EINVAL,
    ! NN_ESTATE, NN_ESHAPE, NN_ENONFINITE, NN_EDIVERGED, NN_ESTOPPED or
    ! NN_ENOMEM, as nn_model_fit in C.
    function nn_model_fit(model, x, y, epochs, batch_size, verbose, shuffle, &
                          validation_split, x_val, y_val, monitor, opts, &
                          history) result(status)
        type(nn_model_t), intent(inout) :: model    ! a compiled model
        real(c_double), intent(in), contiguous :: x(:, :)   ! (inputs, n)
        real(c_double), intent(in), contiguous :: y(:, :)   ! (outputs, n)
        integer, intent(in), optional :: epochs     ! passes over the data
        integer, intent(in), optional :: batch_size ! samples per step
        integer, intent(in), optional :: verbose    ! 0 or 1
        logical, intent(in), optional :: shuffle    ! reorder each epoch
        real(c_double), intent(in), optional :: validation_split ! [0, 1)
        real(c_double), intent(in), optional, contiguous, target :: &
            x_val(:, :)                             ! (inputs, n_val)
        real(c_double), intent(in), optional, contiguous, target :: &
            y_val(:, :)                             ! (outputs, n_val)
        character(len=*), intent(in), optional :: monitor   ! series name
        type(nn_fit_opts), intent(in), optional :: opts ! starting settings
        type(nn_history_t), intent(out), optional :: history ! the record
        integer(c_int) :: status                    ! NN_OK or failure
        character(len=*), parameter :: fn = 'nn_model_fit'
        type(nn_fit_opts) :: o                      ! settings given to C
        character(kind=c_char), allocatable, target :: cmonitor(:) ! name
        type(c_ptr), target :: h                    ! receives the history
        type(c_ptr) :: ph                           ! &h or NULL

        status = check_xy(fn, model, x, y, 'y')
        if (status /= NN_OK) return
        if (present(x_val) .neqv. present(y_val)) then
            status = fail(NN_EINVAL, fn // ': give both x_val and y_val, ' // &
                          'or neither')
            return
        end if

        if (present(opts)) then
            o = opts
        else
            status = nn_fit_opts_init_c(o)
        end if
        if (present(epochs)) o%epochs = int(epochs, c_int64_t)
        if (present(batch_size)) o%batch_size = int(batch_size, c_int64_t)
        if (present(verbose)) o%verbose = int(verbose, c_int64_t)
        if (present(shuffle)) o%shuffle = flag(shuffle)
        if (present(validation_split)) o%validation_split = validation_split
        if (present(monitor)) then
            call c_chars(monitor, cmonitor)
            o%monitor = c_loc(cmonitor)
        end if

        ! Explicit validation data: same widths as x and y, C trusts them.
        if (present(x_val)) then
            status = check_size(fn, 'size(x_val, 1)', dim_of(x_val, 1), &
                                dim_of(x, 1), 'size(x, 1)')
            if (status == NN_OK) status = check_size(fn, 'size(y_val, 1)', &
                dim_of(y_val, 1), dim_of(y, 1), 'size(y, 1)')
            if (status == NN_OK) status = check_size(fn, 'size(y_val, 2)', &
                dim_of(y_val, 2), dim_of(x_val, 2), 'size(x_val, 2)')
            if (status /= NN_OK) return
            o%x_val = c_loc(x_val)
            o%y_val = c_loc(y_val)
            o%n_val = dim_of(x_val, 2)
        end if

        h = c_null_ptr
        ph = c_null_ptr
        if (present(history)) ph = c_loc(h)
        status = nn_model_fit_c(model%p, dim_of(x, 2), dim_of(x, 1), &
                                dim_of(y, 1), x, y, o, ph)
        if (present(history)) history%p = h
    end function nn_model_fit

    ! One training step on one batch (forward, loss, backward, update),
    ! without shuffling or checks for NaN. loss, if present, gets the batch
    ! loss before the update. Returns as nn_model_train_batch in C.
    function nn_model_train_batch(model, x, y, loss) result(status)
        type(nn_model_t), intent(inout) :: model    ! a compiled model
        real(c_double), intent(in), contiguous :: x(:, :)   ! (inputs, b)
        real(c_double), intent(in), contiguous :: y(:, :)   ! (outputs, b)
        real(c_double), intent(inout), optional :: loss ! batch loss
        integer(c_int) :: status                    ! NN_OK or failure
        real(c_double) :: value                     ! the loss from C

        status = check_xy('nn_model_train_batch', model, x, y, 'y')
        if (status /= NN_OK) return
        value = 0
        status = nn_model_train_batch_c(model%p, dim_of(x, 2), dim_of(x, 1), &
                                        dim_of(y, 1), x, y, value)
        if (status == NN_OK .and. present(loss)) loss = value
    end function nn_model_train_batch

    ! Runs the model on the samples of x: out(:, i) is the prediction for
    ! x(:, i). Dropout is off. Returns NN_OK, NN_EINVAL, NN_ESTATE,
    ! NN_ESHAPE, NN_ENONFINITE or NN_ENOMEM; out is untouched on failure.
    function nn_model_predict(model, x, out) result(status)
        type(nn_model_t), intent(in) :: model       ! a compiled model
        real(c_double), intent(in), contiguous :: x(:, :)   ! (inputs, n)
        real(c_double), intent(inout), contiguous :: out(:, :) ! (outputs, n)
        integer(c_int) :: status                    ! NN_OK or failure

        status = check_xy('nn_model_predict', model, x, out, 'out')
        if (status /= NN_OK) return
        status = nn_model_predict_c(model%p, dim_of(x, 2), dim_of(x, 1), &
                                    dim_of(out, 1), x, out)
    end function nn_model_predict

    ! The loss and, if metrics is present, one value per compiled metric
    ! in compile order (metrics needs at least nn_model_metric_count
    ! entries; the rest are left alone). Dropout is off. Returns as
    ! nn_model_predict, and NN_ENONFINITE for NaN or Inf in y.
    function nn_model_evaluate(model, x, y, loss, metrics) result(status)
        type(nn_model_t), intent(in) :: model       ! a compiled model
        real(c_double), intent(in), contiguous :: x(:, :)   ! (inputs, n)
        real(c_double), intent(in), contiguous :: y(:, :)   ! (outputs, n)
        real(c_double), intent(inout) :: loss       ! mean loss
        real(c_double), intent(inout), optional :: metrics(:)   ! (>= count)
        integer(c_int) :: status                    ! NN_OK or failure
        character(len=*), parameter :: fn = 'nn_model_evaluate'
        real(c_double) :: m(NN_MAX_METRICS)         ! C's metric values
        real(c_double) :: value                     ! C's loss
        integer(c_int64_t) :: count                 ! compiled metrics

        status = check_xy(fn, model, x, y, 'y')
        if (status /= NN_OK) return
        count = min(nn_model_metric_count_c(model%p), &
                    int(NN_MAX_METRICS, c_int64_t))
        if (present(metrics)) then
            if (size(metrics, kind=c_int64_t) < count) then
                status = fail(NN_ESHAPE, fn // ': size(metrics) is ' // &
                              str(size(metrics, kind=c_int64_t)) // &
                              ' but the model computes ' // str(count) // &
                              ' metrics')
                return
            end if
        end if

        m = 0
        value = 0
        status = nn_model_evaluate_c(model%p, dim_of(x, 2), dim_of(x, 1), &
                                     dim_of(y, 1), x, y, value, m)
        if (status /= NN_OK) return
        loss = value
        if (present(metrics)) metrics(1:count) = m(1:count)
    end function nn_model_evaluate

    ! ==================================================================
    ! The sequential model: inspection

    ! The Keras-like summary table. With text present it is returned
    ! there (lines end in achar(10)); otherwise it is printed on unit
    ! (default: standard output) through Fortran I/O, so it stays in
    ! order with the program's own output. Returns NN_OK or NN_EINVAL.
    function nn_model_summary(model, text, unit) result(status)
        type(nn_model_t), intent(in) :: model       ! any model
        character(len=:), allocatable, intent(out), optional :: text
                                                    ! the table
        integer, intent(in), optional :: unit       ! Fortran unit
        integer(c_int) :: status                    ! NN_OK or failure
        character(kind=c_char), allocatable, target :: buf(:)  ! table, NUL
        character(len=:), allocatable :: s          ! the table
        integer(c_int64_t) :: needed, cap, i        ! length, +NUL, index
        integer :: first, u                         ! line start, unit

        status = check_handle(model%p, 'nn_model_summary', 'model')
        if (status /= NN_OK) return
        needed = 0
        status = nn_model_summary_str_c(model%p, c_null_ptr, 0_c_int64_t, &
                                        needed)
        if (status /= NN_OK) return
        ! NOTE: needed is an intent(out) argument, so its value goes to
        ! the size argument through another variable.
        cap = needed + 1
        allocate(buf(cap))
        status = nn_model_summary_str_c(model%p, c_loc(buf), cap, needed)
        if (status /= NN_OK) return

        allocate(character(len=needed) :: s)
        do i = 1, needed
            s(i:i) = buf(i)
        end do
        if (present(text)) then
            call move_alloc(s, text)
            return
        end if
        u = output_unit
        if (present(unit)) u = unit
        first = 1
        do while (first <= len(s))
            i = index(s(first:), achar(10))
            if (i == 0) i = len(s) - first + 2
            write(u, '(a)') s(first:first + i - 2)
            first = first + int(i)
        end do
    end function nn_model_summary

    ! Layers, input width, output width, parameters (0 for a null handle).
    function nn_model_layer_count(model) result(n)
        type(nn_model_t), intent(in) :: model       ! the model
        integer(c_int64_t) :: n                     ! layers

        n = nn_model_layer_count_c(model%p)
    end function nn_model_layer_count

    function nn_model_input_width(model) result(n)
        type(nn_model_t), intent(in) :: model       ! the model
        integer(c_int64_t) :: n                     ! features per sample

        n = nn_model_input_width_c(model%p)
    end function nn_model_input_width

    function nn_model_output_width(model) result(n)
        type(nn_model_t), intent(in) :: model       ! the model
        integer(c_int64_t) :: n                     ! outputs per sample

        n = nn_model_output_width_c(model%p)
    end function nn_model_output_width

    function nn_model_param_count(model) result(n)
        type(nn_model_t), intent(in) :: model       ! the model
        integer(c_int64_t) :: n                     ! parameters

        n = nn_model_param_count_c(model%p)
    end function nn_model_param_count

    ! .true. once the model is compiled.
    function nn_model_is_compiled(model) result(yes)
        type(nn_model_t), intent(in) :: model       ! the model
        logical :: yes                              ! compiled?

        yes = nn_model_is_compiled_c(model%p) /= 0
    end function nn_model_is_compiled

    ! The compiled loss (NN_LOSS_*), -1 before compile.
    function nn_model_loss(model) result(loss)
        type(nn_model_t), intent(in) :: model       ! the model
        integer(c_int) :: loss                      ! NN_LOSS_* or -1

        loss = nn_model_loss_c(model%p)
    end function nn_model_loss

    ! Number of compiled metrics.
    function nn_model_metric_count(model) result(n)
        type(nn_model_t), intent(in) :: model       ! the model
        integer(c_int64_t) :: n                     ! metrics

        n = nn_model_metric_count_c(model%p)
    end function nn_model_metric_count

    ! Keras's name of a metric ("binary_accuracy"), or "unknown".
    function nn_metric_name(metric) result(s)
        integer(c_int), intent(in) :: metric        ! NN_METRIC_*
        character(len=:), allocatable :: s          ! its name

        s = f_string(nn_metric_name_c(metric))
    end function nn_metric_name

    ! The model's parameter array (see nnblas/model.h for the layout),
    ! checked and resolved for the two copy calls below.
    function params_view(fn, model, n, view) result(status)
        character(len=*), intent(in) :: fn         ! the call
        type(nn_model_t), intent(in) :: model       ! the model
        integer(c_int64_t), intent(in) :: n         ! caller's array size
        real(c_double), pointer, intent(out) :: view(:) ! the C array
        integer(c_int) :: status                    ! NN_OK or failure

        view => null()
        status = check_handle(model%p, fn, 'model')
        if (status /= NN_OK) return
        if (.not. c_associated(nn_model_params_c(model%p))) then
            status = fail(NN_ESTATE, fn // ': the model is not compiled ' // &
                          'yet; the parameters exist from nn_model_compile on')
            return
        end if
        status = check_size(fn, 'size(params)', n, &
                            nn_model_param_count_c(model%p), &
                            'nn_model_param_count')
        if (status /= NN_OK) return
        call c_f_pointer(nn_model_params_c(model%p), view, [n])
    end function params_view

    ! Copies every parameter of the model into params, layer after layer,
    ! each dense layer's w(units, inputs) then its b. Returns NN_OK,
    ! NN_EINVAL, NN_ESTATE (not compiled) or NN_ESHAPE (size(params) is
    ! not nn_model_param_count).
    function nn_model_params_get(model, params) result(status)
        type(nn_model_t), intent(in) :: model       ! a compiled model
        real(c_double), intent(inout) :: params(:)  ! (param count)
        integer(c_int) :: status                    ! NN_OK or failure
        real(c_double), pointer :: view(:)          ! the C array

        status = params_view('nn_model_params_get', model, &
                             size(params, kind=c_int64_t), view)
        if (status == NN_OK) params = view
    end function nn_model_params_get

    ! Sets every parameter of the model from params (layout as above).
    function nn_model_params_set(model, params) result(status)
        type(nn_model_t), intent(inout) :: model    ! a compiled model
        real(c_double), intent(in) :: params(:)     ! (param count)
        integer(c_int) :: status                    ! NN_OK or failure
        real(c_double), pointer :: view(:)          ! the C array

        status = params_view('nn_model_params_set', model, &
                             size(params, kind=c_int64_t), view)
        if (status == NN_OK) view = params
    end function nn_model_params_set

    ! Describes layer `index` (from 0, as in C). Returns NN_OK or
    ! NN_EINVAL.
    function nn_model_layer_info(model, index, info) result(status)
        type(nn_model_t), intent(in) :: model       ! the model
        integer, intent(in) :: index                ! 0 .. count - 1
        type(nn_layer_info), intent(inout) :: info  ! filled on success
        integer(c_int) :: status                    ! NN_OK or NN_EINVAL

        status = check_handle(model%p, 'nn_model_layer_info', 'model')
        if (status /= NN_OK) return
        status = nn_model_layer_info_c(model%p, int(index, c_int64_t), info)
    end function nn_model_layer_info

    ! ==================================================================
    ! History of a fit

    ! Epochs recorded (0 for a null handle).
    function nn_history_epochs(history) result(n)
        type(nn_history_t), intent(in) :: history   ! the record
        integer(c_int64_t) :: n                     ! epochs

        n = nn_history_epochs_c(history%p)
    end function nn_history_epochs

    ! Number of series ("loss", each metric, their "val_" twins).
    function nn_history_series_count(history) result(n)
        type(nn_history_t), intent(in) :: history   ! the record
        integer(c_int64_t) :: n                     ! series

        n = nn_history_series_count_c(history%p)
    end function nn_history_series_count

    ! Name of series i (from 0), or "" when out of range.
    function nn_history_series_name(history, i) result(s)
        type(nn_history_t), intent(in) :: history   ! the record
        integer, intent(in) :: i                    ! 0 .. count - 1
        character(len=:), allocatable :: s          ! e.g. "val_loss"

        s = f_string(nn_history_series_name_c(history%p, int(i, c_int64_t)))
    end function nn_history_series_name

    ! A copy of the series `name`, one value per epoch. Returns NN_OK or
    ! NN_EINVAL (no such series; values is then not allocated).
    function nn_history_series(history, name, values) result(status)
        type(nn_history_t), intent(in) :: history   ! the record
        character(len=*), intent(in) :: name        ! e.g. "loss"
        real(c_double), allocatable, intent(out) :: values(:)   ! (epochs)
        integer(c_int) :: status                    ! NN_OK or NN_EINVAL
        character(len=*), parameter :: fn = 'nn_history_series'
        real(c_double), pointer :: view(:)          ! the C array
        type(c_ptr) :: p                            ! its address

        status = check_handle(history%p, fn, 'history')
        if (status /= NN_OK) return
        p = nn_history_series_c(history%p, trim(name) // c_null_char)
        if (.not. c_associated(p)) then
            status = fail(NN_EINVAL, fn // ': the history has no series "' &
                          // trim(name) // '"')
            return
        end if
        call c_f_pointer(p, view, [nn_history_epochs_c(history%p)])
        values = view
    end function nn_history_series

    ! One value: series `name` at epoch (from 0). Returns NN_OK or
    ! NN_EINVAL (no such series or epoch; value untouched).
    function nn_history_get(history, name, epoch, value) result(status)
        type(nn_history_t), intent(in) :: history   ! the record
        character(len=*), intent(in) :: name        ! e.g. "loss"
        integer(c_int64_t), intent(in) :: epoch     ! 0 .. epochs - 1
        real(c_double), intent(inout) :: value      ! the value
        integer(c_int) :: status                    ! NN_OK or NN_EINVAL

        status = check_handle(history%p, 'nn_history_get', 'history')
        if (status /= NN_OK) return
        status = nn_history_get_c(history%p, trim(name) // c_null_char, &
                                  epoch, value)
    end function nn_history_get

    ! Releases a history and sets the handle to null.
    subroutine nn_history_free(history)
        type(nn_history_t), intent(inout) :: history    ! freed, then null

        call nn_history_free_c(history%p)
        history%p = c_null_ptr
    end subroutine nn_history_free

    ! ==================================================================
    ! Files

    ! Saves a compiled model to path (trailing blanks dropped). Returns
    ! NN_OK, NN_EINVAL, NN_ESTATE, NN_EIO or NN_ENOMEM.
    function nn_model_save(model, path) result(status)
        type(nn_model_t), intent(in) :: model       ! a compiled model
        character(len=*), intent(in) :: path        ! file name
        integer(c_int) :: status                    ! NN_OK or failure

        status = check_handle(model%p, 'nn_model_save', 'model')
        if (status /= NN_OK) return
        status = nn_model_save_c(model%p, trim(path) // c_null_char)
    end function nn_model_save

    ! Loads a model saved by nn_model_save. Returns NN_OK, NN_EINVAL,
    ! NN_EIO, NN_EFORMAT, NN_ENOTSUP or NN_ENOMEM; the handle is null on
    ! failure. A model already in the handle is not freed.
    function nn_model_load(model, path) result(status)
        type(nn_model_t), intent(out) :: model      ! the loaded model
        character(len=*), intent(in) :: path        ! file name
        integer(c_int) :: status                    ! NN_OK or failure

        status = nn_model_load_c(model%p, trim(path) // c_null_char)
    end function nn_model_load

    ! The bytes nn_model_save would write, in a new array (to send a model
    ! over MPI, say). Returns NN_OK, NN_EINVAL, NN_ESTATE (not compiled)
    ! or NN_ENOMEM; bytes is not allocated on failure.
    function nn_model_save_mem(model, bytes) result(status)
        type(nn_model_t), intent(in) :: model       ! a compiled model
        integer(c_int8_t), allocatable, target, intent(out) :: bytes(:)
                                                    ! (file size)
        integer(c_int) :: status                    ! NN_OK or failure
        character(len=*), parameter :: fn = 'nn_model_save_mem'
        integer(c_int64_t) :: n, written            ! size, size again

        status = check_handle(model%p, fn, 'model')
        if (status /= NN_OK) return
        n = 0
        status = nn_model_save_mem_c(model%p, c_null_ptr, 0_c_int64_t, n)
        if (status /= NN_OK) return
        allocate(bytes(n), stat=status)
        if (status /= 0) then
            status = fail(NN_ENOMEM, fn // ': cannot allocate ' // str(n) // &
                          ' bytes')
            return
        end if
        status = nn_model_save_mem_c(model%p, c_loc(bytes), n, written)
        if (status /= NN_OK) deallocate(bytes)
    end function nn_model_save_mem

    ! Loads a model from the bytes of a model file. Returns as
    ! nn_model_load, without NN_EIO; the handle is null on failure.
    function nn_model_load_mem(model, bytes) result(status)
        type(nn_model_t), intent(out) :: model      ! the loaded model
        integer(c_int8_t), intent(in), contiguous :: bytes(:)   ! the file
        integer(c_int) :: status                    ! NN_OK or failure

        status = nn_model_load_mem_c(model%p, bytes, &
                                     size(bytes, kind=c_int64_t))
    end function nn_model_load_mem

end module nnblas
