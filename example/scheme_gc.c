/* scheme_gc.c -- a small garbage-collected heap of Scheme-like objects:
 * pairs and vectors in an AMC pool, strings and integers in an AMCZ
 * pool, two generations, found from the main thread's stack and a table
 * of globals.  Objects move: the format can forward them.
 *
 * Build:  cc -Icode example/scheme_gc.c build/cool/libmps.a -lsigsegv -pthread
 */
#include "mps.h"
#include "mpsavm.h"
#include "mpscamc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, mps_res_t res)
{
  fprintf(stderr, "scheme_gc: %s failed (result code %d)\n", what, (int)res);
  exit(EXIT_FAILURE);
}

static void expect(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "scheme_gc: check failed: %s\n", what);
    exit(EXIT_FAILURE);
  }
}


/* ---- The objects ---- */

/* Every object starts with a word giving its type.  A reference is
 * either NULL or the address of an object. */
typedef union obj_u *obj_t;

enum {
  TYPE_PAIR,       /* two references */
  TYPE_VECTOR,     /* a length and that many references */
  TYPE_STRING,     /* a length and characters: no references */
  TYPE_INTEGER,    /* a long: no references */
  TYPE_PAD1,       /* padding of one word */
  TYPE_PAD,        /* padding of any larger size */
  TYPE_FWD2,       /* a two-word object that has moved */
  TYPE_FWD         /* any larger object that has moved */
};

typedef struct pair_s    { mps_word_t type; obj_t car, cdr; } pair_s;
typedef struct vector_s  { mps_word_t type; size_t length; obj_t elt[]; } vector_s;
typedef struct string_s  { mps_word_t type; size_t length; char chars[]; } string_s;
typedef struct integer_s { mps_word_t type; long value; } integer_s;
typedef struct pad1_s    { mps_word_t type; } pad1_s;
typedef struct pad_s     { mps_word_t type; size_t size; } pad_s;
typedef struct fwd2_s    { mps_word_t type; obj_t to; } fwd2_s;
typedef struct fwd_s     { mps_word_t type; obj_t to; size_t size; } fwd_s;

union obj_u {
  mps_word_t type;
  pair_s pair;
  vector_s vector;
  string_s string;
  integer_s integer;
  pad1_s pad1;
  pad_s pad;
  fwd2_s fwd2;
  fwd_s fwd;
};

/* Objects are aligned to a word, so a word is the smallest padding.
 * Every object is at least two words, room for a forwarding object. */
#define ALIGNMENT sizeof(mps_word_t)
#define ALIGN_OBJ(size) (((size) + ALIGNMENT - 1) & ~(ALIGNMENT - 1))


/* ---- The format methods ---- */

static size_t obj_size(obj_t obj)
{
  switch (obj->type) {
  case TYPE_PAIR:
    return ALIGN_OBJ(sizeof(pair_s));
  case TYPE_VECTOR:
    return ALIGN_OBJ(offsetof(vector_s, elt) + obj->vector.length * sizeof(obj_t));
  case TYPE_STRING:
    return ALIGN_OBJ(offsetof(string_s, chars) + obj->string.length + 1);
  case TYPE_INTEGER:
    return ALIGN_OBJ(sizeof(integer_s));
  case TYPE_PAD1:
    return ALIGN_OBJ(sizeof(pad1_s));
  case TYPE_PAD:
    return obj->pad.size;
  case TYPE_FWD2:
    return ALIGN_OBJ(sizeof(fwd2_s));
  case TYPE_FWD:
    return obj->fwd.size;
  }
  fprintf(stderr, "scheme_gc: bad type %lu at %p\n", (unsigned long)obj->type,
          (void *)obj);
  abort();
}

static mps_addr_t obj_skip(mps_addr_t addr)
{
  return (char *)addr + obj_size(addr);
}

static void obj_pad(mps_addr_t addr, size_t size)
{
  obj_t obj = addr;
  if (size == ALIGN_OBJ(sizeof(pad1_s))) {
    obj->type = TYPE_PAD1;
  } else {
    obj->type = TYPE_PAD;
    obj->pad.size = size;
  }
}

/* Turn the object at old, already copied to new_addr, into a
 * forwarding object of the same size. */
static void obj_fwd(mps_addr_t old, mps_addr_t new_addr)
{
  obj_t obj = old;
  size_t size = obj_size(obj);          /* before the type changes */
  if (size == ALIGN_OBJ(sizeof(fwd2_s))) {
    obj->type = TYPE_FWD2;
    obj->fwd2.to = new_addr;
  } else {
    obj->type = TYPE_FWD;
    obj->fwd.to = new_addr;
    obj->fwd.size = size;
  }
}

/* The new address if addr holds a forwarding object, else NULL. */
static mps_addr_t obj_isfwd(mps_addr_t addr)
{
  obj_t obj = addr;
  switch (obj->type) {
  case TYPE_FWD2:
    return obj->fwd2.to;
  case TYPE_FWD:
    return obj->fwd.to;
  default:
    return NULL;
  }
}

/* Fix one reference field: MPS_FIX12 changes the reference when AMC
 * moves its object, so it is fixed in a temporary and stored back. */
#define FIX(ref) \
  do { \
    mps_addr_t _addr = (ref); \
    mps_res_t _res = MPS_FIX12(ss, &_addr); \
    if (_res != MPS_RES_OK) \
      return _res; \
    (ref) = _addr; \
  } while (0)

static mps_res_t obj_scan(mps_ss_t ss, mps_addr_t base, mps_addr_t limit)
{
  MPS_SCAN_BEGIN(ss) {
    while (base < limit) {
      obj_t obj = base;
      switch (obj->type) {
      case TYPE_PAIR:
        FIX(obj->pair.car);
        FIX(obj->pair.cdr);
        break;
      case TYPE_VECTOR:
        for (size_t i = 0; i < obj->vector.length; ++i)
          FIX(obj->vector.elt[i]);
        break;
      default:         /* strings, integers, padding, forwarding objects */
        break;
      }
      base = obj_skip(base);
    }
  } MPS_SCAN_END(ss);
  return MPS_RES_OK;
}


/* ---- The heap ---- */

static mps_arena_t arena;
static mps_fmt_t obj_fmt;
static mps_chain_t obj_chain;
static mps_pool_t obj_pool;      /* AMC: pairs and vectors */
static mps_pool_t leaf_pool;     /* AMCZ: strings and integers */
static mps_ap_t obj_ap;
static mps_ap_t leaf_ap;
static mps_thr_t thread;
static mps_root_t stack_root;
static mps_root_t globals_root;

#define GLOBAL_COUNT 16
static obj_t globals[GLOBAL_COUNT];   /* scanned exactly: see make_roots */

static obj_t make_pair(obj_t car, obj_t cdr)
{
  size_t size = ALIGN_OBJ(sizeof(pair_s));
  mps_addr_t addr;
  obj_t obj;

  do {
    mps_res_t res = mps_reserve(&addr, obj_ap, size);
    if (res != MPS_RES_OK)
      die("allocating a pair", res);
    obj = addr;
    obj->pair.type = TYPE_PAIR;
    obj->pair.car = car;
    obj->pair.cdr = cdr;
  } while (!mps_commit(obj_ap, addr, size));
  return obj;
}

static obj_t make_vector(size_t length)
{
  size_t size = ALIGN_OBJ(offsetof(vector_s, elt) + length * sizeof(obj_t));
  mps_addr_t addr;
  obj_t obj;

  do {
    mps_res_t res = mps_reserve(&addr, obj_ap, size);
    if (res != MPS_RES_OK)
      die("allocating a vector", res);
    obj = addr;
    obj->vector.type = TYPE_VECTOR;
    obj->vector.length = length;
    for (size_t i = 0; i < length; ++i)
      obj->vector.elt[i] = NULL;
  } while (!mps_commit(obj_ap, addr, size));
  return obj;
}

static obj_t make_string(const char *chars)
{
  size_t length = strlen(chars);
  size_t size = ALIGN_OBJ(offsetof(string_s, chars) + length + 1);
  mps_addr_t addr;
  obj_t obj;

  do {
    mps_res_t res = mps_reserve(&addr, leaf_ap, size);
    if (res != MPS_RES_OK)
      die("allocating a string", res);
    obj = addr;
    obj->string.type = TYPE_STRING;
    obj->string.length = length;
    memcpy(obj->string.chars, chars, length + 1);
  } while (!mps_commit(leaf_ap, addr, size));
  return obj;
}

static obj_t make_integer(long value)
{
  size_t size = ALIGN_OBJ(sizeof(integer_s));
  mps_addr_t addr;
  obj_t obj;

  do {
    mps_res_t res = mps_reserve(&addr, leaf_ap, size);
    if (res != MPS_RES_OK)
      die("allocating an integer", res);
    obj = addr;
    obj->integer.type = TYPE_INTEGER;
    obj->integer.value = value;
  } while (!mps_commit(leaf_ap, addr, size));
  return obj;
}


/* ---- Setting up ---- */

static void make_heap(void)
{
  mps_res_t res;

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, (size_t)32 << 20);
    res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("creating the arena", res);

  /* AMC copies objects, so its format needs forward and is-forwarded
   * methods, and pad, besides scan and skip. */
  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ALIGN, ALIGNMENT);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SCAN, obj_scan);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_SKIP, obj_skip);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_FWD, obj_fwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_ISFWD, obj_isfwd);
    MPS_ARGS_ADD(args, MPS_KEY_FMT_PAD, obj_pad);
    res = mps_fmt_create_k(&obj_fmt, arena, args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("creating the format", res);

  /* Two generations.  New objects go in the first, which is collected
   * after 1 MiB of them; its survivors are copied into the second,
   * which is collected after 4 MiB of survivors. */
  {
    mps_gen_param_s gens[] = { { 1024, 0.8 }, { 4096, 0.4 } };
    res = mps_chain_create(&obj_chain, arena, 2, gens);
    if (res != MPS_RES_OK)
      die("creating the chain", res);
  }

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, obj_fmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, obj_chain);
    res = mps_pool_create_k(&obj_pool, arena, mps_class_amc(), args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("creating the AMC pool", res);

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_FORMAT, obj_fmt);
    MPS_ARGS_ADD(args, MPS_KEY_CHAIN, obj_chain);
    res = mps_pool_create_k(&leaf_pool, arena, mps_class_amcz(), args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("creating the AMCZ pool", res);

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_RANK, mps_rank_exact());
    res = mps_ap_create_k(&obj_ap, obj_pool, args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("creating the AMC allocation point", res);
  res = mps_ap_create_k(&leaf_ap, leaf_pool, mps_args_none);
  if (res != MPS_RES_OK)
    die("creating the AMCZ allocation point", res);

  mps_message_type_enable(arena, mps_message_type_gc_start());
  mps_message_type_enable(arena, mps_message_type_gc());
}

static void make_roots(void *cold)
{
  mps_res_t res;

  res = mps_thread_reg(&thread, arena);
  if (res != MPS_RES_OK)
    die("registering the thread", res);
  res = mps_root_create_thread(&stack_root, arena, thread, cold);
  if (res != MPS_RES_OK)
    die("creating the stack root", res);

  for (size_t i = 0; i < GLOBAL_COUNT; ++i)
    globals[i] = NULL;
  res = mps_root_create_table(&globals_root, arena, mps_rank_exact(), 0,
                              (mps_addr_t *)globals, GLOBAL_COUNT);
  if (res != MPS_RES_OK)
    die("creating the globals root", res);
}


/* ---- Messages ---- */

#define REPORTED 3       /* collections described in full */

static unsigned long gc_started, gc_finished;

static void read_messages(void)
{
  mps_message_type_t type;

  while (mps_message_queue_type(&type, arena)) {
    mps_message_t message;
    if (!mps_message_get(&message, arena, type))
      break;
    if (type == mps_message_type_gc_start()) {
      ++gc_started;
      if (gc_started <= REPORTED)
        printf("collection %lu started: %s\n", gc_started,
               mps_message_gc_start_why(arena, message));
    } else if (type == mps_message_type_gc()) {
      size_t condemned = mps_message_gc_condemned_size(arena, message);
      size_t live = mps_message_gc_live_size(arena, message);
      ++gc_finished;
      expect(live <= condemned, "a collection keeps no more than it condemns");
      if (gc_finished <= REPORTED)
        printf("collection %lu finished: condemned %zu, kept %zu, "
               "not condemned %zu bytes\n", gc_finished, condemned, live,
               mps_message_gc_not_condemned_size(arena, message));
    }
    mps_message_discard(arena, message);
  }
}


/* ---- Walking ---- */

typedef struct census_s {
  size_t pairs, vectors, strings, integers;
} census_s;

static void count_object(mps_addr_t addr, mps_fmt_t fmt, mps_pool_t pool,
                         void *p, size_t s)
{
  census_s *census = p;
  obj_t obj = addr;

  (void)fmt;
  (void)pool;
  (void)s;
  switch (obj->type) {
  case TYPE_PAIR:    ++census->pairs;    break;
  case TYPE_VECTOR:  ++census->vectors;  break;
  case TYPE_STRING:  ++census->strings;  break;
  case TYPE_INTEGER: ++census->integers; break;
  default:                               break;
  }
}

static census_s take_census(void)
{
  census_s census = {0, 0, 0, 0};
  mps_arena_formatted_objects_walk(arena, count_object, &census, 0);
  return census;
}

static size_t pool_in_use(mps_pool_t pool)
{
  return mps_pool_total_size(pool) - mps_pool_free_size(pool);
}


/* ---- The program ---- */

#define TABLE_SIZE 100
#define CHAIN_LENGTH 20
#define CHURN_ROUNDS 5000

/* A vector of TABLE_SIZE lists, each of CHAIN_LENGTH pairs whose cars
 * are strings "k:i", kept in globals[0]. */
static void build_table(void)
{
  char name[32];

  globals[0] = make_vector(TABLE_SIZE);
  for (size_t k = 0; k < TABLE_SIZE; ++k) {
    for (size_t i = 0; i < CHAIN_LENGTH; ++i) {
      obj_t string, pair;
      snprintf(name, sizeof name, "%zu:%zu", k, i);
      string = make_string(name);
      pair = make_pair(string, globals[0]->vector.elt[k]);
      /* Read globals[0] only after allocating: a collection during the
       * allocation may have moved the table and updated the root. */
      globals[0]->vector.elt[k] = pair;
    }
  }
}

/* Check that every list of the table is still as build_table made it,
 * and return a checksum of its strings. */
static unsigned long check_table(void)
{
  char name[32];
  unsigned long sum = 0;

  expect(globals[0] != NULL && globals[0]->type == TYPE_VECTOR, "table is a vector");
  for (size_t k = 0; k < TABLE_SIZE; ++k) {
    obj_t list = globals[0]->vector.elt[k];
    for (size_t i = CHAIN_LENGTH; i-- > 0; list = list->pair.cdr) {
      expect(list != NULL && list->type == TYPE_PAIR, "list cell is a pair");
      snprintf(name, sizeof name, "%zu:%zu", k, i);
      expect(list->pair.car->type == TYPE_STRING
             && strcmp(list->pair.car->string.chars, name) == 0, "string intact");
      for (const char *c = list->pair.car->string.chars; *c != '\0'; ++c)
        sum = sum * 31 + (unsigned char)*c;
    }
    expect(list == NULL, "list ends");
  }
  return sum;
}

/* Make lots of short-lived lists of integers; keep only their sums. */
static long churn(size_t rounds)
{
  long total = 0;

  for (size_t r = 0; r < rounds; ++r) {
    obj_t list = NULL;
    for (long i = 0; i < 100; ++i)
      list = make_pair(make_integer(i), list);
    for (; list != NULL; list = list->pair.cdr)
      total += list->pair.car->integer.value;
  }
  return total;
}

static void run(void)
{
  mps_res_t res;
  census_s census;
  unsigned long checksum;
  size_t churned, before, after;

  build_table();
  checksum = check_table();

  /* Automatic collections: the chain's capacity is passed many times. */
  expect(churn(CHURN_ROUNDS) == CHURN_ROUNDS * 4950L, "sums");
  read_messages();
  churned = CHURN_ROUNDS * 100 * (sizeof(pair_s) + sizeof(integer_s));
  printf("churned through %zu bytes of objects; %zu bytes committed\n",
         churned, mps_arena_committed(arena));
  expect(mps_collections(arena) > 0, "allocation started collections");
  expect(mps_arena_committed(arena) < churned / 2, "collections recycled memory");
  expect(check_table() == checksum, "table survived the collections");

  /* A full collection on demand.  It leaves the arena parked. */
  res = mps_arena_collect(arena);
  if (res != MPS_RES_OK)
    die("collecting", res);
  read_messages();
  printf("%lu collections so far\n", (unsigned long)mps_collections(arena));
  expect(check_table() == checksum, "table survived the full collection");

  census = take_census();
  printf("live: %zu pairs, %zu vectors, %zu strings, %zu integers\n",
         census.pairs, census.vectors, census.strings, census.integers);
  expect(census.vectors >= 1, "the table survived");
  expect(census.pairs >= TABLE_SIZE * CHAIN_LENGTH, "its pairs survived");
  expect(census.strings == TABLE_SIZE * CHAIN_LENGTH, "its strings survived");
  /* Of the 500000 integers, a few lists' worth may be kept by stale
   * words on the stack, which is scanned ambiguously. */
  expect(census.integers < 2500, "garbage integers went");

  /* Drop the table; the next collection frees it.  Emptying it first
   * means a stale word on the stack that points at the vector keeps
   * only the vector alive, not all the lists. */
  before = pool_in_use(obj_pool) + pool_in_use(leaf_pool);
  for (size_t k = 0; k < TABLE_SIZE; ++k)
    globals[0]->vector.elt[k] = NULL;
  globals[0] = NULL;
  res = mps_arena_collect(arena);
  if (res != MPS_RES_OK)
    die("collecting", res);
  read_messages();
  census = take_census();
  after = pool_in_use(obj_pool) + pool_in_use(leaf_pool);
  printf("after dropping the table: %zu pairs, %zu strings; "
         "%zu bytes of objects, down from %zu\n",
         census.pairs, census.strings, after, before);
  expect(census.strings < TABLE_SIZE * CHAIN_LENGTH / 10, "the table's strings went");
  expect(after < before / 4, "the pools hold much less");

  /* Let collections start by themselves again. */
  mps_arena_release(arena);
  expect(gc_started == gc_finished, "every collection reported twice");
  expect(gc_finished == mps_collections(arena), "a message for each collection");
}

static void destroy_heap(void)
{
  mps_arena_park(arena);
  mps_root_destroy(globals_root);
  mps_root_destroy(stack_root);
  mps_thread_dereg(thread);
  mps_ap_destroy(leaf_ap);
  mps_ap_destroy(obj_ap);
  mps_pool_destroy(leaf_pool);
  mps_pool_destroy(obj_pool);
  mps_chain_destroy(obj_chain);
  mps_fmt_destroy(obj_fmt);
  mps_arena_destroy(arena);
}

int main(void)
{
  void *cold = &cold;   /* the stack above this is not scanned */

  make_heap();
  make_roots(cold);
  run();
  destroy_heap();
  printf("scheme_gc: all checks passed\n");
  return EXIT_SUCCESS;
}
