/* pool/gen.h -- generation chains, and each pool's share of a
 * generation.
 * Design: manual/design/gen.rst
 *
 * A chain (mps_chain_create) is a list of generations, each with a
 * capacity (bytes of new allocation it takes before it should be
 * collected) and a predicted mortality.  A garbage-collected pool puts
 * its objects in one generation of one chain (MPS_KEY_CHAIN, MPS_KEY_GEN)
 * and reports what it allocates and frees there through a PoolGen, so
 * the collection policy (trace layer) can see which generations are
 * over capacity.  Everything here runs with the arena lock held. */
#ifndef LAGOON_POOL_GEN_H
#define LAGOON_POOL_GEN_H

#include "base/check.h"
#include "base/ring.h"
#include "arena/arena.h"

typedef struct mps_chain_s Chain;
typedef struct PoolGen PoolGen;

#define chain_sig_value SIG_CHAIN
#define GEN_MAX 64u                 /* most generations in a chain */

typedef struct GenDesc {
  Size capacity;              /* bytes (the client gives KiB) */
  double mortality;           /* predicted, in [0, 1] */
  Size new_size;              /* allocated in it since it was last collected */
  Size total_size;            /* held by its pools now */
  Ring pool_gens;             /* PoolGen.gen_ring */
  bool condemned;             /* by the trace being started: design.gen.condemn */
} GenDesc;

struct mps_chain_s {
  Sig sig;                    /* SIG_CHAIN */
  Arena *arena;
  Ring arena_ring;            /* in arena->chain_ring */
  Count gen_count;
  GenDesc *gens;              /* gen_count entries, control memory */
};

struct PoolGen {
  Chain *chain;
  Index gen;                  /* index into chain->gens */
  Pool *pool;
  Ring gen_ring;              /* in chain->gens[gen].pool_gens */
  Size new_size;              /* allocated since its generation was collected */
  Size total_size;            /* held by the pool in this generation */
};

bool chain_check(const Chain *chain);

/* Make a chain of gen_count generations (1..GEN_MAX) from params:
 * capacities in KiB, positive; mortalities in [0, 1].  RES_PARAM for a
 * bad count or parameter; RES_MEMORY etc. from control memory. */
Res chain_create(Chain **chain_o, Arena *arena, Count gen_count,
                 const mps_gen_param_s *params) WARN_UNUSED;
/* No pool may still use the chain (asserted). */
void chain_destroy(Chain *chain);
/* The arena's default chain, made on first use (RES_MEMORY...). */
Res chain_default(Chain **chain_o, Arena *arena) WARN_UNUSED;
/* Bytes allocated in generation gen since it was last collected, and
 * whether that exceeds its capacity. */
Size chain_gen_new_size(const Chain *chain, Index gen);
bool chain_gen_over_capacity(const Chain *chain, Index gen);
/* Generation gen has been collected: its new size starts again at 0. */
void chain_gen_collected(Chain *chain, Index gen);

/* design.gen.condemn: the engine marks the generations a trace
 * condemns before asking the pools to whiten; a pool condemns a
 * segment only if its generation is marked.  The marks are cleared when
 * the trace ends. */
void chain_condemn_gen(Chain *chain, Index gen, bool condemned);
static inline bool pool_gen_condemned(const PoolGen *pgen)
{
  return pgen->chain->gens[pgen->gen].condemned;
}

/* Read MPS_KEY_CHAIN and MPS_KEY_GEN (defaults: the arena's default
 * chain, generation 0) and attach pgen.  RES_PARAM for a chain of
 * another arena or a generation out of range.  design.gen.args */
Res pool_gen_init_args(PoolGen *pgen, Pool *pool, const mps_arg_s args[]) WARN_UNUSED;
void pool_gen_init(PoolGen *pgen, Chain *chain, Index gen, Pool *pool);
/* Detach; the pool must hold nothing in the generation any more. */
void pool_gen_finish(PoolGen *pgen);
/* The pool took size bytes of new memory (objects or buffer regions)
 * into the generation / gave size bytes back (reclaim, free). */
void pool_gen_account_alloc(PoolGen *pgen, Size size);
void pool_gen_account_free(PoolGen *pgen, Size size);

#endif /* LAGOON_POOL_GEN_H */
