# SPDX-License-Identifier: GPL-2.0-or-later
"""A small SIP test client: builds requests, sends them over UDP or TCP (IPv4/IPv6)
and reads replies. Tests assert on the bytes it gets back."""
import random
import re
import socket
import time


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def bracket(host):
    return "[%s]" % host if ":" in host else host


def branch():
    return "z9hG4bK-%08x" % random.getrandbits(32)


def request(method, ruri, lhost, lport, proto="UDP", extra="", body="", callid=None,
            cseq=1, via=True, max_forwards=70, to=None, from_tag=None):
    callid = callid or "%08x@test" % random.getrandbits(32)
    from_tag = from_tag or "%06x" % random.getrandbits(24)
    to = to or ruri
    lines = [f"{method} {ruri} SIP/2.0"]
    if via:
        lines.append(f"Via: SIP/2.0/{proto} {bracket(lhost)}:{lport};branch={branch()};rport")
    if max_forwards is not None:
        lines.append(f"Max-Forwards: {max_forwards}")
    lines += [
        f"From: <sip:tester@{bracket(lhost)}>;tag={from_tag}",
        f"To: <{to}>",
        f"Call-ID: {callid}",
        f"CSeq: {cseq} {method}",
    ]
    if extra:
        lines += [h for h in extra.split("\r\n") if h]
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


class Reply:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        self.start = lines[0]
        m = re.match(r"SIP/2\.0 (\d{3}) ?(.*)", self.start)
        self.is_reply = bool(m)
        self.code = int(m.group(1)) if m else None
        self.reason = m.group(2) if m else None
        self.headers = []
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                self.headers.append((name.strip(), value.strip()))

    def hdr(self, name, n=0):
        vals = self.hdrs(name)
        return vals[n] if len(vals) > n else None

    def hdrs(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "<SIP %r>" % self.start


class UDP:
    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]

    def send(self, data, dst):
        self.sock.sendto(data, dst)

    def recv(self, timeout=2.0):
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65535)
        except socket.timeout:
            return None
        return Reply(data)

    def close(self):
        self.sock.close()


class TCP:
    def __init__(self, dst, host=None):
        host = host or dst[0]
        self.sock = socket.create_connection(dst, timeout=5)
        self.host, self.port = self.sock.getsockname()[:2]
        self.buf = b""

    def send(self, data, dst=None):
        self.sock.sendall(data)

    def recv(self, timeout=2.0):
        deadline = time.time() + timeout
        while True:
            msg = self._frame()
            if msg is not None:
                return Reply(msg)
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk

    def _frame(self):
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        m = re.search(rb"\r\n(?:Content-Length|l)[ \t]*:[ \t]*(\d+)", self.buf[:end + 2], re.I)
        clen = int(m.group(1)) if m else 0
        total = end + 4 + clen
        if len(self.buf) < total:
            return None
        msg, self.buf = self.buf[:total], self.buf[total:]
        return msg

    def closed(self, timeout=2.0):
        """True when the server closed the connection within timeout."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except (socket.timeout, ConnectionResetError):
            return False

    def close(self):
        self.sock.close()


def transact(proto, server, data, host=None, timeout=2.0):
    """Sends data to server (host, port) over proto and returns the first reply."""
    if proto == "udp":
        c = UDP(host or server[0])
    else:
        c = TCP(server)
    try:
        c.send(data, server)
        return c.recv(timeout)
    finally:
        c.close()
