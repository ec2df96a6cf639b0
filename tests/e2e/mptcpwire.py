#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The MPTCP data stream as it crossed a link, and one known kernel fault.

  mptcpwire.py --port P --sent SHA --received SHA FILE.pcap

Reassembles the client->server MPTCP data stream from a capture of
tunnelled (or plain) segments to port P: every payload is placed at its
data sequence number, from the DSS mapping of its subflow (subflow
sequence relative to the subflow's SYN). Gaps or bytes that differ between
two copies make the stream unusable.

When the receiver's SHA-256 differs from the sender's, but the stream on
the wire equals what was sent, the receiving host changed it after the
link. One such receiver fault of Linux 6.18 is known (net/mptcp/: seen in
tests/e2e.t through the 1% loss middlebox, with XDP and TC decap alike): a
passive MP_JOIN subflow that takes its first DSS mapping (DSN D, length L)
before the join is finished from the msk release callback
(__mptcp_flush_join_list -> __mptcp_finish_join -> mptcp_subflow_joined)
gets its map_seq overwritten with msk->ack_seq, A, while the mapping stays
valid: the rest of it is then delivered at DSN A + offset. What the msk
already had (below P) is dropped as duplicate, so the receiver holds
  W[:P] + W[P + D - A : D + L] + W[A + L:]
for some A (a data sequence the other subflows had reached) and P.
explain() tries every such A and P from the packet boundaries of the
capture and says which one gives the receiver's SHA-256 exactly; nothing
else is excused.
"""
import argparse
import hashlib
import json
import struct
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapcheck import read_pcap, l3_offset, ETH_P_IP, ETH_P_IPV6, IPV6_EXT, IPV6_FRAG  # noqa: E402

MPTCP_OPT = 30
MAX_TRIES = 4000


def segments(fn, port):
    """Client->server segments: (subflow key, flags, relative-free seq, options, payload)."""
    for linktype, caplen, wirelen, pkt in read_pcap(fn):
        et, off = l3_offset(linktype, pkt)
        if et == ETH_P_IP:
            ihl = (pkt[off] & 0xf) * 4
            tot = struct.unpack('!H', pkt[off + 2:off + 4])[0]
            proto, src, dst = pkt[off + 9], pkt[off + 12:off + 16], pkt[off + 16:off + 20]
            l4 = pkt[off + ihl:off + tot]
        elif et == ETH_P_IPV6:
            plen = struct.unpack('!H', pkt[off + 4:off + 6])[0]
            proto, src, dst = pkt[off + 6], pkt[off + 8:off + 24], pkt[off + 24:off + 40]
            p, end = off + 40, off + 40 + plen
            while proto in IPV6_EXT or proto == IPV6_FRAG:
                proto, p = pkt[p], p + (8 if proto == IPV6_FRAG else (pkt[p + 1] + 1) * 8)
            l4 = pkt[p:end]
        else:
            continue
        if proto not in (6, 17) or len(l4) < 20 or caplen < wirelen:
            continue
        sp, dp = struct.unpack('!HH', l4[:4])
        if dp != port:
            continue
        if proto == 17:  # tiu's wire format: seq and ack moved behind doff/flags/window
            doff, flags, seq = (l4[8] >> 4) * 4, l4[9], struct.unpack('!I', l4[12:16])[0]
        else:
            doff, flags, seq = (l4[12] >> 4) * 4, l4[13], struct.unpack('!I', l4[4:8])[0]
        yield (src, sp, dst, dp), flags, seq, l4[20:doff], l4[doff:]


def mptcp_options(opts):
    """(MP_JOIN seen, DSS mapping (dsn, ssn, data_len) or None)."""
    i, join, mapping = 0, False, None
    while i + 1 < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        ln = opts[i + 1]
        if ln < 2:
            break
        if kind == MPTCP_OPT and ln >= 3:
            sub = opts[i + 2] >> 4
            if sub == 1:
                join = True
            elif sub == 2 and ln >= 4:
                fl, j = opts[i + 3], i + 4
                if fl & 1:
                    j += 8 if fl & 2 else 4
                if fl & 4:
                    n = 8 if fl & 8 else 4
                    dsn = int.from_bytes(opts[j:j + n], 'big')
                    ssn, dlen = struct.unpack('!IH', opts[j + n:j + n + 6])
                    mapping = (dsn, ssn, dlen)
        i += ln
    return join, mapping


def stream(fn, port):
    """(stream bytes, join subflows' first mappings [(key, D, L)], packet
    ends of every subflow {key: [DSN end...]}) or (None, reason, None).
    DSNs are relative to the first byte of the stream."""
    isn, joins, last, first_map = {}, set(), {}, {}
    pieces, ends = [], {}
    for key, flags, seq, opts, pay in segments(fn, port):
        join, m = mptcp_options(opts)
        if flags & 2:
            isn[key] = seq
            if join:
                joins.add(key)
            continue
        if m:
            last[key] = m
            first_map.setdefault(key, m)
        if not pay:
            continue
        if key not in isn or key not in last:
            return None, 'a payload without SYN or DSS mapping on its subflow', None
        dsn, ssn, dlen = last[key]
        rel = (seq - isn[key]) & 0xffffffff
        off = (rel - ssn) & 0xffffffff
        if off + len(pay) > dlen:
            return None, 'a payload outside its DSS mapping', None
        pieces.append((dsn + off, pay))
        ends.setdefault(key, []).append(dsn + off + len(pay))
    if not pieces:
        return None, 'no MPTCP payload', None
    base = min(p[0] for p in pieces)
    pieces.sort(key=lambda p: p[0])
    out = bytearray()
    for start, pay in pieces:
        start -= base
        if start > len(out):
            return None, 'a gap at data sequence %d' % len(out), None
        have = len(out) - start
        if out[start:start + min(have, len(pay))] != pay[:have]:
            return None, 'two copies of data sequence %d differ' % start, None
        out += pay[have:] if have < len(pay) else b''
    jm = [(k, first_map[k][0] - base, first_map[k][2]) for k in joins if k in first_map]
    return bytes(out), jm, {k: [e - base for e in v] for k, v in ends.items()}


def explain(fn, port, sent_sha, received_sha):
    """{'wire': 'intact'|'different'|reason, 'rebase': (key, D, L, A, P) or None}"""
    w, joins, ends = stream(fn, port)
    if w is None:
        return {'wire': joins, 'rebase': None}
    if hashlib.sha256(w).hexdigest() != sent_sha:
        return {'wire': 'different', 'rebase': None}
    tries = 0
    for key, d, ln in joins:
        other = sorted({0} | {e for k, v in ends.items() if k != key for e in v})
        for a in (e for e in other if e < d):
            for p in (e for e in other if a <= e < a + ln):
                tries += 1
                if tries > MAX_TRIES:
                    return {'wire': 'intact', 'rebase': None}
                h = hashlib.sha256(w[:p])
                h.update(w[p + d - a:d + ln])
                h.update(w[a + ln:])
                if h.hexdigest() == received_sha:
                    src, sp = key[0], key[1]
                    return {'wire': 'intact', 'rebase': ('%s:%d' % (fmt_addr(src), sp), d, ln, a, p)}
    return {'wire': 'intact', 'rebase': None}


def fmt_addr(b):
    if len(b) == 4:
        return '.'.join(str(x) for x in b)
    import ipaddress
    return '[%s]' % ipaddress.IPv6Address(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--sent', required=True)
    ap.add_argument('--received', required=True)
    ap.add_argument('pcap')
    a = ap.parse_args()
    print(json.dumps(explain(a.pcap, a.port, a.sent, a.received)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
