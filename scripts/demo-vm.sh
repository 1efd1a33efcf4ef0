#!/usr/bin/env bash
# The demo's narrative, run inside the VM by scripts/demo.sh.
#
#   lan (10.0.0.2)  --  gw (10.0.0.1 | 198.51.100.1, rgm.ko)  --  wan (media 203.0.113.7,
#                                                                  stranger 203.0.113.66)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
rgmctl="$top/ctl/rgmctl/rgmctl"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
cleanup() {
	for n in lan gw wan; do ip netns del "demo-$n" 2>/dev/null; done
	jobs -p | xargs -r kill 2>/dev/null
}
trap cleanup EXIT

modprobe -q nf_nat; modprobe -q veth
insmod "$top/kmod/rgm.ko" || exit 1

for n in lan gw wan; do ip netns add "demo-$n"; ip -n "demo-$n" link set lo up; done
ip link add lan0 netns demo-lan type veth peer name gwl netns demo-gw
ip link add wan0 netns demo-wan type veth peer name gww netns demo-gw
ip -n demo-lan addr add 10.0.0.2/24 dev lan0; ip -n demo-lan link set lan0 up
ip -n demo-lan route add default via 10.0.0.1
ip -n demo-gw addr add 10.0.0.1/24 dev gwl; ip -n demo-gw link set gwl up
ip -n demo-gw addr add 198.51.100.1/24 dev gww; ip -n demo-gw link set gww up
ip netns exec demo-gw sysctl -qw net.ipv4.ip_forward=1
ip -n demo-wan addr add 198.51.100.2/24 dev wan0; ip -n demo-wan link set wan0 up
ip -n demo-wan addr add 203.0.113.7/24 dev wan0
ip -n demo-wan addr add 203.0.113.66/24 dev wan0

gw() { ip netns exec demo-gw "$@"; }

say "The gateway: rgm.ko loaded, its global address and managed ports set"
run gw "$rgmctl" config set global 198.51.100.1 ports 40000-49999
run gw "$rgmctl" config show

say "The appliance listens on 10.0.0.2:5004; the media server will send from 203.0.113.7:6000"
ip netns exec demo-lan timeout 20 socat -u UDP4-RECV:5004 OPEN:/tmp/demo-received,creat,trunc &
sleep 0.5

say "Before any mapping: the media server's packets to 198.51.100.1:40000 are dropped"
echo "too early" | ip netns exec demo-wan socat -u - UDP4-SENDTO:198.51.100.1:40000,bind=203.0.113.7:6000
sleep 0.5
run gw "$rgmctl" stats

say "The gateway is commanded to pass the stream (rgmd does this over TLS; here by hand)"
run gw "$rgmctl" mapping add proto udp stream udp global 198.51.100.1:40000 \
	local 10.0.0.2:5004 server 203.0.113.7:6000 lease 60 owner 0x1
run gw "$rgmctl" mapping show

say "The media server streams 20 datagrams to the gateway's global port"
for i in $(seq 1 20); do
	printf 'frame %02d of the title\n' "$i"
done >/tmp/demo-sent
while read -r line; do
	echo "$line" | ip netns exec demo-wan socat -u - UDP4-SENDTO:198.51.100.1:40000,bind=203.0.113.7:6000
done </tmp/demo-sent
sleep 0.5

say "A stranger sends to the same port: dropped"
echo "unsolicited" | ip netns exec demo-wan socat -u - UDP4-SENDTO:198.51.100.1:40000,bind=203.0.113.66:6000
sleep 0.5
run gw "$rgmctl" mapping show
run gw "$rgmctl" stats

say "Teardown: the mapping is removed, the port is closed again"
run gw "$rgmctl" mapping del owner 0x1
echo "after teardown" | ip netns exec demo-wan socat -u - UDP4-SENDTO:198.51.100.1:40000,bind=203.0.113.7:6000
sleep 0.5
kill %1 2>/dev/null; wait 2>/dev/null

say "What the appliance received"
got=$(grep -c 'frame' /tmp/demo-received 2>/dev/null || echo 0)
echo "received $got of 20 datagrams; unsolicited: $(grep -c unsolicited /tmp/demo-received)," \
     "after teardown: $(grep -c 'after teardown' /tmp/demo-received)"
cleanup; trap - EXIT
rmmod rgm
[ "$got" = 20 ] && ! grep -q -e unsolicited -e 'after teardown' -e 'too early' /tmp/demo-received
