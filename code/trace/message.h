/* trace/message.h -- messages from the collector to the client: the
 * per-arena queue, GC start, GC and finalization messages.
 * Design: manual/design/message.rst
 *
 * Every function takes or reaches the trace layer's state of an arena
 * (Globals) whose lock the caller holds.  The trace engine allocates its
 * messages before a trace starts (message_alloc), so posting never fails
 * (design.message.reliable). */
#ifndef LAGOON_TRACE_MESSAGE_H
#define LAGOON_TRACE_MESSAGE_H

#include "base/check.h"
#include "base/ring.h"
#include "arena/arena.h"
#include "pool/scan.h"
#include "trace/trace.h"

#define message_sig_value SIG_MESSAGE

/* Message types.  The codes are the public ones of mps.h, so an
 * mps_message_type_t is a MessageType (design.message.type). */
typedef enum MessageType {
  MESSAGE_TYPE_FINALIZATION = _mps_MESSAGE_TYPE_FINALIZATION,
  MESSAGE_TYPE_GC = _mps_MESSAGE_TYPE_GC,
  MESSAGE_TYPE_GC_START = _mps_MESSAGE_TYPE_GC_START,
  MESSAGE_TYPE_LIMIT
} MessageType;

/* design.message.state */
typedef enum MessageState {
  MESSAGE_UNPOSTED = 0,   /* allocated, not yet posted */
  MESSAGE_QUEUED,         /* on the queue, waiting for mps_message_get */
  MESSAGE_DELIVERED       /* got by the client, not yet discarded */
} MessageState;

struct mps_message_s {
  Sig sig;                  /* SIG_MESSAGE, set last by message_alloc */
  Arena *arena;
  MessageType type;         /* MESSAGE_TYPE_LIMIT until posted */
  MessageState state;
  /* In Globals.message_queue from posting to discarding, in order of
   * posting (design.message.queue).  Single while unposted. */
  Ring queue_ring;
  mps_clock_t clock;        /* mps_clock() at posting; 0 for finalization */
  union {
    struct { Size live, condemned, not_condemned; } gc;
    struct { TraceWhy why; } gc_start;
    /* The guarded object, kept alive until the message is discarded
     * (design.message.final.alive); a moving pool may update it. */
    struct { Addr ref; } final;
  } u;
};

bool message_check(const Message *msg);

/* Whether t names a message type. */
static inline bool message_type_check(unsigned t) { return t < MESSAGE_TYPE_LIMIT; }

/* ---- Per-arena state (the message fields of Globals) ---- */

/* Make the queue empty with every type disabled.  Called by
 * globals_create.  No allocation. */
void messages_init(Globals *g);
/* Free every message of the arena, queued or got by the client and not
 * discarded.  Called by globals_destroy before the arena goes
 * (design.message.destroy). */
void messages_destroy_all(Globals *g);

/* The trace layer's state of an arena, asserted to exist. */
Globals *message_globals(Arena *arena);

/* ---- Engine side ---- */

/* Allocate an unposted message from control memory.  RES_MEMORY (or the
 * arena's control allocation result) if none; nothing allocated then. */
Res message_alloc(Message **msg_o, Arena *arena) WARN_UNUSED;
/* Free a message that was allocated and never posted. */
void message_free(Message *msg);

/* Post msg (unposted) as a message of its kind, stamping the clock.  If
 * the type is disabled, msg is freed instead (design.message.disabled).
 * Either way the caller must not use msg afterwards.  Cannot fail. */
void message_post_gc_start(Message *msg, TraceWhy why);
void message_post_gc(Message *msg, Size live, Size condemned, Size not_condemned);
void message_post_finalization(Message *msg, Addr ref);

bool message_type_enabled(const Globals *g, unsigned type);

/* Fix the reference of every live finalization message (queued, or got
 * and not discarded), so the object stays alive until the client
 * discards the message.  For the engine's root scan at the final or
 * exact rank.  design.message.final.alive */
Res messages_scan(ScanState *ss, Globals *g) WARN_UNUSED;

/* The English reason a trace started, for mps_message_gc_start_why.
 * Static storage. */
const char *message_why_string(TraceWhy why);

/* ---- Client side (the interface calls these with the lock held) ---- */

void message_type_enable(Globals *g, MessageType type);
/* Disable a type and free its queued messages (design.message.disable). */
void message_type_disable(Globals *g, MessageType type);
/* True and the type of the oldest queued message, if any. */
bool message_queue_type(MessageType *type_o, const Globals *g);
/* True and the oldest queued message of type, now delivered. */
bool message_get(Message **msg_o, Globals *g, MessageType type);
/* Free a delivered message. */
void message_discard(Globals *g, Message *msg);

/* Accessors of delivered messages.  A message of the wrong type is a
 * client error, asserted (design.message.accessor). */
MessageType message_type(const Message *msg);
mps_clock_t message_clock(const Message *msg);
Size message_gc_live_size(const Message *msg);
Size message_gc_condemned_size(const Message *msg);
Size message_gc_not_condemned_size(const Message *msg);
const char *message_gc_start_why(const Message *msg);
Addr message_finalization_ref(const Message *msg);

#endif /* LAGOON_TRACE_MESSAGE_H */
