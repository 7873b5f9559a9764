/* pool/buffer.c -- buffers (allocation points) and allocation frames.
 * Design: manual/design/buffer.rst */
#include "pool/buffer.h"

bool buffer_check(const Buffer *buf)
{
  Addr init, alloc;

  CHECK_SIG(buf, SIG_BUFFER);
  CHECK_PARENT(pool, buf->pool);
  CHECK(ring_check(&buf->pool_ring));
  init = buffer_init_addr(buf);
  alloc = buffer_alloc_addr(buf);
  if (buffer_is_reset(buf)) {
    /* design.buffer.inv.reset */
    CHECK(buf->limit == 0 && init == 0 && alloc == 0);
    CHECK(buf->ap.limit == NULL && buf->seg == NULL);
  } else {
    /* design.buffer.inv.order */
    CHECK(buf->base <= init);
    CHECK(init <= alloc);
    CHECK(alloc <= buf->limit);
    /* design.buffer.inv.trap: a null ap.limit means trapped */
    if (buffer_is_trapped(buf))
      CHECK(buf->ap.limit == NULL);
    else
      CHECK(ptr_addr(buf->ap.limit) == buf->limit);
  }
  CHECK((buf->mode & ~(unsigned)(BUFFER_MODE_TRAPPED | BUFFER_MODE_FLIPPED)) == 0);
  CHECK(buf->rank < RANK_LIMIT);
  return true;
}

void buffer_reset(Buffer *buf)
{
  buf->ap.init = NULL;
  buf->ap.alloc = NULL;
  buf->ap.limit = NULL;
  buf->base = 0;
  buf->limit = 0;
  buf->seg = NULL;
  buf->mode = 0;
}

Res buffer_create(Buffer **buf_o, Pool *pool, const mps_arg_s args[])
{
  void *p;
  Buffer *buf;
  Res res;

  ASSERT(buf_o != NULL);
  ASSERT_VALID(pool, pool);
  /* design.buffer.unsupported */
  if (!pool_has_attr(pool, POOL_ATTR_BUFFER))
    return RES_UNIMPL;

  res = arena_control_alloc(&p, pool->arena, sizeof(Buffer));
  if (res != RES_OK)
    goto fail_alloc;
  buf = p;
  buffer_reset(buf);
  buf->pool = pool;
  ring_init(&buf->pool_ring);
  buf->rank = RANK_EXACT;
  buf->fill_count = buf->empty_count = 0;
  buf->fill_size = buf->empty_size = 0;
  buf->pool_data[0] = buf->pool_data[1] = 0;
  buf->flip_init = 0;
  buf->pattern_depth = 0;
  buf->pattern_kinds = 0;
  res = pool->klass->buffer_init(pool, buf, args);
  if (res != RES_OK)
    goto fail_init;
  ring_append(&pool->buffer_ring, &buf->pool_ring);
  buf->sig = SIG_BUFFER;
  ASSERT_VALID(buffer, buf);
  *buf_o = buf;
  return RES_OK;

fail_init:
  arena_control_free(pool->arena, p, sizeof(Buffer));
fail_alloc:
  return res;
}

void buffer_destroy(Buffer *buf)
{
  Pool *pool;

  ASSERT_VALID(buffer, buf);
  pool = buf->pool;
  /* A block reserved but never committed is not the client's:
   * design.buffer.destroy */
  buf->ap.alloc = buf->ap.init;
  buffer_empty(buf);
  pool->klass->buffer_finish(pool, buf);
  buf->sig = SIG_INVALID;
  ring_remove(&buf->pool_ring);
  ring_finish(&buf->pool_ring);
  arena_control_free(pool->arena, buf, sizeof(Buffer));
}

void buffer_attach(Buffer *buf, Addr base, Addr init, Addr limit)
{
  ASSERT(buffer_is_reset(buf));
  ASSERT(base != 0 && base <= init && init <= limit);
  buf->base = base;
  buf->limit = limit;
  buf->ap.init = addr_ptr(init);
  buf->ap.alloc = addr_ptr(init);
  buf->ap.limit = addr_ptr(limit);
  buf->mode = 0;
  ++buf->fill_count;
  buf->fill_size += limit - init;
}

void buffer_empty(Buffer *buf)
{
  Addr init;
  Pool *pool = buf->pool;

  ASSERT(buffer_is_ready(buf));
  if (buffer_is_reset(buf))
    return;
  init = buffer_init_addr(buf);
  ++buf->empty_count;
  buf->empty_size += buf->limit - init;
  pool->klass->buffer_empty(pool, buf, init, buf->limit);
  buffer_reset(buf);
}

static void buffer_untrap(Buffer *buf)
{
  if (buffer_is_trapped(buf)) {
    buf->ap.limit = addr_ptr(buf->limit);
    buf->mode &= ~(unsigned)BUFFER_MODE_TRAPPED;
  }
}

Res buffer_fill(Addr *p_o, Buffer *buf, Size size)
{
  Pool *pool;
  Addr base, limit, alloc;
  Res res;

  ASSERT_VALID(buffer, buf);
  ASSERT(p_o != NULL);
  ASSERT(size > 0);
  /* design.buffer.fill.ready: reserve follows a commit */
  ASSERT(buffer_is_ready(buf));
  pool = buf->pool;

  /* A flip before this reserve cannot spoil the new block. */
  buffer_untrap(buf);
  buf->mode &= ~(unsigned)BUFFER_MODE_FLIPPED;

  alloc = buffer_alloc_addr(buf);
  if (!buffer_is_reset(buf) && size <= buf->limit - alloc) {
    /* The reserve failed only because of the trap. */
    buf->ap.alloc = addr_ptr(alloc + size);
    *p_o = alloc;
    return RES_OK;
  }

  buffer_empty(buf);
  res = pool->klass->buffer_fill(&base, &limit, pool, buf, size);
  if (res != RES_OK)
    return res;
  ASSERT(base != 0 && base < limit && size <= limit - base);
  buffer_attach(buf, base, base, limit);
  buf->ap.alloc = addr_ptr(base + size);
  ASSERT_VALID(buffer, buf);
  *p_o = base;
  return RES_OK;
}

bool buffer_trip(Buffer *buf, Addr p, Size size)
{
  bool flipped;

  ASSERT_VALID(buffer, buf);
  /* design.buffer.trip: commit has already set init = alloc */
  ASSERT(buffer_is_ready(buf));
  ASSERT(!buffer_is_reset(buf));
  ASSERT(buffer_is_trapped(buf));
  ASSERT(p + size == buffer_init_addr(buf));
  ASSERT(buf->base <= p);
  UNUSED(size);
  flipped = (buf->mode & BUFFER_MODE_FLIPPED) != 0;
  buf->mode &= ~(unsigned)BUFFER_MODE_FLIPPED;
  buffer_untrap(buf);
  if (flipped && p >= buf->flip_init) {
    /* design.buffer.trip.rollback: the block may hold references the
     * trace never saw; it is not an object.  Give its memory back to the
     * buffer, so the client's retry reserves (and initialises) it again.
     * A block below the init seen at the flip was already committed
     * then (the thread stopped inside mps_commit): the pool took it for
     * an object, so its memory stays used and only the commit fails. */
    buf->ap.init = addr_ptr(p);
    buf->ap.alloc = addr_ptr(p);
  }
  return !flipped;
}

void buffer_flip(Buffer *buf)
{
  ASSERT_VALID(buffer, buf);
  if (buffer_is_reset(buf))
    return;
  buf->mode |= BUFFER_MODE_TRAPPED | BUFFER_MODE_FLIPPED;
  buf->flip_init = buffer_init_addr(buf);
  buf->ap.limit = NULL;
}

void buffer_trap(Buffer *buf)
{
  ASSERT_VALID(buffer, buf);
  if (buffer_is_reset(buf))
    return;
  buf->mode |= BUFFER_MODE_TRAPPED;
  buf->ap.limit = NULL;
}

Res buffer_frame_push(Frame **frame_o, Buffer *buf)
{
  ASSERT_VALID(buffer, buf);
  ASSERT(frame_o != NULL);
  /* design.buffer.frame.ready: no push between reserve and commit */
  ASSERT(buffer_is_ready(buf));
  return buf->pool->klass->frame_push(frame_o, buf->pool, buf);
}

Res buffer_frame_pop(Buffer *buf, Frame *frame)
{
  ASSERT_VALID(buffer, buf);
  ASSERT(buffer_is_ready(buf));
  /* No block is reserved, so a pending flip spoils nothing. */
  buffer_untrap(buf);
  buf->mode &= ~(unsigned)BUFFER_MODE_FLIPPED;
  return buf->pool->klass->frame_pop(buf->pool, buf, frame);
}
