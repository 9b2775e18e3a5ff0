#!/usr/bin/env python3
"""dnsq.py SERVER:PORT NAME [TYPE] -- one DNS query over UDP (standard library only), for checking the
test peers by hand: prints the response code and the answer records (A, AAAA, MX, CNAME), and the time.
   python3 tests/peers/dnsq.py 127.0.0.1:5353 alpha.test MX"""
import random, socket, struct, sys, time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def name_at(msg, off):
    labels, jumped, end = [], False, off
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off, jumped = ((n & 0x3F) << 8) | msg[off + 1], True
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels) + ".", (end if jumped else off)


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    name, qtype = sys.argv[2], sys.argv[3].upper() if len(sys.argv) > 3 else "A"
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    q += struct.pack(">HH", TYPES[qtype], 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    t = time.monotonic()
    s.sendto(q, (host, int(port)))
    msg = s.recv(65535)
    ms = (time.monotonic() - t) * 1000
    _, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    print(f"{RCODES.get(flags & 15, flags & 15)} answers={an} ({ms:.0f} ms)")
    off = 12
    for _ in range(qd):
        _, off = name_at(msg, off)
        off += 4
    for _ in range(an):
        rname, off = name_at(msg, off)
        rtype, _, ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rd = msg[off:off + rdlen]
        if rtype == 1:
            val = socket.inet_ntop(socket.AF_INET, rd)
        elif rtype == 28:
            val = socket.inet_ntop(socket.AF_INET6, rd)
        elif rtype == 15:
            val = f"{struct.unpack('>H', rd[:2])[0]} {name_at(msg, off + 2)[0]}"
        elif rtype in (2, 5):
            val = name_at(msg, off)[0]
        else:
            val = rd.hex()
        print(f"{rname} {ttl} {rtype} {val}")
        off += rdlen


main()
