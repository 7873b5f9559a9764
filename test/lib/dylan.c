/* test/lib/dylan.c -- the toy Dylan-like format; see dylan.h.
 * Design: manual/design/scan.rst */
#include "dylan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Word-0 tags of the variant without a header. */
#define TAG_MASK ((mps_word_t)7)
#define TAG_PAD1 ((mps_word_t)1)
#define TAG_PADN ((mps_word_t)3)
#define TAG_FWD1 ((mps_word_t)2)
#define TAG_FWDN ((mps_word_t)6)

/* Header kinds of the variant with a header. */
#define HDR_OBJECT ((mps_word_t)1)
#define HDR_PAD ((mps_word_t)3)
#define HDR_FWD ((mps_word_t)5)

#define MAX_FIXED 4096u          /* a sanity bound for dylan_check */

static unsigned long commit_failures;   /* atomic: see dylan_make */

static void dylan_die(const char *what, const void *obj)
{
  /* A corrupt heap: make it loud.  (Format methods should not call the C
   * library, but a test that reaches here has failed anyway.) */
  fprintf(stderr, "dylan: %s at %p\n", what, obj);
  abort();
}

static size_t var_words(int var_kind, size_t var_len)
{
  switch (var_kind) {
  case DYLAN_VAR_NONE: return 0;
  case DYLAN_VAR_WORDS: return 1 + var_len;
  case DYLAN_VAR_BYTES: return 1 + (var_len + DYLAN_WORD - 1) / DYLAN_WORD;
  default: dylan_die("bad variable kind", NULL); return 0;
  }
}

size_t dylan_block_size(size_t header_size, size_t fixed, int var_kind,
                        size_t var_len)
{
  return header_size + DYLAN_WORD * (1 + fixed + var_words(var_kind, var_len));
}

/* Size of the ordinary object obj, header included, read through its
 * (possibly forwarded: words 2 and 3 survive) wrapper. */
static size_t object_size(const mps_word_t *obj, size_t header_size)
{
  const mps_word_t *wrapper = (const mps_word_t *)obj[0];
  size_t fixed = (size_t)dylan_int_value(wrapper[2]);
  int var_kind = (int)dylan_int_value(wrapper[3]);
  size_t len = 0;
  if (var_kind != DYLAN_VAR_NONE)
    len = (size_t)dylan_int_value(obj[1 + fixed]);
  return dylan_block_size(header_size, fixed, var_kind, len);
}

int dylan_kind(mps_addr_t addr, size_t header_size)
{
  const mps_word_t *obj = addr;
  if (header_size == 0) {
    mps_word_t w = obj[0];
    if (w == TAG_PAD1 || w == TAG_PADN)
      return DYLAN_KIND_PAD;
    if ((w & TAG_MASK) == TAG_FWD1 || (w & TAG_MASK) == TAG_FWDN)
      return DYLAN_KIND_FWD;
    if (w != 0 && (w & TAG_MASK) == 0)
      return DYLAN_KIND_OBJECT;
    return DYLAN_KIND_BAD;
  } else {
    mps_word_t h = ((const mps_word_t *)((const char *)addr - header_size))[0];
    switch (h & TAG_MASK) {
    case HDR_OBJECT: return DYLAN_KIND_OBJECT;
    case HDR_PAD: return DYLAN_KIND_PAD;
    case HDR_FWD: return DYLAN_KIND_FWD;
    default: return DYLAN_KIND_BAD;
    }
  }
}

static mps_word_t header_word(const mps_word_t *obj, size_t header_size)
{
  return ((const mps_word_t *)((const char *)obj - header_size))[0];
}

/* Size of any block (object, pad or forwarding object), header included. */
static size_t block_size(const mps_word_t *obj, size_t header_size)
{
  if (header_size == 0) {
    mps_word_t w = obj[0];
    if (w == TAG_PAD1 || (w & TAG_MASK) == TAG_FWD1)
      return DYLAN_WORD;
    if (w == TAG_PADN || (w & TAG_MASK) == TAG_FWDN)
      return (size_t)obj[1];
    if (w != 0 && (w & TAG_MASK) == 0)
      return object_size(obj, 0);
  } else {
    mps_word_t h = header_word(obj, header_size);
    switch (h & TAG_MASK) {
    case HDR_OBJECT:
    case HDR_PAD:
    case HDR_FWD:
      return (size_t)(h >> 3);
    default:
      break;
    }
  }
  dylan_die("not a block of the format", obj);
  return 0;
}

/* Fix one slot if it holds a reference; the scan state's locals are
 * in scope (inside MPS_SCAN_BEGIN). */
#define FIX_SLOT(ss, slot) \
  do { \
    mps_word_t _w = (slot); \
    if (dylan_is_ref(_w)) { \
      mps_addr_t _ref = (mps_addr_t)_w; \
      if (MPS_FIX1(ss, _ref)) { \
        mps_res_t _res = MPS_FIX2(ss, &_ref); \
        if (_res != MPS_RES_OK) \
          return _res; \
        (slot) = (mps_word_t)_ref; \
      } \
    } \
  } while (0)

static mps_res_t scan_gen(mps_ss_t ss, mps_addr_t base, mps_addr_t limit,
                          size_t header_size)
{
  MPS_SCAN_BEGIN(ss) {
    char *p = base;
    while (p < (char *)limit) {
      mps_word_t *obj = (mps_word_t *)p;
      if (dylan_kind(obj, header_size) == DYLAN_KIND_OBJECT) {
        const mps_word_t *wrapper;
        size_t fixed, i;
        int var_kind;
        /* The wrapper first, so that the layout is read from where the
         * wrapper is now. */
        FIX_SLOT(ss, obj[0]);
        wrapper = (const mps_word_t *)obj[0];
        fixed = (size_t)dylan_int_value(wrapper[2]);
        var_kind = (int)dylan_int_value(wrapper[3]);
        for (i = 1; i <= fixed; ++i)
          FIX_SLOT(ss, obj[i]);
        if (var_kind == DYLAN_VAR_WORDS) {
          size_t n = (size_t)dylan_int_value(obj[1 + fixed]);
          for (i = 0; i < n; ++i)
            FIX_SLOT(ss, obj[2 + fixed + i]);
        }
      } else if (dylan_kind(obj, header_size) == DYLAN_KIND_BAD) {
        dylan_die("scan met a bad block", obj);
      }
      /* pads and forwarding objects hold nothing to fix */
      p += block_size(obj, header_size);
    }
  } MPS_SCAN_END(ss);
  return MPS_RES_OK;
}

static void fwd_gen(mps_addr_t old, mps_addr_t new_addr, size_t header_size)
{
  mps_word_t *obj = old;
  size_t size = block_size(obj, header_size);
  if (header_size == 0) {
    if (size == DYLAN_WORD) {
      obj[0] = (mps_word_t)new_addr | TAG_FWD1;
    } else {
      obj[0] = (mps_word_t)new_addr | TAG_FWDN;
      obj[1] = (mps_word_t)size;
    }
  } else {
    ((mps_word_t *)((char *)old - header_size))[0] = ((mps_word_t)size << 3) | HDR_FWD;
    obj[0] = (mps_word_t)new_addr;
  }
}

static mps_addr_t isfwd_gen(mps_addr_t addr, size_t header_size)
{
  const mps_word_t *obj = addr;
  if (header_size == 0) {
    mps_word_t w = obj[0];
    if ((w & TAG_MASK) == TAG_FWD1 || (w & TAG_MASK) == TAG_FWDN)
      return (mps_addr_t)(w & ~TAG_MASK);
    return NULL;
  }
  if ((header_word(obj, header_size) & TAG_MASK) == HDR_FWD)
    return (mps_addr_t)obj[0];
  return NULL;
}

mps_res_t dylan_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  return scan_gen(ss, base, limit, 0);
}

mps_addr_t dylan_skip(mps_addr_t obj)
{
  return (char *)obj + block_size(obj, 0);
}

void dylan_fwd(mps_addr_t old, mps_addr_t new_addr)
{
  fwd_gen(old, new_addr, 0);
}

mps_addr_t dylan_isfwd(mps_addr_t obj)
{
  return isfwd_gen(obj, 0);
}

void dylan_pad(mps_addr_t base, size_t size)
{
  mps_word_t *p = base;
  if (size == 0 || size % DYLAN_ALIGN != 0)
    dylan_die("bad pad size", base);
  if (size == DYLAN_WORD) {
    p[0] = TAG_PAD1;
  } else {
    p[0] = TAG_PADN;
    p[1] = (mps_word_t)size;
  }
}

mps_res_t dylan_h_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  return scan_gen(ss, base, limit, DYLAN_HEADER_SIZE);
}

mps_addr_t dylan_h_skip(mps_addr_t obj)
{
  return (char *)obj + block_size(obj, DYLAN_HEADER_SIZE);
}

void dylan_h_fwd(mps_addr_t old, mps_addr_t new_addr)
{
  fwd_gen(old, new_addr, DYLAN_HEADER_SIZE);
}

mps_addr_t dylan_h_isfwd(mps_addr_t obj)
{
  return isfwd_gen(obj, DYLAN_HEADER_SIZE);
}

void dylan_h_pad(mps_addr_t base, size_t size)
{
  /* A base pointer: the header is the block's first word, so a pad can be
   * as small as the header. */
  if (size == 0 || size % DYLAN_ALIGN != 0)
    dylan_die("bad pad size", base);
  ((mps_word_t *)base)[0] = ((mps_word_t)size << 3) | HDR_PAD;
}

mps_res_t dylan_fmt_create(mps_fmt_t *fmt_o, mps_arena_t arena, size_t header_size)
{
  mps_res_t res;
  bool h = header_size != 0;
  if (header_size != 0 && header_size != DYLAN_HEADER_SIZE)
    return MPS_RES_PARAM;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, (mps_align_t)DYLAN_ALIGN);
    if (h)
      MPS_ARGS_ADD(args, MPS_KEY_FMT_HEADER_SIZE, header_size);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, h ? dylan_h_scan : dylan_scan);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, h ? dylan_h_skip : dylan_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_FWD, h ? dylan_h_fwd : dylan_fwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ISFWD, h ? dylan_h_isfwd : dylan_isfwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, h ? dylan_h_pad : dylan_pad);
    res = mps_fmt_create_k(fmt_o, arena, args);
  } MPS_ARGS_END(args);
  return res;
}

static bool wrapper_plausible(const mps_word_t *wrapper)
{
  const mps_word_t *ww;
  long fixed, var_kind;
  if (!dylan_is_ref((mps_word_t)wrapper) || ((mps_word_t)wrapper & TAG_MASK) != 0)
    return false;
  ww = (const mps_word_t *)wrapper[0];
  if (!dylan_is_ref((mps_word_t)ww) || ((mps_word_t)ww & TAG_MASK) != 0)
    return false;
  /* The wrapper-wrapper is its own wrapper, of the wrapper class, with the
   * wrapper layout. */
  if ((const mps_word_t *)ww[0] != ww || ww[1] != dylan_int(DYLAN_CLASS_WRAPPER)
      || ww[2] != dylan_int(DYLAN_WRAPPER_WORDS - 1)
      || ww[3] != dylan_int(DYLAN_VAR_NONE))
    return false;
  if (!dylan_is_int(wrapper[1]) || !dylan_is_int(wrapper[2]) || !dylan_is_int(wrapper[3]))
    return false;
  fixed = dylan_int_value(wrapper[2]);
  var_kind = dylan_int_value(wrapper[3]);
  return fixed >= 0 && fixed <= (long)MAX_FIXED
         && (var_kind == DYLAN_VAR_NONE || var_kind == DYLAN_VAR_WORDS
             || var_kind == DYLAN_VAR_BYTES);
}

bool dylan_check(mps_addr_t addr, size_t header_size)
{
  const mps_word_t *obj = addr;
  const mps_word_t *wrapper;
  size_t fixed;
  int var_kind;
  if (addr == NULL || ((mps_word_t)addr & TAG_MASK) != 0)
    return false;
  if (dylan_kind(addr, header_size) != DYLAN_KIND_OBJECT)
    return false;
  wrapper = (const mps_word_t *)obj[0];
  if (!wrapper_plausible(wrapper))
    return false;
  fixed = (size_t)dylan_int_value(wrapper[2]);
  var_kind = (int)dylan_int_value(wrapper[3]);
  if (var_kind != DYLAN_VAR_NONE && !dylan_is_int(obj[1 + fixed]))
    return false;
  if (header_size != 0 && (header_word(obj, header_size) >> 3) != object_size(obj, header_size))
    return false;
  return true;
}

unsigned long dylan_commit_failures(void)
{
  return __atomic_load_n(&commit_failures, __ATOMIC_RELAXED);
}

/* The reserve/initialise/commit loop: init(base + header) builds the body
 * of a block of `size` bytes. */
typedef void (*InitFn)(mps_word_t *obj, const void *closure);

static mps_res_t make_block(mps_addr_t *obj_o, mps_ap_t ap, size_t header_size,
                            size_t size, InitFn init, const void *closure)
{
  mps_addr_t p;
  mps_word_t *obj;
  for (;;) {
    mps_res_t res = mps_reserve(&p, ap, size);
    if (res != MPS_RES_OK)
      return res;
    obj = (mps_word_t *)((char *)p + header_size);
    if (header_size != 0)
      ((mps_word_t *)p)[0] = ((mps_word_t)size << 3) | HDR_OBJECT;
    init(obj, closure);
    if (mps_commit(ap, p, size))
      break;
    __atomic_fetch_add(&commit_failures, 1, __ATOMIC_RELAXED);
  }
  *obj_o = obj;
  return MPS_RES_OK;
}

typedef struct MakeClosure {
  const mps_word_t *wrapper;
  size_t fixed;
  int var_kind;
  const mps_word_t *fixed_init;
  size_t var_len;
  const void *var_init;
} MakeClosure;

static void init_object(mps_word_t *obj, const void *closure)
{
  const MakeClosure *c = closure;
  size_t i;
  obj[0] = (mps_word_t)c->wrapper;
  for (i = 0; i < c->fixed; ++i)
    obj[1 + i] = c->fixed_init != NULL ? c->fixed_init[i] : 0;
  if (c->var_kind == DYLAN_VAR_NONE)
    return;
  obj[1 + c->fixed] = dylan_int((long)c->var_len);
  if (c->var_kind == DYLAN_VAR_WORDS) {
    const mps_word_t *v = c->var_init;
    for (i = 0; i < c->var_len; ++i)
      obj[2 + c->fixed + i] = v != NULL ? v[i] : 0;
  } else {
    size_t words = (c->var_len + DYLAN_WORD - 1) / DYLAN_WORD;
    for (i = 0; i < words; ++i)
      obj[2 + c->fixed + i] = 0;
    if (c->var_init != NULL)
      memcpy(&obj[2 + c->fixed], c->var_init, c->var_len);
  }
}

mps_res_t dylan_make(mps_addr_t *obj_o, mps_ap_t ap, size_t header_size,
                     mps_addr_t wrapper, const mps_word_t *fixed,
                     size_t var_len, const void *var)
{
  MakeClosure c;
  const mps_word_t *w = wrapper;
  if (!wrapper_plausible(w))
    dylan_die("dylan_make: not a wrapper", wrapper);
  c.wrapper = w;
  c.fixed = (size_t)dylan_int_value(w[2]);
  c.var_kind = (int)dylan_int_value(w[3]);
  c.fixed_init = fixed;
  c.var_len = c.var_kind == DYLAN_VAR_NONE ? 0 : var_len;
  c.var_init = var;
  return make_block(obj_o, ap, header_size,
                    dylan_block_size(header_size, c.fixed, c.var_kind, c.var_len),
                    init_object, &c);
}

static void init_ww(mps_word_t *obj, const void *closure)
{
  (void)closure;
  obj[0] = (mps_word_t)obj;     /* its own wrapper */
  obj[1] = dylan_int(DYLAN_CLASS_WRAPPER);
  obj[2] = dylan_int(DYLAN_WRAPPER_WORDS - 1);
  obj[3] = dylan_int(DYLAN_VAR_NONE);
}

mps_res_t dylan_make_wrapper_wrapper(mps_addr_t *ww_o, mps_ap_t ap, size_t header_size)
{
  return make_block(ww_o, ap, header_size,
                    dylan_block_size(header_size, DYLAN_WRAPPER_WORDS - 1,
                                     DYLAN_VAR_NONE, 0),
                    init_ww, NULL);
}

mps_res_t dylan_make_wrapper(mps_addr_t *wrapper_o, mps_ap_t ap, size_t header_size,
                             mps_addr_t ww, unsigned class_id, size_t fixed,
                             int var_kind)
{
  mps_word_t slots[DYLAN_WRAPPER_WORDS - 1];
  slots[0] = dylan_int((long)class_id);
  slots[1] = dylan_int((long)fixed);
  slots[2] = dylan_int(var_kind);
  if (fixed > MAX_FIXED || var_kind < DYLAN_VAR_NONE || var_kind > DYLAN_VAR_BYTES)
    return MPS_RES_PARAM;
  return dylan_make(wrapper_o, ap, header_size, ww, slots, 0, NULL);
}

static DylanStaticWrapper static_ww;

static void static_ww_init(void)
{
  /* Idempotent: every caller stores the same values. */
  static_ww.header = ((mps_word_t)sizeof static_ww << 3) | HDR_OBJECT;
  init_ww(static_ww.words, NULL);
}

mps_addr_t dylan_static_wrapper(DylanStaticWrapper *sw, unsigned class_id,
                                size_t fixed, int var_kind)
{
  static_ww_init();
  sw->header = ((mps_word_t)sizeof *sw << 3) | HDR_OBJECT;
  sw->words[0] = (mps_word_t)static_ww.words;
  sw->words[1] = dylan_int((long)class_id);
  sw->words[2] = dylan_int((long)fixed);
  sw->words[3] = dylan_int(var_kind);
  return sw->words;
}

static void census_step(mps_addr_t addr, mps_fmt_t fmt, mps_pool_t pool,
                        void *p, size_t s)
{
  DylanCensus *c = p;
  unsigned id;
  (void)s;
  if (c->pool != NULL ? pool != c->pool : fmt != c->fmt)
    return;
  switch (dylan_kind(addr, c->header_size)) {
  case DYLAN_KIND_PAD:
    ++c->pads;
    return;
  case DYLAN_KIND_OBJECT:
    if (dylan_check(addr, c->header_size))
      break;
    /* fall through */
  default:
    ++c->bad;
    return;
  }
  ++c->objects;
  c->bytes += object_size(addr, c->header_size);
  id = dylan_class_id(addr);
  if (id < DYLAN_CENSUS_CLASSES) {
    ++c->by_class[id];
    c->bytes_by_class[id] += object_size(addr, c->header_size);
  }
}

void dylan_census(DylanCensus *census, mps_arena_t arena, mps_pool_t pool,
                  mps_fmt_t fmt, size_t header_size)
{
  memset(census, 0, sizeof *census);
  census->pool = pool;
  census->fmt = fmt;
  census->header_size = header_size;
  mps_arena_formatted_objects_walk(arena, census_step, census, 0);
}
