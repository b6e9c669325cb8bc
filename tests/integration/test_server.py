# SPDX-License-Identifier: GPL-2.0-or-later
"""Process life and transport behaviour of the real binary: signals, korctl, listen
forms (several addresses, advertise), TCP limits, malformed input."""
import json
import signal
import socket
import time

import sipclient
from conftest import free_port

CFG = """
debug=2
{extra}
listen=udp:127.0.0.1:{p1}
listen=tcp:127.0.0.1:{p1}
listen=udp:127.0.0.1:{p2} advertise 203.0.113.7:5099
listen=tcp:[::1]:{p3}
loadmodule "sl.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:@CTL@")
request_route {{
    if ($rU == "adv") {{
        force_send_socket(udp:127.0.0.1:{p2});
        $du = "sip:127.0.0.1:{sink}";
        forward();
        exit;
    }}
    if ($rU == "fwd") {{
        $du = "sip:127.0.0.1:{sink}";
        forward();
        exit;
    }}
    sl_send_reply("200", "on $Ri:$Rp via $pr from $si z=$siz");
}}
"""


def start(korero, extra="", sink=9):
    p1, p2, p3 = free_port(), free_port(), free_port("::1")
    k = korero(CFG.format(p1=p1, p2=p2, p3=p3, extra=extra, sink=sink),
               probe=("udp", "127.0.0.1", p1))
    k.p1, k.p2, k.p3 = p1, p2, p3
    return k


def options(proto, host, port, user=""):
    ruri = f"sip:{user + '@' if user else ''}{sipclient.bracket(host)}:{port}"
    c = sipclient.UDP(host) if proto == "udp" else sipclient.TCP((host, port))
    c.send(sipclient.request("OPTIONS", ruri, host, c.port, proto.upper()), (host, port))
    r = c.recv()
    c.close()
    return r


def test_several_listens(korero):
    k = start(korero)
    v4 = "from 127.0.0.1 z=127.0.0.1"
    assert options("udp", "127.0.0.1", k.p1).reason == f"on 127.0.0.1:{k.p1} via udp {v4}"
    assert options("tcp", "127.0.0.1", k.p1).reason == f"on 127.0.0.1:{k.p1} via tcp {v4}"
    assert options("udp", "127.0.0.1", k.p2).reason == f"on 127.0.0.1:{k.p2} via udp {v4}"
    assert options("tcp", "::1", k.p3).reason == f"on ::1:{k.p3} via tcp from ::1 z=[::1]"


def test_advertise_in_via(korero):
    sink = sipclient.UDP()
    k = start(korero, sink=sink.port)
    c = sipclient.UDP()
    for user, sent_by in (("fwd", "127.0.0.1:%d" % k.p1), ("adv", "203.0.113.7:5099")):
        c.send(sipclient.request("MESSAGE", f"sip:{user}@127.0.0.1:{k.p1}", "127.0.0.1", c.port),
               ("127.0.0.1", k.p1))
        sink.sock.settimeout(3)
        data, src = sink.sock.recvfrom(65535)
        via = sipclient.Reply(data).hdr("Via")
        assert via.startswith("SIP/2.0/UDP %s;branch=z9hG4bK" % sent_by), via
        if user == "adv":
            assert src[1] == k.p2


def test_sigterm_within_a_second(korero):
    k = start(korero)
    conns = [socket.create_connection(("127.0.0.1", k.p1)) for _ in range(5)]
    took = k.stop()
    assert took < 1.0
    assert k.proc.returncode == 0
    for s in conns:
        s.close()


def test_sigint(korero):
    k = start(korero)
    k.proc.send_signal(signal.SIGINT)
    k.proc.wait(timeout=2)
    assert k.proc.returncode == 0


def test_korctl(korero):
    k = start(korero)
    v = json.loads(k.korctl("core.version").stdout)
    assert "korero" in json.dumps(v)
    options("udp", "127.0.0.1", k.p1)
    up = json.loads(k.korctl("core.uptime").stdout)
    assert up["uptime"] >= 0
    st = json.loads(k.korctl("stats.fetch", "all").stdout)
    assert st["core.rcv_requests_options"] >= 1
    assert st["sl.sent_replies"] >= 1
    assert "core.udp_rcv_drops" in st
    assert "tcp.current_opened_connections" in st
    r = k.korctl("no.such.method", check=False)
    assert r.returncode == 1 and "-32601" in r.stderr
    k.korctl("core.shutdown")
    k.proc.wait(timeout=2)
    assert k.proc.returncode == 0


def test_tcp_idle_lifetime_and_limit(korero):
    k = start(korero, extra="tcp_connection_lifetime=1\ntcp_max_connections=3")
    idle = socket.create_connection(("127.0.0.1", k.p1))
    idle.settimeout(5)
    t0 = time.time()
    assert idle.recv(1) == b""  # closed by korero after ~1 s idle
    assert 0.5 < time.time() - t0 < 4
    keep = [socket.create_connection(("127.0.0.1", k.p1)) for _ in range(3)]
    extra = socket.create_connection(("127.0.0.1", k.p1))
    extra.settimeout(3)
    try:
        refused = extra.recv(1) == b""
    except ConnectionResetError:
        refused = True
    assert refused
    st = json.loads(k.korctl("stats.fetch", "tcp").stdout)
    assert st["tcp.refused"] >= 1
    for s in keep:
        s.close()


def test_garbage_is_counted_and_server_lives(korero):
    k = start(korero)
    c = sipclient.UDP()
    for junk in (b"\x00\x01\x02garbage", b"NOT SIP AT ALL\r\n\r\n", b"SIP/2.0 999\r\n\r\n", b""):
        c.send(junk, ("127.0.0.1", k.p1))
    t = socket.create_connection(("127.0.0.1", k.p1))
    t.sendall(b"INVITE sip:x SIP/2.0\r\nContent-Length: abc\r\n\r\n")
    t.settimeout(3)
    try:
        data = t.recv(65535)
    except ConnectionResetError:
        data = b""
    assert data == b"" or data.startswith(b"SIP/2.0 400")
    assert options("udp", "127.0.0.1", k.p1).code == 200
    st = json.loads(k.korctl("stats.fetch", "core").stdout)
    assert st["core.bad_msg_hdr"] + st["core.err_requests"] >= 3


def test_malformed_request_gets_400_with_reason(korero):
    k = start(korero)
    c = sipclient.UDP()
    bad = (f"OPTIONS sip:127.0.0.1:{k.p1} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:{c.port};branch=z9hG4bKx;rport\r\n"
           "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: bad1\r\n"
           "CSeq: 1 OPTIONS\r\nContent-Length: 99\r\n\r\n").encode()
    c.send(bad, ("127.0.0.1", k.p1))
    r = c.recv()
    assert r.code == 400
    assert "Content-Length" in r.reason
    assert r.hdr("Call-ID") == "bad1"


def test_crlf_keepalives(korero):
    k = start(korero)
    before = json.loads(k.korctl("stats.fetch", "core").stdout)
    c = sipclient.UDP()
    c.send(b"\r\n\r\n", ("127.0.0.1", k.p1))
    t = socket.create_connection(("127.0.0.1", k.p1))
    t.sendall(b"\r\n\r\n")  # RFC 5626 ping: a CRLF pong comes back
    t.settimeout(3)
    assert t.recv(16) == b"\r\n"
    assert options("udp", "127.0.0.1", k.p1).code == 200
    after = json.loads(k.korctl("stats.fetch", "core").stdout)
    assert after["core.bad_msg_hdr"] == before["core.bad_msg_hdr"]
    t.close()


def test_port_and_advertised_address(korero, tmp_path):
    p = free_port()
    sink = sipclient.UDP()
    cfg = f"""
port={p}
advertised_address="198.51.100.9"
advertised_port=5080
listen=udp:127.0.0.1
loadmodule "sl.so"
request_route {{
    if (method == "OPTIONS") {{
        sl_send_reply("200", "OK");
        exit;
    }}
    $du = "sip:127.0.0.1:{sink.port}";
    forward();
}}
"""
    k = korero(cfg, probe=("udp", "127.0.0.1", p))
    c = sipclient.UDP()
    c.send(sipclient.request("MESSAGE", "sip:x@example.org", "127.0.0.1", c.port),
           ("127.0.0.1", p))
    sink.sock.settimeout(3)
    data, _ = sink.sock.recvfrom(65535)
    assert sipclient.Reply(data).hdr("Via").startswith("SIP/2.0/UDP 198.51.100.9:5080;branch=")


def test_second_instance_refused(korero, tmp_path):
    """SO_REUSEPORT must not let a second server share our addresses."""
    k = start(korero)
    cfg = tmp_path / "second.cfg"
    cfg.write_text(f'listen=udp:127.0.0.1:{k.p1}\nloadmodule "sl.so"\n'
                   'request_route {\n  sl_send_reply("200", "second");\n}\n')
    import subprocess
    from conftest import KORERO
    r = subprocess.run([KORERO, "-f", str(cfg)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "already in use" in r.stderr
    assert options("udp", "127.0.0.1", k.p1).reason.startswith("on 127.0.0.1")


def test_tcp_pipelined_requests_answered_in_order(korero):
    """Many requests in one write: every reply comes back, in order (replies to one
    read are gathered into one write)."""
    k = start(korero)
    t = sipclient.TCP(("127.0.0.1", k.p1))
    reqs = b"".join(sipclient.request("OPTIONS", f"sip:127.0.0.1:{k.p1}", "127.0.0.1", t.port,
                                      "TCP", callid=f"pipe-{i}") for i in range(200))
    t.send(reqs)
    got = [t.recv(5.0) for _ in range(200)]
    assert [r.hdr("Call-ID") for r in got] == [f"pipe-{i}" for i in range(200)]
    assert all(r.code == 200 for r in got)
    t.close()


def test_tcp_message_trickled_byte_by_byte(korero):
    """A request sent one byte per segment is framed (the framer resumes where it
    stopped) and answered."""
    k = start(korero)
    t = sipclient.TCP(("127.0.0.1", k.p1))
    t.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    req = sipclient.request("OPTIONS", f"sip:127.0.0.1:{k.p1}", "127.0.0.1", t.port, "TCP",
                            extra="X-Pad: " + "x" * 2000, callid="trickle")
    for i in range(len(req)):
        t.sock.send(req[i:i + 1])
    r = t.recv(5.0)
    assert r is not None and r.code == 200 and r.hdr("Call-ID") == "trickle"
    t.close()
