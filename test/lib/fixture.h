/* test/lib/fixture.h -- the arena and pool most interface tests start
 * from, and the runner of a test program's suite.
 *
 * Each function asserts (with Check) that creation succeeded, so a test's
 * setup reads as one line a resource. */
#ifndef LAGOON_TEST_FIXTURE_H
#define LAGOON_TEST_FIXTURE_H

#include "mps.h"

#include <check.h>
#include <stddef.h>

/* A VM arena reserving `size` bytes at first. */
mps_arena_t fixture_vm_arena(size_t size);

/* An MVFF pool in `arena` with alignment `align` and default policies. */
mps_pool_t fixture_mvff(mps_arena_t arena, size_t align);

/* A test case named name, added to s: with setup and teardown as its
 * checked fixture (none if setup is NULL) and a timeout of timeout
 * seconds (Check's default if 0).  Tests may be added to it afterwards. */
TCase *fixture_tcase(Suite *s, const char *name, SFun setup, SFun teardown,
                     double timeout);

/* Run every test of s in fork mode (CK_NORMAL output), free the runner
 * (and s with it), and return the exit status for main(): EXIT_SUCCESS if
 * no test failed, EXIT_FAILURE otherwise. */
int fixture_run_suite(Suite *s);

#endif /* LAGOON_TEST_FIXTURE_H */
