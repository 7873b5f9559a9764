/* test/unit/ld_test.c -- location dependencies (the epoch, the history
 * of moved zones, the prehistory; reset, add, merge, isstale) against a
 * model that logs every move; allocation patterns (nesting, matching,
 * reset, the ramp_collect_all request); the public functions on a real
 * arena.
 * Design: manual/design/ld.rst */
#include "trace/ld.h"
#include "trace/pattern.h"
#include "trace/trace.h"
#include "mpsavm.h"
#include "mpscams.h"
#include "mpscmvff.h"
#include "dylan.h"
#include "rng.h"

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define N LD_HISTORY_LENGTH
#define SHIFT 20u                       /* the zone shift of these tests */

static Addr addr_in_zone(unsigned zone, Word offset)
{
  /* any stripe of the zone: add multiples of the 64-stripe period */
  return ((Addr)zone << SHIFT) + ((Addr)(offset % 7u) << (SHIFT + 6u))
         + (offset & (((Addr)1 << SHIFT) - 1u));
}

static RefSet zones2(unsigned a, unsigned b) { return refset_single(a) | refset_single(b); }

/* ---- The history ---- */

START_TEST(init_is_epoch_zero)
{
  LdGlobals ldg;
  ld_globals_init(&ldg);
  ck_assert(ld_globals_check(&ldg));
  ck_assert_uint_eq(ld_globals_epoch(&ldg), 0);
  ck_assert_uint_eq(ld_globals_moved_since(&ldg, 0), REFSET_EMPTY);
  ld_globals_finish(&ldg);
}
END_TEST

START_TEST(moves_advance_epoch)
{
  LdGlobals ldg;
  ld_globals_init(&ldg);
  ld_globals_moved(&ldg, refset_single(3));
  ck_assert_uint_eq(ld_globals_epoch(&ldg), 1);
  ld_globals_moved(&ldg, REFSET_EMPTY);      /* nothing moved: no epoch */
  ck_assert_uint_eq(ld_globals_epoch(&ldg), 1);
  ld_globals_moved(&ldg, zones2(5, 63));
  ck_assert_uint_eq(ld_globals_epoch(&ldg), 2);
  ck_assert_uint_eq(ld_globals_moved_since(&ldg, 0), zones2(3, 5) | refset_single(63));
  ck_assert_uint_eq(ld_globals_moved_since(&ldg, 1), zones2(5, 63));
  ck_assert_uint_eq(ld_globals_moved_since(&ldg, 2), REFSET_EMPTY);
  /* an epoch that is not yet: answered safely */
  ck_assert_uint_eq(ld_globals_moved_since(&ldg, 3), REFSET_UNIV);
  ck_assert(ld_globals_check(&ldg));
}
END_TEST

START_TEST(reset_is_fresh)
{
  LdGlobals ldg;
  mps_ld_s ld;
  ld_globals_init(&ldg);
  ld_globals_moved(&ldg, REFSET_UNIV);
  ld_reset(&ld, &ldg);
  ck_assert_uint_eq(ld._epoch, 1);
  ck_assert_uint_eq(ld._rs, 0);
  ck_assert(!ld_is_stale(&ld, &ldg));
  /* with nothing added, no move makes it stale */
  ld_globals_moved(&ldg, REFSET_UNIV);
  ck_assert(!ld_is_stale(&ld, &ldg));
}
END_TEST

START_TEST(add_zones)
{
  mps_ld_s ld = {0, 0};
  ld_add(&ld, SHIFT, addr_in_zone(0, 12345));
  ld_add(&ld, SHIFT, addr_in_zone(0, 99));
  ck_assert_uint_eq(ld._rs, 1u);
  ld_add(&ld, SHIFT, addr_in_zone(63, 7));
  ck_assert_uint_eq(ld._rs, ld_word_of_refset(zones2(0, 63)));
  /* zones are stripes: 64 stripes further is the same zone */
  ld_add(&ld, SHIFT, ((Addr)64 + 17) << SHIFT);
  ck_assert_uint_eq(ld._rs, ld_word_of_refset(zones2(0, 63) | refset_single(17)));
  ck_assert_uint_eq(ld._epoch, 0);   /* add leaves the epoch alone */
}
END_TEST

START_TEST(stale_iff_zone_moved)
{
  LdGlobals ldg;
  mps_ld_s ld;
  ld_globals_init(&ldg);
  ld_reset(&ld, &ldg);
  ld_add(&ld, SHIFT, addr_in_zone(10, 1));
  ld_add(&ld, SHIFT, addr_in_zone(20, 2));
  ck_assert(!ld_is_stale(&ld, &ldg));
  /* few false stale: moves elsewhere leave it fresh */
  ld_globals_moved(&ldg, zones2(11, 19));
  ld_globals_moved(&ldg, refset_single(0));
  ck_assert(!ld_is_stale(&ld, &ldg));
  /* no false fresh: a move in one of its zones makes it stale... */
  ld_globals_moved(&ldg, zones2(20, 40));
  ck_assert(ld_is_stale(&ld, &ldg));
  /* ...and it stays stale through later epochs */
  ld_globals_moved(&ldg, refset_single(1));
  ck_assert(ld_is_stale(&ld, &ldg));
  /* until reset */
  ld_reset(&ld, &ldg);
  ck_assert(!ld_is_stale(&ld, &ldg));
  ld_add(&ld, SHIFT, addr_in_zone(20, 3));
  ck_assert(!ld_is_stale(&ld, &ldg));
  ld_globals_moved(&ldg, refset_single(20));
  ck_assert(ld_is_stale(&ld, &ldg));
}
END_TEST

/* design.ld.prehistory: exact for N epochs, then everything ever moved. */
START_TEST(window_then_prehistory)
{
  LdGlobals ldg;
  mps_ld_s a, c;
  ld_globals_init(&ldg);
  ld_globals_moved(&ldg, refset_single(7));   /* epoch 0: zone 7 */
  ld_reset(&a, &ldg);                         /* epoch 1 */
  ld_add(&a, SHIFT, addr_in_zone(7, 0));
  ld_reset(&c, &ldg);
  ld_add(&c, SHIFT, addr_in_zone(9, 0));      /* zone 9 never moves */
  for (Word k = 1; k <= N; ++k) {
    ld_globals_moved(&ldg, refset_single(8));
    /* within the window: the move of zone 7 before the reset does not count */
    ck_assert_msg(!ld_is_stale(&a, &ldg), "stale %u epochs after reset", (unsigned)k);
    ck_assert(!ld_is_stale(&c, &ldg));
  }
  ck_assert_uint_eq(ld_globals_epoch(&ldg) - a._epoch, N);
  /* one epoch more: judged against the prehistory, which holds zone 7 */
  ld_globals_moved(&ldg, refset_single(8));
  ck_assert(ld_is_stale(&a, &ldg));
  ck_assert(!ld_is_stale(&c, &ldg));
  for (unsigned k = 0; k < 3 * N; ++k)
    ld_globals_moved(&ldg, refset_single(k % 2 ? 8 : 30));
  ck_assert(!ld_is_stale(&c, &ldg));
  ck_assert(ld_globals_check(&ldg));
}
END_TEST

START_TEST(merge_takes_older_epoch_and_union)
{
  LdGlobals ldg;
  mps_ld_s a, b, e;
  ld_globals_init(&ldg);
  ld_reset(&a, &ldg);                    /* epoch 0 */
  ld_add(&a, SHIFT, addr_in_zone(4, 0));
  ld_globals_moved(&ldg, refset_single(4));
  ld_reset(&b, &ldg);                    /* epoch 1 */
  ld_add(&b, SHIFT, addr_in_zone(5, 0));
  ck_assert(ld_is_stale(&a, &ldg));
  ck_assert(!ld_is_stale(&b, &ldg));
  ld_merge(&b, &a);
  ck_assert_uint_eq(b._epoch, 0);
  ck_assert_uint_eq(b._rs, ld_word_of_refset(zones2(4, 5)));
  ck_assert(ld_is_stale(&b, &ldg));
  /* merging a newer, empty dependency changes nothing */
  ld_reset(&e, &ldg);
  ld_merge(&b, &e);
  ck_assert_uint_eq(b._epoch, 0);
  ck_assert_uint_eq(b._rs, ld_word_of_refset(zones2(4, 5)));
  /* merging an older one into a newer one takes its epoch: a dependency
   * on zone 6 taken at epoch 1 goes stale with a move of zone 4 made
   * after a's reset */
  ld_reset(&e, &ldg);
  ld_add(&e, SHIFT, addr_in_zone(6, 0));
  ck_assert(!ld_is_stale(&e, &ldg));
  ld_merge(&e, &a);
  ck_assert(ld_is_stale(&e, &ldg));
}
END_TEST

/* design.ld.seqlock: a reader that meets an update in progress answers
 * "stale" and a reset takes the epoch before the update. */
START_TEST(update_in_progress_is_safe)
{
  LdGlobals ldg;
  mps_ld_s ld, fresh;
  Word seq;
  ld_globals_init(&ldg);
  ld_globals_moved(&ldg, refset_single(1));
  ld_reset(&ld, &ldg);
  ld_add(&ld, SHIFT, addr_in_zone(2, 0));
  seq = atomic_load(&ldg.seq);
  atomic_store(&ldg.seq, seq + 1);            /* as in the middle of ld_globals_moved */
  ck_assert_uint_eq(ld_globals_moved_since(&ldg, 1), REFSET_UNIV);
  ck_assert(ld_is_stale(&ld, &ldg));
  ld_reset(&fresh, &ldg);
  ck_assert_uint_eq(fresh._epoch, 1);
  ck_assert(!ld_is_stale(&fresh, &ldg));      /* nothing added */
  atomic_store(&ldg.seq, seq);
  ck_assert(!ld_is_stale(&ld, &ldg));
}
END_TEST

/* Random moves, adds, resets and merges against a model that logs every
 * epoch's moves: never fresh when a zone of the dependency moved since
 * its epoch; exact within the window; beyond it, stale exactly when a
 * zone of it ever moved. */
#define MODEL_LDS 8
#define MODEL_STEPS 20000

typedef struct ModelLd {
  mps_ld_s ld;
  Word epoch;
  RefSet zones;
  RefSet moved;            /* zones moved in epochs since `epoch` */
} ModelLd;

START_TEST(random_against_model)
{
  LdGlobals ldg;
  ModelLd m[MODEL_LDS];
  Rng rng;
  Word now = 0;
  RefSet ever = REFSET_EMPTY;   /* zones moved in any epoch */
  unsigned stale_seen = 0, fresh_seen = 0, beyond_seen = 0;

  rng_init(&rng, rng_seed_from_env("ld_test random_against_model"));
  ld_globals_init(&ldg);
  for (unsigned i = 0; i < MODEL_LDS; ++i) {
    ld_reset(&m[i].ld, &ldg);
    m[i].epoch = 0;
    m[i].zones = REFSET_EMPTY;
    m[i].moved = REFSET_EMPTY;
  }
  for (unsigned step = 0; step < MODEL_STEPS; ++step) {
    unsigned i = (unsigned)rng_below(&rng, MODEL_LDS);
    uint64_t op = rng_below(&rng, 100);
    if (op < 25) {                /* a flip moving 0 to 3 zones of 16 */
      RefSet moved = REFSET_EMPTY;
      unsigned count = (unsigned)rng_below(&rng, 4);
      for (unsigned k = 0; k < count; ++k)
        moved |= refset_single((unsigned)rng_below(&rng, 16));
      ld_globals_moved(&ldg, moved);
      if (moved != REFSET_EMPTY) {
        ++now;
        ever |= moved;
        for (unsigned k = 0; k < MODEL_LDS; ++k)
          m[k].moved |= moved;
      }
      ck_assert_uint_eq(ld_globals_epoch(&ldg), now);
    } else if (op < 80) {         /* add an address in one of 24 zones */
      unsigned zone = (unsigned)rng_below(&rng, 24);
      ld_add(&m[i].ld, SHIFT, addr_in_zone(zone, rng_next(&rng)));
      m[i].zones |= refset_single(zone);
    } else if (op < 95) {
      ld_reset(&m[i].ld, &ldg);
      m[i].epoch = now;
      m[i].zones = REFSET_EMPTY;
      m[i].moved = REFSET_EMPTY;
    } else {
      unsigned j = (unsigned)rng_below(&rng, MODEL_LDS);
      ld_merge(&m[i].ld, &m[j].ld);
      if (m[j].epoch < m[i].epoch) {
        m[i].epoch = m[j].epoch;
        m[i].moved = m[j].moved;      /* moved since the older epoch */
      }
      m[i].zones |= m[j].zones;
    }
    for (unsigned k = 0; k < MODEL_LDS; ++k) {
      bool stale = ld_is_stale(&m[k].ld, &ldg);
      bool truly = (m[k].zones & m[k].moved) != 0;
      ck_assert_uint_eq(m[k].ld._epoch, m[k].epoch);
      ck_assert_uint_eq(m[k].ld._rs, ld_word_of_refset(m[k].zones));
      if (truly)
        ck_assert_msg(stale, "false fresh at step %u", step);
      if (now - m[k].epoch <= N) {
        ck_assert_msg(stale == truly, "imprecise within the window at step %u", step);
      } else {
        ck_assert(stale == ((m[k].zones & ever) != 0));
        ++beyond_seen;
      }
      stale_seen += stale;
      fresh_seen += !stale && m[k].zones != 0;
    }
  }
  ck_assert(ld_globals_check(&ldg));
  /* the run exercised each case */
  ck_assert_uint_gt(stale_seen, 1000);
  ck_assert_uint_gt(fresh_seen, 1000);
  ck_assert_uint_gt(beyond_seen, 100);
}
END_TEST

/* A reader in another thread that has seen a move announced (after
 * ld_globals_moved returned) must find its dependency stale, whatever
 * the updates racing with its reads.  In each round the reader takes a
 * dependency on zone 50 and arms; the writer then moves other zones
 * while the reader keeps asking, moves zone 50, and announces. */
#define RACE_ROUNDS 500u
static LdGlobals race_ldg;
static _Atomic unsigned race_armed, race_announced;

static void *race_writer(void *arg)
{
  UNUSED(arg);
  for (unsigned r = 1; r <= RACE_ROUNDS; ++r) {
    while (atomic_load_explicit(&race_armed, memory_order_acquire) != r)
      sched_yield();
    for (unsigned k = 0; k < 1 + r % 23; ++k)
      ld_globals_moved(&race_ldg, refset_single((r + k) % 40));
    ld_globals_moved(&race_ldg, refset_single(50));
    atomic_store_explicit(&race_announced, r, memory_order_release);
  }
  return NULL;
}

START_TEST(racing_reader_never_fresh)
{
  pthread_t writer;
  unsigned long polls = 0;
  Word expected;
  ld_globals_init(&race_ldg);
  atomic_store(&race_armed, 0);
  atomic_store(&race_announced, 0);
  ck_assert_int_eq(pthread_create(&writer, NULL, race_writer, NULL), 0);
  for (unsigned r = 1; r <= RACE_ROUNDS; ++r) {
    mps_ld_s ld;
    ld_reset(&ld, &race_ldg);
    ld_add(&ld, SHIFT, addr_in_zone(50, r));
    atomic_store_explicit(&race_armed, r, memory_order_release);
    while (atomic_load_explicit(&race_announced, memory_order_acquire) != r) {
      (void)ld_is_stale(&ld, &race_ldg);     /* any answer, racing */
      ++polls;
      sched_yield();
    }
    ck_assert_msg(ld_is_stale(&ld, &race_ldg), "fresh after the move in round %u", r);
  }
  ck_assert_int_eq(pthread_join(writer, NULL), 0);
  expected = 0;
  for (unsigned r = 1; r <= RACE_ROUNDS; ++r)
    expected += 1 + r % 23 + 1;
  ck_assert_uint_eq(ld_globals_epoch(&race_ldg), expected);
  ck_assert_uint_gt(polls, 0);
  ck_assert(ld_globals_check(&race_ldg));
}
END_TEST

/* ---- Allocation patterns ---- */

START_TEST(pattern_objects)
{
  const Pattern *ramp = pattern_ramp(), *all = pattern_ramp_collect_all();
  Pattern fake;
  ck_assert_ptr_nonnull(ramp);
  ck_assert_ptr_nonnull(all);
  ck_assert_ptr_ne(ramp, all);
  ck_assert_ptr_eq(ramp, pattern_ramp());
  ck_assert_ptr_eq(all, pattern_ramp_collect_all());
  ck_assert(pattern_check(ramp));
  ck_assert(pattern_check(all));
  ck_assert_int_eq(ramp->kind, PATTERN_RAMP);
  ck_assert_int_eq(all->kind, PATTERN_RAMP_COLLECT_ALL);
  fake = *ramp;                      /* a copy is not a pattern */
  ck_assert(!pattern_check(&fake));
}
END_TEST

START_TEST(pattern_nesting)
{
  PatternAp pap;
  PatternGlobals pg;
  pattern_ap_init(&pap);
  pattern_globals_init(&pg);
  ck_assert(!pattern_ap_in_ramp(&pap));
  ck_assert_int_eq(pattern_ap_end(&pap, pattern_ramp()), RES_FAIL);
  for (unsigned k = 0; k < 3; ++k)
    ck_assert_int_eq(pattern_ap_begin(&pap, &pg, pattern_ramp()), RES_OK);
  ck_assert_uint_eq(pap.depth, 3);
  ck_assert(pattern_ap_in_ramp(&pap));
  for (unsigned k = 0; k < 3; ++k) {
    ck_assert(pattern_ap_in_ramp(&pap));
    ck_assert_int_eq(pattern_ap_end(&pap, pattern_ramp()), RES_OK);
  }
  ck_assert(!pattern_ap_in_ramp(&pap));
  ck_assert_int_eq(pattern_ap_end(&pap, pattern_ramp()), RES_FAIL);
  ck_assert_uint_eq(pap.depth, 0);
  ck_assert(!pg.collect_all_pending);     /* plain ramps ask for nothing */
  ck_assert(pattern_ap_check(&pap));
}
END_TEST

/* design.ld.pattern.end: patterns nest but do not overlap. */
START_TEST(pattern_end_must_match)
{
  PatternAp pap;
  PatternGlobals pg;
  pattern_ap_init(&pap);
  pattern_globals_init(&pg);
  ck_assert_int_eq(pattern_ap_begin(&pap, &pg, pattern_ramp_collect_all()), RES_OK);
  ck_assert_int_eq(pattern_ap_begin(&pap, &pg, pattern_ramp()), RES_OK);
  ck_assert_int_eq(pattern_ap_end(&pap, pattern_ramp_collect_all()), RES_FAIL);
  ck_assert_uint_eq(pap.depth, 2);        /* a failed end changes nothing */
  ck_assert_int_eq(pattern_ap_end(&pap, pattern_ramp()), RES_OK);
  ck_assert_int_eq(pattern_ap_end(&pap, pattern_ramp()), RES_FAIL);
  ck_assert_int_eq(pattern_ap_end(&pap, pattern_ramp_collect_all()), RES_OK);
  ck_assert_int_eq(pattern_ap_end(&pap, pattern_ramp_collect_all()), RES_FAIL);
  ck_assert(pattern_ap_check(&pap));
}
END_TEST

START_TEST(pattern_reset_ends_all)
{
  PatternAp pap;
  PatternGlobals pg;
  pattern_ap_init(&pap);
  pattern_globals_init(&pg);
  for (unsigned k = 0; k < 10; ++k)
    ck_assert_int_eq(pattern_ap_begin(&pap, &pg, k % 3 ? pattern_ramp()
                                                       : pattern_ramp_collect_all()),
                     RES_OK);
  pattern_ap_reset(&pap);
  ck_assert(!pattern_ap_in_ramp(&pap));
  ck_assert_uint_eq(pap.kinds, 0);
  ck_assert_int_eq(pattern_ap_end(&pap, pattern_ramp()), RES_FAIL);
  pattern_ap_reset(&pap);                 /* resetting nothing is fine */
  ck_assert(!pattern_ap_in_ramp(&pap));
  /* the collect-all request survives the reset: the ramps are over */
  ck_assert(pattern_globals_take_collect_all(&pg, false));
}
END_TEST

/* Kinds are recorded for the innermost WORD_WIDTH levels; deeper ones
 * are counted only (design.ld.pattern.deep). */
START_TEST(pattern_deep_nesting)
{
  PatternAp pap;
  PatternGlobals pg;
  const Count depth = 3 * WORD_WIDTH;
  pattern_ap_init(&pap);
  pattern_globals_init(&pg);
  for (Count d = 0; d < depth; ++d)
    ck_assert_int_eq(pattern_ap_begin(&pap, &pg, d % 5 == 0 ? pattern_ramp_collect_all()
                                                            : pattern_ramp()),
                     RES_OK);
  ck_assert(pattern_ap_check(&pap));
  for (Count d = depth; d > 0; --d) {
    const Pattern *right = (d - 1) % 5 == 0 ? pattern_ramp_collect_all() : pattern_ramp();
    const Pattern *wrong = right == pattern_ramp() ? pattern_ramp_collect_all() : pattern_ramp();
    if (d - 1 < WORD_WIDTH)
      ck_assert_int_eq(pattern_ap_end(&pap, wrong), RES_FAIL);
    ck_assert_int_eq(pattern_ap_end(&pap, right), RES_OK);
    ck_assert_uint_eq(pap.depth, d - 1);
    ck_assert(pattern_ap_check(&pap));
  }
  ck_assert_int_eq(pattern_ap_end(&pap, pattern_ramp()), RES_FAIL);
}
END_TEST

/* design.ld.pattern.collect-all: asked for once no ramp remains; taken
 * once. */
START_TEST(pattern_collect_all_request)
{
  PatternAp a, b;
  PatternGlobals pg;
  pattern_ap_init(&a);
  pattern_ap_init(&b);
  pattern_globals_init(&pg);
  ck_assert(!pattern_globals_collect_all_due(&pg, false));
  ck_assert_int_eq(pattern_ap_begin(&a, &pg, pattern_ramp_collect_all()), RES_OK);
  ck_assert_int_eq(pattern_ap_begin(&a, &pg, pattern_ramp()), RES_OK);
  ck_assert_int_eq(pattern_ap_begin(&b, &pg, pattern_ramp()), RES_OK);
  ck_assert(!pattern_globals_collect_all_due(&pg, true));
  ck_assert_int_eq(pattern_ap_end(&a, pattern_ramp()), RES_OK);
  ck_assert_int_eq(pattern_ap_end(&a, pattern_ramp_collect_all()), RES_OK);
  /* another allocation point is still in a ramp: wait for it */
  ck_assert(!pattern_globals_take_collect_all(&pg,
                                              pattern_ap_in_ramp(&a) || pattern_ap_in_ramp(&b)));
  ck_assert_int_eq(pattern_ap_end(&b, pattern_ramp()), RES_OK);
  ck_assert(pattern_globals_collect_all_due(&pg, false));
  ck_assert(pattern_globals_take_collect_all(&pg, false));
  ck_assert(!pattern_globals_collect_all_due(&pg, false));
  ck_assert(!pattern_globals_take_collect_all(&pg, false));
  ck_assert(pattern_globals_check(&pg));
}
END_TEST

#if CONFIG_ASSERT
START_TEST(pattern_begin_bad_pattern)
{
  PatternAp pap;
  PatternGlobals pg;
  Pattern fake = { .sig = 0, .kind = PATTERN_RAMP, .name = "fake" };
  Res res;
  pattern_ap_init(&pap);
  pattern_globals_init(&pg);
  res = pattern_ap_begin(&pap, &pg, &fake);
  ck_abort_msg("began a bad pattern: %d", res);
}
END_TEST

START_TEST(pattern_end_bad_pattern)
{
  PatternAp pap;
  Res res;
  pattern_ap_init(&pap);
  res = pattern_ap_end(&pap, NULL);
  ck_abort_msg("ended a null pattern: %d", res);
}
END_TEST
#endif

/* ---- The public interface on a real arena ---- */

static mps_arena_t arena;

static void arena_setup(void)
{
  ck_assert_int_eq(mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none),
                   MPS_RES_OK);
  mps_arena_park(arena);
}

static void arena_teardown(void)
{
  mps_arena_destroy(arena);
}

/* What the engine does at a flip that moves objects in these zones. */
static void engine_moves(RefSet moved)
{
  arena_enter(arena);
  ld_moved(arena, moved);
  arena_leave(arena);
}

static RefSet zone_set_of(void *p)
{
  return refset_single(arena_zone_of(arena, ptr_addr(p)));
}

START_TEST(public_ld)
{
  static char here[64];
  char *there = malloc(64);
  mps_ld_s ld, other;
  ck_assert_ptr_nonnull(there);
  mps_ld_reset(&ld, arena);
  ck_assert(!mps_ld_isstale(&ld, arena, here));
  ck_assert(!mps_ld_isstale_any(&ld, arena));
  mps_ld_add(&ld, arena, here);
  ck_assert(!mps_ld_isstale(&ld, arena, here));
  engine_moves(~zone_set_of(here));          /* every other zone */
  ck_assert(!mps_ld_isstale(&ld, arena, here));
  ck_assert(!mps_ld_isstale_any(&ld, arena));
  engine_moves(zone_set_of(here));
  ck_assert(mps_ld_isstale(&ld, arena, here));
  /* design.ld.isstale.addr: the address asked about does not matter */
  ck_assert(mps_ld_isstale(&ld, arena, there));
  ck_assert(mps_ld_isstale_any(&ld, arena));
  mps_ld_reset(&other, arena);
  mps_ld_add(&other, arena, there);
  ck_assert(!mps_ld_isstale_any(&other, arena));
  mps_ld_merge(&other, arena, &ld);
  ck_assert(mps_ld_isstale_any(&other, arena));
  mps_ld_reset(&ld, arena);
  ck_assert(!mps_ld_isstale(&ld, arena, here));
  free(there);
}
END_TEST

START_TEST(public_ld_collect_without_moving)
{
  mps_ld_s ld;
  static char here[64];
  mps_ld_reset(&ld, arena);
  mps_ld_add(&ld, arena, here);
  /* no pool moves anything: a collection keeps the dependency fresh */
  ck_assert_int_eq(mps_arena_collect(arena), MPS_RES_OK);
  ck_assert(!mps_ld_isstale(&ld, arena, here));
}
END_TEST

START_TEST(public_pattern_objects)
{
  ck_assert_ptr_nonnull(mps_alloc_pattern_ramp());
  ck_assert_ptr_nonnull(mps_alloc_pattern_ramp_collect_all());
  ck_assert_ptr_ne(mps_alloc_pattern_ramp(), mps_alloc_pattern_ramp_collect_all());
  ck_assert_ptr_eq(mps_alloc_pattern_ramp(), mps_alloc_pattern_ramp());
  ck_assert_ptr_eq(mps_alloc_pattern_ramp_collect_all(), mps_alloc_pattern_ramp_collect_all());
}
END_TEST

static mps_fmt_t fmt;
static mps_pool_t ams, mvff;
static mps_ap_t ams_ap, ams_ap2, mvff_ap;

static void pools_setup(void)
{
  mps_res_t res;
  arena_setup();
  ck_assert_int_eq(dylan_fmt_create(&fmt, arena, 0), MPS_RES_OK);
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    res = mps_pool_create_k(&ams, arena, mps_class_ams(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  ck_assert_int_eq(mps_pool_create_k(&mvff, arena, mps_class_mvff(), mps_args_none),
                   MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ams_ap, ams, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&ams_ap2, ams, mps_args_none), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_create_k(&mvff_ap, mvff, mps_args_none), MPS_RES_OK);
}

static void pools_teardown(void)
{
  if (mvff_ap != NULL)
    mps_ap_destroy(mvff_ap);
  if (ams_ap2 != NULL)
    mps_ap_destroy(ams_ap2);
  mps_ap_destroy(ams_ap);
  mps_pool_destroy(mvff);
  mps_pool_destroy(ams);
  mps_fmt_destroy(fmt);
  arena_teardown();
}

static bool arena_in_ramp(void)
{
  bool in;
  arena_enter(arena);
  in = pattern_arena_in_ramp(arena);
  arena_leave(arena);
  return in;
}

static bool take_collect_all(void)
{
  bool due, taken;
  arena_enter(arena);
  due = pattern_collect_all_due(arena);
  taken = pattern_take_collect_all_request(arena);
  arena_leave(arena);
  ck_assert(due == taken);
  return taken;
}

START_TEST(public_pattern_results)
{
  mps_alloc_pattern_t ramp = mps_alloc_pattern_ramp();
  mps_alloc_pattern_t all = mps_alloc_pattern_ramp_collect_all();
  ck_assert_int_eq(mps_ap_alloc_pattern_end(ams_ap, ramp), MPS_RES_FAIL);
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(ams_ap, ramp), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(ams_ap, ramp), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_alloc_pattern_end(ams_ap, all), MPS_RES_FAIL);
  ck_assert_int_eq(mps_ap_alloc_pattern_end(ams_ap, ramp), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_alloc_pattern_end(ams_ap, ramp), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_alloc_pattern_end(ams_ap, ramp), MPS_RES_FAIL);
  /* harmless on a manual pool's allocation point, and matched as well */
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(mvff_ap, all), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_alloc_pattern_end(mvff_ap, ramp), MPS_RES_FAIL);
  ck_assert_int_eq(mps_ap_alloc_pattern_end(mvff_ap, all), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(ams_ap, all), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(ams_ap, ramp), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_alloc_pattern_reset(ams_ap), MPS_RES_OK);
  ck_assert_int_eq(mps_ap_alloc_pattern_end(ams_ap, ramp), MPS_RES_FAIL);
  ck_assert_int_eq(mps_ap_alloc_pattern_reset(ams_ap), MPS_RES_OK);
}
END_TEST

START_TEST(public_pattern_policy)
{
  mps_alloc_pattern_t ramp = mps_alloc_pattern_ramp();
  mps_alloc_pattern_t all = mps_alloc_pattern_ramp_collect_all();
  ck_assert(!arena_in_ramp());
  /* a manual pool's allocation point does not hold collections back */
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(mvff_ap, ramp), MPS_RES_OK);
  ck_assert(!arena_in_ramp());
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(ams_ap, all), MPS_RES_OK);
  ck_assert(arena_in_ramp());
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(ams_ap2, ramp), MPS_RES_OK);
  ck_assert(!take_collect_all());
  ck_assert_int_eq(mps_ap_alloc_pattern_end(ams_ap, all), MPS_RES_OK);
  ck_assert(arena_in_ramp());           /* ams_ap2 still ramps */
  ck_assert(!take_collect_all());
  /* destroying an allocation point ends its patterns */
  mps_ap_destroy(ams_ap2);
  ams_ap2 = NULL;
  ck_assert(!arena_in_ramp());
  ck_assert(take_collect_all());
  ck_assert(!take_collect_all());
  /* a plain ramp asks for no full collection */
  ck_assert_int_eq(mps_ap_alloc_pattern_begin(ams_ap, ramp), MPS_RES_OK);
  ck_assert(arena_in_ramp());
  ck_assert_int_eq(mps_ap_alloc_pattern_end(ams_ap, ramp), MPS_RES_OK);
  ck_assert(!arena_in_ramp());
  ck_assert(!take_collect_all());
}
END_TEST

#if CONFIG_ASSERT
START_TEST(public_pattern_bad_pattern)
{
  static struct { Sig sig; } junk = { 0 };
  (void)mps_ap_alloc_pattern_begin(ams_ap, (mps_alloc_pattern_t)(void *)&junk);
}
END_TEST
#endif

int main(void)
{
  Suite *s = suite_create("ld");
  TCase *hist = tcase_create("history");
  TCase *pat = tcase_create("pattern");
  TCase *pub = tcase_create("public");
  SRunner *sr;
  int failed;

  tcase_add_test(hist, init_is_epoch_zero);
  tcase_add_test(hist, moves_advance_epoch);
  tcase_add_test(hist, reset_is_fresh);
  tcase_add_test(hist, add_zones);
  tcase_add_test(hist, stale_iff_zone_moved);
  tcase_add_test(hist, window_then_prehistory);
  tcase_add_test(hist, merge_takes_older_epoch_and_union);
  tcase_add_test(hist, update_in_progress_is_safe);
  tcase_add_test(hist, random_against_model);
  tcase_add_test(hist, racing_reader_never_fresh);
  tcase_set_timeout(hist, 30);     /* the race hands over 1000 times */
  suite_add_tcase(s, hist);

  tcase_add_test(pat, pattern_objects);
  tcase_add_test(pat, pattern_nesting);
  tcase_add_test(pat, pattern_end_must_match);
  tcase_add_test(pat, pattern_reset_ends_all);
  tcase_add_test(pat, pattern_deep_nesting);
  tcase_add_test(pat, pattern_collect_all_request);
#if CONFIG_ASSERT
  tcase_add_test_raise_signal(pat, pattern_begin_bad_pattern, SIGABRT);
  tcase_add_test_raise_signal(pat, pattern_end_bad_pattern, SIGABRT);
#endif
  suite_add_tcase(s, pat);

  tcase_add_checked_fixture(pub, arena_setup, arena_teardown);
  tcase_add_test(pub, public_pattern_objects);
  tcase_add_test(pub, public_ld);
  tcase_add_test(pub, public_ld_collect_without_moving);
  suite_add_tcase(s, pub);
  {
    TCase *pools = tcase_create("public_pattern");
    tcase_add_checked_fixture(pools, pools_setup, pools_teardown);
    tcase_add_test(pools, public_pattern_results);
    tcase_add_test(pools, public_pattern_policy);
#if CONFIG_ASSERT
    tcase_add_test_raise_signal(pools, public_pattern_bad_pattern, SIGABRT);
#endif
    suite_add_tcase(s, pools);
  }

  sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
