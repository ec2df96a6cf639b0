#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The shell tests' one transfer program (tests/lib/harness.sh runs it).

  xfer.py server --bind ADDR --port P --send BYTES --out FILE [--mptcp] [--timeout S]
                 [--accept N]   (N connections at once, results FILE.1..N)
  xfer.py client --connect ADDR --port P --send BYTES --out FILE [--mptcp]
                 [--want-subflows N] [--timeout S] [--connect-timeout S] [--mark N]
                 [--source ADDR]
  xfer.py check CLIENT.json SERVER.json     both directions whole (exit 0/1)
  xfer.py field FILE.json NAME              one field of a result
  xfer.py echo-server --port P              echo every connection (IPv4+IPv6)
  xfer.py soak --connect ADDR [--connect ADDR...] --port P --seconds S
  xfer.py udp-recv --bind ADDR --port P --expect HEX [--timeout S] [--out FILE]
  xfer.py udp-send --bind ADDR --sport P --connect ADDR --port P --data HEX
  xfer.py reach SRC DST [SRC DST...]        TCP path SRC -> DST (RST from port 9)

server/client: a full-duplex transfer with SHA-256 of every byte sent and
received. Each side sends BYTES of random data (os.urandom) while it reads
what the peer sends, then shuts its write side down and reads to EOF. Each
side writes one JSON object to FILE:
  sent, sent_sha256, received, received_sha256, peer (address seen),
  seconds, mptcp (MPTCP socket asked for), fallback (MPTCP fell back to TCP,
  or null), subflows_max (largest MPTCP subflow count seen, or null), error.
`check` compares client.sent_sha256 with server.received_sha256 and the
other way round; server and client never decide pass or fail themselves.
The server handles exactly one connection and exits. MPTCP sockets are
IPPROTO_MPTCP (262) sockets: no mptcpize, no LD_PRELOAD. --mark N sets
SO_MARK on the client's socket before it connects (every packet it sends
carries the fwmark N; needs CAP_NET_ADMIN); the result then holds "mark".

soak: against an echo-server, short echo connections (random sizes, two
threads per address) and one long echo transfer (32 MiB) per address,
repeated until SECONDS; each echo compared by SHA-256. Prints one line:
"short N long N bytes N fail N [first reasons]". A connection that does not
finish within 20 s is stuck (a failure).

udp-recv/udp-send: one datagram; udp-recv prints "same|changed ADDR PORT"
(and touches FILE.ready once it is bound, with --out FILE).
"""
import argparse
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time

IPPROTO_MPTCP = 262
SO_MARK = getattr(socket, 'SO_MARK', 36)
SOL_MPTCP = 284
MPTCP_INFO = 1
CHUNK = 256 * 1024


def mptcp_info(sock):
    """(fallback, subflows) of an MPTCP socket. The kernel returns an empty
    mptcp_info when the connection fell back to plain TCP."""
    try:
        raw = sock.getsockopt(SOL_MPTCP, MPTCP_INFO, 256)
    except OSError:
        return (True, None)
    if len(raw) == 0:
        return (True, None)
    # struct mptcp_info starts with __u8 mptcpi_subflows: the subflows
    # beyond the initial one
    return (False, raw[0] + 1)


def family_of(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def transfer(sock, nbytes, res, mptcp, want_subflows=0):
    """Send nbytes while receiving to EOF; fill res."""
    rx = hashlib.sha256()
    tx = hashlib.sha256()
    got = [0]
    err = []

    def reader():
        try:
            while True:
                b = sock.recv(1 << 20)
                if not b:
                    break
                rx.update(b)
                got[0] += len(b)
        except OSError as e:
            err.append('recv: %s' % e)

    stop = threading.Event()
    sub = {'max': None, 'fallback': None}

    def sampler():
        while not stop.is_set():
            fb, n = mptcp_info(sock)
            sub['fallback'] = fb
            if n is not None and (sub['max'] is None or n > sub['max']):
                sub['max'] = n
            stop.wait(0.05)

    t0 = time.monotonic()
    rt = threading.Thread(target=reader, daemon=True)
    rt.start()
    st = None
    if mptcp:
        st = threading.Thread(target=sampler, daemon=True)
        st.start()
    sent = 0
    try:
        if want_subflows:
            # The client's path manager opens the second subflow once the
            # connection is fully established, which takes data: send a
            # little, then wait (bounded) so the transfer really uses it.
            b = os.urandom(min(16384, nbytes))
            sock.sendall(b)
            tx.update(b)
            sent += len(b)
            n = wait_subflows(sock, want_subflows, 5)
            res['subflows_before_data'] = n
            if n is not None and (sub['max'] is None or n > sub['max']):
                sub['max'] = n
        while sent < nbytes:
            b = os.urandom(min(CHUNK, nbytes - sent))
            sock.sendall(b)
            tx.update(b)
            sent += len(b)
        sock.shutdown(socket.SHUT_WR)
    except OSError as e:
        err.append('send: %s' % e)
    rt.join(res['timeout'])
    if rt.is_alive():
        err.append('recv: no EOF within %ss' % res['timeout'])
    if st:
        stop.set()
        st.join()
    res.update(sent=sent, sent_sha256=tx.hexdigest(), received=got[0],
               received_sha256=rx.hexdigest(),
               seconds=round(time.monotonic() - t0, 3),
               fallback=sub['fallback'], subflows_max=sub['max'])
    if err:
        res['error'] = '; '.join(err)


MPTCP_TCPINFO = 2
TCP_ESTABLISHED = 1


def established_subflows(sock, most=8, size=256):
    """Subflows in TCP_ESTABLISHED, from MPTCP_TCPINFO (one tcp_info per
    subflow, tcpi_state first), or None where the kernel cannot say.
    mptcpi_subflows also counts joins still in their handshake: a join SYN
    lost on a lossy path is only retransmitted a second later, after a short
    transfer is over. The option takes an input header (struct
    mptcp_subflow_data), which socket.getsockopt cannot pass: libc can."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(struct.pack('IIII', 16, 0, 0, size) + bytes(size * most))
    length = ctypes.c_uint32(len(buf))
    if libc.getsockopt(sock.fileno(), SOL_MPTCP, MPTCP_TCPINFO, buf, ctypes.byref(length)):
        return None
    _, num, _, size_user = struct.unpack_from('IIII', buf.raw)
    return sum(1 for i in range(min(num, most)) if buf.raw[16 + i * size_user] == TCP_ESTABLISHED)


def wait_subflows(sock, want, limit):
    """Wait (bounded) until the MPTCP connection has `want` established
    subflows, so a short transfer really uses them. Returns the count seen
    last."""
    deadline = time.monotonic() + limit
    n = None
    while time.monotonic() < deadline:
        fb, n = mptcp_info(sock)
        if fb:
            break
        up = established_subflows(sock)
        if up is not None:
            n = up
        if n is not None and n >= want:
            break
        time.sleep(0.02)
    return n


def run_many(a):
    """server --accept N: N connections on one listening socket, served at
    once (a thread each); each result in OUT.K (K = 1..N, accept order),
    its peer says whose it is. Exit 0 when every one finished."""
    proto = IPPROTO_MPTCP if a.mptcp else socket.IPPROTO_TCP
    ls = socket.socket(family_of(a.bind), socket.SOCK_STREAM, proto)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(a.accept)
    ls.settimeout(a.timeout)
    open(a.out + '.ready', 'w').close()
    threads = []

    def serve(k, s, peer):
        res = {'role': 'server', 'mptcp': a.mptcp, 'timeout': a.timeout, 'error': None,
               'sent': 0, 'received': 0, 'peer': peer[0]}
        try:
            s.settimeout(None)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                         struct.pack('ll', int(a.timeout), 0))
            transfer(s, a.send, res, a.mptcp, 0)
            s.close()
        except OSError as e:
            res['error'] = '%s: %s' % (type(e).__name__, e)
        del res['timeout']
        with open('%s.%d.tmp' % (a.out, k), 'w') as f:
            json.dump(res, f)
        os.rename('%s.%d.tmp' % (a.out, k), '%s.%d' % (a.out, k))

    try:
        for k in range(1, a.accept + 1):
            s, peer = ls.accept()
            t = threading.Thread(target=serve, args=(k, s, peer))
            t.start()
            threads.append(t)
    except OSError as e:
        print('# server: %s' % e, file=sys.stderr)
    for t in threads:
        t.join()
    ls.close()
    return 0 if len(threads) == a.accept else 1


def run_transfer(a):
    proto = IPPROTO_MPTCP if a.mptcp else socket.IPPROTO_TCP
    res = {'role': a.role, 'mptcp': a.mptcp, 'timeout': a.timeout, 'error': None,
           'sent': 0, 'received': 0, 'peer': None}
    try:
        if a.role == 'server':
            ls = socket.socket(family_of(a.bind), socket.SOCK_STREAM, proto)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((a.bind, a.port))
            ls.listen(1)
            ls.settimeout(a.timeout)
            # tell the parent we listen: it waits for this file
            open(a.out + '.ready', 'w').close()
            s, peer = ls.accept()
            # the listener stays open: MPTCP's MP_JOIN SYNs for the extra
            # subflows are answered through it
        else:
            s = socket.socket(family_of(a.connect), socket.SOCK_STREAM, proto)
            if a.mark is not None:
                s.setsockopt(socket.SOL_SOCKET, SO_MARK, a.mark)
                res['mark'] = s.getsockopt(socket.SOL_SOCKET, SO_MARK)
            if a.source:
                s.bind((a.source, 0))
            s.settimeout(a.connect_timeout)
            s.connect((a.connect, a.port))
            peer = s.getpeername()
        s.settimeout(None)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                     struct.pack('ll', int(a.timeout), 0))
        res['peer'] = peer[0]
        transfer(s, a.send, res, a.mptcp, a.want_subflows if a.mptcp else 0)
        s.close()
        if a.role == 'server':
            ls.close()
    except OSError as e:
        res['error'] = '%s: %s' % (type(e).__name__, e)
    del res['timeout']
    with open(a.out + '.tmp', 'w') as f:
        json.dump(res, f)
    os.rename(a.out + '.tmp', a.out)
    return 0 if not res['error'] else 1


def check(cfile, sfile):
    """Both directions arrived whole: sizes and SHA-256."""
    try:
        c, s = (json.load(open(f)) for f in (cfile, sfile))
    except (OSError, ValueError) as e:
        print('# no result:', e)
        return 1
    if c.get('error') or s.get('error'):
        print('# client error:', c.get('error'), '/ server error:', s.get('error'))
        return 1
    print('# client sent %d got %d, server sent %d got %d' %
          (c['sent'], c['received'], s['sent'], s['received']))
    whole = (c['sent_sha256'] == s['received_sha256'] and s['sent_sha256'] == c['received_sha256']
             and c['sent'] == s['received'] and s['sent'] == c['received'] and c['sent'] > 0)
    return 0 if whole else 1


def echo_server(port):
    def serve(c):
        try:
            c.settimeout(60)
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        finally:
            c.close()
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port))
    s.listen(256)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def soak(addrs, port, seconds):
    end = time.time() + seconds
    st = {'short': 0, 'bytes': 0, 'fail': 0, 'long': 0, 'why': []}
    lk = threading.Lock()

    def echo(addr, size, chunk=65536):
        s = socket.create_connection((addr, port), timeout=20)
        s.settimeout(20)
        data = os.urandom(min(size, 1 << 20))
        want = hashlib.sha256()
        got = hashlib.sha256()
        sent = 0
        rcvd = [0]

        def rx():
            while rcvd[0] < size:
                d = s.recv(262144)
                if not d:
                    break
                got.update(d)
                rcvd[0] += len(d)
        t = threading.Thread(target=rx)
        t.start()
        while sent < size:
            part = data[: min(chunk, size - sent)]
            s.sendall(part)
            want.update(part)
            sent += len(part)
        t.join(30)
        s.close()
        if rcvd[0] != size or want.digest() != got.digest():
            raise OSError('echo mismatch %d/%d' % (rcvd[0], size))
        return size

    def loop(addr, kind):
        while time.time() < end:
            try:
                n = echo(addr, 32 << 20 if kind == 'long' else int.from_bytes(os.urandom(2), 'big') + 1)
                with lk:
                    st[kind] += 1
                    st['bytes'] += n
            except OSError as e:
                with lk:
                    st['fail'] += 1
                    st['why'].append('%s %s: %s' % (addr, kind, e))
    ts = [threading.Thread(target=loop, args=(a, k)) for a in addrs for k in ('short', 'short', 'long')]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print('short %d long %d bytes %d fail %d %s' % (st['short'], st['long'], st['bytes'], st['fail'],
                                                    '; '.join(st['why'][:3])))
    return 0 if st['fail'] == 0 else 1


def udp(a):
    fam = family_of(a.bind)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if a.role == 'udp-recv':
        want = bytes.fromhex(a.expect)
        s.bind((a.bind, a.port))
        s.settimeout(a.timeout)
        if a.out:
            open(a.out + '.ready', 'w').close()  # bound: the sender may start
        d, peer = s.recvfrom(65536)
        print('same' if d == want else 'changed', peer[0], peer[1])
        return 0 if d == want else 1
    s.bind((a.bind, a.sport))
    s.sendto(bytes.fromhex(a.data), (a.connect, a.port))
    return 0


def reach(pairs):
    """A TCP connect from SRC to DST port 9 answered by RST proves the path."""
    for src, dst in zip(pairs[0::2], pairs[1::2]):
        for _ in range(50):
            s = socket.socket(family_of(dst), socket.SOCK_STREAM)
            s.settimeout(0.5)
            s.bind((src, 0))
            try:
                s.connect((dst, 9))
            except ConnectionRefusedError:
                break
            except OSError:
                time.sleep(0.1)
            finally:
                s.close()
        else:
            print('no path %s -> %s' % (src, dst), file=sys.stderr)
            return 1
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('role', choices=('server', 'client', 'check', 'field', 'echo-server', 'soak',
                                     'udp-recv', 'udp-send', 'reach'))
    ap.add_argument('args', nargs='*')
    ap.add_argument('--bind')
    ap.add_argument('--source', help='client: bind to this address before connecting')
    ap.add_argument('--accept', type=int, default=0,
                    help='server: serve this many connections at once (results OUT.1..N)')
    ap.add_argument('--connect', action='append')
    ap.add_argument('--port', type=int)
    ap.add_argument('--sport', type=int)
    ap.add_argument('--send', type=int, default=0)
    ap.add_argument('--out')
    ap.add_argument('--mptcp', action='store_true')
    ap.add_argument('--want-subflows', type=int, default=0)
    ap.add_argument('--timeout', type=float, default=60)
    ap.add_argument('--connect-timeout', type=float, default=5)
    ap.add_argument('--mark', type=lambda v: int(v, 0), help='client: SO_MARK (0x.. or decimal)')
    ap.add_argument('--seconds', type=float, default=10)
    ap.add_argument('--expect')
    ap.add_argument('--data')
    a = ap.parse_args()

    if a.role == 'check':
        return check(*a.args)
    if a.role == 'field':
        v = json.load(open(a.args[0])).get(a.args[1])
        print('' if v is None else v)
        return 0
    if a.role == 'reach':
        return reach(a.args)
    if a.role == 'soak':
        return soak(a.connect, a.port, a.seconds)
    if a.role == 'echo-server':
        return echo_server(a.port)
    if a.connect:
        a.connect = a.connect[0]
    if a.role in ('udp-recv', 'udp-send'):
        return udp(a)
    if a.role == 'server' and a.accept:
        return run_many(a)
    return run_transfer(a)


if __name__ == '__main__':
    sys.exit(main())
