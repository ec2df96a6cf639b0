#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Connections whose application sets its own keepalive (tests/keepalive.t).

  ka_own.py server --bind ADDR --ports P,P,... --timeout S
  ka_own.py client --connect ADDR --hold S --out FILE CASE...
  CASE: LABEL:PORT:PROTO:OPTS, PROTO tcp or mptcp, OPTS one of
    none   nothing set
    own    SO_KEEPALIVE 1, then TCP_KEEPIDLE 3600 (tcp) / SO_KEEPALIVE 1 only (mptcp)
    off    SO_KEEPALIVE 0
  all set before connect().

server: MPTCP listeners (plain TCP clients fall back) that accept and hold
every connection until --timeout. client: every case at once; after the
connections are established, writes one JSON object per case (label, local
port, SO_KEEPALIVE and TCP_KEEPIDLE as getsockopt reads them) to FILE, then
holds the connections for S seconds so that the test can look at them
(ss -tnoi shows each TCP socket and MPTCP subflow with its timer).
"""
import argparse
import json
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))  # xfer.py, the transfer helper
sys.path.insert(0, HERE)                             # listeners.py
from xfer import IPPROTO_MPTCP  # noqa: E402
import listeners  # noqa: E402

APP_IDLE = 3600


def server(a):
    held = []  # every connection stays open until the end
    listeners.serve(a, IPPROTO_MPTCP, held.append, a.ready)


def client(a):
    res, socks = [], []
    for case in a.cases:
        label, port, proto, opts = case.split(':')
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM,
                          IPPROTO_MPTCP if proto == 'mptcp' else 0)
        if opts == 'own':
            s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            if proto == 'tcp':
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, APP_IDLE)
        elif opts == 'off':
            s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 0)
        s.settimeout(10)
        s.connect((a.connect, int(port)))
        socks.append(s)
        res.append({'label': label, 'port': s.getsockname()[1], 'proto': proto,
                    'keepalive': s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                    'idle': s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE)
                    if proto == 'tcp' else None})
    with open(a.out + '.tmp', 'w') as f:
        json.dump(res, f)
    os.rename(a.out + '.tmp', a.out)
    time.sleep(a.hold)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    s = listeners.add_server(sub, timeout=30)
    s.add_argument('--ready', required=True)
    c = sub.add_parser('client')
    c.add_argument('--connect', required=True)
    c.add_argument('--hold', type=float, default=3)
    c.add_argument('--out', required=True)
    c.add_argument('cases', nargs='+')
    a = ap.parse_args()
    if a.cmd == 'server':
        server(a)
    else:
        client(a)


if __name__ == '__main__':
    sys.exit(main())
