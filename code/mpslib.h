/* mpslib.h -- the plinth: the few C library services the MPS uses.
 * Design: manual/design/interface.rst (MPS manual, topic/plinth.rst)
 *
 * The library calls these instead of the C library, so a client on an
 * unusual platform can supply its own.  Lagoon provides a default
 * implementation on top of the C library. */
#ifndef mpslib_h
#define mpslib_h

#include <stddef.h>

#include "mps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Output streams (in the default plinth, a C FILE). */
typedef struct mps_lib_stream_s mps_lib_FILE;

extern int mps_lib_get_EOF(void);
#define mps_lib_EOF (mps_lib_get_EOF())

extern mps_lib_FILE *mps_lib_get_stderr(void);
#define mps_lib_stderr (mps_lib_get_stderr())
extern mps_lib_FILE *mps_lib_get_stdout(void);
#define mps_lib_stdout (mps_lib_get_stdout())

/* As fputc and fputs; failure gives mps_lib_get_EOF(). */
extern int mps_lib_fputc(int c, mps_lib_FILE *stream);
extern int mps_lib_fputs(const char *s, mps_lib_FILE *stream);

/* Report a failed assertion: source file, line and the condition's text.
 * The default handler prints them to stderr and aborts. */
extern void mps_lib_assert_fail(const char *file, unsigned line,
                                const char *condition);
typedef void (*mps_lib_assert_fail_t)(const char *file, unsigned line,
                                      const char *condition);
/* Install a handler for mps_lib_assert_fail; returns the previous one. */
extern mps_lib_assert_fail_t mps_lib_assert_fail_install(mps_lib_assert_fail_t handler);

/* As memset, memcpy (never given overlapping blocks) and memcmp. */
extern void *mps_lib_memset(void *s, int c, size_t n);
extern void *mps_lib_memcpy(void *dest, const void *source, size_t n);
extern int mps_lib_memcmp(const void *s1, const void *s2, size_t n);

/* A monotonic clock, in units of mps_clocks_per_sec() per second. */
extern mps_clock_t mps_clock(void);
extern mps_clock_t mps_clocks_per_sec(void);

/* The initial telemetry filter, from the environment
 * (MPS_TELEMETRY_CONTROL); 0 if unset. */
extern unsigned long mps_lib_telemetry_control(void);

#ifdef __cplusplus
}
#endif

#endif /* mpslib_h */
