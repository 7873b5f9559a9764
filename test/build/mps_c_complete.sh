#!/usr/bin/env bash
# test/build/mps_c_complete.sh -- code/mps.c #includes every library module,
# each once, so the single-TU libraries hold everything libmps-internal.a does.
set -euo pipefail
cd "${LAGOON_ROOT:-$(dirname "$0")/../..}"
[ -f code/mps.c ] || { echo "code/mps.c is missing"; exit 1; }
status=0
included=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\.c\)".*/\1/p' code/mps.c)
n=0
for f in code/{base,platform,arena,pool,trace,telemetry}/*.c code/mpsi.c; do
  [ -e "$f" ] || continue
  n=$((n + 1))
  c=$(printf '%s\n' "$included" | grep -c -x -F "${f#code/}" || true)
  if [ "$c" -eq 0 ]; then
    echo "code/mps.c does not #include \"${f#code/}\""; status=1
  elif [ "$c" -gt 1 ]; then
    echo "code/mps.c includes \"${f#code/}\" $c times"; status=1
  fi
done
for inc in $included; do
  [ -f "code/$inc" ] || { echo "code/mps.c includes \"$inc\", which does not exist"; status=1; }
done
[ $status -eq 0 ] && echo "code/mps.c includes all $n modules"
exit $status
