! Every constant of the module equals the C header's value, every C
! constant has a twin here, and every bind(C) struct twin has the C
! struct's size and field offsets. The C values come from
! fortran_helper.c, compiled against the headers.
program test_fortran_constants
    use, intrinsic :: iso_c_binding
    use nnblas
    use nn_check
    implicit none

    interface
        function fh_constant(name, value) bind(C, name='fh_constant')
            import :: c_char, c_int, c_int64_t
            character(kind=c_char), intent(in) :: name(*)   ! const char *
            integer(c_int64_t), intent(out) :: value        ! int64_t *
            integer(c_int) :: fh_constant                   ! 1 if known
        end function fh_constant

        function fh_constant_unasked() bind(C, name='fh_constant_unasked')
            import :: c_ptr
            type(c_ptr) :: fh_constant_unasked              ! name or NULL
        end function fh_constant_unasked

        function fh_real_constant(name, value) &
                bind(C, name='fh_real_constant')
            import :: c_char, c_int, c_double
            character(kind=c_char), intent(in) :: name(*)   ! const char *
            real(c_double), intent(out) :: value            ! double *
            integer(c_int) :: fh_real_constant              ! 1 if known
        end function fh_real_constant

        function fh_layout(name) bind(C, name='fh_layout')
            import :: c_char, c_int64_t
            character(kind=c_char), intent(in) :: name(*)   ! const char *
            integer(c_int64_t) :: fh_layout                 ! bytes or -1
        end function fh_layout

        function fh_layout_unasked() bind(C, name='fh_layout_unasked')
            import :: c_ptr
            type(c_ptr) :: fh_layout_unasked                ! name or NULL
        end function fh_layout_unasked
    end interface

    call check_file('test_fortran_constants.F90')
    call test_enums()
    call test_reals()
    call test_layouts()
    call check_done()

contains

    ! One integer constant against C.
    subroutine expect(name, value)
        character(len=*), intent(in) :: name        ! the C name
        integer(c_int), intent(in) :: value         ! the module's value
        integer(c_int64_t) :: c_value               ! the header's value
        character(len=24) :: buf                    ! both, for the message

        c_value = -999
        if (fh_constant(name // c_null_char, c_value) /= 1) then
            call check(.false., __LINE__, name // ' is unknown to C')
            return
        end if
        write(buf, '(i0, " vs C ", i0)') value, c_value
        call check(int(value, c_int64_t) == c_value, __LINE__, &
                   name // ': ' // trim(buf))
    end subroutine expect

    subroutine test_enums()
        call expect('NN_OK', NN_OK)
        call expect('NN_EINVAL', NN_EINVAL)
        call expect('NN_ESHAPE', NN_ESHAPE)
        call expect('NN_ERANGE', NN_ERANGE)
        call expect('NN_ENOMEM', NN_ENOMEM)
        call expect('NN_ENONFINITE', NN_ENONFINITE)
        call expect('NN_EDIVERGED', NN_EDIVERGED)
        call expect('NN_ESTATE', NN_ESTATE)
        call expect('NN_ESTOPPED', NN_ESTOPPED)
        call expect('NN_EIO', NN_EIO)
        call expect('NN_EFORMAT', NN_EFORMAT)
        call expect('NN_ENOTSUP', NN_ENOTSUP)
        call expect('NN_EINTERNAL', NN_EINTERNAL)

        call expect('NN_ACTIVATION_IDENTITY', NN_ACTIVATION_IDENTITY)
        call expect('NN_ACTIVATION_SIGMOID', NN_ACTIVATION_SIGMOID)
        call expect('NN_ACTIVATION_TANH', NN_ACTIVATION_TANH)
        call expect('NN_ACTIVATION_RELU', NN_ACTIVATION_RELU)
        call expect('NN_ACTIVATION_LEAKY_RELU', NN_ACTIVATION_LEAKY_RELU)
        call expect('NN_ACTIVATION_SOFTMAX', NN_ACTIVATION_SOFTMAX)

        call expect('NN_LOSS_MSE', NN_LOSS_MSE)
        call expect('NN_LOSS_MAE', NN_LOSS_MAE)
        call expect('NN_LOSS_BCE', NN_LOSS_BCE)
        call expect('NN_LOSS_BCE_LOGITS', NN_LOSS_BCE_LOGITS)
        call expect('NN_LOSS_CCE', NN_LOSS_CCE)
        call expect('NN_LOSS_CCE_LOGITS', NN_LOSS_CCE_LOGITS)

        call expect('NN_OPTIM_SGD', NN_OPTIM_SGD)
        call expect('NN_OPTIM_ADAM', NN_OPTIM_ADAM)
        call expect('NN_OPTIM_ADAMW', NN_OPTIM_ADAMW)
        call expect('NN_OPTIM_RMSPROP', NN_OPTIM_RMSPROP)
        call expect('NN_OPTIM_ADAGRAD', NN_OPTIM_ADAGRAD)

        call expect('NN_SCHEDULE_CONSTANT', NN_SCHEDULE_CONSTANT)
        call expect('NN_SCHEDULE_STEP', NN_SCHEDULE_STEP)
        call expect('NN_SCHEDULE_EXPONENTIAL', NN_SCHEDULE_EXPONENTIAL)
        call expect('NN_SCHEDULE_COSINE', NN_SCHEDULE_COSINE)

        call expect('NN_METRIC_BINARY_ACCURACY', NN_METRIC_BINARY_ACCURACY)
        call expect('NN_METRIC_CATEGORICAL_ACCURACY', &
                    NN_METRIC_CATEGORICAL_ACCURACY)
        call expect('NN_METRIC_MSE', NN_METRIC_MSE)
        call expect('NN_METRIC_MAE', NN_METRIC_MAE)

        call expect('NN_INIT_ZEROS', NN_INIT_ZEROS)
        call expect('NN_INIT_ONES', NN_INIT_ONES)
        call expect('NN_INIT_CONSTANT', NN_INIT_CONSTANT)
        call expect('NN_INIT_UNIFORM', NN_INIT_UNIFORM)
        call expect('NN_INIT_NORMAL', NN_INIT_NORMAL)
        call expect('NN_INIT_GLOROT_UNIFORM', NN_INIT_GLOROT_UNIFORM)
        call expect('NN_INIT_GLOROT_NORMAL', NN_INIT_GLOROT_NORMAL)
        call expect('NN_INIT_HE_UNIFORM', NN_INIT_HE_UNIFORM)
        call expect('NN_INIT_HE_NORMAL', NN_INIT_HE_NORMAL)
        call expect('NN_INIT_LECUN_UNIFORM', NN_INIT_LECUN_UNIFORM)
        call expect('NN_INIT_LECUN_NORMAL', NN_INIT_LECUN_NORMAL)
        call expect('NN_INIT_ORTHOGONAL', NN_INIT_ORTHOGONAL)

        call expect('NN_LAYER_DENSE', NN_LAYER_DENSE)
        call expect('NN_LAYER_DROPOUT', NN_LAYER_DROPOUT)

        call expect('NN_MAX_METRICS', NN_MAX_METRICS)
        call expect('NN_MAX_LAYERS', NN_MAX_LAYERS)

        ! A constant added to C's list needs its twin in the module.
        call check(.not. c_associated(fh_constant_unasked()), __LINE__, &
                   'C has a constant this test does not compare')
    end subroutine test_enums

    subroutine test_reals()
        real(c_double) :: c_value                   ! the header's value

        c_value = -1
        call check(fh_real_constant('NN_LEAKY_SLOPE_DEFAULT' // c_null_char, &
                                    c_value) == 1, __LINE__)
        call check_bits([NN_LEAKY_SLOPE_DEFAULT], [c_value], __LINE__, &
                        'NN_LEAKY_SLOPE_DEFAULT')
        call check(fh_real_constant('NN_LOSS_EPSILON' // c_null_char, &
                                    c_value) == 1, __LINE__)
        call check_bits([NN_LOSS_EPSILON], [c_value], __LINE__, &
                        'NN_LOSS_EPSILON')
    end subroutine test_reals

    ! Size of a struct or offset of a field, against C.
    subroutine expect_layout(name, base, field)
        character(len=*), intent(in) :: name        ! "type" or "type.field"
        type(c_ptr), intent(in) :: base, field      ! struct, field (or end)
        integer(c_int64_t) :: offset, c_offset      ! bytes
        character(len=32) :: buf                    ! both, for the message

        offset = transfer(field, 0_c_intptr_t) - transfer(base, 0_c_intptr_t)
        c_offset = fh_layout(name // c_null_char)
        write(buf, '(i0, " vs C ", i0)') offset, c_offset
        call check(offset == c_offset, __LINE__, name // ': ' // trim(buf))
    end subroutine expect_layout

    subroutine test_layouts()
        type(nn_dense_opts), target :: d(2)         ! [1] measured, [2] end
        type(nn_optim_opts), target :: o(2)         ! same
        type(nn_fit_opts), target :: f(2)           ! same
        type(nn_layer_info), target :: l(2)         ! same
        type(nn_rng), target :: r(2)                ! same

        ! The distance to the next array element is the struct's size.
        call expect_layout('nn_dense_opts', c_loc(d(1)), c_loc(d(2)))
        call expect_layout('nn_dense_opts.units', c_loc(d(1)), &
                           c_loc(d(1)%units))
        call expect_layout('nn_dense_opts.activation', c_loc(d(1)), &
                           c_loc(d(1)%activation))
        call expect_layout('nn_dense_opts.use_bias', c_loc(d(1)), &
                           c_loc(d(1)%use_bias))
        call expect_layout('nn_dense_opts.slope', c_loc(d(1)), &
                           c_loc(d(1)%slope))
        call expect_layout('nn_dense_opts.kernel_init', c_loc(d(1)), &
                           c_loc(d(1)%kernel_init))
        call expect_layout('nn_dense_opts.kernel_param', c_loc(d(1)), &
                           c_loc(d(1)%kernel_param))
        call expect_layout('nn_dense_opts.bias_init', c_loc(d(1)), &
                           c_loc(d(1)%bias_init))
        call expect_layout('nn_dense_opts.bias_param', c_loc(d(1)), &
                           c_loc(d(1)%bias_param))

        call expect_layout('nn_optim_opts', c_loc(o(1)), c_loc(o(2)))
        call expect_layout('nn_optim_opts.kind', c_loc(o(1)), &
                           c_loc(o(1)%kind))
        call expect_layout('nn_optim_opts.lr', c_loc(o(1)), c_loc(o(1)%lr))
        call expect_layout('nn_optim_opts.momentum', c_loc(o(1)), &
                           c_loc(o(1)%momentum))
        call expect_layout('nn_optim_opts.nesterov', c_loc(o(1)), &
                           c_loc(o(1)%nesterov))
        call expect_layout('nn_optim_opts.beta1', c_loc(o(1)), &
                           c_loc(o(1)%beta1))
        call expect_layout('nn_optim_opts.beta2', c_loc(o(1)), &
                           c_loc(o(1)%beta2))
        call expect_layout('nn_optim_opts.epsilon', c_loc(o(1)), &
                           c_loc(o(1)%epsilon))
        call expect_layout('nn_optim_opts.weight_decay', c_loc(o(1)), &
                           c_loc(o(1)%weight_decay))
        call expect_layout('nn_optim_opts.rho', c_loc(o(1)), c_loc(o(1)%rho))
        call expect_layout('nn_optim_opts.initial_accumulator', c_loc(o(1)), &
                           c_loc(o(1)%initial_accumulator))
        call expect_layout('nn_optim_opts.clip_value', c_loc(o(1)), &
                           c_loc(o(1)%clip_value))
        call expect_layout('nn_optim_opts.clip_norm', c_loc(o(1)), &
                           c_loc(o(1)%clip_norm))
        call expect_layout('nn_optim_opts.schedule', c_loc(o(1)), &
                           c_loc(o(1)%schedule))
        call expect_layout('nn_optim_opts.decay_steps', c_loc(o(1)), &
                           c_loc(o(1)%decay_steps))
        call expect_layout('nn_optim_opts.decay_rate', c_loc(o(1)), &
                           c_loc(o(1)%decay_rate))
        call expect_layout('nn_optim_opts.cosine_floor', c_loc(o(1)), &
                           c_loc(o(1)%cosine_floor))

        call expect_layout('nn_fit_opts', c_loc(f(1)), c_loc(f(2)))
        call expect_layout('nn_fit_opts.epochs', c_loc(f(1)), &
                           c_loc(f(1)%epochs))
        call expect_layout('nn_fit_opts.batch_size', c_loc(f(1)), &
                           c_loc(f(1)%batch_size))
        call expect_layout('nn_fit_opts.shuffle', c_loc(f(1)), &
                           c_loc(f(1)%shuffle))
        call expect_layout('nn_fit_opts.verbose', c_loc(f(1)), &
                           c_loc(f(1)%verbose))
        call expect_layout('nn_fit_opts.progress', c_loc(f(1)), &
                           c_loc(f(1)%progress))
        call expect_layout('nn_fit_opts.validation_split', c_loc(f(1)), &
                           c_loc(f(1)%validation_split))
        call expect_layout('nn_fit_opts.x_val', c_loc(f(1)), &
                           c_loc(f(1)%x_val))
        call expect_layout('nn_fit_opts.y_val', c_loc(f(1)), &
                           c_loc(f(1)%y_val))
        call expect_layout('nn_fit_opts.n_val', c_loc(f(1)), &
                           c_loc(f(1)%n_val))
        call expect_layout('nn_fit_opts.early_stopping', c_loc(f(1)), &
                           c_loc(f(1)%early_stopping))
        call expect_layout('nn_fit_opts.monitor', c_loc(f(1)), &
                           c_loc(f(1)%monitor))
        call expect_layout('nn_fit_opts.min_delta', c_loc(f(1)), &
                           c_loc(f(1)%min_delta))
        call expect_layout('nn_fit_opts.patience', c_loc(f(1)), &
                           c_loc(f(1)%patience))
        call expect_layout('nn_fit_opts.restore_best', c_loc(f(1)), &
                           c_loc(f(1)%restore_best))
        call expect_layout('nn_fit_opts.on_epoch', c_loc(f(1)), &
                           c_loc(f(1)%on_epoch))
        call expect_layout('nn_fit_opts.user', c_loc(f(1)), c_loc(f(1)%user))

        call expect_layout('nn_layer_info', c_loc(l(1)), c_loc(l(2)))
        call expect_layout('nn_layer_info.kind', c_loc(l(1)), &
                           c_loc(l(1)%kind))
        call expect_layout('nn_layer_info.inputs', c_loc(l(1)), &
                           c_loc(l(1)%inputs))
        call expect_layout('nn_layer_info.units', c_loc(l(1)), &
                           c_loc(l(1)%units))
        call expect_layout('nn_layer_info.activation', c_loc(l(1)), &
                           c_loc(l(1)%activation))
        call expect_layout('nn_layer_info.use_bias', c_loc(l(1)), &
                           c_loc(l(1)%use_bias))
        call expect_layout('nn_layer_info.param_offset', c_loc(l(1)), &
                           c_loc(l(1)%param_offset))
        call expect_layout('nn_layer_info.param_count', c_loc(l(1)), &
                           c_loc(l(1)%param_count))
        call expect_layout('nn_layer_info.rate', c_loc(l(1)), &
                           c_loc(l(1)%rate))

        call expect_layout('nn_rng', c_loc(r(1)), c_loc(r(2)))
        call expect_layout('nn_rng.state', c_loc(r(1)), c_loc(r(1)%state))

        call check(.not. c_associated(fh_layout_unasked()), __LINE__, &
                   'C has a struct field this test does not compare')
    end subroutine test_layouts

end program test_fortran_constants
