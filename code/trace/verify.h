/* trace/verify.h -- the heap verifier: at a collection's flip and after
 * its reclaim, every exact reference in a formatted object or a root
 * lies at an allocated object.
 * Design: manual/design/verify.rst
 *
 * Compiled into the cool variety only (design.verify.variety) and run
 * only when the environment variable LAGOON_VERIFY is 1
 * (design.verify.env).  In hot and rash every function here is an
 * inline that does nothing. */
#ifndef LAGOON_TRACE_VERIFY_H
#define LAGOON_TRACE_VERIFY_H

#include "base/check.h"
#include "arena/arena.h"

/* design.verify.variety */
#if defined(CONFIG_VAR_COOL)
#define VERIFY_CONFIGURED 1
#else
#define VERIFY_CONFIGURED 0
#endif

#if VERIFY_CONFIGURED

/* Whether LAGOON_VERIFY asks for verification.  The environment is read
 * at the first call in the process and the answer cached
 * (design.verify.env).  Any thread, no lock. */
bool verify_enabled(void);

/* If verification is on: check arena_verify, then every exact and weak
 * reference that the formatted objects of walkable pools and the roots
 * and finalization messages hold (design.verify.refs); a reference into
 * the arena that is not at an allocated object fails an assertion
 * naming the holder, the reference and `when` (design.verify.fail).  If
 * off, one test of the cached flag.  Arena lock held, other threads
 * stopped, segments not white (design.verify.when). */
void verify_heap(Arena *arena, const char *when);

/* How many verifications have run in the process (for tests).
 * design.verify.count */
Count verify_count(void);

#else /* !VERIFY_CONFIGURED */

static inline bool verify_enabled(void) { return false; }
static inline void verify_heap(Arena *arena, const char *when)
{
  UNUSED(arena);
  UNUSED(when);
}
static inline Count verify_count(void) { return 0; }

#endif /* VERIFY_CONFIGURED */

#endif /* LAGOON_TRACE_VERIFY_H */
