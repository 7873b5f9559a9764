/* trace/message.c -- the message queue of an arena and the GC start, GC
 * and finalization messages.
 * Design: manual/design/message.rst */
#include "trace/message.h"

_Static_assert(MESSAGE_TYPE_LIMIT <= sizeof(unsigned) * CHAR_BIT,
               "message_enabled has a bit per type");

/* Check the Globals the message functions are given by signature only:
 * the whole globals_check belongs to the trace engine. */
static inline __attribute__((unused)) bool message_globals_ok(const Globals *g)
{
  return g != NULL && g->sig == SIG_GLOBALS && g->arena != NULL;
}

bool message_check(const Message *msg)
{
  CHECK_SIG(msg, SIG_MESSAGE);
  CHECK_PARENT(arena, msg->arena);
  CHECK(msg->state <= MESSAGE_DELIVERED);
  CHECK(ring_check(&msg->queue_ring));
  /* design.message.state */
  if (msg->state == MESSAGE_UNPOSTED) {
    CHECK(msg->type == MESSAGE_TYPE_LIMIT);
    CHECK(ring_is_single(&msg->queue_ring));
  } else {
    CHECK(message_type_check(msg->type));
    CHECK(!ring_is_single(&msg->queue_ring));
  }
  if (msg->type == MESSAGE_TYPE_GC_START)
    CHECK(msg->u.gc_start.why < TRACE_WHY_LIMIT);
  if (msg->type == MESSAGE_TYPE_FINALIZATION)
    CHECK(msg->clock == 0);
  return true;
}

/* Free a message in any state, once off the queue. */
static void message_release(Message *msg)
{
  Arena *arena = msg->arena;

  ASSERT(ring_is_single(&msg->queue_ring));
  msg->sig = SIG_INVALID;
  ring_finish(&msg->queue_ring);
  arena_control_free(arena, msg, sizeof(Message));
}

void messages_init(Globals *g)
{
  ASSERT(g != NULL);
  ring_init(&g->message_queue);
  g->message_enabled = 0;       /* design.message.default */
  g->message_drops = 0;
}

void messages_destroy_all(Globals *g)
{
  Ring *node, *next;

  ASSERT(message_globals_ok(g));
  ASSERT(arena_is_locked(g->arena));
  RING_FOR(node, &g->message_queue, next) {
    Message *msg = RING_ELT(Message, queue_ring, node);
    ASSERT_VALID(message, msg);
    ring_remove(&msg->queue_ring);
    message_release(msg);
  }
  ASSERT(ring_is_empty(&g->message_queue));
}

Globals *message_globals(Arena *arena)
{
  Globals *g;

  ASSERT_VALID(arena, arena);
  g = arena->globals;
  /* The trace layer's state exists from mps_arena_create_k to
   * mps_arena_destroy (design.trace.globals). */
  ASSERT(message_globals_ok(g));
  return g;
}

Res message_alloc(Message **msg_o, Arena *arena)
{
  Message *msg;
  void *p;
  Res res;

  ASSERT(msg_o != NULL);
  ASSERT_VALID(arena, arena);
  res = arena_control_alloc(&p, arena, sizeof(Message));
  if (res != RES_OK)
    return res;
  msg = p;
  msg->arena = arena;
  msg->type = MESSAGE_TYPE_LIMIT;
  msg->state = MESSAGE_UNPOSTED;
  ring_init(&msg->queue_ring);
  msg->clock = 0;
  msg->u.gc.live = msg->u.gc.condemned = msg->u.gc.not_condemned = 0;
  msg->sig = SIG_MESSAGE;
  *msg_o = msg;
  return RES_OK;
}

void message_free(Message *msg)
{
  ASSERT_VALID(message, msg);
  ASSERT(msg->state == MESSAGE_UNPOSTED);
  message_release(msg);
}

bool message_type_enabled(const Globals *g, unsigned type)
{
  ASSERT(message_globals_ok(g));
  ASSERT(message_type_check(type));
  return ((g->message_enabled >> type) & 1u) != 0;
}

/* Queue msg as a message of type, or free it if the type is disabled.
 * design.message.disabled, design.message.queue */
static void message_post(Message *msg, MessageType type, mps_clock_t clock)
{
  Globals *g;

  ASSERT(msg->state == MESSAGE_UNPOSTED);
  g = message_globals(msg->arena);
  ASSERT(arena_is_locked(msg->arena));
  if (!message_type_enabled(g, type)) {
    ++g->message_drops;
    message_release(msg);
    return;
  }
  msg->type = type;
  msg->clock = clock;
  msg->state = MESSAGE_QUEUED;
  ring_append(&g->message_queue, &msg->queue_ring);
  ASSERT_VALID(message, msg);
}

void message_post_gc_start(Message *msg, TraceWhy why)
{
  ASSERT_VALID(message, msg);
  ASSERT(why < TRACE_WHY_LIMIT);
  msg->u.gc_start.why = why;
  message_post(msg, MESSAGE_TYPE_GC_START, mps_clock());
}

void message_post_gc(Message *msg, Size live, Size condemned, Size not_condemned)
{
  ASSERT_VALID(message, msg);
  /* design.scan.account: what survived was condemned */
  ASSERT(live <= condemned);
  msg->u.gc.live = live;
  msg->u.gc.condemned = condemned;
  msg->u.gc.not_condemned = not_condemned;
  message_post(msg, MESSAGE_TYPE_GC, mps_clock());
}

void message_post_finalization(Message *msg, Addr ref)
{
  ASSERT_VALID(message, msg);
  ASSERT(ref != 0);
  msg->u.final.ref = ref;
  /* design.message.clock: the manual gives 0 for finalization messages */
  message_post(msg, MESSAGE_TYPE_FINALIZATION, 0);
}

Res messages_scan(ScanState *ss, Globals *g)
{
  Shift zone_shift;
  Ring *node, *next;

  ASSERT_VALID(scan_state, ss);
  ASSERT(message_globals_ok(g));
  zone_shift = ss->arena->zone_shift;
  RING_FOR(node, &g->message_queue, next) {
    Message *msg = RING_ELT(Message, queue_ring, node);
    Addr ref;

    ASSERT_CRIT(message_check(msg));
    if (msg->type != MESSAGE_TYPE_FINALIZATION)
      continue;
    /* The two stages of MPS_FIX12, done here: note the zone in the
     * unfixed summary, and fix only what may be white. */
    ref = msg->u.final.ref;
    ss->ss_s._ufs |= (mps_word_t)refset_single(zone_of(zone_shift, ref));
    if (refset_is_member_addr(zone_shift, ss->white, ref)) {
      Res res = scan_fix(ss, &msg->u.final.ref);
      if (res != RES_OK)
        return res;
    }
  }
  return RES_OK;
}

const char *message_why_string(TraceWhy why)
{
  /* design.message.why: one English sentence per reason */
  static const char *const why_strings[TRACE_WHY_LIMIT] = {
    [TRACE_WHY_CHAIN] = "A generation of a chain grew past its capacity.",
    [TRACE_WHY_CLIENT] = "The client program asked for a full collection.",
    [TRACE_WHY_STEP] = "The client program gave the collector idle time to use.",
    [TRACE_WHY_RAMP] = "A ramp allocation pattern that asked for a full collection ended."
  };
  ASSERT(why < TRACE_WHY_LIMIT);
  ASSERT(why_strings[why] != NULL);
  return why_strings[why];
}

/* ---- Client side ---- */

void message_type_enable(Globals *g, MessageType type)
{
  ASSERT(message_globals_ok(g));
  ASSERT(message_type_check(type));
  g->message_enabled |= 1u << type;
}

void message_type_disable(Globals *g, MessageType type)
{
  Ring *node, *next;

  ASSERT(message_globals_ok(g));
  ASSERT(message_type_check(type));
  g->message_enabled &= ~(1u << type);
  /* design.message.disable: flush the queued ones; those the client got
   * are its own until it discards them. */
  RING_FOR(node, &g->message_queue, next) {
    Message *msg = RING_ELT(Message, queue_ring, node);
    if (msg->type == type && msg->state == MESSAGE_QUEUED) {
      ring_remove(&msg->queue_ring);
      message_release(msg);
    }
  }
}

bool message_queue_type(MessageType *type_o, const Globals *g)
{
  const Ring *node;

  ASSERT(message_globals_ok(g));
  for (node = g->message_queue.next; node != &g->message_queue; node = node->next) {
    const Message *msg = RING_ELT(const Message, queue_ring, node);
    ASSERT_CRIT(message_check(msg));
    if (msg->state == MESSAGE_QUEUED) {
      if (type_o != NULL)
        *type_o = msg->type;
      return true;
    }
  }
  return false;
}

bool message_get(Message **msg_o, Globals *g, MessageType type)
{
  Ring *node;

  ASSERT(msg_o != NULL);
  ASSERT(message_globals_ok(g));
  ASSERT(message_type_check(type));
  for (node = g->message_queue.next; node != &g->message_queue; node = node->next) {
    Message *msg = RING_ELT(Message, queue_ring, node);
    ASSERT_CRIT(message_check(msg));
    if (msg->state == MESSAGE_QUEUED && msg->type == type) {
      /* design.message.queue.delivered: it stays on the ring */
      msg->state = MESSAGE_DELIVERED;
      *msg_o = msg;
      return true;
    }
  }
  return false;
}

void message_discard(Globals *g, Message *msg)
{
  UNUSED(g);   /* checks only */
  ASSERT(message_globals_ok(g));
  ASSERT_VALID(message, msg);
  ASSERT(msg->arena == g->arena);
  /* Only a message the client got may be discarded (the manual). */
  ASSERT(msg->state == MESSAGE_DELIVERED);
  ring_remove(&msg->queue_ring);
  message_release(msg);
}

/* design.message.accessor: the message must be one the client got and
 * has not discarded, and of the accessor's type. */
static inline const Message *message_delivered(const Message *msg, MessageType type)
{
  UNUSED(type);   /* checks only */
  ASSERT_VALID(message, msg);
  ASSERT(msg->state == MESSAGE_DELIVERED);
  ASSERT(type == MESSAGE_TYPE_LIMIT || msg->type == type);
  return msg;
}

MessageType message_type(const Message *msg)
{
  return message_delivered(msg, MESSAGE_TYPE_LIMIT)->type;
}

mps_clock_t message_clock(const Message *msg)
{
  return message_delivered(msg, MESSAGE_TYPE_LIMIT)->clock;
}

Size message_gc_live_size(const Message *msg)
{
  return message_delivered(msg, MESSAGE_TYPE_GC)->u.gc.live;
}

Size message_gc_condemned_size(const Message *msg)
{
  return message_delivered(msg, MESSAGE_TYPE_GC)->u.gc.condemned;
}

Size message_gc_not_condemned_size(const Message *msg)
{
  return message_delivered(msg, MESSAGE_TYPE_GC)->u.gc.not_condemned;
}

const char *message_gc_start_why(const Message *msg)
{
  return message_why_string(message_delivered(msg, MESSAGE_TYPE_GC_START)->u.gc_start.why);
}

Addr message_finalization_ref(const Message *msg)
{
  return message_delivered(msg, MESSAGE_TYPE_FINALIZATION)->u.final.ref;
}
