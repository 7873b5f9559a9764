/* ap.c -- allocation points: the inline reserve/commit protocol on an
 * MVFF pool, written both with mps_reserve and with MPS_RESERVE_BLOCK.
 *
 * Build:  cc -Icode example/ap.c build/cool/libmps.a -lsigsegv -pthread
 */
#include "mps.h"
#include "mpsavm.h"
#include "mpscmvff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, mps_res_t res)
{
  fprintf(stderr, "ap: %s failed (result code %d)\n", what, (int)res);
  exit(EXIT_FAILURE);
}

static void expect(int ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "ap: check failed: %s\n", what);
    exit(EXIT_FAILURE);
  }
}

/* The pool's alignment.  Sizes passed to mps_reserve must be multiples
 * of it, so we choose it ourselves rather than rely on the default. */
#define ALIGNMENT ((size_t)16)
#define ALIGN_UP(size) (((size) + ALIGNMENT - 1) & ~(ALIGNMENT - 1))

/* A node in a singly linked list with a variable-length name. */
typedef struct node_s {
  struct node_s *next;
  size_t length;
  char name[];
} node_s;

static size_t node_size(size_t length)
{
  return ALIGN_UP(sizeof(node_s) + length + 1);
}

/* Allocate and initialise a node using mps_reserve and mps_commit.
 * Returns NULL if the pool is out of memory. */
static node_s *make_node(mps_ap_t ap, node_s *next, const char *name)
{
  size_t length = strlen(name);
  size_t size = node_size(length);
  mps_addr_t p;
  node_s *node;

  do {
    mps_res_t res = mps_reserve(&p, ap, size);
    if (res != MPS_RES_OK)
      return NULL;
    /* Between reserve and commit: initialise the block, and do nothing
     * we could not safely do twice. */
    node = p;
    node->next = next;
    node->length = length;
    memcpy(node->name, name, length + 1);
  } while (!mps_commit(ap, p, size));
  return node;
}

/* The same, written with MPS_RESERVE_BLOCK, a statement macro that
 * assigns the result code and the address to two variables. */
static node_s *make_node_block(mps_ap_t ap, node_s *next, const char *name)
{
  size_t length = strlen(name);
  size_t size = node_size(length);
  mps_addr_t p;
  mps_res_t res;
  node_s *node;

  do {
    MPS_RESERVE_BLOCK(res, p, ap, size);
    if (res != MPS_RES_OK)
      return NULL;
    node = p;
    node->next = next;
    node->length = length;
    memcpy(node->name, name, length + 1);
  } while (!mps_commit(ap, p, size));
  return node;
}

int main(void)
{
  static const char *const names[] = {
    "mercury", "venus", "earth", "mars", "jupiter", "saturn", "uranus",
    "neptune"
  };
  enum { NAMES = sizeof names / sizeof names[0], ROUNDS = 2000 };
  mps_arena_t arena;
  mps_pool_t pool;
  mps_ap_t ap;
  mps_res_t res;
  node_s *list = NULL, *node;
  size_t count = 0, bytes = 0, i;

  res = mps_arena_create_k(&arena, mps_arena_class_vm(), mps_args_none);
  if (res != MPS_RES_OK)
    die("mps_arena_create_k", res);

  MPS_ARGS_BEGIN(args) {
    MPS_ARGS_ADD(args, MPS_KEY_ALIGN, ALIGNMENT);
    MPS_ARGS_ADD(args, MPS_KEY_MEAN_SIZE, node_size(6));
    res = mps_pool_create_k(&pool, arena, mps_class_mvff(), args);
  } MPS_ARGS_END(args);
  if (res != MPS_RES_OK)
    die("mps_pool_create_k", res);

  /* Create the allocation point before any mps_alloc on this pool.
   * MVFF allocation points take no keyword arguments. */
  res = mps_ap_create_k(&ap, pool, mps_args_none);
  if (res != MPS_RES_OK)
    die("mps_ap_create_k", res);

  /* Build a long list, alternating the two ways of reserving.  Most
   * reservations are satisfied inline by bumping a pointer; only when
   * the allocation point's buffer runs out does the library get
   * called to refill it. */
  for (i = 0; i < ROUNDS * NAMES; ++i) {
    const char *name = names[i % NAMES];
    node = (i % 2 == 0) ? make_node(ap, list, name)
                        : make_node_block(ap, list, name);
    if (node == NULL)
      die("reserve", MPS_RES_MEMORY);
    list = node;
    ++count;
    bytes += node_size(node->length);
  }
  printf("ap: allocated %zu nodes, %zu bytes, through one allocation point\n",
         count, bytes);

  /* Walk the list and check every node: the newest is first. */
  i = count;
  for (node = list; node != NULL; node = node->next) {
    --i;
    expect(strcmp(node->name, names[i % NAMES]) == 0, "node name intact");
    expect(node->length == strlen(names[i % NAMES]), "node length intact");
  }
  expect(i == 0, "list has every node");
  expect(mps_pool_total_size(pool) - mps_pool_free_size(pool) >= bytes,
         "the pool accounts for every committed node");

  /* Destroying the allocation point leaves committed blocks alone. */
  mps_ap_destroy(ap);
  expect(strcmp(list->name, names[(count - 1) % NAMES]) == 0,
         "nodes outlive their allocation point");

  /* Blocks from an allocation point on a manual pool are freed like any
   * other block, with mps_free and their size. */
  while (list != NULL) {
    node = list->next;
    mps_free(pool, list, node_size(list->length));
    list = node;
  }
  printf("ap: freed them all; pool total %zu, free %zu\n",
         mps_pool_total_size(pool), mps_pool_free_size(pool));
  expect(mps_pool_free_size(pool) == mps_pool_total_size(pool),
         "everything is free again");

  mps_pool_destroy(pool);
  mps_arena_destroy(arena);
  printf("ap: done\n");
  return EXIT_SUCCESS;
}
