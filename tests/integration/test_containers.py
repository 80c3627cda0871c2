"""Containers through conmon and runc: lifecycle, exit codes, logs, stop
escalation, kill, pause, OOM, cgroup limits, bad specs."""
import os
import re
import time

import pytest

from ctr_helpers import (assert_nothing_left, cgroup_dir, create, inspect, logs, run, start_crio,
                         wait, wait_state)


@pytest.fixture
def d(tmp_path, registry):
    d = start_crio(tmp_path, registry)
    yield d
    for c in d.get_json("/v1/containers?all=true"):
        d.request("DELETE", f"/v1/containers/{c['id']}?force=true")
    assert d.stop() == 0, d.logs()


CRI_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) (stdout|stderr) (F|P) ")


def test_lifecycle_exit_code_and_logs(d, registry):
    c = create(d, registry, ["sh", "-c", "echo hello; echo oops >&2; exit 3"], name="life").json()
    assert c["state"] == "created" and c["name"] == "life"
    assert c["command"] == ["sh", "-c", "echo hello; echo oops >&2; exit 3"]
    r = d.request("POST", f"/v1/containers/{c['id']}/start")
    assert r.status == 200
    assert wait(d, c["id"]) == {"exit_code": 3, "oom_killed": False}
    info = inspect(d, c["id"])
    assert info["state"] == "exited" and info["exit_code"] == 3 and info["reason"] == "Error"
    assert info["started"] and info["finished"] >= info["started"]
    lines = logs(d, c["id"])
    assert [(l["stream"], l["log"]) for l in lines] == [("stdout", "hello\n"), ("stderr", "oops\n")]
    with open(info["log_path"]) as f:
        raw = f.read().splitlines()
    assert len(raw) == 2 and all(CRI_LINE.match(l) for l in raw), raw
    r = d.request("DELETE", f"/v1/containers/{c['id']}")
    assert r.status == 200 and r.json() == {"id": c["id"]}
    assert_nothing_left(d)


def test_stop_escalates_to_sigkill(d, registry):
    cid = run(d, registry, ["sh", "-c", "trap '' TERM; while true; do sleep 0.2; done"])
    wait_state(d, cid, "running")
    t0 = time.monotonic()
    r = d.request("POST", f"/v1/containers/{cid}/stop?timeout=1")
    assert r.status == 200, r.body
    assert 0.9 < time.monotonic() - t0 < 8
    info = r.json()
    assert info["state"] == "exited" and info["exit_code"] == 137


def test_stop_signal_reaches_the_process(d, registry):
    cid = run(d, registry, ["sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.1; done"])
    wait_state(d, cid, "running")
    time.sleep(0.3)
    r = d.request("POST", f"/v1/containers/{cid}/stop?timeout=10")
    assert r.json()["exit_code"] == 42


def test_kill_with_a_signal(d, registry):
    cid = run(d, registry, ["sh", "-c", "trap 'exit 9' USR1; while true; do sleep 0.1; done"])
    wait_state(d, cid, "running")
    time.sleep(0.3)
    assert d.request("POST", f"/v1/containers/{cid}/kill?signal=SIGUSR1").status == 200
    assert wait(d, cid)["exit_code"] == 9
    r = d.request("POST", f"/v1/containers/{cid}/kill?signal=NOPE")
    assert r.status == 400


def cpu_usage_ns(pod_id, cid):
    with open(os.path.join(cgroup_dir("cpuacct", pod_id, cid), "cpuacct.usage")) as f:
        return int(f.read())


def test_pause_stops_cpu_and_unpause_resumes(d, registry):
    cid = run(d, registry, ["sh", "-c", "while :; do :; done"])
    wait_state(d, cid, "running")
    pod = inspect(d, cid)["pod_id"]
    assert d.request("POST", f"/v1/containers/{cid}/pause").json()["state"] == "paused"
    before = cpu_usage_ns(pod, cid)
    time.sleep(1)
    assert cpu_usage_ns(pod, cid) - before < 50_000_000  # < 50 ms in 1 s
    assert d.request("POST", f"/v1/containers/{cid}/unpause").json()["state"] == "running"
    before = cpu_usage_ns(pod, cid)
    time.sleep(1)
    assert cpu_usage_ns(pod, cid) - before > 300_000_000
    assert d.request("POST", f"/v1/containers/{cid}/pause").status == 200
    assert d.request("POST", f"/v1/containers/{cid}/pause").status == 409


def test_oom_kill_is_reported(d, registry):
    cid = run(d, registry, ["sh", "-c", "x=$(head -c 300000000 /dev/zero | tr '\\0' a); echo done"],
              resources={"memory_limit": 32 * 1024 * 1024})
    result = wait(d, cid)
    assert result == {"exit_code": 137, "oom_killed": True}, result
    assert inspect(d, cid)["reason"] == "OOMKilled"


def test_limits_reach_the_cgroup(d, registry):
    cid = run(d, registry, ["sleep", "1000"], resources={
        "memory_limit": 64 * 1024 * 1024, "cpu_quota": 50000, "cpu_period": 100000,
        "cpu_shares": 512, "pids_limit": 42})
    wait_state(d, cid, "running")
    pod = inspect(d, cid)["pod_id"]
    read = lambda ctl, f: open(os.path.join(cgroup_dir(ctl, pod, cid), f)).read().strip()
    assert read("memory", "memory.limit_in_bytes") == str(64 * 1024 * 1024)
    assert read("cpu", "cpu.cfs_quota_us") == "50000"
    assert read("cpu", "cpu.cfs_period_us") == "100000"
    assert read("cpu", "cpu.shares") == "512"
    assert read("pids", "pids.max") == "42"


def test_remove_running_needs_force(d, registry):
    cid = run(d, registry, ["sleep", "1000"])
    wait_state(d, cid, "running")
    r = d.request("DELETE", f"/v1/containers/{cid}")
    assert r.status == 409 and "running" in r.json()["error"]["message"]
    assert d.request("DELETE", f"/v1/containers/{cid}?force=true").status == 200
    assert_nothing_left(d)


def test_rename_and_name_conflicts(d, registry):
    a = create(d, registry, ["true"], name="alpha").json()
    create(d, registry, ["true"], name="beta")
    r = d.request("POST", f"/v1/containers/{a['id']}/rename?name=beta")
    assert r.status == 409
    r = d.request("POST", f"/v1/containers/alpha/rename?name=gamma")
    assert r.status == 200 and r.json()["name"] == "gamma"
    assert inspect(d, "gamma")["id"] == a["id"]
    r = create(d, registry, ["true"], check=False, name="gamma")
    assert r.status == 409


def test_restart_of_an_exited_container(d, registry):
    cid = run(d, registry, ["sh", "-c", "echo run; exit 5"])
    assert wait(d, cid)["exit_code"] == 5
    assert d.request("POST", f"/v1/containers/{cid}/start").status == 200
    assert wait(d, cid)["exit_code"] == 5
    assert [l["log"] for l in logs(d, cid)] == ["run\n", "run\n"]


@pytest.mark.parametrize("spec,status,needle", [
    ({"image": "localhost/none:here", "command": ["true"]}, 404, "localhost/none:here"),
    ({"entrypoint": [], "command": []}, 400, "no command"),
    ({"command": ["true"], "mounts": [{"source": "/nonexistent/dir", "destination": "/x"}]},
     400, "/nonexistent/dir"),
    ({"command": ["true"], "name": "bad name!"}, 400, "bad name!"),
    ({"command": ["true"], "resources": {"memory_limit": "lots"}}, 400, "resources.memory_limit"),
    ({"command": ["true"], "colour": "red"}, 400, "colour"),
    ({"command": ["true"], "pod": "no-such-pod"}, 404, "no-such-pod"),
    ({"command": ["true"], "runtime_handler": "kata"}, 400, "kata"),
])
def test_bad_specs_are_refused_and_leave_nothing(d, registry, spec, status, needle):
    body = {"image": registry.ref("busybox"), **spec}
    r = d.request("POST", "/v1/containers", body=body)
    assert r.status == status, r.body
    assert needle in r.json()["error"]["message"]
    assert_nothing_left(d)


def test_missing_executable_fails_start_with_runtime_message(d, registry):
    c = create(d, registry, ["/no/such/binary"], check=False)
    if c.status == 201:
        r = d.request("POST", f"/v1/containers/{c.json()['id']}/start")
        assert r.status >= 400
        msg = r.json()["error"]["message"]
    else:
        msg = c.json()["error"]["message"]
    assert "no such file" in msg.lower() or "not found" in msg.lower(), msg


def test_logs_follow_tail_since_and_partial_lines(d, registry):
    cid = run(d, registry, ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.3; done; "
                                        "printf partial"])
    followed = logs(d, cid, follow="true")  # returns once the container has exited
    assert [l["log"] for l in followed] == ["line1\n", "line2\n", "line3\n", "partial"]
    assert inspect(d, cid)["state"] == "exited"
    assert [l["log"] for l in logs(d, cid, tail=2)] == ["line3\n", "partial"]
    assert logs(d, cid, tail=0) == []
    assert logs(d, cid, since="2999-01-01T00:00:00Z") == []
    assert len(logs(d, cid, since="1h")) == 4
    r = d.request("GET", f"/v1/containers/{cid}/logs?since=yesterday")
    assert r.status == 400


def test_created_container_has_empty_logs(d, registry):
    c = create(d, registry, ["true"]).json()
    assert logs(d, c["id"]) == []
