/* base/config.h -- varieties and build configuration.
 * Design: manual/design/config.rst
 *
 * Every library source file includes this first.  The variety is chosen
 * by one of -DCONFIG_VAR_COOL, -DCONFIG_VAR_HOT, -DCONFIG_VAR_RASH; hot is
 * the default.  Nothing here is visible to clients. */
#ifndef LAGOON_BASE_CONFIG_H
#define LAGOON_BASE_CONFIG_H

#if defined(CONFIG_VAR_COOL) + defined(CONFIG_VAR_HOT) + defined(CONFIG_VAR_RASH) > 1
#error "define at most one of CONFIG_VAR_COOL, CONFIG_VAR_HOT, CONFIG_VAR_RASH"
#endif
#if !defined(CONFIG_VAR_COOL) && !defined(CONFIG_VAR_RASH) && !defined(CONFIG_VAR_HOT)
#define CONFIG_VAR_HOT
#endif

#if defined(CONFIG_VAR_COOL)
#define VARIETY_NAME "cool"
#define CONFIG_ASSERT 1        /* ASSERT on */
#define CONFIG_ASSERT_CRIT 1   /* ASSERT_CRIT on (fast paths) */
#define CONFIG_CHECK_DEEP 1    /* ASSERT_VALID runs full checks */
#define CONFIG_FAULT_INJECT 1  /* LAGOON_FAIL_AFTER honoured */
#elif defined(CONFIG_VAR_HOT)
#define VARIETY_NAME "hot"
#define CONFIG_ASSERT 1
#define CONFIG_ASSERT_CRIT 0
#define CONFIG_CHECK_DEEP 0
#define CONFIG_FAULT_INJECT 0
#else
#define VARIETY_NAME "rash"
#define CONFIG_ASSERT 0
#define CONFIG_ASSERT_CRIT 0
#define CONFIG_CHECK_DEEP 0
#define CONFIG_FAULT_INJECT 0
#endif

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

/* Tunables.  design.config.tunable */
#define CONFIG_ARENA_SIZE_DEFAULT   ((size_t)256 << 20) /* first chunk */
#define CONFIG_ARENA_SIZE_MIN       ((size_t)1 << 20)
#define CONFIG_SPARE_DEFAULT        0.75   /* spare fraction of committed */
#define CONFIG_PAUSE_TIME_DEFAULT   0.1    /* seconds */
#define CONFIG_ZONE_SHIFT_DEFAULT   20     /* 1 MiB stripes, 64 zones */

#endif /* LAGOON_BASE_CONFIG_H */
