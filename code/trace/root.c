/* trace/root.c -- roots and registered threads of an arena.
 * Design: manual/design/root.rst */
#include "trace/root.h"

/* The trace layer's state of an arena.  Written as a local check (not
 * globals_check) so this module stands on its own. */
static __attribute__((unused)) bool root_globals_check(const Globals *g)
{
  CHECK_SIG(g, SIG_GLOBALS);
  CHECK_PARENT(arena, g->arena);
  CHECK(g->arena->globals == g);
  CHECK(ring_check(&g->root_ring));
  CHECK(ring_check(&g->thread_ring));
  return true;
}

static Globals *root_arena_globals(const Arena *arena)
{
  ASSERT_VALID(arena, arena);
  ASSERT(arena->globals != NULL);
  ASSERT(root_globals_check(arena->globals));
  return arena->globals;
}

static bool root_rank_is_public(Rank rank)
{
  return rank == RANK_AMBIG || rank == RANK_EXACT || rank == RANK_WEAK;
}

bool root_check(const Root *root)
{
  CHECK_SIG(root, SIG_ROOT);
  CHECK_PARENT(arena, root->arena);
  CHECK(ring_check(&root->globals_ring));
  CHECK(root_rank_is_public(root->rank));
  CHECK((root->mode & ~(mps_rm_t)ROOT_MODES) == 0);
  CHECK_BOOL(root->protectable);
  switch (root->var) {
  case ROOT_FUN:
    CHECK(root->the.fun.scan != NULL);
    break;
  case ROOT_AREA:
    CHECK(root->the.area.scan != NULL);
    CHECK(root->the.area.base != 0);
    CHECK(root->the.area.base <= root->the.area.limit);
    CHECK(addr_is_aligned(root->the.area.base, sizeof(Word)));
    CHECK(addr_is_aligned(root->the.area.limit, sizeof(Word)));
    break;
  case ROOT_FMT:
    CHECK(root->the.fmt.scan != NULL);
    CHECK(root->the.fmt.base != 0);
    CHECK(root->the.fmt.base <= root->the.fmt.limit);
    break;
  case ROOT_THREAD:
    /* design.root.thread.ambig */
    CHECK(root->rank == RANK_AMBIG);
    CHECK(root->the.thread.scan != NULL);
    CHECK(root->the.thread.cold != 0);
    if (root->the.thread.thread != NULL)
      CHECK_PARENT(thread, root->the.thread.thread);
    break;
  case ROOT_REG:
    CHECK(root->rank == RANK_AMBIG);
    CHECK(root->the.reg.scan != NULL);
    if (root->the.reg.thread != NULL)
      CHECK_PARENT(thread, root->the.reg.thread);
    break;
  default:
    CHECK(!"root variant");
  }
  return true;
}

/* ---- Globals ---- */

void roots_globals_init(Globals *g)
{
  ASSERT(g != NULL);
  ring_init(&g->root_ring);
  g->root_serial = 0;
  ring_init(&g->thread_ring);
  g->thread_serial = 0;
}

void roots_globals_finish(Globals *g)
{
  ASSERT(g != NULL);
  /* design.trace.globals.destroy: the client destroys its roots and
   * deregisters its threads before the arena. */
  ASSERT(ring_is_empty(&g->root_ring));
  ASSERT(ring_is_empty(&g->thread_ring));
  ring_finish(&g->root_ring);
  ring_finish(&g->thread_ring);
}

/* ---- Creation: design.root.args ---- */

/* The checks every kind shares: design.root.rank, design.root.mode. */
static Res root_args_check(Rank rank, mps_rm_t mode)
{
  if (!root_rank_is_public(rank))
    return RES_PARAM;
  if ((mode & ~(mps_rm_t)ROOT_MODES) != 0)
    return RES_PARAM;
  if ((mode & MPS_RM_PROT_INNER) != 0 && (mode & MPS_RM_PROT) == 0)
    return RES_PARAM;
  return RES_OK;
}

/* An area of words: design.root.area.args */
static Res root_area_check(Addr base, Addr limit)
{
  if (base == 0 || base > limit)
    return RES_PARAM;
  if (!addr_is_aligned(base, sizeof(Word)) || !addr_is_aligned(limit, sizeof(Word)))
    return RES_PARAM;
  return RES_OK;
}

/* A thread root's thread: design.root.thread.args */
static Res root_thread_check(Arena *arena, Rank rank, const Thread *thread, Addr cold)
{
  if (thread == NULL)
    return RES_PARAM;
  ASSERT_VALID(thread, thread);
  if (thread_arena(thread) != arena)
    return RES_PARAM;
  /* design.root.thread.ambig */
  if (rank != RANK_AMBIG)
    return RES_PARAM;
  if (cold == 0)
    return RES_PARAM;
  /* design.thread.stack.bounds: a cold end off the thread's stack */
  if (thread->stack_hi != 0 && (cold > thread->stack_hi || cold < thread->stack_lo))
    return RES_PARAM;
  return RES_OK;
}

/* Allocate a root with the common fields; the caller fills `the` and
 * calls root_link.  Arguments already checked. */
static Res root_alloc(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                      RootVar var)
{
  Root *root;
  void *p;
  Res res;

  ASSERT(root_o != NULL);
  res = arena_control_alloc(&p, arena, sizeof(Root));
  if (res != RES_OK)
    return res;
  root = p;
  root->arena = arena;
  root->serial = 0;
  ring_init(&root->globals_ring);
  root->rank = rank;
  root->var = var;
  root->mode = mode;
  root->protectable = false;
  *root_o = root;
  return RES_OK;
}

static void root_link(Root *root)
{
  Globals *g = root_arena_globals(root->arena);

  root->serial = g->root_serial++;
  ring_append(&g->root_ring, &root->globals_ring);
  root->sig = SIG_ROOT;
  ASSERT_VALID(root, root);
}

Res root_create_fun(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                    mps_root_scan_t scan, void *p, size_t s)
{
  Root *root;
  Res res;

  (void)root_arena_globals(arena);
  res = root_args_check(rank, mode);
  if (res != RES_OK)
    return res;
  if (scan == NULL)
    return RES_PARAM;
  res = root_alloc(&root, arena, rank, mode, ROOT_FUN);
  if (res != RES_OK)
    return res;
  root->the.fun.scan = scan;
  root->the.fun.p = p;
  root->the.fun.s = s;
  root_link(root);
  *root_o = root;
  return RES_OK;
}

static Res root_create_area_common(Root **root_o, Arena *arena, Rank rank,
                                   mps_rm_t mode, Addr base, Addr limit,
                                   mps_area_scan_t scan, void *closure,
                                   bool tagged, Word mask, Word pattern)
{
  Root *root;
  Res res;

  (void)root_arena_globals(arena);
  res = root_args_check(rank, mode);
  if (res != RES_OK)
    return res;
  res = root_area_check(base, limit);
  if (res != RES_OK)
    return res;
  if (scan == NULL)
    return RES_PARAM;
  /* design.root.tag: a pattern with bits outside the mask matches
   * nothing, surely a mistake. */
  if (tagged && (pattern & ~mask) != 0)
    return RES_PARAM;
  res = root_alloc(&root, arena, rank, mode, ROOT_AREA);
  if (res != RES_OK)
    return res;
  root->the.area.base = base;
  root->the.area.limit = limit;
  root->the.area.scan = scan;
  root->the.area.tag.mask = mask;
  root->the.area.tag.pattern = pattern;
  root->the.area.closure = tagged ? (void *)&root->the.area.tag : closure;
  root->protectable = (mode & MPS_RM_PROT) != 0;   /* design.root.prot */
  root_link(root);
  *root_o = root;
  return RES_OK;
}

Res root_create_area(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                     Addr base, Addr limit, mps_area_scan_t scan, void *closure)
{
  return root_create_area_common(root_o, arena, rank, mode, base, limit, scan,
                                 closure, false, 0, 0);
}

Res root_create_area_tagged(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                            Addr base, Addr limit, mps_area_scan_t scan,
                            Word mask, Word pattern)
{
  return root_create_area_common(root_o, arena, rank, mode, base, limit, scan,
                                 NULL, true, mask, pattern);
}

Res root_create_fmt(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                    mps_fmt_scan_t scan, Addr base, Addr limit)
{
  Root *root;
  Res res;

  (void)root_arena_globals(arena);
  res = root_args_check(rank, mode);
  if (res != RES_OK)
    return res;
  if (scan == NULL || base == 0 || base > limit)
    return RES_PARAM;
  res = root_alloc(&root, arena, rank, mode, ROOT_FMT);
  if (res != RES_OK)
    return res;
  root->the.fmt.scan = scan;
  root->the.fmt.base = base;
  root->the.fmt.limit = limit;
  root->protectable = (mode & MPS_RM_PROT) != 0;
  root_link(root);
  *root_o = root;
  return RES_OK;
}

static Res root_create_thread_common(Root **root_o, Arena *arena, Rank rank,
                                     mps_rm_t mode, Thread *thread,
                                     mps_area_scan_t scan, void *closure,
                                     bool tagged, Word mask, Word pattern,
                                     Addr cold)
{
  Root *root;
  Res res;

  (void)root_arena_globals(arena);
  res = root_args_check(rank, mode);
  if (res != RES_OK)
    return res;
  res = root_thread_check(arena, rank, thread, cold);
  if (res != RES_OK)
    return res;
  if (scan == NULL)
    return RES_PARAM;
  if (tagged && (pattern & ~mask) != 0)
    return RES_PARAM;
  res = root_alloc(&root, arena, rank, mode, ROOT_THREAD);
  if (res != RES_OK)
    return res;
  root->the.thread.thread = thread;
  root->the.thread.cold = cold;
  root->the.thread.scan = scan;
  root->the.thread.tag.mask = mask;
  root->the.thread.tag.pattern = pattern;
  root->the.thread.closure = tagged ? (void *)&root->the.thread.tag : closure;
  /* design.root.prot: a stack is never protected, whatever the mode. */
  root_link(root);
  *root_o = root;
  return RES_OK;
}

Res root_create_thread(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                       Thread *thread, mps_area_scan_t scan, void *closure,
                       Addr cold)
{
  return root_create_thread_common(root_o, arena, rank, mode, thread, scan,
                                   closure, false, 0, 0, cold);
}

Res root_create_thread_tagged(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                              Thread *thread, mps_area_scan_t scan,
                              Word mask, Word pattern, Addr cold)
{
  return root_create_thread_common(root_o, arena, rank, mode, thread, scan,
                                   NULL, true, mask, pattern, cold);
}

Res root_create_reg(Root **root_o, Arena *arena, Rank rank, mps_rm_t mode,
                    Thread *thread, mps_reg_scan_t scan, void *p, size_t s)
{
  Root *root;
  Res res;

  (void)root_arena_globals(arena);
  res = root_args_check(rank, mode);
  if (res != RES_OK)
    return res;
  if (thread == NULL || scan == NULL)
    return RES_PARAM;
  ASSERT_VALID(thread, thread);
  if (thread_arena(thread) != arena || rank != RANK_AMBIG)
    return RES_PARAM;
  res = root_alloc(&root, arena, rank, mode, ROOT_REG);
  if (res != RES_OK)
    return res;
  root->the.reg.thread = thread;
  root->the.reg.scan = scan;
  root->the.reg.p = p;
  root->the.reg.s = s;
  root_link(root);
  *root_o = root;
  return RES_OK;
}

void root_destroy(Root *root)
{
  Arena *arena;

  ASSERT_VALID(root, root);
  arena = root->arena;
  ASSERT(arena_is_locked(arena));
  ring_remove(&root->globals_ring);
  root->sig = SIG_INVALID;
  ring_finish(&root->globals_ring);
  arena_control_free(arena, root, sizeof(Root));
}

/* ---- Threads ---- */

Res roots_thread_reg(Thread **thread_o, Globals *g)
{
  Thread *thread;
  void *p;
  Res res;

  ASSERT(thread_o != NULL);
  ASSERT(root_globals_check(g));
  res = arena_control_alloc(&p, g->arena, sizeof(Thread));
  if (res != RES_OK)
    goto fail_alloc;
  thread = p;
  res = thread_register(thread, g->arena, g->thread_serial);
  if (res != RES_OK)
    goto fail_register;
  ++g->thread_serial;
  ring_append(&g->thread_ring, &thread->globals_ring);
  *thread_o = thread;
  return RES_OK;

fail_register:
  arena_control_free(g->arena, p, sizeof(Thread));
fail_alloc:
  return res;
}

void roots_thread_dereg(Thread *thread)
{
  Arena *arena;
  Globals *g;
  Ring *node, *next;

  ASSERT_VALID(thread, thread);
  arena = thread_arena(thread);
  g = root_arena_globals(arena);
  ASSERT(arena_is_locked(arena));
  /* design.root.thread.dereg */
  RING_FOR(node, &g->root_ring, next) {
    Root *root = RING_ELT(Root, globals_ring, node);
    if (root->var == ROOT_THREAD && root->the.thread.thread == thread)
      root->the.thread.thread = NULL;
    else if (root->var == ROOT_REG && root->the.reg.thread == thread)
      root->the.reg.thread = NULL;
  }
  ring_remove(&thread->globals_ring);
  thread_deregister(thread);
  arena_control_free(arena, thread, sizeof(Thread));
}

void roots_threads_suspend(Globals *g)
{
  ASSERT(root_globals_check(g));
  ASSERT(arena_is_locked(g->arena));
  thread_ring_suspend(&g->thread_ring);
}

void roots_threads_resume(Globals *g)
{
  ASSERT(root_globals_check(g));
  ASSERT(arena_is_locked(g->arena));
  thread_ring_resume(&g->thread_ring);
}

/* ---- Scanning: design.root.scan ---- */

/* A thread's areas go to the root's area scanner. */
typedef struct RootAreaScan {
  ScanState *ss;
  mps_area_scan_t scan;
  void *closure;
} RootAreaScan;

static Res root_area_visit(void *closure, Addr base, Addr limit)
{
  RootAreaScan *ras = closure;
  if (base >= limit)
    return RES_OK;
  return (Res)ras->scan(scan_state_ss(ras->ss), addr_ptr(base), addr_ptr(limit),
                        ras->closure);
}

static Res root_thread_scan(ScanState *ss, Thread *thread, Addr cold,
                            mps_area_scan_t scan, void *closure)
{
  RootAreaScan ras;

  ras.ss = ss;
  ras.scan = scan;
  ras.closure = closure;
  return thread_scan(thread, cold, root_area_visit, &ras);
}

Res root_stack_scan_ambig(ScanState *ss, Thread *thread, Addr cold)
{
  /* design.root.reg.ambig: word-aligned values only */
  mps_scan_tag_s tag = { .mask = sizeof(Word) - 1, .pattern = 0 };

  ASSERT_VALID(scan_state, ss);
  ASSERT(ss->rank == RANK_AMBIG);
  return root_thread_scan(ss, thread, cold, mps_scan_area_tagged, &tag);
}

static Res root_scan(ScanState *ss, Root *root)
{
  mps_ss_t mps_ss = scan_state_ss(ss);

  switch (root->var) {
  case ROOT_FUN:
    return (Res)root->the.fun.scan(mps_ss, root->the.fun.p, root->the.fun.s);
  case ROOT_AREA:
    return (Res)root->the.area.scan(mps_ss, addr_ptr(root->the.area.base),
                                    addr_ptr(root->the.area.limit),
                                    root->the.area.closure);
  case ROOT_FMT:
    return (Res)root->the.fmt.scan(mps_ss, addr_ptr(root->the.fmt.base),
                                   addr_ptr(root->the.fmt.limit));
  case ROOT_THREAD:
    if (root->the.thread.thread == NULL)
      return RES_OK;            /* design.root.thread.dereg */
    return root_thread_scan(ss, root->the.thread.thread, root->the.thread.cold,
                            root->the.thread.scan, root->the.thread.closure);
  case ROOT_REG: {
    Thread *thread = root->the.reg.thread;
    if (thread == NULL || thread_is_dead(thread))
      return RES_OK;
    ASSERT(thread->suspended || thread_is_current(thread));
    return (Res)root->the.reg.scan(mps_ss, thread, root->the.reg.p, root->the.reg.s);
  }
  default:
    NOTREACHED;
    return RES_FAIL;
  }
}

/* design.root.scan.error: a failed scanner of a root over a known area
 * is followed by an ambiguous scan of the whole area (each word as it is
 * and with the bits below a word masked off), so nothing it would have kept dies and nothing it did not
 * update moves.  A client function or thread scanner has no area: what
 * it did not fix before failing is not seen. */
static void root_scan_conservatively(ScanState *failed, Root *root)
{
  Addr base, limit;

  if (root->var == ROOT_AREA) {
    base = root->the.area.base;
    limit = root->the.area.limit;
  } else if (root->var == ROOT_FMT) {
    base = root->the.fmt.base;
    limit = root->the.fmt.limit;
  } else {
    return;
  }
  area_scan_conservatively(failed, base, limit);
}

Res roots_scan(ScanState *ss, Globals *g, Rank rank)
{
  Ring *node, *next;
  Res first = RES_OK;

  ASSERT_VALID(scan_state, ss);
  ASSERT(root_globals_check(g));
  ASSERT(ss->arena == g->arena);
  ASSERT(ss->rank == rank);
  ASSERT(arena_is_locked(g->arena));
  RING_FOR(node, &g->root_ring, next) {
    Root *root = RING_ELT(Root, globals_ring, node);
    Res res;
    ASSERT_VALID(root, root);
    if (root->rank != rank)
      continue;
    res = root_scan(ss, root);
    if (res != RES_OK) {
      /* design.root.scan.error: the other roots are still scanned */
      root_scan_conservatively(ss, root);
      if (first == RES_OK)
        first = res;
    }
  }
  return first;
}

/* ---- Walking: design.root.walk ---- */

/* Which words a known area scanner would fix; ROOT_WALK_NONE for a
 * scanner this module cannot see into. */
typedef enum RootWalkSelect {
  ROOT_WALK_NONE,
  ROOT_WALK_ALL,              /* mps_scan_area, mps_scan_area_masked */
  ROOT_WALK_TAGGED,
  ROOT_WALK_TAGGED_OR_ZERO
} RootWalkSelect;

typedef struct RootWalk {
  Arena *arena;
  Root *root;
  mps_roots_stepper_t f;
  void *p;
  size_t s;
  RootWalkSelect select;
  Word mask, pattern;
  bool copy;                  /* pass copies, not the locations */
} RootWalk;

static void root_walk_select(RootWalk *w, mps_area_scan_t scan, const void *closure)
{
  const mps_scan_tag_s *tag = closure;

  w->mask = 0;
  w->pattern = 0;
  if (scan == mps_scan_area) {
    w->select = ROOT_WALK_ALL;
    return;
  }
  if (scan == mps_scan_area_masked)
    w->select = ROOT_WALK_ALL;
  else if (scan == mps_scan_area_tagged)
    w->select = ROOT_WALK_TAGGED;
  else if (scan == mps_scan_area_tagged_or_zero)
    w->select = ROOT_WALK_TAGGED_OR_ZERO;
  else {
    w->select = ROOT_WALK_NONE;
    return;
  }
  ASSERT(tag != NULL);
  w->mask = tag->mask;
  w->pattern = tag->pattern;
}

/* Visit the words of [base, limit) the root's scanner would fix that
 * point into a segment of an automatically managed pool.  A word with
 * tag bits is passed untagged in a temporary, and so is every word of a
 * thread's stack or registers (design.root.walk.copy); the manual allows
 * the reference not to be the location itself. */
ROOT_NO_ASAN
static Res root_walk_visit(void *closure, Addr base, Addr limit)
{
  RootWalk *w = closure;
  Addr a;

  for (a = base; a < limit; a += sizeof(Word)) {
    Word word = *(const Word *)a;
    Word tag = word & w->mask;
    Addr ref = word ^ tag;
    Seg *seg;

    if (w->select == ROOT_WALK_TAGGED && tag != w->pattern)
      continue;
    if (w->select == ROOT_WALK_TAGGED_OR_ZERO && tag != w->pattern && tag != 0)
      continue;
    if (!arena_seg_of_addr(&seg, w->arena, ref)
        || !pool_has_attr(seg_pool(seg), POOL_ATTR_GC))
      continue;
    if (tag == 0 && !w->copy) {
      w->f((mps_addr_t *)a, w->root, w->p, w->s);
    } else {
      mps_addr_t untagged = addr_ptr(ref);
      w->f(&untagged, w->root, w->p, w->s);
    }
  }
  return RES_OK;
}

/* The fix hook of root_walk_opaque: a reference into a collected pool
 * goes to the stepper, in place. */
static Res root_walk_fix(ScanState *ss, Addr *ref_io)
{
  RootWalk *w = ss->hook_closure;
  Seg *seg;

  if (arena_seg_of_addr(&seg, w->arena, *ref_io)
      && pool_has_attr(seg_pool(seg), POOL_ATTR_GC))
    w->f((mps_addr_t *)(void *)ref_io, w->root, w->p, w->s);
  return RES_OK;
}

static Res root_walk_opaque(RootWalk *w, Root *root)
{
  ScanState ss;
  Res res;

  scan_state_init(&ss, w->arena, TRACESET_EMPTY, root->rank);
  scan_state_set_white(&ss, REFSET_UNIV);   /* every reference to the hook */
  ss.fix_hook = root_walk_fix;
  ss.hook_closure = w;
  res = root_scan(&ss, root);
  scan_state_finish(&ss);
  return res;
}

void roots_walk(Globals *g, mps_roots_stepper_t f, void *p, size_t s)
{
  Ring *node, *next;
  RootWalk w;

  ASSERT(root_globals_check(g));
  ASSERT(arena_is_locked(g->arena));
  ASSERT(f != NULL);
  /* design.root.walk.parked */
  ASSERT(!g->in_collection);
  w.arena = g->arena;
  w.f = f;
  w.p = p;
  w.s = s;
  roots_threads_suspend(g);
  RING_FOR(node, &g->root_ring, next) {
    Root *root = RING_ELT(Root, globals_ring, node);
    Res res = RES_OK;

    ASSERT_VALID(root, root);
    w.root = root;
    switch (root->var) {
    case ROOT_AREA:
      root_walk_select(&w, root->the.area.scan, root->the.area.closure);
      w.copy = false;
      if (w.select != ROOT_WALK_NONE)
        res = root_walk_visit(&w, root->the.area.base, root->the.area.limit);
      else
        res = root_walk_opaque(&w, root);
      break;
    case ROOT_THREAD:
      root_walk_select(&w, root->the.thread.scan, root->the.thread.closure);
      w.copy = true;
      if (root->the.thread.thread == NULL)
        break;
      if (w.select != ROOT_WALK_NONE)
        res = thread_scan(root->the.thread.thread, root->the.thread.cold,
                          root_walk_visit, &w);
      else
        res = root_walk_opaque(&w, root);
      break;
    default:
      /* design.root.walk.opaque: a client scanner's references are seen
       * through a scan state whose fix calls back. */
      res = root_walk_opaque(&w, root);
      break;
    }
    ASSERT(res == RES_OK);      /* the visitor never fails */
    UNUSED(res);
  }
  roots_threads_resume(g);
}
