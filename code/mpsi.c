/* mpsi.c -- the public entry points: check arguments, take the arena
 * lock, call the layer below, translate results.
 * Design: manual/design/interface.rst
 *
 * Sections are owned by different engineers; edit only your own, between
 * its BEGIN and END markers. */
#include "base/config.h"
#include "base/public.h"
#include "base/check.h"

/* ==== BEGIN SECTION arena (arena engineer) ==== */
/* ==== END SECTION arena ==== */

/* ==== BEGIN SECTION pool (pool engineer) ==== */
/* ==== END SECTION pool ==== */
