#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The module as a user installs it: built by Debian's dkms for this kernel
# (on the host, by scripts/dkms-stage.sh: the VM has no compiler time to
# spare), installed here by `dkms install` into /lib/modules (a writable
# overlay in the VM: check.sh passes --overlay-rwdir), then loaded with
# modprobe, which must pull in nf_nat and nf_conntrack by itself; and
# loaded on first use by rgmctl through the generic netlink family alias.
# Leaves the module unloaded: run.sh puts the tree's rgm.ko back.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
rgmctl=$top/ctl/rgmctl/rgmctl
dir=${RGM_DKMS_DIR:-$top/build/dkms}
kver=$(uname -r)
n=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

if [ ! -f "$dir/staged" ]; then
	echo "not ok 1 a dkms build is staged in $dir (run scripts/dkms-stage.sh on the host)"
	exit 1
fi
{ read -r ver; read -r staged_kver; } <"$dir/staged"
check "dkms built the module for this kernel ($staged_kver)" [ "$staged_kver" = "$kver" ]
if ! touch "/lib/modules/$kver/.rgm-rw" 2>/dev/null; then
	not_ok "/lib/modules is writable (vng --overlay-rwdir /lib/modules)"
	exit 1
fi
rm -f "/lib/modules/$kver/.rgm-rw"

lsmod | grep -q '^rgm ' && rmmod rgm
check "dkms install rgm/$ver" dkms install --dkmstree "$dir/tree" \
	--sourcetree "$dir/root/usr/src" -m rgm -v "$ver" -k "$kver"
dkms status --dkmstree "$dir/tree" --sourcetree "$dir/root/usr/src" -m rgm -v "$ver" \
	| sed 's/^/# /'
ko=$(modinfo -n rgm 2>/dev/null)
check "modinfo finds rgm in /lib/modules ($ko)" \
	bash -c "[[ '$ko' == /lib/modules/$kver/updates/* ]]"
deps=$(modinfo -F depends rgm 2>/dev/null)
check "depmod recorded rgm's dependencies ($deps)" \
	bash -c "[[ ',$deps,' == *,nf_nat,* && ',$deps,' == *,nf_conntrack,* ]]"
show=$(modprobe --show-depends rgm 2>&1)
echo "$show" | sed 's/^/# /'
check "modprobe --show-depends rgm loads nf_conntrack and nf_nat before rgm" \
	bash -c "echo '$show' | awk '/nf_conntrack.ko/{c=NR} /nf_nat.ko/{a=NR} /rgm.ko/{r=NR}
		END{exit !(c && a && r && c < r && a < r)}'"
check "modprobe rgm" modprobe rgm
check "rgm holds nf_nat" test -e /sys/module/nf_nat/holders/rgm
check "rgm holds nf_conntrack" test -e /sys/module/nf_conntrack/holders/rgm
check "modprobe -r rgm" modprobe -r rgm
check "rgm is gone" bash -c "! lsmod | grep -q '^rgm '"

# first use loads it: the family alias (net-pf-16-proto-16-family-rgm)
out=$("$rgmctl" mapping list -j 2>&1)
check "rgmctl loads the module on first use" bash -c "lsmod | grep -q '^rgm '"
check "rgmctl mapping list -j prints JSON ($out)" bash -c "echo '$out' | jq -e 'type == \"array\"' >/dev/null"
out2=$("$rgmctl" -j mapping list 2>&1)
check "-j after the object is the same as before it" [ "$out" = "$out2" ]
check "-n after the object is refused" bash -c "! '$rgmctl' mapping list -n x 2>/dev/null"

# The installed module file goes (an uninstall would cost another depmod
# under TCG): with it left, the family alias would load it again behind
# later tests that unload rgm.ko on purpose. The stale modules.dep entry
# only makes such a modprobe fail, as on a machine without rgm installed.
modprobe -r rgm
rm -f "$ko"
check "the installed module is removed again" [ ! -e "$ko" ]
echo "1..$n"
