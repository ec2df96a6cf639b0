#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mptcpwire.t - tests/e2e/mptcpwire.py, the judge that lets an MPTCP run of
# tests/e2e.t pass although the server received other bytes: only when the
# stream on the wire equals what was sent AND the server's SHA-256 is
# exactly what the known kernel join re-basing makes of it. Synthetic
# captures (tiu's wire format, two subflows, the second one an MP_JOIN):
# the reassembly must give the sent stream back; the kernel fault must be
# recognised; any other damage (one byte, two swapped 16-bit words, a
# shifted mapping that is not the fault's), a wire copy that differs or a
# gap must not be excused. No root, no build; about a second.

. "$(dirname "$0")/lib/harness.sh"
cd "$ROOT" || bail "cannot enter $ROOT"
need_cmd python3

tap_plan 9
python3 - <<'PY'
import hashlib, os, struct, sys, tempfile
sys.path.insert(0, 'tests/e2e')
import mptcpwire

PORT, MSS, IDSN = 7001, 1420, 0x1122334455667788
W = os.urandom(120000)
n = [0]


def ok(cond, what):
    n[0] += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', n[0], what))


def frame(src, sp, seq, flags, opts, pay):
    """Ethernet + IPv4 + the TCP segment in tiu's UDP layout."""
    while len(opts) % 4:
        opts += b'\x01'
    doff = 20 + len(opts)
    l4 = struct.pack('!HHHHBBHII', sp, PORT, doff + len(pay), 0x1234, (doff // 4) << 4, flags,
                     512, seq, 1) + opts + pay
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 0, 0x4000, 64, 17, 0, src,
                     bytes([10, 0, 9, 1]))
    return b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip + l4


def dss(dsn, ssn, dlen):
    return struct.pack('!BBBB', 30, 18, 0x20, 0x0c) + struct.pack('!QIH', IDSN + dsn, ssn, dlen)


def subflow(src, sp, isn, join, maps):
    """SYN, then the data of maps [(dsn, len)], MSS-sized, each with its DSS."""
    syn = bytes.fromhex('1e0c1000' + '00' * 8) if join else bytes.fromhex('1e040100')
    pk = [frame(src, sp, isn, 0x02, syn, b'')]
    ssn = 1
    for dsn, ln in maps:
        for o in range(0, ln, MSS):
            k = min(MSS, ln - o)
            pk.append(frame(src, sp, (isn + ssn + o) & 0xffffffff, 0x10, dss(dsn, ssn, ln),
                            W[dsn + o:dsn + o + k]))
        ssn += ln
    return pk


A1, A2 = bytes([10, 0, 1, 1]), bytes([10, 0, 3, 1])
SF1 = subflow(A1, 40000, 0xfffff000, False, [(0, 16384), (47624, 30000)])   # seq wraps
SF2 = subflow(A2, 40001, 12345, True, [(16384, 31240), (77624, len(W) - 77624)])
JOINKEY = '10.0.3.1:40001'


def pcap(pkts):
    f = tempfile.NamedTemporaryFile(suffix='.pcap', delete=False)
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for p in pkts:
        f.write(struct.pack('<IIII', 0, 0, len(p), len(p)) + p)
    f.close()
    return f.name


sha = lambda b: hashlib.sha256(b).hexdigest()  # noqa: E731
# interleaved like two links, the first subflow's data late, one retransmission
wire = SF1[:1] + SF2[:1] + SF2[1:12] + SF1[1:] + SF2[12:] + [SF1[3]]
good = pcap(wire)
s, joins, _ = mptcpwire.stream(good, PORT)
ok(s == W, 'reassembly by DSS mapping gives the sent stream (%d bytes, seq wrap, a retransmission)' % len(W))
ok(len(joins) == 1 and joins[0][0][:2] == (A2, 40001) and joins[0][1:] == (16384, 31240),
   'the MP_JOIN subflow and its first mapping are found (DSN %d, length %d)' % joins[0][1:])

# what the kernel fault makes of it: the join's first mapping re-based to
# DSN 0 (msk->ack_seq at the join), the first 16384 bytes already there
bug = W[:16384] + W[32768:47624] + W[31240:]
x = mptcpwire.explain(good, PORT, sha(W), sha(bug))
ok(x['wire'] == 'intact' and x['rebase'] == (JOINKEY, 16384, 31240, 0, 16384),
   'the join re-basing is recognised exactly: %s' % x)

one = bytearray(W)
one[20000] ^= 1
x = mptcpwire.explain(good, PORT, sha(W), sha(bytes(one)))
ok(x == {'wire': 'intact', 'rebase': None}, 'one flipped byte is not excused: %s' % x)

swap = bytearray(W)
swap[30000:30002], swap[30004:30006] = W[30004:30006], W[30000:30002]
x = mptcpwire.explain(good, PORT, sha(W), sha(bytes(swap)))
ok(x['rebase'] is None, 'two swapped 16-bit words are not excused: %s' % x)

other = W[:16384] + W[16384 + 1420:47624] + W[47624 - 1420:]
x = mptcpwire.explain(good, PORT, sha(W), sha(other))
ok(x['rebase'] is None, 'a re-basing by other than the join mapping is not excused: %s' % x)

bad = bytearray(SF2[5])
bad[-1] ^= 0xff
x = mptcpwire.explain(pcap(wire + [bytes(bad)]), PORT, sha(W), sha(bug))
ok(x['wire'].startswith('two copies') and x['rebase'] is None,
   'a second copy with other bytes makes the wire unusable: %s' % x['wire'])

x = mptcpwire.explain(pcap([p for p in wire if p is not SF2[7]]), PORT, sha(W), sha(bug))
ok(x['wire'].startswith('a gap') and x['rebase'] is None, 'a gap makes the wire unusable: %s' % x['wire'])

x = mptcpwire.explain(good, PORT, sha(W[:-1] + bytes([W[-1] ^ 0xff])), sha(bug))  # not b'x': W may end in it
ok(x == {'wire': 'different', 'rebase': None}, 'a wire stream other than the sent one is not excused: %s' % x)
PY
