# SPDX-License-Identifier: GPL-2.0
#
#   make            build the module (kmod/rgm.ko) and every program
#   make check      host unit tests, then every selftest in one VM boot
#   make demo       the whole flow in a VM (see README); DATAPLANE=nftables:
#                   on the host kernel in network namespaces, no VM
#   make adversarial  only the adversarial suite (Documentation/security.rst), full counts
#   make bench      B1-B6 of Documentation/performance.rst (figures, not a test),
#                   then the fleet benchmark on the host
#   make bench-fleet  only the fleet benchmark: one rgm-confserver against 1k and
#                   10k emulated call-home gateways (bench/fleetgen), no VM
#   make setup      install what the above need from Debian (run by check)
#   make install    programs, units, man pages, examples, docs (DESTDIR, PREFIX)
#   make modules_install   rgm.ko into /lib/modules/KVER/updates, then depmod
#   make debs       the Debian packages (debian/), into build/debs
#   make check-debs the packages installed into a booted Debian (nspawn) and
#                   the demo's flow run from there (also part of make check)
#
# KDIR picks the kernel to build against: the newest installed headers.

KVER  ?= $(shell ls /lib/modules 2>/dev/null | sort -V | tail -n 1)
KDIR  ?= /lib/modules/$(KVER)/build

CC      ?= cc
PKG_CONFIG ?= pkg-config
# CFLAGS and LDFLAGS may come from the command line (as OpenWrt's and most
# cross builds pass them): what rgm needs is added to them, not lost
CFLAGS  ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter \
	   -D_GNU_SOURCE -isystem include/uapi -Ilib
PKGS    := libnl-3.0 libnl-genl-3.0 gnutls json-c sqlite3 libmicrohttpd libcurl \
	   libnftables libnetfilter_conntrack
# one package at a time: a library that PKG_CONFIG does not know (a cross
# staging dir with only the gateway's) loses only its own flags
PKG_CFLAGS := $(foreach p,$(PKGS),$(shell $(PKG_CONFIG) --cflags $(p) 2>/dev/null))
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
override CFLAGS += $(PKG_CFLAGS)

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
# load generators of make bench: built, never installed
BENCHES     := bench/fleetgen

.PHONY: all kmod user progs check demo bench bench-fleet setup clean fuzz adversarial

all: kmod user

kmod:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

user: $(PROGS) $(SELFTESTS) $(UNITTESTS) $(BENCHES)

# the programs alone (what the packages build)
progs: $(PROGS)

# made afresh: no member outlives its source
$(LIB): $(LIB_SRCS:.c=.o)
	rm -f $@
	$(AR) rcs $@ $^

SRCDIRS     := lib ctl confserver mediaserver portal appliance
$(addsuffix /%.o,$(SRCDIRS)): override CFLAGS += -MMD -MP

# The database's migrations, embedded from the .sql files (their only copy
# in git) into a generated .c.
DB_SCHEMA   := confserver/rgm_db_schema.c
$(DB_SCHEMA): scripts/mkschema.sh confserver/migrations $(wildcard confserver/migrations/*.sql)
	scripts/mkschema.sh confserver/migrations >$@.tmp && mv $@.tmp $@

# The web pages' scripts and style sheets, embedded likewise
# (scripts/mkassets.sh): portal/web/ and confserver/console/ are their only copy.
PORTAL_ASSETS := portal/web_assets.c
PORTAL_WEB    := /static/viewer.js=portal/web/viewer.js /static/viewer.css=portal/web/viewer.css
$(PORTAL_ASSETS): scripts/mkassets.sh $(wildcard portal/web/*)
	scripts/mkassets.sh portal_assets $(PORTAL_WEB) >$@.tmp && mv $@.tmp $@
CS_ASSETS     := confserver/console_assets.c
CS_WEB        := /console=confserver/console/console.html \
		 /console.js=confserver/console/console.js \
		 /console.css=confserver/console/console.css
$(CS_ASSETS): scripts/mkassets.sh $(wildcard confserver/console/*)
	scripts/mkassets.sh cs_assets $(CS_WEB) >$@.tmp && mv $@.tmp $@

# Every program: all the .c files of its folder, and the library (and the
# generated .c, which a fresh tree does not have yet).
objs = $(patsubst %.c,%.o,$(wildcard $(1)/*.c))
ctl/rgmctl/rgmctl: $(call objs,ctl/rgmctl) $(LIB)
ctl/rgmd/rgmd: $(call objs,ctl/rgmd) $(LIB)
confserver/rgm-confserver: $(call objs,confserver) $(DB_SCHEMA:.c=.o) $(CS_ASSETS:.c=.o) $(LIB)
mediaserver/rgm-mediaserver: $(call objs,mediaserver) $(LIB)
portal/rgm-portal: $(call objs,portal) $(PORTAL_ASSETS:.c=.o) $(LIB)
appliance/rgm-appliance: $(call objs,appliance) $(LIB)
$(PROGS):
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call prog_libs,$@) -lpthread

# Each program links only the libraries it uses: the gateway side (rgmd,
# rgmctl) pulls in neither SQLite nor libmicrohttpd nor libcurl. The
# archive's members are taken only when referenced, so a smaller list
# still resolves; tests/install_test.sh checks the DT_NEEDED entries.
PKGS_rgmctl          := libnl-3.0 libnl-genl-3.0 gnutls json-c libnftables libnetfilter_conntrack
PKGS_rgmd            := libnl-3.0 libnl-genl-3.0 gnutls json-c libnftables libnetfilter_conntrack
# (confserver takes libnl only because rgm_stream_parse lives in rgm_nl.c)
PKGS_rgm-confserver  := libnl-3.0 libnl-genl-3.0 gnutls json-c sqlite3 libmicrohttpd
PKGS_rgm-mediaserver := gnutls json-c libmicrohttpd
PKGS_rgm-portal      := json-c libmicrohttpd libcurl
PKGS_rgm-appliance   := gnutls json-c libcurl miniupnpc
# libnatpmp has no pkg-config file
LIBS_rgm-appliance   := -lnatpmp
prog_libs = $(shell $(PKG_CONFIG) --libs $(PKGS_$(notdir $(1))) 2>/dev/null) $(LIBS_$(notdir $(1)))

# One version for every program: the VERSION file (debian/changelog
# carries the same, checked by tests/install_test.sh).
RGM_VERSION := $(shell cat VERSION)
lib/rgm_version.o: override CFLAGS += -DRGM_VERSION='"$(RGM_VERSION)"'
lib/rgm_version.o: VERSION

# Tests use the kernel's kselftest harness (extracted by scripts/setup.sh).
# private: the objects some tests link keep the programs' warnings.
selftests/% tests/%: private override CFLAGS += -I$(KSELFTEST) -Wno-sign-compare
# A test of code that lives in a program's folder links those objects
# (never the program's main.c) and sees that folder's headers: OBJS_name.
OBJS_policy_test     := ctl/rgmd/rgm_policy.o
OBJS_db_test         := confserver/rgm_db.o $(DB_SCHEMA:.c=.o) confserver/rgm_audit.o
OBJS_confserver_cli_test := $(OBJS_db_test)
# the gateway drivers' test supplies cs_log itself
OBJS_cs_driver_test  := $(addprefix confserver/,driver.o link.o drv_rgm.o callhome.o \
			drv_appliance.o grant.o metrics.o fdres.o)
OBJS_portal_api_test := portal/rgm_portal_api.o
OBJS_rtp_test        := mediaserver/rgm_ts.o
OBJS_pcp_test        := appliance/pcp.o
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

bench/fleetgen: bench/fleetgen.c $(LIB)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(shell $(PKG_CONFIG) --libs gnutls json-c 2>/dev/null)

$(KSELFTEST):
	scripts/setup.sh

setup:
	scripts/setup.sh

check:
	scripts/check.sh

demo:
	scripts/demo.sh $(DATAPLANE)

bench:
	scripts/bench.sh

bench-fleet:
	scripts/bench-fleet.sh

adversarial:
	scripts/adversarial.sh

# make fuzz: every libFuzzer target for FUZZ_SECONDS each (default 300; make
# check runs them for 20 s)
fuzz:
	$(MAKE) -C fuzz
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} fuzz/run.sh

include scripts/install.mk

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f $(LIB) $(PROGS) $(SELFTESTS) $(UNITTESTS) $(BENCHES) $(DB_SCHEMA) $(PORTAL_ASSETS) $(CS_ASSETS)
	find $(SRCDIRS) -name '*.[od]' -delete

-include $(shell find $(SRCDIRS) -name '*.d' 2>/dev/null)
