/* pool/sac.c -- segregated allocation caches.
 * Design: manual/design/sac.rst */
#include "pool/sac.h"

bool sac_check(const SAC *sac)
{
  const _mps_sac_s *esac;

  CHECK_SIG(sac, SIG_SAC);
  CHECK_PARENT(pool, sac->pool);
  esac = &sac->esac;
  CHECK(esac->_middle >= 1 && esac->_middle <= MPS_SAC_CLASS_LIMIT);
  CHECK(!esac->_trapped);
  for (Index i = 0; i < esac->_middle; ++i) {
    const _mps_sac_freelist_block_s *fl = &esac->_freelists[i];
    /* design.sac.inv.classes */
    CHECK(i == 0 || fl->_size > esac->_freelists[i - 1]._size);
    CHECK(size_is_aligned(fl->_size, sac->pool->align));
    CHECK(fl->_count <= fl->_count_max);
    CHECK((fl->_count == 0) == (fl->_blocks == NULL));
  }
  return true;
}

Res sac_create(SAC **sac_o, Pool *pool, Count classes_count,
               const mps_sac_class_s *classes)
{
  void *p;
  SAC *sac;
  Res res;

  ASSERT(sac_o != NULL);
  ASSERT_VALID(pool, pool);
  /* design.sac.classes */
  if (classes_count > MPS_SAC_CLASS_LIMIT)
    return RES_LIMIT;       /* the manual's answer to too many classes */
  if (classes == NULL || classes_count == 0)
    return RES_PARAM;
  for (Index i = 0; i < classes_count; ++i) {
    Size size = classes[i].mps_block_size;
    if (size < sizeof(void *) || !size_is_aligned(size, pool->align)
        || (i > 0 && size <= classes[i - 1].mps_block_size))
      return RES_PARAM;
  }
  if (!pool_has_attr(pool, POOL_ATTR_ALLOC | POOL_ATTR_FREE))
    return RES_PARAM;        /* the pool cannot serve a cache */

  res = arena_control_alloc(&p, pool->arena, sizeof(SAC));
  if (res != RES_OK)
    return res;
  sac = p;
  sac->esac._middle = classes_count;
  sac->esac._trapped = 0;
  for (Index i = 0; i < 2 * MPS_SAC_CLASS_LIMIT; ++i) {
    _mps_sac_freelist_block_s *fl = &sac->esac._freelists[i];
    fl->_size = i < classes_count ? classes[i].mps_block_size : 0;
    fl->_count = 0;
    fl->_count_max = i < classes_count ? classes[i].mps_cached_count : 0;
    fl->_blocks = NULL;
  }
  sac->pool = pool;
  ++pool->sac_count;
  sac->sig = SIG_SAC;
  ASSERT_VALID(sac, sac);
  *sac_o = sac;
  return RES_OK;
}

static inline _mps_sac_freelist_block_s *sac_class(SAC *sac, Size size)
{
  _mps_sac_s *esac = &sac->esac;
  for (Index i = 0; i < esac->_middle; ++i)
    if (size <= esac->_freelists[i]._size)
      return &esac->_freelists[i];
  return NULL;
}

static inline Addr sac_pop(_mps_sac_freelist_block_s *fl)
{
  Addr p = ptr_addr(fl->_blocks);
  fl->_blocks = *(mps_addr_t *)fl->_blocks;
  --fl->_count;
  return p;
}

static inline void sac_push(_mps_sac_freelist_block_s *fl, Addr p)
{
  *(mps_addr_t *)addr_ptr(p) = fl->_blocks;
  fl->_blocks = addr_ptr(p);
  ++fl->_count;
}

/* Give `n` blocks of fl back to the pool. */
static void sac_release(SAC *sac, _mps_sac_freelist_block_s *fl, Count n)
{
  while (n-- > 0 && fl->_count > 0)
    pool_free(sac->pool, sac_pop(fl), fl->_size);
}

void sac_flush(SAC *sac)
{
  ASSERT_VALID(sac, sac);
  for (Index i = 0; i < sac->esac._middle; ++i) {
    _mps_sac_freelist_block_s *fl = &sac->esac._freelists[i];
    sac_release(sac, fl, fl->_count);
  }
}

void sac_destroy(SAC *sac)
{
  Pool *pool;

  ASSERT_VALID(sac, sac);
  sac_flush(sac);
  pool = sac->pool;
  ASSERT(pool->sac_count > 0);
  --pool->sac_count;
  sac->sig = SIG_INVALID;
  arena_control_free(pool->arena, sac, sizeof(SAC));
}

Res sac_fill(Addr *p_o, SAC *sac, Size size)
{
  _mps_sac_freelist_block_s *fl;
  Addr p;
  Res res;

  ASSERT_VALID(sac, sac);
  ASSERT(p_o != NULL);
  if (size == 0)
    return RES_PARAM;       /* design.sac.size.zero */
  fl = sac_class(sac, size);
  if (fl == NULL) {
    /* design.sac.large: above every class, straight to the pool */
    Size rounded = size_align_up(size, sac->pool->align);
    if (rounded < size)
      return RES_MEMORY;
    return pool_alloc(p_o, sac->pool, rounded);
  }
  if (fl->_count > 0) {
    *p_o = sac_pop(fl);
    return RES_OK;
  }
  res = pool_alloc(&p, sac->pool, fl->_size);
  if (res != RES_OK)
    return res;
  /* design.sac.refill: half the capacity at once, so alternating
   * allocation and free do not call in every time.  A failure just ends
   * the refill early. */
  for (Count n = fl->_count_max / 2; n > 0; --n) {
    Addr q;
    if (pool_alloc(&q, sac->pool, fl->_size) != RES_OK)
      break;
    sac_push(fl, q);
  }
  *p_o = p;
  return RES_OK;
}

void sac_empty(SAC *sac, Addr p, Size size)
{
  _mps_sac_freelist_block_s *fl;

  ASSERT_VALID(sac, sac);
  ASSERT(p != 0);
  ASSERT(size > 0);
  fl = sac_class(sac, size);
  if (fl == NULL) {
    pool_free(sac->pool, p, size_align_up(size, sac->pool->align));
    return;
  }
  if (fl->_count_max == 0) {
    pool_free(sac->pool, p, fl->_size);
    return;
  }
  /* design.sac.refill: keep half when full */
  if (fl->_count >= fl->_count_max)
    sac_release(sac, fl, fl->_count - fl->_count_max / 2);
  sac_push(fl, p);
}
