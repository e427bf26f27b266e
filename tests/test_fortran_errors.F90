! Failures through the module: status names, C messages reaching Fortran
! intact (long ones, odd bytes, the cut at the buffer's size), shape
! errors found on the Fortran side (NN_ESHAPE, a readable message that C
! and the log sink see too, outputs and models left alone), null handles,
! and C-side failures passed through the friendly wrappers.
program test_fortran_errors
    use, intrinsic :: iso_c_binding
    use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan
    use nnblas
    use nn_check
    implicit none

    interface
        function fh_last_error_equals(text, len) &
                bind(C, name='fh_last_error_equals')
            import :: c_char, c_int, c_int64_t
            character(kind=c_char), intent(in) :: text(*)   ! const char *
            integer(c_int64_t), value, intent(in) :: len    ! int64_t
            integer(c_int) :: fh_last_error_equals          ! 1 if equal
        end function fh_last_error_equals

        function fh_set_long_error(status) bind(C, name='fh_set_long_error')
            import :: c_int
            integer(c_int), value, intent(in) :: status     ! int
            integer(c_int) :: fh_set_long_error             ! status
        end function fh_set_long_error

        subroutine fh_log_capture(on) bind(C, name='fh_log_capture')
            import :: c_int
            integer(c_int), value, intent(in) :: on         ! 1 or 0
        end subroutine fh_log_capture

        function fh_log_count() bind(C, name='fh_log_count')
            import :: c_int
            integer(c_int) :: fh_log_count                  ! messages seen
        end function fh_log_count

        function fh_log_last_equals(text, len) &
                bind(C, name='fh_log_last_equals')
            import :: c_char, c_int, c_int64_t
            character(kind=c_char), intent(in) :: text(*)   ! const char *
            integer(c_int64_t), value, intent(in) :: len    ! int64_t
            integer(c_int) :: fh_log_last_equals            ! 1 if equal
        end function fh_log_last_equals
    end interface

    call check_file('test_fortran_errors.F90')
    call test_status_names()
    call test_c_message()
    call test_long_messages()
    call test_model_shapes()
    call test_dense_shapes()
    call test_null_handles()
    call test_c_side_failures()
    call check_done()

contains

    ! 1 if C's last error is exactly s.
    function c_sees(s) result(same)
        character(len=*), intent(in) :: s           ! expected message
        logical :: same                             ! C agrees

        same = fh_last_error_equals(s, len(s, kind=c_int64_t)) == 1
    end function c_sees

    ! A status check that also wants the message to contain `part`.
    subroutine check_failure(got, want, part, line)
        integer(c_int), intent(in) :: got, want     ! status codes
        character(len=*), intent(in) :: part        ! expected in message
        integer, intent(in) :: line                 ! __LINE__
        character(len=:), allocatable :: msg        ! the last error

        msg = nn_last_error_message()
        call check_status(got, want, line)
        call check(index(msg, part) > 0, line, 'the message "' // msg // &
                   '" does not contain "' // part // '"')
    end subroutine check_failure

    subroutine test_status_names()
        character(len=13), parameter :: names(0:12) = [character(len=13) :: &
            'NN_OK', 'NN_EINVAL', 'NN_ESHAPE', 'NN_ERANGE', 'NN_ENOMEM', &
            'NN_ENONFINITE', 'NN_EDIVERGED', 'NN_ESTATE', 'NN_ESTOPPED', &
            'NN_EIO', 'NN_EFORMAT', 'NN_ENOTSUP', 'NN_EINTERNAL']
        integer(c_int) :: code                      ! 0, -1, ..., -12

        do code = 0, -12, -1
            call check(nn_status_str(code) == trim(names(-code)), __LINE__, &
                       nn_status_str(code))
            call check(len(nn_status_meaning(code)) > 0, __LINE__)
        end do
        call check(nn_status_str(5_c_int) == 'NN_UNKNOWN', __LINE__)
        call check(nn_status_meaning(NN_ESHAPE) == 'array sizes disagree', &
                   __LINE__)
        call check(index(nn_version(), '.') > 1, __LINE__, nn_version())
    end subroutine test_status_names

    ! A message made by the C library arrives unchanged.
    subroutine test_c_message()
        type(nn_model_t) :: model                   ! never created
        character(len=:), allocatable :: msg        ! the last error

        call check_status(nn_model_new(model, 0), NN_EINVAL, __LINE__)
        call check(.not. c_associated(model%p), __LINE__)
        msg = nn_last_error_message()
        call check(index(msg, 'nn_model_new') == 1, __LINE__, msg)
        call check(c_sees(msg), __LINE__, 'the Fortran copy equals C''s')
    end subroutine test_c_message

    subroutine test_long_messages()
        character(len=:), allocatable :: msg, expect    ! got, wanted
        character(len=600) :: long                  ! past C's buffer
        integer :: i                                ! character

        ! fh_set_long_error's text: every printable character (%, \, quotes
        ! included), then a UTF-8 e acute.
        expect = 'c side: '
        i = 0
        do while (len(expect) < 470)
            expect = expect // achar(33 + mod(i * 7, 94))
            i = i + 1
        end do
        expect = expect // char(195) // char(169)
        call check_status(fh_set_long_error(NN_EIO), NN_EIO, __LINE__)
        msg = nn_last_error_message()
        call check(len(msg) == 472, __LINE__, 'length of the long message')
        call check(msg == expect, __LINE__, 'the long message, byte by byte')

        ! From Fortran: trailing blanks go, and C keeps 511 bytes.
        do i = 1, 600
            long(i:i) = achar(iachar('a') + mod(i, 26))
        end do
        call check_status(nn_last_error_set(NN_EINVAL, long), NN_EINVAL, &
                          __LINE__)
        msg = nn_last_error_message()
        call check(len(msg) == 511 .and. msg == long(1:511), __LINE__, &
                   'a message past the buffer is cut at 511 bytes')
        call check_status(nn_last_error_set(NN_EIO, 'short   '), NN_EIO, &
                          __LINE__)
        msg = nn_last_error_message()
        call check(msg == 'short' .and. len(msg) == 5, __LINE__)

        call nn_last_error_clear()
        call check(len(nn_last_error_message()) == 0, __LINE__, 'cleared')
    end subroutine test_long_messages

    ! The model's shape checks: the status, the message in Fortran's
    ! terms, the same message in C and in the log sink, and nothing
    ! changed.
    subroutine test_model_shapes()
        character(len=*), parameter :: first = 'nn_model_predict: size(x, &
            &1) is 3, expected 2 (the model''s inputs; x is x(features, &
            &samples))'
        type(nn_model_t) :: model                   ! 2 -> 3 -> 1
        type(nn_model_t) :: bare                    ! not compiled
        real(c_double) :: x(2, 4), y(1, 4), out(1, 4)   ! good shapes
        real(c_double) :: wide(2, 4)                ! one output too many
        real(c_double) :: before(13), after(13)     ! parameters
        real(c_double) :: loss, metrics(0)          ! evaluate's outputs

        x = 0.5_c_double
        y = 1
        call check_status(nn_model_new(model, 2), NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 3, NN_ACTIVATION_RELU), &
                          NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 1, &
                          NN_ACTIVATION_SIGMOID), NN_OK, __LINE__)
        call check_status(nn_model_compile(model, NN_LOSS_BCE, &
                          metrics=[NN_METRIC_BINARY_ACCURACY]), NN_OK, &
                          __LINE__)
        call check_status(nn_model_params_get(model, before), NN_OK, __LINE__)

        call fh_log_capture(1)
        out = 42
        call check_status(nn_model_predict(model, reshape([x, y], [3, 4]), &
                          out), NN_ESHAPE, __LINE__)
        call check(nn_last_error_message() == first, __LINE__, &
                   nn_last_error_message())
        call check(c_sees(first), __LINE__, 'C sees the Fortran-side error')
        call check(fh_log_count() == 1, __LINE__, 'the log sink got it')
        call check(fh_log_last_equals(first, len(first, kind=c_int64_t)) &
                   == 1, __LINE__)
        call fh_log_capture(0)
        call check_bits(reshape(out, [4]), [42d0, 42d0, 42d0, 42d0], &
                        __LINE__, 'out untouched')

        call check_failure(nn_model_predict(model, x, wide), NN_ESHAPE, &
                           'size(out, 1) is 2, expected 1', __LINE__)
        call check_failure(nn_model_predict(model, x, out(:, 1:3)), &
                           NN_ESHAPE, 'size(out, 2) is 3, expected 4', &
                           __LINE__)
        call check_failure(nn_model_fit(model, x, y(:, 1:3), verbose=0), &
                           NN_ESHAPE, 'size(y, 2) is 3', __LINE__)
        call check_failure(nn_model_fit(model, x, reshape([y, y], [2, 4]), &
                           verbose=0), NN_ESHAPE, 'size(y, 1) is 2', __LINE__)
        call check_failure(nn_model_fit(model, x, y, verbose=0, &
                           x_val=x), NN_EINVAL, 'x_val and y_val', __LINE__)
        call check_failure(nn_model_fit(model, x, y, verbose=0, &
                           x_val=reshape([x, y], [3, 4]), y_val=y), &
                           NN_ESHAPE, 'size(x_val, 1) is 3', __LINE__)
        call check_failure(nn_model_fit(model, x, y, verbose=0, &
                           x_val=x, y_val=y(:, 1:2)), NN_ESHAPE, &
                           'size(y_val, 2) is 2', __LINE__)
        call check_failure(nn_model_train_batch(model, x, y(:, 1:1)), &
                           NN_ESHAPE, 'size(y, 2)', __LINE__)
        call check_failure(nn_model_evaluate(model, x, y, loss, metrics), &
                           NN_ESHAPE, 'size(metrics) is 0', __LINE__)
        call check_failure(nn_model_params_get(model, after(1:12)), &
                           NN_ESHAPE, 'size(params) is 12, expected 13', &
                           __LINE__)
        call check_failure(nn_model_params_set(model, after(1:12)), &
                           NN_ESHAPE, 'size(params) is 12', __LINE__)

        call check_status(nn_model_params_get(model, after), NN_OK, __LINE__)
        call check_bits(before, after, __LINE__, 'the model is unchanged')

        call check_status(nn_model_new(bare, 2), NN_OK, __LINE__)
        call check_failure(nn_model_params_get(bare, after), NN_ESTATE, &
                           'not compiled', __LINE__)
        call nn_model_free(bare)
        call nn_model_free(model)
    end subroutine test_model_shapes

    subroutine test_dense_shapes()
        type(nn_dense_t) :: layer                   ! 3 inputs, 2 units
        real(c_double) :: x(3, 4), y(2, 4), dy(2, 4), dx(3, 4) ! (., batch)
        real(c_double) :: p(2, 4), t(2, 3), g(2, 3) ! loss arrays
        real(c_double) :: value                     ! loss

        x = 0.1_c_double
        call check_status(nn_dense_new(layer, 3, 2, NN_ACTIVATION_TANH), &
                          NN_OK, __LINE__)
        call check_failure(nn_dense_forward(layer, x(1:2, :), y), NN_ESHAPE, &
                           'nn_dense_forward: size(x, 1) is 2, expected 3', &
                           __LINE__)
        call check_failure(nn_dense_forward(layer, x, dx), NN_ESHAPE, &
                           'size(y, 1) is 3, expected 2', __LINE__)
        call check_failure(nn_dense_forward(layer, x, y(:, 1:3)), &
                           NN_ESHAPE, 'size(y, 2) is 3, expected 4', __LINE__)
        call check_status(nn_dense_forward(layer, x, y), NN_OK, __LINE__)
        dy = 1
        call check_failure(nn_dense_backward(layer, x, y, dy, dx(:, 1:2)), &
                           NN_ESHAPE, 'size(dx, 2) is 2', __LINE__)
        call check_failure(nn_dense_backward(layer, x, y, dy(:, 1:3)), &
                           NN_ESHAPE, 'size(dy, 2) is 3', __LINE__)
        call check_failure(nn_dense_backward(layer, x, dx, dy), NN_ESHAPE, &
                           'size(y, 1) is 3', __LINE__)
        call check_failure(nn_dense_backward_preact(layer, x, dx), &
                           NN_ESHAPE, 'size(dz, 1) is 3', __LINE__)
        call check_status(nn_dense_backward(layer, x, y, dy, dx), NN_OK, &
                          __LINE__)
        call nn_dense_free(layer)

        p = 0.5_c_double
        t = 1
        call check_failure(nn_loss_compute(NN_LOSS_MSE, p, t, value), &
                           NN_ESHAPE, 'size(target, 2) is 3', __LINE__)
        call check_failure(nn_loss_compute(NN_LOSS_MSE, p(:, 1:3), t, &
                           grad=g(:, 1:2)), NN_ESHAPE, 'size(grad, 2) is 2', &
                           __LINE__)
        call check_failure(nn_loss_compute(NN_LOSS_MSE, p(:, 1:3), t), &
                           NN_EINVAL, 'nn_loss', __LINE__)
    end subroutine test_dense_shapes

    ! A handle never created, or freed, is refused with NN_EINVAL.
    subroutine test_null_handles()
        type(nn_model_t) :: model                   ! never created
        type(nn_dense_t) :: layer                   ! never created
        type(nn_history_t) :: history               ! never created
        real(c_double) :: x(2, 1), y(1, 1)          ! any data
        real(c_double), allocatable :: values(:)    ! a series

        x = 0
        call check_failure(nn_model_predict(model, x, y), NN_EINVAL, &
                           'nn_model_predict: model is not created', __LINE__)
        call check_failure(nn_model_add_dense(model, 3, NN_ACTIVATION_RELU), &
                           NN_EINVAL, 'not created', __LINE__)
        call check_failure(nn_model_summary(model), NN_EINVAL, &
                           'not created', __LINE__)
        call check_failure(nn_dense_forward(layer, x, y), NN_EINVAL, &
                           'layer is not created', __LINE__)
        call check_failure(nn_history_series(history, 'loss', values), &
                           NN_EINVAL, 'history is not created', __LINE__)
        call check(.not. allocated(values), __LINE__)
        call check(nn_model_param_count(model) == 0, __LINE__)
        call check(nn_history_epochs(history) == 0, __LINE__)
        call check(.not. associated(nn_dense_weights(layer)), __LINE__)

        ! Freeing what was never made, or twice, does nothing.
        call nn_model_free(model)
        call nn_dense_free(layer)
        call nn_history_free(history)
        call check_status(nn_model_new(model, 2), NN_OK, __LINE__)
        call nn_model_free(model)
        call nn_model_free(model)
        call check(.not. c_associated(model%p), __LINE__)
    end subroutine test_null_handles

    ! The C library's own checks, reached through the friendly wrappers.
    subroutine test_c_side_failures()
        type(nn_model_t) :: model                   ! 2 -> 1
        type(nn_history_t) :: history               ! one epoch
        type(nn_optim_opts) :: bad                  ! unknown kind
        type(nn_layer_info) :: info                 ! a description
        type(nn_fit_opts) :: opts                   ! early stopping on
        real(c_double) :: x(2, 4), y(1, 4), out(1, 4)   ! data
        real(c_double), allocatable :: values(:)    ! a series
        integer(c_int) :: s                         ! a status

        x = 1
        y = 0
        call check_status(nn_model_new(model, 2), NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 1, &
                          NN_ACTIVATION_SIGMOID), NN_OK, __LINE__)
        call check_failure(nn_model_fit(model, x, y, verbose=0), NN_ESTATE, &
                           'nn_model_fit', __LINE__)
        call check_failure(nn_model_compile(model, NN_LOSS_BCE, &
                           metrics=[99_c_int]), NN_EINVAL, &
                           'nn_model_compile', __LINE__)
        call check_failure(nn_model_compile(model, NN_LOSS_BCE, &
                           metrics=[(NN_METRIC_MSE, s = 1, 9)]), NN_EINVAL, &
                           'nn_model_compile', __LINE__)
        bad = nn_optim_defaults(99_c_int, status=s)
        call check_status(s, NN_EINVAL, __LINE__)
        call check_failure(nn_model_compile(model, NN_LOSS_BCE, bad), &
                           NN_EINVAL, 'unknown optimizer kind 99', __LINE__)
        call check_failure(nn_model_compile(model, 77_c_int), NN_EINVAL, &
                           'nn_model_compile', __LINE__)
        call check_status(nn_model_compile(model, NN_LOSS_BCE), NN_OK, &
                          __LINE__)
        call check_failure(nn_model_add_dense(model, 2, NN_ACTIVATION_RELU), &
                           NN_ESTATE, 'nn_model_add_dense', __LINE__)
        call check_failure(nn_model_add_dense(model, 2, NN_ACTIVATION_RELU, &
                           use_bias=.false.), NN_ESTATE, &
                           'nn_model_add_dense', __LINE__)
        call check_failure(nn_model_layer_info(model, 9, info), NN_EINVAL, &
                           'nn_model_layer_info', __LINE__)

        ! C names data positions in its own terms: rows are samples.
        x(2, 3) = ieee_value(x(2, 3), ieee_quiet_nan)
        call check_failure(nn_model_predict(model, x, out), NN_ENONFINITE, &
                           'row 2', __LINE__)
        x(2, 3) = 1
        call check_failure(nn_model_fit(model, x, y, epochs=0, verbose=0), &
                           NN_EINVAL, 'epochs', __LINE__)
        call check_status(nn_fit_opts_init(opts), NN_OK, __LINE__)
        opts%early_stopping = 1
        call check_failure(nn_model_fit(model, x, y, verbose=0, &
                           monitor='nope', opts=opts), NN_EINVAL, 'nope', &
                           __LINE__)
        call check_status(nn_model_fit(model, x, y, verbose=0, &
                          history=history), NN_OK, __LINE__)
        call check_failure(nn_history_series(history, 'nope', values), &
                           NN_EINVAL, 'no series "nope"', __LINE__)
        call check(.not. allocated(values), __LINE__)
        call nn_history_free(history)

        s = nn_blas_threads_set(0)
        call check(s == NN_EINVAL .or. s == NN_ENOTSUP, __LINE__)
        call nn_model_free(model)
    end subroutine test_c_side_failures

end program test_fortran_errors
