/* mps.c -- the whole library as one translation unit.
 * Design: manual/design/config.rst
 *
 * Compiling this file alone builds Lagoon: `cc -O2 -iquote code -Icode
 * -c code/mps.c` (add -DCONFIG_VAR_COOL or -DCONFIG_VAR_RASH for another
 * variety).  The Makefile builds libmps.a and libmps.so from it, so every
 * library module must be listed here, once, in layer order (base <
 * platform < arena < pool < trace < telemetry, then mpsi.c); the build
 * check test/build/mps_c_complete.sh fails when one is missing.  Because
 * all modules share this one scope, file-static names and macros must not
 * clash between modules.  This is a hand-kept list: nothing generates it. */

/* base */
#include "base/args.c"
#include "base/bt.c"
#include "base/cbs.c"
#include "base/check.c"
#include "base/freelist.c"
#include "base/land.c"

/* platform */
#include "platform/fault.c"
#include "platform/io.c"
#include "platform/lock.c"
#include "platform/plinth.c"
#include "platform/prot.c"
#include "platform/thread.c"
#include "platform/vm.c"

/* arena */
#include "arena/arena.c"
#include "arena/chunk.c"
#include "arena/clarena.c"
#include "arena/control.c"
#include "arena/seg.c"
#include "arena/vmarena.c"

/* pool */
#include "pool/amc.c"
#include "pool/ams.c"
#include "pool/awl.c"
#include "pool/buffer.c"
#include "pool/dbg.c"
#include "pool/format.c"
#include "pool/gen.c"
#include "pool/lo.c"
#include "pool/markseg.c"
#include "pool/mfs.c"
#include "pool/mvff.c"
#include "pool/mvt.c"
#include "pool/pool.c"
#include "pool/sac.c"
#include "pool/scan.c"
#include "pool/snc.c"

/* trace */
#include "trace/area.c"
#include "trace/control.c"
#include "trace/final.c"
#include "trace/ld.c"
#include "trace/message.c"
#include "trace/pattern.c"
#include "trace/root.c"
#include "trace/shield.c"
#include "trace/trace.c"
#include "trace/verify.c"
#include "trace/walk.c"

/* telemetry */

/* interface */
#include "mpsi.c"
