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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnblas-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
root=$tmp/root

fail() {
    echo "check_install: $*" >&2
    exit 1
}

# meson test has already built everything; do not start a second ninja.
if ! "$meson" install -C "$builddir" --no-rebuild --destdir "$root" \
        >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log" >&2
    fail "meson install failed"
fi

pc=$(find "$root" -name nnblas.pc | head -n 1)
lib=$(find "$root" -name 'libnnblas.so*' | head -n 1)
[ -n "$pc" ] || fail "no nnblas.pc was installed"
[ -n "$lib" ] || fail "no libnnblas.so was installed"
[ -n "$(find "$root" -name nnblas.h)" ] || fail "nnblas.h was not installed"

# The .pc file names the real prefix; the sysroot maps it into $root.
# System directories are kept in the output so that they get mapped too.
PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
PKG_CONFIG_SYSROOT_DIR=$root
PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1
PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_ALLOW_SYSTEM_CFLAGS \
       PKG_CONFIG_ALLOW_SYSTEM_LIBS
flags=$("$pkg_config" --cflags --libs nnblas) || fail "pkg-config failed"
echo "check_install: pkg-config gives: $flags"

# $flags is split into words on purpose.
# shellcheck disable=SC2086
"$@" -o "$tmp/consumer" "$consumer" $flags -lm \
    || fail "the consumer did not compile against the installed files"

LD_LIBRARY_PATH=$(dirname "$lib") "$tmp/consumer" \
    || fail "the consumer failed against the installed library"
