#!/usr/bin/env bash
# test/build/exports.sh -- libmps.so and libmps.a export only mps_* / _mps_* names.
set -euo pipefail
cd "${LAGOON_ROOT:-$(dirname "$0")/../..}"
exec tool/check-exports "${LAGOON_BUILD:-build/hot}"
