# SPDX-License-Identifier: GPL-2.0
#
#   make            build the module (kmod/rgm.ko) and every program
#   make check      host unit tests, then every selftest in one VM boot
#   make demo       the whole flow in a VM (see README)
#   make adversarial  only the adversarial suite (Documentation/security.rst), full counts
#   make bench      per-packet cost with 1, 10k, 60k mappings (figures, not a test)
#   make setup      install what the above need from Debian (run by check)
#
# KDIR picks the kernel to build against: the newest installed headers.

KVER  ?= $(shell ls /lib/modules 2>/dev/null | sort -V | tail -n 1)
KDIR  ?= /lib/modules/$(KVER)/build

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter \
	   -D_GNU_SOURCE -isystem include/uapi -Ilib
PKGS    := libnl-3.0 libnl-genl-3.0 gnutls json-c sqlite3 libmicrohttpd libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(PKG_CFLAGS)

# One program per folder; every .c in it belongs to it.
LIB_SRCS    := $(wildcard lib/*.c)
LIB         := lib/librgm.a
ALL_PROGS   := ctl/rgmctl/rgmctl ctl/rgmd/rgmd confserver/rgm-confserver \
	       mediaserver/rgm-mediaserver portal/rgm-portal appliance/rgm-appliance
# a program is built once its folder has sources
PROGS       := $(foreach p,$(ALL_PROGS),$(if $(wildcard $(dir $(p))*.c),$(p)))
SELFTESTS   := $(patsubst %.c,%,$(wildcard selftests/*.c))
UNITTESTS   := $(patsubst %.c,%,$(wildcard tests/*_test.c))
KSELFTEST   := build/kselftest

.PHONY: all kmod user check demo bench setup clean fuzz adversarial

all: kmod user

kmod:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

user: $(PROGS) $(SELFTESTS) $(UNITTESTS)

$(LIB): $(LIB_SRCS:.c=.o)
	$(AR) rcs $@ $^

SRCDIRS     := lib ctl confserver mediaserver portal appliance
$(addsuffix /%.o,$(SRCDIRS)): CFLAGS += -MMD -MP

# Every program: all the .c files of its folder, and the library.
objs = $(patsubst %.c,%.o,$(wildcard $(1)/*.c))
ctl/rgmctl/rgmctl: $(call objs,ctl/rgmctl) $(LIB)
ctl/rgmd/rgmd: $(call objs,ctl/rgmd) $(LIB)
confserver/rgm-confserver: $(call objs,confserver) $(LIB)
mediaserver/rgm-mediaserver: $(call objs,mediaserver) $(LIB)
portal/rgm-portal: $(call objs,portal) $(LIB)
appliance/rgm-appliance: $(call objs,appliance) $(LIB)
$(PROGS):
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

# Tests use the kernel's kselftest harness (extracted by scripts/setup.sh).
selftests/% tests/%: CFLAGS += -I$(KSELFTEST) -Wno-sign-compare
# rgmd_engine drives the engine directly: it #includes its sources.
selftests/rgmd_engine: $(wildcard ctl/rgmd/engine*.[ch])
selftests/%: selftests/%.c $(LIB) | $(KSELFTEST)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lpthread
tests/%: tests/%.c $(LIB) | $(KSELFTEST)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lpthread
# The gateway drivers' test links the driver objects (not main.c) and
# supplies cs_log itself.
CS_DRIVER_OBJS := $(addprefix confserver/,driver.o link.o drv_rgm.o callhome.o)
tests/cs_driver_test: tests/cs_driver_test.c $(CS_DRIVER_OBJS) $(LIB) | $(KSELFTEST)
	$(CC) $(CFLAGS) -Iconfserver -o $@ $< $(CS_DRIVER_OBJS) $(LIB) $(PKG_LIBS) -lpthread

$(KSELFTEST):
	scripts/setup.sh

setup:
	scripts/setup.sh

check:
	scripts/check.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

adversarial:
	scripts/adversarial.sh

# make fuzz: every libFuzzer target for FUZZ_SECONDS each (default 300; make
# check runs them for 20 s)
fuzz:
	$(MAKE) -C fuzz
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} fuzz/run.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f $(LIB) $(PROGS) $(SELFTESTS) $(UNITTESTS)
	find $(SRCDIRS) -name '*.[od]' -delete

-include $(shell find $(SRCDIRS) -name '*.d' 2>/dev/null)
