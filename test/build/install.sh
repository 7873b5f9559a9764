#!/usr/bin/env bash
# test/build/install.sh -- `make install` into a scratch prefix, then build the
# client with `pkg-config lagoon`, statically and dynamically, and run both.
# Also checks that DESTDIR is honoured.
set -euo pipefail
cd "${LAGOON_ROOT:-$(dirname "$0")/../..}"
cc=${CC:-cc}
variety=${LAGOON_VARIETY:-hot}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lagoon-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail() { echo "install: $*"; exit 1; }

make --no-print-directory VARIETY="$variety" install PREFIX="$prefix"
for f in include/mps.h include/mpstd.h \
         lib/libmps.a lib/libmps.so.0 lib/libmps.so lib/pkgconfig/lagoon.pc; do
  [ -e "$prefix/$f" ] || fail "$prefix/$f was not installed"
done
for h in code/mps*.h; do
  cmp -s "$h" "$prefix/include/${h#code/}" || fail "$h differs from the installed copy"
done
[ -L "$prefix/lib/libmps.so" ] || fail "lib/libmps.so is not a symlink"
soname=$(readelf -d "$prefix/lib/libmps.so.0" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$soname" = libmps.so.0 ] || fail "libmps.so.0 has soname '$soname'"

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pkg-config --exists lagoon || fail "pkg-config does not find lagoon"
echo "pkg-config: cflags '$(pkg-config --cflags lagoon)' libs '$(pkg-config --libs lagoon)' static '$(pkg-config --static --libs lagoon)'"
[ "$(pkg-config --variable=includedir lagoon)" = "$prefix/include" ] || fail "wrong includedir in lagoon.pc"

# Static: libmps.a by name, its private libraries from --static.  The client
# defines functions named like Lagoon's internals: they must not collide.
cflags=$(pkg-config --cflags lagoon)
private=$(pkg-config --static --libs-only-l lagoon | sed 's/-lmps\b//')
set -x
# shellcheck disable=SC2046 # pkg-config output is meant to split
$cc -std=gnu17 -Wall -Wextra -Werror -DCLIENT_DEFINES_INTERNAL_NAMES $cflags \
    -o "$tmp/client-static" test/build/client.c \
    $(pkg-config --libs-only-L lagoon) -l:libmps.a $private -pthread
# shellcheck disable=SC2046
$cc -std=gnu17 -Wall -Wextra -Werror -DCLIENT_DEFINES_INTERNAL_NAMES $cflags \
    -o "$tmp/client-shared" test/build/client.c $(pkg-config --libs lagoon)
set +x
# (grep reads whole captured outputs: with pipefail, grep -q on a pipe can
# kill the writer and fail the pipeline.)
if grep -q 'NEEDED.*libmps' <<< "$(readelf -d "$tmp/client-static")"; then
  fail "client-static needs libmps.so"
fi
grep -q 'NEEDED.*\[libmps\.so\.0\]' <<< "$(readelf -d "$tmp/client-shared")" ||
  fail "client-shared does not need libmps.so.0"
"$tmp/client-static"
LD_LIBRARY_PATH=$prefix/lib "$tmp/client-shared"
grep -q -F "$prefix/lib/libmps.so.0" <<< "$(LD_LIBRARY_PATH=$prefix/lib ldd "$tmp/client-shared")" ||
  fail "client-shared did not load the installed libmps.so.0"

# DESTDIR: files land under it, lagoon.pc still names the real prefix.
make --no-print-directory VARIETY="$variety" install PREFIX=/opt/lagoon DESTDIR="$tmp/stage" > /dev/null
[ -f "$tmp/stage/opt/lagoon/include/mps.h" ] || fail "DESTDIR install put no mps.h under the stage"
[ -f "$tmp/stage/opt/lagoon/lib/libmps.a" ] || fail "DESTDIR install put no libmps.a under the stage"
grep -q '^prefix=/opt/lagoon$' "$tmp/stage/opt/lagoon/lib/pkgconfig/lagoon.pc" ||
  fail "DESTDIR install wrote the stage into lagoon.pc"
echo "install: ok"
