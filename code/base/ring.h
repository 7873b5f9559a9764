/* base/ring.h -- intrusive doubly linked rings.
 * Design: manual/design/ring.rst
 *
 * A Ring is both a list head and a list node.  An empty ring points at
 * itself.  RING_ELT recovers the containing struct. */
#ifndef LAGOON_BASE_RING_H
#define LAGOON_BASE_RING_H

#include "base/check.h"

typedef struct Ring {
  struct Ring *next, *prev;
} Ring;

static inline void ring_init(Ring *r) { r->next = r; r->prev = r; }
static inline bool ring_is_single(const Ring *r) { return r->next == r; }
static inline bool ring_is_empty(const Ring *r) { return r->next == r; }
static inline bool ring_check(const Ring *r)
{
  CHECK(r != NULL && r->next != NULL && r->prev != NULL);
  CHECK(r->next->prev == r && r->prev->next == r);
  return true;
}
/* Insert new just after/before ring (append = before the head). */
static inline void ring_insert_after(Ring *ring, Ring *new_)
{
  ASSERT_CRIT(ring_is_single(new_));
  new_->next = ring->next;
  new_->prev = ring;
  ring->next->prev = new_;
  ring->next = new_;
}
static inline void ring_append(Ring *ring, Ring *new_)
{
  ASSERT_CRIT(ring_is_single(new_));
  new_->prev = ring->prev;
  new_->next = ring;
  ring->prev->next = new_;
  ring->prev = new_;
}
static inline void ring_remove(Ring *old)
{
  old->next->prev = old->prev;
  old->prev->next = old->next;
  ring_init(old);
}
static inline void ring_finish(Ring *r) { ASSERT(ring_is_single(r)); r->next = r->prev = NULL; }
static inline Count ring_length(const Ring *head)
{
  Count n = 0;
  for (const Ring *r = head->next; r != head; r = r->next)
    ++n;
  return n;
}

#define RING_ELT(type, field, ring) \
  ((type *)(void *)((char *)(ring) - offsetof(type, field)))
/* Iterate safely against removal of the current node. */
#define RING_FOR(node, head, next_) \
  for ((node) = (head)->next, (next_) = (node)->next; (node) != (head); \
       (node) = (next_), (next_) = (node)->next)

#endif /* LAGOON_BASE_RING_H */
