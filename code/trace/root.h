/* trace/root.h -- roots and registered threads: creation, checks, and
 * the scanning and walking the trace engine asks for.
 * Design: manual/design/root.rst
 *
 * A Root is one registered description of where references live (a
 * client scanning function, an area of words, a block of formatted
 * objects, or a thread's registers and stack), with the rank of those
 * references.  Roots and Threads are in control memory and linked into
 * the arena's Globals (root_ring, thread_ring).  Every function here is
 * called with the arena lock held. */
#ifndef LAGOON_TRACE_ROOT_H
#define LAGOON_TRACE_ROOT_H

#include "base/check.h"
#include "base/ring.h"
#include "platform/thread.h"
#include "arena/arena.h"
#include "pool/scan.h"
#include "trace/trace.h"

typedef struct mps_root_s Root;

#define root_sig_value SIG_ROOT

/* design.root.area.asan: conservative scanners read whole stacks,
 * ASan's poisoned redzones included. */
#define ROOT_NO_ASAN __attribute__((no_sanitize_address))

/* The modes a root may be given: design.root.mode */
#define ROOT_MODES (MPS_RM_CONST | MPS_RM_PROT | MPS_RM_PROT_INNER)

/* What kind of root: design.root.var */
typedef enum RootVar {
  ROOT_FUN = 0,     /* mps_root_create: scan(ss, p, s) */
  ROOT_AREA,        /* _area, _area_tagged, _table, _table_masked */
  ROOT_FMT,         /* _fmt: a format scan method over [base, limit) */
  ROOT_THREAD,      /* _thread, _thread_tagged, _thread_scanned */
  ROOT_REG,         /* _reg with a client register scanner */
  ROOT_VAR_LIMIT
} RootVar;

struct mps_root_s {
  Sig sig;                    /* SIG_ROOT, set last by root creation */
  Count serial;               /* from Globals.root_serial */
  Arena *arena;
  Ring globals_ring;          /* in Globals.root_ring */
  Rank rank;                  /* RANK_AMBIG, RANK_EXACT or RANK_WEAK */
  RootVar var;
  mps_rm_t mode;              /* design.root.mode */
  bool protectable;           /* MPS_RM_PROT on an area: design.root.prot */
  union {
    struct { mps_root_scan_t scan; void *p; size_t s; } fun;
    /* closure is &tag for the tagged kinds: design.root.tag */
    struct { Addr base, limit; mps_area_scan_t scan; void *closure;
             mps_scan_tag_s tag; } area;
    struct { mps_fmt_scan_t scan; Addr base, limit; } fmt;
    /* thread is NULL once deregistered: design.root.thread.dereg */
    struct { Thread *thread; Addr cold; mps_area_scan_t scan; void *closure;
             mps_scan_tag_s tag; } thread;
    struct { Thread *thread; mps_reg_scan_t scan; void *p; size_t s; } reg;
  } the;
};

bool root_check(const Root *root);

/* ---- The roots and threads of an arena (Globals) ---- */

/* Initialise the root and thread parts of Globals (rings, serials);
 * finish asserts that no root or thread remains
 * (design.trace.globals.destroy).  For globals_create/globals_destroy. */
void roots_globals_init(Globals *g);
void roots_globals_finish(Globals *g);

/* ---- Creation: design.root.args ----
 * Each returns RES_PARAM for an argument the manual rules out (a rank
 * other than ambiguous, exact or weak; unknown mode bits; a misaligned
 * or inverted area; a thread of another arena or a thread root of a
 * rank other than ambiguous...), or a control memory result.  Nothing
 * is allocated on failure.  *root_o is written only on success. */
Res root_create_fun(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                    mps_root_scan_t scan, void *p, size_t s) WARN_UNUSED;
Res root_create_area(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                     Addr base, Addr limit, mps_area_scan_t scan,
                     void *closure) WARN_UNUSED;
/* The closure the scanner receives is an mps_scan_tag_s held in the
 * root. */
Res root_create_area_tagged(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                            Addr base, Addr limit, mps_area_scan_t scan,
                            Word mask, Word pattern) WARN_UNUSED;
Res root_create_fmt(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                    mps_fmt_scan_t scan, Addr base, Addr limit) WARN_UNUSED;
Res root_create_thread(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                       Thread *thread, mps_area_scan_t scan, void *closure,
                       Addr cold) WARN_UNUSED;
Res root_create_thread_tagged(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                              Thread *thread, mps_area_scan_t scan,
                              Word mask, Word pattern, Addr cold) WARN_UNUSED;
Res root_create_reg(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                    Thread *thread, mps_reg_scan_t scan, void *p, size_t s) WARN_UNUSED;
void root_destroy(Root *root);

/* ---- Threads ---- */

/* Register the calling thread with the arena of g: allocate a Thread,
 * fill it, link it.  Control memory results, or RES_RESOURCE if the
 * signal handlers could not be installed. */
Res roots_thread_reg(Thread **thread_o, Globals *g) WARN_UNUSED;
/* Unlink and free.  Thread roots still naming it scan nothing after. */
void roots_thread_dereg(Thread *thread);

/* Stop every registered thread of the arena but the caller, and start
 * them again.  The engine brackets root scanning (at least) with these.
 * design.root.suspend */
void roots_threads_suspend(Globals *g);
void roots_threads_resume(Globals *g);

/* ---- For the engine: design.root.scan ---- */

/* Scan every root of rank `rank` with ss (ss->rank == rank; the scan
 * state's traces and white set are the engine's).  Other threads must be
 * suspended (roots_threads_suspend) if there are thread roots.  Weak
 * roots are scanned only when rank is RANK_WEAK.  Returns the first
 * result other than RES_OK from a scanner; the remaining roots are still
 * scanned, and a failed root over an area is scanned again ambiguously
 * (design.root.scan.error). */
Res roots_scan(ScanState *ss, Globals *g, Rank rank) WARN_UNUSED;

/* Fix every word of [base, limit) ambiguously (as it is, and with the
 * bits below a word masked off) for the traces of `failed`, a scan state
 * whose scanner of that memory failed.  trace/area.c;
 * design.trace.scan.error */
void area_scan_conservatively(ScanState *failed, Addr base, Addr limit);

/* Scan the registers and stack of a thread ambiguously, word-aligned
 * values only: mps_stack_scan_ambig.  cold is the cold end. */
Res root_stack_scan_ambig(ScanState *ss, Thread *thread, Addr cold) WARN_UNUSED;

/* mps_arena_roots_walk: call f(ref, root, p, s) for each reference in a
 * root that points into an automatically managed pool.
 * design.root.walk says which roots can be walked.  Suspends and resumes
 * the other threads itself.  Not during a collection (asserted). */
void roots_walk(Globals *g, mps_roots_stepper_t f, void *p, size_t s);

#endif /* LAGOON_TRACE_ROOT_H */
