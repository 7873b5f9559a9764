/* test/gc/format_test.c -- the toy formats the collector's tests rely on
 * (test/lib/dylan.h, test/lib/scheme.h) behave as topic/format.rst asks
 * of a format: skip steps over objects, pads of any aligned size and
 * forwarding objects; a forwarding object keeps the size of the object
 * it replaced and isfwd returns the new address; scan fixes no
 * reference in a pad or forwarding object.  The last part runs the scan
 * methods through the collector (mps_root_create_fmt over blocks holding
 * every kind of object).
 * Design: manual/design/format.rst (the MPS manual: topic/format.rst) */
#include "mps.h"
#include "gcfixture.h"
#include "scheme.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#define W DYLAN_WORD

static mps_word_t block[512];        /* formatted objects outside any arena */

START_TEST(dylan_pads_and_forwarding)
{
  static DylanStaticWrapper sw;
  mps_addr_t wrapper = dylan_static_wrapper(&sw, 9, 2, DYLAN_VAR_WORDS);
  mps_word_t *obj = block;
  char *next;

  /* An object: wrapper, 2 fixed slots, 3 variable ones. */
  obj[0] = (mps_word_t)wrapper;
  obj[1] = dylan_int(1);
  obj[2] = 0;
  obj[3] = dylan_int(3);
  obj[4] = obj[5] = obj[6] = dylan_int(0);
  ck_assert(dylan_check(obj, 0));
  ck_assert_uint_eq(dylan_kind(obj, 0), DYLAN_KIND_OBJECT);
  ck_assert_ptr_eq(dylan_skip(obj), obj + 7);
  ck_assert_uint_eq(dylan_block_size(0, 2, DYLAN_VAR_WORDS, 3), 7 * W);
  ck_assert_ptr_null(dylan_isfwd(obj));
  ck_assert_uint_eq(dylan_class_id(obj), 9);
  ck_assert_uint_eq(dylan_var_len(obj), 3);

  /* Forwarded, it keeps its size and says where it went. */
  dylan_fwd(obj, &block[100]);
  ck_assert_uint_eq(dylan_kind(obj, 0), DYLAN_KIND_FWD);
  ck_assert_ptr_eq(dylan_isfwd(obj), &block[100]);
  ck_assert_ptr_eq(dylan_skip(obj), obj + 7);
  ck_assert(!dylan_check(obj, 0));

  /* A one-word object forwards in one word. */
  static DylanStaticWrapper sw0;
  block[20] = (mps_word_t)dylan_static_wrapper(&sw0, 10, 0, DYLAN_VAR_NONE);
  ck_assert_ptr_eq(dylan_skip(&block[20]), &block[21]);
  dylan_fwd(&block[20], &block[200]);
  ck_assert_ptr_eq(dylan_isfwd(&block[20]), &block[200]);
  ck_assert_ptr_eq(dylan_skip(&block[20]), &block[21]);

  /* Pads of one word and of several. */
  for (size_t words = 1; words < 40; ++words) {
    dylan_pad(&block[300], words * W);
    ck_assert_uint_eq(dylan_kind(&block[300], 0), DYLAN_KIND_PAD);
    next = dylan_skip(&block[300]);
    ck_assert_ptr_eq(next, &block[300 + words]);
    ck_assert_ptr_null(dylan_isfwd(&block[300]));
  }
}
END_TEST

START_TEST(dylan_header_variant)
{
  static DylanStaticWrapper sw;
  mps_addr_t wrapper = dylan_static_wrapper(&sw, 11, 1, DYLAN_VAR_BYTES);
  mps_word_t *base = block;
  mps_word_t *client = base + 1;
  size_t size = dylan_block_size(DYLAN_HEADER_SIZE, 1, DYLAN_VAR_BYTES, 13);

  ck_assert_uint_eq(size, W * (1 + 1 + 1 + 1 + 2));
  /* What dylan_make writes: header, then the body at the client pointer. */
  base[0] = ((mps_word_t)size << 3) | 1;
  client[0] = (mps_word_t)wrapper;
  client[1] = dylan_int(5);
  client[2] = dylan_int(13);
  ck_assert(dylan_check(client, DYLAN_HEADER_SIZE));
  ck_assert_ptr_eq(dylan_h_skip(client), (char *)base + size + DYLAN_HEADER_SIZE);

  dylan_h_fwd(client, &block[101]);
  ck_assert_uint_eq(dylan_kind(client, DYLAN_HEADER_SIZE), DYLAN_KIND_FWD);
  ck_assert_ptr_eq(dylan_h_isfwd(client), &block[101]);
  ck_assert_ptr_eq(dylan_h_skip(client), (char *)base + size + DYLAN_HEADER_SIZE);

  /* The pad method takes a base pointer; pads as small as the header. */
  for (size_t words = 1; words < 20; ++words) {
    dylan_h_pad(&block[300], words * W);
    mps_addr_t c = (char *)&block[300] + DYLAN_HEADER_SIZE;
    ck_assert_uint_eq(dylan_kind(c, DYLAN_HEADER_SIZE), DYLAN_KIND_PAD);
    ck_assert_ptr_eq(dylan_h_skip(c), (char *)&block[300 + words] + DYLAN_HEADER_SIZE);
    ck_assert_ptr_null(dylan_h_isfwd(c));
  }
}
END_TEST

START_TEST(scheme_pads_and_forwarding)
{
  SchPair *pair = (SchPair *)block;
  SchSymbol *sym = (SchSymbol *)&block[10];
  SchString *str = (SchString *)&block[20];

  pair->type = SCH_TYPE_PAIR;
  pair->car = sch_fixnum(1);
  pair->cdr = SCH_NIL;
  ck_assert_ptr_eq(sch_skip(pair), &block[3]);
  sch_fwd(pair, &block[100]);
  ck_assert_ptr_eq(sch_isfwd(pair), &block[100]);
  ck_assert_ptr_eq(sch_skip(pair), &block[3]);

  sym->type = SCH_TYPE_SYMBOL;
  sym->name = SCH_NIL;
  ck_assert_ptr_eq(sch_skip(sym), &block[12]);
  sch_fwd(sym, &block[102]);                     /* two words: fwd2 */
  ck_assert_ptr_eq(sch_isfwd(sym), &block[102]);
  ck_assert_ptr_eq(sch_skip(sym), &block[12]);

  str->type = SCH_TYPE_STRING;
  str->length = 9;
  memcpy(str->chars, "ninechars", 10);
  ck_assert_ptr_eq(sch_skip(str), &block[20 + 2 + 2]);
  ck_assert_ptr_null(sch_isfwd(str));

  for (size_t words = 1; words < 30; ++words) {
    sch_pad(&block[300], words * W);
    ck_assert(sch_is_pad(&block[300]));
    ck_assert_ptr_eq(sch_skip(&block[300]), &block[300 + words]);
    ck_assert_ptr_null(sch_isfwd(&block[300]));
  }
  ck_assert_uint_eq(sch_fixnum_value(sch_fixnum(-12345)), -12345);
  ck_assert(sch_is_ptr(sch_value_of(&block[8])));
  ck_assert_ptr_eq(sch_ptr(sch_value_of(&block[8])), &block[8]);
  ck_assert(!sch_is_ptr(SCH_NIL) && !sch_is_ptr(sch_fixnum(3)));
}
END_TEST

/* Through the collector: a format root over a block holding objects,
 * pads and forwarding objects.  Only the objects' references keep
 * anything: a forwarding object's new address is not a reference. */
enum { CLASS_T = 1 };

START_TEST(scan_skips_pads_and_forwarding)
{
  static const GcClass t_class[] = {{CLASS_T, 1, DYLAN_VAR_NONE}};
  mps_addr_t wrappers[2];
  GcWorldOptions o = {.arena_size = 16 * MiB, .pools = GC_POOL_AMS,
                      .table = wrappers, .table_len = 2, .classes = t_class, .nclasses = 1};
  GcWorld w;
  mps_root_t root;
  mps_addr_t kept, lost;
  static DylanStaticWrapper sw;
  mps_addr_t block_wrapper = dylan_static_wrapper(&sw, 12, 1, DYLAN_VAR_NONE);
  DylanCensus c;
  size_t k = 0;

  gc_world_open(&w, &o);
  ck_assert_int_eq(dylan_make(&kept, w.ams_ap, 0, wrappers[1], NULL, 0, NULL), MPS_RES_OK);
  ck_assert_int_eq(dylan_make(&lost, w.ams_ap, 0, wrappers[1], NULL, 0, NULL), MPS_RES_OK);

  dylan_pad(block, sizeof block);
  ck_assert_int_eq(mps_root_create_fmt(&root, w.arena, mps_rank_exact(), 0, dylan_scan,
                                       block, block + 64), MPS_RES_OK);
  dylan_pad(&block[k], W);                  /* a one-word pad */
  k += 1;
  block[k] = (mps_word_t)block_wrapper;     /* an object referring to kept */
  block[k + 1] = (mps_word_t)kept;
  k += 2;
  block[k] = (mps_word_t)block_wrapper;     /* an object, forwarded to lost */
  block[k + 1] = 0;
  dylan_fwd(&block[k], lost);
  k += 2;
  block[k] = (mps_word_t)block_wrapper;     /* an object with a null slot */
  block[k + 1] = 0;
  k += 2;
  dylan_pad(&block[k], (64 - k) * W);       /* a pad to the end */

  mps_arena_collect(w.arena);
  c = gc_world_census(&w, w.ams);
  ck_assert_uint_eq(c.by_class[CLASS_T], 1);
  ck_assert_ptr_eq((mps_addr_t)block[2], kept);
  ck_assert_ptr_eq(dylan_isfwd(&block[3]), lost);

  mps_root_destroy(root);
  gc_world_close(&w);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gc/format");
  TCase *tc = fixture_tcase(s, "format", NULL, NULL, 0);

  tcase_add_test(tc, dylan_pads_and_forwarding);
  tcase_add_test(tc, dylan_header_variant);
  tcase_add_test(tc, scheme_pads_and_forwarding);
  tcase_add_test(tc, scan_skips_pads_and_forwarding);
  return fixture_run_suite(s);
}
