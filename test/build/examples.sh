#!/bin/sh
# test/build/examples.sh -- build every example/*.c against the library
# and run it; fail if any example fails to build or exits non-zero.
#
# Environment:
#   LAGOON_LIB   the archive to link; if unset, $LAGOON_BUILD/libmps.a when
#                the test runner sets LAGOON_BUILD, else build/cool/libmps.a
#   CC           the compiler (default cc)
#   EXAMPLE_TIMEOUT  seconds each example may run (default 60)
#
# Run from anywhere; paths are taken from the top of the source tree.
# The examples are part of the manual (it includes them verbatim), so
# this script is what keeps the manual's code honest.

set -u

top=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
cd "$top" || exit 2

if [ -n "${LAGOON_LIB:-}" ]; then
  lib=$LAGOON_LIB
elif [ -n "${LAGOON_BUILD:-}" ]; then
  lib=$LAGOON_BUILD/libmps.a
else
  lib=build/cool/libmps.a
fi
cc=${CC:-cc}
limit=${EXAMPLE_TIMEOUT:-60}

if [ ! -f "$lib" ]; then
  echo "examples: library $lib not found (build it first, e.g. make VARIETY=cool)"
  exit 1
fi

# One output directory per archive, so varieties do not overwrite each
# other's binaries: build/examples/<variety>/.
variety=$(basename "$(dirname "$lib")")
out=build/examples/$variety
mkdir -p "$out" || exit 2

cflags="-std=gnu17 -Wall -Wextra -Werror -g -O1"
libs="-lsigsegv -pthread"

if command -v timeout >/dev/null 2>&1; then
  run_with_limit() { timeout "$limit" "$@"; }
else
  run_with_limit() { "$@"; }
fi

pass=0
fail=0
failed=""
found=0

for src in example/*.c; do
  [ -f "$src" ] || continue
  found=$((found + 1))
  name=$(basename "$src" .c)
  exe=$out/$name
  log=$out/$name.log

  # shellcheck disable=SC2086 # the flag strings are meant to split
  if ! $cc $cflags -Icode -o "$exe" "$src" "$lib" $libs >"$log" 2>&1; then
    echo "FAIL  $src: does not build against $lib"
    sed 's/^/      /' "$log"
    fail=$((fail + 1))
    failed="$failed $name"
    continue
  fi

  run_with_limit "./$exe" >"$log" 2>&1
  status=$?
  if [ "$status" -eq 0 ]; then
    echo "PASS  $src"
    pass=$((pass + 1))
  else
    if [ "$status" -eq 124 ]; then
      why="timed out after ${limit}s"
    elif [ "$status" -gt 128 ]; then
      why="killed by signal $((status - 128))"
    else
      why="exit status $status"
    fi
    echo "FAIL  $src: $why; its output:"
    sed 's/^/      /' "$log"
    fail=$((fail + 1))
    failed="$failed $name"
  fi
done

if [ "$found" -eq 0 ]; then
  echo "examples: no example/*.c found"
  exit 1
fi

echo "examples: $pass passed, $fail failed (library $lib)"
if [ "$fail" -ne 0 ]; then
  echo "examples: failed:$failed"
  exit 1
fi
exit 0
