/* test/unit/message_test.c -- the message queue: posting each type of
 * message as the trace engine does and reading it back through the
 * public interface; enabling and disabling; order; clocks; freeing.
 * Design: manual/design/message.rst */
#include "trace/message.h"
#include "mpsavm.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static mps_arena_t arena;
static Globals *g;

/* Until the trace engine makes the trace layer's state with the arena
 * (globals_create), the test makes the part the messages use. */
static Globals test_globals;
static bool installed;

static void setup(void)
{
  ck_assert_int_eq(mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none),
                   MPS_RES_OK);
  installed = arena->globals == NULL;
  if (installed) {
    memset(&test_globals, 0, sizeof test_globals);
    test_globals.arena = arena;
    messages_init(&test_globals);
    test_globals.sig = SIG_GLOBALS;
    arena->globals = &test_globals;
  }
  g = arena->globals;
}

static void teardown(void)
{
  if (installed) {
    arena_enter(arena);
    messages_destroy_all(g);
    arena_leave(arena);
    arena->globals = NULL;
  }
  /* arena_destroy asserts that every control block was freed */
  mps_arena_destroy(arena);
}

/* What the trace engine does: allocate before the trace, post after. */
static Message *alloc_message(void)
{
  Message *msg;
  arena_enter(arena);
  ck_assert_int_eq(message_alloc(&msg, arena), RES_OK);
  arena_leave(arena);
  return msg;
}

static void post_gc(Size live, Size condemned, Size not_condemned)
{
  Message *msg = alloc_message();
  arena_enter(arena);
  message_post_gc(msg, live, condemned, not_condemned);
  arena_leave(arena);
}

static void post_gc_start(TraceWhy why)
{
  Message *msg = alloc_message();
  arena_enter(arena);
  message_post_gc_start(msg, why);
  arena_leave(arena);
}

static void post_final(void *ref)
{
  Message *msg = alloc_message();
  arena_enter(arena);
  message_post_finalization(msg, ptr_addr(ref));
  arena_leave(arena);
}

static void enable_all(void)
{
  mps_message_type_enable(arena, mps_message_type_gc());
  mps_message_type_enable(arena, mps_message_type_gc_start());
  mps_message_type_enable(arena, mps_message_type_finalization());
}

START_TEST(empty_queue)
{
  mps_message_type_t type = 12345;
  mps_message_t msg = (mps_message_t)&type;

  ck_assert(!mps_message_poll(arena));
  ck_assert(!mps_message_queue_type(&type, arena));
  ck_assert_int_eq(type, 12345);   /* not written */
  ck_assert(!mps_message_get(&msg, arena, mps_message_type_gc()));
  ck_assert(!mps_message_get(&msg, arena, mps_message_type_gc_start()));
  ck_assert(!mps_message_get(&msg, arena, mps_message_type_finalization()));
  ck_assert_ptr_eq(msg, (mps_message_t)&type);   /* not written */
}
END_TEST

START_TEST(type_codes)
{
  /* The function forms give the macros' codes, all distinct. */
  ck_assert_int_eq((mps_message_type_gc)(), mps_message_type_gc());
  ck_assert_int_eq((mps_message_type_gc_start)(), mps_message_type_gc_start());
  ck_assert_int_eq((mps_message_type_finalization)(), mps_message_type_finalization());
  ck_assert_int_ne(mps_message_type_gc(), mps_message_type_gc_start());
  ck_assert_int_ne(mps_message_type_gc(), mps_message_type_finalization());
  ck_assert_int_ne(mps_message_type_gc_start(), mps_message_type_finalization());
}
END_TEST

START_TEST(disabled_by_default)
{
  Size before = arena->control_in_use;
  Count drops = g->message_drops;

  ck_assert(!message_type_enabled(g, MESSAGE_TYPE_GC));
  ck_assert(!message_type_enabled(g, MESSAGE_TYPE_GC_START));
  ck_assert(!message_type_enabled(g, MESSAGE_TYPE_FINALIZATION));
  post_gc(1, 2, 3);
  post_gc_start(TRACE_WHY_CLIENT);
  post_final(&before);
  /* Posting a disabled type frees the message instead of queueing it. */
  ck_assert(!mps_message_poll(arena));
  ck_assert_uint_eq(g->message_drops, drops + 3);
  ck_assert_uint_eq(arena->control_in_use, before);
}
END_TEST

START_TEST(gc_message)
{
  mps_message_t msg;
  mps_message_type_t type;
  mps_clock_t before, after, posted;

  mps_message_type_enable(arena, mps_message_type_gc());
  ck_assert(message_type_enabled(g, MESSAGE_TYPE_GC));
  ck_assert(!message_type_enabled(g, MESSAGE_TYPE_GC_START));
  before = mps_clock();
  post_gc(1000, 4096, 512);
  after = mps_clock();
  ck_assert(mps_message_poll(arena));
  ck_assert(mps_message_queue_type(&type, arena));
  ck_assert_int_eq(type, mps_message_type_gc());
  ck_assert(!mps_message_get(&msg, arena, mps_message_type_gc_start()));
  ck_assert(mps_message_get(&msg, arena, mps_message_type_gc()));
  /* got: no longer on the queue */
  ck_assert(!mps_message_poll(arena));
  ck_assert(!mps_message_get(&msg, arena, mps_message_type_gc()));
  ck_assert_int_eq(mps_message_type(arena, msg), mps_message_type_gc());
  ck_assert_uint_eq(mps_message_gc_live_size(arena, msg), 1000);
  ck_assert_uint_eq(mps_message_gc_condemned_size(arena, msg), 4096);
  ck_assert_uint_eq(mps_message_gc_not_condemned_size(arena, msg), 512);
  posted = mps_message_clock(arena, msg);
  ck_assert_uint_ge(posted, before);
  ck_assert_uint_le(posted, after);
  mps_message_discard(arena, msg);
}
END_TEST

START_TEST(gc_start_message)
{
  static const TraceWhy whys[] = {TRACE_WHY_CHAIN, TRACE_WHY_CLIENT, TRACE_WHY_STEP};
  const char *seen[ARRAY_LEN(whys)];
  mps_message_t msg;

  mps_message_type_enable(arena, mps_message_type_gc_start());
  for (size_t i = 0; i < ARRAY_LEN(whys); ++i)
    post_gc_start(whys[i]);
  for (size_t i = 0; i < ARRAY_LEN(whys); ++i) {
    const char *why;
    ck_assert(mps_message_get(&msg, arena, mps_message_type_gc_start()));
    ck_assert_int_eq(mps_message_type(arena, msg), mps_message_type_gc_start());
    why = mps_message_gc_start_why(arena, msg);
    ck_assert_ptr_nonnull(why);
    ck_assert_uint_gt(strlen(why), 10);
    /* in order of posting: each reason's own sentence */
    ck_assert_str_eq(why, message_why_string(whys[i]));
    for (size_t j = 0; j < i; ++j)
      ck_assert_str_ne(why, seen[j]);
    seen[i] = why;
    mps_message_discard(arena, msg);
  }
  ck_assert(!mps_message_poll(arena));
}
END_TEST

START_TEST(finalization_message)
{
  static int object;
  mps_message_t msg;
  mps_addr_t ref = NULL;

  mps_message_type_enable(arena, mps_message_type_finalization());
  post_final(&object);
  ck_assert(mps_message_get(&msg, arena, mps_message_type_finalization()));
  ck_assert_int_eq(mps_message_type(arena, msg), mps_message_type_finalization());
  mps_message_finalization_ref(&ref, arena, msg);
  ck_assert_ptr_eq(ref, &object);
  /* The manual: the clock of other than GC messages is always zero. */
  ck_assert_uint_eq(mps_message_clock(arena, msg), 0);
  mps_message_discard(arena, msg);
}
END_TEST

START_TEST(queue_order)
{
  static int a, b;
  mps_message_type_t type;
  mps_message_t msg;
  mps_addr_t ref;

  enable_all();
  post_gc_start(TRACE_WHY_CHAIN);
  post_final(&a);
  post_gc(10, 20, 30);
  post_gc_start(TRACE_WHY_CLIENT);
  post_final(&b);
  post_gc(11, 21, 31);

  /* The oldest message's type, then taking out one of another type
   * leaves the oldest in front. */
  ck_assert(mps_message_queue_type(&type, arena));
  ck_assert_int_eq(type, mps_message_type_gc_start());
  ck_assert(mps_message_get(&msg, arena, mps_message_type_gc()));
  ck_assert_uint_eq(mps_message_gc_live_size(arena, msg), 10);
  mps_message_discard(arena, msg);
  ck_assert(mps_message_queue_type(&type, arena));
  ck_assert_int_eq(type, mps_message_type_gc_start());

  /* Each type comes out oldest first. */
  ck_assert(mps_message_get(&msg, arena, mps_message_type_finalization()));
  mps_message_finalization_ref(&ref, arena, msg);
  ck_assert_ptr_eq(ref, &a);
  mps_message_discard(arena, msg);
  ck_assert(mps_message_get(&msg, arena, mps_message_type_gc_start()));
  ck_assert_str_eq(mps_message_gc_start_why(arena, msg), message_why_string(TRACE_WHY_CHAIN));
  mps_message_discard(arena, msg);

  /* Draining with mps_message_queue_type as the manual's example does. */
  {
    mps_message_type_t expected[] = {mps_message_type_gc_start(),
                                     mps_message_type_finalization(),
                                     mps_message_type_gc()};
    size_t n = 0;
    while (mps_message_queue_type(&type, arena)) {
      ck_assert_uint_lt(n, ARRAY_LEN(expected));
      ck_assert_int_eq(type, expected[n]);
      ck_assert(mps_message_get(&msg, arena, type));
      ck_assert_int_eq(mps_message_type(arena, msg), type);
      if (type == mps_message_type_finalization()) {
        mps_message_finalization_ref(&ref, arena, msg);
        ck_assert_ptr_eq(ref, &b);
      } else if (type == mps_message_type_gc()) {
        ck_assert_uint_eq(mps_message_gc_not_condemned_size(arena, msg), 31);
      }
      mps_message_discard(arena, msg);
      ++n;
    }
    ck_assert_uint_eq(n, ARRAY_LEN(expected));
  }
  ck_assert(!mps_message_poll(arena));
}
END_TEST

START_TEST(clock_monotonic)
{
  mps_message_t start, end;
  mps_clock_t previous = 0;

  enable_all();
  for (int i = 0; i < 50; ++i) {
    post_gc_start(TRACE_WHY_STEP);
    post_gc(0, 0, 0);
    ck_assert(mps_message_get(&start, arena, mps_message_type_gc_start()));
    ck_assert(mps_message_get(&end, arena, mps_message_type_gc()));
    ck_assert_uint_ge(mps_message_clock(arena, start), previous);
    ck_assert_uint_ge(mps_message_clock(arena, end), mps_message_clock(arena, start));
    previous = mps_message_clock(arena, end);
    mps_message_discard(arena, start);
    mps_message_discard(arena, end);
  }
}
END_TEST

START_TEST(disable_flushes_queued)
{
  Size before = arena->control_in_use;
  mps_message_t got;
  mps_message_type_t type;

  enable_all();
  post_gc(1, 2, 3);
  post_gc_start(TRACE_WHY_CLIENT);
  post_gc(4, 5, 6);
  post_gc(7, 8, 9);
  ck_assert(mps_message_get(&got, arena, mps_message_type_gc()));
  mps_message_type_disable(arena, mps_message_type_gc());
  ck_assert(!message_type_enabled(g, MESSAGE_TYPE_GC));
  /* The queued GC messages are gone; the GC start one stays. */
  ck_assert(mps_message_queue_type(&type, arena));
  ck_assert_int_eq(type, mps_message_type_gc_start());
  mps_message_t msg;
  ck_assert(!mps_message_get(&msg, arena, mps_message_type_gc()));
  /* Enabling again brings nothing back. */
  mps_message_type_enable(arena, mps_message_type_gc());
  ck_assert(!mps_message_get(&msg, arena, mps_message_type_gc()));
  /* The one the client got is still the client's. */
  ck_assert_uint_eq(mps_message_gc_live_size(arena, got), 1);
  mps_message_discard(arena, got);
  /* Disabling twice, and enabling twice, are allowed. */
  mps_message_type_disable(arena, mps_message_type_gc_start());
  mps_message_type_disable(arena, mps_message_type_gc_start());
  mps_message_type_enable(arena, mps_message_type_finalization());
  ck_assert(!mps_message_poll(arena));
  ck_assert_uint_eq(arena->control_in_use, before);
}
END_TEST

START_TEST(discard_frees)
{
  Size before = arena->control_in_use;
  mps_message_t msg;

  mps_message_type_enable(arena, mps_message_type_gc());
  post_gc(1, 1, 1);
  ck_assert_uint_gt(arena->control_in_use, before);
  ck_assert(mps_message_get(&msg, arena, mps_message_type_gc()));
  ck_assert_uint_gt(arena->control_in_use, before);
  mps_message_discard(arena, msg);
  ck_assert_uint_eq(arena->control_in_use, before);

  /* An allocated message the engine does not post is freed too. */
  {
    Message *unused = alloc_message();
    arena_enter(arena);
    ck_assert(message_check(unused));
    message_free(unused);
    arena_leave(arena);
  }
  ck_assert_uint_eq(arena->control_in_use, before);
}
END_TEST

START_TEST(destroy_all_frees)
{
  Size before = arena->control_in_use;
  mps_message_t msg;

  enable_all();
  post_gc(1, 1, 1);
  post_gc_start(TRACE_WHY_CLIENT);
  post_final(&msg);
  ck_assert(mps_message_get(&msg, arena, mps_message_type_gc()));
  /* Queued messages and the one the client holds all go. */
  arena_enter(arena);
  messages_destroy_all(g);
  arena_leave(arena);
  ck_assert_uint_eq(arena->control_in_use, before);
  ck_assert(!mps_message_poll(arena));
}
END_TEST

START_TEST(scan_keeps_references)
{
  static int object;
  ScanState ss;
  mps_message_t msg;
  mps_addr_t ref;

  mps_message_type_enable(arena, mps_message_type_finalization());
  mps_message_type_enable(arena, mps_message_type_gc());
  post_final(&object);
  post_gc(1, 1, 1);
  post_final(&ss);
  ck_assert(mps_message_get(&msg, arena, mps_message_type_finalization()));
  arena_enter(arena);
  scan_state_init(&ss, arena, TRACESET_EMPTY, RANK_EXACT);
  /* Queued and delivered finalization messages are both scanned: their
   * zones reach the unfixed summary; with nothing white, nothing changes. */
  ck_assert_int_eq(messages_scan(&ss, g), RES_OK);
  ck_assert(refset_is_member_addr(arena->zone_shift, scan_state_unfixed_summary(&ss),
                                  ptr_addr(&object)));
  ck_assert(refset_is_member_addr(arena->zone_shift, scan_state_unfixed_summary(&ss),
                                  ptr_addr(&ss)));
  scan_state_finish(&ss);
  arena_leave(arena);
  mps_message_finalization_ref(&ref, arena, msg);
  ck_assert_ptr_eq(ref, &object);
  mps_message_discard(arena, msg);
}
END_TEST

/* ---- Misuse: assertions ---- */

static mps_message_t got_message(mps_message_type_t type)
{
  mps_message_t msg;
  enable_all();
  if (type == mps_message_type_gc())
    post_gc(1, 1, 1);
  else if (type == mps_message_type_gc_start())
    post_gc_start(TRACE_WHY_CLIENT);
  else
    post_final(&arena);
  ck_assert(mps_message_get(&msg, arena, type));
  return msg;
}

START_TEST(why_of_gc_message)
{
  mps_message_t msg = got_message(mps_message_type_gc());
  (void)mps_message_gc_start_why(arena, msg);
}
END_TEST

START_TEST(live_size_of_gc_start_message)
{
  mps_message_t msg = got_message(mps_message_type_gc_start());
  (void)mps_message_gc_live_size(arena, msg);
}
END_TEST

START_TEST(condemned_size_of_final_message)
{
  mps_message_t msg = got_message(mps_message_type_finalization());
  (void)mps_message_gc_condemned_size(arena, msg);
}
END_TEST

START_TEST(not_condemned_size_of_gc_start_message)
{
  mps_message_t msg = got_message(mps_message_type_gc_start());
  (void)mps_message_gc_not_condemned_size(arena, msg);
}
END_TEST

START_TEST(ref_of_gc_message)
{
  mps_addr_t ref;
  mps_message_t msg = got_message(mps_message_type_gc());
  mps_message_finalization_ref(&ref, arena, msg);
}
END_TEST

START_TEST(discard_queued_message)
{
  MessageType type;
  Message *queued;

  mps_message_type_enable(arena, mps_message_type_gc());
  post_gc(1, 1, 1);
  /* the message on the queue, which the client never got */
  ck_assert(message_queue_type(&type, g));
  queued = RING_ELT(Message, queue_ring, g->message_queue.next);
  mps_message_discard(arena, queued);
}
END_TEST

START_TEST(discard_twice)
{
  mps_message_t msg = got_message(mps_message_type_gc());
  mps_message_discard(arena, msg);
  /* freed: its signature is gone (the control block stays mapped) */
  mps_message_discard(arena, msg);
}
END_TEST

START_TEST(enable_bad_type)
{
  mps_message_type_enable(arena, (mps_message_type_t)MESSAGE_TYPE_LIMIT);
}
END_TEST

START_TEST(get_bad_type)
{
  mps_message_t msg;
  (void)mps_message_get(&msg, arena, -1);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("message");
  TCase *tc = tcase_create("queue");
  TCase *misuse = tcase_create("misuse");
  SRunner *sr;
  int failed;

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, empty_queue);
  tcase_add_test(tc, type_codes);
  tcase_add_test(tc, disabled_by_default);
  tcase_add_test(tc, gc_message);
  tcase_add_test(tc, gc_start_message);
  tcase_add_test(tc, finalization_message);
  tcase_add_test(tc, queue_order);
  tcase_add_test(tc, clock_monotonic);
  tcase_add_test(tc, disable_flushes_queued);
  tcase_add_test(tc, discard_frees);
  tcase_add_test(tc, destroy_all_frees);
  tcase_add_test(tc, scan_keeps_references);
  suite_add_tcase(s, tc);

  /* Assertions are on in cool and hot (the varieties the tests run). */
  tcase_add_checked_fixture(misuse, setup, teardown);
  tcase_add_test_raise_signal(misuse, why_of_gc_message, SIGABRT);
  tcase_add_test_raise_signal(misuse, live_size_of_gc_start_message, SIGABRT);
  tcase_add_test_raise_signal(misuse, condemned_size_of_final_message, SIGABRT);
  tcase_add_test_raise_signal(misuse, not_condemned_size_of_gc_start_message, SIGABRT);
  tcase_add_test_raise_signal(misuse, ref_of_gc_message, SIGABRT);
  tcase_add_test_raise_signal(misuse, discard_queued_message, SIGABRT);
  tcase_add_test_raise_signal(misuse, discard_twice, SIGABRT);
  tcase_add_test_raise_signal(misuse, enable_bad_type, SIGABRT);
  tcase_add_test_raise_signal(misuse, get_bad_type, SIGABRT);
  suite_add_tcase(s, misuse);

  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
