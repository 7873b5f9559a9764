/* base/args.h -- keyword arguments: the keys, validation and typed access.
 * Design: manual/design/args.rst
 *
 * Every _k entry point (arena, pool and AP creation, formats...) checks its
 * argument list with args_check against the keys it accepts, then reads
 * values with the typed getters, which supply defaults for absent keys.
 *
 *   static const mps_key_t mfs_keys[] = {MPS_KEY_MFS_UNIT_SIZE,
 *                                        MPS_KEY_EXTEND_BY};
 *   res = args_check(args, mfs_keys, ARRAY_LEN(mfs_keys));
 *   if (res != RES_OK)
 *     return res;
 *   unit = args_size(args, MPS_KEY_MFS_UNIT_SIZE, 0);
 *
 * A key's own check is type sanity only (a rank names a rank, an
 * alignment is a power of two, a function or object pointer that can
 * never be NULL is not NULL, a double is not NaN).  Any mps_bool_t is
 * valid: the manual makes every non-zero input true, and args_bool
 * returns it as true.  Whether a value is in range for a particular class
 * is the class's business. */
#ifndef LAGOON_BASE_ARGS_H
#define LAGOON_BASE_ARGS_H

#include "base/check.h"

#define SIG_KEY ((Sig)0x519CE700)

/* The object behind each MPS_KEY_* macro.  Keys are compared by address;
 * keys with the same value type share their check function.
 * design.args.key */
typedef struct mps_key_s {
  Sig sig;                                /* SIG_KEY */
  const char *name;                       /* "MPS_KEY_ARENA_SIZE" etc. */
  bool (*check)(const mps_arg_s *arg);    /* type sanity of arg->val */
} Key;

#define key_sig_value SIG_KEY
bool key_check(const Key *key);

/* Longest argument list args_check will walk looking for the terminator.
 * design.args.bound */
#define ARGS_SCAN_LIMIT 1000

/* args_check -- RES_OK if args is a valid list for a function accepting
 * the keys allowed[0..n_allowed): args not NULL, terminated by
 * MPS_KEY_ARGS_END within ARGS_SCAN_LIMIT entries, every key in allowed,
 * no key twice, every value passing its key's check.  RES_PARAM
 * otherwise.  Keys not in allowed are refused without being dereferenced.
 * allowed may be NULL when n_allowed is 0.  No lock needed. */
Res args_check(const mps_arg_s args[], const mps_key_t allowed[],
               Count n_allowed) WARN_UNUSED;

/* args_find -- true and *arg_o set to the argument if key is in args (a
 * list that passed args_check); false, *arg_o untouched, if not. */
bool args_find(mps_arg_s *arg_o, const mps_arg_s args[], mps_key_t key);

/* Typed getters: the value of key in args, or dflt if it is absent.  The
 * key must carry the getter's type (asserted in cool and hot). */
Size args_size(const mps_arg_s args[], mps_key_t key, Size dflt);
Align args_align(const mps_arg_s args[], mps_key_t key, Align dflt);
bool args_bool(const mps_arg_s args[], mps_key_t key, bool dflt);
double args_double(const mps_arg_s args[], mps_key_t key, double dflt);
unsigned args_unsigned(const mps_arg_s args[], mps_key_t key, unsigned dflt);
Word args_count(const mps_arg_s args[], mps_key_t key, Word dflt);
Rank args_rank(const mps_arg_s args[], mps_key_t key, Rank dflt);
void *args_addr(const mps_arg_s args[], mps_key_t key, void *dflt);

#endif /* LAGOON_BASE_ARGS_H */
