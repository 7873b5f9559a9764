/* test/gc/control_test.c -- the arena states and the client's control of
 * collection: an unclamped arena collects by itself when allocation
 * passes the chain's capacity, a clamped or parked one does not;
 * mps_arena_collect leaves it parked, mps_arena_release unclamps it,
 * mps_arena_step works when there is work and leaves a parked arena
 * clamped, mps_arena_start_collect unclamps and collects, mps_arena_expose
 * and the remember/restore pair clamp, mps_arena_busy tells whether an
 * operation is under way, mps_arena_postmortem works from inside one.
 * Design: manual/design/trace.rst (design.trace.control; the MPS manual:
 * topic/arena.rst "Arena states", "Running garbage collections") */
#include "mps.h"
#include "gcfixture.h"

#include <check.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

enum { CLASS_NODE = 1, CLASS_JUNK = 2 };
enum { R_WW, R_NODE, R_JUNK, R_HEAD, NREFS = 16 };

#define CAPACITY_KB 1024           /* generation 0 of the test chain */
#define JUNK_WORDS 30              /* a junk object: 256 bytes */

static const GcClass classes[] = {{CLASS_NODE, 2, DYLAN_VAR_NONE},
                                   {CLASS_JUNK, 0, DYLAN_VAR_WORDS}};
static GcWorld w;
static mps_addr_t refs[NREFS];     /* exact */

static void make_arena(void)
{
  GcWorldOptions o = {.chain_kb = CAPACITY_KB, .mortality = 0.8, .pools = GC_POOL_AMS,
                      .table = refs, .table_len = NREFS,
                      .classes = classes, .nclasses = 2};
  gc_world_open(&w, &o);
}

static void teardown(void)
{
  gc_world_close(&w);
}

/* Push a node on the list in refs[R_HEAD].  The old head stays in the
 * root until the new one replaces it, so a collection inside the
 * allocation (the arena may be unclamped, and no thread is a root)
 * loses nothing. */
static void push(long value)
{
  mps_addr_t obj;
  mps_word_t fixed[2] = {(mps_word_t)refs[R_HEAD], dylan_int(value)};
  ck_assert_int_eq(dylan_make(&obj, w.ams_ap, 0, refs[R_NODE], fixed, 0, NULL), MPS_RES_OK);
  refs[R_HEAD] = obj;
}

static void check_list(long n)
{
  mps_addr_t obj = refs[R_HEAD];
  for (long i = n; i > 0; --i) {
    ck_assert_ptr_nonnull(obj);
    ck_assert(dylan_check(obj, 0));
    ck_assert_int_eq(dylan_int_value(*dylan_slot(obj, 1)), i);
    obj = (mps_addr_t)*dylan_slot(obj, 0);
  }
  ck_assert_ptr_null(obj);
}

/* Allocate about `bytes` of garbage, pushing a node every 64 objects
 * unless pushed is negative. */
static long churn(size_t bytes, long pushed)
{
  size_t each = dylan_block_size(0, 0, DYLAN_VAR_WORDS, JUNK_WORDS);
  for (size_t i = 0; i < bytes / each; ++i) {
    mps_addr_t junk;
    ck_assert_int_eq(dylan_make(&junk, w.ams_ap, 0, refs[R_JUNK], NULL, JUNK_WORDS, NULL),
                     MPS_RES_OK);
    if (pushed >= 0 && i % 64 == 0)
      push(++pushed);
  }
  return pushed;
}

static size_t junk_count(void)
{
  return gc_world_census(&w, w.ams).by_class[CLASS_JUNK];
}

/* churn(), checking that the allocation started no collection. */
static long churn_quietly(size_t bytes, long pushed)
{
  mps_word_t c0 = mps_collections(w.arena);
  pushed = churn(bytes, pushed);
  ck_assert_uint_eq(mps_collections(w.arena), c0);
  return pushed;
}

/* churn(), checking that the allocation started at least `at_least`
 * collections and that the list survived them. */
static long churn_collecting(size_t bytes, long pushed, unsigned at_least)
{
  mps_word_t c0 = mps_collections(w.arena);
  pushed = churn(bytes, pushed);
  ck_assert_uint_ge(mps_collections(w.arena), c0 + at_least);
  check_list(pushed);
  return pushed;
}

/* After a collection the test ran: `collections` in all, no junk left,
 * the list of n intact. */
static void expect_collected(mps_word_t collections, long n)
{
  ck_assert_uint_eq(mps_collections(w.arena), collections);
  ck_assert_uint_eq(junk_count(), 0);
  check_list(n);
}

START_TEST(unclamped_collects_by_itself)
{
  mps_arena_release(w.arena);
  (void)churn_collecting(12 * MiB, 0, 4);
}
END_TEST

START_TEST(parked_does_not)
{
  mps_word_t c0 = mps_collections(w.arena);
  long n = churn_quietly(6 * MiB, 0);
  ck_assert_uint_ge(junk_count(), 6 * MiB / 256 - 1);
  mps_arena_collect(w.arena);
  expect_collected(c0 + 1, n);
  /* Still parked after mps_arena_collect. */
  n = churn_quietly(4 * MiB, n);
  /* Released, it starts again. */
  mps_arena_release(w.arena);
  (void)churn_collecting(8 * MiB, n, 2);
}
END_TEST

START_TEST(clamped_does_not)
{
  mps_word_t c0;
  long n;
  mps_arena_release(w.arena);
  mps_arena_clamp(w.arena);
  c0 = mps_collections(w.arena);
  n = churn_quietly(6 * MiB, 0);
  /* The client may still ask for one; it leaves the arena parked. */
  mps_arena_collect(w.arena);
  ck_assert_uint_eq(mps_collections(w.arena), c0 + 1);
  ck_assert_uint_eq(junk_count(), 0);
  n = churn_quietly(4 * MiB, n);
  check_list(n);
}
END_TEST

START_TEST(step)
{
  mps_word_t c0;
  long n;

  mps_arena_collect(w.arena);
  c0 = mps_collections(w.arena);
  /* Nothing allocated since: nothing to do. */
  ck_assert(!mps_arena_step(w.arena, 0.0, 0.0));
  ck_assert(!mps_arena_step(w.arena, 10.0, 10.0));
  ck_assert_uint_eq(mps_collections(w.arena), c0);
  /* Garbage, and time enough for a whole collection. */
  n = churn(2 * MiB, 0);
  ck_assert(mps_arena_step(w.arena, 10.0, 100.0));
  expect_collected(c0 + 1, n);
  /* Parked before, clamped after: allocation starts nothing. */
  n = churn_quietly(4 * MiB, n);
  /* Unclamped before, unclamped after. */
  mps_arena_release(w.arena);
  (void)mps_arena_step(w.arena, 10.0, 100.0);
  (void)churn_collecting(6 * MiB, n, 2);
}
END_TEST

START_TEST(start_collect)
{
  mps_word_t c0;
  long n = churn(2 * MiB, 0);
  c0 = mps_collections(w.arena);
  ck_assert_int_eq(mps_arena_start_collect(w.arena), MPS_RES_OK);
  /* Parking runs whatever collection is under way to its end. */
  mps_arena_park(w.arena);
  expect_collected(c0 + 1, n);
  /* And start_collect leaves the arena unclamped. */
  ck_assert_int_eq(mps_arena_start_collect(w.arena), MPS_RES_OK);
  (void)churn_collecting(6 * MiB, n, 2);
}
END_TEST

START_TEST(expose)
{
  long n = churn(1 * MiB, 0);
  mps_arena_release(w.arena);
  mps_arena_expose(w.arena);
  check_list(n);                     /* readable */
  n = churn_quietly(4 * MiB, n);     /* clamped: nothing starts */
  mps_arena_release(w.arena);

  mps_arena_unsafe_expose_remember_protection(w.arena);
  check_list(n);
  (void)churn_quietly(4 * MiB, -1);  /* garbage only: the list is unchanged */
  mps_arena_unsafe_restore_protection(w.arena);
  mps_arena_release(w.arena);
  check_list(n);
}
END_TEST

/* mps_arena_busy, from outside and from inside an operation (a root
 * scanner runs inside mps_arena_collect). */
static int busy_inside = -1;
static mps_arena_t busy_arena;

static mps_res_t busy_scan(mps_ss_t ss, void *p, size_t s)
{
  (void)ss, (void)p, (void)s;
  busy_inside = mps_arena_busy(busy_arena) != 0;
  return MPS_RES_OK;
}

START_TEST(busy)
{
  mps_root_t r;
  ck_assert(!mps_arena_busy(w.arena));
  busy_arena = w.arena;
  ck_assert_int_eq(mps_root_create(&r, w.arena, mps_rank_exact(), 0, busy_scan, NULL, 0),
                   MPS_RES_OK);
  mps_arena_collect(w.arena);
  ck_assert_int_eq(busy_inside, 1);
  ck_assert(!mps_arena_busy(w.arena));
  mps_root_destroy(r);
}
END_TEST

/* Postmortem: objects stay readable and the arena is no longer busy.
 * The arena is never used again (not even destroyed). */
START_TEST(postmortem)
{
  long n;
  make_arena();
  n = churn(1 * MiB, 0);
  mps_arena_collect(w.arena);
  mps_arena_release(w.arena);
  mps_arena_postmortem(w.arena);
  ck_assert(!mps_arena_busy(w.arena));
  check_list(n);
}
END_TEST

/* The manual's use: from a callback while the arena is busy, on the
 * thread that holds its lock.  The callback then leaves the program. */
static long pm_n;

static mps_res_t postmortem_scan(mps_ss_t ss, void *p, size_t s)
{
  (void)ss, (void)p, (void)s;
  if (mps_arena_busy(busy_arena)) {
    mps_arena_postmortem(busy_arena);
    if (mps_arena_busy(busy_arena))
      _exit(2);
    check_list(pm_n);     /* objects readable */
    _exit(0);
  }
  _exit(3);
  return MPS_RES_OK;
}

START_TEST(postmortem_from_callback)
{
  mps_root_t r;
  make_arena();
  pm_n = churn(1 * MiB, 0);
  busy_arena = w.arena;
  ck_assert_int_eq(mps_root_create(&r, w.arena, mps_rank_exact(), 0, postmortem_scan,
                                   NULL, 0), MPS_RES_OK);
  mps_arena_collect(w.arena);
  _exit(4);     /* the callback must not return */
}
END_TEST

/* design.trace.poll.ramp: a ramp on an allocation point of a collected
 * pool holds young collections back up to four times generation 0's
 * capacity, not beyond; after the ramp they start at capacity again. */
START_TEST(ramp_defers_young_collections)
{
  mps_alloc_pattern_t ramp = mps_alloc_pattern_ramp();
  long n;

  mps_arena_release(w.arena);
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(w.ams_ap, ramp), MPS_RES_OK);
  n = churn_quietly(3 * CAPACITY_KB * 1024, 0);
  n = churn_collecting(4 * CAPACITY_KB * 1024, n, 1);
  ck_assert_int_eq(mps_ap_alloc_pattern_end(w.ams_ap, ramp), MPS_RES_OK);
  mps_arena_collect(w.arena);
  mps_arena_release(w.arena);
  (void)churn_collecting(3 * CAPACITY_KB * 1024, n, 2);
}
END_TEST

/* design.ld.pattern.collect-all: when a ramp_collect_all pattern has
 * ended, the next allocation that polls runs a full collection, whose
 * start message says why; none follows for a plain ramp. */
START_TEST(ramp_collect_all_collects_after_the_ramp)
{
  mps_alloc_pattern_t all = mps_alloc_pattern_ramp_collect_all();
  mps_message_type_t type;
  mps_message_t msg;
  mps_word_t c0;
  const char *why;
  long n;

  mps_message_type_enable(w.arena, mps_message_type_gc_start());
  mps_arena_release(w.arena);
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(w.ams_ap, all), MPS_RES_OK);
  n = churn_quietly(CAPACITY_KB * 1024 / 4, 0);
  c0 = mps_collections(w.arena);
  ck_assert_int_eq(mps_ap_alloc_pattern_end(w.ams_ap, all), MPS_RES_OK);
  n = churn(CAPACITY_KB * 1024 / 4, n);
  ck_assert_uint_eq(mps_collections(w.arena), c0 + 1);
  check_list(n);
  ck_assert(mps_message_queue_type(&type, w.arena));
  ck_assert(type == mps_message_type_gc_start());
  ck_assert(mps_message_get(&msg, w.arena, type));
  why = mps_message_gc_start_why(w.arena, msg);
  ck_assert_ptr_nonnull(strstr(why, "ramp"));
  mps_message_discard(w.arena, msg);
  /* the request was taken: no second full collection */
  (void)churn_quietly(CAPACITY_KB * 1024 / 4, n);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/control");
  TCase *tc = fixture_tcase(s, "control", make_arena, teardown, 30);
  /* No fixture: these arenas end postmortem. */
  TCase *pm = fixture_tcase(s, "postmortem", NULL, NULL, 20);

  tcase_add_test(tc, unclamped_collects_by_itself);
  tcase_add_test(tc, parked_does_not);
  tcase_add_test(tc, clamped_does_not);
  tcase_add_test(tc, step);
  tcase_add_test(tc, start_collect);
  tcase_add_test(tc, expose);
  tcase_add_test(tc, busy);
  tcase_add_test(tc, ramp_defers_young_collections);
  tcase_add_test(tc, ramp_collect_all_collects_after_the_ramp);
  tcase_add_test(pm, postmortem);
  tcase_add_exit_test(pm, postmortem_from_callback, 0);
  return fixture_run_suite(s);
}
