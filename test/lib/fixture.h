/* test/lib/fixture.h -- the arena and pool most interface tests start from.
 *
 * Each function asserts (with Check) that creation succeeded, so a test's
 * setup reads as one line a resource. */
#ifndef LAGOON_TEST_FIXTURE_H
#define LAGOON_TEST_FIXTURE_H

#include "mps.h"

#include <stddef.h>

/* A VM arena reserving `size` bytes at first. */
mps_arena_t fixture_vm_arena(size_t size);

/* An MVFF pool in `arena` with alignment `align` and default policies. */
mps_pool_t fixture_mvff(mps_arena_t arena, size_t align);

#endif /* LAGOON_TEST_FIXTURE_H */
