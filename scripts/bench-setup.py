#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""B6 setup latency, the measuring side (scripts/bench-setup.sh sets up the
deployment and runs it in the WAN namespace, where the configuration server
and the media server are). Prints figures, one "B6 ..." line per run;
asserts nothing about them.

One run: POST /v1/sessions (one UDP stream, local port 5004) on a keep-alive
HTTPS connection to the configuration server; t_reply when the 201 is in;
then datagrams from the media server's address to the global port the reply
names, one a millisecond, until the appliance's receiver (a process in the
LAN namespace, started here) reports the first; t_first is its arrival.
Both against t0, the request's start, on CLOCK_MONOTONIC (one clock for
every namespace). The session is closed after each run.

warm: the configuration server's link to rgmd is up (a configure and close
just before, on the same link); cold: the link was closed by the server's
idle timeout (1 s) and the status says so, so the configure dials (TCP, TLS
1.3 with client certificate, hello). The "handshakes" delta of the
gateway's status is printed with every run as proof.
"""
import http.client
import json
import os
import select
import socket
import ssl
import subprocess
import sys
import time

RECV = r'''
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5004))
print("ready", flush=True)
last = None
while True:
    d = s.recv(2048)
    t = time.monotonic()
    if d != last:
        print(d.decode(errors="replace"), "%.6f" % t, flush=True)
        last = d
'''


class Bench:
    def __init__(self, a):
        self.a = a
        ctx = ssl.create_default_context(cafile=a["ca"])
        self.cs = http.client.HTTPSConnection(a["cs"], 8443, context=ctx, timeout=30)
        self.media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.media.bind((a["media"], 6000))
        self.recv = {}

    def call(self, method, path, body, token):
        h = {"Authorization": "Bearer " + token}
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body)
        for attempt in (1, 2):
            try:
                self.cs.request(method, path, body=body, headers=h)
                r = self.cs.getresponse()
                return r.status, json.loads(r.read() or b"null")
            except (http.client.HTTPException, OSError):
                # the server closed the keep-alive connection: once more
                self.cs.close()
                if attempt == 2:
                    raise

    def receiver(self, lanns, addr):
        p = subprocess.Popen(["ip", "netns", "exec", lanns, sys.executable, "-S", "-c", RECV, addr],
                             stdout=subprocess.PIPE, text=True, bufsize=1)
        if p.stdout.readline().strip() != "ready":
            sys.exit("bench-setup: the receiver in %s did not start" % lanns)
        self.recv[addr] = p

    def gw_status(self, gw):
        st, j = self.call("GET", "/v1/gateways/" + gw, None, self.a["oper"])
        s = (j or {}).get("status") or {}
        return bool(s.get("connected")), int(s.get("handshakes") or 0)

    def configure(self, stb, addr, gaddr):
        return self.call("POST", "/v1/sessions", {
            "appliance": stb, "gateway_addr": gaddr, "local_addr": addr, "lease": 60,
            "streams": [{"type": "udp", "local_port": 5004,
                         "server_addr": self.a["media"], "server_port": 6000}]}, self.a["portal"])

    def close(self, sid):
        self.call("POST", "/v1/sessions/close", {"session": sid}, self.a["portal"])

    def run(self, tag, stb, gw, addr, gaddr):
        """One measured configure; returns (reply_ms, first_ms, handshakes)."""
        _, h0 = self.gw_status(gw)
        p = self.recv[addr]
        t0 = time.monotonic()
        st, j = self.configure(stb, addr, gaddr)
        t_reply = time.monotonic()
        if st != 201:
            print("# %s: configure answered %s %s" % (tag, st, j), flush=True)
            return None
        s = j["streams"][0]
        dst = (s["global_addr"], s["global_port"])
        first = None
        deadline = t_reply + 10
        while first is None and time.monotonic() < deadline:
            self.media.sendto(tag.encode(), dst)
            r, _, _ = select.select([p.stdout], [], [], 0.001)
            while r:
                w = p.stdout.readline().split()
                if len(w) == 2 and w[0] == tag:
                    first = float(w[1])
                r, _, _ = select.select([p.stdout], [], [], 0)
                if first is not None:
                    break
        self.close(j["session"])
        _, h1 = self.gw_status(gw)
        if first is None:
            print("# %s: no datagram reached the appliance within 10 s" % tag, flush=True)
            return None
        return (t_reply - t0) * 1e3, (first - t0) * 1e3, h1 - h0

    def wait_down(self, gw):
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if not self.gw_status(gw)[0]:
                return True
            time.sleep(0.2)
        return False


def main():
    # KEY=VALUE arguments: cs ca media portal oper (token files), rounds,
    # delays, netem (command prefix to set a delay: "... DELAY"),
    # gws: "STRATEGY:GW:STB:LANNS:ADDR:GADDR" comma-separated
    a = dict(x.split("=", 1) for x in sys.argv[1:])
    for k in ("portal", "oper"):
        with open(a[k]) as f:
            a[k] = f.read().strip()
    b = Bench(a)
    gws = [g.split(":") for g in a["gws"].split(",")]
    for strat, gw, stb, lanns, addr, gaddr in gws:
        st, j = b.call("POST", "/v1/appliances", {"appliance": stb, "gateway": gw,
                                                  "gateway_addr": gaddr}, a["portal"])
        if st != 200:
            sys.exit("bench-setup: register %s at %s: %s %s" % (stb, gw, st, j))
        b.receiver(lanns, addr)
    delays = [int(d) for d in a["delays"].split()]
    for rnd in range(1, int(a["rounds"]) + 1):
        for d in delays:
            # D/2 each way on every gateway's WAN link: RTT + D
            for cmd in filter(None, a["netem"].split(",")):
                subprocess.run(cmd.split() + ["%gms" % (d / 2)], check=True)
            for mode in ("warm", "cold"):
                for strat, gw, stb, lanns, addr, gaddr in gws:
                    tag = "%s-%s-%d-%d" % (strat, mode, d, rnd)
                    if mode == "warm":
                        r = b.run(tag + "-w", stb, gw, addr, gaddr)	# brings the link up
                    elif not b.wait_down(gw):
                        print("# %s: the link did not go down" % tag, flush=True)
                        continue
                    r = b.run(tag, stb, gw, addr, gaddr)
                    if r:
                        print("B6 %s %s %d reply_ms %.2f first_ms %.2f handshakes %d round %d"
                              % (strat, mode, d, r[0], r[1], r[2], rnd + int(a.get("round0", 0))),
                              flush=True)
    for p in b.recv.values():
        p.kill()


if __name__ == "__main__":
    main()
