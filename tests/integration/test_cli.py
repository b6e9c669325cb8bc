# SPDX-License-Identifier: GPL-2.0-or-later
"""The command line: -V, -c, -A, and one test per class of config error, each checked
for its FILE:LINE:COL position and what it says."""
import os
import re
import subprocess

import pytest

from conftest import KORERO, ROOT


def check(tmp_path, text, *args):
    path = tmp_path / "t.cfg"
    path.write_text(text)
    r = subprocess.run([KORERO, "-c", "-f", str(path)] + list(args), capture_output=True,
                       text=True, timeout=10)
    return r, str(path)


HEAD = 'listen=udp:127.0.0.1:5999\nloadmodule "sl.so"\n'


def test_version():
    r = subprocess.run([KORERO, "-V"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    assert re.search(r"korero \d+\.\d+\.\d+", r.stdout)
    assert "openssl" in r.stdout


def test_default_config_checks():
    r = subprocess.run([KORERO, "-c", "-f", os.path.join(ROOT, "etc", "korero.cfg")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr


def test_examples_check():
    for d in (os.path.join(ROOT, "examples"), os.path.join(ROOT, "etc")):
        for name in sorted(os.listdir(d)):
            if name.endswith(".cfg"):
                r = subprocess.run([KORERO, "-c", "-f", os.path.join(d, name)],
                                   capture_output=True, text=True, timeout=10)
                assert r.returncode == 0, name + ": " + r.stderr


def test_good_config(tmp_path):
    r, _ = check(tmp_path, HEAD + 'request_route {\n  sl_send_reply("200", "OK");\n}\n')
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("body,line,col,words", [
    # syntax: missing ';'
    ('request_route {\n  sl_send_reply("200", "OK")\n}\n', 5, 1, ["expected", "';'"]),
    # unknown function
    ('request_route {\n  sl_send_replyy("200", "OK");\n}\n', 4, 3,
     ["unknown function", "sl_send_replyy"]),
    # wrong argument count
    ('request_route {\n  sl_send_reply("200");\n}\n', 4, 3, ["sl_send_reply", "argument"]),
    # unknown route
    ('request_route {\n  route(NOWHERE);\n}\n', 4, 9, ["NOWHERE"]),
    # unknown pseudo-variable
    ('request_route {\n  if ($nosuchpv == 1) { exit; }\n}\n', 4, 7, ["$nosuchpv"]),
    # unknown core parameter
    ('childrn=4\nrequest_route {\n  exit;\n}\n', 3, 1, ["childrn"]),
    # unknown module
    ('loadmodule "nosuch.so"\nrequest_route {\n  exit;\n}\n', 3, 12, ["nosuch"]),
    # unknown modparam
    ('modparam("sl", "nosuchparam", 1)\nrequest_route {\n  exit;\n}\n', 3, 16,
     ["nosuchparam"]),
])
def test_config_errors(tmp_path, body, line, col, words):
    r, path = check(tmp_path, HEAD + body)
    assert r.returncode == 1
    first = r.stderr.strip().splitlines()[0]
    m = re.match(r"(.+):(\d+):(\d+): error: (.*)", first)
    assert m, first
    assert m.group(1) == path
    assert (int(m.group(2)), int(m.group(3))) == (line, col), first
    for w in words:
        assert w in m.group(4), first


def test_error_in_included_file(tmp_path):
    inc = tmp_path / "inc.cfg"
    inc.write_text('route[X] {\n  nosuch();\n}\n')
    r, _ = check(tmp_path, HEAD + 'include_file "inc.cfg"\nrequest_route {\n  route(X);\n}\n')
    assert r.returncode == 1
    assert r.stderr.startswith(str(inc) + ":2:3: error:"), r.stderr


def test_define_from_command_line(tmp_path):
    text = HEAD + ('#!ifdef WITH_X\nrequest_route {\n  exit;\n}\n#!else\n'
                   'request_route {\n  broken(\n}\n#!endif\n')
    r, _ = check(tmp_path, text)
    assert r.returncode == 1
    r, _ = check(tmp_path, text, "-A", "WITH_X")
    assert r.returncode == 0, r.stderr
