# Makefile -- build, test and install Lagoon (GNU Make).
#
#   make                     hot variety: build/hot/libmps.a, build/hot/libmps.so
#   make VARIETY=cool|rash   the same under build/<variety>/
#   make test  (or check)    install-deps, build cool and hot, run every test on both
#   make stress              stress tests only, LAGOON_STRESS_SCALE=10
#   make test-asan           cool variety with ASan+UBSan under build/asan/, whole suite
#   make bench [QUICK=1]     hot variety, then tool/bench/run
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make example             example/*.c against build/hot/libmps.a
#   make clean
#
# Options: CC=clang, V=1 (show commands), JOBS=n (parallel build and test
# jobs inside `make test`, default 2), CFLAGS/CPPFLAGS/LDFLAGS (appended).
#
# The public libraries are built from code/mps.c as ONE translation unit:
# every module .c must be #included there (test/build/mps_c_complete.sh
# checks it).  libmps-internal.a holds one object per module for the unit
# tests, which need internal symbols.

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.SUFFIXES:
SHELL := /bin/sh

VERSION    := 0.1.0
SOVERSION  := 0

VARIETY ?= hot
CC      ?= cc
AR      ?= ar
OBJCOPY ?= objcopy
JOBS    ?= 2
QUICK   ?=

# -- Varieties ---------------------------------------------------------
# asan is the cool variety built with sanitizers; it has its own build dir.
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
                  -fno-sanitize-recover=undefined
VARIETY_CFLAGS_cool := -DCONFIG_VAR_COOL -O1 -g
VARIETY_CFLAGS_hot  := -DCONFIG_VAR_HOT -O2 -g
VARIETY_CFLAGS_rash := -DCONFIG_VAR_RASH -O2
VARIETY_CFLAGS_asan := $(VARIETY_CFLAGS_cool) $(SANITIZE_FLAGS)
VARIETY_LDFLAGS_asan := $(SANITIZE_FLAGS)

ifeq ($(filter $(VARIETY),cool hot rash asan),)
$(error VARIETY must be cool, hot or rash (or asan), not '$(VARIETY)')
endif

BUILDDIR ?= build/$(VARIETY)
B := $(BUILDDIR)

COMMON_CFLAGS := -std=gnu17 -Wall -Wextra -Werror -fvisibility=hidden \
                 -iquote code -Icode -pthread -fPIC
LAGOON_CFLAGS := $(COMMON_CFLAGS) $(VARIETY_CFLAGS_$(VARIETY)) $(CPPFLAGS) $(CFLAGS)
LAGOON_LDFLAGS := -pthread $(VARIETY_LDFLAGS_$(VARIETY)) $(LDFLAGS)
LIBS := -lsigsegv -lpthread

# Check: pkg-config if it knows it, else the usual Debian link line.
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
ifeq ($(strip $(CHECK_LIBS)),)
CHECK_LIBS := -lcheck -lsubunit -lm -lrt -pthread
endif
TEST_CFLAGS := $(LAGOON_CFLAGS) -iquote test -iquote test/lib $(CHECK_CFLAGS)
TEST_LIBS   := $(B)/libmps-internal.a $(LIBS) $(CHECK_LIBS) -lm

ifeq ($(V),1)
Q :=
msg = @:
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2);
endif

# -- Sources -------------------------------------------------------------
LAYERS       := base platform arena pool trace telemetry
LIB_SRCS     := $(foreach l,$(LAYERS),$(sort $(wildcard code/$(l)/*.c))) \
                $(wildcard code/mpsi.c)
LIB_OBJS     := $(LIB_SRCS:%.c=$(B)/obj/%.o)
UNITY_OBJ    := $(B)/obj/code/mps.o
PUBLIC_HDRS  := $(sort $(wildcard code/mps*.h))

TEST_DIRS    := unit iface gc stress
TEST_SRCS    := $(foreach d,$(TEST_DIRS),$(sort $(wildcard test/$(d)/*_test.c)))
TEST_BINS    := $(TEST_SRCS:test/%.c=$(B)/test/%)
TESTLIB_SRCS := $(sort $(wildcard test/lib/*.c))
TESTLIB_OBJS := $(TESTLIB_SRCS:%.c=$(B)/obj/%.o)
TEST_OBJS    := $(TEST_SRCS:%.c=$(B)/obj/%.o)

EXAMPLE_SRCS := $(sort $(wildcard example/*.c))
EXAMPLE_BINS := $(EXAMPLE_SRCS:example/%.c=$(B)/example/%)

SONAME := libmps.so.$(SOVERSION)

# Rebuild everything when the compiler or flags change (CC=clang after cc).
FLAGS_STAMP := $(B)/flags.stamp
FLAGS_LINE  := $(CC) $(LAGOON_CFLAGS) | $(LAGOON_LDFLAGS)
ifeq ($(filter clean,$(MAKECMDGOALS)),)
$(shell mkdir -p '$(B)' && { [ "$$(cat '$(FLAGS_STAMP)' 2>/dev/null)" = '$(FLAGS_LINE)' ] \
        || printf '%s\n' '$(FLAGS_LINE)' > '$(FLAGS_STAMP)'; })
endif

# -- Library -------------------------------------------------------------
.PHONY: all lib internal tests examples example
all lib: $(B)/libmps.a $(B)/libmps.so
internal: $(B)/libmps-internal.a
tests: $(TEST_BINS)

$(B)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(LAGOON_CFLAGS) -MMD -MP -c -o $@ $<

# test sources get Check's flags and test/lib on the include path
$(B)/obj/test/%.o: test/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -MMD -MP -c -o $@ $<

# libmps.a: the single object with every hidden symbol made local, so that
# only mps_* / _mps_* stay global and clients may reuse internal names.
$(B)/obj/code/mps-local.o: $(UNITY_OBJ)
	$(call msg,OBJCOPY,$@)
	$(Q)$(OBJCOPY) --localize-hidden $< $@

$(B)/libmps.a: $(B)/obj/code/mps-local.o
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# libmps.so: -z defs refuses any undefined internal reference.
$(B)/$(SONAME): $(UNITY_OBJ)
	$(call msg,LD,$@)
	$(Q)$(CC) -shared $(LAGOON_LDFLAGS) -Wl,-soname,$(SONAME) -Wl,-z,defs \
	    -o $@ $< $(LIBS)

$(B)/libmps.so: $(B)/$(SONAME)
	$(Q)ln -sf $(SONAME) $@

$(B)/libmps-internal.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# -- Tests ---------------------------------------------------------------
$(B)/test/%: $(B)/obj/test/%.o $(TESTLIB_OBJS) $(B)/libmps-internal.a
	@mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LAGOON_LDFLAGS) -o $@ $< $(TESTLIB_OBJS) $(TEST_LIBS)

# Build checks (test/build/*.sh) need the public libraries too.  -k: a test
# that does not compile is reported by the runner as FAIL, the rest still run.
.PHONY: build-for-test test check stress test-asan deps check-exports check-layers
build-for-test:
	-$(Q)$(MAKE) --no-print-directory -k -j$(JOBS) VARIETY=$(VARIETY) all tests

deps:
	tool/install-deps

test check: deps
	$(Q)$(MAKE) --no-print-directory VARIETY=cool BUILDDIR=build/cool build-for-test
	$(Q)$(MAKE) --no-print-directory VARIETY=hot BUILDDIR=build/hot build-for-test
	$(Q)CC='$(CC)' LAGOON_TEST_JOBS=$(JOBS) tool/run-tests cool hot

stress: deps
	$(Q)$(MAKE) --no-print-directory VARIETY=$(VARIETY) BUILDDIR=build/$(VARIETY) build-for-test
	$(Q)CC='$(CC)' LAGOON_TEST_JOBS=$(JOBS) LAGOON_STRESS_SCALE=$${LAGOON_STRESS_SCALE:-10} \
	    LAGOON_TEST_TIMEOUT=$${LAGOON_TEST_TIMEOUT:-1800} \
	    tool/run-tests --only 'stress/*' $(VARIETY)

test-asan: deps
	-$(Q)$(MAKE) --no-print-directory -k -j$(JOBS) VARIETY=asan BUILDDIR=build/asan tests
	$(Q)CC='$(CC)' LAGOON_TEST_JOBS=$(JOBS) tool/run-tests asan

check-exports: all
	tool/check-exports $(B)

check-layers:
	tool/check-layers

# -- Benchmarks, examples ------------------------------------------------
.PHONY: bench run-example
bench:
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) VARIETY=hot BUILDDIR=build/hot all
	$(Q)if [ -x tool/bench/run ]; then CC='$(CC)' QUICK='$(QUICK)' tool/bench/run; \
	else echo "bench: tool/bench/run does not exist yet: nothing to run"; fi

examples example: $(EXAMPLE_BINS)

$(B)/example/%: example/%.c $(B)/libmps.a
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu17 -Wall -Wextra -Werror $(VARIETY_CFLAGS_$(VARIETY)) $(CPPFLAGS) $(CFLAGS) \
	    -Icode -o $@ $< $(B)/libmps.a $(LAGOON_LDFLAGS) $(LIBS) -lm

# ==== BEGIN run-example (the lead defines the main example's command) ====
# The main example for this milestone: the example clients of the manual,
# hello first, each built against the hot library and run; any failure stops.
MAIN_EXAMPLES := hello ap sac commit_limit client_arena debug_pool frames scheme_gc weaktable_demo
run-example:
	$(Q)$(MAKE) --no-print-directory VARIETY=hot BUILDDIR=build/hot example
	$(Q)set -e; for e in $(MAIN_EXAMPLES); do \
	  echo "== example/$$e"; build/hot/example/$$e; done
# ==== END run-example ====

# -- Install -------------------------------------------------------------
.PHONY: install uninstall
PREFIX     ?= /usr/local
prefix     := $(PREFIX)
libdir     ?= $(prefix)/lib
includedir ?= $(prefix)/include
pkgconfigdir ?= $(libdir)/pkgconfig

install: $(B)/libmps.a $(B)/$(SONAME)
	install -d '$(DESTDIR)$(includedir)' '$(DESTDIR)$(libdir)' '$(DESTDIR)$(pkgconfigdir)'
	install -m 644 $(PUBLIC_HDRS) '$(DESTDIR)$(includedir)/'
	install -m 644 $(B)/libmps.a '$(DESTDIR)$(libdir)/libmps.a'
	install -m 755 $(B)/$(SONAME) '$(DESTDIR)$(libdir)/$(SONAME)'
	ln -sf $(SONAME) '$(DESTDIR)$(libdir)/libmps.so'
	sed -e 's|@PREFIX@|$(prefix)|g' -e 's|@LIBDIR@|$(libdir)|g' \
	    -e 's|@INCLUDEDIR@|$(includedir)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    tool/lagoon.pc.in > '$(DESTDIR)$(pkgconfigdir)/lagoon.pc'

uninstall:
	rm -f $(PUBLIC_HDRS:code/%='$(DESTDIR)$(includedir)/%') \
	    '$(DESTDIR)$(libdir)/libmps.a' '$(DESTDIR)$(libdir)/$(SONAME)' \
	    '$(DESTDIR)$(libdir)/libmps.so' '$(DESTDIR)$(pkgconfigdir)/lagoon.pc'

# -- Clean ---------------------------------------------------------------
.PHONY: clean
clean:
	rm -rf build

# Keep objects that make would otherwise delete as intermediates.
.SECONDARY: $(TEST_OBJS) $(TESTLIB_OBJS) $(UNITY_OBJ) $(B)/obj/code/mps-local.o

-include $(LIB_OBJS:.o=.d) $(UNITY_OBJ:.o=.d) $(TESTLIB_OBJS:.o=.d) $(TEST_OBJS:.o=.d)
