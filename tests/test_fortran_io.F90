! Saving and loading through the module: a loaded model predicts and
! goes on training bit-for-bit as the original, the in-memory bytes equal
! the file's, and the documented failures come back.
program test_fortran_io
    use, intrinsic :: iso_c_binding
    use nnblas
    use nn_check
    implicit none

    character(len=*), parameter :: path = 'test_fortran_io.nnm'

    call check_file('test_fortran_io.F90')
    call test_round_trip()
    call test_failures()
    call check_done()

contains

    ! The OR table and a small model trained on it for a few epochs.
    subroutine trained(model, x, y)
        type(nn_model_t), intent(out) :: model      ! 2 -> 4 -> 1
        real(c_double), intent(out) :: x(2, 4), y(1, 4) ! (., samples)

        x = reshape([0.0_c_double, 0.0_c_double, 0.0_c_double, 1.0_c_double, &
                     1.0_c_double, 0.0_c_double, 1.0_c_double, 1.0_c_double], &
                    [2, 4])
        y = reshape([0.0_c_double, 1.0_c_double, 1.0_c_double, 1.0_c_double], &
                    [1, 4])
        call check_status(nn_model_new(model, 2), NN_OK, __LINE__)
        call check_status(nn_model_set_seed(model, 5), NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 4, NN_ACTIVATION_TANH), &
                          NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 1, &
                          NN_ACTIVATION_SIGMOID), NN_OK, __LINE__)
        call check_status(nn_model_compile(model, NN_LOSS_BCE, &
                          nn_optim_defaults(NN_OPTIM_ADAM), &
                          [NN_METRIC_BINARY_ACCURACY]), NN_OK, __LINE__)
        call check_status(nn_model_fit(model, x, y, epochs=20, batch_size=2, &
                          verbose=0), NN_OK, __LINE__)
    end subroutine trained

    subroutine test_round_trip()
        type(nn_model_t) :: a, b, c                 ! original, file, memory
        real(c_double) :: x(2, 4), y(1, 4)          ! (., samples)
        real(c_double) :: pa(1, 4), pb(1, 4), pc(1, 4)  ! predictions
        real(c_double) :: wa(17), wb(17)            ! parameters
        integer(c_int8_t), allocatable :: bytes(:), file_bytes(:)
                                                    ! (file size)
        integer :: unit, size_on_disk               ! the saved file

        call trained(a, x, y)
        call check_status(nn_model_save(a, path // '   '), NN_OK, __LINE__)
        call check_status(nn_model_load(b, path), NN_OK, __LINE__)
        call check(nn_model_is_compiled(b), __LINE__)
        call check_status(nn_model_predict(a, x, pa), NN_OK, __LINE__)
        call check_status(nn_model_predict(b, x, pb), NN_OK, __LINE__)
        call check_bits(reshape(pa, [4]), reshape(pb, [4]), __LINE__, &
                        'predictions after load')

        ! Both go on training and stay equal.
        call check_status(nn_model_fit(a, x, y, epochs=5, batch_size=2, &
                          verbose=0), NN_OK, __LINE__)
        call check_status(nn_model_fit(b, x, y, epochs=5, batch_size=2, &
                          verbose=0), NN_OK, __LINE__)
        call check_status(nn_model_params_get(a, wa), NN_OK, __LINE__)
        call check_status(nn_model_params_get(b, wb), NN_OK, __LINE__)
        call check_bits(wa, wb, __LINE__, 'weights after resumed training')

        ! The bytes in memory are the file's.
        call check_status(nn_model_save(b, path), NN_OK, __LINE__)
        call check_status(nn_model_save_mem(b, bytes), NN_OK, __LINE__)
        open(newunit=unit, file=path, access='stream', form='unformatted', &
             status='old', action='read')
        inquire(unit=unit, size=size_on_disk)
        allocate(file_bytes(size_on_disk))
        read(unit) file_bytes
        close(unit, status='delete')
        call check(size(bytes) == size_on_disk, __LINE__, 'same size')
        call check(all(bytes == file_bytes), __LINE__, 'same bytes')
        call check_status(nn_model_load_mem(c, bytes), NN_OK, __LINE__)
        call check_status(nn_model_predict(c, x, pc), NN_OK, __LINE__)
        call check_status(nn_model_predict(b, x, pb), NN_OK, __LINE__)
        call check_bits(reshape(pb, [4]), reshape(pc, [4]), __LINE__, &
                        'predictions after load from memory')

        call nn_model_free(a)
        call nn_model_free(b)
        call nn_model_free(c)
    end subroutine test_round_trip

    subroutine test_failures()
        type(nn_model_t) :: model, loaded           ! uncompiled, result
        integer(c_int8_t), allocatable :: bytes(:)  ! a model's bytes
        character(len=:), allocatable :: msg        ! the last error

        call check_status(nn_model_load(loaded, 'no/such/dir/model.nnm'), &
                          NN_EIO, __LINE__)
        call check(.not. c_associated(loaded%p), __LINE__)
        msg = nn_last_error_message()
        call check(index(msg, 'no/such/dir/model.nnm') > 0, __LINE__, msg)

        call check_status(nn_model_new(model, 3), NN_OK, __LINE__)
        call check_status(nn_model_add_dense(model, 1, &
                          NN_ACTIVATION_IDENTITY), NN_OK, __LINE__)
        call check_status(nn_model_save(model, path), NN_ESTATE, __LINE__)
        call check_status(nn_model_save_mem(model, bytes), NN_ESTATE, &
                          __LINE__)
        call check(.not. allocated(bytes), __LINE__)
        call check_status(nn_model_compile(model, NN_LOSS_MSE), NN_OK, &
                          __LINE__)

        ! A flipped byte breaks the checksum.
        call check_status(nn_model_save_mem(model, bytes), NN_OK, __LINE__)
        bytes(size(bytes) / 2) = not(bytes(size(bytes) / 2))
        call check_status(nn_model_load_mem(loaded, bytes), NN_EFORMAT, &
                          __LINE__)
        call check(.not. c_associated(loaded%p), __LINE__)
        call check_status(nn_model_load_mem(loaded, bytes(1:10)), &
                          NN_EFORMAT, __LINE__)
        call nn_model_free(model)
    end subroutine test_failures

end program test_fortran_io
