#!/usr/bin/env bash
# test/build/layers.sh -- modules include only their own layer and lower ones.
set -euo pipefail
cd "${LAGOON_ROOT:-$(dirname "$0")/../..}"
exec tool/check-layers code
