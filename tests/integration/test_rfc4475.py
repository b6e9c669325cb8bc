# SPDX-License-Identifier: GPL-2.0-or-later
"""RFC 4475 torture messages through the real binary (UDP), each behaving as §3 of the
RFC expects of a proxy, and the server answering normally after each one.
The fixtures are in tests/data/rfc4475 (see SOURCE.txt and LICENSE there)."""
import os
import socket

import pytest

import sipclient
from conftest import ROOT, free_port

DATA = os.path.join(ROOT, "tests", "data", "rfc4475")

# fwd: proxied to the next hop; drop: nothing sent anywhere; a number: answered with it.
# A set: the RFC allows either.
EXPECT = {
    # 3.1.1 valid
    "wsinv.dat": "fwd", "intmeth.dat": "fwd", "esc01.dat": "fwd", "escnull.dat": "fwd",
    "esc02.dat": "fwd", "lwsdisp.dat": "fwd", "longreq.dat": "fwd", "dblreq.dat": "fwd",
    "semiuri.dat": "fwd", "transports.dat": "fwd", "mpart01.dat": "fwd",
    "unreason.dat": "drop", "noreason.dat": "drop",  # stray responses
    # 3.1.2 invalid
    "badinv01.dat": 400, "clerr.dat": 400, "ncl.dat": 400, "scalar02.dat": 400,
    "scalarlg.dat": "drop", "quotbal.dat": 400, "ltgtruri.dat": 400, "lwsruri.dat": 400,
    "lwsstart.dat": 400, "trws.dat": 400, "escruri.dat": 400,
    "baddate.dat": {400, "fwd"},  # "400, or ignore the Date header"
    "regbadct.dat": 400, "badaspec.dat": 400, "baddn.dat": 400, "badvers.dat": 505,
    "mismatch01.dat": 400, "mismatch02.dat": {400, 501}, "bigcode.dat": "drop",
    # 3.2 transaction layer
    "badbranch.dat": "fwd",
    # 3.3 application layer (as a proxy)
    "insuf.dat": 400, "unkscm.dat": 416, "novelsc.dat": 416, "unksm2.dat": "fwd",
    "bext01.dat": 420, "invut.dat": "fwd", "regaut01.dat": "fwd", "multi01.dat": 400,
    "mcl01.dat": 400, "bcast.dat": "drop", "zeromf.dat": 483, "cparam01.dat": "fwd",
    "cparam02.dat": "fwd", "regescrt.dat": "fwd", "sdp01.dat": "fwd",
    # 3.4 backward compatibility
    "inv2543.dat": "fwd",
    # not a numbered test: no SIP-Version on the request line
    "test.dat": {400, "drop"},
}

CFG = """
children=2
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "sanity.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:@CTL@")
request_route {{
    force_rport();
    if (!mf_process_maxfwd_header("70")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (!sanity_check()) {{
        exit;
    }}
    if (method == "OPTIONS" && uri == myself && $rU == $null) {{
        sl_send_reply("200", "Alive");
        exit;
    }}
    $du = "sip:127.0.0.1:{sink}";
    forward();
}}
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from conftest import Korero
    tmp = tmp_path_factory.mktemp("rfc4475")
    sink = sipclient.UDP()
    port = free_port()
    k = Korero(tmp, CFG.format(port=port, sink=sink.port), probe=("udp", "127.0.0.1", port))
    k.port = port
    yield k, sink
    k.stop()


def outcome(client, sink, timeout=1.0):
    """What korero did: ('reply', code) to the client, ('fwd', bytes) at the sink, or
    ('drop', None) when neither came."""
    import select
    r, _, _ = select.select([client.sock, sink.sock], [], [], timeout)
    if client.sock in r:
        return "reply", client.recv(0.1)
    if sink.sock in r:
        return "fwd", sink.sock.recvfrom(65535)[0]
    return "drop", None


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_torture(setup, name):
    k, sink = setup
    with open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    c = sipclient.UDP()
    c.send(data, ("127.0.0.1", k.port))
    kind, what = outcome(c, sink)
    want = EXPECT[name]
    want = want if isinstance(want, set) else {want}
    if kind == "reply":
        assert what.code in want, f"{name}: answered {what.start}"
        if what.code >= 400:
            assert len(what.reason) > 0
    else:
        assert kind in want, f"{name}: {kind}"
    if kind == "fwd":
        # The forwarded copy carries our Via on top and the original after it.
        fwd = sipclient.Reply(what)
        assert fwd.hdr("Via").startswith(f"SIP/2.0/UDP 127.0.0.1:{k.port};branch=z9hG4bK")
    # Still alive and answering.
    probe = sipclient.request("OPTIONS", f"sip:127.0.0.1:{k.port}", "127.0.0.1", c.port)
    c.send(probe, ("127.0.0.1", k.port))
    r = c.recv(2.0)
    assert r is not None and r.code == 200, name
    c.close()


def test_counted(setup):
    k, _ = setup
    out = k.korctl("stats.fetch", "all").stdout
    assert '"core.err_requests"' in out or '"core.bad_msg_hdr"' in out
