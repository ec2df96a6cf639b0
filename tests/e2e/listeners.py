# SPDX-License-Identifier: GPL-2.0
"""The server side that tests/keepalive.t's helpers share (idle.py,
ka_own.py): a `server` subcommand taking --bind ADDR --ports P,P,...
--timeout S, and one listener a port whose accepted connections go to a
handler.
"""
import socket
import threading
import time


def add_server(sub, timeout):
    """The `server` subparser with the common options; the caller adds its
    own."""
    sv = sub.add_parser('server')
    sv.add_argument('--bind', required=True)
    sv.add_argument('--ports', required=True, help='P,P,...')
    sv.add_argument('--timeout', type=float, default=timeout)
    return sv


def serve(a, proto, handle, ready):
    """Listen on a.bind at each of a.ports (proto 0 for TCP, or
    IPPROTO_MPTCP, from which plain TCP clients fall back), call handle(conn)
    for every connection accepted (in the port's accepting thread: a handler
    that talks starts its own), create the file ready once all listen, and
    return after a.timeout seconds (or when killed)."""
    fam = socket.AF_INET6 if ':' in a.bind else socket.AF_INET
    lsocks = []
    for p in a.ports.split(','):
        s = socket.socket(fam, socket.SOCK_STREAM, proto)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.bind, int(p)))
        s.listen(16)
        lsocks.append(s)

    def accept_loop(s):
        while True:
            try:
                c, _ = s.accept()
            except OSError:
                return
            handle(c)

    for s in lsocks:
        threading.Thread(target=accept_loop, args=(s,), daemon=True).start()
    open(ready, 'w').close()
    time.sleep(a.timeout)
