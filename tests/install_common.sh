# Shared by check_install.sh and check_install_fortran.sh (sourced):
# installs the build into a scratch root and points pkg-config at it.
# The caller sets $name (for messages) before sourcing.

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnblas-$name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
root=$tmp/root

fail() {
    echo "$name: $*" >&2
    exit 1
}

# install_build MESON BUILDDIR: meson test has already built everything,
# so no second ninja is started.
install_build() {
    if ! "$1" install -C "$2" --no-rebuild --destdir "$root" \
            >"$tmp/install.log" 2>&1; then
        cat "$tmp/install.log" >&2
        fail "meson install failed"
    fi
}

# use_pc_dir DIR: the .pc files there name the real prefix; the sysroot
# maps it into $root. System directories are kept in pkg-config's output
# so that they get mapped too.
use_pc_dir() {
    PKG_CONFIG_PATH=$1${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
    PKG_CONFIG_SYSROOT_DIR=$root
    PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1
    PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
    export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR \
           PKG_CONFIG_ALLOW_SYSTEM_CFLAGS PKG_CONFIG_ALLOW_SYSTEM_LIBS
}
