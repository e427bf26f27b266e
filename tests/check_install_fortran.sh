#!/bin/sh
# Installs the build into a scratch directory, then builds and runs
# tests/external/consumer.f90 the way a Fortran user would: the module
# and the libraries found through pkg-config's nnblas-fortran, the
# installed shared libraries at run time. Also checks that nnblas.mod
# went to MODDIR and that the installed module source compiles alone.
#
# Usage: check_install_fortran.sh MESON BUILDDIR MODDIR CONSUMER FC [FLAG...]
# PKG_CONFIG names pkg-config when it is not on PATH.
set -eu

meson=$1
builddir=$2
moddir=$3
consumer=$4
shift 4
pkg_config=${PKG_CONFIG:-pkg-config}

name=check_install_fortran
. "$(dirname "$0")/install_common.sh"
install_build "$meson" "$builddir"

[ -f "$root$moddir/nnblas.mod" ] || fail "nnblas.mod is not in $moddir"
pc=$(find "$root" -name nnblas-fortran.pc | head -n 1)
lib=$(find "$root" -name 'libnnblas_fortran.so*' | head -n 1)
src=$(find "$root" -path '*/nnblas/nnblas.f90' | head -n 1)
[ -n "$pc" ] || fail "no nnblas-fortran.pc was installed"
[ -n "$lib" ] || fail "no libnnblas_fortran.so was installed"
[ -n "$src" ] || fail "the module source nnblas/nnblas.f90 was not installed"

use_pc_dir "$(dirname "$pc")"
flags=$("$pkg_config" --cflags --libs nnblas-fortran) \
    || fail "pkg-config failed"
echo "check_install_fortran: pkg-config gives: $flags"
case " $flags " in
    *" -I$root$moddir "*) ;;
    *) fail "pkg-config does not point -I at $moddir" ;;
esac

# $flags is split into words on purpose.
# shellcheck disable=SC2086
"$@" -o "$tmp/consumer" "$consumer" $flags \
    || fail "the consumer did not compile against the installed module"
LD_LIBRARY_PATH=$(dirname "$lib") "$tmp/consumer" \
    || fail "the consumer failed against the installed libraries"

# With another compiler a user rebuilds the module from the source.
mkdir "$tmp/rebuilt"
"$@" -c "$src" -J "$tmp/rebuilt" -o "$tmp/rebuilt/nnblas.o" \
    || fail "the installed nnblas.f90 does not compile on its own"
[ -f "$tmp/rebuilt/nnblas.mod" ] || fail "compiling nnblas.f90 made no .mod"
echo "check_install_fortran: ok"
