#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The two upstreams of rgm-portal, faked for tests/portal_test.sh:
#   portal_fake.py confserver|mediaserver PORTFILE LOGFILE TOKEN
# Binds 127.0.0.1 on a free port (written to PORTFILE once listening),
# answers as contracts A and B say, and appends every request it was asked
# as one JSON line {"method","path","auth","body"} to LOGFILE.
# POST /_mode {"KEY":"VALUE"} changes how it answers (not logged):
#   confserver: sessions = ok | unknown-appliance | bad-state | gateway-refused
#   mediaserver: start = ok | fail
# FAKE_GLOBAL_ADDR=A makes the confserver fake map every stream to A with
# global port = local port (a gateway that is no NAT), for a run against the
# real media server and appliance.
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

role, portfile, logfile, token = sys.argv[1:5]
mode = {"sessions": "ok", "start": "ok"}
counter = [0]

EVIL = "<script>alert('x')</script> & \"friends\""
CATALOG = {"titles": [
    {"id": "testcard", "name": "Test card and tone", "duration_ms": 6000,
     "streams": [
         {"kind": "video", "payload_type": 33, "bytes": 188000, "packets": 143,
          "sha256": "a" * 64},
         {"kind": "audio", "payload_type": 33, "bytes": 37600, "packets": 29,
          "sha256": "b" * 64}]},
    {"id": "evil", "name": EVIL, "duration_ms": 1000,
     "streams": [{"kind": "video", "payload_type": 33, "bytes": 1316, "packets": 1,
                  "sha256": "c" * 64}]},
]}


def error(status, code, message):
    return status, {"error": {"status": status, "code": code, "message": message}}


def confserver(method, path, body):
    if method == "POST" and path == "/v1/appliances":
        return 200, {"appliance": body["appliance"], "gateway": "gw-a",
                     "registered_at": 1, "last_contact": 2}
    if method == "POST" and path == "/v1/sessions":
        if mode["sessions"] == "unknown-appliance":
            return error(404, "unknown-appliance",
                         "appliance %s is not registered" % body["appliance"])
        if mode["sessions"] == "gateway-refused":
            return error(502, "gateway-refused",
                         "gateway gw-a refused: no mapping for you, on purpose")
        counter[0] += 1
        sid = "s-%032x" % counter[0]
        streams = []
        ident = os.environ.get("FAKE_GLOBAL_ADDR")
        for i, s in enumerate(body["streams"]):
            s = dict(s)
            port = s["local_port"] if ident else 40000 + 2 * i
            s.update(global_addr=ident or "198.51.100.1", global_port=port,
                     rtcp_port=port + 1)
            streams.append(s)
        state = "pending" if mode["sessions"] == "bad-state" else "active"
        return 201, {"session": sid, "state": state, "appliance": body["appliance"],
                     "gateway": "gw-a", "lease": body["lease"], "created_at": 1,
                     "updated_at": 1, "streams": streams,
                     "ports": [s["global_port"] for s in streams]}
    if method == "POST" and path == "/v1/sessions/close":
        return 200, {"session": body["session"], "state": "closed"}
    return error(404, "not-found", "no route")


def mediaserver(method, path, body):
    if method == "GET" and path == "/v1/titles":
        return 200, CATALOG
    if method == "POST" and path == "/v1/streams":
        title = [t for t in CATALOG["titles"] if t["id"] == body["title"]]
        if not title:
            return error(404, "unknown-title", "no such title")
        counter[0] += 1
        streams = [dict(s, type="rtp", rtcp=True, server_port=6000 + 2 * i)
                   for i, s in enumerate(title[0]["streams"])]
        return 201, {"stream": "m-%04x" % counter[0], "title": body["title"],
                     "server_addr": "127.0.0.1", "streams": streams}
    if method == "POST" and path.endswith("/start"):
        if mode["start"] == "fail":
            return error(500, "internal", "start failed on purpose")
        return 200, {"state": "playing"}
    if method == "POST" and path.endswith("/stop"):
        return 200, {"state": "stopped"}
    return error(404, "not-found", "no route")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def handle_one(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        body = json.loads(raw) if raw else None
        if self.path == "/_mode":
            mode.update(body)
            status, reply = 200, mode
        else:
            with open(logfile, "a") as f:
                f.write(json.dumps({"method": method, "path": self.path,
                                    "auth": self.headers.get("Authorization"),
                                    "type": self.headers.get("Content-Type"),
                                    "body": body}) + "\n")
            if self.headers.get("Authorization") != "Bearer " + token:
                status, reply = error(401, "unauthorized", "bad token")
            else:
                fn = confserver if role == "confserver" else mediaserver
                status, reply = fn(method, self.path, body)
        out = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_GET(self):
        self.handle_one("GET")

    def do_POST(self):
        self.handle_one("POST")


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tmp = portfile + ".tmp"
with open(tmp, "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(tmp, portfile)
srv.serve_forever()
