#!/usr/bin/env python3
"""tests/integration/conn_hold.py: holds idle TCP connections to a daemon.

usage: conn_hold.py PORT COUNT FIRST_ADDR NADDRS WANT_CLOSED

Opens COUNT TCP connections to 127.0.0.1:PORT one after another, from the
loopback source addresses FIRST_ADDR, FIRST_ADDR+1, ... (NADDRS of them,
each taking COUNT/NADDRS connections in a row), and sends nothing on them.
Then it waits until the server has closed at least WANT_CLOSED of them (a
FIN or a reset), or until its bound of 60 s has passed, and prints one line

    opened O closed C first_closed 0|1 last_open 0|1

(O: connections the kernel completed, C: closed by the
server, first_closed: the first one opened was closed, last_open: the
last one opened is still open).  It keeps the others open until its
standard input reaches end of file (or 600 s pass), then exits 0.

A test reads that line from a FIFO (no clock involved), asks other
clients its questions while the connections are held, and closes the
holder's standard input.
"""
import ipaddress
import selectors
import socket
import sys
import time

WAIT_BOUND = 60.0   # seconds: the longest wait for the server's closes
HOLD_BOUND = 600.0  # seconds: the longest hold when nobody ends it


def main():
    if len(sys.argv) != 6:
        sys.stderr.write(__doc__)
        return 2
    port, count = int(sys.argv[1]), int(sys.argv[2])
    first, naddrs = ipaddress.IPv4Address(sys.argv[3]), int(sys.argv[4])
    want = int(sys.argv[5])
    per = max(1, count // naddrs)
    socks = []
    sel = selectors.DefaultSelector()
    for i in range(count):
        src = str(first + min(i // per, naddrs - 1))
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(10)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, len(socks))
        socks.append(s)
    closed = set()
    deadline = time.monotonic() + WAIT_BOUND
    while len(closed) < want and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            try:
                data = key.fileobj.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
                closed.add(key.data)
    sys.stdout.write("opened %d closed %d first_closed %d last_open %d\n" % (
        len(socks), len(closed), 1 if 0 in closed else 0,
        1 if socks and (len(socks) - 1) not in closed else 0))
    sys.stdout.flush()
    # hold until the test is done with us
    sel.register(sys.stdin, selectors.EVENT_READ, -1)
    end = time.monotonic() + HOLD_BOUND
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=max(0.0, end - time.monotonic())):
            if key.data == -1:
                if not sys.stdin.buffer.read1(4096):
                    return 0
            else:
                try:
                    if not key.fileobj.recv(4096):
                        sel.unregister(key.fileobj)
                except BlockingIOError:
                    pass
                except OSError:
                    sel.unregister(key.fileobj)
    return 0


if __name__ == "__main__":
    sys.exit(main())
