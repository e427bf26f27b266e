! A hybrid Fortran and C program: the Fortran main program samples a
! smooth signal, which a C routine computes (hybrid_helper.c), fits a
! small network to it through the module nnblas, and hands the
! predictions on a finer grid back to C for the error statistics.
!
! Regression of y = exp(-t) sin(2 pi t) on t in [0, 2]: Dense(32, tanh),
! Dense(32, tanh), Dense(1), mean squared error, Adam.
program hybrid_main
    use, intrinsic :: iso_c_binding
    use, intrinsic :: iso_fortran_env, only: error_unit
    use nnblas
    implicit none

    ! The C routines, declared the way hybrid_helper.c defines them.
    interface
        subroutine hybrid_signal(n, t, y) bind(C, name='hybrid_signal')
            import :: c_int64_t, c_double
            integer(c_int64_t), value, intent(in) :: n      ! points
            real(c_double), intent(in) :: t(*)              ! (n) times
            real(c_double), intent(out) :: y(*)             ! (n) signal
        end subroutine hybrid_signal

        subroutine hybrid_errors(n, ref, pred, rms, max_abs, worst) &
                bind(C, name='hybrid_errors')
            import :: c_int64_t, c_double
            integer(c_int64_t), value, intent(in) :: n      ! points
            real(c_double), intent(in) :: ref(*), pred(*)   ! (n) each
            real(c_double), intent(out) :: rms, max_abs     ! errors
            integer(c_int64_t), intent(out) :: worst        ! from 0
        end subroutine hybrid_errors
    end interface

    integer, parameter :: n_train = 64, n_test = 201
    real(c_double), parameter :: t_max = 2          ! the interval [0, t_max]
    type(nn_model_t) :: model                       ! the network
    real(c_double) :: t(1, n_train), y(1, n_train)  ! training (1, samples)
    real(c_double) :: tt(1, n_test), yt(1, n_test)  ! test grid and signal
    real(c_double) :: p(1, n_test)                  ! predictions on it
    real(c_double) :: rms, max_abs, loss            ! errors, final loss
    integer(c_int64_t) :: worst                     ! worst point, from 0
    integer :: i                                    ! sample

    ! The data: Fortran makes the grids, C computes the signal on them.
    t(1, :) = [(t_max * (i - 1) / (n_train - 1), i = 1, n_train)]
    tt(1, :) = [(t_max * (i - 1) / (n_test - 1), i = 1, n_test)]
    call hybrid_signal(int(n_train, c_int64_t), t, y)
    call hybrid_signal(int(n_test, c_int64_t), tt, yt)

    ! The network, trained on inputs scaled to [-1, 1].
    call ok(nn_model_new(model, 1), 'nn_model_new')
    call ok(nn_model_set_seed(model, 7), 'set seed')
    call ok(nn_model_add_dense(model, 32, NN_ACTIVATION_TANH), 'add dense')
    call ok(nn_model_add_dense(model, 32, NN_ACTIVATION_TANH), 'add dense')
    call ok(nn_model_add_dense(model, 1, NN_ACTIVATION_IDENTITY), 'add dense')
    call ok(nn_model_compile(model, NN_LOSS_MSE, &
                             nn_optim_defaults(NN_OPTIM_ADAM, &
                                               lr=0.01_c_double), &
                             [NN_METRIC_MAE]), 'compile')
    call ok(nn_model_fit(model, scaled(t), y, epochs=1500, batch_size=16, &
                         verbose=0), 'fit')
    call ok(nn_model_evaluate(model, scaled(t), y, loss), 'evaluate')

    ! Predictions on the finer grid, judged by the C routine.
    call ok(nn_model_predict(model, scaled(tt), p), 'predict')
    call hybrid_errors(int(n_test, c_int64_t), yt, p, rms, max_abs, worst)

    write(*, '(a)') '     t     signal (C)  network'
    do i = 1, n_test, 20
        write(*, '(f7.2, 2f11.4)') tt(1, i), yt(1, i), p(1, i)
    end do
    write(*, '(/, "training loss (mse) ", es9.2)') loss
    write(*, '("on ", i0, " test points: rms error ", es9.2, &
          &", largest ", es9.2, " at t = ", f4.2)') &
        n_test, rms, max_abs, tt(1, worst + 1)
    call nn_model_free(model)

contains

    ! t mapped from [0, t_max] to [-1, 1], where tanh units work best.
    pure function scaled(t) result(s)
        real(c_double), intent(in) :: t(:, :)       ! (1, samples)
        real(c_double) :: s(size(t, 1), size(t, 2)) ! same shape

        s = 2 * t / t_max - 1
    end function scaled

    ! Stops the program with the library's message when a call failed.
    subroutine ok(status, what)
        integer(c_int), intent(in) :: status        ! the call's status
        character(len=*), intent(in) :: what        ! which call

        if (status == NN_OK) return
        write(error_unit, '(a)') 'hybrid: ' // what // ' failed: ' // &
            nn_last_error_message() // ' (' // nn_status_str(status) // ')'
        error stop 1
    end subroutine ok

end program hybrid_main
