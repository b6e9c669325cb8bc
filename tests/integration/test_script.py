# SPDX-License-Identifier: GPL-2.0-or-later
"""Routing-script semantics on the real binary, asserted on the wire: the script puts
what it computed into reply reasons and headers."""
import pytest

import sipclient
from conftest import free_port

HEAD = """
debug=2
children=2
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "xlog.so"
loadmodule "maxfwd.so"
"""


def start(korero, body, **fmt):
    port = free_port()
    k = korero((HEAD + body).format(port=port, **fmt), probe=None, wait=False)
    k.port = port
    k.wait_ready(("udp", "127.0.0.1", port))
    return k


def ask(k, method="OPTIONS", ruri=None, extra="", proto="udp", body=""):
    ruri = ruri or f"sip:probe@127.0.0.1:{k.port}"
    c = sipclient.UDP() if proto == "udp" else sipclient.TCP(("127.0.0.1", k.port))
    c.send(sipclient.request(method, ruri, "127.0.0.1", c.port, proto.upper(), extra=extra,
                             body=body), ("127.0.0.1", k.port))
    r = c.recv()
    c.close()
    return r


def test_var_persists_per_worker_avp_per_message(korero):
    # children=1 so that every message meets the same $var store.
    k = start(korero, """
children=1
request_route {{
    $var(n) = $var(n) + 1;
    $avp(a) = 1;
    $avp(a) = 2;
    $avp(a) = "three";
    sl_send_reply("200", "n=$var(n) avp=$avp(a) old=$(avp(a)[2])");
}}
""")
    # The readiness probe was the first message: $var(n) has counted it.
    r1 = ask(k)
    r2 = ask(k)
    assert r1.reason == "n=2 avp=three old=1"
    assert r2.reason == "n=3 avp=three old=1"


def test_avp_does_not_survive_message(korero):
    k = start(korero, """
children=1
request_route {{
    if ($avp(seen) == $null) {{
        $avp(seen) = "yes";
        sl_send_reply("200", "fresh");
    }} else {{
        sl_send_reply("500", "leaked");
    }}
}}
""")
    assert ask(k).reason == "fresh"
    assert ask(k).reason == "fresh"


def test_switch_while_return(korero):
    k = start(korero, """
route[COUNT] {{
    $var(i) = 0;
    $var(s) = "";
    while ($var(i) < 5) {{
        $var(i) = $var(i) + 1;
        if ($var(i) == 4) {{
            break;
        }}
        $var(s) = $var(s) + $var(i);
    }}
    return 7;
}}
request_route {{
    route(COUNT);
    $var(rc) = $rc;
    $var(w) = "";
    switch ($rU) {{
    case "a":
        $var(w) = "A";
    case "b":
        $var(w) = $var(w) + "B";
        break;
    case "c":
        $var(w) = "C";
        break;
    default:
        $var(w) = "D";
    }}
    sl_send_reply("200", "s=$var(s) rc=$var(rc) w=$var(w)");
}}
""")
    assert ask(k, ruri=f"sip:a@127.0.0.1:{k.port}").reason == "s=123 rc=7 w=AB"
    assert ask(k, ruri=f"sip:b@127.0.0.1:{k.port}").reason.endswith("w=B")
    assert ask(k, ruri=f"sip:c@127.0.0.1:{k.port}").reason.endswith("w=C")
    assert ask(k, ruri=f"sip:zz@127.0.0.1:{k.port}").reason.endswith("w=D")


def test_transformations_and_pvs(korero):
    k = start(korero, """
request_route {{
    $var(u) = "sip:Alice@Example.COM:5070;transport=tcp;lr";
    sl_send_reply("200",
        "len=$(var(u){{s.len}}) user=$(var(u){{uri.user}}) host=$(var(u){{uri.host}}{{s.tolower}}) port=$(var(u){{uri.port}}) tp=$(var(u){{uri.param,transport}}) sub=$(var(u){{s.substr,4,5}}{{s.toupper}}) int=$(rU{{s.int}}) m=$rm ci=$ci");
}}
""")
    r = ask(k, ruri=f"sip:42@127.0.0.1:{k.port}")
    assert r.reason == ("len=43 user=Alice host=example.com port=5070 tp=tcp sub=ALICE int=42 "
                        "m=OPTIONS ci=" + r.hdr("Call-ID"))


def test_expressions(korero):
    k = start(korero, """
request_route {{
    $var(a) = 7;
    $var(b) = "3";
    $var(x) = "";
    if ($var(a) + (int)$var(b) * 2 == 13 && !($var(a) < 3) && $var(a) % 4 == 3) {{
        $var(x) = $var(x) + "arith ";
    }}
    if ($var(b) + $var(a) == "37" && $var(a) + $var(b) == 10) {{
        $var(x) = $var(x) + "concat ";
    }}
    if ($ru =~ "^sip:[a-z]+@" && $rU !~ "^[0-9]+$") {{
        $var(x) = $var(x) + "regex ";
    }}
    if ($avp(nothing) == $null && $var(nothing) == 0) {{
        $var(x) = $var(x) + "null ";
    }}
    if (is_method("OPTIONS|INVITE") && $hdr(X-Test) == "yes" && is_present_hf("X-Test")) {{
        $var(x) = $var(x) + "hdr";
    }}
    sl_send_reply("200", "$var(x)");
}}
""")
    r = ask(k, ruri=f"sip:bob@127.0.0.1:{k.port}", extra="X-Test: yes")
    assert r.reason == "arith concat regex null hdr"


def test_function_zero_stops_script(korero):
    k = start(korero, """
request_route {{
    route(R);
    sl_send_reply("500", "went on");
}}
route[R] {{
    sl_send_reply("200", "stopped");
    return 0;
}}
""")
    r = ask(k)
    assert r.reason == "stopped"


def test_reply_route_sees_replies(korero):
    """Requests forwarded to a UAS; reply_route drops 180 and tags the 200."""
    uas = sipclient.UDP()
    k = start(korero, """
request_route {{
    if (is_method("OPTIONS")) {{
        sl_send_reply("200", "OK");
        exit;
    }}
    $du = "sip:127.0.0.1:{uas}";
    forward();
}}
reply_route {{
    if ($rs == 180) {{
        drop;
    }}
    append_hf("X-Reply-Route: $rs $rr\\r\\n");
}}
""", uas=uas.port)
    c = sipclient.UDP()
    c.send(sipclient.request("MESSAGE", "sip:bob@example.org", "127.0.0.1", c.port),
           ("127.0.0.1", k.port))
    fwd = uas.sock.recvfrom(65535)
    req = sipclient.Reply(fwd[0])
    assert req.start == "MESSAGE sip:bob@example.org SIP/2.0"
    vias = req.hdrs("Via")
    assert vias[0].startswith(f"SIP/2.0/UDP 127.0.0.1:{k.port};branch=z9hG4bK")
    assert f"rport={c.port}" in vias[1]
    for code, reason in ((180, "Ringing"), (200, "OK")):
        lines = [f"SIP/2.0 {code} {reason}"]
        for name, value in req.headers:
            if name.lower() in ("via", "from", "to", "call-id", "cseq"):
                lines.append(f"{name}: {value}")
        lines.append("Content-Length: 0")
        uas.sock.sendto(("\r\n".join(lines) + "\r\n\r\n").encode(), fwd[1])
    r = c.recv()
    assert r.code == 200
    assert r.hdr("X-Reply-Route") == "200 OK"
    assert len(r.hdrs("Via")) == 1
    assert c.recv(timeout=0.5) is None


def test_htable_mod_init_and_shared_counter(korero):
    """event_route[htable:mod-init] runs before traffic; $sht is shared by the workers."""
    k = start(korero, """
loadmodule "htable.so"
modparam("htable", "htable", "a=>size=4;")
event_route[htable:mod-init] {{
    $sht(a=>greeting) = "hello";
    $sht(a=>n) = 0;
}}
request_route {{
    $sht(a=>n) = $sht(a=>n) + 1;
    sl_send_reply("200", "$sht(a=>greeting) $sht(a=>n)");
}}
""")
    first = ask(k)
    assert first.reason.startswith("hello ")
    n = int(first.reason.split()[1])
    for i in range(5):
        assert ask(k).reason == f"hello {n + i + 1}"
