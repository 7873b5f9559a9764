/* test/unit/root_test.c -- roots: every kind scanned by roots_scan, ranks,
 * area scanner semantics on tagged words, thread roots of the calling
 * thread and of suspended threads, bad arguments, walking, destruction.
 * Design: manual/design/root.rst
 *
 * The trace engine is not needed: the test makes the arena's Globals
 * itself, marks trace 0 busy, and makes the segments of a pool of its
 * own white, so that scan_fix calls that pool's fix method, which
 * records (and for exact ranks may move) each reference. */
#include "trace/root.h"
#include "pool/mfs.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MiB ((Size)1 << 20)
#define UNIT 64
#define NUNITS 8

static Arena *arena;
static Globals globals;
static PoolClass gc_class;          /* MFS with a recording fix, GC */
static Pool *gc_pool, *manual_pool;
static Addr unit[NUNITS];           /* in gc_pool, white */
static Addr manual_unit;            /* in manual_pool, not GC */

/* What the fix method saw. */
#define SEEN_MAX 64
static Addr seen[SEEN_MAX];
static Rank seen_rank[SEEN_MAX];
static Count seen_count;
static Size move_by;                /* exact fixes move refs by this */
static Res fix_result = RES_OK;     /* what fix returns */

static Res recording_fix(Pool *pool, ScanState *ss, Seg *seg, Addr *ref_io)
{
  ck_assert_ptr_eq(pool, gc_pool);
  ck_assert_ptr_eq(seg_pool(seg), pool);
  if (seen_count < SEEN_MAX) {
    seen[seen_count] = *ref_io;
    seen_rank[seen_count] = ss->rank;
    ++seen_count;
  }
  if (fix_result != RES_OK)
    return fix_result;
  /* the protocol: never change an ambiguous reference */
  if (ss->rank != RANK_AMBIG)
    *ref_io += move_by;
  return RES_OK;
}

static bool saw(Addr ref)
{
  for (Count i = 0; i < seen_count; ++i)
    if (seen[i] == ref)
      return true;
  return false;
}

static void forget(void)
{
  seen_count = 0;
}

static void make_globals(Globals *g, Arena *a)
{
  memset(g, 0, sizeof *g);
  g->arena = a;
  roots_globals_init(g);
  g->sig = SIG_GLOBALS;
  a->globals = g;
}

static Arena *make_arena(void)
{
  Arena *a = NULL;
  Res res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, 16 * MiB);
    res = arena_create(&a, arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, RES_OK);
  return a;
}

static void setup(void)
{
  mps_arg_s args[2];
  Seg *seg;

  arena = make_arena();
  arena_enter(arena);
  make_globals(&globals, arena);
  arena->busy_traces = traceset_single(0);

  gc_class = mfs_class;
  gc_class.name = "ROOTTEST";
  gc_class.super = &mfs_class;
  gc_class.attr |= POOL_ATTR_GC;
  gc_class.fix = recording_fix;
  args[0].key = MPS_KEY_MFS_UNIT_SIZE;
  args[0].val.size = UNIT;
  args[1].key = MPS_KEY_ARGS_END;
  ck_assert_int_eq(pool_create(&gc_pool, arena, &gc_class, args), RES_OK);
  ck_assert_int_eq(pool_create(&manual_pool, arena, &mfs_class, args), RES_OK);
  for (int i = 0; i < NUNITS; ++i) {
    ck_assert_int_eq(pool_alloc(&unit[i], gc_pool, UNIT), RES_OK);
    ck_assert(arena_seg_of_addr(&seg, arena, unit[i]));
    seg_set_white(seg, traceset_single(0));
  }
  ck_assert_int_eq(pool_alloc(&manual_unit, manual_pool, UNIT), RES_OK);
  forget();
  move_by = 0;
  fix_result = RES_OK;
  arena_leave(arena);
}

static void teardown(void)
{
  Seg *seg;

  arena_enter(arena);
  for (int i = 0; i < NUNITS; ++i) {
    ck_assert(arena_seg_of_addr(&seg, arena, unit[i]));
    seg_set_white(seg, TRACESET_EMPTY);
    pool_free(gc_pool, unit[i], UNIT);
  }
  pool_free(manual_pool, manual_unit, UNIT);
  pool_destroy(gc_pool);
  pool_destroy(manual_pool);
  arena->busy_traces = TRACESET_EMPTY;
  roots_globals_finish(&globals);
  arena->globals = NULL;
  arena_leave(arena);
  arena_destroy(arena);
}

/* Scan the roots of one rank with white zones `white`; arena entered. */
static Res scan_rank(Rank rank, RefSet white, ScanState *ss_o)
{
  ScanState ss;
  Res res;

  scan_state_init(&ss, arena, traceset_single(0), rank);
  scan_state_set_white(&ss, white);
  res = roots_scan(&ss, &globals, rank);
  if (ss_o != NULL)
    *ss_o = ss;
  scan_state_finish(&ss);
  return res;
}

static RefSet zones_of(const Word *w, Count n)
{
  RefSet rs = REFSET_EMPTY;
  for (Count i = 0; i < n; ++i)
    rs |= (RefSet)1 << ((w[i] >> arena->zone_shift) & (ZONE_COUNT - 1));
  return rs;
}

/* ---- Areas ---- */

START_TEST(area_root_fixes_references)
{
  Word table[4] = { unit[0], 0x1230, unit[1], 0 };
  Root *root;
  ScanState ss;

  arena_enter(arena);
  ck_assert_int_eq(root_create_area(&root, arena, RANK_EXACT, 0, (Addr)table,
                                    (Addr)(table + 4), mps_scan_area, NULL), RES_OK);
  ck_assert(root_check(root));
  ck_assert_int_eq(scan_rank(RANK_EXACT, REFSET_UNIV, &ss), RES_OK);
  ck_assert_uint_eq(seen_count, 2);
  ck_assert(saw(unit[0]) && saw(unit[1]));
  ck_assert_uint_eq(seen_rank[0], RANK_EXACT);
  /* every word went through scan_fix (white is everything) */
  ck_assert_uint_eq(ss.fix_ref_count, 4);
  ck_assert_uint_eq(ss.scanned_size, sizeof table);
  root_destroy(root);
  arena_leave(arena);
}
END_TEST

/* The inline zone test: with nothing white, no word reaches scan_fix,
 * but each one's zone goes into the unfixed summary. */
START_TEST(zone_test_filters_before_fix)
{
  Word table[3] = { unit[0], (Word)5 << 40, (Word)17 << 30 };
  Root *root;
  ScanState ss;

  arena_enter(arena);
  ck_assert_int_eq(root_create_area(&root, arena, RANK_EXACT, 0, (Addr)table,
                                    (Addr)(table + 3), mps_scan_area, NULL), RES_OK);
  ck_assert_int_eq(scan_rank(RANK_EXACT, REFSET_EMPTY, &ss), RES_OK);
  ck_assert_uint_eq(ss.fix_ref_count, 0);
  ck_assert_uint_eq(seen_count, 0);
  ck_assert_uint_eq(scan_state_unfixed_summary(&ss), zones_of(table, 3));
  /* only the zone of unit[0] white: only it is fixed */
  ck_assert_int_eq(scan_rank(RANK_EXACT, refset_single(arena_zone_of(arena, unit[0])), &ss),
                   RES_OK);
  ck_assert_uint_eq(seen_count, 1);
  ck_assert(saw(unit[0]));
  root_destroy(root);
  arena_leave(arena);
}
END_TEST

START_TEST(ranks_are_scanned_apart)
{
  Word a[1] = { unit[0] }, e[1] = { unit[1] }, w[1] = { unit[2] };
  Root *ra, *re, *rw;

  arena_enter(arena);
  ck_assert_int_eq(root_create_area(&ra, arena, RANK_AMBIG, 0, (Addr)a, (Addr)(a + 1),
                                    mps_scan_area, NULL), RES_OK);
  ck_assert_int_eq(root_create_area(&re, arena, RANK_EXACT, 0, (Addr)e, (Addr)(e + 1),
                                    mps_scan_area, NULL), RES_OK);
  ck_assert_int_eq(root_create_area(&rw, arena, RANK_WEAK, 0, (Addr)w, (Addr)(w + 1),
                                    mps_scan_area, NULL), RES_OK);
  ck_assert_int_eq(scan_rank(RANK_AMBIG, REFSET_UNIV, NULL), RES_OK);
  ck_assert_uint_eq(seen_count, 1);
  ck_assert(saw(unit[0]));
  forget();
  ck_assert_int_eq(scan_rank(RANK_EXACT, REFSET_UNIV, NULL), RES_OK);
  ck_assert_uint_eq(seen_count, 1);
  ck_assert(saw(unit[1]));
  forget();
  ck_assert_int_eq(scan_rank(RANK_FINAL, REFSET_UNIV, NULL), RES_OK);
  ck_assert_uint_eq(seen_count, 0);
  /* weak roots only when the weak rank is asked for */
  ck_assert_int_eq(scan_rank(RANK_WEAK, REFSET_UNIV, NULL), RES_OK);
  ck_assert_uint_eq(seen_count, 1);
  ck_assert(saw(unit[2]));
  ck_assert_uint_eq(seen_rank[0], RANK_WEAK);
  root_destroy(ra);
  root_destroy(re);
  root_destroy(rw);
  arena_leave(arena);
}
END_TEST

START_TEST(masked_clears_and_restores_tags)
{
  Word table[3] = { unit[0] | 3, unit[1], unit[2] | 5 };
  mps_scan_tag_s tag = { .mask = 7, .pattern = 0 };
  Root *root;

  arena_enter(arena);
  ck_assert_int_eq(root_create_area(&root, arena, RANK_EXACT, 0, (Addr)table,
                                    (Addr)(table + 3), mps_scan_area_masked, &tag),
                   RES_OK);
  move_by = 2 * UNIT;
  ck_assert_int_eq(scan_rank(RANK_EXACT, REFSET_UNIV, NULL), RES_OK);
  /* fixed untagged, whatever the tag */
  ck_assert_uint_eq(seen_count, 3);
  ck_assert(saw(unit[0]) && saw(unit[1]) && saw(unit[2]));
  /* moved, and stored back with their tags */
  ck_assert_uint_eq(table[0], (unit[0] + 2 * UNIT) | 3);
  ck_assert_uint_eq(table[1], unit[1] + 2 * UNIT);
  ck_assert_uint_eq(table[2], (unit[2] + 2 * UNIT) | 5);
  root_destroy(root);
  arena_leave(arena);
}
END_TEST

START_TEST(tagged_fixes_only_the_pattern)
{
  Word table[4] = { unit[0] | 1, unit[1], unit[2] | 3, unit[3] | 1 };
  Root *root;

  arena_enter(arena);
  ck_assert_int_eq(root_create_area_tagged(&root, arena, RANK_EXACT, 0, (Addr)table,
                                           (Addr)(table + 4), mps_scan_area_tagged,
                                           7, 1), RES_OK);
  ck_assert_uint_eq(root->the.area.tag.mask, 7);
  ck_assert_ptr_eq(root->the.area.closure, &root->the.area.tag);
  move_by = UNIT;
  ck_assert_int_eq(scan_rank(RANK_EXACT, REFSET_UNIV, NULL), RES_OK);
  ck_assert_uint_eq(seen_count, 2);
  ck_assert(saw(unit[0]) && saw(unit[3]));
  ck_assert_uint_eq(table[0], (unit[0] + UNIT) | 1);
  ck_assert_uint_eq(table[1], unit[1]);          /* tag 0: not a reference */
  ck_assert_uint_eq(table[2], unit[2] | 3);      /* other tag: left alone */
  ck_assert_uint_eq(table[3], (unit[3] + UNIT) | 1);
  root_destroy(root);
  arena_leave(arena);
}
END_TEST

START_TEST(tagged_or_zero_also_fixes_untagged)
{
  Word table[4] = { unit[0] | 1, unit[1], unit[2] | 3, unit[3] | 4 };
  Root *root;

  arena_enter(arena);
  ck_assert_int_eq(root_create_area_tagged(&root, arena, RANK_EXACT, 0, (Addr)table,
                                           (Addr)(table + 4),
                                           mps_scan_area_tagged_or_zero, 7, 1), RES_OK);
  move_by = UNIT;
  ck_assert_int_eq(scan_rank(RANK_EXACT, REFSET_UNIV, NULL), RES_OK);
  ck_assert_uint_eq(seen_count, 2);
  ck_assert(saw(unit[0]) && saw(unit[1]));
  ck_assert_uint_eq(table[0], (unit[0] + UNIT) | 1);
  ck_assert_uint_eq(table[1], unit[1] + UNIT);
  ck_assert_uint_eq(table[2], unit[2] | 3);
  ck_assert_uint_eq(table[3], unit[3] | 4);
  root_destroy(root);
  arena_leave(arena);
}
END_TEST

/* design.root.area.nowrite: a root whose references do not change is
 * not written, so it may be read-only. */
START_TEST(unchanged_root_is_not_written)
{
  long page = sysconf(_SC_PAGESIZE);
  Word *table = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  Root *root;

  ck_assert_ptr_ne(table, MAP_FAILED);
  table[0] = unit[0];
  table[1] = unit[1] | 2;
  ck_assert_int_eq(mprotect(table, (size_t)page, PROT_READ), 0);
  arena_enter(arena);
  ck_assert_int_eq(root_create_area_tagged(&root, arena, RANK_EXACT, MPS_RM_CONST,
                                           (Addr)table, (Addr)(table + 2),
                                           mps_scan_area_masked, 7, 0), RES_OK);
  ck_assert_int_eq(scan_rank(RANK_EXACT, REFSET_UNIV, NULL), RES_OK);
  ck_assert_uint_eq(seen_count, 2);
  root_destroy(root);
  arena_leave(arena);
  munmap(table, (size_t)page);
}
END_TEST

START_TEST(fix_failure_is_the_result)
{
  Word t1[2] = { unit[0], unit[1] }, t2[1] = { unit[2] };
  Root *r1, *r2;

  arena_enter(arena);
  ck_assert_int_eq(root_create_area(&r1, arena, RANK_EXACT, 0, (Addr)t1, (Addr)(t1 + 2),
                                    mps_scan_area, NULL), RES_OK);
  ck_assert_int_eq(root_create_area(&r2, arena, RANK_EXACT, 0, (Addr)t2, (Addr)(t2 + 1),
                                    mps_scan_area, NULL), RES_OK);
  fix_result = RES_MEMORY;
  ck_assert_int_eq(scan_rank(RANK_EXACT, REFSET_UNIV, NULL), RES_MEMORY);
  /* design.root.scan.error: the second root is scanned all the same */
  ck_assert(saw(unit[0]) && saw(unit[2]));
  root_destroy(r1);
  root_destroy(r2);
  arena_leave(arena);
}
END_TEST

/* ---- Client scanners ---- */

static void *fun_p;
static size_t fun_s;
static int fun_calls;
static mps_res_t fun_result;

static mps_res_t root_fun(mps_ss_t ss, void *p, size_t s)
{
  ++fun_calls;
  fun_p = p;
  fun_s = s;
  if (fun_result != MPS_RES_OK)
    return fun_result;
  /* the area p[0..s) through the library's own scanner */
  return mps_scan_area(ss, p, (Word *)p + s, NULL);
}

START_TEST(fun_root_gets_p_and_s)
{
  Word table[2] = { unit[4], unit[5] };
  Word other[1] = { unit[6] };
  Root *root, *later;

  arena_enter(arena);
  ck_assert_int_eq(root_create_fun(&root, arena, RANK_EXACT, 0, root_fun, table, 2),
                   RES_OK);
  ck_assert_int_eq(scan_rank(RANK_EXACT, REFSET_UNIV, NULL), RES_OK);
  ck_assert_int_eq(fun_calls, 1);
  ck_assert_ptr_eq(fun_p, table);
  ck_assert_uint_eq(fun_s, 2);
  ck_assert(saw(unit[4]) && saw(unit[5]));
  /* a scanner's failure is the result, and later roots are still
   * scanned (design.root.scan.error) */
  ck_assert_int_eq(root_create_area(&later, arena, RANK_EXACT, 0, (Addr)other,
                                    (Addr)(other + 1), mps_scan_area, NULL), RES_OK);
  forget();
  fun_result = MPS_RES_FAIL;
  ck_assert_int_eq(scan_rank(RANK_EXACT, REFSET_UNIV, NULL), RES_FAIL);
  ck_assert(saw(unit[6]));
  fun_result = MPS_RES_OK;
  root_destroy(root);
  root_destroy(later);
  arena_leave(arena);
}
END_TEST

static mps_addr_t fmt_base, fmt_limit;

static mps_res_t fmt_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  fmt_base = base;
  fmt_limit = limit;
  return mps_scan_area(ss, base, limit, NULL);
}

START_TEST(fmt_root_scans_the_block)
{
  Word block[3] = { unit[0], 7, unit[2] };
  Root *root;

  arena_enter(arena);
  ck_assert_int_eq(root_create_fmt(&root, arena, RANK_AMBIG, 0, fmt_scan, (Addr)block,
                                   (Addr)(block + 3)), RES_OK);
  ck_assert_int_eq(scan_rank(RANK_AMBIG, REFSET_UNIV, NULL), RES_OK);
  ck_assert_ptr_eq(fmt_base, block);
  ck_assert_ptr_eq(fmt_limit, block + 3);
  ck_assert_uint_eq(seen_count, 2);
  ck_assert(saw(unit[0]) && saw(unit[2]));
  root_destroy(root);
  arena_leave(arena);
}
END_TEST

/* ---- Thread roots ---- */

static __attribute__((noinline)) Word opaque(Word w)
{
  __asm__ __volatile__("" : "+r"(w));
  return w;
}

/* A local below the cold end holds unit[3]; an interior pointer to
 * unit[5] is misaligned by 1 (ignored by the word-aligned scan) and one
 * to unit[6] is aligned (fixed: ambiguous references may be interior). */
static __attribute__((noinline)) void scan_own_stack(void)
{
  volatile Word local = opaque(unit[3]);
  volatile Word odd = opaque(unit[5] + 1);
  volatile Word inner = opaque(unit[6] + 8);

  ck_assert_int_eq(scan_rank(RANK_AMBIG, REFSET_UNIV, NULL), RES_OK);
  ck_assert(saw(unit[3]));
  ck_assert(!saw(unit[5] + 1));
  ck_assert(saw(unit[6] + 8));
  for (Count i = 0; i < seen_count; ++i)
    ck_assert_uint_eq(seen_rank[i], RANK_AMBIG);
  ck_assert_uint_eq(local, unit[3]);
  ck_assert_uint_eq(odd, unit[5] + 1);
  ck_assert_uint_eq(inner, unit[6] + 8);
}

START_TEST(thread_root_of_calling_thread)
{
  Thread *thr;
  Root *root;

  arena_enter(arena);
  ck_assert_int_eq(roots_thread_reg(&thr, &globals), RES_OK);
  ck_assert_uint_eq(ring_length(&globals.thread_ring), 1);
  ck_assert_int_eq(root_create_thread_tagged(&root, arena, RANK_AMBIG, 0, thr,
                                             mps_scan_area_tagged, sizeof(Word) - 1, 0,
                                             (Addr)__builtin_frame_address(0)), RES_OK);
  ck_assert(root_check(root));
  /* the calling thread is not suspended: its live stack is scanned */
  roots_threads_suspend(&globals);
  ck_assert(!thr->suspended);
  scan_own_stack();
  roots_threads_resume(&globals);
  root_destroy(root);
  roots_thread_dereg(thr);
  ck_assert(ring_is_empty(&globals.thread_ring));
  arena_leave(arena);
}
END_TEST

/* Another thread, with a local holding unit[7], waits in a blocking
 * call while the test suspends it and scans its root. */
typedef struct Mutator {
  pthread_t pthread;
  Thread *thr;
  Root *root;
  int pipe_fd[2];
  _Atomic int ready;
  mps_area_scan_t scan;
  void *closure;
} Mutator;

static __attribute__((noinline)) void mutator_wait(Mutator *m)
{
  volatile Word local = opaque(unit[7]);
  char c;
  atomic_store(&m->ready, 1);
  ck_assert_int_eq(read(m->pipe_fd[0], &c, 1), 1);
  ck_assert_uint_eq(local, unit[7]);
}

static void *mutator_main(void *arg)
{
  Mutator *m = arg;

  arena_enter(arena);
  ck_assert_int_eq(roots_thread_reg(&m->thr, &globals), RES_OK);
  ck_assert_int_eq(root_create_thread(&m->root, arena, RANK_AMBIG, 0, m->thr, m->scan,
                                      m->closure, (Addr)__builtin_frame_address(0)),
                   RES_OK);
  arena_leave(arena);
  mutator_wait(m);
  arena_enter(arena);
  root_destroy(m->root);
  roots_thread_dereg(m->thr);
  arena_leave(arena);
  return NULL;
}

static void mutator_start(Mutator *m, mps_area_scan_t scan, void *closure)
{
  memset(m, 0, sizeof *m);
  m->scan = scan;
  m->closure = closure;
  ck_assert_int_eq(pipe(m->pipe_fd), 0);
  ck_assert_int_eq(pthread_create(&m->pthread, NULL, mutator_main, m), 0);
  while (!atomic_load(&m->ready)) {
    struct timespec ts = { 0, 1000000 };
    nanosleep(&ts, NULL);
  }
}

static void mutator_stop(Mutator *m)
{
  char c = 'q';
  ck_assert_int_eq(write(m->pipe_fd[1], &c, 1), 1);
  ck_assert_int_eq(pthread_join(m->pthread, NULL), 0);
  close(m->pipe_fd[0]);
  close(m->pipe_fd[1]);
}

START_TEST(thread_root_of_suspended_thread)
{
  Mutator m;

  mutator_start(&m, mps_scan_area, NULL);
  arena_enter(arena);
  roots_threads_suspend(&globals);
  ck_assert(m.thr->suspended);
  ck_assert_int_eq(scan_rank(RANK_AMBIG, REFSET_UNIV, NULL), RES_OK);
  ck_assert(saw(unit[7]));
  roots_threads_resume(&globals);
  ck_assert(!m.thr->suspended);
  arena_leave(arena);
  mutator_stop(&m);
}
END_TEST

/* mps_root_create_thread_scanned: the closure reaches the scanner. */
static void *scanner_closure_seen;
static int scanner_areas;

static mps_res_t counting_scanner(mps_ss_t ss, void *base, void *limit, void *closure)
{
  scanner_closure_seen = closure;
  ++scanner_areas;
  return mps_scan_area(ss, base, limit, NULL);
}

START_TEST(thread_scanned_passes_closure)
{
  Mutator m;
  int token;

  mutator_start(&m, counting_scanner, &token);
  arena_enter(arena);
  roots_threads_suspend(&globals);
  ck_assert_int_eq(scan_rank(RANK_AMBIG, REFSET_UNIV, NULL), RES_OK);
  ck_assert_ptr_eq(scanner_closure_seen, &token);
  ck_assert_int_eq(scanner_areas, 2);    /* registers, then stack */
  ck_assert(saw(unit[7]));
  roots_threads_resume(&globals);
  arena_leave(arena);
  mutator_stop(&m);
}
END_TEST

/* design.root.thread.dereg: a root whose thread has gone scans nothing. */
START_TEST(root_of_deregistered_thread_scans_nothing)
{
  Thread *thr;
  Root *root;

  arena_enter(arena);
  ck_assert_int_eq(roots_thread_reg(&thr, &globals), RES_OK);
  ck_assert_int_eq(root_create_thread(&root, arena, RANK_AMBIG, 0, thr, counting_scanner,
                                      NULL, (Addr)__builtin_frame_address(0)), RES_OK);
  roots_thread_dereg(thr);
  ck_assert_ptr_null(root->the.thread.thread);
  scanner_areas = 0;
  ck_assert_int_eq(scan_rank(RANK_AMBIG, REFSET_UNIV, NULL), RES_OK);
  ck_assert_int_eq(scanner_areas, 0);
  root_destroy(root);
  arena_leave(arena);
}
END_TEST

/* ---- The interface ---- */

static mps_res_t my_reg_scan(mps_ss_t ss, mps_thr_t thr, void *p, size_t s)
{
  ck_assert_uint_eq(s, 99);
  return mps_stack_scan_ambig(ss, thr, p, s);
}

static __attribute__((noinline)) void scan_stack_for(Word value)
{
  volatile Word local = opaque(value);
  arena_enter(arena);
  ck_assert_int_eq(scan_rank(RANK_AMBIG, REFSET_UNIV, NULL), RES_OK);
  arena_leave(arena);
  ck_assert(saw(value));
  ck_assert_uint_eq(local, value);
}

START_TEST(interface_creates_every_kind)
{
  mps_thr_t thr;
  mps_root_t r[10];
  Word table[2] = { unit[0], unit[1] | 2 };
  Word area[1] = { unit[2] };
  Word area2[1] = { unit[3] | 1 };
  void *cold = __builtin_frame_address(0);
  size_t in_use;
  int n = 0;

  ck_assert_int_eq(mps_thread_reg(&thr, arena), MPS_RES_OK);
  ck_assert_uint_eq(ring_length(&globals.thread_ring), 1);
  in_use = arena->control_in_use;
  ck_assert_int_eq(mps_root_create(&r[n++], arena, mps_rank_exact(), 0, root_fun, table, 1),
                   MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_fmt(&r[n++], arena, mps_rank_ambig(), 0, fmt_scan,
                                       table, table + 2), MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_area(&r[n++], arena, mps_rank_exact(), MPS_RM_PROT,
                                        area, area + 1, mps_scan_area, NULL), MPS_RES_OK);
  ck_assert(r[n - 1]->protectable);
  ck_assert_int_eq(mps_root_create_area_tagged(&r[n++], arena, mps_rank_weak(), 0,
                                               area2, area2 + 1, mps_scan_area_tagged,
                                               3, 1), MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_table(&r[n++], arena, mps_rank_ambig(), 0,
                                         (mps_addr_t *)(void *)table, 2), MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_table_masked(&r[n++], arena, mps_rank_exact(), 0,
                                                (mps_addr_t *)(void *)table, 2, 3),
                   MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_thread(&r[n++], arena, thr, cold), MPS_RES_OK);
  ck_assert_int_eq(r[n - 1]->rank, RANK_AMBIG);
  ck_assert_uint_eq(r[n - 1]->the.thread.tag.mask, sizeof(mps_word_t) - 1);
  ck_assert_uint_eq(r[n - 1]->the.thread.tag.pattern, 0);
  ck_assert_ptr_eq(r[n - 1]->the.thread.scan, mps_scan_area_tagged);
  ck_assert_int_eq(mps_root_create_thread_scanned(&r[n++], arena, mps_rank_ambig(), 0,
                                                  thr, mps_scan_area, NULL, cold),
                   MPS_RES_OK);
  /* _reg with mps_stack_scan_ambig is the word-aligned thread root */
  ck_assert_int_eq(mps_root_create_reg(&r[n++], arena, mps_rank_ambig(), 0, thr,
                                       mps_stack_scan_ambig, cold, 0), MPS_RES_OK);
  ck_assert_int_eq(r[n - 1]->var, ROOT_THREAD);
  ck_assert_int_eq(mps_root_create_reg(&r[n++], arena, mps_rank_ambig(), 0, thr,
                                       my_reg_scan, cold, 99), MPS_RES_OK);
  ck_assert_int_eq(r[n - 1]->var, ROOT_REG);
  ck_assert_uint_eq(ring_length(&globals.root_ring), (Count)n);
  for (int i = 0; i < n; ++i)
    ck_assert(root_check(r[i]));

  /* masked table (pattern 0, as the manual has it): only unit[0] */
  arena_enter(arena);
  forget();
  ck_assert_int_eq(scan_rank(RANK_EXACT, REFSET_UNIV, NULL), RES_OK);
  ck_assert(saw(unit[0]));            /* the fun root and the masked table */
  ck_assert(!saw(unit[1]));           /* tag 2 is not pattern 0 */
  ck_assert(saw(unit[2]));            /* the area root */
  forget();
  ck_assert_int_eq(scan_rank(RANK_WEAK, REFSET_UNIV, NULL), RES_OK);
  ck_assert_uint_eq(seen_count, 1);
  ck_assert(saw(unit[3]));            /* untagged */
  forget();
  arena_leave(arena);
  /* the thread roots (four of them, the custom register scanner too) see
   * a local of this thread */
  scan_stack_for(unit[4]);

  for (int i = 0; i < n; ++i)
    mps_root_destroy(r[i]);
  ck_assert(ring_is_empty(&globals.root_ring));
  ck_assert_uint_eq(arena->control_in_use, in_use);
  mps_thread_dereg(thr);
  ck_assert(ring_is_empty(&globals.thread_ring));
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
  static char sentinel;
  static Word not_stack[1];
  mps_root_t root = (mps_root_t)(void *)&sentinel;   /* must stay unchanged */
  mps_root_t const before = root;
  mps_thr_t thr, other_thr;
  Word table[2] = { 0, 0 };
  char *bytes = (char *)table;
  void *cold = __builtin_frame_address(0);
  Arena *other = make_arena();
  Globals other_globals;
  size_t in_use = arena->control_in_use;

  ck_assert_int_eq(mps_thread_reg(&thr, arena), MPS_RES_OK);
  in_use = arena->control_in_use;
  /* ranks: RANK_FINAL is not a public rank */
  ck_assert_int_eq(mps_root_create_area(&root, arena, RANK_FINAL, 0, table, table + 2,
                                        mps_scan_area, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create(&root, arena, 99, 0, root_fun, NULL, 0), MPS_RES_PARAM);
  /* modes */
  ck_assert_int_eq(mps_root_create_area(&root, arena, mps_rank_exact(), 8, table,
                                        table + 2, mps_scan_area, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_area(&root, arena, mps_rank_exact(), MPS_RM_PROT_INNER,
                                        table, table + 2, mps_scan_area, NULL),
                   MPS_RES_PARAM);
  /* areas */
  ck_assert_int_eq(mps_root_create_area(&root, arena, mps_rank_exact(), 0, table + 2,
                                        table, mps_scan_area, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_area(&root, arena, mps_rank_exact(), 0, bytes + 1,
                                        table + 2, mps_scan_area, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_area(&root, arena, mps_rank_exact(), 0, table,
                                        bytes + 12, mps_scan_area, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_area(&root, arena, mps_rank_exact(), 0, NULL, NULL,
                                        mps_scan_area, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_area(&root, arena, mps_rank_exact(), 0, table,
                                        table + 2, NULL, NULL), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_area_tagged(&root, arena, mps_rank_exact(), 0, table,
                                               table + 2, mps_scan_area_tagged, 7, 8),
                   MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_table(&root, arena, mps_rank_exact(), 0,
                                         (mps_addr_t *)(void *)table, SIZE_MAX / 4),
                   MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_fmt(&root, arena, mps_rank_exact(), 0, fmt_scan,
                                       table + 1, table), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create(&root, arena, mps_rank_exact(), 0, NULL, NULL, 0),
                   MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create(NULL, arena, mps_rank_exact(), 0, root_fun, NULL, 0),
                   MPS_RES_PARAM);
  /* threads: exact or weak rank, no thread, no cold end, a cold end off
   * its stack, a thread of another arena */
  ck_assert_int_eq(mps_root_create_thread_tagged(&root, arena, mps_rank_exact(), 0, thr,
                                                 mps_scan_area_tagged, 7, 0, cold),
                   MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_thread_scanned(&root, arena, mps_rank_weak(), 0, thr,
                                                  mps_scan_area, NULL, cold),
                   MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_thread(&root, arena, NULL, cold), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_thread(&root, arena, thr, NULL), MPS_RES_PARAM);
  if (thr->stack_hi != 0)   /* the stack's bounds are known */
    ck_assert_int_eq(mps_root_create_thread(&root, arena, thr, not_stack), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_reg(&root, arena, mps_rank_exact(), 0, thr,
                                       mps_stack_scan_ambig, cold, 0), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_reg(&root, arena, mps_rank_exact(), 0, thr,
                                       my_reg_scan, cold, 0), MPS_RES_PARAM);
  make_globals(&other_globals, other);
  ck_assert_int_eq(mps_thread_reg(&other_thr, other), MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_thread(&root, arena, other_thr, cold), MPS_RES_PARAM);
  ck_assert_int_eq(mps_root_create_reg(&root, arena, mps_rank_ambig(), 0, other_thr,
                                       my_reg_scan, cold, 0), MPS_RES_PARAM);
  mps_thread_dereg(other_thr);
  arena_enter(other);
  roots_globals_finish(&other_globals);
  other->globals = NULL;
  arena_leave(other);
  arena_destroy(other);
  ck_assert_int_eq(mps_thread_reg(NULL, arena), MPS_RES_PARAM);

  ck_assert_ptr_eq(root, before);
  ck_assert(ring_is_empty(&globals.root_ring));
  ck_assert_uint_eq(arena->control_in_use, in_use);
  mps_thread_dereg(thr);
}
END_TEST

/* ---- Walking ---- */

#define WALK_MAX 256
typedef struct WalkSeen {
  Count calls;
  Addr refs[WALK_MAX];
  mps_root_t roots[WALK_MAX];
  void *p;
  size_t s;
} WalkSeen;

static WalkSeen walk_seen;

static void stepper(mps_addr_t *ref, mps_root_t root, void *p, size_t s)
{
  if (walk_seen.calls < WALK_MAX) {
    walk_seen.refs[walk_seen.calls] = (Addr)*ref;
    walk_seen.roots[walk_seen.calls] = root;
  }
  ++walk_seen.calls;
  walk_seen.p = p;
  walk_seen.s = s;
}

static bool walk_saw(Addr ref, mps_root_t root)
{
  for (Count i = 0; i < walk_seen.calls && i < WALK_MAX; ++i)
    if (walk_seen.refs[i] == ref && walk_seen.roots[i] == root)
      return true;
  return false;
}

static __attribute__((noinline)) void walk_with_local(mps_root_t thread_root)
{
  volatile Word local = opaque(unit[6]);
  mps_arena_roots_walk(arena, stepper, &walk_seen, 5);
  ck_assert(walk_saw(unit[6], thread_root));
  ck_assert_uint_eq(local, unit[6]);
}

START_TEST(walk_visits_references_into_gc_pools)
{
  mps_root_t exact, ambig, tagged, fun, thread_root;
  mps_thr_t thr;
  Word table[4] = { unit[0], manual_unit, 0x100, unit[1] };
  Word amb[1] = { unit[2] + 8 };
  Word tags[3] = { unit[3] | 1, unit[4] | 2, unit[5] };

  memset(&walk_seen, 0, sizeof walk_seen);
  ck_assert_int_eq(mps_root_create_table(&exact, arena, mps_rank_exact(), 0,
                                         (mps_addr_t *)(void *)table, 4), MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_area(&ambig, arena, mps_rank_ambig(), 0, amb, amb + 1,
                                        mps_scan_area, NULL), MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_area_tagged(&tagged, arena, mps_rank_exact(), 0, tags,
                                               tags + 3, mps_scan_area_tagged, 3, 1),
                   MPS_RES_OK);
  ck_assert_int_eq(mps_root_create(&fun, arena, mps_rank_exact(), 0, root_fun, table, 4),
                   MPS_RES_OK);
  ck_assert_int_eq(mps_thread_reg(&thr, arena), MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_thread(&thread_root, arena, thr,
                                          __builtin_frame_address(0)), MPS_RES_OK);
  walk_with_local(thread_root);
  ck_assert_ptr_eq(walk_seen.p, &walk_seen);
  ck_assert_uint_eq(walk_seen.s, 5);
  /* the exact table: only the references into the GC pool */
  ck_assert(walk_saw(unit[0], exact) && walk_saw(unit[1], exact));
  ck_assert(!walk_saw(manual_unit, exact));
  ck_assert(walk_saw(unit[2] + 8, ambig));      /* interior, ambiguous */
  ck_assert(walk_saw(unit[3], tagged));         /* untagged for the stepper */
  ck_assert(!walk_saw(unit[4], tagged) && !walk_saw(unit[5], tagged));
  mps_root_destroy(exact);
  mps_root_destroy(ambig);
  mps_root_destroy(tagged);
  mps_root_destroy(fun);
  mps_root_destroy(thread_root);
  mps_thread_dereg(thr);
}
END_TEST

/* ---- Assertions ---- */

#if CONFIG_ASSERT
START_TEST(arena_with_roots_asserts_at_finish)
{
  Word table[1] = { 0 };
  Root *root;
  arena_enter(arena);
  ck_assert_int_eq(root_create_area(&root, arena, RANK_EXACT, 0, (Addr)table,
                                    (Addr)(table + 1), mps_scan_area, NULL), RES_OK);
  roots_globals_finish(&globals);
}
END_TEST

START_TEST(scan_with_wrong_rank_asserts)
{
  ScanState ss;
  Res res;
  arena_enter(arena);
  scan_state_init(&ss, arena, traceset_single(0), RANK_AMBIG);
  res = roots_scan(&ss, &globals, RANK_EXACT);
  UNUSED(res);
}
END_TEST

START_TEST(destroy_twice_asserts)
{
  Word table[1] = { 0 };
  mps_root_t root;
  ck_assert_int_eq(mps_root_create_table(&root, arena, mps_rank_exact(), 0,
                                         (mps_addr_t *)(void *)table, 1), MPS_RES_OK);
  mps_root_destroy(root);
  mps_root_destroy(root);
}
END_TEST
#endif /* CONFIG_ASSERT */

int main(void)
{
  Suite *s = suite_create("root");
  TCase *tc = tcase_create("core");
  SRunner *sr;
  int failed;

  tcase_set_timeout(tc, 20);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, area_root_fixes_references);
  tcase_add_test(tc, zone_test_filters_before_fix);
  tcase_add_test(tc, ranks_are_scanned_apart);
  tcase_add_test(tc, masked_clears_and_restores_tags);
  tcase_add_test(tc, tagged_fixes_only_the_pattern);
  tcase_add_test(tc, tagged_or_zero_also_fixes_untagged);
  tcase_add_test(tc, unchanged_root_is_not_written);
  tcase_add_test(tc, fix_failure_is_the_result);
  tcase_add_test(tc, fun_root_gets_p_and_s);
  tcase_add_test(tc, fmt_root_scans_the_block);
  tcase_add_test(tc, thread_root_of_calling_thread);
  tcase_add_test(tc, thread_root_of_suspended_thread);
  tcase_add_test(tc, thread_scanned_passes_closure);
  tcase_add_test(tc, root_of_deregistered_thread_scans_nothing);
  tcase_add_test(tc, interface_creates_every_kind);
  tcase_add_test(tc, bad_arguments_are_refused);
  tcase_add_test(tc, walk_visits_references_into_gc_pools);
#if CONFIG_ASSERT
  tcase_add_test_raise_signal(tc, arena_with_roots_asserts_at_finish, SIGABRT);
  tcase_add_test_raise_signal(tc, scan_with_wrong_rank_asserts, SIGABRT);
  tcase_add_test_raise_signal(tc, destroy_twice_asserts, SIGABRT);
#endif
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
