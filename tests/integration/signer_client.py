#!/usr/bin/env python3
"""tests/integration/signer_client.py: a ca-signer client written apart from govpki

It encodes the protocol of docs/signer.md by hand (its own DER encoder and
decoder, no govpki code), so that the tests speak to the signer as a
compromised RA would: any request, any bytes.

  signer_client.py SOCKET TYPE [ARGS...]   send one request, print the reply:
      health NONCE | issue-approved ID | issue-auto ID CHANNEL ORDER |
      issue-batch CA PROFILE DAYS CSRFILE... |
      sign-crl CA DELTA | sign-ocsp CA FILE... | presign CA FILE... |
      seal-make MAKER FILE... | debug-syscall N
    prints "status N", "message TEXT" and "item K LEN" lines; items are
    written to $SIGNER_OUT_PREFIX.K when that is set.
  signer_client.py SOCKET raw HEX          send these bytes, print the reply
    (or "closed" when the signer closes the connection)
  signer_client.py --corpus DIR            write one valid message per type
"""
import os
import socket
import struct
import sys

MAGIC = b"GPS\x01"
TYPES = {"health": 1, "issue-approved": 2, "issue-batch": 3, "sign-crl": 4,
         "sign-ocsp": 5, "presign": 6, "seal-make": 7, "issue-auto": 8, "debug-syscall": 0x7f000001}
REPLY = 0x80000000


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def integer(v):
    n = (v.bit_length() + 8) // 8 if v >= 0 else ((-v - 1).bit_length() + 8) // 8
    return tlv(0x02, v.to_bytes(max(n, 1), "big", signed=True))


def utf8(s):
    return tlv(0x0c, s.encode())


def octets(b):
    return tlv(0x04, b)


def seq(*parts):
    return tlv(0x30, b"".join(parts))


def body_of(kind, args):
    if kind in ("health", "issue-approved", "debug-syscall"):
        return seq(integer(int(args[0])))
    if kind == "issue-auto":
        return seq(integer(int(args[0])), utf8(args[1]), integer(int(args[2])))
    if kind == "issue-batch":
        ca, profile, days = args[0], args[1], int(args[2])
        return seq(integer(days), utf8(ca), utf8(profile),
                   seq(*[octets(open(f, "rb").read()) for f in args[3:]]))
    if kind == "sign-crl":
        return seq(integer(int(args[1])), utf8(args[0]))
    if kind in ("sign-ocsp", "presign", "seal-make"):
        return seq(utf8(args[0]), seq(*[octets(open(f, "rb").read()) for f in args[1:]]))
    raise SystemExit("unknown request type " + kind)


def frame(t, body):
    return MAGIC + struct.pack(">II", t, len(body)) + body


def read_tlv(b, i):
    tag = b[i]
    n = b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, b[i:i + n], i + n


def parse_reply(body):
    tag, inner, _ = read_tlv(body, 0)
    assert tag == 0x30
    _, st, i = read_tlv(inner, 0)
    _, msg, i = read_tlv(inner, i)
    _, items, i = read_tlv(inner, i)
    out, j = [], 0
    while j < len(items):
        _, it, j = read_tlv(items, j)
        out.append(it)
    return int.from_bytes(st, "big", signed=True), msg.decode(), out


def recv_all(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def exchange(path, data, end=False):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    try:
        s.sendall(data)
        if end:
            # raw bytes are all there is: a truncated message ends here
            s.shutdown(socket.SHUT_WR)
        hdr = recv_all(s, 12)
    except (ConnectionResetError, BrokenPipeError):
        # the signer closed it without reading what was sent
        hdr = None
    if hdr is None:
        print("closed")
        return 3
    if hdr[:4] != MAGIC:
        print("bad reply header")
        return 4
    t, n = struct.unpack(">II", hdr[4:])
    body = recv_all(s, n)
    s.close()
    st, msg, items = parse_reply(body)
    print("type 0x%08x" % t)
    print("status %d" % st)
    print("message " + msg)
    pre = os.environ.get("SIGNER_OUT_PREFIX")
    for k, it in enumerate(items):
        print("item %d %d" % (k, len(it)))
        if pre:
            with open("%s.%d" % (pre, k), "wb") as f:
                f.write(it)
    return 0 if st == 0 else 1


def main(argv):
    if len(argv) == 3 and argv[1] == "--corpus":
        d = argv[2]
        samples = {
            "health": seq(integer(7)),
            "issue-approved": seq(integer(42)),
            "issue-batch": seq(integer(30), utf8("issuing"), utf8("tls-server"),
                               seq(octets(b"\x30\x03\x02\x01\x00"))),
            "sign-crl": seq(integer(1), utf8("issuing")),
            "sign-ocsp": seq(utf8("issuing"), seq(octets(b"\x30\x00"), octets(b""))),
            "presign": seq(utf8("issuing"), seq(octets(b"\x30\x00"))),
            "seal-make": seq(utf8("maker"), seq(octets(b"document"))),
            "issue-auto": seq(integer(42), utf8("acme"), integer(7)),
        }
        for k, b in samples.items():
            with open(os.path.join(d, "valid-%s.bin" % k), "wb") as f:
                f.write(frame(TYPES[k], b))
        reply = seq(integer(-8), utf8("refused"), seq(octets(b"x")))
        with open(os.path.join(d, "valid-reply.bin"), "wb") as f:
            f.write(frame(REPLY | 2, reply))
        broken = {
            "truncated-header": frame(1, seq(integer(7)))[:7],
            "truncated-body": frame(1, seq(integer(7)))[:-1],
            "wrong-version": b"GPS\x02" + frame(1, seq(integer(7)))[4:],
            "wrong-magic": b"XPS\x01" + frame(1, seq(integer(7)))[4:],
            "oversized": MAGIC + struct.pack(">II", 1, 0x7fffffff),
            "unknown-type": frame(99, seq(integer(7))),
            "trailing": frame(1, seq(integer(7)) + b"\x00"),
            "ber-length": frame(1, b"\x30\x81\x03\x02\x01\x07"),
            "wrong-template": frame(4, seq(integer(7))),
            "zero-id": frame(2, seq(integer(0))),
            "nul-name": frame(4, seq(integer(0), utf8("a\x00b"))),
            "bad-utf8": frame(4, seq(integer(0), tlv(0x0c, b"\xff\xfe"))),
            "no-items": frame(5, seq(utf8("issuing"), seq())),
            "auto-channel": frame(8, seq(integer(42), utf8("ftp"), integer(0))),
            "auto-order": frame(8, seq(integer(42), utf8("est"), integer(-1))),
        }
        for k, b in broken.items():
            with open(os.path.join(d, "broken-%s.bin" % k), "wb") as f:
                f.write(b)
        return 0
    if len(argv) < 3:
        print(__doc__)
        return 2
    path, kind = argv[1], argv[2]
    if kind == "raw":
        return exchange(path, bytes.fromhex(argv[3]), end=True)
    return exchange(path, frame(TYPES[kind], body_of(kind, argv[3:])))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
