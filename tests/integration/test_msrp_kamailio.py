# SPDX-License-Identifier: GPL-2.0-or-later
"""korero's Kamailio-compatible MSRP interface against the real binary: msrp_cmap_save(),
msrp_cmap_lookup(), msrp_relay(), msrp_reply(), msrp_forward(), msrp_set_dst(), the flags,
$msrp(key), {msrpuri.*}, large frames, the msrp.* RPC commands and statistics. Configs are
written the way Kamailio operators write them; each test asserts on the frames seen on the
wire by its MSRP clients and by plain listening sockets standing in for further hops, and
checks that the known defects of Kamailio's module (see shared/reference/msrp.md) are not
repeated."""
import json
import os
import re
import socket
import subprocess
import time

import pytest

import msrpclient as mc
from conftest import free_port

HEAD = """
debug=2
children=2
tcp_accept_no_cl=yes
tcp_connection_lifetime=3605
listen=tcp:@HOSTPORT@
loadmodule "sl.so"
loadmodule "ctl.so"
loadmodule "xlog.so"
loadmodule "msrp.so"
modparam("ctl", "binrpc", "unix:@CTL@")
modparam("msrp", "cmap_size", 10)
modparam("msrp", "auth_min_expires", 60)
modparam("msrp", "auth_max_expires", 1800)
@PARAMS@
request_route {
    sl_send_reply("404", "Not Here");
}
event_route[msrp:frame-in] {
@ROUTE@
}
"""

# The Kamailio-style relay of the spec (no digest): it runs unchanged on Kamailio 5.6.
KAMAILIO_RELAY = r"""
    msrp_reply_flags("1");
    if (msrp_is_reply()) { msrp_relay(); exit; }
    if ($msrp(method) == "AUTH") { msrp_cmap_save(); exit; }
    if ($msrp(method) == "SEND" || $msrp(method) == "REPORT") {
        if (msrp_cmap_lookup()) { msrp_relay(); }
        else { msrp_reply("481", "Session-does-not-exist"); }
        exit;
    }
    msrp_relay();
"""

# Kamailio's predictable cmap session id: msrp-<hex time>-<hex pid>-<counter>.
KAMAILIO_SESSID = re.compile(r"^msrp-[0-9a-fA-F]+-[0-9a-fA-F]+-\d+$")


def echo_reply(pairs):
    """The script line msrp_reply("200", "OK", "<Name: expression CRLF>...") for (name,
    expression) pairs: pseudo-variables echoed back in header lines."""
    return 'msrp_reply("200", "OK", "%s");' % "".join("%s: %s\\r\\n" % p for p in pairs)


# Answers a NICKNAME addressed to the relay itself with some of $msrp() (put in front of
# a relay script).
ECHO_NICKNAME = """
    if ($msrp(method) == "NICKNAME" && $msrp(nexthops) == 0) {
        %s
        exit;
    }
""" % echo_reply([("X-Conid", "$msrp(conid)"), ("X-Srcaddr", "$msrp(srcaddr)"),
                  ("X-Srcsock", "$msrp(srcsock)"),
                  ("X-Prevhost", "$(msrp(prevhop){msrpuri.host})")])


class Net:
    """The relays, clients and listening hops of one test; all closed at the end."""

    def __init__(self, korero):
        self.korero = korero
        self.clients = []
        self.socks = []

    def relay(self, route=KAMAILIO_RELAY, params="", host="127.0.0.1", use_path=True,
              port=None, **kw):
        port = port or free_port(host)
        hostport = "%s:%d" % (mc.bracket(host), port)
        if use_path:
            params = 'modparam("msrp", "use_path_addr", "%s")\n' % hostport + params
        cfg = (HEAD.replace("@PARAMS@", params).replace("@ROUTE@", route)
               .replace("@HOSTPORT@", hostport).replace("@PORT@", str(port)))
        kw.setdefault("probe", ("tcp", host, port))
        k = self.korero(cfg, **kw)
        k.host, k.port = host, port
        k.uri = mc.make_uri(host, port)
        return k

    def client(self, k):
        c = mc.Client(k.host, k.port)
        self.clients.append(c)
        return c

    def login(self, k, expires=None):
        """A client with a cmap session: AUTH answered 200 by msrp_cmap_save()."""
        c = self.client(k)
        r = c.auth(k.uri, "nobody", "", expires=expires)
        assert r.frame.status == 200, r.frame
        assert len(r.use_path) == 1, r.use_path
        c.sess = r.use_path[0]
        c.sid = mc.parse_uri(c.sess).session
        return c

    def hop(self, host="127.0.0.1"):
        """A listening socket standing for a further hop (it never answers)."""
        h = Hop(host)
        self.socks.append(h)
        return h

    def close(self):
        for c in self.clients:
            c.close()
        for s in self.socks:
            s.close()


class Hop:
    """A TCP listener; accept() takes korero's connection, frame() reads what came."""

    def __init__(self, host):
        self.ls = socket.socket(mc.family_of(host), socket.SOCK_STREAM)
        self.ls.bind((host, 0))
        self.ls.listen(4)
        self.port = self.ls.getsockname()[1]
        self.uri = mc.make_uri(host, self.port, "hop" + mc.new_session_id(8))
        self.conn = None
        self.parser = mc.Parser()
        self.eof = False

    def accept(self, timeout=3.0):
        """True when korero connected within timeout."""
        if self.conn is not None:
            return True
        self.ls.settimeout(timeout)
        try:
            self.conn, _ = self.ls.accept()
        except socket.timeout:
            return False
        return True

    def frame(self, timeout=3.0):
        """The next frame on the accepted connection, or None (timeout or EOF)."""
        if not self.accept(timeout):
            return None
        deadline = time.monotonic() + timeout
        while True:
            m = self.parser.next()
            if m is not None:
                return m
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                return None
            self.conn.settimeout(left)
            try:
                data = self.conn.recv(1 << 20)
            except socket.timeout:
                return None
            if not data:
                self.eof = True
                continue
            self.parser.feed(data)

    def close(self):
        for s in (self.conn, self.ls):
            if s is not None:
                s.close()


@pytest.fixture
def net(korero):
    n = Net(korero)
    yield n
    n.close()


def assert_random_session_id(sid):
    """At least 128 random bits (32 hex digits or 22 base64url characters), and not
    Kamailio's msrp-<time>-<pid>-<n>."""
    assert not KAMAILIO_SESSID.match(sid), sid
    if re.fullmatch(r"[0-9a-fA-F]+", sid):
        assert len(sid) >= 32, sid
    else:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", sid), sid


def header_names(f):
    return [n for n, _ in f.headers]


def wait_log(k, pattern, timeout=3.0):
    """The first match of pattern in korero's log, polled until timeout."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while True:
        m = rx.search(k.logtext())
        if m or time.monotonic() > deadline:
            return m
        time.sleep(0.05)


def responses(c, timeout=0.4):
    return [m for m in c.drain(timeout) if isinstance(m, mc.Frame) and not m.is_request]


def alive(c, k):
    """The connection still carries frames: a fresh AUTH is answered."""
    r = c.transact(mc.Frame.request("AUTH", [k.uri], [c.uri]), timeout=3)
    return r is not None and r.status in (200, 401)


# --- msrp_cmap_save() ----------------------------------------------------------------------


def test_cmap_save_200_use_path_expires(net):
    k = net.relay()
    c = net.client(k)
    req = mc.Frame.request("AUTH", [k.uri], [c.uri])
    r = c.transact(req, timeout=3)
    assert r is not None
    assert (r.tid, r.status, r.comment) == (req.tid, 200, "OK")
    assert r.to_path == [c.uri] and r.from_path == [k.uri]
    assert r.hdr("Expires") == "1800"  # no Expires asked: auth_max_expires
    use = mc.split_path(r.hdr("Use-Path"))
    assert len(use) == 1
    u = mc.parse_uri(use[0])
    assert (u.scheme, u.host, u.port, u.transport) == ("msrp", "127.0.0.1", k.port, "tcp")
    assert use[0] == "msrp://127.0.0.1:%d/%s;tcp" % (k.port, u.session)
    assert_random_session_id(u.session)

    # a refresh (same connection, same From-Path) keeps the id and takes the new Expires
    r2 = c.transact(mc.Frame.request("AUTH", [k.uri], [c.uri], [("Expires", "600")]))
    assert r2.status == 200 and r2.hdr("Expires") == "600"
    assert r2.hdr("Use-Path") == use[0]
    one = json.loads(k.korctl("msrp.session", u.session).stdout)
    assert one["EXPIRES"] - one["CREATED"] in (600, 601)
    # every other endpoint gets a new unrelated id (Kamailio: a counter)
    ids = {u.session}
    lhost, lport = c.sock.getsockname()[:2]
    for i in range(5):
        me = mc.make_uri(lhost, lport, "other%d" % i)
        r3 = c.transact(mc.Frame.request("AUTH", [k.uri], [me]))
        assert r3.status == 200 and r3.to_path == [me]
        sid = mc.parse_uri(r3.hdr("Use-Path")).session
        assert_random_session_id(sid)
        ids.add(sid)
    assert len(ids) == 6
    # the bounds themselves are accepted
    for e in ("60", "1800"):
        r4 = c.transact(mc.Frame.request("AUTH", [k.uri], [c.uri], [("Expires", e)]))
        assert r4.status == 200 and r4.hdr("Expires") == e


@pytest.mark.parametrize("expires,hdr,value", [("10", "Min-Expires", "60"),
                                               ("100000", "Max-Expires", "1800")])
def test_cmap_save_423(net, expires, hdr, value):
    """Too small: Min-Expires; too large: Max-Expires (Kamailio 5.6 sends uninitialised
    memory as headers here); nothing else besides the paths."""
    k = net.relay()
    c = net.client(k)
    req = mc.Frame.request("AUTH", [k.uri], [c.uri], [("Expires", expires)])
    r = c.transact(req, timeout=3)
    assert r is not None and r.status == 423
    assert r.to_path == [c.uri] and r.from_path == [k.uri]
    assert header_names(r) == ["To-Path", "From-Path", hdr]
    assert r.hdr(hdr) == value
    assert r.hdr("Use-Path") is None
    assert k.korctl("msrp.cmaplist").stdout.count("SESSIONID") == 0


def test_use_path_addr_host_port(net):
    """use_path_addr is the host:port of Use-Path; the session works through it."""
    k = net.relay(use_path=False,
                  params='modparam("msrp", "use_path_addr", "relay.example.net:2855")\n')
    alice, bob = net.login(k), net.login(k)
    assert re.fullmatch(r"msrp://relay\.example\.net:2855/[^/;]+;tcp", alice.sess), alice.sess
    sent = bob.send_message([alice.sess, alice.uri], None, b"via the advertised name")
    f = alice.expect_request("SEND", timeout=3)
    assert f is not None and f.body == b"via the advertised name"
    assert f.tid == sent.tids[0]
    assert f.to_path == [alice.uri] and f.from_path == [alice.sess, bob.uri]


def test_use_path_addr_with_scheme_refused(net):
    """Kamailio's README example writes msrp:// and gets Use-Path: msrp://msrp://...;
    korero refuses to start and says which parameter is wrong."""
    port = free_port()
    k = net.relay(use_path=False, port=port, wait=False,
                  params='modparam("msrp", "use_path_addr", "msrp://127.0.0.1:%d")\n' % port)
    try:
        rc = k.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("korero started with use_path_addr msrp://...:\n" + k.logtext())
    assert rc != 0
    log = k.logtext()
    assert "use_path_addr" in log, log
    assert "msrp://" in log, log


# --- msrp_cmap_lookup() + msrp_relay() -----------------------------------------------------


def test_lookup_relay_to_peer_and_reply_back(net):
    k = net.relay()
    alice, bob = net.login(k), net.login(k)
    sent = alice.send_message([bob.sess, bob.uri], None, "Hello Bob \u2603",
                              headers=[("X-Extra", "kept")])
    f = bob.expect_request("SEND", timeout=3)
    assert f is not None
    assert f.tid == sent.tids[0]  # Kamailio keeps the transaction id
    assert f.to_path == [bob.uri]
    assert f.from_path == [bob.sess, alice.uri]
    assert f.body == "Hello Bob \u2603".encode()
    assert f.message_id == sent.message_id
    assert f.hdr("Byte-Range") == sent.frames[0].hdr("Byte-Range")
    assert f.hdr("Content-Type") == "text/plain"
    assert f.hdr("X-Extra") == "kept"
    # the script relays, it does not answer SEND itself
    assert responses(alice, 0.3) == []
    # bob answers end-to-end; the script relays the reply: msrp_is_reply() + msrp_relay()
    bob.send(mc.Frame.response(f.tid, 200, "OK", f.from_path, [bob.uri]))
    r = alice.expect_response(sent.tids[0], timeout=3)
    assert r is not None and (r.status, r.comment) == (200, "OK")
    assert r.to_path == [alice.uri]
    assert r.from_path == [bob.sess, bob.uri]
    # the other way, and a REPORT
    back = bob.send_message([alice.sess, alice.uri], None, b"Hi Alice")
    g = alice.expect_request("SEND", timeout=3)
    assert g is not None and g.body == b"Hi Alice" and g.tid == back.tids[0]
    assert g.to_path == [alice.uri] and g.from_path == [alice.sess, bob.uri]
    rep = alice.report(g, 200, "OK")
    rr = bob.expect_request("REPORT", timeout=3)
    assert rr is not None and rr.tid == rep.tid
    assert rr.report_status == (0, 200, "OK") and rr.message_id == back.message_id
    # alice addressed it through her own session: it went on to bob.uri (bob's connection)
    assert rr.to_path == [bob.uri] and rr.from_path == [alice.sess, alice.uri]


def test_lookup_owner_frame_goes_to_next_hop(net):
    """Kamailio's lookup is direction-blind: the owner's own frame came back to the owner.
    Here it goes on to the next To-Path hop (a new connection)."""
    k = net.relay()
    hop = net.hop()
    alice = net.login(k)
    sent = alice.send_message([alice.sess, hop.uri], None, b"onwards")
    f = hop.frame()
    assert f is not None and f.method == "SEND"
    assert f.tid == sent.tids[0]
    assert f.to_path == [hop.uri]
    assert f.from_path == [alice.sess, alice.uri]
    assert f.body == b"onwards"
    assert [m for m in alice.drain(0.5) if isinstance(m, mc.Frame)] == []
    # the connection to the hop is reused
    sent2 = alice.send_message([alice.sess, hop.uri], None, b"again")
    f2 = hop.frame()
    assert f2 is not None and f2.tid == sent2.tids[0] and f2.body == b"again"


def test_lookup_unknown_session_481(net):
    k = net.relay()
    alice = net.login(k)
    bogus = mc.make_uri(k.host, k.port, "A" * 22)
    sent = alice.send_message([bogus, alice.uri], None, b"x")
    r = alice.expect_response(sent.tids[0], timeout=3)
    assert r is not None and (r.status, r.comment) == (481, "Session-does-not-exist")
    assert r.to_path == [alice.uri] and r.from_path == [bogus]
    assert r.message_id == sent.message_id


def test_ipv6_cmap_save_and_lookup(net):
    """Kamailio stores IPv6 sources without brackets and answers 481 to every lookup."""
    try:
        free_port("::1")
    except (OSError, RuntimeError):
        pytest.skip("::1 cannot be bound")
    route = ECHO_NICKNAME + KAMAILIO_RELAY
    k = net.relay(route, host="::1", use_path=False)
    alice, bob = net.login(k), net.login(k)
    assert alice.sess.startswith("msrp://[::1]:%d/" % k.port), alice.sess
    assert alice.uri.startswith("msrp://[::1]:")
    sent = alice.send_message([bob.sess, bob.uri], None, b"over v6")
    f = bob.expect_request("SEND", timeout=3)
    assert f is not None, alice.drain(0.3)
    assert f.body == b"over v6" and f.tid == sent.tids[0]
    assert f.from_path == [bob.sess, alice.uri]
    back = bob.send_message([alice.sess, alice.uri], None, b"and back")
    g = alice.expect_request("SEND", timeout=3)
    assert g is not None and g.body == b"and back" and g.tid == back.tids[0]
    assert responses(bob, 0.3) == []  # no 481
    # the owner's frame to an IPv6 next hop
    hop = net.hop("::1")
    sent = alice.send_message([alice.sess, hop.uri], None, b"v6 hop")
    f = hop.frame()
    assert f is not None and f.tid == sent.tids[0] and f.from_path == [alice.sess, alice.uri]
    # addresses in $msrp() and in the RPC carry their brackets
    lport = alice.sock.getsockname()[1]
    r = alice.transact(mc.Frame.request("NICKNAME", [k.uri], [alice.uri]), timeout=3)
    assert r.hdr("X-Srcaddr") == "msrp://[::1]:%d" % lport
    assert r.hdr("X-Srcsock") == "tcp:[::1]:%d" % k.port
    assert r.hdr("X-Prevhost") == "[::1]"
    one = json.loads(k.korctl("msrp.session", alice.sid).stdout)
    assert one["ADDR"] == "[::1]:%d" % lport


def test_cmap_session_ends_with_its_connection(net):
    k = net.relay()
    alice, bob = net.login(k), net.login(k)
    bob.send_message([alice.sess, alice.uri], None, b"still there?")
    assert alice.expect_request("SEND", timeout=3) is not None
    alice.close()
    deadline = time.monotonic() + 3
    while alice.sid in k.korctl("msrp.cmaplist").stdout:
        assert time.monotonic() < deadline, "session listed after its connection closed"
        time.sleep(0.05)
    sent = bob.send_message([alice.sess, alice.uri], None, b"gone?")
    r = bob.expect_response(sent.tids[0], timeout=3)
    assert r is not None and r.status == 481


def test_cmap_session_expires(net):
    """An expired session is refused at once (Kamailio keeps it until its timer runs)."""
    k = net.relay(params='modparam("msrp", "auth_min_expires", 1)\n')
    alice, bob = net.login(k, expires=1), net.login(k)
    assert alice.sid in k.korctl("msrp.cmaplist").stdout
    time.sleep(2.2)
    sent = bob.send_message([alice.sess, alice.uri], None, b"too late")
    r = bob.expect_response(sent.tids[0], timeout=3)
    assert r is not None and r.status == 481
    assert alice.expect_request("SEND", timeout=0.3) is None


# --- msrp_reply() ------------------------------------------------------------------------


REPLY_ROUTE = r"""
    if (msrp_is_reply()) { exit; }
    if ($msrp(method) == "SEND") {
        msrp_reply("299", "Custom Answer", "X-One: 1\r\nX-Two: two words\r\n");
        exit;
    }
    msrp_reply("298", "Other Answer");
"""


def test_msrp_reply(net):
    k = net.relay(REPLY_ROUTE)
    c = net.client(k)
    far = "msrp://far.example.com:2855/far1;tcp"
    nxt = "msrp://next.example.com:2855/nx1;tcp"
    send = c.send(mc.Frame.request("SEND", [k.uri, nxt], [c.uri, far],
                                   [("Message-ID", "mid-1"), ("Byte-Range", "1-2/2")], b"hi",
                                   "text/plain"))
    r = c.expect_response(send.tid, timeout=3)
    assert r is not None
    assert r.start_line() == "MSRP %s 299 Custom Answer" % send.tid
    assert r.to_path == [c.uri]  # SEND: the previous hop only
    assert r.from_path == [k.uri]
    assert r.message_id == "mid-1"
    assert r.hdr("X-One") == "1" and r.hdr("X-Two") == "two words"
    assert r.body is None

    nick = c.send(mc.Frame.request("NICKNAME", [k.uri, nxt], [c.uri, far],
                                   [("Use-Nickname", '"C"')]))
    r = c.expect_response(nick.tid, timeout=3)
    assert r is not None
    assert r.start_line() == "MSRP %s 298 Other Answer" % nick.tid
    assert r.to_path == [c.uri, far]  # other methods: the whole From-Path
    assert r.from_path == [k.uri]
    assert header_names(r) == ["To-Path", "From-Path"]

    # nothing for a REPORT nor for a response
    rep = c.send(mc.Frame.request("REPORT", [k.uri], [c.uri],
                                  [("Message-ID", "mid-1"), ("Byte-Range", "1-2/2"),
                                   ("Status", "000 200 OK")]))
    c.send(mc.Frame.response(mc.new_tid(), 200, "OK", [k.uri], [c.uri]))
    last = c.send(mc.Frame.request("NICKNAME", [k.uri], [c.uri]))
    got = responses(c, 1.0)
    assert [m.tid for m in got] == [last.tid], got
    assert rep.tid not in [m.tid for m in got]


def test_msrp_reply_hdrs_without_final_crlf(net):
    route = r"""
    if (msrp_is_reply()) { exit; }
    msrp_reply("200", "OK", "X-First: 1\r\nX-Last: 3");
"""
    k = net.relay(route)
    c = net.client(k)
    req = c.send(mc.Frame.request("NICKNAME", [k.uri], [c.uri]))
    r = c.expect_response(req.tid, timeout=2)
    assert r is not None
    assert r.hdr("X-First") == "1" and r.hdr("X-Last") == "3"
    assert alive(c, k)


def test_is_request_is_reply(net):
    route = r"""
    $var(kind) = "";
    if (msrp_is_request()) { $var(kind) = $var(kind) + "request"; }
    if (msrp_is_reply()) { $var(kind) = $var(kind) + "reply"; }
    if (msrp_is_request()) {
        msrp_reply("200", "OK", "X-Kind: $var(kind)\r\n");
        exit;
    }
    xlog("L_INFO", "KIND [$var(kind)] $msrp(transid) $msrp(code) [$msrp(reason)]\n");
"""
    k = net.relay(route)
    c = net.client(k)
    for method in ("SEND", "AUTH", "FOO"):
        req = c.send(mc.Frame.request(method, [k.uri], [c.uri]))
        r = c.expect_response(req.tid, timeout=3)
        assert r is not None and r.hdr("X-Kind") == "request", (method, r)
    tid = mc.new_tid()
    c.send(mc.Frame.response(tid, 202, "Fine Thanks", [k.uri], [c.uri]))
    m = wait_log(k, r"KIND \[(.*?)\] %s (\S+) \[(.*?)\]" % tid)
    assert m is not None, k.logtext()
    assert m.groups() == ("reply", "202", "Fine Thanks")
    assert responses(c, 0.3) == []


# --- msrp_set_dst(), flags, msrp_forward() ----------------------------------------------------


def test_set_dst(net):
    """The script picks the next hop and the local socket; the To-Path hop is ignored."""
    hop = net.hop()
    route = r"""
    if (msrp_is_reply()) { exit; }
    if ($hdr(X-Nosock) == "1") {
        if (!msrp_set_dst("msrp://127.0.0.1:%d")) { msrp_reply("500", "Bad Address"); exit; }
        if (!msrp_relay()) { msrp_reply("502", "Relay Failed"); }
        exit;
    }
    if (!msrp_set_dst("msrp://127.0.0.1:%d", "$hdr(X-Sock)")) {
        msrp_reply("500", "No Such Socket");
        exit;
    }
    if (!msrp_relay()) { msrp_reply("502", "Relay Failed"); }
""" % (hop.port, hop.port)
    k = net.relay(route)
    c = net.client(k)
    nowhere = "msrp://192.0.2.1:9/never;tcp"
    req = c.send(mc.Frame.request("SEND", [k.uri, nowhere], [c.uri],
                                  [("Message-ID", "m1"), ("X-Sock", "tcp:127.0.0.1:%d" % k.port)],
                                  b"chosen hop", "text/plain"))
    f = hop.frame()
    assert f is not None and f.tid == req.tid
    assert f.to_path == [nowhere] and f.from_path == [k.uri, c.uri]
    assert f.body == b"chosen hop"
    req = c.send(mc.Frame.request("SEND", [k.uri, nowhere], [c.uri],
                                  [("Message-ID", "m2"), ("X-Sock", "tcp:10.255.255.1:5060")],
                                  b"x", "text/plain"))
    r = c.expect_response(req.tid, timeout=3)
    assert r is not None and (r.status, r.comment) == (500, "No Such Socket")
    assert hop.frame(0.3) is None
    # the socket argument is optional
    req = c.send(mc.Frame.request("SEND", [k.uri, nowhere], [c.uri],
                                  [("Message-ID", "m3"), ("X-Nosock", "1")], b"no sock",
                                  "text/plain"))
    f = hop.frame()
    assert f is not None and f.tid == req.tid and f.body == b"no sock"
    assert responses(c, 0.2) == []


FLAGS_ROUTE = r"""
    if (msrp_is_reply()) { exit; }
    if ($hdr(X-Relay-Flags) == "1") { msrp_relay_flags(1); }
    if ($hdr(X-Relay-Flags) == "2") { msrp_relay_flags(2); }
    if ($hdr(X-Reply-Flags) == "2") { msrp_reply_flags(2); }
    if ($msrp(method) == "NICKNAME") { msrp_reply("200", "OK"); exit; }
    if (!msrp_relay()) { msrp_reply("502", "Relay Failed"); }
"""


def test_relay_flags_no_new_connection(net):
    k = net.relay(FLAGS_ROUTE)
    hop = net.hop()
    c = net.client(k)

    def send(flags=None):
        hs = [("Message-ID", mc.new_message_id())]
        if flags:
            hs.append(("X-Relay-Flags", flags))
        return c.send(mc.Frame.request("SEND", [k.uri, hop.uri], [c.uri], hs, b"f", "text/plain"))

    req = send("1")  # no connection to the hop yet: fails
    r = c.expect_response(req.tid, timeout=3)
    assert r is not None and (r.status, r.comment) == (502, "Relay Failed")
    assert not hop.accept(0.3)
    req = send()  # opens the connection
    f = hop.frame()
    assert f is not None and f.tid == req.tid
    req = send("1")  # the existing connection is fine
    f = hop.frame()
    assert f is not None and f.tid == req.tid
    assert responses(c, 0.2) == []
    req = send("2")  # closed after sending
    f = hop.frame()
    assert f is not None and f.tid == req.tid
    assert hop.frame(2.0) is None and hop.eof


def test_relay_needs_a_next_hop(net):
    """msrp_relay() refuses a To-Path of one URI, as Kamailio's does."""
    k = net.relay(FLAGS_ROUTE)
    c = net.client(k)
    req = c.send(mc.Frame.request("SEND", [k.uri], [c.uri], [("Message-ID", "m")], b"x",
                                  "text/plain"))
    r = c.expect_response(req.tid, timeout=3)
    assert r is not None and r.status == 502


def test_reply_flags_close(net):
    k = net.relay(FLAGS_ROUTE)
    c = net.client(k)
    req = c.send(mc.Frame.request("NICKNAME", [k.uri], [c.uri]))
    assert c.expect_response(req.tid, timeout=3).status == 200
    assert not c.closed(0.3)
    req = c.send(mc.Frame.request("NICKNAME", [k.uri], [c.uri], [("X-Reply-Flags", "2")]))
    r = c.expect_response(req.tid, timeout=3)
    assert r is not None and r.status == 200
    assert c.closed(2.0)


def test_forward(net):
    hop = net.hop()
    route = r"""
    if (msrp_is_reply()) { exit; }
    if ($hdr(X-Fwd) == "paths") {
        if (!msrp_forward("%s", "msrp://127.0.0.1:@PORT@/me;tcp $msrp(prevhop)")) {
            msrp_reply("502", "Forward Failed");
        }
        exit;
    }
    if (!msrp_forward()) { msrp_reply("502", "Forward Failed"); }
""" % hop.uri
    k = net.relay(route)
    c = net.client(k)
    # without arguments: to the first To-Path URI, paths untouched
    req = c.send(mc.Frame.request("SEND", [hop.uri], [c.uri], [("Message-ID", "f1")], b"plain",
                                  "text/plain"))
    f = hop.frame()
    assert f is not None and f.tid == req.tid
    assert f.to_path == [hop.uri] and f.from_path == [c.uri]
    assert f.body == b"plain" and f.message_id == "f1"
    # with new paths: sent to the first URI of the new To-Path
    req = c.send(mc.Frame.request("SEND", [k.uri, "msrp://192.0.2.1:9/b2bua;tcp"], [c.uri],
                                  [("Message-ID", "f2"), ("X-Fwd", "paths")], b"rewritten",
                                  "text/plain"))
    f = hop.frame()
    assert f is not None and f.tid == req.tid
    assert f.to_path == [hop.uri]
    assert f.from_path == ["msrp://127.0.0.1:%d/me;tcp" % k.port, c.uri]
    assert f.body == b"rewritten" and f.hdr("X-Fwd") == "paths"
    assert responses(c, 0.2) == []


# --- $msrp(key), $hdr, $au, {msrpuri.*} --------------------------------------------------------

PV_KEYS = ["method", "code", "reason", "msgid", "buflen", "sessid", "crthop", "bodylen",
           "transid", "prevhop", "nexthop", "lasthop", "srcaddr", "srcsock", "firsthop",
           "prevhops", "nexthops", "conid"]
HEXA_KEYS = ["buf", "hdrs", "body"]  # multi-line values, echoed in hex

KEYS_ROUTE = r"""
    if (msrp_is_reply()) {
        xlog("L_INFO", "REPLY $msrp(transid) [$msrp(code)] [$msrp(reason)] [$msrp(method)]\n");
        exit;
    }
""" + echo_reply([("X-" + key.capitalize(), "$msrp(%s)" % key) for key in PV_KEYS] +
                 [("X-" + key.capitalize(), "$(msrp(%s){s.encode.hexa})" % key)
                  for key in HEXA_KEYS])


@pytest.mark.parametrize("sipmsg", [1, 0])
def test_msrp_pv_keys(net, sipmsg):
    """Every $msrp key, echoed in a reply; with sipmsg=0 they still work (in Kamailio no
    pseudo-variable can be read then)."""
    k = net.relay(KEYS_ROUTE, params='modparam("msrp", "sipmsg", %d)\n' % sipmsg)
    c = net.client(k)
    crt = "msrp://127.0.0.1:%d/sessX42;tcp" % k.port
    nxt = "msrp://hop2.example.com:2855/s2;tcp"
    last = "msrp://hop3.example.com:2856/s3;tcp"
    orig = "msrp://orig.example.com:7777/o1;tcp"
    req = mc.Frame.request("SEND", [crt, nxt, last], [c.uri, orig],
                           [("Message-ID", "mid42"), ("Byte-Range", "1-10/10")], b"hello body",
                           "text/plain")
    r = c.transact(req, timeout=3)
    assert r is not None and r.status == 200, r
    lhost, lport = c.sock.getsockname()[:2]
    wire = req.build()
    want = {
        "X-Method": "SEND", "X-Code": "<null>", "X-Reason": "<null>", "X-Msgid": "mid42",
        "X-Buflen": str(len(wire)), "X-Sessid": "sessX42", "X-Crthop": crt,
        "X-Bodylen": "10", "X-Transid": req.tid, "X-Prevhop": c.uri, "X-Nexthop": nxt,
        "X-Lasthop": last, "X-Srcaddr": "msrp://%s:%d" % (lhost, lport),
        "X-Srcsock": "tcp:127.0.0.1:%d" % k.port, "X-Firsthop": orig, "X-Prevhops": "2",
        "X-Nexthops": "2",
    }
    got = {n: r.hdr(n) for n in want}
    assert got == want
    assert bytes.fromhex(r.hdr("X-Buf")) == wire
    assert bytes.fromhex(r.hdr("X-Body")) == b"hello body"
    hdrs = bytes.fromhex(r.hdr("X-Hdrs")).decode()
    assert hdrs.startswith("To-Path: %s %s %s\r\nFrom-Path: " % (crt, nxt, last)), hdrs
    assert hdrs.rstrip("\r\n").endswith("Content-Type: text/plain"), hdrs
    assert "Message-ID: mid42\r\n" in hdrs
    conid = int(r.hdr("X-Conid"))
    assert conid > 0
    # one connection, one id; another connection, another id
    r2 = c.transact(mc.Frame.request("NICKNAME", [crt], [c.uri]), timeout=3)
    assert r2.hdr("X-Conid") == str(conid)
    assert r2.hdr("X-Sessid") == "sessX42" and r2.hdr("X-Nexthop") == "<null>"
    assert r2.hdr("X-Nexthops") == "0" and r2.hdr("X-Prevhops") == "1"
    assert r2.hdr("X-Lasthop") == crt and r2.hdr("X-Firsthop") == c.uri
    assert r2.hdr("X-Method") == "NICKNAME" and r2.hdr("X-Bodylen") == "0"
    d = net.client(k)
    r3 = d.transact(mc.Frame.request("AUTH", [k.uri], [d.uri]), timeout=3)
    assert r3.hdr("X-Conid") != str(conid)
    assert r3.hdr("X-Sessid") in ("<null>", "")
    # a reply: code and reason, no method
    tid = mc.new_tid()
    c.send(mc.Frame.response(tid, 415, "Not This Type", [k.uri], [c.uri]))
    m = wait_log(k, r"REPLY %s \[(.*?)\] \[(.*?)\] \[(.*?)\]" % tid)
    assert m is not None, k.logtext()
    assert m.groups() == ("415", "Not This Type", "<null>")


def test_hdr_and_au_on_frames(net):
    route = r"""
    if (msrp_is_reply()) { exit; }
    msrp_reply("200", "OK", "X-Mid: $hdr(Message-ID)\r\nX-Custom: $hdr(X-Custom)\r\nX-Au: $au\r\n");
"""
    k = net.relay(route)
    c = net.client(k)
    r = c.transact(mc.Frame.request("SEND", [k.uri], [c.uri],
                                    [("Message-ID", "hdr-mid-7"), ("X-Custom", "custom value")],
                                    b"b", "text/plain"), timeout=3)
    assert r.hdr("X-Mid") == "hdr-mid-7" and r.hdr("X-Custom") == "custom value"
    authz = ('Digest username="alice", realm="example.com", nonce="abc", uri="%s", '
             'response="00000000000000000000000000000000", qop=auth, nc=00000001, '
             'cnonce="xyz"' % k.uri)
    r = c.transact(mc.Frame.request("AUTH", [k.uri], [c.uri], [("Authorization", authz)]),
                   timeout=3)
    assert r.hdr("X-Au") == "alice"
    r = c.transact(mc.Frame.request("AUTH", [k.uri], [c.uri]), timeout=3)
    assert r.hdr("X-Au") == "<null>"


def test_msrpuri_transformations(net):
    keys = ["user", "userinfo", "host", "port", "session", "proto", "params", "scheme"]
    pairs = [("X-" + key.capitalize(), "$(msrp(crthop){msrpuri.%s})" % key) for key in keys]
    pairs += [("X-Next-Scheme", "$(msrp(nexthop){msrpuri.scheme})"),
              ("X-Next-Port", "$(msrp(nexthop){msrpuri.port})"),
              ("X-Prev-Session", "$(msrp(prevhop){msrpuri.session})"),
              ("X-Prev-Host", "$(msrp(prevhop){msrpuri.host})")]
    route = "if (msrp_is_reply()) { exit; }\n" + echo_reply(pairs)
    k = net.relay(route)
    c = net.client(k)
    crt = "msrp://joe:secret@relay.example.com:2855/abc123;tcp;foo=bar"
    nxt = "msrps://bob.example.org:12763/kjhd37s2s2;tcp"
    r = c.transact(mc.Frame.request("NICKNAME", [crt, nxt], [c.uri]), timeout=3)
    assert r is not None and r.status == 200, r
    lhost = c.sock.getsockname()[0]
    got = {n: r.hdr(n) for n in ("X-User", "X-Userinfo", "X-Host", "X-Port", "X-Session",
                                 "X-Proto", "X-Params", "X-Scheme", "X-Next-Scheme",
                                 "X-Next-Port", "X-Prev-Session", "X-Prev-Host")}
    assert got == {
        "X-User": "joe", "X-Userinfo": "joe:secret", "X-Host": "relay.example.com",
        "X-Port": "2855", "X-Session": "abc123", "X-Proto": "tcp", "X-Params": "foo=bar",
        "X-Scheme": "msrp", "X-Next-Scheme": "msrps", "X-Next-Port": "12763",
        "X-Prev-Session": mc.parse_uri(c.uri).session, "X-Prev-Host": lhost,
    }


# --- frames above Kamailio's size limits ------------------------------------------------------


def test_20k_frame_relayed_whole(net):
    """Kamailio drops the connection above 16 383 bytes and never relays 14 337 or more."""
    k = net.relay()
    alice, bob = net.login(k), net.login(k)
    body = os.urandom(20000)
    sent = alice.send_message([bob.sess, bob.uri], None, body,
                              content_type="application/octet-stream")
    msg = bob.wait_message(sent.message_id, timeout=5)
    assert msg is not None and msg.body == body
    assert msg.chunks == 1 and msg.last.tid == sent.tids[0]
    assert msg.last.to_path == [bob.uri] and msg.last.from_path == [bob.sess, alice.uri]


def test_200k_frame_streamed_in_pieces(net):
    """Above whole_frame_size (131072) msrp_relay() streams the chunk on in pieces, each with
    its own Byte-Range; the last piece carries alice's transaction id."""
    k = net.relay()
    alice, bob = net.login(k), net.login(k)
    bob.answer = 200  # the pieces are answered like any SEND
    before = stats(k)
    body = os.urandom(200000)
    sent = alice.send_message([bob.sess, bob.uri], None, body,
                              content_type="application/octet-stream")
    msg = bob.wait_message(sent.message_id, timeout=10)
    assert msg is not None and msg.complete, bob.messages.get(sent.message_id)
    assert msg.body == body and msg.total == 200000
    assert msg.chunks >= 2
    assert msg.first.tid != sent.tids[0]
    assert msg.last.tid == sent.tids[0] and msg.last.flag == "$"
    assert msg.last.to_path == [bob.uri] and msg.last.from_path == [bob.sess, alice.uri]
    assert msg.last.hdr("Content-Type") == "application/octet-stream"
    # the relay generated nothing toward alice (the pieces were all answered)
    assert [m for m in alice.drain(0.5) if isinstance(m, mc.Frame)] == []
    after = stats(k)
    assert after["msrp.rcv_send"] - before["msrp.rcv_send"] == 1
    assert after["msrp.fwd_send"] - before["msrp.fwd_send"] == msg.chunks
    assert after["msrp.bytes_relayed"] - before["msrp.bytes_relayed"] == 200000
    assert alive(alice, k)


@pytest.mark.parametrize("whole,size,seen", [(262144, 200000, 200000), (None, 200000, 0),
                                              (None, 100000, 100000)],
                         ids=["whole_frame_size=262144", "default-200k", "default-100k"])
def test_frame_visible_up_to_whole_frame_size(net, whole, size, seen):
    """Frames up to whole_frame_size (default 131072) are seen whole by the script; a
    larger one is streamed: the script runs on its head ($msrp(bodylen) 0, as documented)
    and msrp_relay() still relays all of it."""
    route = r"""
    if (msrp_is_reply()) { exit; }
    if ($msrp(method) == "AUTH") { msrp_cmap_save(); exit; }
    xlog("L_INFO", "SEND $msrp(transid) bodylen=$msrp(bodylen) buflen=$msrp(buflen)\n");
    if (msrp_cmap_lookup()) { msrp_relay(); } else { msrp_reply("481", "Session-does-not-exist"); }
"""
    params = 'modparam("msrp", "whole_frame_size", %d)\n' % whole if whole else ""
    k = net.relay(route, params=params)
    alice, bob = net.login(k), net.login(k)
    bob.answer = 200
    body = os.urandom(size)
    sent = alice.send_message([bob.sess, bob.uri], None, body,
                              content_type="application/octet-stream")
    msg = bob.wait_message(sent.message_id, timeout=5)
    assert msg is not None and msg.body == body
    assert msg.last.tid == sent.tids[0]
    m = wait_log(k, r"SEND %s bodylen=(\d+) buflen=(\d+)" % sent.tids[0])
    assert m is not None, k.logtext()
    assert int(m.group(1)) == seen
    if seen:
        assert msg.chunks == 1
        assert int(m.group(2)) > size
    else:
        assert msg.chunks >= 2
        assert int(m.group(2)) < 1000  # the head only


AUTO_ROUTE = r"""
    msrp_auto_relay("example.com", "secretpw");
"""

@pytest.mark.parametrize("route", [KAMAILIO_RELAY, AUTO_ROUTE], ids=["kamailio", "auto"])
def test_streamed_frame_answered_by_script_connection_lives(net, route):
    """A SEND above whole_frame_size (131072) for an unknown session: the script answers 481
    (the Kamailio relay's msrp_reply, or msrp_auto_relay itself); the body must be read and
    dropped and the connection must stay usable. The same frame at 1000 bytes does."""
    k = net.relay(route)
    alice = net.client(k)
    r = alice.auth(k.uri, "alice", "secretpw")
    assert r.frame.status == 200
    bogus = mc.make_uri(k.host, k.port, "B" * 22)
    for size in (1000, 200000):
        sent = alice.send_message([bogus, alice.uri], None, os.urandom(size))
        r = alice.expect_response(sent.tids[0], timeout=3)
        assert r is not None and r.status == 481
        assert not alice.closed(0.3), "connection closed after the %d-byte SEND" % size
        assert alive(alice, k)


# --- malformed frames ----------------------------------------------------------------------


def test_from_path_before_to_path_400_connection_lives(net):
    """Kamailio closes the whole connection (and every session on it)."""
    k = net.relay()
    alice, bob = net.login(k), net.login(k)
    raw = ("MSRP bad0tid1 SEND\r\nFrom-Path: %s\r\nTo-Path: %s %s\r\nMessage-ID: m1\r\n"
           "Byte-Range: 1-1/1\r\nContent-Type: text/plain\r\n\r\nx\r\n-------bad0tid1$\r\n"
           % (alice.uri, bob.sess, bob.uri))
    alice.send_raw(raw.encode())
    r = alice.expect_response("bad0tid1", timeout=3)
    assert r is not None and r.status == 400
    assert bob.expect_request("SEND", timeout=0.3) is None
    assert not alice.closed(0.3)
    # alice's session still works on the same connection
    sent = alice.send_message([bob.sess, bob.uri], None, b"still here")
    f = bob.expect_request("SEND", timeout=3)
    assert f is not None and f.body == b"still here" and f.tid == sent.tids[0]


# --- RPC and statistics --------------------------------------------------------------------


def stats(k):
    st = json.loads(k.korctl("stats.fetch", "all").stdout)
    return {n: v for n, v in st.items() if n.startswith("msrp.")}


def test_rpc_cmaplist_session_end_and_stats(net):
    k = net.relay(ECHO_NICKNAME + KAMAILIO_RELAY)
    before = stats(k)
    alice, bob = net.login(k), net.login(k)
    r = alice.transact(mc.Frame.request("NICKNAME", [k.uri], [alice.uri]), timeout=3)
    conid = int(r.hdr("X-Conid"))

    cm = json.loads(k.korctl("msrp.cmaplist").stdout)
    items = {i["SESSIONID"]: i for i in cm["ITEMS"]}
    assert set(items) == {alice.sid, bob.sid}
    assert items[alice.sid]["PEER"] == alice.uri
    assert items[alice.sid]["CONID"] == conid
    assert items[bob.sid]["PEER"] == bob.uri and items[bob.sid]["CONID"] != conid
    lport = alice.sock.getsockname()[1]
    assert items[alice.sid]["ADDR"] == "127.0.0.1:%d" % lport
    assert cm["CONCOUNT"] == 2

    one = json.loads(k.korctl("msrp.session", alice.sid).stdout)
    assert one["SESSIONID"] == alice.sid and one["PEER"] == alice.uri
    assert one["CONID"] == conid
    assert k.korctl("msrp.session", "nosuchsession", check=False).returncode != 0

    body = b"counted bytes"
    bob.send_message([alice.sess, alice.uri], None, body)
    f = alice.expect_request("SEND", timeout=3)
    assert f is not None and f.body == body
    alice.send(mc.Frame.response(f.tid, 200, "OK", f.from_path, [alice.uri]))
    assert bob.expect_response(f.tid, timeout=3) is not None

    assert k.korctl("msrp.end", "nosuchsession", check=False).returncode != 0
    k.korctl("msrp.end", alice.sid)
    cm = json.loads(k.korctl("msrp.cmaplist").stdout)
    assert [i["SESSIONID"] for i in cm["ITEMS"]] == [bob.sid]
    assert k.korctl("msrp.session", alice.sid, check=False).returncode != 0
    sent = bob.send_message([alice.sess, alice.uri], None, b"after the end")
    r = bob.expect_response(sent.tids[0], timeout=3)
    assert r is not None and r.status == 481  # msrp_cmap_lookup() failed
    assert alice.expect_request("SEND", timeout=0.3) is None

    after = stats(k)
    moved = {n: after[n] - before.get(n, 0) for n in after}
    assert moved["msrp.rcv_auth"] == 2
    assert moved["msrp.rcv_send"] == 2
    assert moved["msrp.fwd_send"] == 1
    assert moved["msrp.rcv_nickname"] == 1
    assert moved["msrp.rcv_responses"] == 1
    assert moved["msrp.fwd_responses"] == 1
    assert moved["msrp.bytes_relayed"] == len(body)
    assert moved["msrp.error_responses"] >= 1  # the 481
    assert after["msrp.active_sessions"] == 1
