/* test/lib/scheme.c -- the toy Scheme-like format; see scheme.h.
 * Design: manual/design/scan.rst */
#include "scheme.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t align_up(size_t size)
{
  return (size + SCH_ALIGN - 1) & ~(SCH_ALIGN - 1);
}

static void sch_die(const char *what, const void *obj)
{
  fprintf(stderr, "scheme: %s at %p\n", what, obj);
  abort();
}

static size_t sch_size(const mps_word_t *obj)
{
  switch (obj[0]) {
  case SCH_TYPE_PAIR: return sizeof(SchPair);
  case SCH_TYPE_VECTOR: return sizeof(SchVector) + obj[1] * sizeof(SchValue);
  case SCH_TYPE_STRING: return align_up(sizeof(SchString) + obj[1] + 1);
  case SCH_TYPE_SYMBOL: return sizeof(SchSymbol);
  case SCH_TYPE_PAD1: return SCH_WORD;
  case SCH_TYPE_PAD: return (size_t)obj[1];
  case SCH_TYPE_FWD2: return 2 * SCH_WORD;
  case SCH_TYPE_FWD: return (size_t)obj[2];
  default: sch_die("not a block of the format", obj); return 0;
  }
}

/* Fix a value if it is a reference: untag, fix, retag. */
#define FIX_VALUE(ss, slot) \
  do { \
    SchValue _v = (slot); \
    if (sch_is_ptr(_v)) { \
      mps_addr_t _ref = sch_ptr(_v); \
      if (MPS_FIX1(ss, _ref)) { \
        mps_res_t _res = MPS_FIX2(ss, &_ref); \
        if (_res != MPS_RES_OK) \
          return _res; \
        (slot) = sch_value_of(_ref); \
      } \
    } \
  } while (0)

mps_res_t sch_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  MPS_SCAN_BEGIN(ss) {
    char *p = base;
    while (p < (char *)limit) {
      mps_word_t *obj = (mps_word_t *)p;
      size_t i;
      switch (obj[0]) {
      case SCH_TYPE_PAIR: {
        SchPair *pair = (SchPair *)obj;
        FIX_VALUE(ss, pair->car);
        FIX_VALUE(ss, pair->cdr);
        break;
      }
      case SCH_TYPE_VECTOR: {
        SchVector *vec = (SchVector *)obj;
        for (i = 0; i < vec->length; ++i)
          FIX_VALUE(ss, vec->elems[i]);
        break;
      }
      case SCH_TYPE_SYMBOL:
        FIX_VALUE(ss, ((SchSymbol *)obj)->name);
        break;
      default:
        break;     /* strings, pads, forwarding objects: nothing to fix */
      }
      p += sch_size(obj);
    }
  } MPS_SCAN_END(ss);
  return MPS_RES_OK;
}

mps_addr_t sch_skip(mps_addr_t obj)
{
  return (char *)obj + sch_size(obj);
}

void sch_fwd(mps_addr_t old, mps_addr_t new_addr)
{
  mps_word_t *obj = old;
  size_t size = sch_size(obj);
  if (size == 2 * SCH_WORD) {
    obj[0] = SCH_TYPE_FWD2;
    obj[1] = (mps_word_t)new_addr;
  } else {
    obj[0] = SCH_TYPE_FWD;
    obj[1] = (mps_word_t)new_addr;
    obj[2] = (mps_word_t)size;
  }
}

mps_addr_t sch_isfwd(mps_addr_t addr)
{
  const mps_word_t *obj = addr;
  if (obj[0] == SCH_TYPE_FWD2 || obj[0] == SCH_TYPE_FWD)
    return (mps_addr_t)obj[1];
  return NULL;
}

void sch_pad(mps_addr_t base, size_t size)
{
  mps_word_t *obj = base;
  if (size == 0 || size % SCH_ALIGN != 0)
    sch_die("bad pad size", base);
  if (size == SCH_WORD) {
    obj[0] = SCH_TYPE_PAD1;
  } else {
    obj[0] = SCH_TYPE_PAD;
    obj[1] = (mps_word_t)size;
  }
}

bool sch_is_pad(mps_addr_t addr)
{
  const mps_word_t *obj = addr;
  return obj[0] == SCH_TYPE_PAD1 || obj[0] == SCH_TYPE_PAD;
}

mps_res_t sch_fmt_create(mps_fmt_t *fmt_o, mps_arena_t arena)
{
  mps_res_t res;
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, (mps_align_t)SCH_ALIGN);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, sch_scan);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, sch_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_FWD, sch_fwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ISFWD, sch_isfwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, sch_pad);
    res = mps_fmt_create_k(fmt_o, arena, args);
  } MPS_ARGS_END(args);
  return res;
}

/* Reserve, initialise, commit; retry while the commit fails. */
#define SCH_ALLOC(v_o, ap, size, init) \
  do { \
    mps_addr_t _p; \
    size_t _size = (size); \
    do { \
      mps_res_t _res = mps_reserve(&_p, (ap), _size); \
      if (_res != MPS_RES_OK) \
        return _res; \
      init; \
    } while (!mps_commit((ap), _p, _size)); \
    *(v_o) = sch_value_of(_p); \
  } while (0)

mps_res_t sch_make_pair(SchValue *v_o, mps_ap_t ap, SchValue car, SchValue cdr)
{
  SCH_ALLOC(v_o, ap, sizeof(SchPair), {
    SchPair *pair = _p;
    pair->type = SCH_TYPE_PAIR;
    pair->car = car;
    pair->cdr = cdr;
  });
  return MPS_RES_OK;
}

mps_res_t sch_make_vector(SchValue *v_o, mps_ap_t ap, size_t length, SchValue fill)
{
  SCH_ALLOC(v_o, ap, sizeof(SchVector) + length * sizeof(SchValue), {
    SchVector *vec = _p;
    vec->type = SCH_TYPE_VECTOR;
    vec->length = length;
    for (size_t i = 0; i < length; ++i)
      vec->elems[i] = fill;
  });
  return MPS_RES_OK;
}

mps_res_t sch_make_string(SchValue *v_o, mps_ap_t ap, const char *chars)
{
  size_t len = strlen(chars);
  SCH_ALLOC(v_o, ap, align_up(sizeof(SchString) + len + 1), {
    SchString *str = _p;
    str->type = SCH_TYPE_STRING;
    str->length = len;
    memcpy(str->chars, chars, len + 1);
  });
  return MPS_RES_OK;
}

mps_res_t sch_make_symbol(SchValue *v_o, mps_ap_t ap, SchValue name)
{
  SCH_ALLOC(v_o, ap, sizeof(SchSymbol), {
    SchSymbol *sym = _p;
    sym->type = SCH_TYPE_SYMBOL;
    sym->name = name;
  });
  return MPS_RES_OK;
}

bool sch_equal(SchValue a, SchValue b)
{
  if (a == b)
    return true;
  if (!sch_is_ptr(a) || !sch_is_ptr(b) || sch_type(a) != sch_type(b))
    return false;
  switch (sch_type(a)) {
  case SCH_TYPE_PAIR:
    return sch_equal(sch_pair(a)->car, sch_pair(b)->car)
           && sch_equal(sch_pair(a)->cdr, sch_pair(b)->cdr);
  case SCH_TYPE_VECTOR:
    if (sch_vector(a)->length != sch_vector(b)->length)
      return false;
    for (size_t i = 0; i < sch_vector(a)->length; ++i)
      if (!sch_equal(sch_vector(a)->elems[i], sch_vector(b)->elems[i]))
        return false;
    return true;
  case SCH_TYPE_STRING:
    return sch_string(a)->length == sch_string(b)->length
           && memcmp(sch_string(a)->chars, sch_string(b)->chars,
                     sch_string(a)->length) == 0;
  case SCH_TYPE_SYMBOL:
    return sch_equal(sch_symbol(a)->name, sch_symbol(b)->name);
  default:
    return false;
  }
}
