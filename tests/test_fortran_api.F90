! The module from the caller's side: the Keras XOR, bit-for-bit the same
! training as through the C API, the data layout, the dense layer at the
! function level against a plain Fortran reference, losses, inspection,
! history and the epoch callback.

! The epoch callback of test_validation_and_callback: C calls it, so it
! is a bind(C) module procedure (internal procedures cannot be).
module test_fortran_api_callback
    use, intrinsic :: iso_c_binding
    use nnblas
    use nn_check
    implicit none
    private
    public :: stop_after_three

contains

    ! Counts epochs in the integer that user points to; stops after 3.
    function stop_after_three(user, epoch, history) result(halt) bind(C)
        type(c_ptr), value, intent(in) :: user      ! integer(c_int) counter
        integer(c_int64_t), value, intent(in) :: epoch  ! from 0
        type(c_ptr), value, intent(in) :: history   ! borrowed nn_history
        integer(c_int) :: halt                      ! nonzero stops fit
        integer(c_int), pointer :: calls            ! the counter
        type(nn_history_t) :: h                     ! borrowed, not freed
        real(c_double) :: loss                      ! this epoch's loss

        call c_f_pointer(user, calls)
        calls = calls + 1
        h%p = history
        loss = -1
        call check_status(nn_history_get(h, 'val_loss', epoch, loss), NN_OK, &
                          __LINE__)
        call check(loss >= 0, __LINE__, 'val_loss readable in the callback')
        halt = merge(1, 0, epoch >= 2)
    end function stop_after_three

end module test_fortran_api_callback

program test_fortran_api
    use, intrinsic :: iso_c_binding
    use nnblas
    use nn_check
    use test_fortran_api_callback
    implicit none

    interface
        function fh_train_c(seed, params, cap, count, val_loss) &
                bind(C, name='fh_train_c')
            import :: c_int, c_int64_t, c_double
            integer(c_int64_t), value, intent(in) :: seed   ! int64_t
            real(c_double), intent(inout) :: params(*)      ! double *
            integer(c_int64_t), value, intent(in) :: cap    ! int64_t
            integer(c_int64_t), intent(out) :: count        ! int64_t *
            real(c_double), intent(out) :: val_loss         ! double *
            integer(c_int) :: fh_train_c                    ! nn_status
        end function fh_train_c

        function fh_rng_uniform(seed, n, out) bind(C, name='fh_rng_uniform')
            import :: c_int, c_int64_t, c_double
            integer(c_int64_t), value, intent(in) :: seed   ! int64_t
            integer(c_int64_t), value, intent(in) :: n      ! int64_t
            real(c_double), intent(inout) :: out(*)         ! double *
            integer(c_int) :: fh_rng_uniform                ! nn_status
        end function fh_rng_uniform
    end interface

    call check_file('test_fortran_api.F90')
    call test_xor()
    call test_same_as_c()
    call test_rng()
    call test_layout()
    call test_dense()
    call test_loss()
    call test_inspection()
    call test_validation_and_callback()
    call check_done()

contains

    ! The Keras exercise: Dense(10, relu), Dense(10, relu), Dense(1,
    ! sigmoid), Adam, binary cross-entropy, 1000 epochs, 100% accuracy.
    subroutine test_xor()
        type(nn_model_t) :: model                   ! the network
        type(nn_history_t) :: history               ! its record
        real(c_double) :: x(2, 4), y(1, 4), p(1, 4) ! (features, samples)
        real(c_double) :: loss, acc(1)              ! evaluate's results
        real(c_double), allocatable :: curve(:)     ! loss per epoch

        x = reshape([0, 0, 0, 1, 1, 0, 1, 1], [2, 4])
        y = reshape([0, 1, 1, 0], [1, 4])
        call check_status(nn_model_new(model, 2), NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 10, NN_ACTIVATION_RELU), &
                          NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 10, NN_ACTIVATION_RELU), &
                          NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 1, &
                          NN_ACTIVATION_SIGMOID), NN_OK, __LINE__)
        call check_status(nn_model_compile(model, NN_LOSS_BCE, &
                          nn_optim_defaults(NN_OPTIM_ADAM), &
                          [NN_METRIC_BINARY_ACCURACY]), NN_OK, __LINE__)
        call check_status(nn_model_fit(model, x, y, epochs=1000, verbose=0, &
                          history=history), NN_OK, __LINE__)

        p = -1
        call check_status(nn_model_predict(model, x, p), NN_OK, __LINE__)
        call check(all(merge(1, 0, p(1, :) > 0.5) == [0, 1, 1, 0]), &
                   __LINE__, 'rounded predictions are XOR')
        call check_status(nn_model_evaluate(model, x, y, loss, acc), NN_OK, &
                          __LINE__)
        call check(acc(1) > 0.999_c_double, __LINE__, 'accuracy is 100%')
        call check(loss < 0.5_c_double, __LINE__, 'loss went down')

        call check(nn_history_epochs(history) == 1000, __LINE__)
        call check_status(nn_history_series(history, 'loss', curve), NN_OK, &
                          __LINE__)
        call check(size(curve) == 1000, __LINE__)
        call check(curve(1000) < curve(1), __LINE__, 'the curve falls')
        call nn_history_free(history)
        call check(.not. c_associated(history%p), __LINE__)
        call nn_model_free(model)
        call check(.not. c_associated(model%p), __LINE__, 'free nulls')
        call nn_model_free(model)
    end subroutine test_xor

    ! The data of fortran_helper.c's fh_train_c, built here column by
    ! column: sample i (from 0) is column i + 1.
    subroutine make_data(x, y)
        real(c_double), intent(out) :: x(3, 12)     ! (features, samples)
        real(c_double), intent(out) :: y(1, 12)     ! (outputs, samples)
        integer :: i, j                             ! C's indices

        do i = 0, 11
            do j = 0, 2
                x(j + 1, i + 1) = real(mod(i * 7 + j * 3, 11), c_double) &
                                  / 8 - 0.5_c_double
            end do
            y(1, i + 1) = merge(1.0_c_double, 0.0_c_double, mod(i * 5, 3) == 0)
        end do
    end subroutine make_data

    ! The same model, data, seed and settings through the module and
    ! through the C API give the same bits: every option struct and
    ! optional argument reaches C as C code would set it.
    subroutine test_same_as_c()
        integer(c_int64_t), parameter :: seed = 1234
        type(nn_model_t) :: model                   ! trained from Fortran
        type(nn_history_t) :: history               ! its record
        real(c_double) :: x(3, 12), y(1, 12)        ! (features, samples)
        real(c_double), allocatable :: pf(:), pc(:) ! parameters, both ways
        real(c_double) :: val_f, val_c              ! last val_loss
        integer(c_int64_t) :: count                 ! C's parameter count
        integer(c_int) :: s                         ! a status

        ! Several BLAS threads could sum in another order.
        s = nn_blas_threads_set(1)
        call check(s == NN_OK .or. s == NN_ENOTSUP, __LINE__)

        call make_data(x, y)
        call check_status(nn_model_new(model, 3), NN_OK, __LINE__)
        call check_status(nn_model_set_seed(model, seed), NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 8, &
                          NN_ACTIVATION_LEAKY_RELU, slope=0.1_c_double, &
                          kernel_init=NN_INIT_HE_NORMAL), NN_OK, __LINE__)
        call check_status(nn_model_add_dropout(model, 0.25_c_double), NN_OK, &
                          __LINE__)
        call check_status(nn_model_add_dense(model, 6, NN_ACTIVATION_TANH, &
                          use_bias=.false., &
                          kernel_init=NN_INIT_LECUN_UNIFORM), NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 1, &
                          NN_ACTIVATION_SIGMOID), NN_OK, __LINE__)
        call check_status(nn_model_compile(model, NN_LOSS_BCE, &
                          nn_optim_defaults(NN_OPTIM_ADAM, lr=0.01_c_double), &
                          [NN_METRIC_BINARY_ACCURACY, NN_METRIC_MSE]), &
                          NN_OK, __LINE__)
        call check_status(nn_model_fit(model, x, y, epochs=30, batch_size=5, &
                          verbose=0, validation_split=0.25_c_double, &
                          history=history), NN_OK, __LINE__)

        allocate(pf(nn_model_param_count(model)))
        allocate(pc(size(pf) + 8))
        call check_status(nn_model_params_get(model, pf), NN_OK, __LINE__)
        val_f = 0
        call check_status(nn_history_get(history, 'val_loss', 29_c_int64_t, &
                          val_f), NN_OK, __LINE__)
        val_c = 1
        call check_status(fh_train_c(seed, pc, size(pc, kind=c_int64_t), &
                          count, val_c), NN_OK, __LINE__)
        call check(count == size(pf), __LINE__, 'same parameter count')
        call check_bits(pf, pc(1:size(pf)), __LINE__, 'trained parameters')
        call check_bits([val_f], [val_c], __LINE__, 'last val_loss')

        call nn_history_free(history)
        call nn_model_free(model)
    end subroutine test_same_as_c

    ! A generator seeded here draws what C's draws.
    subroutine test_rng()
        type(nn_rng) :: rng                         ! generator
        real(c_double) :: a(17), b(17)              ! Fortran's, C's draws

        call nn_rng_seed(rng, 99)
        call check_status(nn_rng_uniform(rng, -1.0_c_double, 1.0_c_double, &
                          a), NN_OK, __LINE__)
        call check_status(fh_rng_uniform(99_c_int64_t, 17_c_int64_t, b), &
                          NN_OK, __LINE__)
        call check_bits(a, b, __LINE__, 'uniform draws')
        call check(all(a >= -1 .and. a < 1), __LINE__)
        call check_status(nn_rng_normal(rng, 0.0_c_double, 1.0_c_double, a), &
                          NN_OK, __LINE__)
    end subroutine test_rng

    ! x(features, samples) reaches C as samples x features, and the
    ! parameters read as w(units, inputs) then b.
    subroutine test_layout()
        type(nn_model_t) :: model                   ! 2 -> 2, identity
        real(c_double) :: w(2, 2), b(2)             ! (units, inputs), (units)
        real(c_double) :: x(2, 3), out(2, 3)        ! (features, samples)
        real(c_double) :: expect(2, 3)              ! matmul(w, x) + b
        type(nn_layer_info) :: info                 ! the dense layer
        integer :: i                                ! sample

        call check_status(nn_model_new(model, 2), NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 2, &
                          NN_ACTIVATION_IDENTITY), NN_OK, __LINE__)
        call check_status(nn_model_compile(model, NN_LOSS_MSE), NN_OK, &
                          __LINE__)
        call check_status(nn_model_layer_info(model, 0, info), NN_OK, __LINE__)
        call check(info%param_offset == 0 .and. info%param_count == 6, &
                   __LINE__)

        ! Unit 2 takes half of input 1 and twice input 2.
        w = reshape([1.0_c_double, 0.5_c_double, 0.0_c_double, &
                     2.0_c_double], [2, 2])
        b = [10.0_c_double, 20.0_c_double]
        call check_status(nn_model_params_set(model, [reshape(w, [4]), b]), &
                          NN_OK, __LINE__)
        x = reshape([1, 2, 3, 4, 5, 6], [2, 3])
        call check_status(nn_model_predict(model, x, out), NN_OK, __LINE__)
        do i = 1, 3
            expect(:, i) = [x(1, i) + 10, 0.5_c_double * x(1, i) + &
                            2 * x(2, i) + 20]
        end do
        call check_bits(reshape(out, [6]), reshape(expect, [6]), __LINE__, &
                        'predict on x(features, samples)')
        call nn_model_free(model)
    end subroutine test_layout

    ! Forward and backward of a sigmoid layer against matmul.
    subroutine test_dense()
        type(nn_dense_t) :: layer                   ! 3 inputs, 2 units
        type(nn_rng) :: rng                         ! for nn_dense_init
        real(c_double), pointer, contiguous :: w(:, :), b(:), g(:)
                                                    ! (2, 3), (2), (8)
        real(c_double) :: x(3, 5), y(2, 5), dy(2, 5), dx(3, 5)  ! (., batch)
        real(c_double) :: z(2, 5), dz(2, 5)         ! reference pre-act., grad
        integer :: i                                ! sample

        call check_status(nn_dense_new(layer, 3, 2, NN_ACTIVATION_SIGMOID), &
                          NN_OK, __LINE__)
        call check(nn_dense_inputs(layer) == 3, __LINE__)
        call check(nn_dense_units(layer) == 2, __LINE__)
        call check(nn_dense_param_count(layer) == 8, __LINE__)
        call nn_rng_seed(rng, 7)
        call check_status(nn_dense_init(layer, rng), NN_OK, __LINE__)
        w => nn_dense_weights(layer)
        b => nn_dense_bias(layer)
        call check(associated(w) .and. associated(b), __LINE__)
        call check(all(shape(w) == [2, 3]), __LINE__, 'w is (units, inputs)')
        b = [0.25_c_double, -0.5_c_double]
        call check_bits(nn_dense_params(layer), [reshape(w, [6]), b], &
                        __LINE__, 'params are W then b')

        x = reshape([(0.1_c_double * i - 0.7_c_double, i = 1, 15)], [3, 5])
        call check_status(nn_dense_forward(layer, x, y), NN_OK, __LINE__)
        z = matmul(w, x) + spread(b, 2, 5)
        call check_near(reshape(y, [10]), reshape(1 / (1 + exp(-z)), [10]), &
                        1.0e-14_c_double, __LINE__, 'forward')

        dy = 1
        call check_status(nn_dense_backward(layer, x, y, dy, dx), NN_OK, &
                          __LINE__)
        dz = y * (1 - y)
        g => nn_dense_grads(layer)
        call check_near(reshape(dy, [10]), reshape(dz, [10]), &
                        1.0e-14_c_double, __LINE__, 'dy becomes dz')
        call check_near(g(1:6), reshape(matmul(dz, transpose(x)), [6]), &
                        1.0e-14_c_double, __LINE__, 'dW as (units, inputs)')
        call check_near(g(7:8), sum(dz, 2), 1.0e-14_c_double, __LINE__, 'db')
        call check_near(reshape(dx, [15]), &
                        reshape(matmul(transpose(w), dz), [15]), &
                        1.0e-14_c_double, __LINE__, 'dx')

        call check_status(nn_dense_backward_preact(layer, x, dz), NN_OK, &
                          __LINE__)
        call check_near(g(1:6), reshape(matmul(dz, transpose(x)), [6]), &
                        1.0e-14_c_double, __LINE__, 'preact dW')
        call nn_dense_free(layer)
        call check(.not. associated(nn_dense_weights(layer)), __LINE__)

        call check_status(nn_dense_new(layer, 2, 3, NN_ACTIVATION_RELU, &
                          use_bias=.false.), NN_OK, __LINE__)
        call check(.not. associated(nn_dense_bias(layer)), __LINE__)
        call check(nn_dense_param_count(layer) == 6, __LINE__)
        call nn_dense_free(layer)
    end subroutine test_dense

    subroutine test_loss()
        real(c_double) :: p(2, 3), t(2, 3), g(2, 3) ! (outputs, samples)
        real(c_double) :: value                     ! the loss

        p = reshape([0.5, 1.0, -1.0, 2.0, 0.0, 3.0], [2, 3])
        t = reshape([1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2, 3])
        value = -1
        call check_status(nn_loss_compute(NN_LOSS_MSE, p, t, value, g), &
                          NN_OK, __LINE__)
        call check_near([value], [sum((p - t)**2) / 6], 1.0e-15_c_double, &
                        __LINE__, 'mse value')
        call check_near(reshape(g, [6]), reshape(2 * (p - t) / 6, [6]), &
                        1.0e-15_c_double, __LINE__, 'mse gradient')
    end subroutine test_loss

    ! Summary, counts, names, layer info, parameter copies, one batch.
    subroutine test_inspection()
        type(nn_model_t) :: model                   ! 4 -> 5 -> drop -> 3
        type(nn_layer_info) :: info                 ! a layer's description
        character(len=:), allocatable :: text       ! the summary
        real(c_double), allocatable :: p(:), q(:)   ! parameter copies
        real(c_double) :: x(4, 6), y(3, 6), loss    ! one batch

        call check_status(nn_model_new(model, 4), NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 5, NN_ACTIVATION_TANH), &
                          NN_OK, __LINE__)
        call check_status(nn_model_add_dropout(model, 0.5_c_double), NN_OK, &
                          __LINE__)
        call check_status(nn_model_add_dense(model, 3, &
                          NN_ACTIVATION_SOFTMAX), NN_OK, __LINE__)
        call check(.not. nn_model_is_compiled(model), __LINE__)
        call check(nn_model_param_count(model) == 4 * 5 + 5 + 5 * 3 + 3, &
                   __LINE__)
        call check_status(nn_model_summary(model, text), NN_OK, __LINE__)
        call check(index(text, 'Total params: 43') > 0, __LINE__, &
                   'summary totals: ' // text)
        call check(index(text, 'dropout') > 0, __LINE__)
        call check_status(nn_model_summary(model), NN_OK, __LINE__)

        call check_status(nn_model_compile(model, NN_LOSS_CCE, &
                          nn_optim_defaults(NN_OPTIM_SGD), &
                          [NN_METRIC_CATEGORICAL_ACCURACY, NN_METRIC_MAE]), &
                          NN_OK, __LINE__)
        call check(nn_model_is_compiled(model), __LINE__)
        call check(nn_model_loss(model) == NN_LOSS_CCE, __LINE__)
        call check(nn_model_metric_count(model) == 2, __LINE__)
        call check(nn_model_layer_count(model) == 3, __LINE__)
        call check(nn_model_input_width(model) == 4, __LINE__)
        call check(nn_model_output_width(model) == 3, __LINE__)
        call check(nn_metric_name(NN_METRIC_MAE) == 'mae', __LINE__)
        call check_status(nn_model_layer_info(model, 1, info), NN_OK, __LINE__)
        call check(info%kind == NN_LAYER_DROPOUT, __LINE__)
        call check_status(nn_model_layer_info(model, 2, info), NN_OK, __LINE__)
        call check(info%kind == NN_LAYER_DENSE .and. info%inputs == 5 .and. &
                   info%units == 3 .and. info%param_offset == 25, __LINE__)

        allocate(p(43), q(43))
        call check_status(nn_model_params_get(model, p), NN_OK, __LINE__)
        p = p * 0.5_c_double
        call check_status(nn_model_params_set(model, p), NN_OK, __LINE__)
        call check_status(nn_model_params_get(model, q), NN_OK, __LINE__)
        call check_bits(p, q, __LINE__, 'parameters set then got')

        x = 0.25_c_double
        y = 0
        y(1, :) = 1
        loss = -1
        call check_status(nn_model_train_batch(model, x, y, loss), NN_OK, &
                          __LINE__)
        call check(loss > 0, __LINE__, 'batch loss reported')
        call check_status(nn_model_params_get(model, q), NN_OK, __LINE__)
        call check(any(abs(p - q) > 0), __LINE__, 'the step moved weights')
        call nn_model_free(model)
    end subroutine test_inspection

    ! Explicit validation data, a monitor name and a callback that stops.
    subroutine test_validation_and_callback()
        type(nn_model_t) :: model                   ! 3 -> 1
        type(nn_history_t) :: history               ! its record
        type(nn_fit_opts) :: opts                   ! with the callback
        real(c_double) :: x(3, 12), y(1, 12)        ! (features, samples)
        integer(c_int), target :: calls             ! callback invocations
        integer :: i                                ! series

        call make_data(x, y)
        call check_status(nn_model_new(model, 3), NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 1, &
                          NN_ACTIVATION_SIGMOID), NN_OK, __LINE__)
        call check_status(nn_model_compile(model, NN_LOSS_BCE), NN_OK, &
                          __LINE__)

        call check_status(nn_fit_opts_init(opts), NN_OK, __LINE__)
        calls = 0
        opts%on_epoch = c_funloc(stop_after_three)
        opts%user = c_loc(calls)
        call check_status(nn_model_fit(model, x(:, 1:8), y(:, 1:8), &
                          epochs=10, verbose=0, x_val=x(:, 9:12), &
                          y_val=y(:, 9:12), monitor='val_loss', opts=opts, &
                          history=history), NN_ESTOPPED, __LINE__)
        call check(calls == 3, __LINE__, 'the callback ran 3 times')
        call check(nn_history_epochs(history) == 3, __LINE__)
        call check(nn_history_series_count(history) == 2, __LINE__)
        call check(nn_history_series_name(history, 0) == 'loss', __LINE__)
        call check(nn_history_series_name(history, 1) == 'val_loss', __LINE__)
        call check(nn_history_series_name(history, 2) == '', __LINE__)
        do i = 0, 1
            call check(len(nn_history_series_name(history, i)) > 0, __LINE__)
        end do
        call nn_history_free(history)
        call nn_model_free(model)
    end subroutine test_validation_and_callback

end program test_fortran_api
