! A tiny harness for the Fortran tests, after tests/nn_test.h: every check
! counts, a failed one prints "file:line: message", and check_done prints
! "N passed, M failed" and stops with status 1 after any failure. The
! tests are .F90 files so that they can pass __LINE__.
module nn_check
    use, intrinsic :: iso_c_binding
    use nnblas, only: nn_status_str, nn_last_error_message
    implicit none
    private
    public :: check_file, check, check_status, check_bits, check_near
    public :: check_done

    integer, save :: passed = 0                 ! checks that held
    integer, save :: failed = 0                 ! checks that did not
    character(len=64), save :: file = '?'       ! the test's source name

contains

    ! Names the source file for the messages.
    subroutine check_file(name)
        character(len=*), intent(in) :: name        ! e.g. "test_x.F90"

        file = name
    end subroutine check_file

    ! Counts one check; prints what failed.
    subroutine check(ok, line, what)
        logical, intent(in) :: ok                   ! the outcome
        integer, intent(in) :: line                 ! __LINE__
        character(len=*), intent(in), optional :: what  ! what was checked

        if (ok) then
            passed = passed + 1
            return
        end if
        failed = failed + 1
        if (present(what)) then
            write(*, '(a, ":", i0, ": check failed: ", a)') trim(file), &
                line, what
        else
            write(*, '(a, ":", i0, ": check failed")') trim(file), line
        end if
    end subroutine check

    ! A status check that shows both names and the last error message.
    subroutine check_status(got, want, line)
        integer(c_int), intent(in) :: got, want     ! status codes
        integer, intent(in) :: line                 ! __LINE__

        call check(got == want, line, 'returned ' // nn_status_str(got) // &
                   ', expected ' // nn_status_str(want) // &
                   ' (last error: "' // nn_last_error_message() // '")')
    end subroutine check_status

    ! Bit-for-bit equality of two arrays of doubles.
    subroutine check_bits(a, b, line, what)
        real(c_double), intent(in) :: a(:), b(:)    ! same length
        integer, intent(in) :: line                 ! __LINE__
        character(len=*), intent(in) :: what        ! what is compared

        if (size(a) /= size(b)) then
            call check(.false., line, what // ': the lengths differ')
            return
        end if
        call check(all(transfer(a, 0_c_int64_t, size(a)) == &
                       transfer(b, 0_c_int64_t, size(b))), line, &
                   what // ': not bit-for-bit equal')
    end subroutine check_bits

    ! |a - b| <= tol * max(1, |a|, |b|), elementwise.
    subroutine check_near(a, b, tol, line, what)
        real(c_double), intent(in) :: a(:), b(:)    ! same length
        real(c_double), intent(in) :: tol           ! relative tolerance
        integer, intent(in) :: line                 ! __LINE__
        character(len=*), intent(in) :: what        ! what is compared
        character(len=32) :: buf                    ! the worst difference

        if (size(a) /= size(b)) then
            call check(.false., line, what // ': the lengths differ')
            return
        end if
        write(buf, '(es10.3)') maxval(abs(a - b))
        call check(all(abs(a - b) <= tol * max(1.0_c_double, abs(a), &
                   abs(b))), line, what // ': differs by ' // trim(buf))
    end subroutine check_near

    ! Prints the totals; stops with status 1 after any failure.
    subroutine check_done()
        write(*, '(i0, " passed, ", i0, " failed")') passed, failed
        if (failed > 0) stop 1
    end subroutine check_done

end module nn_check
