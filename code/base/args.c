/* base/args.c -- keyword arguments: the key objects, argument list
 * construction support, validation and typed access.
 * Design: manual/design/args.rst */
#include "base/args.h"

#include <math.h>


/* Per-type value checks.  design.args.key.check: type sanity only. */

static bool arg_check_end(const mps_arg_s *arg)
{
  /* MPS_KEY_ARGS_END ends a list; it is never an argument. */
  UNUSED(arg);
  return false;
}

static bool arg_check_size(const mps_arg_s *arg)
{
  UNUSED(arg);           /* every size_t is a size */
  return true;
}

static bool arg_check_align(const mps_arg_s *arg)
{
  return size_is_p2(arg->val.align);
}

static bool arg_check_bool(const mps_arg_s *arg)
{
  /* The manual makes any non-zero mps_bool_t argument mean true, so
   * every value is valid; args_bool normalises it. */
  UNUSED(arg);
  return true;
}

static bool arg_check_double(const mps_arg_s *arg)
{
  return !isnan(arg->val.d);
}

static bool arg_check_unsigned(const mps_arg_s *arg)
{
  UNUSED(arg);
  return true;
}

static bool arg_check_count(const mps_arg_s *arg)
{
  UNUSED(arg);
  return true;
}

static bool arg_check_rank(const mps_arg_s *arg)
{
  return arg->val.rank < RANK_LIMIT;
}

static bool arg_check_addr(const mps_arg_s *arg)
{
  return arg->val.addr != NULL;
}

static bool arg_check_chain(const mps_arg_s *arg)
{
  return arg->val.chain != NULL;
}

static bool arg_check_format(const mps_arg_s *arg)
{
  return arg->val.format != NULL;
}

static bool arg_check_fmt_scan(const mps_arg_s *arg)
{
  return arg->val.fmt_scan != NULL;
}

static bool arg_check_fmt_skip(const mps_arg_s *arg)
{
  return arg->val.fmt_skip != NULL;
}

static bool arg_check_fmt_fwd(const mps_arg_s *arg)
{
  return arg->val.fmt_fwd != NULL;
}

static bool arg_check_fmt_isfwd(const mps_arg_s *arg)
{
  return arg->val.fmt_isfwd != NULL;
}

static bool arg_check_fmt_pad(const mps_arg_s *arg)
{
  return arg->val.fmt_pad != NULL;
}

static bool arg_check_fmt_class(const mps_arg_s *arg)
{
  return arg->val.fmt_class != NULL;
}

static bool arg_check_fun(const mps_arg_s *arg)
{
  return arg->val.fun != NULL;
}

static bool arg_check_addr_method(const mps_arg_s *arg)
{
  return arg->val.addr_method != NULL;
}

static bool arg_check_pool_debug_options(const mps_arg_s *arg)
{
  return arg->val.pool_debug_options != NULL;
}


/* The keys.  The variable names follow the public headers, including
 * the three that the MPS spells in lower case. */

#define KEY_DEF(var, name, type) \
  const struct mps_key_s _mps_key_##var = { \
    SIG_KEY, "MPS_KEY_" #name, arg_check_##type \
  }

KEY_DEF(ARGS_END, ARGS_END, end);

/* mps.h */
KEY_DEF(ALIGN, ALIGN, align);
KEY_DEF(ap_hash_arrays, AP_HASH_ARRAYS, bool);
KEY_DEF(arena_contracted, ARENA_CONTRACTED, fun);
KEY_DEF(arena_extended, ARENA_EXTENDED, fun);
KEY_DEF(ARENA_GRAIN_SIZE, ARENA_GRAIN_SIZE, size);
KEY_DEF(ARENA_SIZE, ARENA_SIZE, size);
KEY_DEF(ARENA_ZONED, ARENA_ZONED, bool);
KEY_DEF(ARENA_INCREMENTAL, ARENA_INCREMENTAL, bool);
KEY_DEF(CHAIN, CHAIN, chain);
KEY_DEF(COMMIT_LIMIT, COMMIT_LIMIT, size);
KEY_DEF(EXTEND_BY, EXTEND_BY, size);
KEY_DEF(FMT_ALIGN, FMT_ALIGN, align);
KEY_DEF(FMT_CLASS, FMT_CLASS, fmt_class);
KEY_DEF(FMT_FWD, FMT_FWD, fmt_fwd);
KEY_DEF(FMT_HEADER_SIZE, FMT_HEADER_SIZE, size);
KEY_DEF(FMT_ISFWD, FMT_ISFWD, fmt_isfwd);
KEY_DEF(FMT_PAD, FMT_PAD, fmt_pad);
KEY_DEF(FMT_SCAN, FMT_SCAN, fmt_scan);
KEY_DEF(FMT_SKIP, FMT_SKIP, fmt_skip);
KEY_DEF(FORMAT, FORMAT, format);
KEY_DEF(GEN, GEN, unsigned);
KEY_DEF(INTERIOR, INTERIOR, bool);
KEY_DEF(LARGE_SIZE, LARGE_SIZE, size);
KEY_DEF(MAX_SIZE, MAX_SIZE, size);
KEY_DEF(MEAN_SIZE, MEAN_SIZE, size);
KEY_DEF(MIN_SIZE, MIN_SIZE, size);
KEY_DEF(PAUSE_TIME, PAUSE_TIME, double);
KEY_DEF(POOL_DEBUG_OPTIONS, POOL_DEBUG_OPTIONS, pool_debug_options);
KEY_DEF(RANK, RANK, rank);
KEY_DEF(SPARE, SPARE, double);
KEY_DEF(SPARE_COMMIT_LIMIT, SPARE_COMMIT_LIMIT, size);
KEY_DEF(VMW3_TOP_DOWN, VMW3_TOP_DOWN, bool);

/* mpsacl.h */
KEY_DEF(ARENA_CL_BASE, ARENA_CL_BASE, addr);
/* mpscams.h */
KEY_DEF(AMS_SUPPORT_AMBIGUOUS, AMS_SUPPORT_AMBIGUOUS, bool);
/* mpscawl.h */
KEY_DEF(AWL_FIND_DEPENDENT, AWL_FIND_DEPENDENT, addr_method);
/* mpscmfs.h */
KEY_DEF(MFS_UNIT_SIZE, MFS_UNIT_SIZE, size);
/* mpscmvff.h */
KEY_DEF(MVFF_ARENA_HIGH, MVFF_ARENA_HIGH, bool);
KEY_DEF(MVFF_SLOT_HIGH, MVFF_SLOT_HIGH, bool);
KEY_DEF(MVFF_FIRST_FIT, MVFF_FIRST_FIT, bool);
/* mpscmvt.h */
KEY_DEF(MVT_FRAG_LIMIT, MVT_FRAG_LIMIT, double);
KEY_DEF(MVT_RESERVE_DEPTH, MVT_RESERVE_DEPTH, count);


mps_arg_s mps_args_none[1] = {{.key = MPS_KEY_ARGS_END}};


bool key_check(const Key *key)
{
  CHECK_SIG(key, SIG_KEY);
  CHECK(key->name != NULL);
  CHECK(key->check != NULL);
  return true;
}


/* _mps_args_set_key -- store key i of a list built by MPS_ARGS_ADD.
 *
 * design.args.room: the list must keep a slot for the terminator that
 * MPS_ARGS_ADD writes after each key, so a key may take index
 * MPS_ARGS_MAX - 2 at most.  Checked in every variety: overrunning the
 * client's stack array is worse than the cost of a compare. */
void _mps_args_set_key(mps_arg_s args[MPS_ARGS_MAX], unsigned i, mps_key_t key)
{
  if (UNLIKELY(args == NULL || i >= MPS_ARGS_MAX - 1))
    check_fail(__FILE__, __LINE__, "i < MPS_ARGS_MAX - 1");
  args[i].key = key;
}


static bool args_key_allowed(mps_key_t key, const mps_key_t allowed[], Count n)
{
  for (Index k = 0; k < n; ++k)
    if (allowed[k] == key)
      return true;
  return false;
}

Res args_check(const mps_arg_s args[], const mps_key_t allowed[], Count n_allowed)
{
  ASSERT(allowed != NULL || n_allowed == 0);
  if (args == NULL)
    return RES_PARAM;

  for (Index i = 0; ; ++i) {
    mps_key_t key;

    /* design.args.bound: a list that was never terminated */
    if (i >= ARGS_SCAN_LIMIT)
      return RES_PARAM;
    key = args[i].key;
    if (key == MPS_KEY_ARGS_END)
      return RES_OK;
    /* Compared by address first, so a stray pointer is never followed. */
    if (!args_key_allowed(key, allowed, n_allowed))
      return RES_PARAM;
    for (Index j = 0; j < i; ++j)
      if (args[j].key == key)
        return RES_PARAM;
    ASSERT_VALID(key, key);
    if (!key->check(&args[i]))
      return RES_PARAM;
  }
}

bool args_find(mps_arg_s *arg_o, const mps_arg_s args[], mps_key_t key)
{
  ASSERT(arg_o != NULL);
  ASSERT(args != NULL);
  ASSERT(key != NULL && key != MPS_KEY_ARGS_END);

  for (Index i = 0; i < ARGS_SCAN_LIMIT && args[i].key != MPS_KEY_ARGS_END; ++i) {
    if (args[i].key == key) {
      *arg_o = args[i];
      return true;
    }
  }
  return false;
}


/* Typed getters.  The assertion compares the key's check function with
 * the one for the getter's type: keys of one value type share it. */

#define ARGS_GET(type, field, check_fn) \
  mps_arg_s arg; \
  ASSERT_VALID(key, key); \
  ASSERT(key->check == (check_fn)); \
  if (!args_find(&arg, args, key)) \
    return dflt; \
  return (type)arg.val.field

Size args_size(const mps_arg_s args[], mps_key_t key, Size dflt)
{
  ARGS_GET(Size, size, arg_check_size);
}

Align args_align(const mps_arg_s args[], mps_key_t key, Align dflt)
{
  ARGS_GET(Align, align, arg_check_align);
}

bool args_bool(const mps_arg_s args[], mps_key_t key, bool dflt)
{
  ARGS_GET(bool, b, arg_check_bool);
}

double args_double(const mps_arg_s args[], mps_key_t key, double dflt)
{
  ARGS_GET(double, d, arg_check_double);
}

unsigned args_unsigned(const mps_arg_s args[], mps_key_t key, unsigned dflt)
{
  ARGS_GET(unsigned, u, arg_check_unsigned);
}

Word args_count(const mps_arg_s args[], mps_key_t key, Word dflt)
{
  ARGS_GET(Word, count, arg_check_count);
}

Rank args_rank(const mps_arg_s args[], mps_key_t key, Rank dflt)
{
  ARGS_GET(Rank, rank, arg_check_rank);
}

void *args_addr(const mps_arg_s args[], mps_key_t key, void *dflt)
{
  ARGS_GET(void *, addr, arg_check_addr);
}

#undef ARGS_GET
#undef KEY_DEF
