! XOR the Keras way, from Fortran through the module nnblas: the
! sequential model Dense(10, relu), Dense(10, relu), Dense(1, sigmoid),
! compiled with Adam, binary cross-entropy and binary accuracy, fitted for
! 1000 epochs on the truth table, then asked for its predictions. An epoch
! callback (C calling Fortran) reports every 200 epochs. The program ends
! with status 1 unless all four rows come out right.
!
! Against an installed libnnblas:
!     gfortran xor.f90 $(pkg-config --cflags --libs nnblas-fortran)

! The epoch callback: C calls it, so it lives in a module with bind(C).
module xor_progress
    use, intrinsic :: iso_c_binding
    use nnblas
    implicit none
    private
    public :: report

contains

    ! Prints loss and accuracy every `user` epochs (user points to an
    ! integer(c_int64_t)); returns 0, so training goes on.
    function report(user, epoch, history) result(halt) bind(C)
        type(c_ptr), value, intent(in) :: user      ! the interval
        integer(c_int64_t), value, intent(in) :: epoch  ! from 0
        type(c_ptr), value, intent(in) :: history   ! borrowed nn_history
        integer(c_int) :: halt                      ! 0: keep training
        integer(c_int64_t), pointer :: every        ! epochs between lines
        type(nn_history_t) :: h                     ! borrowed: never freed
        real(c_double) :: loss, acc                 ! this epoch's values

        halt = 0
        call c_f_pointer(user, every)
        if (mod(epoch + 1, every) /= 0) return
        h%p = history
        loss = -1
        acc = -1
        if (nn_history_get(h, 'loss', epoch, loss) /= NN_OK) return
        if (nn_history_get(h, 'binary_accuracy', epoch, acc) /= NN_OK) return
        write(*, '(2x, "epoch ", i4, " - loss: ", f6.4, &
              &" - binary_accuracy: ", f6.4)') epoch + 1, loss, acc
    end function report

end module xor_progress

program xor
    use, intrinsic :: iso_c_binding
    use, intrinsic :: iso_fortran_env, only: error_unit
    use nnblas
    use xor_progress
    implicit none

    type(nn_model_t) :: model                       ! the network
    type(nn_fit_opts) :: fit                        ! fit settings
    real(c_double) :: x(2, 4), y(1, 4), p(1, 4)     ! (features, samples)
    real(c_double) :: loss, acc(1)                  ! evaluate's results
    integer(c_int64_t), target :: every = 200       ! epochs between reports
    integer :: i                                    ! sample

    ! One sample per column: x(:, i) is row i of the truth table. In
    ! memory this is C's 4 x 2 row-major table, so nothing is copied.
    x = reshape([0.0_c_double, 0.0_c_double, 0.0_c_double, 1.0_c_double, &
                 1.0_c_double, 0.0_c_double, 1.0_c_double, 1.0_c_double], &
                [2, 4])
    y = reshape([0.0_c_double, 1.0_c_double, 1.0_c_double, 0.0_c_double], &
                [1, 4])

    call ok(nn_model_new(model, 2), 'nn_model_new')
    call ok(nn_model_add_dense(model, 10, NN_ACTIVATION_RELU), 'add dense')
    call ok(nn_model_add_dense(model, 10, NN_ACTIVATION_RELU), 'add dense')
    call ok(nn_model_add_dense(model, 1, NN_ACTIVATION_SIGMOID), 'add dense')
    call ok(nn_model_compile(model, NN_LOSS_BCE, &
                             nn_optim_defaults(NN_OPTIM_ADAM), &
                             [NN_METRIC_BINARY_ACCURACY]), 'compile')
    call ok(nn_model_summary(model), 'summary')

    write(*, '(/, a)') 'XOR: training for 1000 epochs'
    call ok(nn_fit_opts_init(fit), 'fit options')
    fit%on_epoch = c_funloc(report)
    fit%user = c_loc(every)
    call ok(nn_model_fit(model, x, y, epochs=1000, verbose=0, opts=fit), &
            'fit')
    call ok(nn_model_predict(model, x, p), 'predict')
    call ok(nn_model_evaluate(model, x, y, loss, acc), 'evaluate')

    write(*, '(/, a)') '  x1  x2   prediction  rounded  truth'
    do i = 1, 4
        write(*, '(2x, i3, 1x, i3, 3x, f10.4, 4x, i4, 4x, i4)') &
            nint(x(1, i)), nint(x(2, i)), p(1, i), &
            merge(1, 0, p(1, i) > 0.5_c_double), nint(y(1, i))
    end do
    write(*, '(/, "XOR loss ", f6.4, ", binary accuracy ", f5.1, "%")') &
        loss, 100 * acc(1)
    call nn_model_free(model)
    if (acc(1) < 1) error stop 'xor: the network did not learn XOR'

contains

    ! Stops the program with the library's message when a call failed.
    subroutine ok(status, what)
        integer(c_int), intent(in) :: status        ! the call's status
        character(len=*), intent(in) :: what        ! which call

        if (status == NN_OK) return
        write(error_unit, '(a)') 'xor: ' // what // ' failed: ' // &
            nn_last_error_message() // ' (' // nn_status_str(status) // ')'
        error stop 1
    end subroutine ok

end program xor
