/* pool/gen.c -- generation chains and pool generations.
 * Design: manual/design/gen.rst */
#include "pool/gen.h"
#include "pool/pool.h"
#include "base/args.h"

/* design.gen.default: the chain of pools given no MPS_KEY_CHAIN.  One
 * generation of 8 MiB with mortality 0.5 (the client's own chains are
 * for tuning). */
#define GEN_DEFAULT_CAPACITY_KIB ((size_t)8192)
#define GEN_DEFAULT_MORTALITY 0.5

bool chain_check(const Chain *chain)
{
  CHECK_SIG(chain, SIG_CHAIN);
  CHECK_PARENT(arena, chain->arena);
  CHECK(chain->gen_count >= 1 && chain->gen_count <= GEN_MAX);
  CHECK(chain->gens != NULL);
  for (Index i = 0; i < chain->gen_count; ++i) {
    CHECK(chain->gens[i].capacity > 0);
    CHECK(chain->gens[i].mortality >= 0.0 && chain->gens[i].mortality <= 1.0);
  }
  return true;
}

Res chain_create(Chain **chain_o, Arena *arena, Count gen_count,
                 const mps_gen_param_s *params)
{
  Chain *chain;
  GenDesc *gens;
  void *p;
  Res res;

  ASSERT(chain_o != NULL);
  ASSERT_VALID(arena, arena);
  if (gen_count < 1 || gen_count > GEN_MAX || params == NULL)
    return RES_PARAM;
  for (Index i = 0; i < gen_count; ++i) {
    size_t kib = params[i].mps_capacity;
    double m = params[i].mps_mortality;
    /* design.gen.args: capacity positive and representable in bytes */
    if (kib == 0 || kib > ((Size)-1 >> 10) || !(m >= 0.0 && m <= 1.0))
      return RES_PARAM;
  }

  res = arena_control_alloc(&p, arena, sizeof(Chain));
  if (res != RES_OK)
    goto fail_chain;
  chain = p;
  res = arena_control_alloc(&p, arena, gen_count * sizeof(GenDesc));
  if (res != RES_OK)
    goto fail_gens;
  gens = p;
  for (Index i = 0; i < gen_count; ++i) {
    gens[i].capacity = (Size)params[i].mps_capacity << 10;
    gens[i].mortality = params[i].mps_mortality;
    gens[i].new_size = 0;
    gens[i].total_size = 0;
    gens[i].condemned = false;
    ring_init(&gens[i].pool_gens);
  }
  chain->arena = arena;
  ring_init(&chain->arena_ring);
  ring_append(&arena->chain_ring, &chain->arena_ring);
  chain->gen_count = gen_count;
  chain->gens = gens;
  chain->sig = SIG_CHAIN;
  ASSERT_VALID(chain, chain);
  *chain_o = chain;
  return RES_OK;

fail_gens:
  arena_control_free(arena, chain, sizeof(Chain));
fail_chain:
  return res;
}

void chain_destroy(Chain *chain)
{
  Arena *arena;

  ASSERT_VALID(chain, chain);
  arena = chain->arena;
  /* design.gen.destroy: the client destroys pools before their chain */
  for (Index i = 0; i < chain->gen_count; ++i)
    ASSERT(ring_is_empty(&chain->gens[i].pool_gens));
  if (arena->default_chain == chain)
    arena->default_chain = NULL;
  ring_remove(&chain->arena_ring);
  chain->sig = SIG_INVALID;
  for (Index i = 0; i < chain->gen_count; ++i)
    ring_finish(&chain->gens[i].pool_gens);
  arena_control_free(arena, chain->gens, chain->gen_count * sizeof(GenDesc));
  arena_control_free(arena, chain, sizeof(Chain));
}

Res chain_default(Chain **chain_o, Arena *arena)
{
  ASSERT(chain_o != NULL);
  if (arena->default_chain == NULL) {
    mps_gen_param_s param = {GEN_DEFAULT_CAPACITY_KIB, GEN_DEFAULT_MORTALITY};
    Chain *chain;
    Res res = chain_create(&chain, arena, 1, &param);
    if (res != RES_OK)
      return res;
    arena->default_chain = chain;
  }
  *chain_o = arena->default_chain;
  return RES_OK;
}

Size chain_gen_new_size(const Chain *chain, Index gen)
{
  ASSERT(gen < chain->gen_count);
  return chain->gens[gen].new_size;
}

bool chain_gen_over_capacity(const Chain *chain, Index gen)
{
  ASSERT(gen < chain->gen_count);
  return chain->gens[gen].new_size > chain->gens[gen].capacity;
}

void chain_gen_collected(Chain *chain, Index gen)
{
  GenDesc *desc;
  Ring *node, *next;

  ASSERT(gen < chain->gen_count);
  desc = &chain->gens[gen];
  desc->new_size = 0;
  RING_FOR(node, &desc->pool_gens, next) {
    PoolGen *pgen = RING_ELT(PoolGen, gen_ring, node);
    pgen->new_size = 0;
  }
}

void chain_condemn_gen(Chain *chain, Index gen, bool condemned)
{
  ASSERT_VALID(chain, chain);
  ASSERT(gen < chain->gen_count);
  chain->gens[gen].condemned = condemned;
}

Res pool_gen_init_args(PoolGen *pgen, Pool *pool, const mps_arg_s args[])
{
  mps_arg_s arg;
  Chain *chain;
  unsigned gen;
  Arena *arena = pool_arena(pool);
  Res res;

  if (args_find(&arg, args, MPS_KEY_CHAIN)) {
    chain = arg.val.chain;
    if (chain == NULL || chain->sig != SIG_CHAIN || chain->arena != arena)
      return RES_PARAM;
  } else {
    res = chain_default(&chain, arena);
    if (res != RES_OK)
      return res;
  }
  gen = args_unsigned(args, MPS_KEY_GEN, 0);
  if (gen >= chain->gen_count)
    return RES_PARAM;
  pool_gen_init(pgen, chain, gen, pool);
  return RES_OK;
}

void pool_gen_init(PoolGen *pgen, Chain *chain, Index gen, Pool *pool)
{
  ASSERT_VALID(chain, chain);
  ASSERT(gen < chain->gen_count);
  pgen->chain = chain;
  pgen->gen = gen;
  pgen->pool = pool;
  ring_init(&pgen->gen_ring);
  ring_append(&chain->gens[gen].pool_gens, &pgen->gen_ring);
  pgen->new_size = 0;
  pgen->total_size = 0;
}

void pool_gen_finish(PoolGen *pgen)
{
  GenDesc *desc = &pgen->chain->gens[pgen->gen];
  ASSERT(pgen->total_size == 0);
  ASSERT(desc->new_size >= pgen->new_size);
  desc->new_size -= pgen->new_size;
  ring_remove(&pgen->gen_ring);
  ring_finish(&pgen->gen_ring);
  pgen->chain = NULL;
}

void pool_gen_account_alloc(PoolGen *pgen, Size size)
{
  GenDesc *desc = &pgen->chain->gens[pgen->gen];
  pgen->new_size += size;
  pgen->total_size += size;
  desc->new_size += size;
  desc->total_size += size;
}

void pool_gen_account_free(PoolGen *pgen, Size size)
{
  GenDesc *desc = &pgen->chain->gens[pgen->gen];
  ASSERT(pgen->total_size >= size && desc->total_size >= size);
  pgen->total_size -= size;
  desc->total_size -= size;
}
