/* test/iface/format_test.c -- object formats through the public
 * interface: the keyword arguments and their validation, the deprecated
 * constructors, mps_addr_fmt, destroying a format in use; walking and
 * mps_addr_object on pools that cannot be walked.
 * Design: manual/design/format.rst, manual/design/walk.rst */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmvff.h"
#include "mpscsnc.h"
#include "mpstd.h"
#include "fixture.h"

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

/* A toy format: each object is a size word and a payload. */
typedef struct Obj {
  uintptr_t size;
  uintptr_t payload[];
} Obj;

static mps_addr_t toy_skip(mps_addr_t addr)
{
  return (char *)addr + ((Obj *)addr)->size;
}

static void toy_pad(mps_addr_t addr, size_t size)
{
  ((Obj *)addr)->size = size;
}

static mps_res_t toy_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  (void)ss;
  (void)base;
  (void)limit;
  return MPS_RES_OK;
}

static void toy_fwd(mps_addr_t old, mps_addr_t new_addr)
{
  (void)old;
  (void)new_addr;
}

static mps_addr_t toy_isfwd(mps_addr_t addr)
{
  (void)addr;
  return NULL;
}

static mps_addr_t toy_class(mps_addr_t addr)
{
  (void)addr;
  return NULL;
}

static mps_arena_t arena;

static void setup(void)
{
  arena = fixture_vm_arena((size_t)16 << 20);
}

static void teardown(void)
{
  mps_arena_destroy(arena);
}

/* Create an SNC pool on fmt: OK only if fmt has SNC's methods (scan,
 * skip, pad), no header and an alignment of at least a word, so it
 * tells what a format recorded. */
static mps_res_t snc_create(mps_pool_t *pool_o, mps_fmt_t fmt)
{
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    res = mps_pool_create_k(pool_o, arena, mps_class_snc(), args);
  } MPS_ARGS_END(args);
  return res;
}

static mps_fmt_t toy_format(void)
{
  mps_fmt_t fmt;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, (mps_align_t)sizeof(void *));
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, toy_scan);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, toy_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, toy_pad);
    res = mps_fmt_create_k(&fmt, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  return fmt;
}

static Obj *make(mps_ap_t ap, size_t size)
{
  mps_addr_t p;
  do {
    ck_assert_int_eq(mps_reserve(&p, ap, size), MPS_RES_OK);
    ((Obj *)p)->size = size;
  } while (!mps_commit(ap, p, size));
  return p;
}

/* ---- Keyword arguments ---- */

START_TEST(defaults)
{
  mps_fmt_t fmt;
  mps_pool_t pool;
  ck_assert_int_eq(mps_fmt_create_k(&fmt, arena, mps_args_none), MPS_RES_OK);
  /* no methods: SNC, which needs three, refuses it */
  ck_assert_int_eq(snc_create(&pool, fmt), MPS_RES_PARAM);
  mps_fmt_destroy(fmt);
}
END_TEST

START_TEST(every_key)
{
  mps_fmt_t fmt;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, (mps_align_t)8);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_HEADER_SIZE, (size_t)8);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, toy_scan);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, toy_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_FWD, toy_fwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ISFWD, toy_isfwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, toy_pad);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_CLASS, toy_class);
    res = mps_fmt_create_k(&fmt, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  mps_fmt_destroy(fmt);
}
END_TEST

static mps_res_t create_align(mps_fmt_t *fmt_o, size_t align)
{
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, (mps_align_t)align);
    res = mps_fmt_create_k(fmt_o, arena, args);
  } MPS_ARGS_END(args);
  return res;
}

static mps_res_t create_header(mps_fmt_t *fmt_o, size_t header)
{
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_HEADER_SIZE, header);
    res = mps_fmt_create_k(fmt_o, arena, args);
  } MPS_ARGS_END(args);
  return res;
}

START_TEST(alignment)
{
  mps_fmt_t fmt;
  mps_fmt_t untouched = (mps_fmt_t)&fmt;
  /* a power of two, at most the arena's grain (a page, at least 4 KiB) */
  static const size_t good[] = {1, 2, 8, 16, MPS_PF_ALIGN, 4096};
  static const size_t bad[] = {0, 3, 12, 24, (size_t)1 << 40};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; ++i) {
    ck_assert_int_eq(create_align(&fmt, good[i]), MPS_RES_OK);
    mps_fmt_destroy(fmt);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    fmt = untouched;
    ck_assert_int_eq(create_align(&fmt, bad[i]), MPS_RES_PARAM);
    ck_assert_ptr_eq(fmt, untouched);     /* outputs only on success */
  }
}
END_TEST

START_TEST(header_size)
{
  mps_fmt_t fmt;
  mps_fmt_t untouched = (mps_fmt_t)&fmt;
  /* Any header smaller than a grain: tag-sized ones included. */
  static const size_t good[] = {0, 1, 3, 8, 16, 24, 1000};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; ++i) {
    ck_assert_int_eq(create_header(&fmt, good[i]), MPS_RES_OK);
    mps_fmt_destroy(fmt);
  }
  fmt = untouched;
  ck_assert_int_eq(create_header(&fmt, (size_t)1 << 30), MPS_RES_PARAM);
  ck_assert_int_eq(create_header(&fmt, SIZE_MAX), MPS_RES_PARAM);
  ck_assert_ptr_eq(fmt, untouched);
}
END_TEST

START_TEST(bad_lists)
{
  mps_fmt_t fmt;
  mps_res_t res;
  /* a key of another function */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, (mps_align_t)8);
    res = mps_fmt_create_k(&fmt, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  /* a key twice */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, toy_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, toy_skip);
    res = mps_fmt_create_k(&fmt, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  /* a method key with no method */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, (mps_fmt_scan_t)NULL);
    res = mps_fmt_create_k(&fmt, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_CLASS, (mps_fmt_class_t)NULL);
    res = mps_fmt_create_k(&fmt, arena, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_PARAM);
}
END_TEST

/* ---- Deprecated constructors ---- */

START_TEST(create_A)
{
  mps_fmt_A_s desc = {sizeof(void *), toy_scan, toy_skip, NULL, toy_fwd, toy_isfwd, toy_pad};
  mps_fmt_t fmt;
  mps_pool_t pool;
  ck_assert_int_eq(mps_fmt_create_A(&fmt, arena, &desc), MPS_RES_OK);
  /* the methods and alignment arrived: SNC accepts it */
  ck_assert_int_eq(snc_create(&pool, fmt), MPS_RES_OK);
  mps_pool_destroy(pool);
  mps_fmt_destroy(fmt);

  /* absent (NULL) methods are allowed; a missing skip is seen by SNC */
  desc.skip = NULL;
  desc.fwd = NULL;
  desc.isfwd = NULL;
  ck_assert_int_eq(mps_fmt_create_A(&fmt, arena, &desc), MPS_RES_OK);
  ck_assert_int_eq(snc_create(&pool, fmt), MPS_RES_PARAM);
  mps_fmt_destroy(fmt);

  /* the alignment is validated as for the keyword form */
  desc.align = 12;
  ck_assert_int_eq(mps_fmt_create_A(&fmt, arena, &desc), MPS_RES_PARAM);
  desc.align = 0;
  ck_assert_int_eq(mps_fmt_create_A(&fmt, arena, &desc), MPS_RES_PARAM);
  /* an alignment below a word reaches SNC, which refuses it */
  desc.align = 2;
  desc.skip = toy_skip;
  ck_assert_int_eq(mps_fmt_create_A(&fmt, arena, &desc), MPS_RES_OK);
  ck_assert_int_eq(snc_create(&pool, fmt), MPS_RES_PARAM);
  mps_fmt_destroy(fmt);
}
END_TEST

START_TEST(create_B)
{
  mps_fmt_B_s desc = {16, toy_scan, toy_skip, NULL, NULL, NULL, toy_pad, toy_class};
  mps_fmt_t fmt;
  mps_pool_t pool;
  ck_assert_int_eq(mps_fmt_create_B(&fmt, arena, &desc), MPS_RES_OK);
  ck_assert_int_eq(snc_create(&pool, fmt), MPS_RES_OK);
  mps_pool_destroy(pool);
  mps_fmt_destroy(fmt);
  desc.pad = NULL;
  ck_assert_int_eq(mps_fmt_create_B(&fmt, arena, &desc), MPS_RES_OK);
  ck_assert_int_eq(snc_create(&pool, fmt), MPS_RES_PARAM);
  mps_fmt_destroy(fmt);
  desc.align = 5;
  ck_assert_int_eq(mps_fmt_create_B(&fmt, arena, &desc), MPS_RES_PARAM);
}
END_TEST

START_TEST(create_auto_header)
{
  mps_fmt_auto_header_s desc = {8, toy_scan, toy_skip, toy_fwd, toy_isfwd, toy_pad, 0};
  mps_fmt_t fmt;
  mps_pool_t pool;
  ck_assert_int_eq(mps_fmt_create_auto_header(&fmt, arena, &desc), MPS_RES_OK);
  ck_assert_int_eq(snc_create(&pool, fmt), MPS_RES_OK);
  mps_pool_destroy(pool);
  mps_fmt_destroy(fmt);
  /* the header size arrived: SNC refuses in-band headers */
  desc.mps_headerSize = 8;
  ck_assert_int_eq(mps_fmt_create_auto_header(&fmt, arena, &desc), MPS_RES_OK);
  ck_assert_int_eq(snc_create(&pool, fmt), MPS_RES_PARAM);
  mps_fmt_destroy(fmt);
  desc.mps_headerSize = (size_t)1 << 30;
  ck_assert_int_eq(mps_fmt_create_auto_header(&fmt, arena, &desc), MPS_RES_PARAM);
}
END_TEST

START_TEST(create_fixed)
{
  mps_fmt_fixed_s desc = {8, toy_scan, toy_fwd, toy_isfwd, toy_pad};
  mps_fmt_t fmt;
  mps_pool_t pool;
  ck_assert_int_eq(mps_fmt_create_fixed(&fmt, arena, &desc), MPS_RES_OK);
  /* no skip method in this variant: SNC, which needs one, refuses */
  ck_assert_int_eq(snc_create(&pool, fmt), MPS_RES_PARAM);
  mps_fmt_destroy(fmt);
  desc.align = 48;
  ck_assert_int_eq(mps_fmt_create_fixed(&fmt, arena, &desc), MPS_RES_PARAM);
}
END_TEST

/* ---- mps_addr_fmt ---- */

START_TEST(addr_fmt)
{
  mps_fmt_t fmt = toy_format(), found;
  mps_fmt_t untouched = (mps_fmt_t)&found;
  mps_pool_t snc, mvff = fixture_mvff(arena, 8);
  mps_ap_t ap;
  mps_addr_t block;
  Obj *obj;
  int local;

  ck_assert_int_eq(snc_create(&snc, fmt), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap, snc, mps_args_none), MPS_RES_OK);
  obj = make(ap, 64);
  found = untouched;
  ck_assert(mps_addr_fmt(&found, arena, obj));
  ck_assert_ptr_eq(found, fmt);
  found = untouched;
  ck_assert(mps_addr_fmt(&found, arena, &obj->payload[3]));   /* interior */
  ck_assert_ptr_eq(found, fmt);

  /* a block of a pool without a format; memory the arena does not manage */
  ck_assert_int_eq(mps_alloc(&block, mvff, 64), MPS_RES_OK);
  found = untouched;
  ck_assert(!mps_addr_fmt(&found, arena, block));
  ck_assert(!mps_addr_fmt(&found, arena, &local));
  ck_assert(!mps_addr_fmt(&found, arena, NULL));
  ck_assert_ptr_eq(found, untouched);

  mps_free(mvff, block, 64);
  mps_ap_destroy(ap);
  mps_pool_destroy(snc);
  mps_pool_destroy(mvff);
  mps_fmt_destroy(fmt);
}
END_TEST

START_TEST(destroy_in_use)
{
  mps_fmt_t fmt = toy_format();
  mps_pool_t pool;
  ck_assert_int_eq(snc_create(&pool, fmt), MPS_RES_OK);
  /* The manual: the pool must be destroyed first. */
  mps_fmt_destroy(fmt);
}
END_TEST

/* ---- Walking pools that cannot be walked ---- */

static unsigned area_calls, step_calls;

static mps_res_t count_area(mps_ss_t ss, void *base, void *limit, void *closure)
{
  (void)ss;
  (void)base;
  (void)limit;
  (void)closure;
  ++area_calls;
  return MPS_RES_OK;
}

static void count_step(mps_addr_t addr, mps_fmt_t fmt, mps_pool_t pool, void *p, size_t s)
{
  (void)addr;
  (void)fmt;
  (void)pool;
  (void)p;
  (void)s;
  ++step_calls;
}

START_TEST(walk_unwalkable_pools)
{
  mps_fmt_t fmt = toy_format();
  mps_pool_t snc, mvff = fixture_mvff(arena, 8);
  mps_ap_t ap;
  mps_addr_t block, base, untouched = (mps_addr_t)&base;
  Obj *obj;
  int local;

  ck_assert_int_eq(snc_create(&snc, fmt), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ap, snc, mps_args_none), MPS_RES_OK);
  obj = make(ap, 32);
  ck_assert_int_eq(mps_alloc(&block, mvff, 64), MPS_RES_OK);
  area_calls = step_calls = 0;

  /* MVFF holds no formatted objects: a parameter error.  SNC has a
   * format but no walk method yet: unimplemented. */
  ck_assert_int_eq(mps_pool_walk(mvff, count_area, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(mps_pool_walk(snc, count_area, NULL), MPS_RES_UNIMPL);
  ck_assert_uint_eq(area_calls, 0);

  /* Neither class can find an object's base from an interior pointer;
   * memory outside every pool is in no object. */
  base = untouched;
  ck_assert_int_eq(mps_addr_object(&base, arena, (char *)block + 8), MPS_RES_UNIMPL);
  ck_assert_int_eq(mps_addr_object(&base, arena, &obj->payload[1]), MPS_RES_UNIMPL);
  ck_assert_int_eq(mps_addr_object(&base, arena, &local), MPS_RES_FAIL);
  ck_assert_int_eq(mps_addr_object(&base, arena, NULL), MPS_RES_FAIL);
  ck_assert_ptr_eq(base, untouched);

  /* The arena walk visits the pools that can be walked: none here.
   * (End-to-end walking is tested on AMS and LO in test/gc.) */
  mps_arena_formatted_objects_walk(arena, count_step, NULL, 0);
  ck_assert_uint_eq(step_calls, 0);

  mps_free(mvff, block, 64);
  mps_ap_destroy(ap);
  mps_pool_destroy(snc);
  mps_pool_destroy(mvff);
  mps_fmt_destroy(fmt);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("format");
  TCase *tc = tcase_create("format");
  TCase *misuse = tcase_create("misuse");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, defaults);
  tcase_add_test(tc, every_key);
  tcase_add_test(tc, alignment);
  tcase_add_test(tc, header_size);
  tcase_add_test(tc, bad_lists);
  tcase_add_test(tc, create_A);
  tcase_add_test(tc, create_B);
  tcase_add_test(tc, create_auto_header);
  tcase_add_test(tc, create_fixed);
  tcase_add_test(tc, addr_fmt);
  tcase_add_test(tc, walk_unwalkable_pools);
  suite_add_tcase(s, tc);

  tcase_add_checked_fixture(misuse, setup, teardown);
  tcase_add_test_raise_signal(misuse, destroy_in_use, SIGABRT);
  suite_add_tcase(s, misuse);

  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
