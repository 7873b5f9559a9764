/* test/gc/final_test.c -- finalization: a registered object that becomes
 * unreachable is reported by exactly one message per registration, kept
 * (with what it refers to) until the client discards the message, then
 * collected; live ones are not reported; mps_definalize cancels; objects
 * in AMS, LO, AWL and AMC (which moves them: the message names the new
 * address); a weak reference to an object kept only for finalization is
 * splatted after the client lets it go; bad arguments are refused.
 * Design: manual/design/final.rst */
#include "mps.h"
#include "mpscamc.h"
#include "mpscawl.h"
#include "mpscmvff.h"
#include "gcfixture.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

enum { CLASS_NODE = 1, CLASS_BYTES = 2 };
enum { R_WW, R_NODE, R_BYTES, R_FIRST, NREFS = 256 };
enum { N = 100 };

static const GcClass classes[] = {{CLASS_NODE, 2, DYLAN_VAR_NONE},
                                   {CLASS_BYTES, 1, DYLAN_VAR_BYTES}};
static GcWorld w;
static mps_addr_t refs[NREFS];     /* exact */

static void setup(void)
{
  GcWorldOptions o = {.pools = GC_POOL_AMS | GC_POOL_LO, .table = refs, .table_len = NREFS,
                      .classes = classes, .nclasses = 2};
  gc_world_open(&w, &o);
  mps_message_type_enable(w.arena, mps_message_type_finalization());
}

static void teardown(void)
{
  gc_world_close(&w);
}

/* A node (link, id) on ap. */
static mps_addr_t node(mps_ap_t ap, mps_addr_t link, long id)
{
  mps_addr_t obj;
  mps_word_t fixed[2] = {(mps_word_t)link, dylan_int(id)};
  ck_assert_int_eq(dylan_make(&obj, ap, 0, refs[R_NODE], fixed, 0, NULL), MPS_RES_OK);
  return obj;
}

static long id_of(mps_addr_t obj)
{
  ck_assert(dylan_check(obj, 0));
  return dylan_int_value(*dylan_slot(obj, 1));
}

static size_t nodes(mps_pool_t pool)
{
  return gc_world_census(&w, pool).by_class[CLASS_NODE];
}

/* Get every queued finalization message: the ids of their objects are
 * counted in seen[] (which must have room for N), the messages are kept
 * in msgs[] (room for N) if it is not NULL, else discarded. */
static size_t take_messages(unsigned seen[N], mps_message_t *msgs)
{
  mps_message_t m;
  size_t n = 0;
  while (mps_message_get(&m, w.arena, mps_message_type_finalization())) {
    mps_addr_t ref;
    long id;
    mps_message_finalization_ref(&ref, w.arena, m);
    id = id_of(ref);
    ck_assert(id >= 0 && id < N);
    ++seen[id];
    if (msgs != NULL) {
      ck_assert_uint_lt(n, N);
      msgs[n] = m;
    } else {
      mps_message_discard(w.arena, m);
    }
    ++n;
  }
  return n;
}

START_TEST(one_message_per_dead_object)
{
  mps_addr_t objs[N];
  mps_message_t msgs[N];
  unsigned seen[N] = {0};
  size_t before;

  for (long i = 0; i < N; ++i) {
    objs[i] = node(w.ams_ap, NULL, i);
    ck_assert_int_eq(mps_finalize(w.arena, &objs[i]), MPS_RES_OK);
    if (i % 2 == 0)
      refs[R_FIRST + i / 2] = objs[i];
  }
  before = nodes(w.ams);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(take_messages(seen, msgs), N / 2);
  for (long i = 0; i < N; ++i)
    ck_assert_uint_eq(seen[i], (unsigned)(i % 2));
  /* kept while the client holds the messages */
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(nodes(w.ams), before);
  for (size_t k = 0; k < N / 2; ++k) {
    mps_addr_t ref;
    mps_message_finalization_ref(&ref, w.arena, msgs[k]);
    ck_assert_int_eq(id_of(ref) % 2, 1);
    mps_message_discard(w.arena, msgs[k]);
  }
  /* reported once: the next collections post nothing and reclaim them */
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(take_messages(seen, NULL), 0);
  ck_assert_uint_eq(nodes(w.ams), before - N / 2);
  /* the live half, dropped, is reported now */
  for (size_t k = 0; k < N / 2; ++k)
    refs[R_FIRST + k] = NULL;
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(take_messages(seen, NULL), N / 2);
  for (long i = 0; i < N; ++i)
    ck_assert_uint_eq(seen[i], 1);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(nodes(w.ams), before - N);
}
END_TEST

/* What a finalized object refers to survives with it. */
START_TEST(referents_kept_until_discard)
{
  mps_addr_t leaf = node(w.ams_ap, NULL, 7);
  mps_addr_t obj = node(w.ams_ap, leaf, 3);
  unsigned seen[N] = {0};
  mps_message_t m;
  mps_addr_t ref;

  ck_assert_int_eq(mps_finalize(w.arena, &obj), MPS_RES_OK);
  obj = leaf = NULL;
  mps_arena_collect(w.arena);
  ck_assert(mps_message_get(&m, w.arena, mps_message_type_finalization()));
  mps_message_finalization_ref(&ref, w.arena, m);
  ck_assert_int_eq(id_of(ref), 3);
  ck_assert_int_eq(id_of((mps_addr_t)*dylan_slot(ref, 0)), 7);
  mps_arena_collect(w.arena);
  ck_assert_int_eq(id_of((mps_addr_t)*dylan_slot(ref, 0)), 7);
  mps_message_discard(w.arena, m);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(nodes(w.ams), 0);
  ck_assert_uint_eq(take_messages(seen, NULL), 0);
}
END_TEST

START_TEST(definalize_cancels)
{
  unsigned seen[N] = {0};
  mps_addr_t a = node(w.ams_ap, NULL, 1), b = node(w.ams_ap, NULL, 2);

  ck_assert_int_eq(mps_finalize(w.arena, &a), MPS_RES_OK);
  ck_assert_int_eq(mps_finalize(w.arena, &b), MPS_RES_OK);
  ck_assert_int_eq(mps_finalize(w.arena, &b), MPS_RES_OK);   /* twice */
  ck_assert_int_eq(mps_definalize(w.arena, &a), MPS_RES_OK);
  ck_assert_int_eq(mps_definalize(w.arena, &a), MPS_RES_FAIL);
  ck_assert_int_eq(mps_definalize(w.arena, &b), MPS_RES_OK);  /* one of two */
  a = b = NULL;
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(take_messages(seen, NULL), 1);
  ck_assert_uint_eq(seen[1], 0);
  ck_assert_uint_eq(seen[2], 1);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(nodes(w.ams), 0);
}
END_TEST

/* Each registration is one message. */
START_TEST(registered_twice_two_messages)
{
  unsigned seen[N] = {0};
  mps_addr_t a = node(w.ams_ap, NULL, 4);
  ck_assert_int_eq(mps_finalize(w.arena, &a), MPS_RES_OK);
  ck_assert_int_eq(mps_finalize(w.arena, &a), MPS_RES_OK);
  a = NULL;
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(take_messages(seen, NULL), 2);
  ck_assert_uint_eq(seen[4], 2);
}
END_TEST

START_TEST(lo_objects)
{
  unsigned seen[N] = {0};
  mps_addr_t obj, ref;
  mps_message_t m;
  mps_word_t fixed[1] = {dylan_int(9)};

  ck_assert_int_eq(dylan_make(&obj, w.lo_ap, 0, refs[R_BYTES], fixed, 16, "finalize me!!!!"),
                   MPS_RES_OK);
  ck_assert_int_eq(mps_finalize(w.arena, &obj), MPS_RES_OK);
  refs[R_FIRST] = obj;
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(take_messages(seen, NULL), 0);
  refs[R_FIRST] = NULL;
  mps_arena_collect(w.arena);
  ck_assert(mps_message_get(&m, w.arena, mps_message_type_finalization()));
  mps_message_finalization_ref(&ref, w.arena, m);
  ck_assert_ptr_eq(ref, obj);
  ck_assert_str_eq((const char *)dylan_bytes(ref), "finalize me!!!!");
  mps_message_discard(w.arena, m);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(gc_world_census(&w, w.lo).by_class[CLASS_BYTES], 0);
}
END_TEST

/* AMC moves registered objects; the registration follows, and the
 * message names the object where it is now. */
START_TEST(amc_objects_move)
{
  mps_pool_t amc;
  mps_ap_t ap;
  mps_addr_t obj, first, ref;
  mps_message_t m;
  unsigned seen[N] = {0};

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, w.fmt);
    ck_assert_int_eq(mps_pool_create_k(&amc, w.arena, mps_class_amc(), args), MPS_RES_OK);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(mps_ap_create_k(&ap, amc, mps_args_none), MPS_RES_OK);
  obj = node(ap, NULL, 11);
  refs[R_FIRST] = obj;
  first = obj;
  ck_assert_int_eq(mps_finalize(w.arena, &obj), MPS_RES_OK);
  obj = NULL;
  mps_arena_collect(w.arena);
  mps_arena_collect(w.arena);
  ck_assert_ptr_ne(refs[R_FIRST], first);    /* it moved */
  ck_assert_uint_eq(take_messages(seen, NULL), 0);
  obj = refs[R_FIRST];
  /* a registration by the new address can be cancelled: it is the same */
  ck_assert_int_eq(mps_finalize(w.arena, &obj), MPS_RES_OK);
  ck_assert_int_eq(mps_definalize(w.arena, &obj), MPS_RES_OK);
  obj = NULL;
  refs[R_FIRST] = NULL;
  mps_arena_collect(w.arena);
  ck_assert(mps_message_get(&m, w.arena, mps_message_type_finalization()));
  mps_message_finalization_ref(&ref, w.arena, m);
  ck_assert_ptr_ne(ref, first);
  ck_assert_int_eq(id_of(ref), 11);
  mps_arena_collect(w.arena);                /* it may move again */
  mps_message_finalization_ref(&ref, w.arena, m);
  ck_assert_int_eq(id_of(ref), 11);
  mps_message_discard(w.arena, m);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(nodes(amc), 0);
  mps_ap_destroy(ap);
  mps_pool_destroy(amc);
}
END_TEST

START_TEST(awl_objects)
{
  mps_pool_t awl;
  mps_ap_t ap;
  mps_addr_t obj, ref;
  mps_message_t m;
  unsigned seen[N] = {0};

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, w.fmt);
    ck_assert_int_eq(mps_pool_create_k(&awl, w.arena, mps_class_awl(), args), MPS_RES_OK);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(mps_ap_create_k(&ap, awl, mps_args_none), MPS_RES_OK);
  obj = node(ap, node(ap, NULL, 13), 12);
  refs[R_FIRST] = obj;
  ck_assert_int_eq(mps_finalize(w.arena, &obj), MPS_RES_OK);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(take_messages(seen, NULL), 0);
  refs[R_FIRST] = NULL;
  mps_arena_collect(w.arena);
  ck_assert(mps_message_get(&m, w.arena, mps_message_type_finalization()));
  mps_message_finalization_ref(&ref, w.arena, m);
  ck_assert_ptr_eq(ref, obj);                  /* AWL does not move */
  ck_assert_int_eq(id_of((mps_addr_t)*dylan_slot(ref, 0)), 13);
  mps_message_discard(w.arena, m);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(nodes(awl), 0);
  mps_ap_destroy(ap);
  mps_pool_destroy(awl);
}
END_TEST

/* A weak reference to an object kept only for finalization holds while
 * the client has not let the object go, then is splatted. */
START_TEST(weak_splatted_after_finalization)
{
  static mps_addr_t weak[1];
  mps_root_t root = gc_table_root(w.arena, mps_rank_weak(), weak, 1);
  mps_addr_t obj = node(w.ams_ap, NULL, 5);
  unsigned seen[N] = {0};
  mps_message_t m;

  weak[0] = obj;
  ck_assert_int_eq(mps_finalize(w.arena, &obj), MPS_RES_OK);
  obj = NULL;
  mps_arena_collect(w.arena);
  ck_assert_ptr_nonnull(weak[0]);
  ck_assert_int_eq(id_of(weak[0]), 5);
  ck_assert(mps_message_get(&m, w.arena, mps_message_type_finalization()));
  mps_arena_collect(w.arena);
  ck_assert_ptr_nonnull(weak[0]);            /* the message keeps it */
  mps_message_discard(w.arena, m);
  mps_arena_collect(w.arena);
  ck_assert_ptr_null(weak[0]);
  ck_assert_uint_eq(take_messages(seen, NULL), 0);
  mps_root_destroy(root);
}
END_TEST

/* With the message type disabled nothing is posted and the object is
 * collected like any other. */
START_TEST(disabled_type_collects)
{
  unsigned seen[N] = {0};
  mps_addr_t a = node(w.ams_ap, NULL, 6);
  mps_message_type_disable(w.arena, mps_message_type_finalization());
  ck_assert_int_eq(mps_finalize(w.arena, &a), MPS_RES_OK);
  a = NULL;
  mps_arena_collect(w.arena);
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(nodes(w.ams), 0);
  mps_message_type_enable(w.arena, mps_message_type_finalization());
  ck_assert_uint_eq(take_messages(seen, NULL), 0);
}
END_TEST

START_TEST(bad_arguments)
{
  mps_pool_t mvff = fixture_mvff(w.arena, 8);
  mps_addr_t block, obj = node(w.ams_ap, NULL, 1), inner, nothing = NULL, reserved;
  int local;
  mps_addr_t stack = &local;

  ck_assert_int_eq(mps_alloc(&block, mvff, 64), MPS_RES_OK);
  ck_assert_int_eq(mps_finalize(w.arena, &block), MPS_RES_PARAM);   /* manual pool */
  ck_assert_int_eq(mps_finalize(w.arena, &stack), MPS_RES_PARAM);   /* not ours */
  ck_assert_int_eq(mps_finalize(w.arena, &nothing), MPS_RES_PARAM);
  ck_assert_int_eq(mps_finalize(w.arena, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(mps_definalize(w.arena, NULL), MPS_RES_PARAM);
  inner = (char *)obj + sizeof(mps_word_t);
  ck_assert_int_eq(mps_finalize(w.arena, &inner), MPS_RES_PARAM);   /* interior */
  ck_assert_int_eq(mps_definalize(w.arena, &obj), MPS_RES_FAIL);    /* never */
  /* reserved, not committed: not an object yet */
  ck_assert_int_eq(mps_reserve(&reserved, w.ams_ap, 64), MPS_RES_OK);
  ck_assert_int_eq(mps_finalize(w.arena, &reserved), MPS_RES_PARAM);
  dylan_pad(reserved, 64);
  (void)mps_commit(w.ams_ap, reserved, 64);
  mps_arena_collect(w.arena);
  mps_free(mvff, block, 64);
  mps_pool_destroy(mvff);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/final");
  TCase *tc = fixture_tcase(s, "final", setup, teardown, 30);
  tcase_add_test(tc, one_message_per_dead_object);
  tcase_add_test(tc, referents_kept_until_discard);
  tcase_add_test(tc, definalize_cancels);
  tcase_add_test(tc, registered_twice_two_messages);
  tcase_add_test(tc, lo_objects);
  tcase_add_test(tc, amc_objects_move);
  tcase_add_test(tc, awl_objects);
  tcase_add_test(tc, weak_splatted_after_finalization);
  tcase_add_test(tc, disabled_type_collects);
  tcase_add_test(tc, bad_arguments);
  return fixture_run_suite(s);
}
