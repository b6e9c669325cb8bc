# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixtures for integration tests: start the real korero binary with a config written
for the test, on free ports, wait until it answers, stop it with SIGTERM."""
import os
import random
import signal
import socket
import subprocess
import time

import pytest

import sipclient

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("KORERO_BUILD", os.path.join(ROOT, "build"))
KORERO = os.path.join(BUILD, "korero")
KORCTL = os.path.join(BUILD, "korctl")


def free_port(host="127.0.0.1"):
    """A port free for both UDP and TCP on host. Four digits: sipsak 0.9.8 cuts URIs
    with five-digit ports short."""
    fam = sipclient.family_of(host)
    for _ in range(200):
        port = random.randrange(4000, 9999)
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind((host, port))
        except OSError:
            t.close()
            continue
        u = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            u.bind((host, port))
        except OSError:
            t.close()
            continue
        t.close()
        u.close()
        return port
    raise RuntimeError("no free port")


class Korero:
    def __init__(self, tmp_path, cfg, args=(), wait=True, probe=None):
        self.tmp = tmp_path
        self.cfg_path = os.path.join(str(tmp_path), "korero.cfg")
        self.ctl = os.path.join(str(tmp_path), "ctl.sock")
        self.cfg = cfg.replace("@CTL@", self.ctl)
        with open(self.cfg_path, "w") as f:
            f.write(self.cfg)
        self.log_path = os.path.join(str(tmp_path), "korero.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([KORERO, "-f", self.cfg_path] + list(args),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready(probe)

    def wait_ready(self, probe, timeout=10.0):
        """Polls until probe (proto, host, port) answers an OPTIONS."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("korero exited %d:\n%s" % (self.proc.returncode, self.logtext()))
            if probe is None:
                if os.path.exists(self.ctl):
                    return
            else:
                proto, host, port = probe
                try:
                    msg = sipclient.request("OPTIONS", f"sip:{sipclient.bracket(host)}:{port}",
                                            host, 9, proto.upper())
                    r = sipclient.transact(proto, (host, port), msg, timeout=0.2)
                    if r is not None:
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("korero not ready:\n" + self.logtext())

    def logtext(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def korctl(self, *args, check=True):
        r = subprocess.run([KORCTL, "-s", self.ctl] + list(args), capture_output=True, text=True,
                           timeout=10)
        if check and r.returncode != 0:
            raise RuntimeError("korctl failed: %s %s" % (r.stdout, r.stderr))
        return r

    def stop(self):
        """SIGTERM; returns the seconds it took to exit."""
        if self.proc.poll() is not None:
            return 0.0
        t0 = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        self.log.close()
        return time.time() - t0


@pytest.fixture
def korero(tmp_path):
    started = []

    def start(cfg, **kw):
        d = tmp_path / ("k%d" % len(started))
        d.mkdir()
        k = Korero(d, cfg, **kw)
        started.append(k)
        return k

    yield start
    for k in started:
        k.stop()
    # The sanitizer build reports into the log (and keeps running after a UBSan report):
    # any report fails the test that started that korero.
    for k in started:
        text = k.logtext()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert marker not in text, "korero log (%s):\n%s" % (marker, text[-6000:])
