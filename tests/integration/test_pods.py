"""Pod sandboxes: pinned namespaces, hostname, resolv.conf and hosts,
containers inside, stop and remove."""
import os

import pytest

from ctr_helpers import assert_nothing_left, create, inspect, logs, run, start_crio, wait, wait_state


@pytest.fixture
def d(tmp_path, registry):
    d = start_crio(tmp_path, registry)
    yield d
    for p in d.get_json("/v1/pods"):
        d.request("DELETE", f"/v1/pods/{p['id']}?force=true")
    assert d.stop() == 0, d.logs()


def make_pod(d, **spec):
    r = d.request("POST", "/v1/pods", body=spec)
    assert r.status == 201, r.body
    return r.json()


def test_pod_namespaces_files_and_containers(d, registry):
    pod = make_pod(d, name="web", hostname="web-host", labels={"app": "web"},
                   dns={"servers": ["10.0.0.53"], "searches": ["example.test"]})
    assert pod["state"] == "READY" and pod["labels"] == {"app": "web"}
    for kind in ("net", "ipc", "uts"):
        assert os.path.exists(pod["namespaces"][kind])
    cid = run(d, registry, ["sh", "-c", "hostname; cat /etc/resolv.conf; ip -o link 2>/dev/null"
                                        " || cat /proc/net/dev"], pod="web")
    assert wait(d, cid)["exit_code"] == 0
    out = "".join(l["log"] for l in logs(d, cid))
    assert out.startswith("web-host\n")
    assert "nameserver 10.0.0.53" in out and "search example.test" in out
    assert "eth0" not in out  # loopback only until CNI
    # two containers of one pod share its network namespace
    a = run(d, registry, ["sleep", "1000"], pod="web")
    b = run(d, registry, ["sleep", "1000"], pod="web")
    wait_state(d, a, "running")
    wait_state(d, b, "running")
    ns = lambda cid: os.readlink(f"/proc/{inspect(d, cid)['pid']}/ns/net")
    assert ns(a) == ns(b) != os.readlink("/proc/self/ns/net")
    assert sorted(d.get_json(f"/v1/pods/{pod['id']}")["containers"]) == sorted([cid, a, b])


def test_pod_stop_stops_containers_and_remove_needs_force(d, registry):
    pod = make_pod(d, name="p1")
    cid = run(d, registry, ["sleep", "1000"], pod="p1")
    wait_state(d, cid, "running")
    r = d.request("POST", "/v1/pods/p1/stop?timeout=1")
    assert r.status == 200 and r.json()["state"] == "NOTREADY"
    assert inspect(d, cid)["state"] == "exited"
    assert d.request("POST", "/v1/pods/p1/stop").status == 200  # stopping again is fine
    r = create(d, registry, ["true"], check=False, pod="p1")
    assert r.status == 409  # not ready
    r = d.request("DELETE", "/v1/pods/p1")
    assert r.status == 409 and "containers" in r.json()["error"]["message"]
    r = d.request("DELETE", "/v1/pods/p1?force=true")
    assert r.status == 200 and r.json() == {"id": pod["id"]}
    assert not os.path.exists(pod["namespaces"]["net"])
    assert_nothing_left(d)


def test_host_network_pod(d, registry):
    pod = make_pod(d, name="hostnet", host_network=True)
    assert "net" not in pod["namespaces"]
    cid = run(d, registry, ["sleep", "1000"], pod="hostnet")
    wait_state(d, cid, "running")
    assert os.readlink(f"/proc/{inspect(d, cid)['pid']}/ns/net") == os.readlink("/proc/self/ns/net")


def test_pod_filters_and_bad_input(d, registry):
    make_pod(d, name="a1", labels={"tier": "front"})
    make_pod(d, name="b1", labels={"tier": "back"})
    names = lambda q: [p["name"] for p in d.get_json(f"/v1/pods?{q}")]
    assert names("filter=label=tier=front") == ["a1"]
    assert sorted(names("")) == ["a1", "b1"]
    assert d.request("POST", "/v1/pods", body={"name": "a1"}).status == 409
    assert d.request("POST", "/v1/pods", body={"hostname": "bad_host!"}).status == 400
    assert d.request("POST", "/v1/pods", body={"dns": {"servers": ["nope"]}}).status == 400
    assert d.request("GET", "/v1/pods?filter=colour=red").status == 400
    assert len(d.get_json("/v1/pods")) == 2
