# SPDX-License-Identifier: GPL-2.0-or-later
"""Tests of the MSRP test client itself, without korero: framing round trips, parsing
across arbitrary read splits, bodies holding end-lines of other transactions, the digest
computation against independently computed values, and a client pair over a socketpair
and over local TCP sockets (IPv4, IPv6)."""
import hashlib
import random
import socket
import threading
import time

import pytest

import msrpclient as mc
from msrpclient import Frame, Parser

BIG = 32 * 1024 * 1024  # body size of the large-transfer self-tests
SESS = "sess0123456789abcdefghij"


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def feed_split(data, cuts):
    """Parses data fed in pieces ending at the given cut offsets."""
    p = Parser()
    out = []
    last = 0
    for c in list(cuts) + [len(data)]:
        p.feed(data[last:c])
        last = c
        while True:
            m = p.next()
            if m is None:
                break
            out.append(m)
    assert p.pending() == 0
    return out


def same(a, b):
    assert a.tid == b.tid
    assert a.method == b.method
    assert a.status == b.status
    assert a.comment == b.comment
    assert [list(h) for h in a.headers] == [list(h) for h in b.headers]
    assert (a.body is None) == (b.body is None)
    assert a.body is None or bytes(a.body) == bytes(b.body)
    assert a.flag == b.flag


def sample_frames():
    tid = "abcd1234"
    return [
        Frame.request("SEND",
                      ["msrp://r.example.com:2855/s1;tcp", "msrp://b.example.com:7654/b;tcp"],
                      ["msrp://a.example.com:1234/a;tcp"],
                      [("Message-ID", "m1"), ("Byte-Range", "1-5/5")], b"hello", "text/plain",
                      tid=tid),
        # a body holding end-lines of other tids, of a longer tid starting with ours, ours
        # with a bad flag and ours without the CRLF before it
        Frame.request("SEND", ["msrp://b:1/x;tcp"], ["msrp://a:2/y;tcp"],
                      [("Message-ID", "m2"), ("Byte-Range", "1-*/*")],
                      b"x\r\n-------other99$\r\nq\r\n-------tid2abcX$\r\n\r\n-------tid2abc!\r\n"
                      b"z-------tid2abc$\r\n\r\n-------tid2ab$\r\nend", "text/plain", tid="tid2abc",
                      flag="+"),
        Frame(tid="r1r1", status=200, comment="OK",
              headers=[("To-Path", "msrp://a:2/y;tcp"), ("From-Path", "msrp://b:1/x;tcp")]),
        Frame(tid="r2xx", status=403,
              headers=[("To-Path", "msrp://a:2/y;tcp"), ("From-Path", "msrp://b:1/x;tcp")]),
        Frame.request("SEND", ["msrp://b:1/x;tcp"], ["msrp://a:2/y;tcp"],
                      [("Message-ID", "m3"), ("Byte-Range", "1-0/0")], b"", "text/plain",
                      tid="emptyb0dy"),
        Frame.request("NICKNAME", ["msrp://b:1/x;tcp"], ["msrp://a:2/y;tcp"],
                      [("Use-Nickname", '"Alice"')], tid="nick0001", flag="#"),
        Frame.request("SEND", ["msrp://b:1/x;tcp"], ["msrp://a:2/y;tcp"],
                      [("Message-ID", "m4"), ("Byte-Range", "1-256/256")], bytes(range(256)),
                      "application/octet-stream", tid="bin0"),
    ]


def test_build_exact_bytes():
    f = Frame.request("SEND", ["msrp://b:1/x;tcp"], ["msrp://a:2/y;tcp"],
                      [("Message-ID", "m1"), ("Byte-Range", "1-2/2")], b"hi", "text/plain",
                      tid="t123")
    assert f.build() == (b"MSRP t123 SEND\r\nTo-Path: msrp://b:1/x;tcp\r\n"
                         b"From-Path: msrp://a:2/y;tcp\r\nMessage-ID: m1\r\nByte-Range: 1-2/2\r\n"
                         b"Content-Type: text/plain\r\n\r\nhi\r\n-------t123$\r\n")
    r = Frame.response("t123", 200, "OK", ["msrp://a:2/y;tcp"], ["msrp://b:1/x;tcp"])
    assert r.build() == (b"MSRP t123 200 OK\r\nTo-Path: msrp://a:2/y;tcp\r\n"
                         b"From-Path: msrp://b:1/x;tcp\r\n-------t123$\r\n")
    f2 = Frame.request("AUTH", "msrp://r:9;tcp", "msrp://a:2/y;tcp", tid="t124", flag="+")
    assert f2.build().endswith(b"From-Path: msrp://a:2/y;tcp\r\n-------t124+\r\n")


def test_round_trip_each():
    for f in sample_frames():
        got, p = mc.parse_frames(f.build())
        assert len(got) == 1 and p.pending() == 0, f
        same(got[0], f)


def test_round_trip_stream_one_read():
    frames = sample_frames()
    data = b"".join(f.build() for f in frames)
    got = feed_split(data, [])
    assert len(got) == len(frames)
    for a, b in zip(got, frames):
        same(a, b)


def test_every_split_point_and_byte_by_byte():
    frames = sample_frames()
    data = b"".join(f.build() for f in frames)
    for cut in range(1, len(data)):
        got = feed_split(data, [cut])
        assert len(got) == len(frames), cut
        for a, b in zip(got, frames):
            same(a, b)
    got = feed_split(data, range(1, len(data)))
    for a, b in zip(got, frames):
        same(a, b)


def test_random_splits():
    rnd = random.Random(4975)
    frames = sample_frames() * 3
    data = b"".join(f.build() for f in frames)
    for _ in range(200):
        cuts = sorted(rnd.sample(range(1, len(data)), rnd.randrange(1, 40)))
        got = feed_split(data, cuts)
        assert len(got) == len(frames)
        for a, b in zip(got, frames):
            same(a, b)


def test_fake_end_lines_stay_in_body():
    # none of these is "CRLF -------feedbeef flag CRLF", so all of it is body
    body = (b"-------feedbeef$\r\nline-------feedbeef+\r\n\r\n-------feedbeefX$\r\n"
            b"\r\n-------feedbeef$ \r\n\r\n-------feedbee$\r\n\n-------feedbeef$\r\n"
            b"\r\n-------feedbeef\r\n\r\n-------dea1beef$\r\nx-------feedbeef$")
    f = Frame.request("SEND", ["msrp://b:1/x;tcp"], ["msrp://a:2/y;tcp"],
                      [("Message-ID", "mx")], b"A" + body, "text/plain", tid="feedbeef")
    got = feed_split(f.build(), range(1, len(f.build()), 3))
    assert len(got) == 1
    assert got[0].body == b"A" + body


def test_end_line_right_after_blank_line_is_empty_body():
    raw = (b"MSRP abcd SEND\r\nTo-Path: msrp://b:1/x;tcp\r\nFrom-Path: msrp://a:2/y;tcp\r\n"
           b"Content-Type: text/plain\r\n\r\n-------abcd$\r\n")
    got, _ = mc.parse_frames(raw)
    assert got[0].body == b""


def test_parsed_fields():
    raw = (b"MSRP a786hjs2 SEND\r\nTo-Path: msrp://r:1/s;tcp msrp://b:2/x;tcp\r\n"
           b"From-Path: msrp://a:3/y;tcp\r\nMessage-ID: 87652491\r\nByte-Range: 1-*/*\r\n"
           b"Content-Type: text/plain\r\n\r\nHey Bob, are you there?\r\n-------a786hjs2+\r\n"
           b"\r\nMSRP d93kswow 200 OK\r\nTo-Path: msrp://a:3/y;tcp\r\n"
           b"From-Path: msrp://r:1/s;tcp\r\n-------d93kswow$\r\n"
           b"MSRP dkei38sd REPORT\r\nTo-Path: msrp://a:3/y;tcp\r\nFrom-Path: msrp://b:2/x;tcp\r\n"
           b"Message-ID: 12339sdqwer\r\nByte-Range: 1-106/106\r\nStatus: 000 408 Timeout\r\n"
           b"-------dkei38sd$\r\n")
    (s, r, rep), _ = mc.parse_frames(raw)
    assert s.is_request and s.method == "SEND" and s.flag == "+"
    assert s.to_path == ["msrp://r:1/s;tcp", "msrp://b:2/x;tcp"]
    assert s.from_path == ["msrp://a:3/y;tcp"]
    assert s.byte_range == (1, None, None)
    assert s.body == b"Hey Bob, are you there?"
    assert not r.is_request and r.status == 200 and r.comment == "OK" and r.body is None
    assert rep.report_status == (0, 408, "Timeout")
    assert rep.byte_range == (1, 106, 106)
    assert rep.hdr("message-id") == "12339sdqwer"


def test_sip_and_msrp_alternate():
    sip = (b"SIP/2.0 404 Not Here\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKx\r\n"
           b"Content-Length: 4\r\n\r\nbody")
    msrp = Frame(tid="x1y2", status=200, comment="OK",
                 headers=[("To-Path", "msrp://a:1/b;tcp"), ("From-Path", "msrp://r:2;tcp")]).build()
    data = b"\r\n\r\n" + sip + msrp + sip
    for cuts in ([], range(1, len(data))):
        got = feed_split(data, cuts)
        assert [type(m).__name__ for m in got] == ["SipMessage", "Frame", "SipMessage"]
        assert got[0].code == 404 and got[0].body == b"body"
        assert got[1].tid == "x1y2"


@pytest.mark.parametrize("raw", [
    b"MSRP abcd SEND\r\nTo-Path: msrp://b:1/x;tcp\r\n-------abce$\r\n",
    b"MSRP abcd SEND\r\nTo-Path: msrp://b:1/x;tcp\r\n-------abcd!\r\n",
    b"MSRP abcd SEND\r\nnot a header\r\n-------abcd$\r\n",
    b"MSRP a SEND\r\n-------a$\r\n",
])
def test_parse_errors(raw):
    with pytest.raises(mc.ParseError):
        mc.parse_frames(raw)


def test_uri_helpers():
    assert mc.make_uri("127.0.0.1", 2855, "abc") == "msrp://127.0.0.1:2855/abc;tcp"
    assert mc.make_uri("::1", 2855) == "msrp://[::1]:2855;tcp"
    assert mc.make_uri("[::1]", 2855, "s") == "msrp://[::1]:2855/s;tcp"
    u = mc.parse_uri("msrp://[::1]:2855/abc-_9;tcp")
    assert (u.scheme, u.host, u.port, u.session, u.transport) == (
        "msrp", "::1", 2855, "abc-_9", "tcp")
    u = mc.parse_uri("MSRPS://bob@relay.example.com;tcp;foo=bar")
    assert (u.scheme, u.userinfo, u.host, u.port, u.session, u.params) == (
        "msrps", "bob", "relay.example.com", None, "", "foo=bar")
    with pytest.raises(ValueError):
        mc.parse_uri("sip:alice@example.com")
    assert len({mc.new_tid() for _ in range(100)}) == 100
    assert all(4 <= len(mc.new_tid()) <= 32 for _ in range(10))


def test_digest_rfc2617_vector():
    user, realm, pw = "Mufasa", "testrealm@host.com", "Circle Of Life"
    nonce, cnonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093", "0a4f113b"
    nc, uri = "00000001", "/dir/index.html"
    ha1 = md5("%s:%s:%s" % (user, realm, pw))
    ha2 = md5("GET:" + uri)
    want = md5(":".join([ha1, nonce, nc, cnonce, "auth", ha2]))
    assert want == "6629fae49393a05397450978507c4ef1"  # the value printed in RFC 2617
    assert mc.digest_response(user, realm, pw, "GET", uri, nonce, nc, cnonce) == want


def test_digest_authorization_for_msrp_auth():
    relay = "msrp://relay.example.com:2855;tcp"
    ch = mc.parse_challenge('Digest realm="example.com", nonce="n0nce,with=stuff", qop="auth", '
                            'algorithm=MD5, opaque="op"')
    assert ch == {"realm": "example.com", "nonce": "n0nce,with=stuff", "qop": "auth",
                  "algorithm": "MD5", "opaque": "op"}
    v = mc.authorization(ch, "alice", "alicepw", relay, cnonce="c0ffee")
    p = mc.parse_challenge(v)
    ha1 = md5("alice:example.com:alicepw")
    ha2 = md5("AUTH:" + relay)
    assert p["response"] == md5("%s:n0nce,with=stuff:00000001:c0ffee:auth:%s" % (ha1, ha2))
    assert (p["username"], p["realm"], p["uri"], p["qop"], p["nc"], p["cnonce"], p["opaque"]) == (
        "alice", "example.com", relay, "auth", "00000001", "c0ffee", "op")


def fake_relay_auth(sock, relay_uri, password, seen):
    """The relay side of RFC 4976 AUTH on a raw socket, checking the digest itself."""
    p = Parser()

    def read():
        while True:
            m = p.next()
            if m is not None:
                return m
            data = sock.recv(65536)
            if not data:
                return None
            p.feed(data)

    a1 = read()
    seen.append(a1)
    sock.sendall(Frame.response(a1.tid, 401, "Unauthorized", a1.from_path[:1], [relay_uri],
                                [("WWW-Authenticate", 'Digest realm="example.com", nonce="abc123", '
                                  'qop="auth", algorithm=MD5')]).build())
    a2 = read()
    seen.append(a2)
    d = mc.parse_challenge(a2.hdr("Authorization"))
    ha1 = md5("%s:example.com:%s" % (d["username"], password))
    ha2 = md5("AUTH:" + d["uri"])
    ok = d["response"] == md5(":".join([ha1, d["nonce"], d["nc"], d["cnonce"], d["qop"], ha2]))
    ok = ok and d["uri"] == a2.to_path[0] == relay_uri
    if ok:
        resp = Frame.response(a2.tid, 200, "OK", a2.from_path[:1], [relay_uri],
                              [("Use-Path", relay_uri.replace(";tcp", "/" + SESS + ";tcp")),
                               ("Expires", "900")])
    else:
        resp = Frame.response(a2.tid, 401, "Unauthorized", a2.from_path[:1], [relay_uri])
    sock.sendall(resp.build())


@pytest.mark.parametrize("password,code", [("alicepw", 200), ("wrong", 401)])
def test_auth_dance(password, code):
    relay = "msrp://127.0.0.1:2855;tcp"
    a, b = socket.socketpair()
    c = mc.Client(None, None, sock=mc._Named(a, "127.0.0.1", 5000))
    seen = []
    t = threading.Thread(target=fake_relay_auth, args=(b, relay, "alicepw", seen), daemon=True)
    t.start()
    res = c.auth(relay, "alice", password, expires=900)
    t.join(2)
    assert res.frame.status == code
    assert res.challenge.status == 401
    assert seen[0].hdr("Authorization") is None and seen[0].hdr("Expires") == "900"
    assert seen[1].to_path == [relay] and seen[1].from_path == [c.uri]
    if code == 200:
        assert res.use_path == ["msrp://127.0.0.1:2855/%s;tcp" % SESS]
        assert res.expires == 900
    else:
        assert res.use_path == [] and res.expires is None
    c.close()
    b.close()


def test_chunked_send_reassembled_and_answered():
    alice, bob = mc.pair()
    bob.start(answer=200)
    body = bytes(random.Random(1).randrange(256) for _ in range(10000))
    sent = alice.send_message([bob.uri], [alice.uri], body, chunk_size=3000,
                              failure_report="yes", content_type="application/octet-stream")
    assert [f.flag for f in sent.frames] == ["+", "+", "+", "$"]
    assert [f.hdr("Byte-Range") for f in sent.frames] == [
        "1-3000/10000", "3001-6000/10000", "6001-9000/10000", "9001-10000/10000"]
    msg = bob.wait_message(sent.message_id, timeout=5)
    assert msg is not None and msg.body == body and msg.chunks == 4
    assert msg.sha256 == hashlib.sha256(body).hexdigest()
    for tid in sent.tids:
        r = alice.expect_response(tid, timeout=2)
        assert r.status == 200 and r.to_path == [alice.uri] and r.from_path == [bob.uri]
    # Failure-Report no / partial: no 200 from the endpoint
    s2 = alice.send_message([bob.uri], [alice.uri], b"quiet", failure_report="no")
    s3 = alice.send_message([bob.uri], [alice.uri], b"quiet", failure_report="partial")
    assert bob.wait_message(s3.message_id, timeout=2) is not None
    assert alice.expect_response(s2.tids[0], 0.3) is None
    assert alice.expect_response(s3.tids[0], 0.3) is None
    # REPORT back and a NICKNAME answered with the whole path
    bob.report(msg)
    rep = alice.expect_request("REPORT", timeout=2)
    assert rep.message_id == sent.message_id and rep.hdr("Byte-Range") == "1-10000/10000"
    assert rep.report_status == (0, 200, "OK")
    nick = alice.request("NICKNAME", ["msrp://r:1/s;tcp", bob.uri],
                         headers=[("Use-Nickname", '"a"')])
    got = bob.expect_request("NICKNAME", timeout=2)
    assert got.tid == nick.tid
    alice.close()
    bob.close()


def test_empty_message():
    alice, bob = mc.pair()
    sent = alice.send_message([bob.uri], None, b"")
    f = bob.expect_request("SEND", timeout=2)
    assert f.body is None and f.hdr("Byte-Range") == "1-0/0" and f.hdr("Content-Type") is None
    assert sent.frames[0].flag == "$"
    alice.close()
    bob.close()


def test_parser_linear_on_big_body_fed_in_small_pieces():
    body = bytearray(random.Random(2).randbytes(1 << 20)) * (BIG >> 20)
    f = Frame.request("SEND", ["msrp://b:1/x;tcp"], ["msrp://a:2/y;tcp"],
                      [("Message-ID", "big"), ("Byte-Range", "1-%d/%d" % (BIG, BIG))], body,
                      "application/octet-stream", tid="bigbig")
    data = memoryview(f.build())
    p = Parser()
    t0 = time.monotonic()
    got = None
    for off in range(0, len(data), 16384):
        p.feed(data[off:off + 16384])
        m = p.next()
        if m is not None:
            got = m
        elif p.body_start is not None:
            # the end-line search resumes near the end: no byte is searched twice
            assert p.scan >= len(p.buf) - len(b"\r\n-------bigbig")
    assert time.monotonic() - t0 < 20  # generous: quadratic rescanning takes minutes
    assert got is not None and len(got.body) == BIG
    assert hashlib.sha256(got.body).digest() == hashlib.sha256(body).digest()


@pytest.mark.parametrize("chunk", [None, 65536])
def test_big_message_over_socketpair(chunk):
    alice, bob = mc.pair()
    bob.start(answer=200, keep_bodies=False, queue_sends=False)
    alice.start(answer=None)  # reads the 200s while sending, or both ends stall
    body = bytearray(random.Random(3).randbytes(1 << 20)) * (BIG >> 20)
    t0 = time.monotonic()
    sent = alice.send_message([bob.uri], None, body, chunk_size=chunk)
    msg = bob.wait_message(sent.message_id, timeout=30)
    assert time.monotonic() - t0 < 20
    assert msg is not None and msg.complete and msg.data is None
    assert msg.sha256 == hashlib.sha256(body).hexdigest()
    assert msg.chunks == (1 if chunk is None else BIG // chunk)
    last = alice.expect_response(sent.tids[-1], timeout=5)
    assert last is not None and last.status == 200
    alice.close()
    bob.close()


def listen_pair(host):
    fam = mc.family_of(host)
    ls = socket.socket(fam, socket.SOCK_STREAM)
    try:
        ls.bind((host, 0))
    except OSError:
        ls.close()
        pytest.skip("cannot bind " + host)
    ls.listen(1)
    port = ls.getsockname()[1]
    c = mc.Client(host, port)
    s, _ = ls.accept()
    ls.close()
    return c, mc.Client(None, None, sock=s), port


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_tcp_client(host):
    c, s, port = listen_pair(host)
    u = mc.parse_uri(c.uri)
    assert u.host == host and u.port == c.sock.getsockname()[1]
    if ":" in host:
        assert c.uri.startswith("msrp://[::1]:")
    sent = c.send_message([s.uri], None, "héllo")
    got = s.wait_message(sent.message_id, timeout=2)
    assert got.body == "héllo".encode()
    s.send_raw(b"MSRP zz99 SEND\r\nTo-Path: " + c.uri.encode() + b"\r\nFrom-Path: " +
               s.uri.encode() + b"\r\n-------zz99$\r\n")
    assert c.recv(2).tid == "zz99"
    s.close()
    assert c.closed(2)
    c.close()
