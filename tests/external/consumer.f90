! A program outside the project, built against the installed module and
! libraries only: it trains a one-layer model on the OR table and checks
! that it learned it.
program consumer
    use, intrinsic :: iso_c_binding
    use nnblas
    implicit none

    type(nn_model_t) :: model                       ! 2 -> 1, sigmoid
    real(c_double) :: x(2, 4), y(1, 4), p(1, 4)     ! (features, samples)
    integer(c_int) :: s                             ! first failure

    x = reshape([0.0_c_double, 0.0_c_double, 0.0_c_double, 1.0_c_double, &
                 1.0_c_double, 0.0_c_double, 1.0_c_double, 1.0_c_double], &
                [2, 4])
    y = reshape([0.0_c_double, 1.0_c_double, 1.0_c_double, 1.0_c_double], &
                [1, 4])
    s = nn_model_new(model, 2)
    if (s == NN_OK) s = nn_model_add_dense(model, 1, NN_ACTIVATION_SIGMOID)
    if (s == NN_OK) s = nn_model_compile(model, NN_LOSS_BCE, &
        nn_optim_defaults(NN_OPTIM_ADAM, lr=0.1_c_double))
    if (s == NN_OK) s = nn_model_fit(model, x, y, epochs=200, verbose=0)
    if (s == NN_OK) s = nn_model_predict(model, x, p)
    call nn_model_free(model)
    if (s /= NN_OK) then
        write(*, '(a)') 'consumer: ' // nn_last_error_message()
        error stop 1
    end if
    if (any((p(1, :) > 0.5_c_double) .neqv. (y(1, :) > 0.5_c_double))) then
        error stop 'consumer: the model did not learn OR'
    end if
    write(*, '(a)') 'consumer: libnnblas ' // nn_version() // &
        ' from Fortran: OR learned'
end program consumer
