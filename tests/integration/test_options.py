# SPDX-License-Identifier: GPL-2.0-or-later
"""OPTIONS answered 200 by the real binary over UDP and TCP, IPv4 and IPv6, with real
clients: sipsak (IPv4; it has no IPv6) and sipp (IPv6)."""
import os
import subprocess

import pytest

import sipclient
from conftest import free_port

HERE = os.path.dirname(__file__)

CFG = """
debug=2
children=2
listen=udp:127.0.0.1:{p4}
listen=tcp:127.0.0.1:{p4}
listen=udp:[::1]:{p6}
listen=tcp:[::1]:{p6}
loadmodule "sl.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:@CTL@")
request_route {{
    if (method == "OPTIONS" && uri == myself) {{
        sl_send_reply("200", "Alive");
        exit;
    }}
    sl_send_reply("404", "Not Here");
}}
"""


@pytest.fixture
def server(korero):
    p4 = free_port("127.0.0.1")
    p6 = free_port("::1")
    k = korero(CFG.format(p4=p4, p6=p6), probe=("udp", "127.0.0.1", p4))
    k.p4, k.p6 = p4, p6
    return k


@pytest.mark.parametrize("proto", ["udp", "tcp"])
def test_sipsak_ipv4(server, proto):
    r = subprocess.run(["sipsak", "-vv", "-E", proto, "-s", f"sip:127.0.0.1:{server.p4}"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SIP/2.0 200 Alive" in r.stdout


@pytest.mark.parametrize("proto", ["udp", "tcp"])
def test_sipp_ipv6(server, proto, tmp_path):
    t = "u1" if proto == "udp" else "t1"
    r = subprocess.run(["sipp", "-sf", os.path.join(HERE, "scenarios", "options.xml"),
                        "-i", "::1", "-t", t, "-m", "5", "-timeout", "15s", "-nostdin",
                        "-trace_err", "-error_file", str(tmp_path / "err.log"),
                        f"[::1]:{server.p6}"],
                       capture_output=True, text=True, timeout=30, cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr


@pytest.mark.parametrize("proto,host", [("udp", "127.0.0.1"), ("tcp", "127.0.0.1"),
                                        ("udp", "::1"), ("tcp", "::1")])
def test_reply_bytes(server, proto, host):
    port = server.p4 if host == "127.0.0.1" else server.p6
    c = sipclient.UDP(host) if proto == "udp" else sipclient.TCP((host, port))
    req = sipclient.request("OPTIONS", f"sip:{sipclient.bracket(host)}:{port}", host, c.port,
                            proto.upper(), callid="abc@test")
    c.send(req, (host, port))
    rep = c.recv()
    c.close()
    assert rep is not None
    assert rep.start == "SIP/2.0 200 Alive"
    assert rep.hdr("Call-ID") == "abc@test"
    assert rep.hdr("CSeq") == "1 OPTIONS"
    assert ";tag=" in rep.hdr("To")
    via = rep.hdr("Via")
    # RFC 3581: rport filled with the source port; received added.
    assert f"rport={c.port}" in via
    assert f"received={host}" in via
    assert rep.hdr("Content-Length") == "0"


def test_not_myself(server):
    c = sipclient.UDP()
    c.send(sipclient.request("OPTIONS", "sip:bob@example.org", "127.0.0.1", c.port),
           ("127.0.0.1", server.p4))
    rep = c.recv()
    assert rep.code == 404 and rep.reason == "Not Here"
