/* frames.c -- stack-like allocation with allocation frames on an SNC
 * pool.  SNC needs an object format, so this example also shows a small
 * one: every object starts with a header word holding its size.
 *
 * Build:  cc -Icode example/frames.c build/cool/libmps.a -lsigsegv -pthread
 */
#include "mps.h"
#include "mpsavm.h"
#include "mpscsnc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, mps_res_t res)
{
  fprintf(stderr, "frames: %s failed (result code %d)\n", what, (int)res);
  exit(EXIT_FAILURE);
}

static void expect(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "frames: check failed: %s\n", what);
    exit(EXIT_FAILURE);
  }
}

/* The object format.  Objects are aligned to 16 bytes, so the low four
 * bits of a size are always zero and the header can use them as a tag. */
#define ALIGNMENT ((size_t)16)
#define ALIGN_UP(size) (((size) + ALIGNMENT - 1) & ~(ALIGNMENT - 1))
#define TAG_MASK  ((mps_word_t)0xF)
#define TAG_TEXT  ((mps_word_t)0)   /* a string of text */
#define TAG_PAD   ((mps_word_t)1)   /* padding: skip over it */

typedef struct text_s {
  mps_word_t header;           /* total size, with TAG_TEXT */
  char chars[];                /* NUL-terminated */
} text_s;

static size_t header_size(mps_word_t header)
{
  return (size_t)(header & ~TAG_MASK);
}

/* skip: the address just past the object at addr. */
static mps_addr_t text_skip(mps_addr_t addr)
{
  return (char *)addr + header_size(*(mps_word_t *)addr);
}

/* pad: turn [addr, addr + size) into one padding object.  The library
 * calls this to fill gaps it leaves in the pool, for example when a
 * frame is popped. */
static void text_pad(mps_addr_t addr, size_t size)
{
  *(mps_word_t *)addr = (mps_word_t)size | TAG_PAD;
}

/* scan: visit every object in [base, limit).  Text objects hold no
 * references, so there is nothing to fix; a format whose objects held
 * references would fix each one here with MPS_FIX12. */
static mps_res_t text_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  (void)ss;
  while (base < limit)
    base = text_skip(base);
  return MPS_RES_OK;
}

/* Allocate a text object holding a copy of s, by the reserve/commit
 * protocol.  The header is written before commit, so the object is
 * always well formed when the library can see it. */
static text_s *make_text(mps_ap_t ap, const char *s)
{
  size_t length = strlen(s);
  size_t size = ALIGN_UP(sizeof(text_s) + length + 1);
  mps_addr_t p;
  text_s *text;

  do {
    mps_res_t res = mps_reserve(&p, ap, size);
    if (res != MPS_RES_OK)
      die("mps_reserve", res);
    text = p;
    text->header = (mps_word_t)size | TAG_TEXT;
    memcpy(text->chars, s, length + 1);
  } while (!mps_commit(ap, p, size));
  return text;
}

enum { CYCLES = 2000, PER_CYCLE = 100 };

int main(void)
{
  mps_arena_t arena;
  mps_fmt_t fmt;
  mps_pool_t pool;
  mps_ap_t ap;
  mps_frame_t outer, inner;
  mps_res_t res;
  text_s *base, *kept[10];
  char buf[64];
  size_t i, c, high_water = 0;

  res = mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none);
  if (res != MPS_RES_OK)
    die("mps_arena_create_k", res);

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, (mps_align_t)ALIGNMENT);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, text_scan);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, text_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, text_pad);
    res = mps_fmt_create_k(&fmt, arena, args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("mps_fmt_create_k", res);

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, fmt);
    res = mps_pool_create_k(&pool, arena, mps_class_snc(), args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("mps_pool_create_k", res);

  /* SNC allocation points take one optional keyword argument, the rank
   * of the references in their objects (MPS_KEY_RANK); the default,
   * exact, suits this format. */
  res = mps_ap_create_k(&ap, pool, mps_args_none);
  if (res != MPS_RES_OK)
    die("mps_ap_create_k", res);

  /* An object allocated before any frame lives until the pool dies. */
  base = make_text(ap, "allocated before any frame");

  /* The outer frame holds ten objects we keep for a while. */
  res = mps_ap_frame_push(&outer, ap);
  if (res != MPS_RES_OK)
    die("mps_ap_frame_push", res);
  for (i = 0; i < 10; ++i) {
    snprintf(buf, sizeof buf, "kept object %zu", i);
    kept[i] = make_text(ap, buf);
  }

  /* Many short-lived inner frames: push, allocate, pop.  Each pop
   * declares every object allocated since its push dead, and the pool
   * reuses their space, so memory does not grow with the cycles. */
  for (c = 0; c < CYCLES; ++c) {
    size_t total;
    res = mps_ap_frame_push(&inner, ap);
    if (res != MPS_RES_OK)
      die("mps_ap_frame_push", res);
    for (i = 0; i < PER_CYCLE; ++i) {
      snprintf(buf, sizeof buf, "temporary %zu in cycle %zu", i, c);
      (void)make_text(ap, buf);
    }
    res = mps_ap_frame_pop(ap, inner);
    if (res != MPS_RES_OK)
      die("mps_ap_frame_pop", res);
    total = mps_pool_total_size(pool);
    if (total > high_water)
      high_water = total;
  }
  printf("frames: %d cycles of %d objects; the pool never held more "
         "than %zu bytes\n", CYCLES, PER_CYCLE, high_water);
  /* Without reuse the cycles would have needed over 8 MB. */
  expect(high_water < ((size_t)2 << 20), "popped frames' space is reused");

  /* Objects outside the popped frames are untouched. */
  expect(strcmp(base->chars, "allocated before any frame") == 0,
         "object before the frames survives");
  for (i = 0; i < 10; ++i) {
    snprintf(buf, sizeof buf, "kept object %zu", i);
    expect(strcmp(kept[i]->chars, buf) == 0, "outer frame objects survive");
  }

  /* Pop the outer frame: the kept objects are now dead too. */
  res = mps_ap_frame_pop(ap, outer);
  if (res != MPS_RES_OK)
    die("mps_ap_frame_pop", res);
  expect(strcmp(base->chars, "allocated before any frame") == 0,
         "object before the frames still survives");
  printf("frames: outer frame popped; \"%s\" is still there\n", base->chars);

  /* Tear down: allocation point, pool, format, arena. */
  mps_ap_destroy(ap);
  mps_pool_destroy(pool);
  mps_fmt_destroy(fmt);
  mps_arena_destroy(arena);
  printf("frames: done\n");
  return EXIT_SUCCESS;
}
