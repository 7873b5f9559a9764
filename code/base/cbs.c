/* base/cbs.c -- coalescing block structure: an augmented AVL tree of
 * disjoint, coalesced address ranges.
 * Design: manual/design/cbs.rst */
#include "base/cbs.h"

/* design.cbs.tree.height: an AVL tree of n nodes has height below
 * 1.45 * log2(n + 2).  Nodes take at least 40 bytes, so n < 2^59 and the
 * height stays below 86; paths are kept in arrays of this length. */
#define CBS_HEIGHT_MAX 96

/* Node helpers ----------------------------------------------------------- */

static inline Size cbs_node_range_size(const CBSNode *n) { return n->limit - n->base; }
static inline unsigned cbs_node_height(const CBSNode *n) { return n != NULL ? n->height : 0; }
static inline Size cbs_node_max(const CBSNode *n) { return n != NULL ? n->max : 0; }

/* Recompute height and max from the children: design.cbs.inv.max. */
static inline void cbs_node_update(CBSNode *n)
{
  unsigned hl = cbs_node_height(n->left), hr = cbs_node_height(n->right);
  Size m = cbs_node_range_size(n), ml = cbs_node_max(n->left), mr = cbs_node_max(n->right);
  n->height = 1 + (hl > hr ? hl : hr);
  if (ml > m)
    m = ml;
  if (mr > m)
    m = mr;
  n->max = m;
}

static CBSNode *cbs_rotate_right(CBSNode *n)
{
  CBSNode *l = n->left;
  n->left = l->right;
  l->right = n;
  cbs_node_update(n);
  cbs_node_update(l);
  return l;
}

static CBSNode *cbs_rotate_left(CBSNode *n)
{
  CBSNode *r = n->right;
  n->right = r->left;
  r->left = n;
  cbs_node_update(n);
  cbs_node_update(r);
  return r;
}

/* Restore design.cbs.inv.avl at n, whose subtrees are AVL trees whose
 * heights differ by at most two; returns the new subtree root. */
static CBSNode *cbs_rebalance(CBSNode *n)
{
  unsigned hl = cbs_node_height(n->left), hr = cbs_node_height(n->right);
  if (hl > hr + 1) {
    if (cbs_node_height(n->left->left) < cbs_node_height(n->left->right))
      n->left = cbs_rotate_left(n->left);
    return cbs_rotate_right(n);
  }
  if (hr > hl + 1) {
    if (cbs_node_height(n->right->right) < cbs_node_height(n->right->left))
      n->right = cbs_rotate_right(n->right);
    return cbs_rotate_left(n);
  }
  cbs_node_update(n);
  return n;
}

/* Insert node `new_` (whose range is disjoint from all others) into the
 * subtree at root; returns the new subtree root.  Recursion depth is the
 * tree height. */
static CBSNode *cbs_tree_insert(CBSNode *root, CBSNode *new_)
{
  if (root == NULL)
    return new_;
  if (new_->base < root->base)
    root->left = cbs_tree_insert(root->left, new_);
  else
    root->right = cbs_tree_insert(root->right, new_);
  return cbs_rebalance(root);
}

/* Unlink the leftmost node of the subtree into *min_o. */
static CBSNode *cbs_tree_remove_min(CBSNode *root, CBSNode **min_o)
{
  if (root->left == NULL) {
    *min_o = root;
    return root->right;
  }
  root->left = cbs_tree_remove_min(root->left, min_o);
  return cbs_rebalance(root);
}

/* Unlink the node whose base is `base` (it must be present) into
 * *removed_o; returns the new subtree root.  The successor node itself
 * is moved into the gap, so no node changes its range. */
static CBSNode *cbs_tree_remove(CBSNode *root, Addr base, CBSNode **removed_o)
{
  ASSERT_CRIT(root != NULL);
  if (base < root->base) {
    root->left = cbs_tree_remove(root->left, base, removed_o);
  } else if (base > root->base) {
    root->right = cbs_tree_remove(root->right, base, removed_o);
  } else {
    CBSNode *succ, *right;
    *removed_o = root;
    if (root->left == NULL)
      return root->right;
    if (root->right == NULL)
      return root->left;
    right = cbs_tree_remove_min(root->right, &succ);
    succ->left = root->left;
    succ->right = right;
    root = succ;
  }
  return cbs_rebalance(root);
}

/* Path from the root towards `addr`: path[0] is the root and path[i+1] a
 * child of path[i].  Stops at the node containing addr, or at a leaf end.
 * Returns the path length (0 if the tree is empty).  The nodes on it
 * include the nearest ranges on both sides of addr. */
static unsigned cbs_tree_path(CBSNode **path, const CBS *cbs, Addr addr)
{
  unsigned depth = 0;
  CBSNode *n = cbs->root;
  while (n != NULL) {
    ASSERT_CRIT(depth < CBS_HEIGHT_MAX);
    path[depth++] = n;
    if (addr < n->base)
      n = n->left;
    else if (addr >= n->limit)
      n = n->right;
    else
      break;
  }
  return depth;
}

/* After `changed`, a node on the path, changed its range in place
 * (keeping the order; the tree's shape and so every height are as they
 * were), restore design.cbs.inv.max from it up.  Nodes below it on the
 * path are untouched, and a node's max depends only on its own range and
 * its children's maxes, so the walk stops at the first node whose max
 * comes out unchanged. */
static void cbs_path_update(CBSNode **path, unsigned depth, const CBSNode *changed)
{
  unsigned i = depth;
  while (i > 0 && path[i - 1] != changed)
    --i;
  ASSERT_CRIT(i > 0);
  while (i > 0) {
    CBSNode *n = path[--i];
    Size old = n->max;
    cbs_node_update(n);
    if (n->max == old)
      break;
  }
}

/* Re-find the node with this base and update the maxes on its path. */
static void cbs_update_to(CBS *cbs, Addr base)
{
  CBSNode *path[CBS_HEIGHT_MAX];
  unsigned depth = cbs_tree_path(path, cbs, base);
  ASSERT_CRIT(depth > 0 && path[depth - 1]->base == base);
  cbs_path_update(path, depth, path[depth - 1]);
}

/* Nodes from the callbacks ----------------------------------------------- */

static Res cbs_node_alloc_(CBSNode **node_o, CBS *cbs)
{
  void *p = NULL;
  Res res = cbs->node_alloc(&p, cbs->closure);
  if (res != RES_OK)
    return res == RES_FAIL ? RES_MEMORY : res;   /* design.cbs.node.alloc */
  ASSERT(p != NULL);
  ASSERT(addr_is_aligned(ptr_addr(p), _Alignof(CBSNode)));
  *node_o = p;
  return RES_OK;
}

static void cbs_node_free_(CBS *cbs, CBSNode *n)
{
  cbs->node_free(n, cbs->closure);
}

/* Life ------------------------------------------------------------------- */

void cbs_init(CBS *cbs, Align align, CBSNodeAllocFn alloc_fn,
              CBSNodeFreeFn free_fn, void *closure)
{
  ASSERT(cbs != NULL);
  ASSERT(align_check(align));
  ASSERT(alloc_fn != NULL);
  ASSERT(free_fn != NULL);
  cbs->align = align;
  cbs->root = NULL;
  cbs->node_alloc = alloc_fn;
  cbs->node_free = free_fn;
  cbs->closure = closure;
  cbs->size = 0;
  cbs->count = 0;
  cbs->sig = SIG_CBS;
  ASSERT_VALID(cbs, cbs);
}

void cbs_finish(CBS *cbs)
{
  CBSNode *stack[CBS_HEIGHT_MAX];
  unsigned depth = 0;

  ASSERT_VALID(cbs, cbs);
  cbs->sig = SIG_INVALID;
  /* Depth-first with an explicit stack: push a node's children, then free
   * it.  The stack holds at most one pending node per level plus one. */
  if (cbs->root != NULL)
    stack[depth++] = cbs->root;
  while (depth > 0) {
    CBSNode *n = stack[--depth];
    if (n->left != NULL)
      stack[depth++] = n->left;
    if (n->right != NULL)
      stack[depth++] = n->right;
    ASSERT(depth < CBS_HEIGHT_MAX);
    cbs_node_free_(cbs, n);
  }
  cbs->root = NULL;
  cbs->size = 0;
  cbs->count = 0;
}

bool cbs_check(const CBS *cbs)
{
  CHECK_SIG(cbs, SIG_CBS);
  CHECK(align_check(cbs->align));
  CHECK(cbs->node_alloc != NULL);
  CHECK(cbs->node_free != NULL);
  CHECK((cbs->root == NULL) == (cbs->count == 0));
  CHECK((cbs->root == NULL) == (cbs->size == 0));
  CHECK(cbs->root == NULL || cbs->root->max <= cbs->size);
  return true;
}

/* Check the subtree at n, whose ranges must lie in [low, high); add its
 * size and count.  design.cbs.inv.* */
static bool cbs_verify_subtree(const CBS *cbs, const CBSNode *n, Addr low, Addr high,
                           Size *size_io, Count *count_io, unsigned depth)
{
  if (n == NULL)
    return true;
  CHECK(depth < CBS_HEIGHT_MAX);
  CHECK(n->base < n->limit);                                /* .inv.aligned */
  CHECK(addr_is_aligned(n->base, cbs->align));
  CHECK(addr_is_aligned(n->limit, cbs->align));
  CHECK(low <= n->base && n->limit <= high);                /* .inv.disjoint */
  if (!cbs_verify_subtree(cbs, n->left, low, n->base, size_io, count_io, depth + 1))
    return false;
  if (!cbs_verify_subtree(cbs, n->right, n->limit, high, size_io, count_io, depth + 1))
    return false;
  {
    unsigned hl = cbs_node_height(n->left), hr = cbs_node_height(n->right);
    Size m = cbs_node_range_size(n);
    CHECK(n->height == 1 + (hl > hr ? hl : hr));              /* .inv.avl */
    CHECK(hl <= hr + 1 && hr <= hl + 1);
    if (cbs_node_max(n->left) > m)
      m = cbs_node_max(n->left);
    if (cbs_node_max(n->right) > m)
      m = cbs_node_max(n->right);
    CHECK(n->max == m);                                        /* .inv.max */
  }
  *size_io += cbs_node_range_size(n);
  *count_io += 1;
  return true;
}

typedef struct CBSVerifyOrder {
  bool first;
  Addr prev_limit;
  bool ok;
} CBSVerifyOrder;

static bool cbs_verify_order_visit(const Range *range, void *closure)
{
  CBSVerifyOrder *vo = closure;
  /* design.cbs.inv.coalesced: strictly above the previous limit. */
  if (!vo->first && range->base <= vo->prev_limit) {
    vo->ok = false;
    return false;
  }
  vo->first = false;
  vo->prev_limit = range->limit;
  return true;
}

bool cbs_verify(const CBS *cbs)
{
  Size size = 0;
  Count count = 0;
  CBSVerifyOrder vo = {true, 0, true};

  CHECK(cbs_check(cbs));
  CHECK(cbs_verify_subtree(cbs, cbs->root, 0, ADDR_MAX, &size, &count, 0));
  CHECK(size == cbs->size);
  CHECK(count == cbs->count);
  (void)cbs_iterate((CBS *)cbs, cbs_verify_order_visit, &vo);
  CHECK(vo.ok);
  return true;
}

/* Insert and delete ------------------------------------------------------ */

static void cbs_check_arg_range(const CBS *cbs, const Range *range)
{
  ASSERT(range != NULL);
  ASSERT(range->base < range->limit);
  ASSERT(range_is_aligned(range, cbs->align));
  UNUSED(cbs);
  UNUSED(range);
}

/* Find the nearest ranges below and at-or-above addr (either may be
 * NULL), recording the path, which holds both. */
static unsigned cbs_find_neighbours(CBSNode **path, CBSNode **pred_o, CBSNode **succ_o,
                                const CBS *cbs, Addr addr)
{
  unsigned depth = cbs_tree_path(path, cbs, addr);
  CBSNode *pred = NULL, *succ = NULL;
  for (unsigned i = 0; i < depth; ++i) {
    CBSNode *n = path[i];
    if (n->base < addr) {
      if (pred == NULL || n->base > pred->base)
        pred = n;
    } else {
      if (succ == NULL || n->base < succ->base)
        succ = n;
    }
  }
  *pred_o = pred;
  *succ_o = succ;
  return depth;
}

/* design.cbs.insert */
Res cbs_insert(Range *range_o, CBS *cbs, const Range *range)
{
  CBSNode *path[CBS_HEIGHT_MAX];
  CBSNode *pred, *succ, *n;
  unsigned depth;
  bool join_low, join_high;
  Res res;

  ASSERT_VALID(cbs, cbs);
  ASSERT(range_o != NULL);
  cbs_check_arg_range(cbs, range);

  depth = cbs_find_neighbours(path, &pred, &succ, cbs, range->base);
  if ((pred != NULL && pred->limit > range->base) ||
      (succ != NULL && succ->base < range->limit))
    return RES_FAIL;
  join_low = pred != NULL && pred->limit == range->base;
  join_high = succ != NULL && succ->base == range->limit;

  if (join_low && join_high) {
    /* Both neighbours merge into pred; succ's node goes. */
    Addr pred_base = pred->base, new_limit = succ->limit;
    CBSNode *removed;
    cbs->root = cbs_tree_remove(cbs->root, succ->base, &removed);
    ASSERT(removed == succ);
    pred->limit = new_limit;
    cbs_update_to(cbs, pred_base);
    cbs_node_free_(cbs, removed);
    cbs->count -= 1;
    range_init(range_o, pred_base, new_limit);
  } else if (join_low) {
    pred->limit = range->limit;
    cbs_path_update(path, depth, pred);
    range_init(range_o, pred->base, pred->limit);
  } else if (join_high) {
    /* Order is kept: nothing lies between pred and succ. */
    succ->base = range->base;
    cbs_path_update(path, depth, succ);
    range_init(range_o, succ->base, succ->limit);
  } else {
    res = cbs_node_alloc_(&n, cbs);
    if (res != RES_OK)
      return res;
    n->left = n->right = NULL;
    n->base = range->base;
    n->limit = range->limit;
    n->height = 1;
    n->max = cbs_node_range_size(n);
    cbs->root = cbs_tree_insert(cbs->root, n);
    cbs->count += 1;
    *range_o = *range;
  }
  cbs->size += range_size(range);
  ASSERT_CRIT(cbs_check(cbs));
  return RES_OK;
}

/* design.cbs.delete */
Res cbs_delete(Range *range_o, CBS *cbs, const Range *range)
{
  CBSNode *path[CBS_HEIGHT_MAX];
  CBSNode *n;
  unsigned depth;
  Range old;

  ASSERT_VALID(cbs, cbs);
  ASSERT(range_o != NULL);
  cbs_check_arg_range(cbs, range);

  depth = cbs_tree_path(path, cbs, range->base);
  if (depth == 0)
    return RES_FAIL;
  n = path[depth - 1];
  if (!(n->base <= range->base && range->limit <= n->limit))
    return RES_FAIL;
  range_init(&old, n->base, n->limit);

  if (n->base == range->base && n->limit == range->limit) {
    CBSNode *removed;
    cbs->root = cbs_tree_remove(cbs->root, n->base, &removed);
    ASSERT(removed == n);
    cbs_node_free_(cbs, removed);
    cbs->count -= 1;
  } else if (n->base == range->base) {
    n->base = range->limit;
    cbs_path_update(path, depth, n);
  } else if (n->limit == range->limit) {
    n->limit = range->base;
    cbs_path_update(path, depth, n);
  } else {
    /* From the middle: the upper remainder needs a node of its own. */
    CBSNode *high;
    Res res = cbs_node_alloc_(&high, cbs);
    if (res != RES_OK)
      return res;
    n->limit = range->base;
    cbs_path_update(path, depth, n);
    high->left = high->right = NULL;
    high->base = range->limit;
    high->limit = old.limit;
    high->height = 1;
    high->max = cbs_node_range_size(high);
    cbs->root = cbs_tree_insert(cbs->root, high);
    cbs->count += 1;
  }
  cbs->size -= range_size(range);
  *range_o = old;
  ASSERT_CRIT(cbs_check(cbs));
  return RES_OK;
}

bool cbs_lookup(Range *range_o, const CBS *cbs, Addr addr)
{
  const CBSNode *n;
  ASSERT_VALID(cbs, cbs);
  ASSERT(range_o != NULL);
  n = cbs->root;
  while (n != NULL) {
    if (addr < n->base)
      n = n->left;
    else if (addr >= n->limit)
      n = n->right;
    else {
      range_init(range_o, n->base, n->limit);
      return true;
    }
  }
  return false;
}

/* Find ------------------------------------------------------------------- */

/* The part of `old` that fd deletes. */
static Range cbs_find_delete_part(const Range *old, Size size, FindDelete fd)
{
  switch (fd) {
  case FIND_DELETE_LOW:
    return range_make(old->base, old->base + size);
  case FIND_DELETE_HIGH:
    return range_make(old->limit - size, old->limit);
  case FIND_DELETE_NONE:
  case FIND_DELETE_ENTIRE:
  default:
    return *old;
  }
}

/* design.cbs.find.delete: deleting an end or the whole of a range never
 * needs a node, so this cannot fail.  path[0..depth) leads from the root
 * to n: cutting an end off n is done in place along it, without a second
 * walk. */
static void cbs_find_finish(Range *range_o, Range *old_o, CBS *cbs, CBSNode **path,
                            unsigned depth, CBSNode *n, Size size, FindDelete fd)
{
  Range old = range_make(n->base, n->limit);
  Range part = cbs_find_delete_part(&old, size, fd);
  ASSERT_CRIT(depth > 0 && path[depth - 1] == n);
  if ((fd == FIND_DELETE_LOW || fd == FIND_DELETE_HIGH) && range_size(&old) > size) {
    if (fd == FIND_DELETE_LOW)
      n->base = part.limit;
    else
      n->limit = part.base;
    cbs_path_update(path, depth, n);
    cbs->size -= size;
    ASSERT_CRIT(cbs_check(cbs));
  } else if (fd != FIND_DELETE_NONE) {
    Range containing;
    Res res = cbs_delete(&containing, cbs, &part);
    ASSERT(res == RES_OK);
    ASSERT(range_equal(&containing, &old));
    UNUSED(res);
  }
  *range_o = part;
  *old_o = old;
}

static void cbs_check_find_args(const Range *range_o, const Range *old_o, const CBS *cbs,
                            Size size, FindDelete fd)
{
  ASSERT_VALID(cbs, cbs);
  ASSERT(range_o != NULL);
  ASSERT(old_o != NULL);
  ASSERT(size > 0);
  ASSERT(size_is_aligned(size, cbs->align));
  ASSERT(find_delete_check(fd));
  UNUSED(range_o);
  UNUSED(old_o);
  UNUSED(cbs);
  UNUSED(size);
  UNUSED(fd);
}

/* design.cbs.find.first: go left whenever the left subtree holds a big
 * enough range, so the first node found is the lowest. */
bool cbs_find_first(Range *range_o, Range *old_o, CBS *cbs, Size size, FindDelete fd)
{
  CBSNode *path[CBS_HEIGHT_MAX];
  unsigned depth = 0;
  CBSNode *n;
  cbs_check_find_args(range_o, old_o, cbs, size, fd);
  n = cbs->root;
  if (cbs_node_max(n) < size)
    return false;
  for (;;) {
    ASSERT_CRIT(depth < CBS_HEIGHT_MAX);
    path[depth++] = n;
    if (cbs_node_max(n->left) >= size)
      n = n->left;
    else if (cbs_node_range_size(n) >= size)
      break;
    else
      n = n->right;
    ASSERT_CRIT(n != NULL && n->max >= size);
  }
  cbs_find_finish(range_o, old_o, cbs, path, depth, n, size, fd);
  return true;
}

bool cbs_find_last(Range *range_o, Range *old_o, CBS *cbs, Size size, FindDelete fd)
{
  CBSNode *path[CBS_HEIGHT_MAX];
  unsigned depth = 0;
  CBSNode *n;
  cbs_check_find_args(range_o, old_o, cbs, size, fd);
  n = cbs->root;
  if (cbs_node_max(n) < size)
    return false;
  for (;;) {
    ASSERT_CRIT(depth < CBS_HEIGHT_MAX);
    path[depth++] = n;
    if (cbs_node_max(n->right) >= size)
      n = n->right;
    else if (cbs_node_range_size(n) >= size)
      break;
    else
      n = n->left;
    ASSERT_CRIT(n != NULL && n->max >= size);
  }
  cbs_find_finish(range_o, old_o, cbs, path, depth, n, size, fd);
  return true;
}

/* design.cbs.find.largest: follow the max down, preferring the left, so
 * the lowest of several equally large ranges is found. */
bool cbs_find_largest(Range *range_o, Range *old_o, CBS *cbs, Size size, FindDelete fd)
{
  CBSNode *path[CBS_HEIGHT_MAX];
  unsigned depth = 0;
  CBSNode *n;
  Size max;
  cbs_check_find_args(range_o, old_o, cbs, size, fd);
  n = cbs->root;
  max = cbs_node_max(n);
  if (max < size)
    return false;
  for (;;) {
    ASSERT_CRIT(depth < CBS_HEIGHT_MAX);
    path[depth++] = n;
    if (cbs_node_max(n->left) == max)
      n = n->left;
    else if (cbs_node_range_size(n) == max)
      break;
    else
      n = n->right;
    ASSERT_CRIT(n != NULL && n->max == max);
  }
  cbs_find_finish(range_o, old_o, cbs, path, depth, n, size, fd);
  return true;
}

/* Iterate ---------------------------------------------------------------- */

bool cbs_iterate(CBS *cbs, RangeVisitFn visit, void *closure)
{
  const CBSNode *stack[CBS_HEIGHT_MAX];
  unsigned depth = 0;
  const CBSNode *n;

  ASSERT_VALID(cbs, cbs);
  ASSERT(visit != NULL);
  n = cbs->root;
  /* In-order walk with an explicit stack of left spines. */
  for (;;) {
    while (n != NULL) {
      ASSERT(depth < CBS_HEIGHT_MAX);
      stack[depth++] = n;
      n = n->left;
    }
    if (depth == 0)
      return true;
    n = stack[--depth];
    {
      Range r = range_make(n->base, n->limit);
      if (!visit(&r, closure))
        return false;
    }
    n = n->right;
  }
}
