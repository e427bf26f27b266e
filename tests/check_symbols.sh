#!/bin/sh
# Fails if the shared library exports anything but the public nn_ API:
# every dynamic symbol it defines must start with nn_ (and not nn__,
# the prefix of internal helpers), apart from the linker's own symbols.
#
# Usage: check_symbols.sh NM LIBRARY
set -eu

nm=$1
lib=$2

symbols=$("$nm" -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' \
          | sed 's/@.*//')
if [ -z "$symbols" ]; then
    echo "check_symbols: $lib exports nothing" >&2
    exit 1
fi

# Linker symbols, and those a sanitizer build adds to every object.
ignore='^(_init|_fini|__bss_start|_edata|_end|__odr_asan[._].*|___asan_globals_registered|__asan_.*|__ubsan_.*)$'

bad=$(printf '%s\n' "$symbols" | grep -Ev "$ignore" \
      | grep -Ev '^nn_' || true)
internal=$(printf '%s\n' "$symbols" | grep -E '^nn__' || true)
count=$(printf '%s\n' "$symbols" | grep -cE '^nn_[^_]' || true)

status=0
if [ -n "$bad" ]; then
    echo "check_symbols: exported without the nn_ prefix:" >&2
    printf '  %s\n' $bad >&2
    status=1
fi
if [ -n "$internal" ]; then
    echo "check_symbols: internal nn__ helpers are exported:" >&2
    printf '  %s\n' $internal >&2
    status=1
fi
echo "check_symbols: $count nn_ symbols exported"
exit $status
