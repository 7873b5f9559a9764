/* base/check.h -- assertions, signatures and consistency checks.
 * Design: manual/design/check.rst
 *
 * ASSERT(c)        on in cool and hot; cheap conditions only.
 * ASSERT_CRIT(c)   cool only: fast path, fix, scan loop, fault handler.
 * ASSERT_VALID(type, p)  cool: type_check(p) in full; hot: the signature.
 * CHECK*           used inside type_check functions: return false on a
 *                  broken condition (cool reports it first, naming it).
 * A failed assertion reports through mps_lib_assert_fail(file, line,
 * condition), whose default handler prints and aborts. */
#ifndef LAGOON_BASE_CHECK_H
#define LAGOON_BASE_CHECK_H

#include "base/types.h"

/* Signatures: design.check.sig.  Each major struct has one. */
#define SIG_INVALID   ((Sig)0x51915BAD)
#define SIG_ARENA     ((Sig)0x519A6E4A)
#define SIG_CHUNK     ((Sig)0x519C4C4B)
#define SIG_SEG       ((Sig)0x5195E900)
#define SIG_POOL      ((Sig)0x519B0011)
#define SIG_POOL_CLASS ((Sig)0x519C1A55)
#define SIG_SEG_CLASS ((Sig)0x519C15E9)
#define SIG_BUFFER    ((Sig)0x519B0FFE)
#define SIG_SAC       ((Sig)0x5195AC00)
#define SIG_CBS       ((Sig)0x519CB500)
#define SIG_LOCK      ((Sig)0x51910CC0)
#define SIG_VM        ((Sig)0x519F3000)
#define SIG_FORMAT    ((Sig)0x519F0A47)
#define SIG_ROOT      ((Sig)0x51940070)
#define SIG_THREAD    ((Sig)0x51947EAD)
#define SIG_TRACE     ((Sig)0x51947ACE)
#define SIG_CHAIN     ((Sig)0x519C4A1E)
#define SIG_MESSAGE   ((Sig)0x519E55A6)
#define SIG_SS        ((Sig)0x51955000)
#define SIG_GLOBALS   ((Sig)0x5196100B)

void check_fail(const char *file, unsigned line, const char *cond)
  __attribute__((noreturn, cold));

#if CONFIG_ASSERT
#define ASSERT(c) \
  ((void)(LIKELY(c) ? 0 : (check_fail(__FILE__, __LINE__, #c), 0)))
#else
#define ASSERT(c) ((void)0)
#endif

#if CONFIG_ASSERT_CRIT
#define ASSERT_CRIT(c) ASSERT(c)
#else
#define ASSERT_CRIT(c) ((void)0)
#endif

/* NOTREACHED: a branch that cannot be taken. */
#define NOTREACHED ASSERT(!"unreachable")

/* ASSERT_VALID(type, p): `type_check(p)` in cool, signature test in hot. */
#if CONFIG_CHECK_DEEP
#define ASSERT_VALID(type, p) ASSERT(type##_check(p))
#elif CONFIG_ASSERT
#define ASSERT_VALID(type, p) ASSERT((p) != NULL && (p)->sig == type##_sig_value)
#else
#define ASSERT_VALID(type, p) ((void)0)
#endif

/* Inside a check function.  check_report names the failing condition in
 * cool so a failed ASSERT_VALID says which field was wrong. */
void check_report(const char *file, unsigned line, const char *cond);
#if CONFIG_CHECK_DEEP
#define CHECK(c) \
  do { if (UNLIKELY(!(c))) { check_report(__FILE__, __LINE__, #c); return false; } } while (0)
#else
#define CHECK(c) do { if (UNLIKELY(!(c))) return false; } while (0)
#endif
#define CHECK_SIG(p, s)  do { CHECK((p) != NULL); CHECK((p)->sig == (s)); } while (0)
/* A parent is checked by signature only, so checks do not recurse. */
#define CHECK_PARENT(type, p) do { CHECK((p) != NULL); CHECK((p)->sig == type##_sig_value); } while (0)
#define CHECK_BOOL(b) CHECK((b) == 0 || (b) == 1)

/* Fault injection: design.check.fail-after.  In cool, when the
 * environment variable LAGOON_FAIL_AFTER=n is set, the (n+1)th and every
 * later call returns true; callers that obtain memory treat true as an
 * allocation failure.  Always false in hot and rash. */
#if CONFIG_FAULT_INJECT
bool fault_inject(void);
#else
static inline bool fault_inject(void) { return false; }
#endif

#endif /* LAGOON_BASE_CHECK_H */
