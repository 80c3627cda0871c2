"""Pods on a CNI bridge network of the test's own: IPs, pod-to-pod traffic,
a hostPort reached from the host's loopback, a failing plugin that leaves
nothing behind, and addresses released when a pod stops."""
import os
import socket
import subprocess
import time

import pytest

from ctr_helpers import logs, run, start_crio, wait, wait_state
from net_helpers import bridge_conf, free_port


@pytest.fixture
def net(tmp_path, registry):
    netdir, bridge = bridge_conf(tmp_path)
    d = start_crio(tmp_path, registry, extra=f'\n[crio.network]\nnetwork_dir = "{netdir}"\n')
    yield d
    for p in d.get_json("/v1/pods"):
        d.request("DELETE", f"/v1/pods/{p['id']}?force=true")
    d.stop()
    subprocess.run(["ip", "link", "del", bridge], capture_output=True)


def make_pod(d, **spec):
    r = d.request("POST", "/v1/pods", body=spec)
    assert r.status == 201, r.body
    return r.json()


def test_two_pods_reach_each_other(net, registry):
    a = make_pod(net, name="a")
    b = make_pod(net, name="b")
    assert a["network"] == "crio-test" and len(a["ips"]) == 1
    ip_b = b["ips"][0].split("/")[0]
    assert ip_b.startswith("10.124.")
    cid = run(net, registry, ["sh", "-c", f"ip -o -4 addr show eth0; ping -c 2 -W 2 {ip_b}"], pod="a")
    result = wait(net, cid)
    out = "".join(l["log"] for l in logs(net, cid))
    assert result["exit_code"] == 0, out
    assert a["ips"][0].split("/")[0] in out and "2 packets received" in out


def test_host_port_reaches_the_container_from_loopback(net, registry):
    port = free_port()
    make_pod(net, name="web", ports=[{"host_port": port, "container_port": 8080}])
    cid = run(net, registry, ["sh", "-c", "while true; do echo hello-from-pod | nc -l -p 8080; done"],
              pod="web")
    wait_state(net, cid, "running")
    deadline = time.monotonic() + 10
    data = b""
    while time.monotonic() < deadline and b"hello-from-pod" not in data:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                data = s.recv(100)
        except OSError:
            time.sleep(0.2)
    assert b"hello-from-pod" in data


def test_stop_releases_the_address(net, registry, tmp_path):
    pod = make_pod(net, name="short")
    ip = pod["ips"][0].split("/")[0]
    ipam = tmp_path / "ipam" / "crio-test"
    assert (ipam / ip).exists()
    r = net.request("POST", "/v1/pods/short/stop")
    assert r.status == 200 and r.json()["ips"] == []
    assert not (ipam / ip).exists()
    assert net.request("POST", "/v1/pods/short/stop").status == 200  # DEL again is fine


def test_failing_plugin_leaves_nothing(tmp_path, registry):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    script = plugins / "failing"
    script.write_text('#!/bin/sh\ncat >/dev/null\n'
                      'if [ "$CNI_COMMAND" = ADD ]; then\n'
                      '  echo \'{"cniVersion":"1.0.0","code":7,"msg":"boom from the test plugin"}\'\n'
                      '  exit 1\nfi\nexit 0\n')
    script.chmod(0o755)
    netdir, bridge = bridge_conf(tmp_path, extra_plugins=[{"type": "failing"}])
    d = start_crio(tmp_path, registry, extra=f'\n[crio.network]\nnetwork_dir = "{netdir}"\n'
                   f'plugin_dirs = ["/usr/lib/cni", "{plugins}"]\n')
    try:
        r = d.request("POST", "/v1/pods", body={"name": "doomed"})
        assert r.status >= 400
        assert "boom from the test plugin" in r.json()["error"]["message"]
        assert d.get_json("/v1/pods") == []
        assert os.listdir(d.runroot / "ns" / "netns") == []
        ipam = tmp_path / "ipam" / "crio-test"
        assert not ipam.exists() or [f for f in os.listdir(ipam) if f[0].isdigit()] == []
    finally:
        d.stop()
        subprocess.run(["ip", "link", "del", bridge], capture_output=True)


def test_network_survives_a_daemon_restart(net, registry):
    pod = make_pod(net, name="keep")
    net.kill()
    net.start()
    again = net.get_json("/v1/pods/keep")
    assert again["state"] == "READY" and again["ips"] == pod["ips"]
    assert "CNI CHECK failed" not in net.logs()
