/* trace/verify.c -- the heap verifier (LAGOON_VERIFY=1, cool only).
 * Design: manual/design/verify.rst */
#include "trace/verify.h"

#if VERIFY_CONFIGURED

#include "trace/root.h"
#include "trace/message.h"
#include "trace/walk.h"
#include "base/bt.h"
#include "platform/vm.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* design.verify.env: -1 until the environment is read, then 0 (off) or
 * 1 (on).  Relaxed: every thread that reads the environment stores the
 * same answer, and nothing else is published through it. */
static _Atomic int verify_state = -1;
/* design.verify.count: relaxed, a statistic for tests. */
static _Atomic Count verify_runs;

bool verify_enabled(void)
{
  int on = atomic_load_explicit(&verify_state, memory_order_relaxed);

  if (UNLIKELY(on < 0)) {
    const char *s = getenv("LAGOON_VERIFY");
    on = s != NULL && s[0] != '\0' && strcmp(s, "0") != 0;
    atomic_store_explicit(&verify_state, on, memory_order_relaxed);
  }
  return on != 0;
}

Count verify_count(void)
{
  return atomic_load_explicit(&verify_runs, memory_order_relaxed);
}

/* design.verify.index: the client pointers of the objects of one
 * segment of a walkable pool, one bit per alignment unit of the pool
 * from the segment's base (bit i: an object's base is at base + i *
 * align). */
typedef struct VerifyEntry {
  const Seg *seg;
  Word *starts;
} VerifyEntry;

typedef struct VerifyIndex {
  bool ready;                 /* false: look every reference up with
                                 addr_object (design.verify.index.fail) */
  VM vm;                      /* holds entries, then the bit tables */
  VerifyEntry *entries;       /* sorted by segment base */
  Count count;
} VerifyIndex;

/* What holds the references being checked, for the failure message. */
typedef enum VerifyHolder {
  VERIFY_OBJECT,              /* a formatted object of `pool` */
  VERIFY_ROOT,                /* `root` */
  VERIFY_MESSAGE              /* a finalization message */
} VerifyHolder;

typedef struct Verify {
  Arena *arena;
  const char *when;
  VerifyHolder holder;
  const Pool *pool;           /* VERIFY_OBJECT */
  const Root *root;           /* VERIFY_ROOT */
  /* The holder's memory, [base, limit): a client pointer and the next
   * one for an object, the area of an area or format root; empty when
   * unknown.  A slot inside it is reported as an offset. */
  Addr base, limit;
  VerifyIndex index;
} Verify;

/* ---- The failure message: design.verify.fail ----
 * Built in a buffer with the plinth's habits (no stdio in the core). */

#define VERIFY_MSG_SIZE 400

typedef struct VerifyMsg {
  char buf[VERIFY_MSG_SIZE];
  size_t len;
} VerifyMsg;

static void verify_msg_str(VerifyMsg *m, const char *s)
{
  while (*s != '\0' && m->len + 1 < sizeof m->buf)
    m->buf[m->len++] = *s++;
  m->buf[m->len] = '\0';
}

static void verify_msg_word(VerifyMsg *m, Word w, unsigned base)
{
  char digits[2 + 2 * sizeof(Word) + 1];
  size_t i = sizeof digits - 1;

  digits[i] = '\0';
  do {
    digits[--i] = "0123456789abcdef"[w % base];
    w /= base;
  } while (w != 0);
  if (base == 16) {
    digits[--i] = 'x';
    digits[--i] = '0';
  }
  verify_msg_str(m, &digits[i]);
}

static void verify_msg_pool(VerifyMsg *m, const Pool *pool)
{
  verify_msg_str(m, "pool ");
  verify_msg_str(m, pool->klass->name);
  verify_msg_str(m, " #");
  verify_msg_word(m, pool->serial, 10);
}

static void verify_msg_holder(VerifyMsg *m, const Verify *v, const Addr *slot)
{
  static const char *const rank_names[RANK_LIMIT] = {"ambiguous", "exact", "final", "weak"};

  switch (v->holder) {
  case VERIFY_OBJECT:
    verify_msg_str(m, "object ");
    verify_msg_word(m, v->base, 16);
    verify_msg_str(m, " of ");
    verify_msg_pool(m, v->pool);
    break;
  case VERIFY_ROOT:
    verify_msg_str(m, "root ");
    verify_msg_word(m, ptr_addr(v->root), 16);
    verify_msg_str(m, " (serial ");
    verify_msg_word(m, v->root->serial, 10);
    verify_msg_str(m, ", ");
    verify_msg_str(m, rank_names[v->root->rank]);
    verify_msg_str(m, ")");
    break;
  case VERIFY_MESSAGE:
    verify_msg_str(m, "a finalization message");
    break;
  }
  /* Scanners may fix a copy of the slot: only a slot inside the holder
   * names a place. */
  if ((Addr)slot >= v->base && (Addr)slot < v->limit) {
    verify_msg_str(m, " at +");
    verify_msg_word(m, (Addr)slot - v->base, 16);
  }
}

/* Fail with: "LAGOON_VERIFY at <when>: <holder> refers to <ref>, <what>".
 * `pool` names the pool of the reference's segment, if any; `object` the
 * object the reference lies inside, if any. */
__attribute__((noreturn, cold))
static void verify_fail(const Verify *v, const Addr *slot, Addr ref, const Pool *pool,
                        const char *what, Addr object)
{
  VerifyMsg m;

  m.len = 0;
  m.buf[0] = '\0';
  verify_msg_str(&m, "LAGOON_VERIFY at ");
  verify_msg_str(&m, v->when);
  verify_msg_str(&m, ": ");
  verify_msg_holder(&m, v, slot);
  verify_msg_str(&m, " refers to ");
  verify_msg_word(&m, ref, 16);
  verify_msg_str(&m, ", ");
  verify_msg_str(&m, what);
  if (object != 0) {
    verify_msg_str(&m, " ");
    verify_msg_word(&m, object, 16);
  }
  if (pool != NULL) {
    verify_msg_str(&m, " of ");
    verify_msg_pool(&m, pool);
  }
  check_fail(__FILE__, __LINE__, m.buf);
}

/* ---- The index of objects: design.verify.index ---- */

/* Whether pool's objects go into the index: it can walk them and step
 * from one to the next. */
static bool verify_pool_indexed(const Pool *pool)
{
  return walk_pool_can(pool) && pool->format->skip != NULL;
}

static Count verify_seg_units(const Seg *seg)
{
  return seg_size(seg) / pool_align(seg_pool(seg));
}

/* The area function of the indexing walk: mark each object's base. */
static mps_res_t verify_index_area(mps_ss_t mps_ss, void *base, void *limit, void *closure)
{
  const VerifyEntry *entry = closure;
  const Pool *pool = seg_pool(entry->seg);
  const Format *format = pool->format;
  Addr obj;

  UNUSED(mps_ss);
  for (obj = ptr_addr(base); obj < ptr_addr(limit); obj = format_skip(format, obj)) {
    Addr block = format_base_of_client(format, obj);
    ASSERT(block >= seg_base(entry->seg) && block < seg_limit(entry->seg));
    ASSERT(addr_is_aligned(block - seg_base(entry->seg), pool_align(pool)));
    bt_set(entry->starts, (block - seg_base(entry->seg)) / pool_align(pool));
  }
  return MPS_RES_OK;
}

static int verify_entry_compare(const void *a, const void *b)
{
  Addr x = seg_base(((const VerifyEntry *)a)->seg);
  Addr y = seg_base(((const VerifyEntry *)b)->seg);
  return (x > y) - (x < y);
}

/* Walk every segment of the indexed pools into the index.  On failure
 * to get memory for it, the index stays unready.
 * design.verify.index.fail */
static void verify_index_build(VerifyIndex *index, Arena *arena)
{
  Ring *pnode, *pnext, *snode, *snext;
  Size size = 0;
  Count count = 0;
  Addr tables;
  ScanState ss;

  index->ready = false;
  index->entries = NULL;
  index->count = 0;
  RING_FOR(pnode, arena_pool_ring(arena), pnext) {
    Pool *pool = RING_ELT(Pool, arena_ring, pnode);
    if (!verify_pool_indexed(pool))
      continue;
    RING_FOR(snode, &pool->seg_ring, snext) {
      size += bt_size(verify_seg_units(RING_ELT(Seg, pool_ring, snode)));
      ++count;
    }
  }
  if (count == 0)
    return;
  size += count * sizeof(VerifyEntry);
  if (vm_reserve(&index->vm, size, sizeof(Word)) != RES_OK)
    return;
  /* fresh pages read as zero: every bit table starts empty */
  if (vm_commit(&index->vm, vm_base(&index->vm), vm_reserved(&index->vm)) != RES_OK) {
    vm_release(&index->vm);
    return;
  }
  index->entries = addr_ptr(vm_base(&index->vm));
  tables = vm_base(&index->vm) + count * sizeof(VerifyEntry);
  scan_state_init(&ss, arena, TRACESET_EMPTY, RANK_EXACT);
  RING_FOR(pnode, arena_pool_ring(arena), pnext) {
    Pool *pool = RING_ELT(Pool, arena_ring, pnode);
    if (!verify_pool_indexed(pool))
      continue;
    RING_FOR(snode, &pool->seg_ring, snext) {
      Seg *seg = RING_ELT(Seg, pool_ring, snode);
      VerifyEntry *entry = &index->entries[index->count++];
      Res res;

      entry->seg = seg;
      entry->starts = addr_ptr(tables);
      tables += bt_size(verify_seg_units(seg));
      res = pool->klass->walk(pool, seg, &ss, verify_index_area, entry);
      ASSERT(res == RES_OK);    /* verify_index_area never fails */
      UNUSED(res);
    }
  }
  scan_state_finish(&ss);
  ASSERT(index->count == count);
  qsort(index->entries, count, sizeof(VerifyEntry), verify_entry_compare);
  index->ready = true;
}

static void verify_index_release(VerifyIndex *index)
{
  if (index->ready)
    vm_release(&index->vm);
  index->ready = false;
}

/* The entry of seg, or NULL if seg is not indexed. */
static const VerifyEntry *verify_index_find(const VerifyIndex *index, const Seg *seg)
{
  Count low = 0, high = index->count;

  if (!index->ready)
    return NULL;
  while (low < high) {
    Count mid = low + (high - low) / 2;
    const VerifyEntry *entry = &index->entries[mid];
    if (entry->seg == seg)
      return entry;
    if (seg_base(entry->seg) < seg_base(seg))
      low = mid + 1;
    else
      high = mid;
  }
  return NULL;
}

/* Whether an object of entry's segment has its base at block. */
static bool verify_entry_has(const VerifyEntry *entry, const Pool *pool, Addr block)
{
  Addr base = seg_base(entry->seg);
  return block >= base && addr_is_aligned(block - base, pool_align(pool))
         && bt_get(entry->starts, (block - base) / pool_align(pool));
}

/* ---- Checking one reference: design.verify.ref ---- */

static void verify_ref(const Verify *v, const Addr *slot, Addr ref)
{
  const VerifyEntry *entry;
  Seg *seg;
  Pool *pool;
  Size header;
  Addr client;
  Res res;

  if (ref == 0 || !arena_has_addr(v->arena, ref))
    return;                     /* design.verify.ref.outside */
  if (!arena_seg_of_addr(&seg, v->arena, ref))
    verify_fail(v, slot, ref, NULL, "which is in no segment (freed memory)", 0);
  pool = seg_pool(seg);
  ASSERT_VALID(pool, pool);
  /* design.verify.ref.manual: a class that cannot find objects */
  if (pool->klass->addr_object == pool_no_addr_object)
    return;
  /* design.verify.ref.header: the object's base is header_size before
   * the client pointer, and lies in the object however small it is. */
  header = pool->format != NULL ? pool->format->header_size : 0;
  if (ref - seg_base(seg) < header)
    verify_fail(v, slot, ref, pool, "which is before every object of its segment", 0);
  entry = verify_index_find(&v->index, seg);
  if (entry != NULL && verify_entry_has(entry, pool, ref - header))
    return;                     /* design.verify.index */
  /* Not indexed, or not an object: the pool says which. */
  res = pool->klass->addr_object(&client, pool, seg, ref - header);
  if (res == RES_UNIMPL)
    return;
  if (res != RES_OK)
    verify_fail(v, slot, ref, pool,
                "which is in no object (freed, padding or unused buffer space)", 0);
  /* design.verify.ref.start */
  if (client != ref)
    verify_fail(v, slot, ref, pool, "which is inside, not at the start of, object",
                client);
  /* design.verify.index.agree */
  if (entry != NULL)
    verify_fail(v, slot, ref, pool, "an object the pool's walk does not visit", 0);
}

/* The fix hook: every reference the scanner reports, left unchanged. */
static Res verify_fix(ScanState *ss, Addr *ref_io)
{
  const Verify *v = ss->hook_closure;

  ++ss->fix_ref_count;
  verify_ref(v, ref_io, *ref_io);
  return RES_OK;
}

/* A scan state that sends every reference to verify_fix: no traces, and
 * the universal white set so that MPS_FIX1 lets everything through. */
static void verify_ss_init(ScanState *ss, Verify *v, Rank rank)
{
  scan_state_init(ss, v->arena, TRACESET_EMPTY, rank);
  scan_state_set_white(ss, REFSET_UNIV);
  ss->fix_hook = verify_fix;
  ss->hook_closure = v;
}

/* ---- Objects: design.verify.objects ---- */

/* The area function of the walk: scan each object of a run alone, so a
 * failure names it. */
static mps_res_t verify_area(mps_ss_t mps_ss, void *base, void *limit, void *closure)
{
  ScanState *ss = scan_state_of_ss(mps_ss);
  Verify *v = closure;
  const Format *format = v->pool->format;
  Addr obj, next;

  if (format->skip == NULL) {
    v->base = ptr_addr(base);
    v->limit = ptr_addr(limit);
    (void)scan_format(ss, format, v->base, v->limit);
    return MPS_RES_OK;
  }
  for (obj = ptr_addr(base); obj < ptr_addr(limit); obj = next) {
    next = format_skip(format, obj);
    ASSERT(next > obj && next <= ptr_addr(limit));
    v->base = obj;
    v->limit = next;
    /* design.verify.result: a client scanner's error is the collector's
     * business; the verifier goes on. */
    (void)scan_format(ss, format, obj, next);
  }
  return MPS_RES_OK;
}

static void verify_pool(Verify *v, Pool *pool)
{
  Ring *node, *next;

  v->holder = VERIFY_OBJECT;
  v->pool = pool;
  RING_FOR(node, &pool->seg_ring, next) {
    Seg *seg = RING_ELT(Seg, pool_ring, node);
    Rank rank = seg_rank(seg);
    ScanState ss;
    Res res;

    ASSERT_VALID(seg, seg);
    /* design.verify.objects.rank: leaves hold no references, and an
     * ambiguous one may point anywhere. */
    if (rank == RANK_LIMIT || rank == RANK_AMBIG)
      continue;
    verify_ss_init(&ss, v, rank);
    res = pool->klass->walk(pool, seg, &ss, verify_area, v);
    ASSERT(res == RES_OK);      /* verify_area never fails */
    UNUSED(res);
    scan_state_finish(&ss);
  }
}

static void verify_pools(Verify *v)
{
  Ring *node, *next;

  RING_FOR(node, arena_pool_ring(v->arena), next) {
    Pool *pool = RING_ELT(Pool, arena_ring, node);
    /* design.verify.objects: pools the walk cannot visit are left out */
    if (walk_pool_can(pool) && pool->format->scan != NULL)
      verify_pool(v, pool);
  }
}

/* ---- Roots and messages: design.verify.roots ---- */

static void verify_root(Verify *v, Root *root)
{
  mps_ss_t mps_ss;
  ScanState ss;

  v->holder = VERIFY_ROOT;
  v->root = root;
  v->base = v->limit = 0;
  verify_ss_init(&ss, v, root->rank);
  mps_ss = scan_state_ss(&ss);
  /* design.root.thread.ambig: thread and register roots are ambiguous,
   * so not here.  Results are ignored (design.verify.result). */
  switch (root->var) {
  case ROOT_FUN:
    (void)root->the.fun.scan(mps_ss, root->the.fun.p, root->the.fun.s);
    break;
  case ROOT_AREA:
    v->base = root->the.area.base;
    v->limit = root->the.area.limit;
    (void)root->the.area.scan(mps_ss, addr_ptr(v->base), addr_ptr(v->limit),
                              root->the.area.closure);
    break;
  case ROOT_FMT:
    v->base = root->the.fmt.base;
    v->limit = root->the.fmt.limit;
    (void)root->the.fmt.scan(mps_ss, addr_ptr(v->base), addr_ptr(v->limit));
    break;
  default:
    NOTREACHED;
    break;
  }
  scan_state_finish(&ss);
}

static void verify_roots(Verify *v, Globals *g)
{
  Ring *node, *next;
  ScanState ss;
  Res res;

  RING_FOR(node, &g->root_ring, next) {
    Root *root = RING_ELT(Root, globals_ring, node);
    ASSERT_VALID(root, root);
    /* design.verify.roots.ambig */
    if (root->rank != RANK_AMBIG)
      verify_root(v, root);
  }
  v->holder = VERIFY_MESSAGE;
  v->base = v->limit = 0;
  verify_ss_init(&ss, v, RANK_EXACT);
  res = messages_scan(&ss, g);
  ASSERT(res == RES_OK);        /* the hook never fails */
  UNUSED(res);
  scan_state_finish(&ss);
}

/* ---- The verification ---- */

void verify_heap(Arena *arena, const char *when)
{
  int on = atomic_load_explicit(&verify_state, memory_order_relaxed);
  Verify v;

  /* design.verify.cost: off, this test of the cached flag is the whole
   * cost (after the first collection has read the environment) */
  if (LIKELY(on == 0) || (on < 0 && !verify_enabled()))
    return;
  ASSERT_VALID(arena, arena);
  ASSERT(arena_is_locked(arena));
  ASSERT(when != NULL);
  ASSERT(arena_globals(arena) != NULL);
  ASSERT(arena_verify(arena));
  v.arena = arena;
  v.when = when;
  v.holder = VERIFY_OBJECT;
  v.pool = NULL;
  v.root = NULL;
  v.base = v.limit = 0;
  verify_index_build(&v.index, arena);
  verify_pools(&v);
  verify_roots(&v, arena_globals(arena));
  verify_index_release(&v.index);
  atomic_fetch_add_explicit(&verify_runs, 1, memory_order_relaxed);
}

#endif /* VERIFY_CONFIGURED */
