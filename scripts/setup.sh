# Shared by demo.sh and test.sh (sourced, not run): installs the Debian
# packages a step needs when they are missing, and configures the build.

set -euo pipefail

# Packages every build needs: compiler, build tools, BLAS, LAPACKE, zlib,
# and gfortran for the Fortran module with its examples and tests.
NN_BUILD_PACKAGES="gcc libc6-dev pkg-config meson ninja-build libopenblas-dev liblapacke-dev zlib1g-dev gfortran"

# Installs the named Debian packages that are not installed yet.
nn_need() {
    local missing=()
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
            missing+=("$pkg")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || {
            echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
            exit 1
        }
        sudo="sudo"
    fi
    # One index refresh per machine is enough; a fresh root has none.
    if [ ! -f /var/lib/apt/periodic/nnblas-updated ] \
        || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
        $sudo apt-get update -qq
        $sudo mkdir -p /var/lib/apt/periodic
        $sudo touch /var/lib/apt/periodic/nnblas-updated
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# Configures (or reconfigures) a build directory: nn_configure DIR [OPTIONS...]
nn_configure() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}
