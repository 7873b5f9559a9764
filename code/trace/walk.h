/* trace/walk.h -- walking the formatted objects of pools and arenas, and
 * finding the object that holds an address.
 * Design: manual/design/walk.rst
 *
 * Each function runs with the arena lock held and no trace in progress
 * (design.walk.parked).  The client's functions are called with the lock
 * held and must not call the library. */
#ifndef LAGOON_TRACE_WALK_H
#define LAGOON_TRACE_WALK_H

#include "base/check.h"
#include "arena/arena.h"
#include "pool/pool.h"
#include "pool/format.h"

/* Whether pool's class can walk its formatted objects. */
bool walk_pool_can(const Pool *pool);

/* mps_pool_walk: call scan_area(ss, base, limit, closure) on runs of
 * the pool's formatted objects, ss a scan state that fixes nothing.
 * RES_PARAM if the pool has no format, RES_UNIMPL if its class cannot
 * walk, else the first result other than RES_OK that scan_area returns
 * (walking stops there), else RES_OK.  design.walk.pool */
Res walk_pool(Pool *pool, mps_area_scan_t scan_area, void *closure) WARN_UNUSED;

/* mps_arena_formatted_objects_walk: call f(client, format, pool, p, s)
 * for every formatted object of every pool with a format whose class
 * can walk.  design.walk.arena */
void walk_formatted_objects(Arena *arena, mps_formatted_objects_stepper_t f,
                            void *p, size_t s);

/* mps_addr_object: the client pointer of the object holding addr.
 * RES_FAIL if addr is in no segment of arena or in no object,
 * RES_UNIMPL if its pool's class cannot tell.  design.walk.addr-object */
Res walk_addr_object(Addr *client_o, Arena *arena, Addr addr) WARN_UNUSED;

#endif /* LAGOON_TRACE_WALK_H */
