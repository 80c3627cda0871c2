"""kpod exec, cp, diff, export, mount and stats against a real crio."""
import io
import json
import os
import pty
import subprocess
import tarfile
import time

import pytest

from crio_daemon import KPOD
from ctr_helpers import crio_with_busybox


@pytest.fixture
def d(tmp_path, registry):
    yield from crio_with_busybox(tmp_path, registry)


def running(d, name, *cmd):
    d.kpod("run", "-d", "--name", name, d.image, *(cmd or ("sleep", "1000")), check=True)
    deadline = time.monotonic() + 10
    while d.get_json(f"/v1/containers/{name}")["state"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_exec_exit_codes_and_output(d):
    running(d, "x")
    p = d.kpod("exec", "x", "sh", "-c", "echo out; echo err >&2; exit 6")
    assert (p.returncode, p.stdout, p.stderr) == (6, "out\n", "err\n")
    assert d.kpod("exec", "x", "/no/such/cmd").returncode == 127
    p = subprocess.run([KPOD, "exec", "-i", "x", "cat"], input="through stdin\n", text=True,
                       capture_output=True, timeout=60,
                       env=dict(os.environ, CRIO_API=f"unix://{d.api_socket}"))
    assert p.returncode == 0 and p.stdout == "through stdin\n", p.stderr


def test_exec_env_user_workdir(d, tmp_path):
    running(d, "u")
    envfile = tmp_path / "exec.env"
    envfile.write_text("FROM_FILE=yes\n")
    env = dict(os.environ, CRIO_API=f"unix://{d.api_socket}", PASSED="through")
    script = "echo $GREETING $FROM_FILE $PASSED; id -u; id -g; id -G; pwd"
    p = subprocess.run([KPOD, "exec", "-e", "GREETING=hello", "--env-file", str(envfile),
                        "-e", "PASSED", "-u", "nobody", "-w", "/tmp", "u", "sh", "-c", script],
                       text=True, capture_output=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "hello yes through"
    assert lines[1] == "65534"                       # busybox's nobody
    assert lines[4] == "/tmp"
    # the same over the WebSocket (-i), and a numeric uid:gid
    p = subprocess.run([KPOD, "exec", "-i", "-e", "GREETING=hi", "-u", "1234:5678", "-w", "/etc",
                        "u", "sh", "-c", "echo $GREETING; id -u; id -g; pwd"],
                       input="", text=True, capture_output=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["hi", "1234", "5678", "/etc"]
    # the container's own user and directory stay the default
    assert d.kpod("exec", "u", "sh", "-c", "id -u; pwd").stdout.splitlines() == ["0", "/"]


def test_exec_bad_env_user_workdir_refused(d):
    running(d, "b")
    p = d.kpod("exec", "-e", "=x", "b", "true")
    assert p.returncode == 125 and "=x" in p.stderr
    p = d.kpod("exec", "-w", "relative", "b", "true")
    assert p.returncode == 125 and "relative" in p.stderr and "absolute" in p.stderr
    p = d.kpod("exec", "-u", "no-such-user", "b", "true")
    assert p.returncode == 125 and "no-such-user" in p.stderr
    r = d.request("POST", "/v1/containers/b/exec", body={"command": ["true"], "env": ["NOEQ"]})
    assert r.status == 400 and "NOEQ" in r.json()["error"]["message"]
    r = d.request("GET", "/v1/containers/b/exec/stream?command=true&workdir=rel")
    assert r.status == 400 and "rel" in r.json()["error"]["message"]


def test_exec_it_on_a_terminal(d):
    running(d, "t")
    env = dict(os.environ, CRIO_API=f"unix://{d.api_socket}", TERM="xterm")
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(KPOD, [KPOD, "exec", "-it", "t", "sh", "-c",
                         "read -r l; echo \"you said $l\"; exit 4"], env)
    time.sleep(1)
    os.write(fd, b"hi there\r")
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert b"you said hi there" in out, out
    assert os.waitstatus_to_exitcode(status) == 4


def test_cp_round_trip_keeps_the_mode(d, tmp_path):
    running(d, "c")
    src = tmp_path / "data.txt"
    src.write_text("payload\n")
    src.chmod(0o640)
    d.kpod("cp", str(src), "c:/tmp/", check=True)
    p = d.kpod("exec", "c", "stat", "-c", "%a %n", "/tmp/data.txt", check=True)
    assert p.stdout == "640 /tmp/data.txt\n"
    back = tmp_path / "back.txt"
    d.kpod("cp", "c:/tmp/data.txt", str(back), check=True)
    assert back.read_text() == "payload\n" and (back.stat().st_mode & 0o777) == 0o640
    assert d.kpod("cp", "c:/nope", str(tmp_path / "x")).returncode == 125


def test_diff_export_mount(d, tmp_path):
    running(d, "f", "sh", "-c", "echo a > /added; echo c >> /etc/passwd; rm /etc/group; sleep 1000")
    time.sleep(0.5)
    lines = set(d.kpod("diff", "f", check=True).stdout.splitlines())
    assert {"A /added", "C /etc/passwd", "D /etc/group"} <= lines
    out = tmp_path / "f.tar"
    d.kpod("export", "-o", str(out), "f", check=True)
    names = {n.lstrip("./") for n in tarfile.open(out).getnames()}
    assert {"added", "bin/busybox"} <= names and "etc/group" not in names
    path = d.kpod("mount", "f", check=True).stdout.strip()
    assert open(os.path.join(path, "added")).read() == "a\n"


def test_stats_no_stream(d):
    running(d, "busy", "sh", "-c", "while :; do :; done")
    time.sleep(1)
    p = d.kpod("stats", "--no-stream", "busy", check=True)
    header, row = p.stdout.splitlines()[:2]
    assert "CPU %" in header and "MEM USAGE / LIMIT" in header
    assert "busy" in row
    cpu = float(row.split("%")[0].split()[-1])
    assert cpu > 30, row
    p = d.kpod("stats", "--no-stream", "--format", "json", "busy", check=True)
    assert json.loads(p.stdout)[0]["name"] == "busy" or "busy" in p.stdout
