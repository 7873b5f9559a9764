/* trace/area.c -- the area scanners: mps_scan_area, _masked, _tagged,
 * _tagged_or_zero.
 * Design: manual/design/root.rst (design.root.area)
 *
 * These are the inner loop of root and stack scanning.  Each word goes
 * through the inline zone test MPS_FIX1 first; only a word whose zone
 * may hold white objects reaches scan_fix (what MPS_FIX2 calls, called
 * directly: no trip through the public entry, and the reference stays an
 * Addr, so no type punning).  A word is written back only when the fix
 * changed it, so an unchanged root is never written (it may be in
 * read-only memory, design.root.area.nowrite). */
#include "trace/root.h"

typedef enum AreaSelect {
  AREA_SELECT_ALL,            /* every word */
  AREA_SELECT_TAGGED,         /* tag == pattern */
  AREA_SELECT_TAGGED_OR_ZERO  /* tag == pattern or tag == 0 */
} AreaSelect;

/* design.root.area.tag: the tag is w & mask; a selected word is fixed
 * with its tag bits cleared, and stored back with the same tag bits if
 * the fix changed the reference.  Inlined into each scanner with `sel`
 * constant, so each loop is specialised. */
static inline __attribute__((always_inline)) ROOT_NO_ASAN mps_res_t
area_scan(mps_ss_t mps_ss, void *base, void *limit, Word mask, Word pattern,
          AreaSelect sel)
{
  ScanState *ss = scan_state_of_ss(mps_ss);
  Word *p = base;
  Word *lim = limit;

  ASSERT_CRIT(scan_state_check(ss));
  ASSERT_CRIT(addr_is_aligned((Addr)base, sizeof(Word)));
  ASSERT_CRIT(addr_is_aligned((Addr)limit, sizeof(Word)));
  ASSERT_CRIT(p <= lim);
  MPS_SCAN_BEGIN(mps_ss) {
    for (; p < lim; ++p) {
      Word w = *p;
      Word tag = w & mask;
      Addr ref, fixed;
      Res res;

      if (sel == AREA_SELECT_TAGGED && tag != pattern)
        continue;
      if (sel == AREA_SELECT_TAGGED_OR_ZERO && tag != pattern && tag != 0)
        continue;
      ref = w ^ tag;
      if (!MPS_FIX1(mps_ss, ref))
        continue;
      fixed = ref;
      res = scan_fix(ss, &fixed);
      if (res != RES_OK)
        return res;
      if (fixed != ref)
        *p = fixed | tag;
    }
  } MPS_SCAN_END(mps_ss);
  ss->scanned_size += (Size)((Addr)limit - (Addr)base);
  return MPS_RES_OK;
}

ROOT_NO_ASAN
mps_res_t mps_scan_area(mps_ss_t ss, void *base, void *limit, void *closure)
{
  UNUSED(closure);
  return area_scan(ss, base, limit, 0, 0, AREA_SELECT_ALL);
}

ROOT_NO_ASAN
mps_res_t mps_scan_area_masked(mps_ss_t ss, void *base, void *limit, void *closure)
{
  const mps_scan_tag_s *tag = closure;
  ASSERT_CRIT(tag != NULL);
  return area_scan(ss, base, limit, tag->mask, 0, AREA_SELECT_ALL);
}

ROOT_NO_ASAN
mps_res_t mps_scan_area_tagged(mps_ss_t ss, void *base, void *limit, void *closure)
{
  const mps_scan_tag_s *tag = closure;
  ASSERT_CRIT(tag != NULL);
  return area_scan(ss, base, limit, tag->mask, tag->pattern, AREA_SELECT_TAGGED);
}

ROOT_NO_ASAN
mps_res_t mps_scan_area_tagged_or_zero(mps_ss_t ss, void *base, void *limit,
                                       void *closure)
{
  const mps_scan_tag_s *tag = closure;
  ASSERT_CRIT(tag != NULL);
  return area_scan(ss, base, limit, tag->mask, tag->pattern,
                   AREA_SELECT_TAGGED_OR_ZERO);
}

/* design.trace.scan.error, design.root.scan.error: after a scanner of
 * [base, limit) failed, fix every word of it ambiguously, as it is and
 * with the bits below a word masked off (a tagged reference), for the
 * traces, white set and fix hook of the failed scan state.  Ambiguous
 * fixes by the engine cannot fail; a hook's failure is already the
 * caller's result. */
void area_scan_conservatively(ScanState *failed, Addr base, Addr limit)
{
  ScanState ss;
  mps_scan_tag_s tag;
  Res res;

  tag.mask = (mps_word_t)sizeof(mps_word_t) - 1;
  tag.pattern = 0;
  scan_state_init(&ss, failed->arena, failed->traces, RANK_AMBIG);
  scan_state_set_white(&ss, failed->white);
  ss.fix_hook = failed->fix_hook;
  ss.hook_closure = failed->hook_closure;
  res = mps_scan_area(scan_state_ss(&ss), addr_ptr(base), addr_ptr(limit), NULL);
  UNUSED(res);
  res = mps_scan_area_masked(scan_state_ss(&ss), addr_ptr(base), addr_ptr(limit), &tag);
  UNUSED(res);
  failed->fix_ref_count += ss.fix_ref_count;
  scan_state_finish(&ss);
}
