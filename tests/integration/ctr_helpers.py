"""Helpers of the pod and container tests."""
import json
import os
import time

from crio_daemon import Crio
from images_helpers import image_config, pull_ok


def start_crio(tmp_path, registry, extra="", subdir="crio"):
    d = Crio(tmp_path / subdir, image_config(registry.addr, tmp_path, extra)).start()
    pull_ok(d, registry.ref("busybox"))
    return d


def crio_with_busybox(tmp_path, registry):
    """The body of a `d` fixture: a crio with busybox pulled (d.image names it);
    its containers are removed and the daemon stopped afterwards."""
    d = start_crio(tmp_path, registry)
    d.image = registry.ref("busybox")
    yield d
    for c in d.get_json("/v1/containers?all=true"):
        d.request("DELETE", f"/v1/containers/{c['id']}?force=true")
    assert d.stop() == 0, d.logs()


def create(d, registry, command, check=True, **spec):
    body = {"image": registry.ref("busybox"), "command": command, **spec}
    r = d.request("POST", "/v1/containers", body=body)
    if check:
        assert r.status == 201, r.body
    return r


def run(d, registry, command, **spec):
    c = create(d, registry, command, **spec).json()
    r = d.request("POST", f"/v1/containers/{c['id']}/start")
    assert r.status == 200, r.body
    return c["id"]


def wait(d, cid):
    r = d.request("POST", f"/v1/containers/{cid}/wait")
    assert r.status == 200, r.body
    return r.json()


def inspect(d, cid):
    return d.get_json(f"/v1/containers/{cid}")


def logs(d, cid, **params):
    q = "&".join(f"{k}={v}" for k, v in params.items())
    r = d.request("GET", f"/v1/containers/{cid}/logs?{q}")
    assert r.status == 200, r.body
    return [json.loads(line) for line in r.body.decode().splitlines()]


def wait_state(d, cid, state, timeout=20):
    deadline = time.monotonic() + timeout
    while inspect(d, cid)["state"] != state:
        assert time.monotonic() < deadline, inspect(d, cid)
        time.sleep(0.05)


def cgroup_dir(controller, pod_id, ctr_id, parent="crio-c"):
    base = "/sys/fs/cgroup/unified" if controller == "unified" else f"/sys/fs/cgroup/{controller}"
    if not os.path.isdir(f"/sys/fs/cgroup/{controller}") and controller != "unified":
        base = "/sys/fs/cgroup"
    return os.path.join(base, parent, f"pod-{pod_id}", f"ctr-{ctr_id}")


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if f" {path}" in l]


def assert_nothing_left(d):
    assert d.get_json("/v1/containers?all=true") == []
    assert d.get_json("/v1/pods") == []
    ctrs = d.root / "overlay" / "containers"
    assert not ctrs.exists() or os.listdir(ctrs) == []
    assert mounts_under(str(d.root)) == []
    netns = d.runroot / "ns" / "netns"
    assert not netns.exists() or os.listdir(netns) == []
