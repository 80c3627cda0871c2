"""kpod's container and pod commands against a real crio, as a user types them."""
import json
import re

import pytest

from ctr_helpers import assert_nothing_left, crio_with_busybox


@pytest.fixture
def d(tmp_path, registry):
    yield from crio_with_busybox(tmp_path, registry)


def test_run_prints_output_and_exits_with_the_code(d):
    p = d.kpod("run", "--rm", d.image, "sh", "-c", "echo out; echo err >&2; exit 5")
    assert p.returncode == 5, p.stderr
    assert p.stdout == "out\n"
    assert "err\n" in p.stderr
    assert_nothing_left(d)


def test_run_command_not_found_is_127(d):
    p = d.kpod("run", "--rm", d.image, "/no/such/cmd")
    assert p.returncode == 127, (p.stdout, p.stderr)
    assert_nothing_left(d)


def test_detached_run_ps_logs_stop_rm(d):
    p = d.kpod("run", "-d", "--name", "web", "-e", "GREETING=hi", "-l", "app=web", "-m", "64m",
               "--cpus", "0.5", "--pids-limit", "50", d.image, "sh", "-c",
               "echo $GREETING; sleep 1000", check=True)
    cid = p.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid)
    p = d.kpod("ps", check=True)
    header, row = p.stdout.splitlines()
    assert header.split()[:2] == ["CONTAINER", "ID"]
    assert cid[:12] in row and "web" in row and "Up" in row
    assert d.kpod("ps", "-q", check=True).stdout.split() == [cid[:12]]
    assert d.kpod("ps", "--format", "{{.Names}} {{.State}}", check=True).stdout == "web running\n"
    assert d.kpod("logs", "web", check=True).stdout == "hi\n"
    info = json.loads(d.kpod("inspect", "web", check=True).stdout)[0]
    assert info["spec"]["resources"]["memory_limit"] == 64 * 1024 * 1024
    assert info["spec"]["resources"]["cpu_quota"] == 50000
    assert info["labels"] == {"app": "web"}
    p = d.kpod("rm", "web")
    assert p.returncode == 2  # podman: the container is running
    d.kpod("stop", "-t", "1", "web", check=True)
    assert "Exited (137)" in d.kpod("ps", "-a", check=True).stdout
    assert d.kpod("wait", "web", check=True).stdout.strip() == "137"
    d.kpod("rm", "web", check=True)
    assert d.kpod("rm", "web").returncode == 1  # no such container
    assert_nothing_left(d)


def test_create_start_pause_kill_rename(d):
    cid = d.kpod("create", "--name", "c1", d.image, "sleep", "1000", check=True).stdout.strip()
    assert "Created" in d.kpod("ps", "-a", check=True).stdout
    d.kpod("start", "c1", check=True)
    d.kpod("pause", "c1", check=True)
    assert d.get_json(f"/v1/containers/{cid}")["state"] == "paused"
    d.kpod("unpause", "c1", check=True)
    d.kpod("rename", "c1", "c2", check=True)
    d.kpod("kill", "-s", "KILL", "c2", check=True)
    assert d.kpod("wait", "c2", check=True).stdout.strip() == "137"
    d.kpod("rm", "-a", check=True)
    assert_nothing_left(d)


def test_pods_from_kpod(d):
    d.kpod("pod", "create", "--name", "p1", "--hostname", "p1host", check=True)
    d.kpod("run", "-d", "--pod", "p1", "--name", "in-pod", d.image, "sleep", "1000", check=True)
    p = d.kpod("pod", "ps", check=True)
    assert "p1" in p.stdout
    p = d.kpod("run", "--rm", "--pod", "p1", d.image, "hostname")
    assert p.stdout == "p1host\n", p.stderr
    d.kpod("pod", "stop", "p1", check=True)
    assert d.kpod("pod", "rm", "p1").returncode != 0
    d.kpod("pod", "rm", "-f", "p1", check=True)
    assert_nothing_left(d)


def test_bad_input_is_refused(d):
    p = d.kpod("run", "--rm", "-v", "/nonexistent/path:/x", d.image, "true")
    assert p.returncode == 125 and "/nonexistent/path" in p.stderr
    p = d.kpod("run", "--rm", "-m", "lots", d.image, "true")
    assert p.returncode == 125
    p = d.kpod("run", "--rm", "--name", "bad name", d.image, "true")
    assert p.returncode == 125 and "bad name" in p.stderr
    assert_nothing_left(d)
