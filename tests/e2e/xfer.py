#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Full-duplex transfer with SHA-256 of every byte sent and received.

  xfer.py server --bind ADDR --port P --send BYTES --out FILE [--mptcp] [--timeout S]
  xfer.py client --connect ADDR --port P --send BYTES --out FILE [--mptcp]
                 [--want-subflows N] [--timeout S]

Each side sends BYTES of random data (os.urandom) while it reads what the
peer sends, then shuts its write side down and reads to EOF. Each side
writes one JSON object to FILE:
  sent, sent_sha256, received, received_sha256, peer (address seen),
  seconds, mptcp (MPTCP socket asked for), fallback (MPTCP fell back to TCP,
  or null), subflows_max (largest MPTCP subflow count seen, or null), error.
The test compares client.sent_sha256 with server.received_sha256 and the
other way round: the tool itself never decides pass or fail.

The server handles exactly one connection and exits. MPTCP sockets are
IPPROTO_MPTCP (262) sockets: no mptcpize, no LD_PRELOAD.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('role', choices=('server', 'client'))
    ap.add_argument('--bind')
    ap.add_argument('--connect')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--send', type=int, default=0)
    ap.add_argument('--out', required=True)
    ap.add_argument('--mptcp', action='store_true')
    ap.add_argument('--want-subflows', type=int, default=0)
    ap.add_argument('--timeout', type=float, default=60)
    ap.add_argument('--connect-timeout', type=float, default=5)
    a = ap.parse_args()

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


if __name__ == '__main__':
    sys.exit(main())
