/* test/unit/snc_test.c -- SNC internals: ranks, format requirements,
 * segment stacks, padding accounting, popping to a frame in a lower
 * segment.
 * Design: manual/design/snc.rst */
#include "pool/snc.h"
#include "pool/buffer.h"
#include "mpsavm.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

static mps_arena_t arena;
static Format *format;
static Pool *pool;

static void pad(mps_addr_t addr, size_t size)
{
  *(uintptr_t *)addr = size;
}

static mps_addr_t skip(mps_addr_t addr)
{
  return (char *)addr + *(uintptr_t *)addr;
}

static mps_res_t scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  (void)ss;
  (void)base;
  (void)limit;
  return MPS_RES_OK;
}

static void setup(void)
{
  mps_arg_s args[4];
  ck_assert_int_eq(mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none), MPS_RES_OK);
  arena_enter(arena);
  args[0].key = MPS_KEY_FMT_PAD;
  args[0].val.fmt_pad = pad;
  args[1].key = MPS_KEY_FMT_SKIP;
  args[1].val.fmt_skip = skip;
  args[2].key = MPS_KEY_FMT_SCAN;
  args[2].val.fmt_scan = scan;
  args[3].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(format_create(&format, arena, args), RES_OK);
  args[0].key = MPS_KEY_FORMAT;
  args[0].val.format = format;
  args[1].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&pool, arena, &snc_class, args), RES_OK);
  ck_assert_uint_eq(format->pool_count, 1);
}

static void teardown(void)
{
  pool_destroy(pool);
  ck_assert_uint_eq(format->pool_count, 0);
  format_destroy(format);
  arena_leave(arena);
  mps_arena_destroy(arena);
}

START_TEST(only_exact_rank)
{
  Buffer *buf;
  mps_arg_s args[2];
  args[0].key = MPS_KEY_RANK;
  args[1].key = MPS_KEY_ARGS_END;
  /* The manual: SNC blocks hold exact references, not ambiguous or weak
   * ones. */
  args[0].val.rank = RANK_WEAK;
  ck_assert_int_eq(buffer_create(&buf, pool, args), RES_PARAM);
  args[0].val.rank = RANK_AMBIG;
  ck_assert_int_eq(buffer_create(&buf, pool, args), RES_PARAM);
  args[0].val.rank = RANK_FINAL;
  ck_assert_int_eq(buffer_create(&buf, pool, args), RES_PARAM);
  args[0].val.rank = RANK_LIMIT;
  ck_assert_int_eq(buffer_create(&buf, pool, args), RES_PARAM);
  ck_assert(ring_is_empty(&pool->buffer_ring));
  args[0].val.rank = RANK_EXACT;
  ck_assert_int_eq(buffer_create(&buf, pool, args), RES_OK);
  ck_assert_uint_eq(buf->rank, RANK_EXACT);
  buffer_destroy(buf);
  /* The default is exact too. */
  ck_assert_int_eq(buffer_create(&buf, pool, mps_args_none), RES_OK);
  ck_assert_uint_eq(buf->rank, RANK_EXACT);
  buffer_destroy(buf);
}
END_TEST

/* Formats SNC refuses: what the manual requires is missing, or objects
 * have in-band headers. */
START_TEST(format_requirements)
{
  static const struct {
    bool scan, skip, pad;
    Size header;
  } cases[] = {{true, false, true, 0}, {true, true, false, 0},
               {true, true, true, 8}, {false, true, true, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    Format *f;
    Pool *p = NULL;
    mps_arg_s args[5];
    Index n = 0;
    if (cases[i].scan) {
      args[n].key = MPS_KEY_FMT_SCAN;
      args[n++].val.fmt_scan = scan;
    }
    if (cases[i].skip) {
      args[n].key = MPS_KEY_FMT_SKIP;
      args[n++].val.fmt_skip = skip;
    }
    if (cases[i].pad) {
      args[n].key = MPS_KEY_FMT_PAD;
      args[n++].val.fmt_pad = pad;
    }
    args[n].key = MPS_KEY_FMT_HEADER_SIZE;
    args[n++].val.size = cases[i].header;
    args[n].key = MPS_KEY_ARGS_END;
    ck_assert_int_eq(format_create(&f, arena, args), RES_OK);
    args[0].key = MPS_KEY_FORMAT;
    args[0].val.format = f;
    args[1].key = MPS_KEY_ARGS_END;
    ck_assert_int_eq(pool_create(&p, arena, &snc_class, args), RES_PARAM);
    ck_assert_ptr_null(p);
    ck_assert_uint_eq(f->pool_count, 0);
    format_destroy(f);
  }
}
END_TEST

START_TEST(pop_into_lower_segment)
{
  Buffer *buf;
  Addr p, first_seg_base;
  Frame *frame;
  ck_assert_int_eq(buffer_create(&buf, pool, mps_args_none), RES_OK);
  ck_assert_int_eq(buffer_fill(&p, buf, 48), RES_OK);
  buf->ap.init = buf->ap.alloc;            /* commit */
  first_seg_base = buf->base;
  ck_assert_int_eq(buffer_frame_push(&frame, buf), RES_OK);
  ck_assert_uint_eq((Addr)frame, p + 48);
  /* A block too big for the rest of the segment moves to a new one and
   * pads the old tail. */
  ck_assert_int_eq(buffer_fill(&p, buf, SNC_SEG_SIZE), RES_OK);
  buf->ap.init = buf->ap.alloc;
  ck_assert_uint_ne(buf->base, first_seg_base);
  ck_assert_uint_eq(pool_free_size(pool), SNC_SEG_SIZE - 48 + (buf->limit - buffer_init_addr(buf)));
  ck_assert_int_eq(buffer_frame_pop(buf, frame), RES_OK);
  ck_assert_uint_eq(buf->base, first_seg_base);
  ck_assert_uint_eq(buffer_init_addr(buf), first_seg_base + 48);
  ck_assert_uint_eq(ring_length(&pool->seg_ring), 1);
  ck_assert_uint_eq(pool_free_size(pool), SNC_SEG_SIZE - 48);
  ck_assert(buffer_check(buf));
  buffer_destroy(buf);
  /* The segment outlives the allocation point. */
  ck_assert_uint_eq(pool_total_size(pool), SNC_SEG_SIZE);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("unit/snc");
  TCase *tc = tcase_create("snc");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, only_exact_rank);
  tcase_add_test(tc, format_requirements);
  tcase_add_test(tc, pop_into_lower_segment);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
