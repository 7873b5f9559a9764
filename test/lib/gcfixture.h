/* test/lib/gcfixture.h -- the garbage-collected world most collector tests
 * start from: a VM arena, a format (the toy Dylan or Scheme one), an AMS
 * and/or LO pool with an allocation point on each, an optional chain,
 * exact table roots, wrappers, and a registered thread with its root;
 * torn down in the documented order.
 * Design: manual/design/trace.rst (the MPS manual: topic/arena.rst,
 * topic/root.rst, topic/thread.rst on the order of destruction)
 *
 * Every function asserts (with Check) that what it creates was created, so
 * it is for use inside a test (or a checked fixture) only. */
#ifndef LAGOON_TEST_GCFIXTURE_H
#define LAGOON_TEST_GCFIXTURE_H

#include "mps.h"
#include "dylan.h"
#include "fixture.h"

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

#ifndef MiB
#define MiB ((size_t)1 << 20)
#endif

enum {
  GC_POOL_AMS = 1,            /* an AMS pool (ambiguous references allowed) */
  GC_POOL_LO = 2              /* an LO pool */
};

/* A Dylan class whose wrapper gc_world_open (or gc_make_wrappers) makes. */
typedef struct GcClass {
  unsigned id;
  size_t fixed;
  int var_kind;               /* DYLAN_VAR_* */
} GcClass;

/* What to build.  Zero is the default for every field. */
typedef struct GcWorldOptions {
  size_t arena_size;          /* bytes reserved at first; 0: 64 MiB */
  size_t commit_limit;        /* 0: none */
  bool unparked;              /* leave the arena unclamped (default: parked
                               * right after creation, so only the
                               * collections a test asks for happen) */
  bool scheme;                /* the Scheme format instead of the Dylan one */
  size_t header_size;         /* the Dylan variant: 0 or DYLAN_HEADER_SIZE */
  size_t chain_kb;            /* generation 0's capacity of a one-generation
                               * chain given to the pools (as generation 0);
                               * 0: no chain, the arena's default serves */
  double mortality;           /* of that generation */
  unsigned pools;             /* GC_POOL_*; 0: a format only */
  mps_addr_t *table;          /* an exact table root, zeroed first... */
  size_t table_len;
  const GcClass *classes;     /* ...the wrapper-wrapper in table[0] and the
                               * wrapper of classes[i] in table[1 + i] */
  size_t nclasses;
} GcWorldOptions;

#define GC_WORLD_ROOTS 8

typedef struct GcWorld {
  mps_arena_t arena;
  mps_fmt_t fmt;
  size_t header_size;         /* of fmt (Dylan) */
  mps_chain_t chain;          /* NULL: none */
  mps_pool_t ams, lo;         /* NULL where not asked for */
  mps_ap_t ams_ap, lo_ap;     /* one on each pool made */
  mps_root_t table_root;      /* over options.table, or NULL */
  mps_root_t roots[GC_WORLD_ROOTS];   /* destroyed by gc_world_close */
  size_t nroots;
  mps_thr_t thread;           /* see gc_world_thread_open */
  mps_root_t thread_root;
} GcWorld;

/* Build the world that opts (NULL: all defaults) describes into *w. */
void gc_world_open(GcWorld *w, const GcWorldOptions *opts);

/* Park the arena and destroy everything the world still owns: the thread
 * root and the other roots (latest first), the thread's registration,
 * allocation points, pools, chain, format, arena. */
void gc_world_close(GcWorld *w);

/* Zero table[0..len) and register it as a table root of rank; returns
 * the root, for the caller to destroy. */
mps_root_t gc_table_root(mps_arena_t arena, mps_rank_t rank, mps_addr_t *table, size_t len);

/* The same, exact, for the world to destroy when it closes. */
mps_root_t gc_world_add_table(GcWorld *w, mps_addr_t *table, size_t len);

/* Have the world destroy root (created by the test) when it closes. */
void gc_world_adopt_root(GcWorld *w, mps_root_t root);

/* Register the calling thread and give its stack and registers, up to
 * cold (an address in a frame of the caller that outlives the root), an
 * ambiguous root (mps_root_create_thread). */
void gc_world_thread_open(GcWorld *w, void *cold);
/* Destroy that root and deregister the thread before the world closes. */
void gc_world_thread_close(GcWorld *w);

/* The wrapper-wrapper into table[0] and the wrapper of classes[i] into
 * table[1 + i], allocated on ap for a format with header_size. */
void gc_make_wrappers(mps_addr_t *table, mps_ap_t ap, size_t header_size,
                      const GcClass *classes, size_t nclasses);

/* A census of pool's Dylan objects (dylan_census), asserting that none is
 * bad. */
DylanCensus gc_census(mps_arena_t arena, mps_pool_t pool, size_t header_size);
/* The same for a pool of the world. */
DylanCensus gc_world_census(const GcWorld *w, mps_pool_t pool);

/* Get and discard every queued message of type, first passing each to
 * each (if not NULL); returns how many there were. */
typedef void GcMessageFn(mps_arena_t arena, mps_message_t message, void *closure);
size_t gc_drain_messages(mps_arena_t arena, mps_message_type_t type,
                         GcMessageFn *each, void *closure);
/* Discard every queued message, of whatever type; none is left. */
void gc_drain_all_messages(mps_arena_t arena);

#endif /* LAGOON_TEST_GCFIXTURE_H */
