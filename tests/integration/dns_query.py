#!/usr/bin/env python3
"""tests/integration/dns_query.py: asks ADDR PORT for the TXT records of NAME over UDP
(RFC 1035 4.1) and prints each, one a line; exit 0 on any answer (NXDOMAIN too), 1 on none."""
import os
import socket
import struct
import sys


def main():
    addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3].rstrip(".")
    qid = struct.unpack(">H", os.urandom(2))[0]
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", 16, 1)        # TXT, IN
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(q, (addr, port))
    try:
        r, _ = s.recvfrom(4096)
    except OSError:
        return 1
    if len(r) < 12 or struct.unpack(">H", r[:2])[0] != qid:
        return 1
    an = struct.unpack(">H", r[6:8])[0]
    off = len(q)                                    # the question comes back as sent

    def skip_name(o):
        while r[o] != 0:
            if r[o] & 0xC0 == 0xC0:
                return o + 2
            o += r[o] + 1
        return o + 1
    for _ in range(an):
        off = skip_name(off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", r[off:off + 10])
        off += 10
        rd = r[off:off + rdlen]
        off += rdlen
        if rtype != 16:
            continue
        txt, k = b"", 0
        while k < len(rd):
            txt += rd[k + 1:k + 1 + rd[k]]
            k += 1 + rd[k]
        print(txt.decode(errors="replace"))
    return 0


sys.exit(main())
