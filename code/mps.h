/* mps.h -- Lagoon's public interface, source-compatible with the MPS.
 * Design: manual/design/interface.rst (the MPS manual is the contract)
 *
 * Everything a client needs apart from the arena and pool classes (which
 * have their own headers) is declared here.  Some of it is ABI, not just
 * API: clients inline the allocation point fast path (mps_reserve,
 * mps_commit), the scanning fast path (MPS_SCAN_BEGIN, MPS_FIX1) and the
 * allocation cache fast path (MPS_SAC_ALLOC_FAST), so the layout of
 * mps_ap_s, mps_ss_s, mps_ld_s and _mps_sac_s is fixed here and the
 * library embeds these structures at the start of its own.
 *
 * Names beginning "_mps_" are implementation details that the public
 * macros need; clients must not use them directly. */
#ifndef mps_h
#define mps_h

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif


/* Basic types */

typedef unsigned long mps_word_t;   /* an unsigned integer as wide as a pointer */
typedef int mps_bool_t;             /* zero is false, anything else true */
typedef void *mps_addr_t;           /* an address managed by the MPS */
typedef size_t mps_align_t;         /* a power of two */
typedef unsigned mps_rank_t;        /* see mps_rank_ambig etc. */
typedef unsigned mps_rm_t;          /* root mode: sum of MPS_RM_* */
typedef mps_word_t mps_clock_t;     /* units of mps_clocks_per_sec() */
typedef mps_word_t mps_label_t;     /* telemetry label */
typedef void (*mps_fun_t)(void);    /* any function, for keyword arguments */

/* Opaque handles.  The library defines each struct itself. */
typedef struct mps_arena_s *mps_arena_t;
typedef struct mps_arena_class_s *mps_arena_class_t;
typedef struct mps_pool_s *mps_pool_t;
typedef struct mps_pool_class_s *mps_pool_class_t;
typedef mps_pool_class_t mps_class_t;         /* deprecated name */
typedef struct mps_chain_s *mps_chain_t;
typedef struct mps_fmt_s *mps_fmt_t;
typedef struct mps_root_s *mps_root_t;
typedef struct mps_thr_s *mps_thr_t;
typedef struct mps_message_s *mps_message_t;
typedef struct mps_alloc_pattern_s *mps_alloc_pattern_t;
typedef struct mps_frame_s *mps_frame_t;
typedef struct mps_transform_s *mps_transform_t;
typedef const struct mps_key_s *mps_key_t;


/* Result codes
 *
 * _mps_RES_ENUM(R, X) expands R(X, ident, doc) once per result code, in
 * the order that fixes their values.  MPS_RES_LIMIT is a result code
 * ("limit reached"); the number of result codes is _mps_MPS_RES_LIMIT. */

typedef int mps_res_t;

#define _mps_RES_ENUM(R, X) \
  R(X, OK,           "success; always zero") \
  R(X, FAIL,         "failure of an unspecified kind") \
  R(X, RESOURCE,     "ran out of a resource other than memory") \
  R(X, MEMORY,       "ran out of memory") \
  R(X, LIMIT,        "an internal limit was reached") \
  R(X, UNIMPL,       "not implemented") \
  R(X, IO,           "input or output failed") \
  R(X, COMMIT_LIMIT, "the arena's commit limit would be exceeded") \
  R(X, PARAM,        "an argument was invalid")

#define _mps_ENUM_DEF_ROW(prefix, ident, doc) prefix##ident,
#define _mps_ENUM_DEF(REL, prefix) \
  enum { REL(_mps_ENUM_DEF_ROW, prefix) _mps_##prefix##LIMIT }

_mps_ENUM_DEF(_mps_RES_ENUM, MPS_RES_);


/* Scan states (ABI: see MPS_SCAN_BEGIN and MPS_FIX1)
 *
 * The library's own scan state starts with this structure.  _zs is the
 * zone shift (a reference's zone is (ref >> _zs) modulo the word width),
 * _w is the set of zones that hold white objects, and _ufs accumulates the
 * zones of every reference passed to MPS_FIX1 (the unfixed summary). */

typedef struct mps_ss_s {
  mps_word_t _zs;
  mps_word_t _w;
  mps_word_t _ufs;
} mps_ss_s;
typedef struct mps_ss_s *mps_ss_t;


/* Format methods and other client callbacks */

typedef mps_res_t (*mps_fmt_scan_t)(mps_ss_t ss, mps_addr_t base, mps_addr_t limit);
typedef mps_addr_t (*mps_fmt_skip_t)(mps_addr_t addr);
typedef void (*mps_fmt_copy_t)(mps_addr_t old, mps_addr_t new_addr);
typedef void (*mps_fmt_fwd_t)(mps_addr_t old, mps_addr_t new_addr);
typedef mps_addr_t (*mps_fmt_isfwd_t)(mps_addr_t addr);
typedef void (*mps_fmt_pad_t)(mps_addr_t addr, size_t size);
typedef mps_addr_t (*mps_fmt_class_t)(mps_addr_t addr);

typedef mps_res_t (*mps_root_scan_t)(mps_ss_t ss, void *p, size_t s);
typedef mps_res_t (*mps_reg_scan_t)(mps_ss_t ss, mps_thr_t thr, void *p, size_t s);
typedef mps_res_t (*mps_area_scan_t)(mps_ss_t ss, void *base, void *limit,
                                     void *closure);

typedef void (*mps_formatted_objects_stepper_t)(mps_addr_t addr, mps_fmt_t fmt,
                                                mps_pool_t pool, void *p, size_t s);
typedef void (*mps_roots_stepper_t)(mps_addr_t *ref, mps_root_t root,
                                    void *p, size_t s);

/* Arena extension callbacks (MPS_KEY_ARENA_EXTENDED, _CONTRACTED). */
typedef void (*mps_arena_extended_t)(mps_arena_t arena, void *base, size_t size);
typedef void (*mps_arena_contracted_t)(mps_arena_t arena, void *base, size_t size);


/* Debugging pool options (MPS_KEY_POOL_DEBUG_OPTIONS) */

typedef struct mps_pool_debug_option_s {
  const void *fence_template;   /* copied around each block */
  size_t fence_size;
  const void *free_template;    /* copied over free space */
  size_t free_size;
} mps_pool_debug_option_s;


/* Keyword arguments
 *
 * Each key MPS_KEY_X is the address of a library object _mps_key_X, and
 * MPS_KEY_X_FIELD names the member of mps_arg_s.val that carries its
 * value, so that MPS_ARGS_ADD can pick it.  An argument list is an array
 * ending with MPS_KEY_ARGS_END. */

typedef struct mps_arg_s {
  mps_key_t key;
  union {
    mps_addr_t addr;
    mps_addr_t (*addr_method)(mps_addr_t);
    mps_align_t align;
    mps_bool_t b;
    char c;
    mps_chain_t chain;
    mps_word_t count;
    double d;
    float f;
    mps_fmt_class_t fmt_class;
    mps_fmt_fwd_t fmt_fwd;
    mps_fmt_isfwd_t fmt_isfwd;
    mps_fmt_pad_t fmt_pad;
    mps_fmt_scan_t fmt_scan;
    mps_fmt_skip_t fmt_skip;
    mps_fmt_t format;
    mps_fun_t fun;
    int i;
    long l;
    void *p;
    mps_pool_t pool;
    mps_pool_debug_option_s *pool_debug_options;
    mps_rank_t rank;
    size_t size;
    const char *string;
    unsigned u;
    unsigned long ul;
  } val;
} mps_arg_s;

/* The empty argument list: one element holding MPS_KEY_ARGS_END. */
extern mps_arg_s mps_args_none[];

extern const struct mps_key_s _mps_key_ARGS_END;
#define MPS_KEY_ARGS_END (&_mps_key_ARGS_END)

extern const struct mps_key_s _mps_key_ALIGN;
#define MPS_KEY_ALIGN (&_mps_key_ALIGN)
#define MPS_KEY_ALIGN_FIELD align
extern const struct mps_key_s _mps_key_ap_hash_arrays;
#define MPS_KEY_AP_HASH_ARRAYS (&_mps_key_ap_hash_arrays)
#define MPS_KEY_AP_HASH_ARRAYS_FIELD b
extern const struct mps_key_s _mps_key_arena_contracted;
#define MPS_KEY_ARENA_CONTRACTED (&_mps_key_arena_contracted)
#define MPS_KEY_ARENA_CONTRACTED_FIELD fun
extern const struct mps_key_s _mps_key_arena_extended;
#define MPS_KEY_ARENA_EXTENDED (&_mps_key_arena_extended)
#define MPS_KEY_ARENA_EXTENDED_FIELD fun
extern const struct mps_key_s _mps_key_ARENA_GRAIN_SIZE;
#define MPS_KEY_ARENA_GRAIN_SIZE (&_mps_key_ARENA_GRAIN_SIZE)
#define MPS_KEY_ARENA_GRAIN_SIZE_FIELD size
extern const struct mps_key_s _mps_key_ARENA_SIZE;
#define MPS_KEY_ARENA_SIZE (&_mps_key_ARENA_SIZE)
#define MPS_KEY_ARENA_SIZE_FIELD size
extern const struct mps_key_s _mps_key_ARENA_ZONED;
#define MPS_KEY_ARENA_ZONED (&_mps_key_ARENA_ZONED)
#define MPS_KEY_ARENA_ZONED_FIELD b
/* Lagoon extension: false asks for stop-the-world collection only (no
 * incremental barriers).  Default true.  MPS clients never pass it. */
extern const struct mps_key_s _mps_key_ARENA_INCREMENTAL;
#define MPS_KEY_ARENA_INCREMENTAL (&_mps_key_ARENA_INCREMENTAL)
#define MPS_KEY_ARENA_INCREMENTAL_FIELD b
extern const struct mps_key_s _mps_key_CHAIN;
#define MPS_KEY_CHAIN (&_mps_key_CHAIN)
#define MPS_KEY_CHAIN_FIELD chain
extern const struct mps_key_s _mps_key_COMMIT_LIMIT;
#define MPS_KEY_COMMIT_LIMIT (&_mps_key_COMMIT_LIMIT)
#define MPS_KEY_COMMIT_LIMIT_FIELD size
extern const struct mps_key_s _mps_key_EXTEND_BY;
#define MPS_KEY_EXTEND_BY (&_mps_key_EXTEND_BY)
#define MPS_KEY_EXTEND_BY_FIELD size
extern const struct mps_key_s _mps_key_FMT_ALIGN;
#define MPS_KEY_FMT_ALIGN (&_mps_key_FMT_ALIGN)
#define MPS_KEY_FMT_ALIGN_FIELD align
extern const struct mps_key_s _mps_key_FMT_CLASS;
#define MPS_KEY_FMT_CLASS (&_mps_key_FMT_CLASS)
#define MPS_KEY_FMT_CLASS_FIELD fmt_class
extern const struct mps_key_s _mps_key_FMT_FWD;
#define MPS_KEY_FMT_FWD (&_mps_key_FMT_FWD)
#define MPS_KEY_FMT_FWD_FIELD fmt_fwd
extern const struct mps_key_s _mps_key_FMT_HEADER_SIZE;
#define MPS_KEY_FMT_HEADER_SIZE (&_mps_key_FMT_HEADER_SIZE)
#define MPS_KEY_FMT_HEADER_SIZE_FIELD size
extern const struct mps_key_s _mps_key_FMT_ISFWD;
#define MPS_KEY_FMT_ISFWD (&_mps_key_FMT_ISFWD)
#define MPS_KEY_FMT_ISFWD_FIELD fmt_isfwd
extern const struct mps_key_s _mps_key_FMT_PAD;
#define MPS_KEY_FMT_PAD (&_mps_key_FMT_PAD)
#define MPS_KEY_FMT_PAD_FIELD fmt_pad
extern const struct mps_key_s _mps_key_FMT_SCAN;
#define MPS_KEY_FMT_SCAN (&_mps_key_FMT_SCAN)
#define MPS_KEY_FMT_SCAN_FIELD fmt_scan
extern const struct mps_key_s _mps_key_FMT_SKIP;
#define MPS_KEY_FMT_SKIP (&_mps_key_FMT_SKIP)
#define MPS_KEY_FMT_SKIP_FIELD fmt_skip
extern const struct mps_key_s _mps_key_FORMAT;
#define MPS_KEY_FORMAT (&_mps_key_FORMAT)
#define MPS_KEY_FORMAT_FIELD format
extern const struct mps_key_s _mps_key_GEN;
#define MPS_KEY_GEN (&_mps_key_GEN)
#define MPS_KEY_GEN_FIELD u
extern const struct mps_key_s _mps_key_INTERIOR;
#define MPS_KEY_INTERIOR (&_mps_key_INTERIOR)
#define MPS_KEY_INTERIOR_FIELD b
extern const struct mps_key_s _mps_key_LARGE_SIZE;
#define MPS_KEY_LARGE_SIZE (&_mps_key_LARGE_SIZE)
#define MPS_KEY_LARGE_SIZE_FIELD size
extern const struct mps_key_s _mps_key_MAX_SIZE;
#define MPS_KEY_MAX_SIZE (&_mps_key_MAX_SIZE)
#define MPS_KEY_MAX_SIZE_FIELD size
extern const struct mps_key_s _mps_key_MEAN_SIZE;
#define MPS_KEY_MEAN_SIZE (&_mps_key_MEAN_SIZE)
#define MPS_KEY_MEAN_SIZE_FIELD size
extern const struct mps_key_s _mps_key_MIN_SIZE;
#define MPS_KEY_MIN_SIZE (&_mps_key_MIN_SIZE)
#define MPS_KEY_MIN_SIZE_FIELD size
extern const struct mps_key_s _mps_key_PAUSE_TIME;
#define MPS_KEY_PAUSE_TIME (&_mps_key_PAUSE_TIME)
#define MPS_KEY_PAUSE_TIME_FIELD d
extern const struct mps_key_s _mps_key_POOL_DEBUG_OPTIONS;
#define MPS_KEY_POOL_DEBUG_OPTIONS (&_mps_key_POOL_DEBUG_OPTIONS)
#define MPS_KEY_POOL_DEBUG_OPTIONS_FIELD pool_debug_options
extern const struct mps_key_s _mps_key_RANK;
#define MPS_KEY_RANK (&_mps_key_RANK)
#define MPS_KEY_RANK_FIELD rank
extern const struct mps_key_s _mps_key_SPARE;
#define MPS_KEY_SPARE (&_mps_key_SPARE)
#define MPS_KEY_SPARE_FIELD d
extern const struct mps_key_s _mps_key_SPARE_COMMIT_LIMIT;   /* deprecated */
#define MPS_KEY_SPARE_COMMIT_LIMIT (&_mps_key_SPARE_COMMIT_LIMIT)
#define MPS_KEY_SPARE_COMMIT_LIMIT_FIELD size
extern const struct mps_key_s _mps_key_VMW3_TOP_DOWN;        /* Windows only */
#define MPS_KEY_VMW3_TOP_DOWN (&_mps_key_VMW3_TOP_DOWN)
#define MPS_KEY_VMW3_TOP_DOWN_FIELD b

/* Argument list construction:
 *
 *   MPS_ARGS_BEGIN(args) {
 *     MPS_ARGS_ADD(args, MPS_KEY_ARENA_SIZE, size);
 *     res = mps_arena_create_k(&arena, mps_arena_class_vm(), args);
 *   } MPS_ARGS_END(args);
 *
 * The list is kept terminated after every addition, so MPS_ARGS_DONE is
 * optional.  _mps_args_set_key stops the program (through the assertion
 * handler) if an addition would leave no room for the terminator. */

#define MPS_ARGS_MAX 32

extern void _mps_args_set_key(mps_arg_s args[MPS_ARGS_MAX], unsigned i,
                              mps_key_t key);

#define MPS_BEGIN do {
#define MPS_END   } while (0)

#define MPS_ARGS_BEGIN(_var) \
  MPS_BEGIN \
    mps_arg_s _var[MPS_ARGS_MAX]; \
    unsigned _var##_i = 0; \
    _var[_var##_i].key = MPS_KEY_ARGS_END; \
    MPS_BEGIN

#define MPS_ARGS_ADD_FIELD(_var, _key, _field, _val) \
  MPS_BEGIN \
    _mps_args_set_key(_var, _var##_i, _key); \
    _var[_var##_i].val._field = (_val); \
    ++_var##_i; \
    _var[_var##_i].key = MPS_KEY_ARGS_END; \
  MPS_END

#define MPS_ARGS_ADD(_var, _key, _val) \
  MPS_ARGS_ADD_FIELD(_var, _key, _key##_FIELD, _val)

#define MPS_ARGS_DONE(_var) \
  MPS_BEGIN \
    _var[_var##_i].key = MPS_KEY_ARGS_END; \
  MPS_END

#define MPS_ARGS_END(_var) \
    MPS_END; \
  MPS_END


/* Arenas */

extern mps_res_t mps_arena_create_k(mps_arena_t *arena_o,
                                    mps_arena_class_t arena_class,
                                    mps_arg_s args[]);
extern mps_res_t mps_arena_create(mps_arena_t *arena_o,
                                  mps_arena_class_t arena_class, ...);
extern mps_res_t mps_arena_create_v(mps_arena_t *arena_o,
                                    mps_arena_class_t arena_class, va_list args);
extern void mps_arena_destroy(mps_arena_t arena);
extern mps_res_t mps_arena_extend(mps_arena_t arena, mps_addr_t base, size_t size);

extern void mps_arena_clamp(mps_arena_t arena);
extern void mps_arena_park(mps_arena_t arena);
extern void mps_arena_release(mps_arena_t arena);
extern void mps_arena_postmortem(mps_arena_t arena);
/* The manual shows a void result; returning a result code as well keeps
 * every client that ignores it working. */
extern mps_res_t mps_arena_collect(mps_arena_t arena);
extern mps_res_t mps_arena_start_collect(mps_arena_t arena);
extern mps_bool_t mps_arena_step(mps_arena_t arena, double interval,
                                 double multiplier);
extern mps_bool_t mps_arena_busy(mps_arena_t arena);
/* Deprecated in the MPS but still used by older clients. */
extern void mps_arena_expose(mps_arena_t arena);
extern void mps_arena_unsafe_expose_remember_protection(mps_arena_t arena);
extern void mps_arena_unsafe_restore_protection(mps_arena_t arena);
extern mps_bool_t mps_arena_has_addr(mps_arena_t arena, mps_addr_t addr);
extern mps_word_t mps_collections(mps_arena_t arena);

extern size_t mps_arena_committed(mps_arena_t arena);
extern size_t mps_arena_reserved(mps_arena_t arena);
extern size_t mps_arena_commit_limit(mps_arena_t arena);
extern mps_res_t mps_arena_commit_limit_set(mps_arena_t arena, size_t limit);
extern size_t mps_arena_spare_committed(mps_arena_t arena);
extern double mps_arena_spare(mps_arena_t arena);
extern void mps_arena_spare_set(mps_arena_t arena, double spare);
extern size_t mps_arena_spare_commit_limit(mps_arena_t arena);          /* deprecated */
extern void mps_arena_spare_commit_limit_set(mps_arena_t arena, size_t limit); /* deprecated */
extern double mps_arena_pause_time(mps_arena_t arena);
extern void mps_arena_pause_time_set(mps_arena_t arena, double pause_time);

extern void mps_arena_formatted_objects_walk(mps_arena_t arena,
                                             mps_formatted_objects_stepper_t f,
                                             void *p, size_t s);
extern void mps_arena_roots_walk(mps_arena_t arena, mps_roots_stepper_t f,
                                 void *p, size_t s);


/* Generation chains */

typedef struct mps_gen_param_s {
  size_t mps_capacity;       /* kilobytes allocated before a collection */
  double mps_mortality;      /* initial estimate of the fraction that dies */
} mps_gen_param_s;

extern mps_res_t mps_chain_create(mps_chain_t *chain_o, mps_arena_t arena,
                                  size_t gen_count, mps_gen_param_s *params);
extern void mps_chain_destroy(mps_chain_t chain);


/* Object formats */

typedef struct mps_fmt_A_s {
  mps_align_t     align;
  mps_fmt_scan_t  scan;
  mps_fmt_skip_t  skip;
  mps_fmt_copy_t  copy;      /* unused */
  mps_fmt_fwd_t   fwd;
  mps_fmt_isfwd_t isfwd;
  mps_fmt_pad_t   pad;
} mps_fmt_A_s;
typedef struct mps_fmt_A_s *mps_fmt_A_t;

typedef struct mps_fmt_B_s {
  mps_align_t     align;
  mps_fmt_scan_t  scan;
  mps_fmt_skip_t  skip;
  mps_fmt_copy_t  copy;      /* unused */
  mps_fmt_fwd_t   fwd;
  mps_fmt_isfwd_t isfwd;
  mps_fmt_pad_t   pad;
  mps_fmt_class_t mps_class;
} mps_fmt_B_s;
typedef struct mps_fmt_B_s *mps_fmt_B_t;

typedef struct mps_fmt_auto_header_s {
  mps_align_t     align;
  mps_fmt_scan_t  scan;
  mps_fmt_skip_t  skip;
  mps_fmt_fwd_t   fwd;
  mps_fmt_isfwd_t isfwd;
  mps_fmt_pad_t   pad;
  size_t          mps_headerSize;
} mps_fmt_auto_header_s;

typedef struct mps_fmt_fixed_s {
  mps_align_t     align;
  mps_fmt_scan_t  scan;
  mps_fmt_fwd_t   fwd;
  mps_fmt_isfwd_t isfwd;
  mps_fmt_pad_t   pad;
} mps_fmt_fixed_s;

extern mps_res_t mps_fmt_create_k(mps_fmt_t *fmt_o, mps_arena_t arena,
                                  mps_arg_s args[]);
extern mps_res_t mps_fmt_create_A(mps_fmt_t *fmt_o, mps_arena_t arena,
                                  mps_fmt_A_s *fmt_A);
extern mps_res_t mps_fmt_create_B(mps_fmt_t *fmt_o, mps_arena_t arena,
                                  mps_fmt_B_s *fmt_B);
extern mps_res_t mps_fmt_create_auto_header(mps_fmt_t *fmt_o, mps_arena_t arena,
                                            mps_fmt_auto_header_s *fmt_ah);
extern mps_res_t mps_fmt_create_fixed(mps_fmt_t *fmt_o, mps_arena_t arena,
                                      mps_fmt_fixed_s *fmt_fixed);
extern void mps_fmt_destroy(mps_fmt_t fmt);

extern mps_bool_t mps_addr_fmt(mps_fmt_t *fmt_o, mps_arena_t arena, mps_addr_t addr);


/* Pools */

extern mps_res_t mps_pool_create_k(mps_pool_t *pool_o, mps_arena_t arena,
                                   mps_pool_class_t pool_class, mps_arg_s args[]);
extern mps_res_t mps_pool_create(mps_pool_t *pool_o, mps_arena_t arena,
                                 mps_pool_class_t pool_class, ...);
extern mps_res_t mps_pool_create_v(mps_pool_t *pool_o, mps_arena_t arena,
                                   mps_pool_class_t pool_class, va_list args);
extern void mps_pool_destroy(mps_pool_t pool);

extern size_t mps_pool_total_size(mps_pool_t pool);
extern size_t mps_pool_free_size(mps_pool_t pool);
extern mps_res_t mps_pool_walk(mps_pool_t pool, mps_area_scan_t scan_area,
                               void *closure);
extern mps_bool_t mps_addr_pool(mps_pool_t *pool_o, mps_arena_t arena,
                                mps_addr_t addr);
extern mps_res_t mps_addr_object(mps_addr_t *p_o, mps_arena_t arena,
                                 mps_addr_t addr);

extern void mps_pool_check_fenceposts(mps_pool_t pool);
extern void mps_pool_check_free_space(mps_pool_t pool);


/* Manual allocation */

extern mps_res_t mps_alloc(mps_addr_t *p_o, mps_pool_t pool, size_t size);
extern void mps_free(mps_pool_t pool, mps_addr_t addr, size_t size);


/* Allocation points (ABI)
 *
 * The library's buffer starts with this structure and has private fields
 * after it.  [init, alloc) is the reserved block, [alloc, limit) free
 * space.  The library traps the allocation point by setting limit to 0;
 * mps_commit then falls back to mps_ap_trip to learn whether the block
 * survived. */

typedef struct mps_ap_s {
  mps_addr_t init;     /* end of committed (initialized) memory */
  mps_addr_t alloc;    /* end of reserved memory */
  mps_addr_t limit;    /* end of the buffer; 0 when trapped */
} mps_ap_s;
typedef struct mps_ap_s *mps_ap_t;

extern mps_res_t mps_ap_create_k(mps_ap_t *ap_o, mps_pool_t pool, mps_arg_s args[]);
extern mps_res_t mps_ap_create(mps_ap_t *ap_o, mps_pool_t pool, ...);
extern mps_res_t mps_ap_create_v(mps_ap_t *ap_o, mps_pool_t pool, va_list args);
extern void mps_ap_destroy(mps_ap_t ap);

extern mps_res_t mps_ap_fill(mps_addr_t *p_o, mps_ap_t ap, size_t size);
extern mps_bool_t mps_ap_trip(mps_ap_t ap, mps_addr_t p, size_t size);

/* Function versions; the macros below shadow them in calls. */
extern mps_res_t (mps_reserve)(mps_addr_t *p_o, mps_ap_t ap, size_t size);
extern mps_bool_t (mps_commit)(mps_ap_t ap, mps_addr_t p, size_t size);

/* The store to init must not move after the load of limit: the flip that
 * traps the allocation point runs in a signal handler on this thread, so
 * a compiler (signal) fence is enough. */
#if defined(__GNUC__) || defined(__clang__)
#define _mps_COMMIT_FENCE() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#else
#define _mps_COMMIT_FENCE() ((void)0)
#endif

/* The fast path succeeds when alloc + size neither wraps nor passes the
 * limit (a trapped limit of 0 always fails).  A zero size also goes to
 * mps_ap_fill, which refuses it. */
#define mps_reserve(_mps_p_o, _mps_ap, _mps_size) \
  (((mps_word_t)(_mps_ap)->alloc + (mps_word_t)(_mps_size) \
      > (mps_word_t)(_mps_ap)->alloc \
    && (mps_word_t)(_mps_ap)->alloc + (mps_word_t)(_mps_size) \
      <= (mps_word_t)(_mps_ap)->limit) \
   ? ((_mps_ap)->alloc = (mps_addr_t)((char *)(_mps_ap)->alloc + (_mps_size)), \
      *(_mps_p_o) = (_mps_ap)->init, \
      MPS_RES_OK) \
   : mps_ap_fill(_mps_p_o, _mps_ap, _mps_size))

#define mps_commit(_mps_ap, _mps_p, _mps_size) \
  ((_mps_ap)->init = (_mps_ap)->alloc, \
   _mps_COMMIT_FENCE(), \
   (_mps_ap)->limit != 0 || mps_ap_trip(_mps_ap, _mps_p, _mps_size))

/* Statement form of mps_reserve: _mps_res_v and _mps_p_v are lvalues. */
#define MPS_RESERVE_BLOCK(_mps_res_v, _mps_p_v, _mps_ap, _mps_size) \
  MPS_BEGIN \
    mps_word_t _mps_alloc = (mps_word_t)(_mps_ap)->alloc; \
    mps_word_t _mps_next = _mps_alloc + (mps_word_t)(_mps_size); \
    if (_mps_next > _mps_alloc && _mps_next <= (mps_word_t)(_mps_ap)->limit) { \
      (_mps_ap)->alloc = (mps_addr_t)((char *)(_mps_ap)->alloc + (_mps_size)); \
      (_mps_p_v) = (_mps_ap)->init; \
      (_mps_res_v) = MPS_RES_OK; \
    } else { \
      (_mps_res_v) = mps_ap_fill(&(_mps_p_v), _mps_ap, _mps_size); \
    } \
  MPS_END


/* Allocation frames */

extern mps_res_t mps_ap_frame_push(mps_frame_t *frame_o, mps_ap_t ap);
extern mps_res_t mps_ap_frame_pop(mps_ap_t ap, mps_frame_t frame);


/* Allocation patterns */

extern mps_alloc_pattern_t mps_alloc_pattern_ramp(void);
extern mps_alloc_pattern_t mps_alloc_pattern_ramp_collect_all(void);
extern mps_res_t mps_ap_alloc_pattern_begin(mps_ap_t ap,
                                            mps_alloc_pattern_t alloc_pattern);
extern mps_res_t mps_ap_alloc_pattern_end(mps_ap_t ap,
                                          mps_alloc_pattern_t alloc_pattern);
extern mps_res_t mps_ap_alloc_pattern_reset(mps_ap_t ap);


/* Segregated allocation caches (ABI)
 *
 * The library keeps the first _middle entries of _freelists as the size
 * classes in increasing order of _size (each class's largest block size,
 * aligned).  Each holds a stack of up to _count_max free blocks of that
 * class, linked through their first word.  Unused entries follow the
 * used ones.  The fast-path macros serve a request from the first class
 * that is large enough, and call into the library when there is no such
 * class, the stack is empty (alloc) or full (free), or the size is 0.
 * _trapped is always false; it is kept for layout compatibility. */

#define MPS_SAC_CLASS_LIMIT 8

typedef struct _mps_sac_freelist_block_s {
  size_t _size;          /* largest block size in this class */
  size_t _count;         /* blocks on the stack */
  size_t _count_max;     /* capacity of the stack */
  mps_addr_t _blocks;    /* top of the stack, or NULL */
} _mps_sac_freelist_block_s;

typedef struct _mps_sac_s {
  size_t _middle;        /* number of size classes in use */
  mps_bool_t _trapped;   /* always false */
  _mps_sac_freelist_block_s _freelists[2 * MPS_SAC_CLASS_LIMIT];
} _mps_sac_s;
typedef struct _mps_sac_s *mps_sac_t;

typedef struct mps_sac_class_s {
  size_t mps_block_size;     /* largest block in the class */
  size_t mps_cached_count;   /* how many blocks to keep */
  unsigned mps_frequency;    /* relative frequency of requests */
} mps_sac_class_s;
#define mps_sac_classes_s mps_sac_class_s   /* old name */

extern mps_res_t mps_sac_create(mps_sac_t *sac_o, mps_pool_t pool,
                                size_t classes_count, mps_sac_class_s *classes);
extern void mps_sac_destroy(mps_sac_t sac);
extern void mps_sac_flush(mps_sac_t sac);
extern mps_res_t mps_sac_alloc(mps_addr_t *p_o, mps_sac_t sac, size_t size,
                               mps_bool_t has_reservoir_permit);
extern void mps_sac_free(mps_sac_t sac, mps_addr_t p, size_t size);
/* Slow paths of the macros below. */
extern mps_res_t mps_sac_fill(mps_addr_t *p_o, mps_sac_t sac, size_t size,
                              mps_bool_t has_reservoir_permit);
extern void mps_sac_empty(mps_sac_t sac, mps_addr_t p, size_t size);

/* _mps_res_v and _mps_p_v are lvalues; the reservoir permit is evaluated
 * only on the slow path.  (Parameter names must not clash with the field
 * names above: the preprocessor would substitute into "._size".) */
#define MPS_SAC_ALLOC_FAST(_mps_res_v, _mps_p_v, _mps_sac_v, _mps_size, _mps_hrp) \
  MPS_BEGIN \
    mps_sac_t _mps_sac = (_mps_sac_v); \
    size_t _mps_s = (size_t)(_mps_size); \
    size_t _mps_i = 0; \
    while (_mps_i < _mps_sac->_middle \
           && _mps_s > _mps_sac->_freelists[_mps_i]._size) \
      ++_mps_i; \
    if (_mps_s != 0 && _mps_i < _mps_sac->_middle \
        && _mps_sac->_freelists[_mps_i]._count > 0) { \
      _mps_sac_freelist_block_s *_mps_fl = &_mps_sac->_freelists[_mps_i]; \
      mps_addr_t _mps_blk = _mps_fl->_blocks; \
      _mps_fl->_blocks = *(mps_addr_t *)_mps_blk; \
      --_mps_fl->_count; \
      (_mps_p_v) = _mps_blk; \
      (_mps_res_v) = MPS_RES_OK; \
    } else { \
      (_mps_res_v) = mps_sac_fill(&(_mps_p_v), _mps_sac, _mps_s, \
                              (_mps_hrp)); \
    } \
  MPS_END

#define MPS_SAC_FREE_FAST(_mps_sac_v, _mps_p, _mps_size) \
  MPS_BEGIN \
    mps_sac_t _mps_sac = (_mps_sac_v); \
    mps_addr_t _mps_blk = (_mps_p); \
    size_t _mps_s = (size_t)(_mps_size); \
    size_t _mps_i = 0; \
    while (_mps_i < _mps_sac->_middle \
           && _mps_s > _mps_sac->_freelists[_mps_i]._size) \
      ++_mps_i; \
    if (_mps_s != 0 && _mps_i < _mps_sac->_middle \
        && _mps_sac->_freelists[_mps_i]._count \
           < _mps_sac->_freelists[_mps_i]._count_max) { \
      _mps_sac_freelist_block_s *_mps_fl = &_mps_sac->_freelists[_mps_i]; \
      *(mps_addr_t *)_mps_blk = _mps_fl->_blocks; \
      _mps_fl->_blocks = _mps_blk; \
      ++_mps_fl->_count; \
    } else { \
      mps_sac_empty(_mps_sac, _mps_blk, _mps_s); \
    } \
  MPS_END

#define MPS_SAC_ALLOC(res_v, p_v, sac, size, has_reservoir_permit) \
  MPS_SAC_ALLOC_FAST(res_v, p_v, sac, size, has_reservoir_permit)
#define MPS_SAC_FREE(sac, p, size) MPS_SAC_FREE_FAST(sac, p, size)


/* Roots */

#define MPS_RM_CONST      (((mps_rm_t)1) << 0)   /* deprecated */
#define MPS_RM_PROT       (((mps_rm_t)1) << 1)
#define MPS_RM_PROT_INNER (((mps_rm_t)1) << 2)

extern mps_rank_t mps_rank_ambig(void);
extern mps_rank_t mps_rank_exact(void);
extern mps_rank_t mps_rank_weak(void);

extern mps_res_t mps_root_create(mps_root_t *root_o, mps_arena_t arena,
                                 mps_rank_t rank, mps_rm_t rm,
                                 mps_root_scan_t root_scan, void *p, size_t s);
extern mps_res_t mps_root_create_fmt(mps_root_t *root_o, mps_arena_t arena,
                                     mps_rank_t rank, mps_rm_t rm,
                                     mps_fmt_scan_t fmt_scan,
                                     mps_addr_t base, mps_addr_t limit);
extern mps_res_t mps_root_create_area(mps_root_t *root_o, mps_arena_t arena,
                                      mps_rank_t rank, mps_rm_t rm,
                                      void *base, void *limit,
                                      mps_area_scan_t scan_area, void *closure);
extern mps_res_t mps_root_create_area_tagged(mps_root_t *root_o, mps_arena_t arena,
                                             mps_rank_t rank, mps_rm_t rm,
                                             void *base, void *limit,
                                             mps_area_scan_t scan_area,
                                             mps_word_t mask, mps_word_t pattern);
extern mps_res_t mps_root_create_table(mps_root_t *root_o, mps_arena_t arena,
                                       mps_rank_t rank, mps_rm_t rm,
                                       mps_addr_t *base, size_t count);
extern mps_res_t mps_root_create_table_masked(mps_root_t *root_o, mps_arena_t arena,
                                              mps_rank_t rank, mps_rm_t rm,
                                              mps_addr_t *base, size_t count,
                                              mps_word_t mask);   /* deprecated */
extern mps_res_t mps_root_create_thread(mps_root_t *root_o, mps_arena_t arena,
                                        mps_thr_t thr, void *cold);
extern mps_res_t mps_root_create_thread_tagged(mps_root_t *root_o, mps_arena_t arena,
                                               mps_rank_t rank, mps_rm_t rm,
                                               mps_thr_t thr, mps_area_scan_t scan_area,
                                               mps_word_t mask, mps_word_t pattern,
                                               void *cold);
extern mps_res_t mps_root_create_thread_scanned(mps_root_t *root_o, mps_arena_t arena,
                                                mps_rank_t rank, mps_rm_t rm,
                                                mps_thr_t thr, mps_area_scan_t scan_area,
                                                void *closure, void *cold);
extern mps_res_t mps_root_create_reg(mps_root_t *root_o, mps_arena_t arena,
                                     mps_rank_t rank, mps_rm_t rm, mps_thr_t thr,
                                     mps_reg_scan_t reg_scan,
                                     void *p, size_t s);    /* deprecated */
/* The only register scanner mps_root_create_reg supports; p is the cold
 * end of the stack. */
extern mps_res_t mps_stack_scan_ambig(mps_ss_t ss, mps_thr_t thr, void *p, size_t s);
extern void mps_root_destroy(mps_root_t root);


/* Threads */

extern mps_res_t mps_thread_reg(mps_thr_t *thr_o, mps_arena_t arena);
extern void mps_thread_dereg(mps_thr_t thr);


/* Scanning (ABI)
 *
 * MPS_SCAN_BEGIN(ss) { ... } MPS_SCAN_END(ss); copies the scan state into
 * locals.  Between them, MPS_FIX1 tests a reference inline: it records
 * the reference's zone in the unfixed summary and says whether the zone
 * may hold white objects.  Only then does MPS_FIX2 call the library.
 * MPS_SCAN_END writes the summary back; MPS_FIX_CALL writes it back
 * around a call that scans with the same scan state. */

extern mps_res_t _mps_fix2(mps_ss_t ss, mps_addr_t *ref_io);
extern mps_res_t mps_fix(mps_ss_t ss, mps_addr_t *ref_io);   /* deprecated */

#define MPS_SCAN_BEGIN(ss) \
  MPS_BEGIN \
    mps_word_t _mps_zs = (ss)->_zs; \
    mps_word_t _mps_w = (ss)->_w; \
    mps_word_t _mps_ufs = (ss)->_ufs; \
    mps_word_t _mps_wt = 0; \
    (void)_mps_zs; (void)_mps_w; (void)_mps_wt; \
    MPS_BEGIN

#define MPS_FIX1(ss, ref) \
  (_mps_wt = (mps_word_t)1 << (((mps_word_t)(ref) >> _mps_zs) \
                               & (sizeof(mps_word_t) * CHAR_BIT - 1)), \
   _mps_ufs |= _mps_wt, \
   (_mps_w & _mps_wt) != 0)

#define MPS_FIX2(ss, ref_io) _mps_fix2(ss, ref_io)

#define MPS_FIX12(ss, ref_io) \
  (MPS_FIX1(ss, *(ref_io)) ? MPS_FIX2(ss, ref_io) : MPS_RES_OK)

#define MPS_FIX(ss, ref_io) MPS_FIX12(ss, ref_io)   /* old name */

#define MPS_FIX_CALL(ss, call) \
  MPS_BEGIN \
    (ss)->_ufs = _mps_ufs; \
    (void)(call); \
    _mps_zs = (ss)->_zs; \
    _mps_w = (ss)->_w; \
    _mps_ufs = (ss)->_ufs; \
  MPS_END

#define MPS_SCAN_END(ss) \
    MPS_END; \
    (ss)->_ufs = _mps_ufs; \
  MPS_END

/* Area scanners for roots and mps_pool_walk. */
typedef struct mps_scan_tag_s {
  mps_word_t mask;      /* selects the tag bits of a word */
  mps_word_t pattern;   /* tag bits that mark a reference */
} mps_scan_tag_s;
typedef struct mps_scan_tag_s *mps_scan_tag_t;

extern mps_res_t mps_scan_area(mps_ss_t ss, void *base, void *limit, void *closure);
extern mps_res_t mps_scan_area_masked(mps_ss_t ss, void *base, void *limit,
                                      void *closure);
extern mps_res_t mps_scan_area_tagged(mps_ss_t ss, void *base, void *limit,
                                      void *closure);
extern mps_res_t mps_scan_area_tagged_or_zero(mps_ss_t ss, void *base, void *limit,
                                              void *closure);


/* Location dependencies (ABI: clients may allocate mps_ld_s statically) */

typedef struct mps_ld_s {
  mps_word_t _epoch;   /* arena epoch when last reset */
  mps_word_t _rs;      /* zones of the addresses added */
} mps_ld_s, *mps_ld_t;

extern void mps_ld_reset(mps_ld_t ld, mps_arena_t arena);
extern void mps_ld_add(mps_ld_t ld, mps_arena_t arena, mps_addr_t addr);
extern void mps_ld_merge(mps_ld_t ld, mps_arena_t arena, mps_ld_t from);
extern mps_bool_t mps_ld_isstale(mps_ld_t ld, mps_arena_t arena, mps_addr_t addr);
extern mps_bool_t mps_ld_isstale_any(mps_ld_t ld, mps_arena_t arena);


/* Messages */

typedef int mps_message_type_t;
enum {
  _mps_MESSAGE_TYPE_FINALIZATION,
  _mps_MESSAGE_TYPE_GC,
  _mps_MESSAGE_TYPE_GC_START
};

extern mps_message_type_t (mps_message_type_finalization)(void);
extern mps_message_type_t (mps_message_type_gc)(void);
extern mps_message_type_t (mps_message_type_gc_start)(void);
#define mps_message_type_finalization() ((mps_message_type_t)_mps_MESSAGE_TYPE_FINALIZATION)
#define mps_message_type_gc() ((mps_message_type_t)_mps_MESSAGE_TYPE_GC)
#define mps_message_type_gc_start() ((mps_message_type_t)_mps_MESSAGE_TYPE_GC_START)

extern void mps_message_type_enable(mps_arena_t arena, mps_message_type_t message_type);
extern void mps_message_type_disable(mps_arena_t arena, mps_message_type_t message_type);
extern mps_bool_t mps_message_poll(mps_arena_t arena);
extern mps_bool_t mps_message_queue_type(mps_message_type_t *message_type_o,
                                         mps_arena_t arena);
extern mps_bool_t mps_message_get(mps_message_t *message_o, mps_arena_t arena,
                                  mps_message_type_t message_type);
extern void mps_message_discard(mps_arena_t arena, mps_message_t message);
extern mps_message_type_t mps_message_type(mps_arena_t arena, mps_message_t message);
extern mps_clock_t mps_message_clock(mps_arena_t arena, mps_message_t message);

extern void mps_message_finalization_ref(mps_addr_t *ref_o, mps_arena_t arena,
                                         mps_message_t message);
extern size_t mps_message_gc_live_size(mps_arena_t arena, mps_message_t message);
extern size_t mps_message_gc_condemned_size(mps_arena_t arena, mps_message_t message);
extern size_t mps_message_gc_not_condemned_size(mps_arena_t arena,
                                                mps_message_t message);
extern const char *mps_message_gc_start_why(mps_arena_t arena, mps_message_t message);


/* Finalization */

extern mps_res_t mps_finalize(mps_arena_t arena, mps_addr_t *ref);
extern mps_res_t mps_definalize(mps_arena_t arena, mps_addr_t *ref);


/* Transforms */

extern mps_res_t mps_transform_create(mps_transform_t *transform_o, mps_arena_t arena);
extern mps_res_t mps_transform_add_oldnew(mps_transform_t transform,
                                          mps_addr_t *old_array,
                                          mps_addr_t *new_array, size_t count);
extern mps_res_t mps_transform_apply(mps_bool_t *applied_o, mps_transform_t transform);
extern void mps_transform_destroy(mps_transform_t transform);


/* Telemetry */

extern mps_word_t mps_telemetry_get(void);
extern void mps_telemetry_set(mps_word_t set_mask);
extern void mps_telemetry_reset(mps_word_t reset_mask);
extern void mps_telemetry_flush(void);
extern mps_label_t mps_telemetry_intern(const char *label);
extern void mps_telemetry_label(mps_addr_t addr, mps_label_t label);


#ifdef __cplusplus
}
#endif

#endif /* mps_h */
