/* test/gc/thread_test.c -- the stacks and registers of other registered
 * threads are ambiguous roots: an object whose only reference is a local
 * variable of another thread (blocked on a condition variable), or a
 * value held in its registers (spinning), survives a collection that
 * the main thread runs, and is intact afterwards; a registered thread
 * without a root keeps nothing; threads allocate on their own allocation
 * points while others collect.
 * Design: manual/design/trace.rst (the MPS manual: topic/thread.rst,
 * topic/root.rst) */
#include "mps.h"
#include "gcfixture.h"
#include "rng.h"

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

enum { CLASS_HELD = 1, CLASS_NODE = 2, CLASS_VICTIM = 3 };
enum { W_WW, W_HELD, W_NODE, W_VICTIM, NWRAPPERS };

static const GcClass classes[] = {{CLASS_HELD, 2, DYLAN_VAR_WORDS},
                                   {CLASS_NODE, 2, DYLAN_VAR_NONE},
                                   {CLASS_VICTIM, 2, DYLAN_VAR_NONE}};
static GcWorld w;
static mps_addr_t wrappers[NWRAPPERS];

/* A reference hidden from every scanner: its bits inverted. */
#define HIDE(p) (~(mps_word_t)(p))
#define UNHIDE(w) ((mps_addr_t)~(mps_word_t)(w))

static void setup(void)
{
  GcWorldOptions o = {.pools = GC_POOL_AMS, .table = wrappers, .table_len = NWRAPPERS,
                      .classes = classes, .nclasses = 3};
  gc_world_open(&w, &o);
}

static void teardown(void)
{
  gc_world_close(&w);
}

static DylanCensus census(void)
{
  return gc_world_census(&w, w.ams);
}

/* Garbage from the main thread, which has no root: it must die. */
static void make_victims(size_t n)
{
  for (size_t i = 0; i < n; ++i) {
    mps_addr_t obj;
    ck_assert_int_eq(dylan_make(&obj, w.ams_ap, 0, wrappers[W_VICTIM], NULL, 0, NULL),
                     MPS_RES_OK);
  }
}

enum { HOLD_STACK, HOLD_REGISTERS, HOLD_STACK_TAGGED, HOLD_STACK_SCANNED, HOLD_NO_ROOT };
enum { ST_START, ST_READY, ST_RELEASE, ST_DONE };
#define HELD_LEN 8
#define HELD_PAYLOAD 4242

typedef struct Holder {
  int mode;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int state;                  /* guarded by mu; also read atomically */
  mps_word_t hidden;          /* the object, HIDE'd, until the holder takes it */
  bool verified;              /* the holder found its object intact */
  mps_res_t res;              /* first failure inside the thread */
} Holder;

static void set_state(Holder *h, int state)
{
  pthread_mutex_lock(&h->mu);
  __atomic_store_n(&h->state, state, __ATOMIC_SEQ_CST);
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

static void wait_state(Holder *h, int state)
{
  pthread_mutex_lock(&h->mu);
  while (__atomic_load_n(&h->state, __ATOMIC_SEQ_CST) != state)
    pthread_cond_wait(&h->cv, &h->mu);
  pthread_mutex_unlock(&h->mu);
}

/* Allocate the held object and publish it hidden.  Its frame is gone
 * (below the stack pointer, never scanned) when it returns. */
static __attribute__((noinline)) mps_res_t make_hidden(Holder *h, mps_ap_t wap)
{
  mps_addr_t obj;
  mps_word_t fixed[2] = {0, dylan_int(HELD_PAYLOAD)};
  mps_word_t var[HELD_LEN];
  mps_res_t res;
  for (size_t i = 0; i < HELD_LEN; ++i)
    var[i] = dylan_int((long)(i * i));
  res = dylan_make(&obj, wap, 0, wrappers[W_HELD], fixed, HELD_LEN, var);
  if (res == MPS_RES_OK)
    h->hidden = HIDE(obj);
  obj = NULL;
  return res;
}

static bool held_intact(mps_addr_t obj)
{
  if (!dylan_check(obj, 0) || dylan_class_id(obj) != CLASS_HELD
      || *dylan_slot(obj, 1) != dylan_int(HELD_PAYLOAD) || dylan_var_len(obj) != HELD_LEN)
    return false;
  for (size_t i = 0; i < HELD_LEN; ++i)
    if (*dylan_var(obj, i) != dylan_int((long)(i * i)))
      return false;
  return true;
}

static __attribute__((noinline)) void hold_on_stack(Holder *h)
{
  volatile mps_word_t local = (mps_word_t)UNHIDE(h->hidden);
  h->hidden = 0;
  pthread_mutex_lock(&h->mu);
  __atomic_store_n(&h->state, ST_READY, __ATOMIC_SEQ_CST);
  pthread_cond_broadcast(&h->cv);
  while (__atomic_load_n(&h->state, __ATOMIC_SEQ_CST) != ST_RELEASE)
    pthread_cond_wait(&h->cv, &h->mu);
  pthread_mutex_unlock(&h->mu);
  if (h->mode != HOLD_NO_ROOT)
    h->verified = held_intact((mps_addr_t)local);
  local = 0;
}

static __attribute__((noinline)) void hold_in_register(Holder *h)
{
  mps_addr_t p;
  /* Ready first: the main thread then waits for hidden to clear. */
  set_state(h, ST_READY);
  /* The only copy is in a register while the thread spins: the empty asm
   * makes the compiler keep it in one across every iteration. */
  p = UNHIDE(__atomic_load_n(&h->hidden, __ATOMIC_SEQ_CST));
  __atomic_store_n(&h->hidden, 0, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&h->state, __ATOMIC_RELAXED) != ST_RELEASE)
    __asm__ volatile("" : "+r"(p));
  h->verified = held_intact(p);
}

static __attribute__((noinline)) void holder_body(Holder *h, void *cold)
{
  mps_thr_t thr;
  mps_root_t root = NULL;
  mps_ap_t wap;
  mps_res_t res;

  res = mps_thread_reg(&thr, w.arena);
  if (res != MPS_RES_OK)
    goto fail_reg;
  switch (h->mode) {
  case HOLD_STACK:
  case HOLD_REGISTERS:
    res = mps_root_create_thread(&root, w.arena, thr, cold);
    break;
  case HOLD_STACK_TAGGED:
    res = mps_root_create_thread_tagged(&root, w.arena, mps_rank_ambig(), 0, thr,
                                        mps_scan_area_tagged, sizeof(mps_word_t) - 1,
                                        0, cold);
    break;
  case HOLD_STACK_SCANNED:
    res = mps_root_create_thread_scanned(&root, w.arena, mps_rank_ambig(), 0, thr,
                                         mps_scan_area, NULL, cold);
    break;
  default:
    res = MPS_RES_OK;     /* registered, but no root */
    break;
  }
  if (res != MPS_RES_OK)
    goto fail_root;
  res = mps_ap_create_k(&wap, w.ams, mps_args_none);
  if (res != MPS_RES_OK)
    goto fail_ap;
  res = make_hidden(h, wap);
  if (res != MPS_RES_OK)
    goto fail_make;
  if (h->mode == HOLD_REGISTERS)
    hold_in_register(h);
  else
    hold_on_stack(h);
  mps_ap_destroy(wap);
  if (root != NULL)
    mps_root_destroy(root);
  mps_thread_dereg(thr);
  return;

fail_make:
  mps_ap_destroy(wap);
fail_ap:
  if (root != NULL)
    mps_root_destroy(root);
fail_root:
  mps_thread_dereg(thr);
fail_reg:
  h->res = res;
  set_state(h, ST_READY);
}

static void *holder_main(void *arg)
{
  void *cold = &cold;
  holder_body(arg, cold);
  set_state(arg, ST_DONE);
  return NULL;
}

static void hold_case(int mode, size_t expect_held)
{
  Holder h;
  pthread_t tid;
  DylanCensus c;

  memset(&h, 0, sizeof h);
  h.mode = mode;
  h.res = MPS_RES_OK;
  pthread_mutex_init(&h.mu, NULL);
  pthread_cond_init(&h.cv, NULL);
  ck_assert_int_eq(pthread_create(&tid, NULL, holder_main, &h), 0);
  wait_state(&h, ST_READY);
  ck_assert_int_eq(h.res, MPS_RES_OK);
  while (__atomic_load_n(&h.hidden, __ATOMIC_SEQ_CST) != 0)
    sched_yield();                     /* only the holder has it now */
  make_victims(50);
  c = census();
  ck_assert_uint_eq(c.by_class[CLASS_HELD], 1);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], 50);

  mps_arena_collect(w.arena);
  c = census();
  ck_assert_uint_eq(c.by_class[CLASS_HELD], expect_held);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], 0);
  /* A second collection while it still waits. */
  mps_arena_collect(w.arena);
  c = census();
  ck_assert_uint_eq(c.by_class[CLASS_HELD], expect_held);

  set_state(&h, ST_RELEASE);
  ck_assert_int_eq(pthread_join(tid, NULL), 0);
  if (expect_held > 0)
    ck_assert(h.verified);
  /* The thread and its root are gone: so is the object. */
  mps_arena_collect(w.arena);
  c = census();
  ck_assert_uint_eq(c.by_class[CLASS_HELD], 0);
  pthread_cond_destroy(&h.cv);
  pthread_mutex_destroy(&h.mu);
}

START_TEST(other_thread_stack_keeps)
{
  hold_case(HOLD_STACK, 1);
}
END_TEST

START_TEST(other_thread_registers_keep)
{
  hold_case(HOLD_REGISTERS, 1);
}
END_TEST

START_TEST(other_thread_stack_tagged_keeps)
{
  hold_case(HOLD_STACK_TAGGED, 1);
}
END_TEST

START_TEST(other_thread_stack_scanned_keeps)
{
  hold_case(HOLD_STACK_SCANNED, 1);
}
END_TEST

START_TEST(registered_thread_without_root_keeps_nothing)
{
  hold_case(HOLD_NO_ROOT, 0);
}
END_TEST

/* Threads building lists on their own allocation points, holding the
 * heads in locals, while the main thread collects again and again. */
#define NWORKERS 4

typedef struct Builder {
  unsigned index;
  size_t rounds;
  bool failed;
  const char *why;
} Builder;

static volatile int builders_stop;

static bool list_ok(mps_addr_t head, size_t n, long tag)
{
  mps_addr_t obj = head;
  for (size_t i = n; i > 0; --i) {
    if (obj == NULL || !dylan_check(obj, 0) || dylan_class_id(obj) != CLASS_NODE
        || *dylan_slot(obj, 1) != dylan_int(tag + (long)i))
      return false;
    obj = (mps_addr_t)*dylan_slot(obj, 0);
  }
  return obj == NULL;
}

static __attribute__((noinline)) void builder_body(Builder *b, void *cold)
{
  mps_thr_t thr;
  mps_root_t root;
  mps_ap_t wap;
  long tag = (long)b->index << 20;

  if (mps_thread_reg(&thr, w.arena) != MPS_RES_OK) {
    b->failed = true, b->why = "thread_reg";
    return;
  }
  if (mps_root_create_thread(&root, w.arena, thr, cold) != MPS_RES_OK) {
    b->failed = true, b->why = "root";
    mps_thread_dereg(thr);
    return;
  }
  if (mps_ap_create_k(&wap, w.ams, mps_args_none) != MPS_RES_OK) {
    b->failed = true, b->why = "ap";
    goto done;
  }
  while (!__atomic_load_n(&builders_stop, __ATOMIC_RELAXED) || b->rounds < 3) {
    volatile mps_addr_t head = NULL;
    size_t n = 200;
    for (size_t i = 1; i <= n; ++i) {
      mps_word_t fixed[2] = {(mps_word_t)head, dylan_int(tag + (long)i)};
      mps_addr_t obj, junk;
      if (dylan_make(&obj, wap, 0, wrappers[W_NODE], fixed, 0, NULL) != MPS_RES_OK
          || dylan_make(&junk, wap, 0, wrappers[W_VICTIM], NULL, 0, NULL) != MPS_RES_OK) {
        b->failed = true, b->why = "alloc";
        goto done_ap;
      }
      head = obj;
    }
    if (!list_ok(head, n, tag)) {
      b->failed = true, b->why = "list damaged";
      goto done_ap;
    }
    ++b->rounds;
  }
done_ap:
  mps_ap_destroy(wap);
done:
  mps_root_destroy(root);
  mps_thread_dereg(thr);
}

static void *builder_main(void *arg)
{
  void *cold = &cold;
  builder_body(arg, cold);
  return NULL;
}

START_TEST(threads_allocate_while_main_collects)
{
  pthread_t tids[NWORKERS];
  Builder b[NWORKERS];
  mps_word_t before = mps_collections(w.arena);
  unsigned collections = 30 * rng_scale();
  DylanCensus c;

  mps_arena_release(w.arena);
  builders_stop = 0;
  memset(b, 0, sizeof b);
  for (unsigned i = 0; i < NWORKERS; ++i) {
    b[i].index = i + 1;
    ck_assert_int_eq(pthread_create(&tids[i], NULL, builder_main, &b[i]), 0);
  }
  for (unsigned i = 0; i < collections; ++i) {
    mps_arena_collect(w.arena);
    mps_arena_release(w.arena);
  }
  __atomic_store_n(&builders_stop, 1, __ATOMIC_RELAXED);
  for (unsigned i = 0; i < NWORKERS; ++i) {
    ck_assert_int_eq(pthread_join(tids[i], NULL), 0);
    ck_assert_msg(!b[i].failed, "builder %u: %s", i, b[i].why);
    ck_assert_uint_ge(b[i].rounds, 3);
  }
  ck_assert_uint_ge(mps_collections(w.arena), before + collections);
  mps_arena_collect(w.arena);
  c = census();
  ck_assert_uint_eq(c.by_class[CLASS_NODE], 0);
  ck_assert_uint_eq(c.by_class[CLASS_VICTIM], 0);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/thread");
  TCase *tc = fixture_tcase(s, "thread", setup, teardown, 30);

  tcase_add_test(tc, other_thread_stack_keeps);
  tcase_add_test(tc, other_thread_registers_keep);
  tcase_add_test(tc, other_thread_stack_tagged_keeps);
  tcase_add_test(tc, other_thread_stack_scanned_keeps);
  tcase_add_test(tc, registered_thread_without_root_keeps_nothing);
  tcase_add_test(tc, threads_allocate_while_main_collects);
  return fixture_run_suite(s);
}
