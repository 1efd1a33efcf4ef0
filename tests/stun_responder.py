#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# A STUN Binding responder for tests/upnp_e2e_test.sh (RFC 5389 messages,
# with RFC 3489's CHANGE-REQUEST honoured): it answers from the address
# and port the request asks for, so the gateway's "full-cone" check (can
# an unsolicited sender reach its ports?) is a real one, and reports the
# source address it saw, nothing invented.
#
#   stun_responder.py ADDR1 ADDR2 PORT1 PORT2 [--filtered]
#
# Requests are taken on ADDR1:PORT1; the replies to "change IP" / "change
# port" leave from ADDR2 / PORT2. --filtered answers only the requests
# that ask for no change, as if a NAT or firewall in front of the client
# dropped the others. Runs until killed.
import select
import socket
import struct
import sys

MAGIC = 0x2112A442


def attr(kind, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * pad


def reply(req, peer):
    """The Binding success response to req from peer, with the change
    flags it asked for; None for anything that is not a Binding Request."""
    if len(req) < 20:
        return None, 0
    kind, length, magic = struct.unpack("!HHI", req[:8])
    if kind != 0x0001 or magic != MAGIC or 20 + length > len(req):
        return None, 0
    tid = req[8:20]
    flags, off = 0, 20
    while off + 4 <= 20 + length:
        t, n = struct.unpack("!HH", req[off:off + 4])
        if off + 4 + n > 20 + length:
            return None, 0
        if t == 0x0003 and n == 4:		# CHANGE-REQUEST
            flags = struct.unpack("!I", req[off + 4:off + 8])[0]
        off += 4 + ((n + 3) & ~3)
    ip = socket.inet_aton(peer[0])
    port = peer[1]
    body = attr(0x0001, struct.pack("!BBH", 0, 1, port) + ip)		# MAPPED-ADDRESS
    xport = port ^ (MAGIC >> 16)
    xip = struct.pack("!I", struct.unpack("!I", ip)[0] ^ MAGIC)
    body += attr(0x0020, struct.pack("!BBH", 0, 1, xport) + xip)	# XOR-MAPPED-ADDRESS
    return struct.pack("!HHI", 0x0101, len(body), MAGIC) + tid + body, flags


def main():
    a1, a2, p1, p2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    filtered = sys.argv[5:] == ["--filtered"]
    socks = {}
    for ci in (0, 1):
        for cp in (0, 1):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((a2 if ci else a1, p2 if cp else p1))
            socks[(ci, cp)] = s
    listen = socks[(0, 0)]
    print("stun: listening on %s:%d" % (a1, p1), flush=True)
    while True:
        select.select([listen], [], [])
        data, peer = listen.recvfrom(2048)
        out, flags = reply(data, peer)
        if out is None or (filtered and flags & 0x6):
            continue
        via = socks[(1 if flags & 0x4 else 0, 1 if flags & 0x2 else 0)]
        via.sendto(out, peer)
        print("stun: %s:%d change-ip=%d change-port=%d" %
              (peer[0], peer[1], bool(flags & 4), bool(flags & 2)), flush=True)


if __name__ == "__main__":
    main()
