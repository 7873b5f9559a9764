#!/usr/bin/env bash
# test/build/single_tu.sh -- code/mps.c alone builds the library: compile it
# as one translation unit with a plain command line, link the client, run it.
set -euo pipefail
cd "${LAGOON_ROOT:-$(dirname "$0")/../..}"
cc=${CC:-cc}
case ${LAGOON_VARIETY:-hot} in
  cool) var=-DCONFIG_VAR_COOL ;; rash) var=-DCONFIG_VAR_RASH ;; *) var=-DCONFIG_VAR_HOT ;;
esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lagoon-single-tu.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

set -x
$cc -O2 $var -iquote code -Icode -c code/mps.c -o "$tmp/mps.o"
$cc -O2 -std=gnu17 -Wall -Wextra -Werror -Icode -o "$tmp/client" test/build/client.c "$tmp/mps.o" -lsigsegv -pthread
"$tmp/client"
