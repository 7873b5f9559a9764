/* test/lib/gcfixture.c -- see gcfixture.h.
 * Design: manual/design/trace.rst */
#include "gcfixture.h"

#include "mpsavm.h"
#include "mpscams.h"
#include "mpsclo.h"
#include "scheme.h"

#include <string.h>

static mps_pool_t make_pool(GcWorld *w, mps_pool_class_t klass, bool ams)
{
  mps_pool_t pool = NULL;
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, w->fmt);
    if (w->chain != NULL) {
      MPS_ARGS_ADD(args, MPS_KEY_CHAIN, w->chain);
      MPS_ARGS_ADD(args, MPS_KEY_GEN, 0u);
    }
    if (ams)
      MPS_ARGS_ADD(args, MPS_KEY_AMS_SUPPORT_AMBIGUOUS, 1);
    res = mps_pool_create_k(&pool, w->arena, klass, args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  return pool;
}

void gc_world_open(GcWorld *w, const GcWorldOptions *opts)
{
  static const GcWorldOptions defaults;
  const GcWorldOptions *o = opts != NULL ? opts : &defaults;
  mps_res_t res;

  memset(w, 0, sizeof *w);
  w->header_size = o->header_size;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, o->arena_size != 0 ? o->arena_size : 64 * MiB);
    if (o->commit_limit != 0)
      MPS_ARGS_ADD(args, MPS_KEY_COMMIT_LIMIT, o->commit_limit);
    res = mps_arena_create_k(&w->arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  ck_assert_int_eq(res, MPS_RES_OK);
  if (!o->unparked)
    mps_arena_park(w->arena);
  if (o->scheme)
    res = sch_fmt_create(&w->fmt, w->arena);
  else
    res = dylan_fmt_create(&w->fmt, w->arena, o->header_size);
  ck_assert_int_eq(res, MPS_RES_OK);
  if (o->chain_kb != 0) {
    mps_gen_param_s gen = {o->chain_kb, o->mortality};
    ck_assert_int_eq(mps_chain_create(&w->chain, w->arena, 1, &gen), MPS_RES_OK);
  }
  if (o->pools & GC_POOL_AMS) {
    w->ams = make_pool(w, mps_class_ams(), true);
    ck_assert_int_eq(mps_ap_create_k(&w->ams_ap, w->ams, mps_args_none), MPS_RES_OK);
  }
  if (o->pools & GC_POOL_LO) {
    w->lo = make_pool(w, mps_class_lo(), false);
    ck_assert_int_eq(mps_ap_create_k(&w->lo_ap, w->lo, mps_args_none), MPS_RES_OK);
  }
  if (o->table != NULL) {
    w->table_root = gc_world_add_table(w, o->table, o->table_len);
    if (o->nclasses > 0) {
      ck_assert_uint_gt(o->table_len, o->nclasses);
      gc_make_wrappers(o->table, w->ams_ap, w->header_size, o->classes, o->nclasses);
    }
  }
}

void gc_world_close(GcWorld *w)
{
  mps_arena_park(w->arena);
  if (w->thread_root != NULL)
    mps_root_destroy(w->thread_root);
  while (w->nroots > 0)
    mps_root_destroy(w->roots[--w->nroots]);
  if (w->thread != NULL)
    mps_thread_dereg(w->thread);
  if (w->lo_ap != NULL)
    mps_ap_destroy(w->lo_ap);
  if (w->ams_ap != NULL)
    mps_ap_destroy(w->ams_ap);
  if (w->lo != NULL)
    mps_pool_destroy(w->lo);
  if (w->ams != NULL)
    mps_pool_destroy(w->ams);
  if (w->chain != NULL)
    mps_chain_destroy(w->chain);
  mps_fmt_destroy(w->fmt);
  mps_arena_destroy(w->arena);   /* unread messages go with it */
  memset(w, 0, sizeof *w);
}

void gc_world_adopt_root(GcWorld *w, mps_root_t root)
{
  ck_assert_uint_lt(w->nroots, GC_WORLD_ROOTS);
  w->roots[w->nroots++] = root;
}

mps_root_t gc_table_root(mps_arena_t arena, mps_rank_t rank, mps_addr_t *table, size_t len)
{
  mps_root_t root;
  memset(table, 0, len * sizeof *table);
  ck_assert_int_eq(mps_root_create_table(&root, arena, rank, 0, table, len), MPS_RES_OK);
  return root;
}

mps_root_t gc_world_add_table(GcWorld *w, mps_addr_t *table, size_t len)
{
  mps_root_t root = gc_table_root(w->arena, mps_rank_exact(), table, len);
  gc_world_adopt_root(w, root);
  return root;
}

void gc_world_thread_open(GcWorld *w, void *cold)
{
  ck_assert_ptr_null(w->thread);
  ck_assert_int_eq(mps_thread_reg(&w->thread, w->arena), MPS_RES_OK);
  ck_assert_int_eq(mps_root_create_thread(&w->thread_root, w->arena, w->thread, cold),
                   MPS_RES_OK);
}

void gc_world_thread_close(GcWorld *w)
{
  ck_assert_ptr_nonnull(w->thread);
  mps_root_destroy(w->thread_root);
  mps_thread_dereg(w->thread);
  w->thread_root = NULL;
  w->thread = NULL;
}

void gc_make_wrappers(mps_addr_t *table, mps_ap_t ap, size_t header_size,
                      const GcClass *classes, size_t nclasses)
{
  ck_assert_int_eq(dylan_make_wrapper_wrapper(&table[0], ap, header_size), MPS_RES_OK);
  for (size_t i = 0; i < nclasses; ++i)
    ck_assert_int_eq(dylan_make_wrapper(&table[1 + i], ap, header_size, table[0],
                                        classes[i].id, classes[i].fixed,
                                        classes[i].var_kind), MPS_RES_OK);
}

DylanCensus gc_census(mps_arena_t arena, mps_pool_t pool, size_t header_size)
{
  DylanCensus c;
  dylan_census(&c, arena, pool, NULL, header_size);
  ck_assert_uint_eq(c.bad, 0);
  return c;
}

DylanCensus gc_world_census(const GcWorld *w, mps_pool_t pool)
{
  return gc_census(w->arena, pool, w->header_size);
}

size_t gc_drain_messages(mps_arena_t arena, mps_message_type_t type,
                         GcMessageFn *each, void *closure)
{
  mps_message_t m;
  size_t n = 0;
  while (mps_message_get(&m, arena, type)) {
    if (each != NULL)
      each(arena, m, closure);
    mps_message_discard(arena, m);
    ++n;
  }
  return n;
}

void gc_drain_all_messages(mps_arena_t arena)
{
  mps_message_type_t type;
  while (mps_message_queue_type(&type, arena)) {
    mps_message_t m;
    ck_assert(mps_message_get(&m, arena, type));
    mps_message_discard(arena, m);
  }
  ck_assert(!mps_message_poll(arena));
}
