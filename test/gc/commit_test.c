/* test/gc/commit_test.c -- a commit that a collection overtakes: the
 * block reserved before the flip is not an object, mps_commit says so,
 * and the client's retry gets the same memory back; a thread stopped
 * inside mps_commit after it stored init (so the pool took the block for
 * an object) also sees the commit fail, but its block is not handed out
 * again.  Either way the retried object survives and nothing else is
 * damaged.
 * Design: manual/design/buffer.rst (design.buffer.trip.rollback) */
#include "mps.h"
#include "gcfixture.h"

#include <check.h>
#include <stdint.h>

enum { CLASS_NODE = 1 };
enum { R_WW, R_NODE, R_OBJ, NREFS = 8 };

static const GcClass classes[] = {{CLASS_NODE, 2, DYLAN_VAR_NONE}};
static GcWorld w;
static mps_addr_t refs[NREFS];     /* exact */

static void setup(void)
{
  GcWorldOptions o = {.pools = GC_POOL_AMS, .table = refs, .table_len = NREFS,
                      .classes = classes, .nclasses = 1};
  gc_world_open(&w, &o);
}

static void teardown(void)
{
  gc_world_close(&w);
}

static size_t node_size(void)
{
  return dylan_block_size(0, 2, DYLAN_VAR_NONE, 0);
}

/* Reserve a node and fill it in (wrapper, no link, the value). */
static mps_addr_t reserve_node(long value)
{
  mps_addr_t p;
  mps_word_t *words;

  ck_assert_int_eq(mps_reserve(&p, w.ams_ap, node_size()), MPS_RES_OK);
  words = p;
  words[0] = (mps_word_t)refs[R_NODE];
  words[1] = 0;
  words[2] = dylan_int(value);
  return p;
}

static size_t nodes(void)
{
  return gc_world_census(&w, w.ams).by_class[CLASS_NODE];
}

/* The retried node is the only node, intact, after another collection. */
static void check_survivor(mps_addr_t obj, long value)
{
  refs[R_OBJ] = obj;
  mps_arena_collect(w.arena);
  ck_assert_ptr_eq(refs[R_OBJ], obj);         /* AMS does not move */
  ck_assert(dylan_check(obj, 0));
  ck_assert_int_eq(dylan_int_value(*dylan_slot(obj, 1)), value);
  ck_assert_uint_eq(nodes(), 1);
}

START_TEST(flip_between_reserve_and_commit)
{
  mps_addr_t p = reserve_node(7), q;

  mps_arena_collect(w.arena);
  ck_assert(!mps_commit(w.ams_ap, p, node_size()));
  /* design.buffer.trip.rollback: the block goes back to the buffer */
  q = reserve_node(7);
  ck_assert_ptr_eq(q, p);
  ck_assert(mps_commit(w.ams_ap, q, node_size()));
  check_survivor(q, 7);
}
END_TEST

/* mps_commit stores init, then reads limit; a flip in between (the
 * thread suspended there) must fail the commit without giving the
 * block, which the pool now holds as an object, to the next reserve. */
START_TEST(flip_inside_commit)
{
  mps_addr_t p = reserve_node(5), q;
  char *end = (char *)p + node_size();

  w.ams_ap->init = w.ams_ap->alloc;           /* commit's first half */
  mps_arena_collect(w.arena);
  ck_assert_ptr_null(w.ams_ap->limit);        /* the flip trapped it */
  ck_assert(!mps_ap_trip(w.ams_ap, p, node_size()));
  ck_assert_ptr_eq(w.ams_ap->init, end);
  ck_assert_ptr_eq(w.ams_ap->alloc, end);
  q = reserve_node(6);
  ck_assert((char *)q >= end || (char *)q + node_size() <= (char *)p);
  ck_assert(mps_commit(w.ams_ap, q, node_size()));
  check_survivor(q, 6);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/commit");
  TCase *tc = fixture_tcase(s, "commit", setup, teardown, 20);
  tcase_add_test(tc, flip_between_reserve_and_commit);
  tcase_add_test(tc, flip_inside_commit);
  return fixture_run_suite(s);
}
