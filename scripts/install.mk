# SPDX-License-Identifier: GPL-2.0
#
# make install / modules_install, as WireGuard's and iproute2's do it:
#   make install DESTDIR=/tmp/root PREFIX=/usr
#   make modules_install [KDIR=... INSTALL_MOD_PATH=...]
# Paths may each be overridden; debian/rules passes the Debian ones.
# Included by the Makefile.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
DOCDIR     ?= $(DATADIR)/doc/rgm
EXAMPLEDIR ?= $(DOCDIR)/examples
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
SYSCONFDIR ?= /etc
INSTALL    ?= install

# what goes where: program -> bin or sbin
INST_SBIN  := ctl/rgmctl/rgmctl ctl/rgmd/rgmd confserver/rgm-confserver \
	      portal/rgm-portal mediaserver/rgm-mediaserver
INST_BIN   := appliance/rgm-appliance
INST_MAN   := Documentation/rgmctl.8 $(wildcard Documentation/man/*.[158])
INST_UNITS := ctl/rgmd/rgmd.service confserver/rgm-confserver.service \
	      portal/rgm-portal.service mediaserver/rgm-mediaserver.service
INST_EXAMPLES := ctl/rgmd/rgmd.conf.example confserver/confserver.conf.example \
	      examples/rgm-portal.env.example examples/rgm-mediaserver.env.example
INST_DOCS  := README.md $(wildcard Documentation/*.rst)
INST_SYSUSERS := $(wildcard examples/sysusers/*.conf)

.PHONY: install install-progs install-units install-man install-docs \
	modules_install uninstall

install: install-progs install-units install-man install-docs

install-progs: progs
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 0755 $(INST_SBIN) $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0755 $(INST_BIN) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -d $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 0644 completions/rgmctl $(DESTDIR)$(BASHCOMPDIR)/rgmctl

# The units name /usr/sbin; another SBINDIR is written into the copies.
install-units:
	$(INSTALL) -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	for u in $(INST_UNITS); do \
		sed 's|/usr/sbin/|$(SBINDIR)/|g; s|/etc/rgm/|$(SYSCONFDIR)/rgm/|g' $$u \
			>$(DESTDIR)$(UNITDIR)/$${u##*/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	$(INSTALL) -m 0644 $(INST_SYSUSERS) $(DESTDIR)$(SYSUSERSDIR)/

install-man:
	for m in $(INST_MAN); do \
		s=$${m##*.}; $(INSTALL) -d $(DESTDIR)$(MANDIR)/man$$s && \
		$(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done

install-docs:
	$(INSTALL) -d $(DESTDIR)$(DOCDIR) $(DESTDIR)$(EXAMPLEDIR)
	$(INSTALL) -m 0644 $(INST_DOCS) $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 $(INST_EXAMPLES) $(DESTDIR)$(EXAMPLEDIR)/

# rgm.ko into /lib/modules/KVER/updates (INSTALL_MOD_PATH prefixes it), then
# depmod, which records that rgm needs nf_nat and nf_conntrack: modprobe rgm
# loads them, where insmod fails with "Unknown symbol".
INSTALL_MOD_DIR ?= updates
modules_install: kmod
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(notdir $(INST_SBIN))) \
	      $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(INST_BIN))) \
	      $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(INST_UNITS))) \
	      $(addprefix $(DESTDIR)$(SYSUSERSDIR)/,$(notdir $(INST_SYSUSERS))) \
	      $(DESTDIR)$(BASHCOMPDIR)/rgmctl
	for m in $(INST_MAN); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	rm -rf $(DESTDIR)$(DOCDIR)

# The Debian packages (debian/), into build/debs; see tests/install_test.sh.
debs:
	scripts/mkdebs.sh

# The packages installed into a minimal bookworm (scripts/mkrootfs.sh,
# cached in build/rootfs) booted by systemd-nspawn, and the demo's flow run
# from the installed units and paths (tests/deb_system_test.sh).
.PHONY: check-debs
check-debs:
	tests/deb_system_test.sh

# The module's source for DKMS: /usr/src/rgm-VERSION with dkms.conf.
DKMSDIR ?= /usr/src/rgm-$(RGM_VERSION)
.PHONY: install-dkms
install-dkms:
	$(INSTALL) -d $(DESTDIR)$(DKMSDIR)/kmod $(DESTDIR)$(DKMSDIR)/include/uapi/linux
	$(INSTALL) -m 0644 Kbuild $(DESTDIR)$(DKMSDIR)/
	$(INSTALL) -m 0644 kmod/Kbuild kmod/*.[ch] $(DESTDIR)$(DKMSDIR)/kmod/
	$(INSTALL) -m 0644 include/uapi/linux/rgm.h $(DESTDIR)$(DKMSDIR)/include/uapi/linux/
	sed 's/#MODULE_VERSION#/$(RGM_VERSION)/' dkms.conf >$(DESTDIR)$(DKMSDIR)/dkms.conf
