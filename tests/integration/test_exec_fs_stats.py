"""exec with collected output and a timeout; the container filesystem:
mount, diff, export, copy in and out; statistics that move."""
import io
import os
import tarfile
import time

import pytest

from ctr_helpers import inspect, run, start_crio, wait, wait_state


@pytest.fixture
def d(tmp_path, registry):
    d = start_crio(tmp_path, registry)
    yield d
    for c in d.get_json("/v1/containers?all=true"):
        d.request("DELETE", f"/v1/containers/{c['id']}?force=true")
    assert d.stop() == 0, d.logs()


def exec_(d, cid, command, timeout=None):
    body = {"command": command}
    if timeout is not None:
        body["timeout"] = timeout
    return d.request("POST", f"/v1/containers/{cid}/exec", body=body)


def test_exec_exit_code_output_and_timeout(d, registry):
    cid = run(d, registry, ["sleep", "1000"])
    wait_state(d, cid, "running")
    r = exec_(d, cid, ["sh", "-c", "echo out; echo err >&2; exit 4"])
    assert r.status == 200, r.body
    assert r.json() == {"exit_code": 4, "stdout": "out\n", "stderr": "err\n", "timed_out": False}
    t0 = time.monotonic()
    r = exec_(d, cid, ["sleep", "30"], timeout=1)
    assert time.monotonic() - t0 < 10
    assert r.json()["timed_out"] is True
    ps = exec_(d, cid, ["ps", "-o", "args"]).json()["stdout"]
    assert "sleep 30" not in ps  # killed at the timeout
    r = exec_(d, cid, ["/no/such/binary"])
    assert r.status >= 400 or r.json()["exit_code"] in (126, 127)
    assert exec_(d, cid, []).status == 400


def test_exec_needs_a_running_container(d, registry):
    cid = run(d, registry, ["true"])
    wait(d, cid)
    r = exec_(d, cid, ["true"])
    assert r.status == 409


def test_diff_shows_added_changed_deleted(d, registry):
    cid = run(d, registry, ["sh", "-c", "echo new > /added.txt; echo changed >> /etc/passwd; "
                                        "rm /etc/group; sleep 1000"])
    wait_state(d, cid, "running")
    time.sleep(0.5)
    changes = {(c["kind"], c["path"]) for c in d.get_json(f"/v1/containers/{cid}/changes")}
    assert ("A", "/added.txt") in changes
    assert ("C", "/etc/passwd") in changes
    assert ("D", "/etc/group") in changes


def test_export_lists_the_rootfs(d, registry):
    cid = run(d, registry, ["sh", "-c", "echo x > /marker; sleep 1000"])
    wait_state(d, cid, "running")
    time.sleep(0.3)
    r = d.request("GET", f"/v1/containers/{cid}/export")
    assert r.status == 200 and r.content_type == "application/x-tar"
    names = set(n.lstrip("./") for n in tarfile.open(fileobj=io.BytesIO(r.body)).getnames())
    assert {"bin/busybox", "etc/passwd", "marker"} <= names


def test_copy_in_and_out_round_trip_with_mode(d, registry, tmp_path):
    cid = run(d, registry, ["sleep", "1000"])
    wait_state(d, cid, "running")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        data = b"secret stuff\n"
        ti = tarfile.TarInfo("hello.txt")
        ti.size, ti.mode, ti.uid, ti.gid = len(data), 0o640, 1000, 1000
        t.addfile(ti, io.BytesIO(data))
    r = d.request("PUT", f"/v1/containers/{cid}/archive?path=/tmp", body=buf.getvalue(),
                  headers={"Content-Type": "application/x-tar"})
    assert r.status == 200, r.body
    out = exec_(d, cid, ["sh", "-c", "stat -c '%a %u %g' /tmp/hello.txt; cat /tmp/hello.txt"])
    assert out.json()["stdout"] == "640 1000 1000\nsecret stuff\n"
    r = d.request("GET", f"/v1/containers/{cid}/archive?path=/tmp/hello.txt")
    assert r.status == 200
    t = tarfile.open(fileobj=io.BytesIO(r.body))
    (m,) = t.getmembers()
    assert m.name == "hello.txt" and m.mode == 0o640
    assert t.extractfile(m).read() == b"secret stuff\n"
    assert d.request("GET", f"/v1/containers/{cid}/archive?path=/nope").status == 404
    bad = io.BytesIO()
    with tarfile.open(fileobj=bad, mode="w") as t:
        ti = tarfile.TarInfo("../../escape.txt")
        ti.size = 1
        t.addfile(ti, io.BytesIO(b"x"))
    r = d.request("PUT", f"/v1/containers/{cid}/archive?path=/tmp", body=bad.getvalue())
    assert r.status == 400


def test_mount_and_unmount(d, registry):
    cid = run(d, registry, ["true"])
    wait(d, cid)
    r = d.request("POST", f"/v1/containers/{cid}/mount")
    assert r.status == 200
    path = r.json()["path"]
    assert os.path.exists(os.path.join(path, "bin", "busybox"))
    assert d.request("POST", f"/v1/containers/{cid}/unmount").status == 200
    assert not os.path.exists(os.path.join(path, "bin", "busybox"))
    running = run(d, registry, ["sleep", "1000"])
    wait_state(d, running, "running")
    assert d.request("POST", f"/v1/containers/{running}/unmount").status == 409


def test_stats_move_with_cpu_and_memory(d, registry):
    cid = run(d, registry, ["sh", "-c", "x=$(head -c 40000000 /dev/zero | tr '\\0' a); "
                                        "while :; do :; done"],
              resources={"memory_limit": 256 * 1024 * 1024})
    wait_state(d, cid, "running")
    time.sleep(1.5)
    first = d.get_json(f"/v1/containers/{cid}/stats")
    time.sleep(1)
    second = d.get_json(f"/v1/containers/{cid}/stats")
    assert second["cpu"]["usage_ns"] > first["cpu"]["usage_ns"]
    assert second["cpu"]["rate"] > 0.3
    assert second["memory"]["usage"] > 30_000_000
    assert second["memory"]["limit"] == 256 * 1024 * 1024
    assert second["pids"]["current"] >= 1
    pod = d.get_json(f"/v1/pods/{inspect(d, cid)['pod_id']}/stats")
    assert pod["cpu"]["usage_ns"] >= second["cpu"]["usage_ns"]
    # a stream goes on until the client leaves: read two samples, then leave
    from crio_daemon import UnixHTTPConnection
    conn = UnixHTTPConnection(str(d.api_socket), timeout=5)
    conn.request("GET", f"/v1/containers/{cid}/stats?stream=true")
    resp = conn.getresponse()
    lines = [resp.readline() for _ in range(2)]
    conn.close()
    assert all(b'"cpu"' in l for l in lines)
