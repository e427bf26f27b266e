#!/bin/sh
# Installs the build into a scratch directory, then builds and runs
# tests/external/consumer.c the way a user would: compiler flags from
# pkg-config, the installed shared library at run time.
#
# Usage: check_install.sh MESON BUILDDIR CONSUMER_C CC [CFLAG...]
# PKG_CONFIG names pkg-config when it is not on PATH.
set -eu

meson=$1
builddir=$2
consumer=$3
shift 3
pkg_config=${PKG_CONFIG:-pkg-config}

name=check_install
. "$(dirname "$0")/install_common.sh"
install_build "$meson" "$builddir"

pc=$(find "$root" -name nnblas.pc | head -n 1)
lib=$(find "$root" -name 'libnnblas.so*' | head -n 1)
[ -n "$pc" ] || fail "no nnblas.pc was installed"
[ -n "$lib" ] || fail "no libnnblas.so was installed"
[ -n "$(find "$root" -name nnblas.h)" ] || fail "nnblas.h was not installed"

use_pc_dir "$(dirname "$pc")"
flags=$("$pkg_config" --cflags --libs nnblas) || fail "pkg-config failed"
echo "check_install: pkg-config gives: $flags"

# $flags is split into words on purpose.
# shellcheck disable=SC2086
"$@" -o "$tmp/consumer" "$consumer" $flags -lm \
    || fail "the consumer did not compile against the installed files"

LD_LIBRARY_PATH=$(dirname "$lib") "$tmp/consumer" \
    || fail "the consumer failed against the installed library"
