# SPDX-License-Identifier: GPL-2.0
#
#   make            build the module (kmod/rgm.ko) and every program
#   make check      host unit tests, then every selftest in one VM boot
#   make demo       the whole flow in a VM (see README)
#   make bench      B1-B5 of Documentation/performance.rst (figures, not a test)
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

.PHONY: all kmod user check demo bench setup clean fuzz

all: kmod user

kmod:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

user: $(PROGS) $(SELFTESTS) $(UNITTESTS)

# made afresh: no member outlives its source
$(LIB): $(LIB_SRCS:.c=.o)
	rm -f $@
	$(AR) rcs $@ $^

SRCDIRS     := lib ctl confserver mediaserver portal appliance
$(addsuffix /%.o,$(SRCDIRS)): CFLAGS += -MMD -MP

# The database's migrations, embedded from the .sql files (their only copy
# in git) into a generated .c.
DB_SCHEMA   := confserver/rgm_db_schema.c
$(DB_SCHEMA): scripts/mkschema.sh confserver/migrations $(wildcard confserver/migrations/*.sql)
	scripts/mkschema.sh confserver/migrations >$@.tmp && mv $@.tmp $@

# Every program: all the .c files of its folder, and the library (and the
# generated .c, which a fresh tree does not have yet).
objs = $(patsubst %.c,%.o,$(wildcard $(1)/*.c))
ctl/rgmctl/rgmctl: $(call objs,ctl/rgmctl) $(LIB)
ctl/rgmd/rgmd: $(call objs,ctl/rgmd) $(LIB)
confserver/rgm-confserver: $(call objs,confserver) $(DB_SCHEMA:.c=.o) $(LIB)
mediaserver/rgm-mediaserver: $(call objs,mediaserver) $(LIB)
portal/rgm-portal: $(call objs,portal) $(LIB)
appliance/rgm-appliance: $(call objs,appliance) $(LIB)
$(PROGS):
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

# Tests use the kernel's kselftest harness (extracted by scripts/setup.sh).
# private: the objects some tests link keep the programs' warnings.
selftests/% tests/%: private CFLAGS += -I$(KSELFTEST) -Wno-sign-compare
# A test of code that lives in a program's folder links those objects
# (never the program's main.c) and sees that folder's headers: OBJS_name.
OBJS_policy_test     := ctl/rgmd/rgm_policy.o
OBJS_db_test         := confserver/rgm_db.o $(DB_SCHEMA:.c=.o) confserver/rgm_audit.o
OBJS_confserver_cli_test := $(OBJS_db_test)
# the gateway drivers' test supplies cs_log itself
OBJS_cs_driver_test  := $(addprefix confserver/,driver.o link.o drv_rgm.o callhome.o)
OBJS_portal_api_test := portal/rgm_portal_api.o
OBJS_rtp_test        := mediaserver/rgm_ts.o
# rgmd_engine drives the engine directly, through its objects
OBJS_rgmd_engine     := $(patsubst %.c,%.o,$(wildcard ctl/rgmd/engine*.c)) \
			ctl/rgmd/clock.o ctl/rgmd/rgm_policy.o
test_dirs = $(patsubst %/,-I%,$(sort $(dir $(OBJS_$(1)))))
# $$: expanded again once the stem is known, to the test's own OBJS_name
.SECONDEXPANSION:
selftests/%: selftests/%.c $$(OBJS_$$*) $(LIB) | $(KSELFTEST)
	$(CC) $(CFLAGS) $(call test_dirs,$*) -o $@ $< $(OBJS_$*) $(LIB) $(PKG_LIBS) -lpthread
tests/%: tests/%.c $$(OBJS_$$*) $(LIB) | $(KSELFTEST)
	$(CC) $(CFLAGS) $(call test_dirs,$*) -o $@ $< $(OBJS_$*) $(LIB) $(PKG_LIBS) -lpthread

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

fuzz:
	$(MAKE) -C fuzz

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f $(LIB) $(PROGS) $(SELFTESTS) $(UNITTESTS) $(DB_SCHEMA)
	find $(SRCDIRS) -name '*.[od]' -delete

-include $(shell find $(SRCDIRS) -name '*.d' 2>/dev/null)
