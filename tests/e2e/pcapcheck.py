#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Validate a capture packet by packet, independently of tiu's code.

  pcapcheck.py --port P [--expect udp|tcp] FILE...

For every IPv4/IPv6 packet (Ethernet, 802.1Q/802.1ad tags parsed; IPv4
options and IPv6 extension headers parsed) to or from port P:
  - IPv4: the header checksum must be valid;
  - UDP (a tunnelled segment): the UDP length must equal the IP payload
    length, the checksum must not be 0 and must be valid over the
    pseudo-header; the TCP segment it carries (docs/DESIGN.md "Wire format",
    undone here from scratch) must have a valid TCP checksum and an
    acknowledgment that does not run ahead of what the peer sent in this
    capture (a checksum written into the acknowledgment shows up there);
  - TCP: with --expect udp, any TCP packet on port P is a failure (it
    crossed the middlebox untunnelled); with --expect tcp, its checksum
    must be valid.
Checksums are recomputed from the bytes: the one's complement sum of the
16-bit words is the big-endian integer of the bytes modulo 0xffff.

Prints one JSON object: counts per file and in total (UDP packets and their
L3 bytes also split by direction: to_port / from_port), up to 8 examples of
failures, and "ok". Exit status 0 when ok, 1 otherwise.
"""
import argparse
import json
import struct
import sys

ETH_P_IP, ETH_P_IPV6, ETH_P_8021Q, ETH_P_8021AD = 0x0800, 0x86DD, 0x8100, 0x88A8
LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL = 1, 113
IPV6_EXT = (0, 43, 60)  # hop-by-hop, routing, destination options
IPV6_FRAG = 44


def csum_ok(data):
    """True when the one's complement sum of data is 0xffff."""
    if len(data) % 2:
        data += b'\0'
    return int.from_bytes(data, 'big') % 0xffff == 0 and any(data)


def pseudo(v6, src, dst, proto, l4len):
    if v6:
        return src + dst + struct.pack('!I3xB', l4len, proto)
    return src + dst + struct.pack('!xBH', proto, l4len)


def read_pcap(fn):
    with open(fn, 'rb') as f:
        gh = f.read(24)
        if len(gh) < 24:
            return
        magic = struct.unpack('<I', gh[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            end = '<'
        elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
            end = '>'
        else:
            raise ValueError('%s: not a pcap file (pcapng? use tcpdump -w)' % fn)
        linktype = struct.unpack(end + 'I', gh[20:24])[0] & 0xffff
        while True:
            ph = f.read(16)
            if len(ph) < 16:
                return
            _, _, caplen, wirelen = struct.unpack(end + 'IIII', ph)
            yield linktype, caplen, wirelen, f.read(caplen)


def l3_offset(linktype, pkt):
    """(ethertype, offset of the IP header) or (None, None)."""
    if linktype == LINKTYPE_ETHERNET:
        off, et = 14, struct.unpack('!H', pkt[12:14])[0]
    elif linktype == LINKTYPE_LINUX_SLL:
        off, et = 16, struct.unpack('!H', pkt[14:16])[0]
    else:
        return None, None
    while et in (ETH_P_8021Q, ETH_P_8021AD):
        et = struct.unpack('!H', pkt[off + 2:off + 4])[0]
        off += 4
    return et, off


class Checker:
    def __init__(self, port, expect):
        self.port = port
        self.expect = expect
        self.total = self.new_counts()
        self.examples = []
        self.peer_end = {}  # (src, sport, dst, dport) -> highest seq end seen

    @staticmethod
    def new_counts():
        return dict(packets=0, udp=0, udp_ok=0, udp_bad=0, udp_zero=0, udp_len_bad=0,
                    inner_tcp_bad=0, ack_ahead=0, tcp=0, tcp_ok=0, tcp_bad=0,
                    ipv4_hdr_bad=0, truncated=0, fragments=0, bytes=0,
                    udp_to_port=0, udp_from_port=0, l3_to_port=0, l3_from_port=0)

    def fail(self, c, key, fn, n, what):
        c[key] += 1
        if len(self.examples) < 8:
            self.examples.append('%s #%d: %s' % (fn, n, what))

    def check_file(self, fn):
        c = self.new_counts()
        for n, (linktype, caplen, wirelen, pkt) in enumerate(read_pcap(fn), 1):
            et, off = l3_offset(linktype, pkt)
            if et not in (ETH_P_IP, ETH_P_IPV6):
                continue
            if et == ETH_P_IP:
                v6 = False
                ihl = (pkt[off] & 0xf) * 4
                tot = struct.unpack('!H', pkt[off + 2:off + 4])[0]
                frag = struct.unpack('!H', pkt[off + 6:off + 8])[0]
                proto = pkt[off + 9]
                src, dst = pkt[off + 12:off + 16], pkt[off + 16:off + 20]
                l4 = pkt[off + ihl:off + tot]
                iphdr = pkt[off:off + ihl]
                isfrag = bool(frag & 0x3fff)
                l3len = tot
            else:
                v6, iphdr = True, None
                plen = struct.unpack('!H', pkt[off + 4:off + 6])[0]
                proto = pkt[off + 6]
                src, dst = pkt[off + 8:off + 24], pkt[off + 24:off + 40]
                p, end = off + 40, off + 40 + plen
                l3len = 40 + plen
                isfrag = False
                while proto in IPV6_EXT or proto == IPV6_FRAG:
                    if proto == IPV6_FRAG:
                        isfrag = True
                        proto, hlen = pkt[p], 8
                    else:
                        proto, hlen = pkt[p], (pkt[p + 1] + 1) * 8
                    p += hlen
                l4 = pkt[p:end]
            if proto not in (6, 17) or len(l4) < 4:
                continue
            sp, dp = struct.unpack('!HH', l4[:4])
            if self.port not in (sp, dp):
                continue
            c['packets'] += 1
            if caplen < wirelen:
                self.fail(c, 'truncated', fn, n, 'capture truncated (snaplen)')
                continue
            if iphdr is not None and not csum_ok(iphdr):
                self.fail(c, 'ipv4_hdr_bad', fn, n, 'IPv4 header checksum')
            if isfrag:
                c['fragments'] += 1
                continue
            c['bytes'] += len(l4)
            if proto == 17:
                d = 'to_port' if dp == self.port else 'from_port'
                c['udp_' + d] += 1
                c['l3_' + d] += l3len
                self.check_udp(c, fn, n, v6, src, dst, l4)
            else:
                self.check_tcp(c, fn, n, v6, src, dst, l4)
        return c

    def check_udp(self, c, fn, n, v6, src, dst, l4):
        c['udp'] += 1
        if len(l4) < 20:
            self.fail(c, 'udp_len_bad', fn, n, 'UDP too short for a tunnelled TCP header')
            return
        sp, dp, ulen, ucs = struct.unpack('!HHHH', l4[:8])
        if ulen != len(l4):
            self.fail(c, 'udp_len_bad', fn, n, 'UDP length %d, IP payload %d' % (ulen, len(l4)))
        if ucs == 0:
            self.fail(c, 'udp_zero', fn, n, 'UDP checksum 0')
        elif csum_ok(pseudo(v6, src, dst, 17, len(l4)) + l4):
            c['udp_ok'] += 1
        else:
            self.fail(c, 'udp_bad', fn, n, 'UDP checksum 0x%04x invalid (len %d)' % (ucs, len(l4)))
        # Undo the wire format: UDP [ports][len|csum][doff/flags/win][seq][ack]
        # -> TCP [ports][seq][ack][doff/flags/win][csum|urg]. The TCP checksum
        # is recomputed from scratch, not derived from the UDP one.
        dfw, seq, ack = struct.unpack('!III', l4[8:20])
        tcp = l4[:4] + struct.pack('!III', seq, ack, dfw) + b'\0\0\0\0' + l4[20:]
        s = int.from_bytes(pseudo(v6, src, dst, 6, len(tcp)) + tcp + b'\0' * (len(tcp) % 2), 'big') % 0xffff
        tcs = (~s) & 0xffff
        tcp = tcp[:16] + struct.pack('!H', tcs) + tcp[18:]
        if not csum_ok(pseudo(v6, src, dst, 6, len(tcp)) + tcp):
            self.fail(c, 'inner_tcp_bad', fn, n, 'inner TCP checksum')
        self.seq_ack(c, fn, n, src, sp, dst, dp, seq, ack, dfw >> 16, len(l4) - (dfw >> 28) * 4)

    def check_tcp(self, c, fn, n, v6, src, dst, l4):
        if self.expect == 'udp':
            self.fail(c, 'tcp', fn, n, 'plain TCP on the tunnelled port crossed the middlebox')
        else:
            c['tcp'] += 1
        if len(l4) < 20:
            self.fail(c, 'tcp_bad', fn, n, 'TCP too short')
            return
        if csum_ok(pseudo(v6, src, dst, 6, len(l4)) + l4):
            c['tcp_ok'] += 1
        elif self.expect == 'tcp':
            self.fail(c, 'tcp_bad', fn, n, 'TCP checksum invalid')
        sp, dp, seq, ack, dfw = struct.unpack('!HHIII', l4[:16])
        self.seq_ack(c, fn, n, src, sp, dst, dp, seq, ack, dfw >> 16, len(l4) - (dfw >> 28) * 4)

    def seq_ack(self, c, fn, n, src, sp, dst, dp, seq, ack, flags, dlen):
        key, rkey = (src, sp, dst, dp), (dst, dp, src, sp)
        end = (seq + dlen + (1 if flags & 0x3 else 0)) & 0xffffffff
        if key not in self.peer_end or ((end - self.peer_end[key]) & 0xffffffff) < 0x80000000:
            self.peer_end[key] = end
        if flags & 0x10 and rkey in self.peer_end:
            ahead = (ack - self.peer_end[rkey]) & 0xffffffff
            if 0 < ahead < 0x80000000:
                self.fail(c, 'ack_ahead', fn, n, 'ack %08x beyond the peer\'s data %08x'
                          % (ack, self.peer_end[rkey]))

    def run(self, files):
        per = {}
        for fn in files:
            self.peer_end = {}
            c = self.check_file(fn)
            per[fn] = c
            for k, v in c.items():
                self.total[k] += v
        t = self.total
        bad = (t['udp_bad'] + t['udp_zero'] + t['udp_len_bad'] + t['inner_tcp_bad'] + t['ack_ahead']
               + t['ipv4_hdr_bad'] + t['truncated'] + t['tcp_bad'])
        if self.expect == 'udp':
            bad += t['tcp']
        return dict(ok=bad == 0 and t['packets'] > 0, expect=self.expect, port=self.port,
                    total=t, files=per, examples=self.examples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--expect', choices=('udp', 'tcp'), default='udp')
    ap.add_argument('files', nargs='+')
    a = ap.parse_args()
    r = Checker(a.port, a.expect).run(a.files)
    json.dump(r, sys.stdout)
    print()
    return 0 if r['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
