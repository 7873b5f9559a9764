/* mpstd.h -- platform detection: operating system, architecture and
 * compiler, as the constants the MPS manual names (topic/platform.rst).
 * Design: manual/design/config.rst
 *
 * Exactly one MPS_OS_*, one MPS_ARCH_* and one MPS_BUILD_* constant is
 * defined, plus MPS_PF_<OSARCT> for the whole platform and MPS_PF_STRING
 * naming it.  Known platforms get their MPS codes; other POSIX systems
 * built with a GCC-compatible compiler get the portable fallback (an "an"
 * code for the part that is not known).  Anything else stops with an
 * error.  Defining CONFIG_PF_ANSI forces the fallback on any platform. */
#ifndef mpstd_h
#define mpstd_h


/* Compiler.  Clang also defines __GNUC__, so test it first. */

#if defined(__clang__)
#define MPS_BUILD_LL
#define _mps_PF_CT "ll"
#elif defined(__GNUC__)
#define MPS_BUILD_GC
#define _mps_PF_CT "gc"
#elif defined(_MSC_VER)
#error "mpstd.h: Microsoft Visual C is not supported by Lagoon"
#else
#error "mpstd.h: unknown compiler (Lagoon needs GCC or Clang)"
#endif


/* Operating system. */

#if defined(CONFIG_PF_ANSI)
#define MPS_OS_AN
#define _mps_PF_OS "an"
#elif defined(__linux__)
#define MPS_OS_LI
#define _mps_PF_OS "li"
#elif defined(__FreeBSD__)
#define MPS_OS_FR
#define _mps_PF_OS "fr"
#elif defined(__APPLE__) && defined(__MACH__)
#define MPS_OS_XC
#define _mps_PF_OS "xc"
#elif defined(__unix__)
#define MPS_OS_AN          /* some other POSIX system */
#define _mps_PF_OS "an"
#else
#error "mpstd.h: unsupported operating system"
#endif


/* Architecture, word size and natural alignment.  MPS_PF_ALIGN is the
 * alignment malloc guarantees, which every block the MPS hands out must
 * also meet by default. */

#if defined(CONFIG_PF_ANSI)
#define MPS_ARCH_AN
#define _mps_PF_AR "an"
#elif defined(__x86_64__)
#define MPS_ARCH_I6
#define _mps_PF_AR "i6"
#elif defined(__aarch64__)
#define MPS_ARCH_A6
#define _mps_PF_AR "a6"
#elif defined(__i386__)
#define MPS_ARCH_I3
#define _mps_PF_AR "i3"
#else
#define MPS_ARCH_AN        /* unknown processor: portable code only */
#define _mps_PF_AR "an"
#endif

#if !defined(__SIZEOF_POINTER__) || !defined(__SIZEOF_LONG__)
#error "mpstd.h: the compiler does not say how wide pointers are"
#endif
#if __SIZEOF_POINTER__ != __SIZEOF_LONG__
#error "mpstd.h: Lagoon needs unsigned long to be as wide as a pointer"
#endif

#define MPS_T_WORD unsigned long

#if __SIZEOF_POINTER__ == 8
#define MPS_WORD_WIDTH 64
#define MPS_WORD_SHIFT 6
#define MPS_T_ULONGEST unsigned long
#define MPS_PF_ALIGN 16
#elif __SIZEOF_POINTER__ == 4
#define MPS_WORD_WIDTH 32
#define MPS_WORD_SHIFT 5
#define MPS_T_ULONGEST unsigned long long
#define MPS_PF_ALIGN 8
#else
#error "mpstd.h: unsupported word width"
#endif


/* The whole platform. */

#define MPS_PF_STRING _mps_PF_OS _mps_PF_AR _mps_PF_CT

#if defined(MPS_OS_LI) && defined(MPS_ARCH_I6) && defined(MPS_BUILD_GC)
#define MPS_PF_LII6GC
#elif defined(MPS_OS_LI) && defined(MPS_ARCH_I6) && defined(MPS_BUILD_LL)
#define MPS_PF_LII6LL
#elif defined(MPS_OS_LI) && defined(MPS_ARCH_A6) && defined(MPS_BUILD_GC)
#define MPS_PF_LIA6GC
#elif defined(MPS_OS_LI) && defined(MPS_ARCH_A6) && defined(MPS_BUILD_LL)
#define MPS_PF_LIA6LL
#elif defined(MPS_OS_LI) && defined(MPS_ARCH_I3) && defined(MPS_BUILD_GC)
#define MPS_PF_LII3GC
#elif defined(MPS_OS_LI) && defined(MPS_ARCH_I3) && defined(MPS_BUILD_LL)
#define MPS_PF_LII3LL
#elif defined(MPS_OS_FR) && defined(MPS_ARCH_I6) && defined(MPS_BUILD_GC)
#define MPS_PF_FRI6GC
#elif defined(MPS_OS_FR) && defined(MPS_ARCH_I6) && defined(MPS_BUILD_LL)
#define MPS_PF_FRI6LL
#elif defined(MPS_OS_FR) && defined(MPS_ARCH_I3) && defined(MPS_BUILD_GC)
#define MPS_PF_FRI3GC
#elif defined(MPS_OS_FR) && defined(MPS_ARCH_I3) && defined(MPS_BUILD_LL)
#define MPS_PF_FRI3LL
#elif defined(MPS_OS_XC) && defined(MPS_ARCH_I6) && defined(MPS_BUILD_LL)
#define MPS_PF_XCI6LL
#elif defined(MPS_OS_XC) && defined(MPS_ARCH_A6) && defined(MPS_BUILD_LL)
#define MPS_PF_XCA6LL
#else
#define MPS_PF_ANSI        /* portable fallback: no platform-specific code */
#endif

#endif /* mpstd_h */
