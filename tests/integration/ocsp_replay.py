#!/usr/bin/env python3
# tests/integration/ocsp_replay.py PORTFILE RESPONSE: an HTTP server on
# 127.0.0.1 (an ephemeral port, written to PORTFILE once it listens) that
# answers every POST with the bytes of RESPONSE as application/ocsp-response,
# whatever was asked: a replayed or misdirected OCSP answer, for the checks
# a client must make (RFC 6960 §3.2).  Runs until killed.
import http.server
import os
import sys


class Replay(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        with open(sys.argv[2], "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Replay)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(tmp, sys.argv[1])
srv.serve_forever()
