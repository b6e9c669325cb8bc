# SPDX-License-Identifier: GPL-2.0-or-later
"""A small MSRP test client (RFC 4975, RFC 4976 relays, RFC 7701 NICKNAME), stdlib only.

Frames are built and parsed by the end-line rule (no Content-Length); the parser is
streaming and linear in the bytes received, so 100 MB bodies are fine. A Client speaks
over one TCP connection (IPv4 or IPv6): send/recv/expect, AUTH with digest, chunked SEND,
responses and REPORTs, and an optional background reader that answers SENDs and
reassembles messages by Message-ID. Tests assert on the frames it hands back.
"""
import collections
import hashlib
import re
import secrets
import select
import socket
import string
import threading
import time

FLAGS = b"$+#"
ALNUM = string.ascii_letters + string.digits
SEND_PIECE = 1 << 20  # bytes handed to one send() call
RECV_PIECE = 1 << 20  # bytes asked from one recv() call


class ParseError(Exception):
    """The peer sent bytes that are not an MSRP frame we can read."""


# --- ids and URIs -------------------------------------------------------------------------


def new_tid(n=16):
    """A fresh transaction id (RFC 4975 ident: alphanumerics, 4..32 characters)."""
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def new_message_id(n=20):
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def new_session_id(n=16):
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def bracket(host):
    """host as written in a URI authority: IPv6 references in brackets."""
    if ":" in host and not host.startswith("["):
        return "[%s]" % host
    return host


def unbracket(host):
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def make_uri(host, port, session=None, transport="tcp", scheme="msrp"):
    """msrp://host:port[/session];tcp; an IPv6 host gets its brackets."""
    s = "%s://%s:%d" % (scheme, bracket(host), port)
    if session:
        s += "/" + session
    return s + ";" + transport


Uri = collections.namedtuple("Uri", "scheme userinfo host port session transport params")

_URI_RE = re.compile(
    r"^(msrps?)://(?:([^@/;]*)@)?(\[[0-9A-Fa-f:.]+\]|[^:/;\[\]]+)(?::(\d+))?"
    r"(?:/([^;]+))?;([^;]+)((?:;.*)?)$", re.I)


def parse_uri(s):
    """Splits an MSRP URI; host keeps no brackets; port is an int or None, session and
    params may be empty. Raises ValueError for something else."""
    m = _URI_RE.match(s.strip())
    if not m:
        raise ValueError("not an MSRP URI: %r" % s)
    scheme, userinfo, host, port, session, transport, params = m.groups()
    return Uri(scheme.lower(), userinfo or "", unbracket(host), int(port) if port else None,
               session or "", transport, params[1:] if params else "")


def split_path(value):
    """A To-Path / From-Path / Use-Path value as a list of URIs."""
    return value.split() if value else []


def join_path(path):
    if isinstance(path, str):
        return path
    return " ".join(path)


def as_path(path):
    return split_path(path) if isinstance(path, str) else list(path)


# --- frames -------------------------------------------------------------------------------


class Frame:
    """One MSRP request or response. headers is an ordered list of [name, value]; body is
    None for a body-less frame, else bytes-like (the CRLF before the end-line is not part
    of it); flag is "$" (complete), "+" (more chunks follow) or "#" (aborted)."""

    def __init__(self, tid=None, method=None, status=None, comment="", headers=(), body=None,
                 flag="$"):
        self.tid = tid or new_tid()
        self.method = method
        self.status = status
        self.comment = comment or ""
        self.headers = [[n, v] for n, v in headers]
        self.body = body
        self.flag = flag

    @classmethod
    def request(cls, method, to_path, from_path, headers=(), body=None, content_type=None,
                tid=None, flag="$"):
        hs = [("To-Path", join_path(to_path)), ("From-Path", join_path(from_path))]
        hs += list(headers)
        if body is not None and content_type:
            hs.append(("Content-Type", content_type))
        return cls(tid=tid, method=method, headers=hs, body=body, flag=flag)

    @classmethod
    def response(cls, tid, status, comment, to_path, from_path, headers=()):
        hs = [("To-Path", join_path(to_path)), ("From-Path", join_path(from_path))]
        return cls(tid=tid, status=status, comment=comment, headers=hs + list(headers))

    @property
    def is_request(self):
        return self.method is not None

    def hdrs(self, name):
        low = name.lower()
        return [v for n, v in self.headers if n.lower() == low]

    def hdr(self, name, default=None):
        vals = self.hdrs(name)
        return vals[0] if vals else default

    def set_hdr(self, name, value):
        """Replaces the first header called name (appends one when absent); value None
        removes every header called name."""
        low = name.lower()
        if value is None:
            self.headers = [h for h in self.headers if h[0].lower() != low]
            return
        for h in self.headers:
            if h[0].lower() == low:
                h[1] = value
                return
        self.headers.append([name, value])

    @property
    def to_path(self):
        return split_path(self.hdr("To-Path"))

    @property
    def from_path(self):
        return split_path(self.hdr("From-Path"))

    @property
    def message_id(self):
        return self.hdr("Message-ID")

    @property
    def byte_range(self):
        """(start, end, total) of Byte-Range; end / total None when '*'; None if absent."""
        v = self.hdr("Byte-Range")
        return parse_byte_range(v) if v is not None else None

    @property
    def report_status(self):
        """(namespace, code, text) of a REPORT's Status header, or None."""
        v = self.hdr("Status")
        if v is None:
            return None
        parts = v.split(None, 2)
        return (int(parts[0]), int(parts[1]), parts[2] if len(parts) > 2 else "")

    def start_line(self):
        if self.is_request:
            return "MSRP %s %s" % (self.tid, self.method)
        line = "MSRP %s %03d" % (self.tid, self.status)
        return line + (" " + self.comment if self.comment else "")

    def head_bytes(self):
        """Start line and headers, plus the blank line when a body follows."""
        out = [self.start_line()]
        out += ["%s: %s" % (n, v) for n, v in self.headers]
        head = "\r\n".join(out) + "\r\n"
        if self.body is not None:
            head += "\r\n"
        return head.encode("utf-8")

    def tail_bytes(self):
        """CRLF after the body (when there is one) and the end-line."""
        end = ("-------%s%s\r\n" % (self.tid, self.flag)).encode()
        return (b"\r\n" + end) if self.body is not None else end

    def parts(self):
        """The wire form as a list of bytes-like pieces (the body is not copied)."""
        if self.body is None:
            return [self.head_bytes() + self.tail_bytes()]
        return [self.head_bytes(), self.body, self.tail_bytes()]

    def build(self):
        return b"".join(self.parts())

    def __repr__(self):
        blen = "-" if self.body is None else len(self.body)
        return "<MSRP %s body=%s flag=%s>" % (self.start_line(), blen, self.flag)


def parse_byte_range(v):
    m = re.match(r"^\s*(\d+)-(\d+|\*)/(\d+|\*)\s*$", v)
    if not m:
        raise ValueError("bad Byte-Range %r" % v)
    start = int(m.group(1))
    end = None if m.group(2) == "*" else int(m.group(2))
    total = None if m.group(3) == "*" else int(m.group(3))
    return start, end, total


class SipMessage:
    """A SIP message met on the same stream (MSRP and SIP may alternate on one connection)."""

    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        self.start = lines[0]
        m = re.match(r"SIP/2\.0 (\d{3}) ?(.*)", self.start)
        self.code = int(m.group(1)) if m else None
        self.reason = m.group(2) if m else None
        self.headers = [tuple(x.strip() for x in ln.split(":", 1)) for ln in lines[1:] if ":" in ln]

    def hdr(self, name, default=None):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return default

    def __repr__(self):
        return "<SIP %r>" % self.start


_START_RE = re.compile(rb"^MSRP ([A-Za-z0-9][A-Za-z0-9.\-+%=]{3,31}) "
                       rb"(?:([0-9]{3})(?: (.*))?|([A-Z]+))$")
_CLEN_RE = re.compile(rb"\r\n(?:Content-Length|l)[ \t]*:[ \t]*(\d+)", re.I)


class Parser:
    """Streaming frame reader: feed() bytes as they come, next() returns a Frame, a
    SipMessage or None (more bytes needed). Every byte is searched a bounded number of
    times, and consumed bytes are dropped from the front of the buffer in amortized linear
    time, so the cost is linear in the stream length whatever the read sizes."""

    def __init__(self, max_head=1 << 20):
        self.buf = bytearray()
        self.pos = 0  # start of the first unconsumed byte
        self.max_head = max_head
        self._reset()

    def _reset(self):
        self.frame = None
        self.line = 0  # start of the head line not yet read
        self.body_start = None
        self.scan = 0  # body: where the end-line search resumes

    def feed(self, data):
        self.buf += data

    def pending(self):
        """Bytes received but not yet returned as a message."""
        return len(self.buf) - self.pos

    def _consume(self, end):
        self.pos = end
        self._reset()
        if self.pos == len(self.buf):
            self.buf = bytearray()
            self.pos = 0
        elif self.pos >= 65536 and self.pos * 2 >= len(self.buf):
            del self.buf[:self.pos]
            self.pos = 0

    def next(self):
        buf = self.buf
        if self.frame is None:
            # CRLF keep-alives between messages
            while buf.startswith(b"\r\n", self.pos):
                self.pos += 2
            if len(buf) - self.pos < 5:
                return None
            if not buf.startswith(b"MSRP ", self.pos):
                return self._sip()
            eol = buf.find(b"\r\n", self.pos)
            if eol < 0:
                if len(buf) - self.pos > self.max_head:
                    raise ParseError("start line too long")
                return None
            m = _START_RE.match(bytes(buf[self.pos:eol]))
            if not m:
                raise ParseError("bad start line %r" % bytes(buf[self.pos:eol]))
            tid, code, comment, method = (x.decode("utf-8", "replace") if x is not None else None
                                          for x in m.groups())
            if method is not None:
                self.frame = Frame(tid=tid, method=method)
            else:
                self.frame = Frame(tid=tid, status=int(code), comment=comment or "")
            self.line = eol + 2
        f = self.frame
        if self.body_start is None:
            while True:
                eol = buf.find(b"\r\n", self.line)
                if eol < 0:
                    if len(buf) - self.pos > self.max_head:
                        raise ParseError("header part too long")
                    return None
                if eol == self.line:
                    self.body_start = eol + 2
                    self.scan = eol  # the blank line's CRLF may be the end-line's CRLF
                    break
                line = bytes(buf[self.line:eol])
                if line.startswith(b"-------"):
                    want = b"-------" + f.tid.encode()
                    if (len(line) != len(want) + 1 or not line.startswith(want)
                            or line[-1] not in FLAGS):
                        raise ParseError("end-line %r does not close %s" % (line, f.tid))
                    f.flag = chr(line[-1])
                    f.body = None
                    self._consume(eol + 2)
                    return f
                name, colon, value = line.partition(b":")
                if not colon or not name or name != name.strip():
                    raise ParseError("bad header line %r" % line)
                f.headers.append([name.decode("utf-8", "replace"),
                                  value.strip(b" \t").decode("utf-8", "replace")])
                self.line = eol + 2
        marker = b"\r\n-------" + f.tid.encode()
        while True:
            i = buf.find(marker, self.scan)
            if i < 0:
                self.scan = max(self.scan, len(buf) - len(marker) + 1)
                return None
            j = i + len(marker)
            if len(buf) < j + 3:
                self.scan = i
                return None
            if buf[j] in FLAGS and buf[j + 1] == 13 and buf[j + 2] == 10:
                break
            self.scan = i + 1
        with memoryview(buf) as mv:
            f.body = bytes(mv[self.body_start:max(i, self.body_start)])
        f.flag = chr(buf[j])
        self._consume(j + 3)
        return f

    def _sip(self):
        buf = self.buf
        end = buf.find(b"\r\n\r\n", self.pos)
        if end < 0:
            if len(buf) - self.pos > self.max_head:
                raise ParseError("not MSRP and no SIP head end: %r"
                                 % bytes(buf[self.pos:self.pos + 80]))
            return None
        m = _CLEN_RE.search(buf, self.pos, end + 2)
        total = end + 4 + (int(m.group(1)) if m else 0)
        if len(buf) < total:
            return None
        raw = bytes(buf[self.pos:total])
        self._consume(total)
        return SipMessage(raw)


def parse_frames(data):
    """All complete messages in data (a convenience for tests)."""
    p = Parser()
    p.feed(data)
    out = []
    while True:
        m = p.next()
        if m is None:
            return out, p
        out.append(m)


# --- digest (RFC 2617 as used by RFC 4976) -------------------------------------------------


def parse_challenge(value):
    """'Digest realm="x", nonce="y", qop="auth"' -> {"realm": "x", ...} (keys lower case)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise ValueError("not a Digest challenge: %r" % value)
    out = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', rest):
        out[m.group(1).lower()] = m.group(2) if m.group(2) is not None else m.group(3)
    return out


def _md5(s):
    return hashlib.md5(s.encode("utf-8")).hexdigest()


def digest_response(user, realm, password, method, uri, nonce, nc, cnonce, qop="auth"):
    ha1 = _md5("%s:%s:%s" % (user, realm, password))
    ha2 = _md5("%s:%s" % (method, uri))
    if qop:
        return _md5("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2))
    return _md5("%s:%s:%s" % (ha1, nonce, ha2))


def authorization(challenge, user, password, uri, method="AUTH", nc=1, cnonce=None):
    """The Authorization value answering a parsed challenge (qop=auth, MD5)."""
    cnonce = cnonce or secrets.token_hex(8)
    ncs = "%08x" % nc
    realm, nonce = challenge["realm"], challenge["nonce"]
    qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
    qop = "auth" if "auth" in qops else None
    resp = digest_response(user, realm, password, method, uri, nonce, ncs, cnonce, qop)
    v = 'Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s"' % (
        user, realm, nonce, uri, resp)
    if "algorithm" in challenge:
        v += ", algorithm=%s" % challenge["algorithm"]
    if qop:
        v += ', qop=%s, nc=%s, cnonce="%s"' % (qop, ncs, cnonce)
    if "opaque" in challenge:
        v += ', opaque="%s"' % challenge["opaque"]
    return v


AuthResult = collections.namedtuple("AuthResult", "frame use_path expires challenge")


# --- reassembly ---------------------------------------------------------------------------


class Message:
    """A message reassembled from its chunks. data is the body (None when the receiver
    keeps digests only), sha256 its hex digest once complete."""

    def __init__(self, msgid, keep):
        self.msgid = msgid
        self.keep = keep
        self.data = bytearray() if keep else None
        self.total = None
        self.received = 0
        self.next_off = 0  # for the running digest: bytes hashed so far
        self.hasher = hashlib.sha256()
        self.in_order = True
        self.chunks = 0
        self.first = None  # first chunk frame, body dropped
        self.last = None  # last chunk frame, body dropped
        self.complete = False
        self.aborted = False
        self.sha256 = None

    def add(self, f):
        body = f.body if f.body is not None else b""
        br = f.byte_range
        start, end, total = br if br is not None else (1, None, None)
        off = start - 1
        if end is None:
            end = start + len(body) - 1
        if total is not None:
            self.total = total
        if self.keep:
            if off == len(self.data):
                self.data += body
            else:
                if len(self.data) < off + len(body):
                    self.data.extend(bytes(off + len(body) - len(self.data)))
                self.data[off:off + len(body)] = body
        if off == self.next_off:
            self.hasher.update(body)
            self.next_off += len(body)
        else:
            self.in_order = False
        self.received += len(body)
        self.chunks += 1
        head = Frame(tid=f.tid, method=f.method, headers=f.headers, flag=f.flag)
        if self.first is None:
            self.first = head
        self.last = head
        if f.flag == "#":
            self.aborted = True
        if f.flag == "$":
            if self.total is None:
                self.total = end
            if self.received >= self.total:
                self.complete = True
                if self.in_order:
                    self.sha256 = self.hasher.hexdigest()
                elif self.keep:
                    self.sha256 = hashlib.sha256(self.data[:self.total]).hexdigest()

    @property
    def body(self):
        return bytes(self.data[:self.total]) if self.keep and self.total is not None else None

    def __repr__(self):
        state = " complete" if self.complete else ""
        return "<Message %s %d/%s chunks=%d%s>" % (self.msgid, self.received, self.total,
                                                    self.chunks, state)


# --- client -------------------------------------------------------------------------------


SentMessage = collections.namedtuple("SentMessage", "message_id tids frames")


class Client:
    """One MSRP connection. recv/expect return Frames (or a SipMessage when SIP comes on
    the same stream). With start() a background thread reads, answers SENDs (if answer is
    a status code) and reassembles messages; recv then takes frames from its queue."""

    def __init__(self, host, port, timeout=5.0, session=None, sock=None):
        if sock is None:
            sock = socket.create_connection((unbracket(host), port), timeout=timeout)
        self.sock = sock
        self.sock.settimeout(None)  # blocking; waits go through select()
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.send_timeout = 30.0
        lhost, lport = self.sock.getsockname()[:2]
        self.uri = make_uri(lhost, lport, session or new_session_id())
        self.parser = Parser()
        self.send_lock = threading.Lock()
        self.pending = collections.deque()  # read but not yet taken by recv/expect
        self.cond = threading.Condition()
        self.queue = collections.deque()  # background mode: frames read by the thread
        self.thread = None
        self.stopping = False
        self.error = None
        self.eof = False
        self.answer = None  # status code answered to each SEND, None: do not answer
        self.keep_bodies = True
        self.messages = {}  # Message-ID -> Message
        self.completed = collections.deque()  # Message-IDs completed, in order
        self.use_path = []
        self.sent_bytes = 0

    # sending

    def _sendall(self, data):
        mv = memoryview(data).cast("B")
        off = 0
        deadline = time.monotonic() + self.send_timeout
        while off < len(mv):
            try:
                n = self.sock.send(mv[off:off + SEND_PIECE], socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("send stalled for %.0f s" % self.send_timeout)
                select.select([], [self.sock], [], min(left, 1.0))
                continue
            off += n
            self.sent_bytes += n
            deadline = time.monotonic() + self.send_timeout

    def send_raw(self, data):
        with self.send_lock:
            self._sendall(data)

    def send(self, frame):
        with self.send_lock:
            for p in frame.parts():
                self._sendall(p)
        return frame

    # receiving

    def _read_more(self, deadline):
        """One recv into the parser; False on timeout or EOF."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        try:
            data = self.sock.recv(RECV_PIECE)
        except (ConnectionResetError, BlockingIOError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.parser.feed(data)
        return True

    def _read_one(self, deadline):
        while True:
            m = self.parser.next()
            if m is not None:
                self._handle(m)
                return m
            if self.eof or not self._read_more(deadline):
                return None

    def _next(self, deadline):
        if self.thread is None:
            return self._read_one(deadline)
        with self.cond:
            while not self.queue:
                if self.error is not None:
                    raise self.error
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    return None
                self.cond.wait(left)
            return self.queue.popleft()

    def recv(self, timeout=2.0):
        """The next frame (or SipMessage), or None after timeout / at EOF."""
        if self.pending:
            return self.pending.popleft()
        return self._next(time.monotonic() + timeout)

    def expect(self, pred, timeout=2.0):
        """The first message satisfying pred (frames read before it are kept for later
        recv/expect calls), or None."""
        for i, m in enumerate(self.pending):
            if pred(m):
                del self.pending[i]
                return m
        deadline = time.monotonic() + timeout
        while True:
            m = self._next(deadline)
            if m is None:
                return None
            if pred(m):
                return m
            self.pending.append(m)

    def expect_response(self, tid, timeout=2.0):
        return self.expect(lambda m: isinstance(m, Frame) and not m.is_request and m.tid == tid,
                           timeout)

    def expect_request(self, method=None, timeout=2.0, pred=None):
        def ok(m):
            return (isinstance(m, Frame) and m.is_request
                    and (method is None or m.method == method) and (pred is None or pred(m)))
        return self.expect(ok, timeout)

    def drain(self, timeout=0.3):
        """Every message arriving within timeout (plus those kept back)."""
        out = list(self.pending)
        self.pending.clear()
        deadline = time.monotonic() + timeout
        while True:
            m = self._next(deadline)
            if m is None:
                return out
            out.append(m)

    def closed(self, timeout=2.0):
        """True when the peer closed the connection within timeout."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            if self.thread is not None:
                time.sleep(0.02)
                if time.monotonic() > deadline:
                    break
                continue
            m = self._read_one(deadline)
            if m is not None:
                self.pending.append(m)
            elif not self.eof:
                break
        return self.eof

    # background reader

    def start(self, answer=200, keep_bodies=True, queue_sends=True):
        """Reads in a thread from now on. answer: status code sent for each SEND (None: no
        answer); keep_bodies False keeps only digests of messages (big transfers);
        queue_sends False keeps SEND frames out of the recv queue."""
        self.answer = answer
        self.keep_bodies = keep_bodies
        self.queue_sends = queue_sends
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def _loop(self):
        try:
            while not self.stopping:
                m = self._read_one(time.monotonic() + 0.2)
                if m is None:
                    if self.eof:
                        break
                    continue
                if (isinstance(m, Frame) and m.method == "SEND" and not self.queue_sends):
                    continue
                if not self.keep_bodies and isinstance(m, Frame) and m.method == "SEND":
                    m.body = None
                with self.cond:
                    self.queue.append(m)
                    self.cond.notify_all()
        except Exception as e:  # noqa: BLE001 - handed to the test thread
            self.error = e
        with self.cond:
            self.cond.notify_all()

    def _handle(self, m):
        """Per incoming frame: reassembly and the answer to SEND."""
        if not isinstance(m, Frame) or m.method != "SEND":
            return
        if self.answer is not None:
            fr = (m.hdr("Failure-Report") or "yes").strip().lower()
            if fr == "yes" or (fr == "partial" and self.answer >= 300):
                self.respond(m, self.answer)
        msgid = m.message_id
        if msgid is None:
            return
        with self.cond:
            msg = self.messages.get(msgid)
            if msg is None:
                msg = self.messages[msgid] = Message(msgid, self.keep_bodies)
            msg.add(m)
            if m.flag == "+" or not msg.complete:
                return
            self.completed.append(msgid)
            self.cond.notify_all()

    def wait_message(self, msgid=None, timeout=5.0):
        """The complete Message with that Message-ID (or the next one completed), or None.
        In foreground mode this reads the socket while waiting."""
        deadline = time.monotonic() + timeout
        while True:
            with self.cond:
                if msgid is None and self.completed:
                    return self.messages[self.completed.popleft()]
                msg = self.messages.get(msgid) if msgid is not None else None
                if msg is not None and msg.complete:
                    if msgid in self.completed:
                        self.completed.remove(msgid)
                    return msg
                if self.thread is not None:
                    if self.error is not None:
                        raise self.error
                    left = deadline - time.monotonic()
                    if left <= 0 or self.eof:
                        return None
                    self.cond.wait(min(left, 0.2))
                    continue
            m = self._read_one(deadline)
            if m is None:
                return None
            self.pending.append(m)

    def stop(self):
        self.stopping = True
        if self.thread is not None:
            self.thread.join(timeout=2)

    def close(self):
        self.stop()
        try:
            self.sock.close()
        except OSError:
            pass

    # requests and responses

    def request(self, method, to_path, from_path=None, headers=(), body=None,
                content_type=None, tid=None):
        f = Frame.request(method, to_path, from_path or [self.uri], headers, body,
                          content_type, tid)
        return self.send(f)

    def transact(self, frame, timeout=2.0):
        """Sends frame and returns the response with its transaction id (or None)."""
        self.send(frame)
        return self.expect_response(frame.tid, timeout)

    def respond(self, req, status, comment=None, headers=()):
        """The response to req (RFC 4975 §7.2): To-Path the previous hop only for SEND,
        the whole From-Path otherwise; From-Path the first To-Path URI of req."""
        comment = comment if comment is not None else _REASONS.get(status, "")
        fp = req.from_path
        to = fp[:1] if req.method == "SEND" else fp
        return self.send(Frame.response(req.tid, status, comment, to, req.to_path[:1], headers))

    def report(self, req, code=200, text="OK", byte_range=None):
        """A REPORT for the SEND req (or a Message's last frame): To-Path = its From-Path,
        From-Path = this endpoint, Message-ID, Byte-Range, Status: 000 code text."""
        if isinstance(req, Message):
            byte_range = byte_range or "1-%d/%d" % (req.total, req.total)
            req = req.last
        if byte_range is None:
            s, e, t = req.byte_range
            byte_range = "%d-%s/%s" % (s, "*" if e is None else e, "*" if t is None else t)
        hs = [("Message-ID", req.message_id), ("Byte-Range", byte_range),
              ("Status", "000 %03d %s" % (code, text))]
        return self.request("REPORT", req.from_path, req.to_path[-1:], hs)

    def auth(self, relay_uri, user, password, expires=None, timeout=3.0):
        """AUTH per RFC 4976: the first AUTH draws a 401, the second carries the digest
        (method AUTH, digest-uri = relay_uri). Expires, when given, goes in both. Returns
        AuthResult(frame, use_path list, expires int, challenge 401 frame); frame is the
        last response (not necessarily 200), or raises TimeoutError without one."""
        extra = [("Expires", str(expires))] if expires is not None else []
        r1 = self.transact(Frame.request("AUTH", [relay_uri], [self.uri], extra), timeout)
        if r1 is None:
            raise TimeoutError("no response to AUTH")
        if r1.status != 401:
            return self._auth_result(r1, None)
        ch = parse_challenge(r1.hdr("WWW-Authenticate", ""))
        hs = [("Authorization", authorization(ch, user, password, relay_uri))] + extra
        r2 = self.transact(Frame.request("AUTH", [relay_uri], [self.uri], hs), timeout)
        if r2 is None:
            raise TimeoutError("no response to the AUTH with credentials")
        return self._auth_result(r2, r1)

    def _auth_result(self, r, challenge):
        use_path, expires = [], None
        if r.status == 200:
            use_path = split_path(r.hdr("Use-Path"))
            e = r.hdr("Expires")
            expires = int(e) if e is not None and e.strip().isdigit() else None
            self.use_path = use_path
        return AuthResult(r, use_path, expires, challenge)

    def send_message(self, to_path, from_path=None, body=b"", chunk_size=None,
                     failure_report=None, success_report=None, content_type="text/plain",
                     message_id=None, headers=()):
        """Sends body as one SEND or as chunks of chunk_size bytes (Byte-Range, '+' on all
        but the last). The body is never copied. Returns SentMessage(message_id, tids,
        frames without bodies)."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        mv = memoryview(body).cast("B")
        total = len(mv)
        msgid = message_id or new_message_id()
        step = chunk_size or max(total, 1)
        tids, frames = [], []
        off = 0
        while True:
            piece = mv[off:off + step]
            last = off + len(piece) >= total
            hs = [("Message-ID", msgid)]
            if success_report is not None:
                hs.append(("Success-Report", success_report))
            if failure_report is not None:
                hs.append(("Failure-Report", failure_report))
            hs.append(("Byte-Range", "%d-%d/%d" % (off + 1, off + len(piece), total)))
            hs += list(headers)
            f = Frame.request("SEND", to_path, from_path or [self.uri], hs,
                              piece if total else None, content_type if total else None,
                              flag="$" if last else "+")
            self.send(f)
            tids.append(f.tid)
            frames.append(Frame(tid=f.tid, method="SEND", headers=f.headers, flag=f.flag))
            off += len(piece)
            if last:
                break
        return SentMessage(msgid, tids, frames)


_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 408: "Request Timeout",
            413: "Stop Sending Message", 415: "Unsupported Media Type",
            423: "Interval Out-of-Bounds", 481: "Session Does Not Exist",
            501: "Unknown Method", 506: "Wrong Session"}


def pair():
    """Two Clients joined by a socketpair (tests of the client itself)."""
    a, b = socket.socketpair()
    return Client(None, None, sock=_Named(a, "127.0.0.1", 1)), Client(None, None,
                                                                     sock=_Named(b, "127.0.0.1", 2))


class _Named:
    """A socketpair end that answers getsockname() like a TCP socket."""

    def __init__(self, sock, host, port):
        self._sock, self._name = sock, (host, port)

    def getsockname(self):
        return self._name

    def setsockopt(self, *a):
        raise OSError("not TCP")

    def __getattr__(self, name):
        return getattr(self._sock, name)
