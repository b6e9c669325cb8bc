# SPDX-License-Identifier: GPL-2.0-or-later
"""Stateless proxying end to end: sipp's built-in uac scenario through korero
(children=2) to sipp's uas. Every message of a call comes from one source, so it must
be handled in order: a 180 is never forwarded behind its 200."""
import re
import subprocess

import pytest

from conftest import free_port

CFG = """
children=2
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "ctl.so"
modparam("ctl", "binrpc", "unix:@CTL@")
request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    $du = "sip:127.0.0.1:{uas};transport={proto}";
    forward();
}}
"""


def run_calls(korero, tmp_path, proto, calls, rate):
    port = free_port()
    uas_port = free_port()
    k = korero(CFG.format(port=port, uas=uas_port, proto=proto), probe=None)
    t = "u1" if proto == "udp" else "t1"
    uas = subprocess.Popen(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(uas_port), "-t", t,
                            "-nostdin"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           cwd=str(tmp_path))
    try:
        r = subprocess.run(["sipp", "-sn", "uac", "-i", "127.0.0.1", "-p", str(free_port()),
                            "-t", t, "-r", str(rate), "-m", str(calls), "-l", "2000",
                            "-timeout", "60s", "-nostdin", "-trace_stat", "-stf",
                            str(tmp_path / "stat.csv"), f"127.0.0.1:{port}"],
                           capture_output=True, text=True, timeout=180, cwd=str(tmp_path))
    finally:
        uas.terminate()
        uas.wait(timeout=10)
    out = r.stdout
    ok = re.findall(r"Successful call\s+\|\s+\d+\s+\|\s+(\d+)", out)
    failed = re.findall(r"Failed call\s+\|\s+\d+\s+\|\s+(\d+)", out)
    stats = k.korctl("stats.fetch", "all").stdout
    return r.returncode, ok, failed, out + "\nkorero stats:\n" + stats, stats


@pytest.mark.parametrize("proto,calls,rate", [("udp", 10000, 500), ("tcp", 2000, 500)])
def test_sipp_uac_uas(korero, tmp_path, proto, calls, rate):
    rc, ok, failed, out, stats = run_calls(korero, tmp_path, proto, calls, rate)
    assert ok and int(ok[-1]) == calls, out[-3000:]
    assert failed and int(failed[-1]) == 0, out[-3000:]
    assert rc == 0, out[-3000:]
    # 5 requests per call (INVITE, ACK, BYE) = 3 forwarded requests, 3 relayed replies
    # (180, 200, 200 for BYE) at least.
    m = re.search(r'"core.fwd_requests"\s*:\s*(\d+)', stats)
    assert m and int(m.group(1)) >= 3 * calls, stats
