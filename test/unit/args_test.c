/* test/unit/args_test.c -- keyword arguments: key objects, args_check,
 * the typed getters and the MPS_ARGS_* macros.
 * Design: manual/design/args.rst */
#include "base/args.h"

#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Format methods and other values that only need to exist. */
static mps_res_t fake_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  UNUSED(ss); UNUSED(base); UNUSED(limit);
  return MPS_RES_OK;
}
static mps_addr_t fake_skip(mps_addr_t addr) { return addr; }
static void fake_fwd(mps_addr_t old, mps_addr_t new_addr) { UNUSED(old); UNUSED(new_addr); }
static mps_addr_t fake_isfwd(mps_addr_t addr) { UNUSED(addr); return NULL; }
static void fake_pad(mps_addr_t addr, size_t size) { UNUSED(addr); UNUSED(size); }
static mps_addr_t fake_class(mps_addr_t addr) { return addr; }
static void fake_extended(mps_arena_t arena, void *base, size_t size)
{
  UNUSED(arena); UNUSED(base); UNUSED(size);
}

static char fake_object[64];
#define FAKE_CHAIN  ((mps_chain_t)(void *)&fake_object[0])
#define FAKE_FORMAT ((mps_fmt_t)(void *)&fake_object[8])

static const mps_key_t size_keys[] = {
  MPS_KEY_ARENA_SIZE, MPS_KEY_COMMIT_LIMIT, MPS_KEY_EXTEND_BY,
};


/* Lists built by hand */

START_TEST(args_none_is_empty_list)
{
  ck_assert_ptr_eq(mps_args_none[0].key, MPS_KEY_ARGS_END);
  ck_assert_int_eq(args_check(mps_args_none, NULL, 0), RES_OK);
  ck_assert_int_eq(args_check(mps_args_none, size_keys, ARRAY_LEN(size_keys)), RES_OK);
}
END_TEST

START_TEST(null_list_refused)
{
  ck_assert_int_eq(args_check(NULL, size_keys, ARRAY_LEN(size_keys)), RES_PARAM);
}
END_TEST

START_TEST(unknown_key_refused)
{
  mps_arg_s args[3];
  args[0].key = MPS_KEY_ARENA_SIZE;
  args[0].val.size = 1 << 20;
  args[1].key = MPS_KEY_MEAN_SIZE;          /* a real key, but not allowed */
  args[1].val.size = 32;
  args[2].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(args_check(args, size_keys, ARRAY_LEN(size_keys)), RES_PARAM);
  ck_assert_int_eq(args_check(args, NULL, 0), RES_PARAM);

  args[1].key = MPS_KEY_EXTEND_BY;
  ck_assert_int_eq(args_check(args, size_keys, ARRAY_LEN(size_keys)), RES_OK);
}
END_TEST

START_TEST(stray_key_refused_without_dereference)
{
  /* Pointers that are not keys at all: args_check must refuse them by
   * comparing addresses, never by reading through them. */
  mps_arg_s args[2];
  args[0].key = (mps_key_t)(void *)(uintptr_t)0x10;
  args[0].val.size = 1;
  args[1].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(args_check(args, size_keys, ARRAY_LEN(size_keys)), RES_PARAM);
  args[0].key = NULL;
  ck_assert_int_eq(args_check(args, size_keys, ARRAY_LEN(size_keys)), RES_PARAM);
}
END_TEST

START_TEST(duplicate_key_refused)
{
  mps_arg_s args[4];
  args[0].key = MPS_KEY_ARENA_SIZE;
  args[0].val.size = 1 << 20;
  args[1].key = MPS_KEY_COMMIT_LIMIT;
  args[1].val.size = 1 << 24;
  args[2].key = MPS_KEY_ARENA_SIZE;
  args[2].val.size = 1 << 21;
  args[3].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(args_check(args, size_keys, ARRAY_LEN(size_keys)), RES_PARAM);
  args[2].key = MPS_KEY_EXTEND_BY;
  ck_assert_int_eq(args_check(args, size_keys, ARRAY_LEN(size_keys)), RES_OK);
}
END_TEST

START_TEST(garbage_after_keys_refused)
{
  /* A list whose terminator is missing runs into whatever follows; here
   * that is zeroed memory, i.e. null keys. */
  mps_arg_s args[8];
  memset(args, 0, sizeof args);
  args[0].key = MPS_KEY_ARENA_SIZE;
  args[1].key = MPS_KEY_COMMIT_LIMIT;
  ck_assert_int_eq(args_check(args, size_keys, ARRAY_LEN(size_keys)), RES_PARAM);
}
END_TEST

/* ARGS_SCAN_LIMIT distinct keys are needed to reach the bound without
 * tripping the duplicate test, so the test makes its own. */
static bool accept_any(const mps_arg_s *arg)
{
  UNUSED(arg);
  return true;
}

static Key many_keys[ARGS_SCAN_LIMIT + 1];
static mps_key_t many_allowed[ARGS_SCAN_LIMIT + 1];
static mps_arg_s many_args[ARGS_SCAN_LIMIT + 2];

static void many_setup(void)
{
  for (Index i = 0; i < ARRAY_LEN(many_keys); ++i) {
    many_keys[i].sig = SIG_KEY;
    many_keys[i].name = "many";
    many_keys[i].check = accept_any;
    many_allowed[i] = &many_keys[i];
  }
  for (Index i = 0; i < ARRAY_LEN(many_args); ++i) {
    many_args[i].key = i < ARRAY_LEN(many_keys) ? &many_keys[i] : MPS_KEY_ARGS_END;
    many_args[i].val.size = i;
  }
}

START_TEST(terminator_within_bound_accepted)
{
  many_setup();
  many_args[ARGS_SCAN_LIMIT - 1].key = MPS_KEY_ARGS_END;  /* last slot */
  ck_assert_int_eq(args_check(many_args, many_allowed, ARRAY_LEN(many_allowed)),
                   RES_OK);
}
END_TEST

START_TEST(terminator_beyond_bound_refused)
{
  many_setup();
  many_args[ARGS_SCAN_LIMIT].key = MPS_KEY_ARGS_END;      /* one too far */
  ck_assert_int_eq(args_check(many_args, many_allowed, ARRAY_LEN(many_allowed)),
                   RES_PARAM);
}
END_TEST


/* Value checks */

static Res check_one(mps_key_t key, mps_arg_s arg)
{
  mps_arg_s args[2];
  args[0] = arg;
  args[0].key = key;
  args[1].key = MPS_KEY_ARGS_END;
  return args_check(args, &key, 1);
}

START_TEST(any_nonzero_bool_is_true)
{
  /* The manual: an mps_bool_t argument is false if 0, true otherwise. */
  mps_arg_s a;
  a.val.b = 0;
  ck_assert_int_eq(check_one(MPS_KEY_INTERIOR, a), RES_OK);
  a.val.b = 1;
  ck_assert_int_eq(check_one(MPS_KEY_MVFF_ARENA_HIGH, a), RES_OK);
  a.val.b = 4;                        /* e.g. flags & 4 */
  ck_assert_int_eq(check_one(MPS_KEY_INTERIOR, a), RES_OK);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_INTERIOR, 4);
    MPS_ARGS_ADD(args, MPS_KEY_AMS_SUPPORT_AMBIGUOUS, -1);
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_FIRST_FIT, 0);
    ck_assert(args_bool(args, MPS_KEY_INTERIOR, false) == true);
    ck_assert(args_bool(args, MPS_KEY_AMS_SUPPORT_AMBIGUOUS, false) == true);
    ck_assert(args_bool(args, MPS_KEY_MVFF_FIRST_FIT, true) == false);
  } MPS_ARGS_END(args);
}
END_TEST

START_TEST(rank_must_be_a_rank)
{
  mps_arg_s a;
  a.val.rank = RANK_WEAK;
  ck_assert_int_eq(check_one(MPS_KEY_RANK, a), RES_OK);
  a.val.rank = RANK_AMBIG;
  ck_assert_int_eq(check_one(MPS_KEY_RANK, a), RES_OK);
  a.val.rank = RANK_LIMIT;
  ck_assert_int_eq(check_one(MPS_KEY_RANK, a), RES_PARAM);
  a.val.rank = 1000;
  ck_assert_int_eq(check_one(MPS_KEY_RANK, a), RES_PARAM);
}
END_TEST

START_TEST(align_must_be_power_of_two)
{
  mps_arg_s a;
  a.val.align = 16;
  ck_assert_int_eq(check_one(MPS_KEY_ALIGN, a), RES_OK);
  a.val.align = 1;
  ck_assert_int_eq(check_one(MPS_KEY_FMT_ALIGN, a), RES_OK);
  a.val.align = 24;
  ck_assert_int_eq(check_one(MPS_KEY_ALIGN, a), RES_PARAM);
  a.val.align = 0;
  ck_assert_int_eq(check_one(MPS_KEY_FMT_ALIGN, a), RES_PARAM);
}
END_TEST

START_TEST(double_must_not_be_nan)
{
  mps_arg_s a;
  a.val.d = 0.5;
  ck_assert_int_eq(check_one(MPS_KEY_SPARE, a), RES_OK);
  a.val.d = INFINITY;                 /* "no pause limit" is meaningful */
  ck_assert_int_eq(check_one(MPS_KEY_PAUSE_TIME, a), RES_OK);
  a.val.d = NAN;
  ck_assert_int_eq(check_one(MPS_KEY_PAUSE_TIME, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_MVT_FRAG_LIMIT, a), RES_PARAM);
}
END_TEST

START_TEST(pointers_that_cannot_be_null)
{
  mps_arg_s a;
  memset(&a, 0, sizeof a);
  ck_assert_int_eq(check_one(MPS_KEY_FORMAT, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_CHAIN, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_FMT_SCAN, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_FMT_SKIP, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_FMT_FWD, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_FMT_ISFWD, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_FMT_PAD, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_FMT_CLASS, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_ARENA_CL_BASE, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_AWL_FIND_DEPENDENT, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_POOL_DEBUG_OPTIONS, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_ARENA_EXTENDED, a), RES_PARAM);
  ck_assert_int_eq(check_one(MPS_KEY_ARENA_CONTRACTED, a), RES_PARAM);

  a.val.format = FAKE_FORMAT;
  ck_assert_int_eq(check_one(MPS_KEY_FORMAT, a), RES_OK);
  a.val.fmt_scan = fake_scan;
  ck_assert_int_eq(check_one(MPS_KEY_FMT_SCAN, a), RES_OK);
}
END_TEST

START_TEST(any_size_is_a_size)
{
  mps_arg_s a;
  a.val.size = 0;
  ck_assert_int_eq(check_one(MPS_KEY_ARENA_SIZE, a), RES_OK);
  a.val.size = SIZE_MAX;
  ck_assert_int_eq(check_one(MPS_KEY_COMMIT_LIMIT, a), RES_OK);
}
END_TEST


/* Every key: its object, its name, and its _FIELD through MPS_ARGS_ADD */

START_TEST(every_key_is_valid_and_named)
{
  static const struct { mps_key_t key; const char *name; } keys[] = {
#define K(name) { MPS_KEY_##name, "MPS_KEY_" #name }
    K(ARGS_END), K(ALIGN), K(AP_HASH_ARRAYS), K(ARENA_CONTRACTED),
    K(ARENA_EXTENDED), K(ARENA_GRAIN_SIZE), K(ARENA_SIZE), K(ARENA_ZONED),
    K(CHAIN), K(COMMIT_LIMIT), K(EXTEND_BY), K(FMT_ALIGN), K(FMT_CLASS),
    K(FMT_FWD), K(FMT_HEADER_SIZE), K(FMT_ISFWD), K(FMT_PAD), K(FMT_SCAN),
    K(FMT_SKIP), K(FORMAT), K(GEN), K(INTERIOR), K(LARGE_SIZE), K(MAX_SIZE),
    K(MEAN_SIZE), K(MIN_SIZE), K(PAUSE_TIME), K(POOL_DEBUG_OPTIONS), K(RANK),
    K(SPARE), K(SPARE_COMMIT_LIMIT), K(VMW3_TOP_DOWN), K(ARENA_CL_BASE),
    K(AMS_SUPPORT_AMBIGUOUS), K(AWL_FIND_DEPENDENT), K(MFS_UNIT_SIZE),
    K(MVFF_ARENA_HIGH), K(MVFF_SLOT_HIGH), K(MVFF_FIRST_FIT),
    K(MVT_FRAG_LIMIT), K(MVT_RESERVE_DEPTH),
#undef K
  };
  for (Index i = 0; i < ARRAY_LEN(keys); ++i) {
    ck_assert(key_check(keys[i].key));
    ck_assert_str_eq(keys[i].key->name, keys[i].name);
    for (Index j = 0; j < i; ++j)
      ck_assert_ptr_ne(keys[i].key, keys[j].key);
  }
}
END_TEST

START_TEST(every_key_through_args_add)
{
  static mps_pool_debug_option_s debug_opts = {"fence", 5, "free", 4};
  static const mps_key_t arena_keys[] = {
    MPS_KEY_ALIGN, MPS_KEY_AP_HASH_ARRAYS, MPS_KEY_ARENA_CONTRACTED,
    MPS_KEY_ARENA_EXTENDED, MPS_KEY_ARENA_GRAIN_SIZE, MPS_KEY_ARENA_SIZE,
    MPS_KEY_ARENA_ZONED, MPS_KEY_CHAIN, MPS_KEY_COMMIT_LIMIT,
    MPS_KEY_EXTEND_BY, MPS_KEY_FMT_ALIGN, MPS_KEY_FMT_CLASS, MPS_KEY_FMT_FWD,
    MPS_KEY_FMT_HEADER_SIZE, MPS_KEY_FMT_ISFWD, MPS_KEY_FMT_PAD,
    MPS_KEY_FMT_SCAN, MPS_KEY_FMT_SKIP, MPS_KEY_FORMAT, MPS_KEY_GEN,
    MPS_KEY_INTERIOR, MPS_KEY_LARGE_SIZE, MPS_KEY_MAX_SIZE,
    MPS_KEY_MEAN_SIZE, MPS_KEY_MIN_SIZE, MPS_KEY_PAUSE_TIME,
    MPS_KEY_POOL_DEBUG_OPTIONS, MPS_KEY_RANK, MPS_KEY_SPARE,
    MPS_KEY_SPARE_COMMIT_LIMIT, MPS_KEY_VMW3_TOP_DOWN,
  };
  static const mps_key_t class_keys[] = {
    MPS_KEY_ARENA_CL_BASE, MPS_KEY_AMS_SUPPORT_AMBIGUOUS,
    MPS_KEY_AWL_FIND_DEPENDENT, MPS_KEY_MFS_UNIT_SIZE,
    MPS_KEY_MVFF_ARENA_HIGH, MPS_KEY_MVFF_SLOT_HIGH, MPS_KEY_MVFF_FIRST_FIT,
    MPS_KEY_MVT_FRAG_LIMIT, MPS_KEY_MVT_RESERVE_DEPTH,
  };
  Res res1 = RES_FAIL, res2 = RES_FAIL;
  mps_arg_s got;

  ck_assert_uint_eq(ARRAY_LEN(arena_keys), MPS_ARGS_MAX - 1);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, 16);
    MPS_ARGS_ADD(args, MPS_KEY_AP_HASH_ARRAYS, 1);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_CONTRACTED, (mps_fun_t)fake_extended);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_EXTENDED, (mps_fun_t)fake_extended);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_GRAIN_SIZE, 4096);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, 1 << 24);
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_ZONED, 0);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, FAKE_CHAIN);
    MPS_ARGS_ADD(args, MPS_KEY_COMMIT_LIMIT, 1 << 30);
    MPS_ARGS_ADD(args, MPS_KEY_EXTEND_BY, 65536);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, 8);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_CLASS, fake_class);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_FWD, fake_fwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_HEADER_SIZE, 8);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ISFWD, fake_isfwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, fake_pad);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, fake_scan);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, fake_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, FAKE_FORMAT);
    MPS_ARGS_ADD(args, MPS_KEY_GEN, 2);
    MPS_ARGS_ADD(args, MPS_KEY_INTERIOR, 1);
    MPS_ARGS_ADD(args, MPS_KEY_LARGE_SIZE, 32768);
    MPS_ARGS_ADD(args, MPS_KEY_MAX_SIZE, 8192);
    MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, 32);
    MPS_ARGS_ADD(args, MPS_KEY_MIN_SIZE, 8);
    MPS_ARGS_ADD(args, MPS_KEY_PAUSE_TIME, 0.25);
    MPS_ARGS_ADD(args, MPS_KEY_POOL_DEBUG_OPTIONS, &debug_opts);
    MPS_ARGS_ADD(args, MPS_KEY_RANK, RANK_EXACT);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, 0.5);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE_COMMIT_LIMIT, 1 << 20);
    MPS_ARGS_ADD(args, MPS_KEY_VMW3_TOP_DOWN, 0);
    res1 = args_check(args, arena_keys, ARRAY_LEN(arena_keys));
    /* Spot checks that each value went to its key's field. */
    ck_assert(args_find(&got, args, MPS_KEY_FMT_SKIP));
    ck_assert_ptr_eq((void *)(uintptr_t)got.val.fmt_skip, (void *)(uintptr_t)fake_skip);
    ck_assert(args_find(&got, args, MPS_KEY_POOL_DEBUG_OPTIONS));
    ck_assert_ptr_eq(got.val.pool_debug_options, &debug_opts);
    ck_assert(args_find(&got, args, MPS_KEY_ARENA_EXTENDED));
    ck_assert_ptr_eq((void *)(uintptr_t)got.val.fun, (void *)(uintptr_t)fake_extended);
    ck_assert_uint_eq(args_unsigned(args, MPS_KEY_GEN, 0), 2);
    ck_assert(args_double(args, MPS_KEY_PAUSE_TIME, 0.0) == 0.25);
    ck_assert_ptr_eq(args[MPS_ARGS_MAX - 1].key, MPS_KEY_ARGS_END);
  } MPS_ARGS_END(args);

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_CL_BASE, (mps_addr_t)fake_object);
    MPS_ARGS_ADD(args, MPS_KEY_AMS_SUPPORT_AMBIGUOUS, 1);
    MPS_ARGS_ADD(args, MPS_KEY_AWL_FIND_DEPENDENT, fake_isfwd);
    MPS_ARGS_ADD(args, MPS_KEY_MFS_UNIT_SIZE, 48);
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_ARENA_HIGH, 1);
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_SLOT_HIGH, 0);
    MPS_ARGS_ADD(args, MPS_KEY_MVFF_FIRST_FIT, 1);
    MPS_ARGS_ADD(args, MPS_KEY_MVT_FRAG_LIMIT, 0.3);
    MPS_ARGS_ADD(args, MPS_KEY_MVT_RESERVE_DEPTH, 1024);
    res2 = args_check(args, class_keys, ARRAY_LEN(class_keys));
    ck_assert_ptr_eq(args_addr(args, MPS_KEY_ARENA_CL_BASE, NULL), fake_object);
    ck_assert_uint_eq(args_count(args, MPS_KEY_MVT_RESERVE_DEPTH, 0), 1024);
    ck_assert(args_double(args, MPS_KEY_MVT_FRAG_LIMIT, 1.0) == 0.3);
    ck_assert_uint_eq(args_size(args, MPS_KEY_MFS_UNIT_SIZE, 0), 48);
  } MPS_ARGS_END(args);

  ck_assert_int_eq(res1, RES_OK);
  ck_assert_int_eq(res2, RES_OK);
}
END_TEST


/* Getters */

START_TEST(getters_return_defaults)
{
  ck_assert_uint_eq(args_size(mps_args_none, MPS_KEY_ARENA_SIZE, 12345), 12345);
  ck_assert_uint_eq(args_align(mps_args_none, MPS_KEY_ALIGN, 8), 8);
  ck_assert(args_bool(mps_args_none, MPS_KEY_INTERIOR, true));
  ck_assert(!args_bool(mps_args_none, MPS_KEY_INTERIOR, false));
  ck_assert(args_double(mps_args_none, MPS_KEY_SPARE, 0.75) == 0.75);
  ck_assert_uint_eq(args_unsigned(mps_args_none, MPS_KEY_GEN, 7), 7);
  ck_assert_uint_eq(args_count(mps_args_none, MPS_KEY_MVT_RESERVE_DEPTH, 99), 99);
  ck_assert_uint_eq(args_rank(mps_args_none, MPS_KEY_RANK, RANK_WEAK), RANK_WEAK);
  ck_assert_ptr_eq(args_addr(mps_args_none, MPS_KEY_ARENA_CL_BASE, fake_object),
                   fake_object);
}
END_TEST

START_TEST(getters_return_values)
{
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, 3 << 20);
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, 64);
    MPS_ARGS_ADD(args, MPS_KEY_INTERIOR, 0);
    MPS_ARGS_ADD(args, MPS_KEY_SPARE, 0.125);
    MPS_ARGS_ADD(args, MPS_KEY_RANK, RANK_AMBIG);
    ck_assert_uint_eq(args_size(args, MPS_KEY_ARENA_SIZE, 0), 3 << 20);
    ck_assert_uint_eq(args_size(args, MPS_KEY_COMMIT_LIMIT, 77), 77);
    ck_assert_uint_eq(args_align(args, MPS_KEY_ALIGN, 8), 64);
    ck_assert(!args_bool(args, MPS_KEY_INTERIOR, true));
    ck_assert(args_double(args, MPS_KEY_SPARE, 0.75) == 0.125);
    ck_assert_uint_eq(args_rank(args, MPS_KEY_RANK, RANK_WEAK), RANK_AMBIG);
  } MPS_ARGS_END(args);
}
END_TEST

START_TEST(find_leaves_output_alone_when_absent)
{
  mps_arg_s got, before;
  memset(&got, 0xA5, sizeof got);
  memcpy(&before, &got, sizeof got);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, 1024);
    ck_assert(!args_find(&got, args, MPS_KEY_COMMIT_LIMIT));
    ck_assert_int_eq(memcmp(&got, &before, sizeof got), 0);
    ck_assert(args_find(&got, args, MPS_KEY_ARENA_SIZE));
    ck_assert_ptr_eq(got.key, MPS_KEY_ARENA_SIZE);
    ck_assert_uint_eq(got.val.size, 1024);
  } MPS_ARGS_END(args);
}
END_TEST

START_TEST(getter_of_wrong_type_asserts)
{
  /* MPS_KEY_RANK carries a rank, not a size. */
  (void)args_size(mps_args_none, MPS_KEY_RANK, 0);
}
END_TEST


/* The MPS_ARGS_* macros */

START_TEST(begin_makes_empty_list)
{
  MPS_ARGS_BEGIN(args) {
    ck_assert_ptr_eq(args[0].key, MPS_KEY_ARGS_END);
    ck_assert_int_eq(args_check(args, NULL, 0), RES_OK);
  } MPS_ARGS_END(args);
}
END_TEST

START_TEST(add_builds_terminated_list_in_order)
{
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, 100);
    ck_assert_ptr_eq(args[0].key, MPS_KEY_ARENA_SIZE);
    ck_assert_ptr_eq(args[1].key, MPS_KEY_ARGS_END);
    MPS_ARGS_ADD(args, MPS_KEY_COMMIT_LIMIT, 200);
    MPS_ARGS_ADD_FIELD(args, MPS_KEY_EXTEND_BY, size, 300);
    ck_assert_ptr_eq(args[1].key, MPS_KEY_COMMIT_LIMIT);
    ck_assert_ptr_eq(args[2].key, MPS_KEY_EXTEND_BY);
    ck_assert_ptr_eq(args[3].key, MPS_KEY_ARGS_END);
    ck_assert_uint_eq(args[0].val.size, 100);
    ck_assert_uint_eq(args[1].val.size, 200);
    ck_assert_uint_eq(args[2].val.size, 300);
    MPS_ARGS_DONE(args);                       /* optional, harmless */
    ck_assert_ptr_eq(args[3].key, MPS_KEY_ARGS_END);
    ck_assert_int_eq(args_check(args, size_keys, ARRAY_LEN(size_keys)), RES_OK);
  } MPS_ARGS_END(args);
}
END_TEST

START_TEST(nested_lists_are_independent)
{
  MPS_ARGS_BEGIN(outer) {
    MPS_ARGS_ADD(outer, MPS_KEY_ARENA_SIZE, 1);
    MPS_ARGS_BEGIN(inner) {
      MPS_ARGS_ADD(inner, MPS_KEY_MEAN_SIZE, 2);
      MPS_ARGS_ADD(inner, MPS_KEY_MAX_SIZE, 3);
      ck_assert_ptr_eq(inner[2].key, MPS_KEY_ARGS_END);
      ck_assert_uint_eq(args_size(inner, MPS_KEY_MAX_SIZE, 0), 3);
    } MPS_ARGS_END(inner);
    MPS_ARGS_ADD(outer, MPS_KEY_COMMIT_LIMIT, 4);
    ck_assert_ptr_eq(outer[1].key, MPS_KEY_COMMIT_LIMIT);
    ck_assert_ptr_eq(outer[2].key, MPS_KEY_ARGS_END);
    ck_assert_uint_eq(args_size(outer, MPS_KEY_ARENA_SIZE, 0), 1);
  } MPS_ARGS_END(outer);
}
END_TEST

START_TEST(add_up_to_limit_fits)
{
  MPS_ARGS_BEGIN(args) {
    for (unsigned i = 0; i < MPS_ARGS_MAX - 1; ++i)
      MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, i);
    ck_assert_uint_eq(args_i, MPS_ARGS_MAX - 1);
    ck_assert_ptr_eq(args[MPS_ARGS_MAX - 1].key, MPS_KEY_ARGS_END);
    ck_assert_uint_eq(args[MPS_ARGS_MAX - 2].val.size, MPS_ARGS_MAX - 2);
  } MPS_ARGS_END(args);
}
END_TEST

START_TEST(add_beyond_limit_asserts)
{
  /* volatile: otherwise GCC sees the overrun the assertion prevents */
  volatile unsigned n = MPS_ARGS_MAX;             /* one too many */
  MPS_ARGS_BEGIN(args) {
    for (unsigned i = 0; i < n; ++i)
      MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, i);
  } MPS_ARGS_END(args);
}
END_TEST

START_TEST(set_key_refuses_terminator_slot)
{
  mps_arg_s args[MPS_ARGS_MAX];
  _mps_args_set_key(args, MPS_ARGS_MAX - 2, MPS_KEY_ARENA_SIZE);
  ck_assert_ptr_eq(args[MPS_ARGS_MAX - 2].key, MPS_KEY_ARENA_SIZE);
  _mps_args_set_key(args, MPS_ARGS_MAX - 1, MPS_KEY_ARENA_SIZE);
}
END_TEST


int main(void)
{
  Suite *s = suite_create("args");
  TCase *tc_list = tcase_create("check");
  TCase *tc_value = tcase_create("values");
  TCase *tc_get = tcase_create("getters");
  TCase *tc_macro = tcase_create("macros");
  SRunner *sr;
  int failed;

  tcase_add_test(tc_list, args_none_is_empty_list);
  tcase_add_test(tc_list, null_list_refused);
  tcase_add_test(tc_list, unknown_key_refused);
  tcase_add_test(tc_list, stray_key_refused_without_dereference);
  tcase_add_test(tc_list, duplicate_key_refused);
  tcase_add_test(tc_list, garbage_after_keys_refused);
  tcase_add_test(tc_list, terminator_within_bound_accepted);
  tcase_add_test(tc_list, terminator_beyond_bound_refused);

  tcase_add_test(tc_value, any_nonzero_bool_is_true);
  tcase_add_test(tc_value, rank_must_be_a_rank);
  tcase_add_test(tc_value, align_must_be_power_of_two);
  tcase_add_test(tc_value, double_must_not_be_nan);
  tcase_add_test(tc_value, pointers_that_cannot_be_null);
  tcase_add_test(tc_value, any_size_is_a_size);
  tcase_add_test(tc_value, every_key_is_valid_and_named);
  tcase_add_test(tc_value, every_key_through_args_add);

  tcase_add_test(tc_get, getters_return_defaults);
  tcase_add_test(tc_get, getters_return_values);
  tcase_add_test(tc_get, find_leaves_output_alone_when_absent);
#if CONFIG_ASSERT
  tcase_add_test_raise_signal(tc_get, getter_of_wrong_type_asserts, SIGABRT);
#else
  UNUSED(getter_of_wrong_type_asserts);
#endif

  tcase_add_test(tc_macro, begin_makes_empty_list);
  tcase_add_test(tc_macro, add_builds_terminated_list_in_order);
  tcase_add_test(tc_macro, nested_lists_are_independent);
  tcase_add_test(tc_macro, add_up_to_limit_fits);
  /* Checked in every variety: design.args.room */
  tcase_add_test_raise_signal(tc_macro, add_beyond_limit_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc_macro, set_key_refuses_terminator_slot, SIGABRT);

  suite_add_tcase(s, tc_list);
  suite_add_tcase(s, tc_value);
  suite_add_tcase(s, tc_get);
  suite_add_tcase(s, tc_macro);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
