#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An idle connection, then the server speaks: does its message arrive?

  idle.py server --bind ADDR --ports P,P,... --idle S [--mptcp] --out FILE
  (--mptcp: MPTCP listeners; plain TCP clients fall back)
  idle.py client --connect ADDR --port P [--mptcp] [--want-subflows N]
                 --idle S [--wait W] --out FILE
  idle.py probes --port P --start T --end T FILE...

server: until killed (or --timeout), on every port, for every connection:
read "hi", answer "hi", read "go", stay silent for S seconds, then send
"msg"; answer each "ping" with "pong".
client: connect (MPTCP with --mptcp), "hi" and its answer, wait for N
established MPTCP subflows, "go", then wait up to S + W seconds for "msg"
without sending anything. Then send "ping" and wait up to 5 s for what comes: the "msg" late
(it was held back until the client's packet re-opened the NAT), "pong", or
an error such as a reset. Writes one JSON object: msg_at (seconds after
"go", or null), what came after the ping, the error, SO_KEEPALIVE
of the socket as getsockopt reads it, and the established MPTCP subflows
before and after the idle time.
probes: count the tunnelled UDP packets to and from port P in the captures
between the wall-clock times T (keepalive probes and their answers while the
connections are idle), printed as JSON.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))  # xfer.py, the transfer helper
sys.path.insert(0, HERE)                             # pcapcheck.py, listeners.py
from xfer import IPPROTO_MPTCP, established_subflows, mptcp_info, wait_subflows  # noqa: E402
import listeners  # noqa: E402


def readline(sock, buf, deadline):
    """One line (bytes, without newline) before the deadline, or None."""
    while b'\n' not in buf[0]:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            d = sock.recv(4096)
        except socket.timeout:
            return None
        if not d:
            raise ConnectionError('EOF')
        buf[0] += d
    line, buf[0] = buf[0].split(b'\n', 1)
    return line


def serve_conn(c, idle, log):
    """log(dict): one JSON line in the server's --out file."""
    buf = [b'']
    try:
        if readline(c, buf, time.monotonic() + 30) != b'hi':
            return
        c.sendall(b'hi\n')
        if readline(c, buf, time.monotonic() + 30) != b'go':
            return
        time.sleep(idle)
        c.sendall(b'msg\n')
        log(dict(t=time.time(), sent='msg'))
        while True:
            line = readline(c, buf, time.monotonic() + 30)
            if line is None:
                break
            if line == b'ping':
                c.sendall(b'pong\n')
    except (OSError, ConnectionError) as e:
        log(dict(t=time.time(), error=str(e)))
    finally:
        c.close()


def server(a):
    out = open(a.out, 'w')
    lock = threading.Lock()

    def log(d):
        with lock:
            out.write(json.dumps(d) + '\n')
            out.flush()

    def handle(c):
        threading.Thread(target=serve_conn, args=(c, a.idle, log), daemon=True).start()
    # until a.timeout or killed: the log is written as it goes
    listeners.serve(a, IPPROTO_MPTCP if a.mptcp else 0, handle, a.out + '.ready')


def client(a):
    res = dict(port=a.port, mptcp=a.mptcp, msg_at=None, after_ping=None, error=None,
               keepalive=None, subflows_before=None, subflows_after=None, fallback=None)
    buf = [b'']
    s = socket.socket(socket.AF_INET6 if ':' in a.connect else socket.AF_INET, socket.SOCK_STREAM,
                      IPPROTO_MPTCP if a.mptcp else 0)
    try:
        s.settimeout(10)
        s.connect((a.connect, a.port))
        s.sendall(b'hi\n')
        if readline(s, buf, time.monotonic() + 10) != b'hi':
            raise ConnectionError('no answer to hi')
        # The in-kernel path manager opens more subflows once the MPTCP
        # connection is fully established: after the server's first data.
        if a.mptcp and a.want_subflows:
            res['subflows_before'] = wait_subflows(s, a.want_subflows, 5)
        s.sendall(b'go\n')
        t0 = time.monotonic()
        res['idle_start'] = time.time()
        open(a.out + '.idle', 'w').close()  # for a look at the NAT while idle
        res['keepalive'] = s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        line = readline(s, buf, t0 + a.idle + a.wait)
        if line == b'msg':
            res['msg_at'] = round(time.monotonic() - t0, 3)
        res['idle_end'] = time.time()
        if a.mptcp:
            res['fallback'], _ = mptcp_info(s)
            res['subflows_after'] = established_subflows(s)
        s.sendall(b'ping\n')
        t1 = time.monotonic()
        got = []
        while True:
            line = readline(s, buf, t1 + 5)
            if line is None:
                break
            got.append('%s@%.3f' % (line.decode(), time.monotonic() - t1))
            if line == b'pong':
                break
        res['after_ping'] = got
    except (OSError, ConnectionError) as e:
        res['error'] = getattr(e, 'strerror', None) or str(e)
        res['errno'] = getattr(e, 'errno', None)
    finally:
        s.close()
    with open(a.out, 'w') as f:
        json.dump(res, f)
    return 0


def probes(a):
    from pcapcheck import l3_offset, ETH_P_IP
    import struct
    out = dict(to_port=0, from_port=0)
    for fn in a.files:
        for linktype, caplen, wirelen, pkt, ts in read_pcap_ts(fn):
            if not (a.start <= ts <= a.end):
                continue
            et, off = l3_offset(linktype, pkt)
            if et != ETH_P_IP or pkt[off + 9] != 17:
                continue
            ihl = (pkt[off] & 0xf) * 4
            sp, dp = struct.unpack('!HH', pkt[off + ihl:off + ihl + 4])
            if dp == a.port:
                out['to_port'] += 1
            elif sp == a.port:
                out['from_port'] += 1
    print(json.dumps(out))
    return 0


def read_pcap_ts(fn):
    """The packets of a pcap file with their timestamps (pcapcheck's reader
    drops them)."""
    import struct
    with open(fn, 'rb') as f:
        gh = f.read(24)
        if len(gh) < 24:
            return
        magic = struct.unpack('<I', gh[:4])[0]
        end = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
        nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
        linktype = struct.unpack(end + 'I', gh[20:24])[0]
        while True:
            ph = f.read(16)
            if len(ph) < 16:
                return
            sec, frac, caplen, wirelen = struct.unpack(end + 'IIII', ph)
            pkt = f.read(caplen)
            yield linktype, caplen, wirelen, pkt, sec + frac / (1e9 if nano else 1e6)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    sv = listeners.add_server(sub, timeout=60)
    sv.add_argument('--mptcp', action='store_true')
    sv.add_argument('--idle', type=float, required=True)
    sv.add_argument('--out', required=True)
    cl = sub.add_parser('client')
    cl.add_argument('--connect', required=True)
    cl.add_argument('--port', type=int, required=True)
    cl.add_argument('--mptcp', action='store_true')
    cl.add_argument('--want-subflows', type=int, default=0)
    cl.add_argument('--idle', type=float, required=True)
    cl.add_argument('--wait', type=float, default=3)
    cl.add_argument('--out', required=True)
    pr = sub.add_parser('probes')
    pr.add_argument('--port', type=int, required=True)
    pr.add_argument('--start', type=float, required=True)
    pr.add_argument('--end', type=float, required=True)
    pr.add_argument('files', nargs='+')
    a = ap.parse_args()
    if a.cmd == 'server':
        return server(a)
    if a.cmd == 'client':
        return client(a)
    return probes(a)


if __name__ == '__main__':
    sys.exit(main())
