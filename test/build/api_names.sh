#!/usr/bin/env bash
# test/build/api_names.sh -- every public name compiles as C and C++, and
# the library defines every public function this milestone provides.
# Design: manual/design/interface.rst (.names)
#
# tool/check-api turns test/iface/mps-public-api.txt into a program that
# refers to each public name.  It must compile warning-free as C (gcc
# -std=gnu17 -Wpedantic) and pass a C++ syntax check against code/*.h.
# Many functions belong to later milestones and are not defined yet, so
# the program is not linked: instead nm compares the functions and
# variables of the list with what the variety's libmps.a defines.  Those
# not defined are listed for information; the check fails only if one of
# REQUIRED below (the surface of the milestones done so far) is missing.  Public
# names the library defines beyond the list are printed too.
set -euo pipefail
cd "${LAGOON_ROOT:-$(dirname "$0")/../..}"

build=${LAGOON_BUILD:-build/${LAGOON_VARIETY:-hot}}
lib=$build/libmps.a
list=test/iface/mps-public-api.txt
out=$build/api_names
[ -f "$lib" ] || { echo "api_names: $lib does not exist (build the variety first)" >&2; exit 1; }
command -v gcc > /dev/null || { echo "skip: gcc is not installed"; exit 77; }
mkdir -p "$out"
fail=0

# -- Generate and compile ------------------------------------------------
tool/check-api -o "$out/api_names.c" "$list"

check_cflags=$(pkg-config --cflags check 2>/dev/null || true)
# shellcheck disable=SC2086
if gcc -std=gnu17 -Wall -Wextra -Wpedantic -Werror -Icode $check_cflags \
       -c -o "$out/api_names.o" "$out/api_names.c" \
   && gcc -std=gnu17 -Wall -Wextra -Wpedantic -Werror -Icode -DAPI_NAMES_NO_CHECK \
       -c -o "$out/api_names-nocheck.o" "$out/api_names.c"; then
  echo "api_names: C (gcc -std=gnu17 -Wpedantic): compiles"
else
  echo "api_names: FAIL: the generated program does not compile as C"
  fail=1
fi

if command -v g++ > /dev/null; then
  if g++ -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -Icode \
         -DAPI_NAMES_NO_CHECK -fsyntax-only "$out/api_names.c"; then
    echo "api_names: C++ (g++ -std=c++11 -fsyntax-only): compiles"
  else
    echo "api_names: FAIL: the generated program does not compile as C++"
    fail=1
  fi
else
  echo "api_names: g++ is not installed: C++ check not run"
fi

# -- Defined names ---------------------------------------------------------
# Functions and variables of the list, and the global names libmps.a defines.
awk -F'\t' '!/^#/ && ($3 == "function" || $3 == "variable") { print $1 }' "$list" \
  | sort -u > "$out/declared.txt"
awk -F'\t' '!/^#/ && ($2 == "mpslib.h" || $2 == "mpsio.h") && $3 == "function" { print $1 }' \
  "$list" | sort -u > "$out/plinth.txt"
awk -F'\t' '!/^#/ && $3 == "variable" && $1 ~ /^_mps_key_/ { print $1 }' "$list" \
  | sort -u > "$out/keys.txt"
nm -g --defined-only -P "$lib" | awk 'NF >= 2 && $2 ~ /^[A-Za-z]$/ && $2 != "U" { print $1 }' \
  | sort -u > "$out/defined.txt"

# The foundation milestone's surface (arenas, manual pools, APs, frames,
# caches, formats, plinth, keyword arguments).
REQUIRED="
  mps_arena_create mps_arena_create_k mps_arena_create_v mps_arena_destroy
  mps_arena_committed mps_arena_reserved mps_arena_spare_committed
  mps_arena_commit_limit mps_arena_commit_limit_set
  mps_arena_spare mps_arena_spare_set
  mps_arena_spare_commit_limit mps_arena_spare_commit_limit_set
  mps_arena_pause_time mps_arena_pause_time_set
  mps_arena_has_addr mps_addr_pool mps_arena_extend
  mps_arena_class_vm mps_arena_class_cl mps_arena_vm_growth
  mps_pool_create mps_pool_create_k mps_pool_create_v mps_pool_destroy
  mps_alloc mps_free mps_pool_total_size mps_pool_free_size
  mps_pool_check_fenceposts mps_pool_check_free_space
  mps_class_mfs mps_class_mvff mps_class_mvff_debug mps_class_mvt mps_class_snc
  mps_ap_create mps_ap_create_k mps_ap_create_v mps_ap_destroy
  mps_ap_fill mps_ap_trip mps_reserve mps_commit
  mps_ap_frame_push mps_ap_frame_pop
  mps_sac_create mps_sac_destroy mps_sac_alloc mps_sac_free
  mps_sac_flush mps_sac_fill mps_sac_empty
  mps_fmt_create_k mps_fmt_destroy
  _mps_args_set_key mps_args_none
  mps_fmt_create_A mps_fmt_create_B mps_fmt_create_auto_header
  mps_fmt_create_fixed mps_addr_fmt
  mps_rank_ambig mps_rank_exact mps_rank_weak
  mps_root_create mps_root_create_area mps_root_create_area_tagged
  mps_root_create_table mps_root_create_table_masked
  mps_root_create_fmt mps_root_create_reg
  mps_root_create_thread mps_root_create_thread_tagged
  mps_root_create_thread_scanned mps_root_destroy mps_stack_scan_ambig
  mps_thread_reg mps_thread_dereg
  mps_scan_area mps_scan_area_masked mps_scan_area_tagged
  mps_scan_area_tagged_or_zero _mps_fix2
  mps_class_ams mps_class_ams_debug mps_class_lo
  mps_chain_create mps_chain_destroy
  mps_arena_collect mps_arena_start_collect mps_arena_park
  mps_arena_release mps_arena_clamp mps_arena_step mps_arena_postmortem
  mps_arena_busy mps_collections
  mps_message_type_enable mps_message_type_disable mps_message_poll
  mps_message_queue_type mps_message_get mps_message_discard
  mps_message_type mps_message_clock mps_message_gc_live_size
  mps_message_gc_condemned_size mps_message_gc_not_condemned_size
  mps_message_gc_start_why mps_message_finalization_ref
  mps_arena_formatted_objects_walk mps_arena_roots_walk mps_pool_walk
  mps_addr_object
  mps_class_amc mps_class_amcz mps_amc_apply mps_class_awl
  mps_ld_reset mps_ld_add mps_ld_merge mps_ld_isstale mps_ld_isstale_any
  mps_alloc_pattern_ramp mps_alloc_pattern_ramp_collect_all
  mps_ap_alloc_pattern_begin mps_ap_alloc_pattern_end mps_ap_alloc_pattern_reset
"
{ printf '%s\n' $REQUIRED; cat "$out/plinth.txt" "$out/keys.txt"; } | sort -u > "$out/required.txt"

# A required name the list does not know is a mistake in this script.
not_listed=$(comm -23 "$out/required.txt" "$out/declared.txt")
if [ -n "$not_listed" ]; then
  echo "api_names: FAIL: required but not in $list:" $not_listed
  fail=1
fi

comm -23 "$out/declared.txt" "$out/defined.txt" > "$out/undefined.txt"
n_declared=$(wc -l < "$out/declared.txt")
n_undefined=$(wc -l < "$out/undefined.txt")
echo "api_names: $((n_declared - n_undefined)) of $n_declared public functions and variables defined by $lib"
echo "api_names: $n_undefined not defined yet (later milestones):"
fmt -w 76 "$out/undefined.txt" | sed 's/^/    /'

missing=$(comm -12 "$out/required.txt" "$out/undefined.txt")
if [ -n "$missing" ]; then
  echo "api_names: FAIL: this milestone must define:" $missing
  fail=1
else
  echo "api_names: all $(wc -l < "$out/required.txt") names this milestone requires are defined"
fi

# Public names the library defines beyond the MPS list (Lagoon's own
# extensions, or a list out of date): informative.
extra=$(grep -E '^_?mps_' "$out/defined.txt" | comm -23 - "$out/declared.txt" || true)
if [ -n "$extra" ]; then
  echo "api_names: note: libmps.a defines public names not in $list:" $extra
fi

exit $fail
