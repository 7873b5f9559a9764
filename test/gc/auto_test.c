/* test/gc/auto_test.c -- collections start by themselves: when the
 * allocation into a chain's first generation passes its capacity (a
 * small chain, the arena's default chain, AMS and LO pools), observed
 * through mps_collections and GC messages; and because garbage is
 * collected, a program whose live data stays small can allocate far more
 * than the arena's commit limit.
 * Design: manual/design/trace.rst (design.trace.poll), manual/design/gen.rst
 * (the MPS manual: topic/collection.rst, topic/arena.rst) */
#include "mps.h"
#include "gcfixture.h"
#include "rng.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { CLASS_ITEM = 1 };
enum { R_WW, R_ITEM, R_RING, NRING = 256, NREFS = R_RING + NRING };

static GcWorld w;
static mps_pool_t pool;            /* the world's AMS or LO pool */
static mps_ap_t ap;                /* on pool */
static mps_addr_t refs[NREFS];
static DylanStaticWrapper item_sw;

typedef struct Config {
  size_t arena_size;
  size_t commit_limit;       /* 0: none */
  size_t capacity_kb;        /* 0: the arena's default chain */
  bool lo;                   /* an LO pool instead of AMS */
} Config;

/* The state of churn(): a random stream of allocation, the ring's ids,
 * and the GC messages it has seen. */
typedef struct Churn {
  Rng rng;
  uint64_t next_id;
  uint64_t ring_id[NRING];
  size_t gc_messages;
  size_t why_seen;
  char first_why[200];        /* of the first collection seen */
} Churn;

/* Build the world cfg describes, and a fresh churn whose random stream
 * starts from seed. */
static void start(const Config *cfg, Churn *ch, uint64_t seed)
{
  static const GcClass item_class[] = {{CLASS_ITEM, 1, DYLAN_VAR_WORDS}};
  GcWorldOptions o = {.arena_size = cfg->arena_size, .commit_limit = cfg->commit_limit,
                      .unparked = true, .chain_kb = cfg->capacity_kb, .mortality = 0.9,
                      .pools = cfg->lo ? GC_POOL_LO : GC_POOL_AMS,
                      .table = refs, .table_len = NREFS};
  if (!cfg->lo) {
    o.classes = item_class;
    o.nclasses = 1;
  }
  memset(ch, 0, sizeof *ch);
  rng_init(&ch->rng, seed);
  gc_world_open(&w, &o);
  pool = cfg->lo ? w.lo : w.ams;
  ap = cfg->lo ? w.lo_ap : w.ams_ap;
  /* Leaves cannot keep a wrapper in the heap alive. */
  if (cfg->lo)
    refs[R_ITEM] = dylan_static_wrapper(&item_sw, CLASS_ITEM, 1, DYLAN_VAR_WORDS);
}

static void teardown(void)
{
  gc_world_close(&w);
}

static mps_word_t item_word(uint64_t id, size_t j)
{
  return dylan_int((long)((id * 2654435761u + j) & 0xFFFFFFF));
}

static void on_gc(mps_arena_t arena, mps_message_t m, void *closure)
{
  (void)closure;
  ck_assert_uint_le(mps_message_gc_live_size(arena, m),
                    mps_message_gc_condemned_size(arena, m));
}

static void on_gc_start(mps_arena_t arena, mps_message_t m, void *closure)
{
  Churn *ch = closure;
  const char *why = mps_message_gc_start_why(arena, m);
  ck_assert_ptr_nonnull(why);
  ck_assert_uint_gt(strlen(why), 0);
  if (ch->why_seen == 0)
    snprintf(ch->first_why, sizeof ch->first_why, "%s", why);
  ++ch->why_seen;
}

static void drain_messages(Churn *ch)
{
  ch->gc_messages += gc_drain_messages(w.arena, mps_message_type_gc(), on_gc, NULL);
  (void)gc_drain_messages(w.arena, mps_message_type_gc_start(), on_gc_start, ch);
}

/* Allocate items of random sizes up to max_words words, `bytes` in all;
 * every keep_every-th goes into the ring (replacing the oldest), the rest
 * is garbage.  Drains GC messages as it goes. */
static void churn(Churn *ch, size_t bytes, size_t max_words, unsigned keep_every)
{
  size_t done = 0;
  size_t k = 0;
  while (done < bytes) {
    size_t words = (size_t)rng_range(&ch->rng, 1, max_words);
    uint64_t id = ch->next_id++;
    mps_word_t fixed[1] = {dylan_int((long)(id & 0xFFFFFFF))};
    mps_addr_t obj;
    mps_res_t res = dylan_make(&obj, ap, 0, refs[R_ITEM], fixed, words, NULL);
    ck_assert_msg(res == MPS_RES_OK, "allocation %llu failed with %d after %zu bytes",
                  (unsigned long long)id, res, done);
    for (size_t j = 0; j < words; ++j)
      *dylan_var(obj, j) = item_word(id, j);
    if (id % keep_every == 0) {
      refs[R_RING + k % NRING] = obj;
      ch->ring_id[k % NRING] = id;
      ++k;
    }
    done += dylan_block_size(0, 1, DYLAN_VAR_WORDS, words);
    if (id % 1024 == 0)
      drain_messages(ch);
  }
  drain_messages(ch);
}

static void check_ring(const Churn *ch)
{
  for (size_t i = 0; i < NRING; ++i) {
    mps_addr_t obj = refs[R_RING + i];
    uint64_t id = ch->ring_id[i];
    if (obj == NULL)
      continue;
    ck_assert(dylan_check(obj, 0));
    ck_assert_uint_eq(*dylan_slot(obj, 0), dylan_int((long)(id & 0xFFFFFFF)));
    for (size_t j = 0; j < dylan_var_len(obj); ++j)
      ck_assert_uint_eq(*dylan_var(obj, j), item_word(id, j));
  }
}

/* The checks every test ends with: the arena kept to its commit limit
 * (if it has one), the ring intact; then the world goes. */
static void finish(const Config *cfg, const Churn *ch)
{
  if (cfg->commit_limit != 0)
    ck_assert_uint_le(mps_arena_committed(w.arena), cfg->commit_limit);
  check_ring(ch);
  teardown();
}

START_TEST(chain_capacity_starts_collections)
{
  Config cfg = {64 * MiB, 0, 1024, false};
  Churn ch;
  mps_word_t c0;
  size_t total = 24 * MiB * rng_scale();

  start(&cfg, &ch, 1);
  mps_message_type_enable(w.arena, mps_message_type_gc());
  mps_message_type_enable(w.arena, mps_message_type_gc_start());
  c0 = mps_collections(w.arena);
  churn(&ch, total, 64, 97);
  /* About one collection per MiB; ask for a third of that. */
  ck_assert_uint_ge(mps_collections(w.arena), c0 + total / MiB / 3);
  ck_assert_uint_ge(ch.gc_messages, total / MiB / 3);
  ck_assert_uint_eq(ch.why_seen, ch.gc_messages);
  check_ring(&ch);
  /* A collection the client asks for gives another reason than one the
   * chain's capacity started. */
  {
    mps_message_t m;
    ck_assert_int_eq(mps_arena_collect(w.arena), MPS_RES_OK);
    ck_assert(mps_message_get(&m, w.arena, mps_message_type_gc_start()));
    ck_assert_str_ne(mps_message_gc_start_why(w.arena, m), ch.first_why);
    mps_message_discard(w.arena, m);
    mps_arena_release(w.arena);
  }
  /* The garbage did not pile up. */
  ck_assert_uint_lt(mps_pool_total_size(pool), total / 2);
  finish(&cfg, &ch);
}
END_TEST

START_TEST(default_chain_starts_collections)
{
  Config cfg = {128 * MiB, 0, 0, false};
  Churn ch;
  mps_word_t c0;

  start(&cfg, &ch, 2);
  c0 = mps_collections(w.arena);
  churn(&ch, 40 * MiB, 128, 101);
  ck_assert_uint_ge(mps_collections(w.arena), c0 + 2);
  ck_assert_uint_lt(mps_pool_total_size(pool), 32 * MiB);
  finish(&cfg, &ch);
}
END_TEST

START_TEST(far_beyond_the_commit_limit)
{
  size_t limit = 12 * MiB;
  Config cfg = {64 * MiB, limit, 1024, false};
  Churn ch;
  size_t total = 8 * limit * rng_scale();

  start(&cfg, &ch, 3);
  ck_assert_uint_le(mps_arena_committed(w.arena), limit);
  /* Live data: the ring, at most NRING items of up to 4 KiB. */
  churn(&ch, total, 512, 13);
  ck_assert_uint_ge(mps_collections(w.arena), total / limit);
  finish(&cfg, &ch);
}
END_TEST

START_TEST(big_objects_beyond_the_commit_limit)
{
  Config cfg = {64 * MiB, 16 * MiB, 1024, false};
  Churn ch;

  start(&cfg, &ch, 4);
  /* Objects of up to 1 MiB, one in 32 kept: a few MiB live. */
  churn(&ch, 6 * cfg.commit_limit, MiB / sizeof(mps_word_t), 32);
  finish(&cfg, &ch);
}
END_TEST

START_TEST(lo_collects_by_itself)
{
  Config cfg = {64 * MiB, 12 * MiB, 1024, true};
  Churn ch;
  mps_word_t c0;

  start(&cfg, &ch, 5);
  c0 = mps_collections(w.arena);
  churn(&ch, 5 * cfg.commit_limit, 256, 31);
  ck_assert_uint_ge(mps_collections(w.arena), c0 + 5);
  finish(&cfg, &ch);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/auto");
  TCase *tc = fixture_tcase(s, "auto", NULL, NULL, 60);

  tcase_add_test(tc, chain_capacity_starts_collections);
  tcase_add_test(tc, default_chain_starts_collections);
  tcase_add_test(tc, far_beyond_the_commit_limit);
  tcase_add_test(tc, big_objects_beyond_the_commit_limit);
  tcase_add_test(tc, lo_collects_by_itself);
  return fixture_run_suite(s);
}
