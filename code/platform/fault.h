/* platform/fault.h -- the process's memory fault handler: libsigsegv,
 * a registry of clients that may own a faulting address, and passing
 * faults that are nobody's to the handler installed before ours.
 * Design: manual/design/shield.rst (design.shield.fault)
 *
 * This layer knows nothing of arenas: a client is a function that
 * says whether it handled a fault at an address.  The shield
 * (trace/shield.h) registers one client per arena. */
#ifndef LAGOON_PLATFORM_FAULT_H
#define LAGOON_PLATFORM_FAULT_H

#include "base/check.h"
#include "base/ring.h"

/* Not in base/check.h's list yet. */
#define SIG_FAULT_CLIENT ((Sig)0x519FA017)
#define fault_client_sig_value SIG_FAULT_CLIENT

typedef struct FaultClient FaultClient;

/* Called from the signal handler, in the faulting thread, with the
 * fault registry lock held (design.shield.fault.lock): `addr` is the
 * faulting address, `access` ACCESS_READ or ACCESS_WRITE if the
 * platform says which (design.shield.fault.access), else ACCESS_RW.
 * Return true if the fault was the client's and the access should be
 * retried (it must not fault again for the same reason), false if the
 * address is not the client's. */
typedef bool (*FaultHandleFn)(FaultClient *client, Addr addr, AccessSet access);

struct FaultClient {
  Sig sig;                 /* SIG_FAULT_CLIENT while registered */
  FaultHandleFn handle;
  Ring ring;               /* in the registry; guarded by the fault lock */
};

/* Register a client, installing the handler first if this is the first
 * client of the process (design.shield.fault.install).  RES_RESOURCE
 * if the platform cannot catch memory faults; nothing is registered
 * then.  The caller must hold no lock that a client's handle function
 * takes (an arena lock), design.shield.fault.lock. */
Res fault_register(FaultClient *client, FaultHandleFn handle) WARN_UNUSED;
/* Remove a registered client; afterwards its handle function is not
 * running and will not be called.  Same lock rule as fault_register. */
void fault_deregister(FaultClient *client);

/* Offer a fault at addr to each client in turn, as the handler does.
 * True if one handled it.  For the handler, and for tests. */
bool fault_dispatch(Addr addr, AccessSet access);

/* Whether the handler is installed (it stays installed once it is). */
bool fault_is_installed(void);
/* Whether a fault no client takes goes to the handler installed before
 * Lagoon's (design.shield.fault.chain); if not, it gets the default
 * action. */
bool fault_is_chained(void);

/* Faults offered to the clients (counted before the first is asked),
 * faults handled by some client, and faults passed on to the previous
 * handler or the default action, since the process began.  Relaxed
 * atomics: statistics for tests. */
Count fault_offered_count(void);
Count fault_handled_count(void);
Count fault_passed_count(void);

bool fault_client_check(const FaultClient *client);

#endif /* LAGOON_PLATFORM_FAULT_H */
