/* test/gc/message_test.c -- GC-start and GC messages: posted only for the
 * types enabled, queued in order, with a reason, a clock, and plausible
 * sizes (live <= condemned, the live objects counted in live, the dead
 * ones not); mps_collections counts collections.
 * Design: manual/design/trace.rst (design.trace.message; the MPS manual:
 * topic/message.rst, topic/collection.rst) */
#include "mps.h"
#include "mpsavm.h"
#include "mpslib.h"
#include "gcfixture.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

enum { CLASS_NODE = 1 };
enum { R_WW, R_NODE, R_FIRST, NREFS = 64 };

static const GcClass classes[] = {{CLASS_NODE, 2, DYLAN_VAR_WORDS}};
static GcWorld w;
static mps_addr_t refs[NREFS];

static void setup(void)
{
  GcWorldOptions o = {.arena_size = 32 * MiB, .pools = GC_POOL_AMS,
                      .table = refs, .table_len = NREFS,
                      .classes = classes, .nclasses = 1};
  gc_world_open(&w, &o);
}

static void teardown(void)
{
  gc_world_close(&w);        /* unread messages are dropped with the arena */
}

/* A list of n nodes with var_len words each; returns the bytes. */
static size_t make_list(mps_addr_t *head_o, size_t n, size_t var_len)
{
  mps_addr_t head = NULL;
  for (size_t i = 0; i < n; ++i) {
    mps_word_t fixed[2] = {(mps_word_t)head, dylan_int((long)i)};
    ck_assert_int_eq(dylan_make(&head, w.ams_ap, 0, refs[R_NODE], fixed, var_len, NULL),
                     MPS_RES_OK);
  }
  *head_o = head;
  return n * dylan_block_size(0, 2, DYLAN_VAR_WORDS, var_len);
}

START_TEST(no_messages_unless_enabled)
{
  mps_message_t m;
  mps_message_type_t type;
  mps_addr_t head;
  (void)make_list(&head, 100, 2);
  mps_arena_collect(w.arena);
  ck_assert(!mps_message_poll(w.arena));
  ck_assert(!mps_message_queue_type(&type, w.arena));
  ck_assert(!mps_message_get(&m, w.arena, mps_message_type_gc()));
  ck_assert(!mps_message_get(&m, w.arena, mps_message_type_gc_start()));
}
END_TEST

START_TEST(gc_start_then_gc)
{
  mps_message_t m, untouched;
  mps_message_type_t type;
  size_t live_bytes, dead_bytes, live, condemned, not_condemned;
  const char *why;
  mps_clock_t t0, t_start, t_end;

  mps_message_type_enable(w.arena, mps_message_type_gc_start());
  mps_message_type_enable(w.arena, mps_message_type_gc());
  live_bytes = make_list(&refs[R_FIRST], 300, 4);
  dead_bytes = make_list(&refs[R_FIRST + 1], 700, 4);
  refs[R_FIRST + 1] = NULL;
  ck_assert(!mps_message_poll(w.arena));
  t0 = mps_clock();
  mps_arena_collect(w.arena);

  ck_assert(mps_message_poll(w.arena));
  ck_assert(mps_message_queue_type(&type, w.arena));
  ck_assert_int_eq(type, mps_message_type_gc_start());
  ck_assert(mps_message_get(&m, w.arena, mps_message_type_gc_start()));
  ck_assert_int_eq(mps_message_type(w.arena, m), mps_message_type_gc_start());
  why = mps_message_gc_start_why(w.arena, m);
  ck_assert_ptr_nonnull(why);
  ck_assert_uint_gt(strlen(why), 0);
  t_start = mps_message_clock(w.arena, m);
  ck_assert_uint_ge(t_start, t0);
  mps_message_discard(w.arena, m);

  ck_assert(mps_message_queue_type(&type, w.arena));
  ck_assert_int_eq(type, mps_message_type_gc());
  untouched = (mps_message_t)&untouched;
  m = untouched;
  ck_assert(!mps_message_get(&m, w.arena, mps_message_type_gc_start()));
  ck_assert_ptr_eq(m, untouched);             /* written only on success */
  ck_assert(mps_message_get(&m, w.arena, mps_message_type_gc()));
  ck_assert_int_eq(mps_message_type(w.arena, m), mps_message_type_gc());
  t_end = mps_message_clock(w.arena, m);
  ck_assert_uint_ge(t_end, t_start);
  ck_assert_uint_le(t_end, mps_clock());
  live = mps_message_gc_live_size(w.arena, m);
  condemned = mps_message_gc_condemned_size(w.arena, m);
  not_condemned = mps_message_gc_not_condemned_size(w.arena, m);
  ck_assert_uint_le(live, condemned);
  ck_assert_uint_ge(live, live_bytes);
  ck_assert_uint_ge(condemned, live_bytes + dead_bytes);
  ck_assert_uint_le(live + dead_bytes, condemned);
  ck_assert_uint_le(not_condemned, mps_pool_total_size(w.ams));
  mps_message_discard(w.arena, m);
  ck_assert(!mps_message_poll(w.arena));
}
END_TEST

START_TEST(messages_queue_in_order)
{
  unsigned n = 5;
  mps_message_t m;
  mps_clock_t last = 0;
  size_t live_prev = (size_t)-1;

  mps_message_type_enable(w.arena, mps_message_type_gc());
  refs[R_FIRST] = NULL;
  for (unsigned i = 0; i < n; ++i) {
    /* Each collection keeps less: the root holds a shorter list. */
    (void)make_list(&refs[R_FIRST], (size_t)(n - i) * 100, 1);
    mps_arena_collect(w.arena);
  }
  for (unsigned i = 0; i < n; ++i) {
    mps_message_type_t type;
    ck_assert(mps_message_queue_type(&type, w.arena));
    ck_assert_int_eq(type, mps_message_type_gc());   /* GC-start not enabled */
    ck_assert(mps_message_get(&m, w.arena, mps_message_type_gc()));
    ck_assert_uint_ge(mps_message_clock(w.arena, m), last);
    last = mps_message_clock(w.arena, m);
    ck_assert_uint_lt(mps_message_gc_live_size(w.arena, m), live_prev);
    live_prev = mps_message_gc_live_size(w.arena, m);
    mps_message_discard(w.arena, m);
  }
  ck_assert(!mps_message_get(&m, w.arena, mps_message_type_gc()));
}
END_TEST

START_TEST(disable_drops_and_stops)
{
  mps_message_t m;
  mps_addr_t head;
  mps_message_type_enable(w.arena, mps_message_type_gc());
  mps_message_type_enable(w.arena, mps_message_type_gc_start());
  (void)make_list(&head, 10, 0);
  mps_arena_collect(w.arena);
  ck_assert(mps_message_poll(w.arena));
  /* Disabling a type discards its queued messages and stops new ones. */
  mps_message_type_disable(w.arena, mps_message_type_gc());
  ck_assert(!mps_message_get(&m, w.arena, mps_message_type_gc()));
  mps_arena_collect(w.arena);
  ck_assert(!mps_message_get(&m, w.arena, mps_message_type_gc()));
  /* The other type still arrives: two of them now. */
  ck_assert(mps_message_get(&m, w.arena, mps_message_type_gc_start()));
  mps_message_discard(w.arena, m);
  ck_assert(mps_message_get(&m, w.arena, mps_message_type_gc_start()));
  mps_message_discard(w.arena, m);
  ck_assert(!mps_message_poll(w.arena));
  /* Enabled again, it comes back. */
  mps_message_type_enable(w.arena, mps_message_type_gc());
  mps_arena_collect(w.arena);
  ck_assert(mps_message_get(&m, w.arena, mps_message_type_gc()));
  mps_message_discard(w.arena, m);
  gc_drain_all_messages(w.arena);
}
END_TEST

START_TEST(collections_counted)
{
  mps_word_t c0 = mps_collections(w.arena);
  mps_addr_t head;
  for (unsigned i = 1; i <= 10; ++i) {
    (void)make_list(&head, 50, 0);
    mps_arena_collect(w.arena);
    ck_assert_uint_eq(mps_collections(w.arena), c0 + i);
  }
  /* Parked: allocation alone starts none, even past the default chain's
   * capacity (8 MiB). */
  for (unsigned i = 0; i < 800; ++i)
    (void)make_list(&head, 100, 10);
  ck_assert_uint_eq(mps_collections(w.arena), c0 + 10);
}
END_TEST

START_TEST(empty_arena_collection)
{
  /* A collection with nothing to condemn still starts, ends and says so. */
  mps_arena_t a2;
  mps_message_t m;
  mps_word_t c0;
  ck_assert_int_eq(mps_arena_create_k(&a2, mps_arena_class_vm(), mps_args_none),
                   MPS_RES_OK);
  mps_message_type_enable(a2, mps_message_type_gc());
  mps_message_type_enable(a2, mps_message_type_gc_start());
  c0 = mps_collections(a2);
  mps_arena_collect(a2);
  ck_assert_uint_eq(mps_collections(a2), c0 + 1);
  ck_assert(mps_message_get(&m, a2, mps_message_type_gc_start()));
  mps_message_discard(a2, m);
  ck_assert(mps_message_get(&m, a2, mps_message_type_gc()));
  ck_assert_uint_eq(mps_message_gc_live_size(a2, m), 0);
  ck_assert_uint_eq(mps_message_gc_condemned_size(a2, m), 0);
  mps_message_discard(a2, m);
  mps_arena_destroy(a2);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/message");
  TCase *tc = fixture_tcase(s, "message", setup, teardown, 20);

  tcase_add_test(tc, no_messages_unless_enabled);
  tcase_add_test(tc, gc_start_then_gc);
  tcase_add_test(tc, messages_queue_in_order);
  tcase_add_test(tc, disable_drops_and_stops);
  tcase_add_test(tc, collections_counted);
  tcase_add_test(tc, empty_arena_collection);
  return fixture_run_suite(s);
}
