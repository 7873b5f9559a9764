#!/usr/bin/env bash
# test/build/design_tags.sh -- every design.<module>.<tag> the code cites
# is a paragraph of manual/design/<module>.rst.
set -euo pipefail
cd "${LAGOON_ROOT:-$(dirname "$0")/../..}"
exec tool/check-design-tags .
