#!/usr/bin/env bash
# test/build/clang.sh -- the library (modules and code/mps.c) and the tests
# compile warning-free (-Werror) with clang as well as gcc.  Built into a
# scratch directory with the variety under test; skipped (exit 77) without
# clang.
set -euo pipefail
cd "${LAGOON_ROOT:-$(dirname "$0")/../..}"
command -v clang > /dev/null 2>&1 || { echo "skip: clang is not installed"; exit 77; }
variety=${LAGOON_VARIETY:-cool}
case $variety in cool|hot|rash) ;; *) echo "skip: no clang check for $variety"; exit 77 ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lagoon-clang.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
clang --version | sed -n 1p
# The tests are compiled once (cool); the other varieties build the libraries.
targets="all internal"
[ "$variety" = cool ] && targets="all tests"
make --no-print-directory -k -j2 CC=clang VARIETY="$variety" BUILDDIR="$tmp/build" $targets
echo "clang: $variety variety ($targets) built warning-free"
