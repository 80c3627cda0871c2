"""The CRI calls about the runtime and in-place changes: Status (network
readiness, verbose info), RuntimeConfig, UpdateRuntimeConfig,
UpdateContainerResources, ReopenContainerLog, UpdatePodSandboxResources,
verbose statuses, the metrics calls, and the calls answered Unimplemented."""
import json
import time

import grpc
import pytest

from cri_client import IMAGES, CriClient, message
from cri_helpers import (RUNNING, UNKNOWN_ID, cri_daemon, create_ctr, ctr_call, ctr_status,
                         pod_config, run_pod, wait_socket, wait_state)


@pytest.fixture
def d(tmp_path, registry):
    with cri_daemon(tmp_path, registry) as d:
        yield d


def running_ctr(d, tmp_path, name="web"):
    logs = tmp_path / f"logs-{name}"
    logs.mkdir()
    cfg = pod_config(name=name, uid=f"uid-{name}", log_directory=logs)
    pod_id = run_pod(d.cri, cfg)
    cid = create_ctr(d.cri, pod_id, cfg, d.image, log_path="app.log")
    ctr_call(d.cri, "StartContainer", cid)
    assert wait_state(d.cri, cid, RUNNING).state == RUNNING
    return pod_id, cid, logs / "app.log"


def conditions(cri, verbose=False):
    st = cri.status(verbose=verbose)
    return {c.type: c for c in st.status.conditions}, dict(st.info)


def test_network_not_ready_without_cni_config(d):
    conds, info = conditions(d.cri)
    assert conds["RuntimeReady"].status is True
    net = conds["NetworkReady"]
    assert net.status is False
    assert net.reason == "NetworkPluginNotReady"
    assert "no CNI network configuration" in net.message
    assert info == {}   # verbose only


def test_network_ready_with_cni_config_and_verbose_info(tmp_path, registry):
    netdir = tmp_path / "net"
    netdir.mkdir()
    conf = {"cniVersion": "1.0.0", "name": "ready-net",
            "plugins": [{"type": "bridge", "bridge": "crioc-unused",
                         "ipam": {"type": "host-local", "subnet": "10.99.0.0/24"}}]}
    (netdir / "10-ready.conflist").write_text(json.dumps(conf))
    with cri_daemon(tmp_path, registry, f'\n[crio.network]\nnetwork_dir = "{netdir}"\n') as d:
        conds, info = conditions(d.cri, verbose=True)
        assert conds["NetworkReady"].status is True
        assert conds["NetworkReady"].reason == ""
        config = json.loads(info["config"])
        assert config["network"] == "ready-net"
        assert config["network_config"].endswith("10-ready.conflist")
        assert config["cgroup_driver"] == "cgroupfs"


def test_runtime_config_cgroup_driver(d):
    r = d.cri.rpc("RuntimeConfig")
    assert r.linux.cgroup_driver == 1   # CGROUPFS: pods' cgroups are cgroupfs paths


def test_update_runtime_config_pod_cidr(d):
    cfg = message("RuntimeConfig")()
    cfg.network_config.pod_cidr = "10.88.0.0/16"
    d.cri.rpc("UpdateRuntimeConfig", runtime_config=cfg)
    _, info = conditions(d.cri, verbose=True)
    assert json.loads(info["config"])["pod_cidr"] == "10.88.0.0/16"

    cfg.network_config.pod_cidr = "10.88.0.0/99"
    with pytest.raises(grpc.RpcError) as e:
        d.cri.rpc("UpdateRuntimeConfig", runtime_config=cfg)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "10.88.0.0/99" in e.value.details()
    _, info = conditions(d.cri, verbose=True)
    assert json.loads(info["config"])["pod_cidr"] == "10.88.0.0/16"   # unchanged


def memory_limit_file(d, cid):
    c = d.get_json(f"/v1/containers/{cid}")
    pid = c["pid"]
    for line in open(f"/proc/{pid}/cgroup"):
        _, ctrls, path = line.strip().split(":", 2)
        if "memory" in ctrls.split(","):
            return f"/sys/fs/cgroup/memory{path}/memory.limit_in_bytes"
    pytest.fail("no v1 memory cgroup for the container")


def test_update_container_resources(d, tmp_path):
    _, cid, _ = running_ctr(d, tmp_path)
    res = message("LinuxContainerResources")(memory_limit_in_bytes=64 << 20, cpu_shares=512)
    ctr_call(d.cri, "UpdateContainerResources", cid, linux=res)
    with open(memory_limit_file(d, cid)) as f:
        assert int(f.read()) == 64 << 20
    st = ctr_status(d.cri, cid)
    assert st.resources.linux.memory_limit_in_bytes == 64 << 20
    assert st.resources.linux.cpu_shares == 512

    bad = message("LinuxContainerResources")(memory_limit_in_bytes=-5)
    with pytest.raises(grpc.RpcError) as e:
        ctr_call(d.cri, "UpdateContainerResources", cid, linux=bad)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "memory_limit" in e.value.details()
    assert ctr_status(d.cri, cid).resources.linux.memory_limit_in_bytes == 64 << 20

    with pytest.raises(grpc.RpcError) as e:
        ctr_call(d.cri, "UpdateContainerResources", UNKNOWN_ID, linux=res)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_update_resources_of_exited_container_refused(d, tmp_path):
    _, cid, _ = running_ctr(d, tmp_path)
    ctr_call(d.cri, "StopContainer", cid, timeout=0)
    res = message("LinuxContainerResources")(memory_limit_in_bytes=64 << 20)
    with pytest.raises(grpc.RpcError) as e:
        ctr_call(d.cri, "UpdateContainerResources", cid, linux=res)
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "exited" in e.value.details()


def test_reopen_container_log_after_rotation(d, tmp_path):
    _, cid, log = running_ctr(d, tmp_path)
    deadline = time.time() + 10
    while "hi" not in (log.read_text() if log.exists() else ""):
        assert time.time() < deadline, "no first line in the log"
        time.sleep(0.1)
    rotated = log.with_name("app.log.1")
    log.rename(rotated)          # what the kubelet's log rotation does
    ctr_call(d.cri, "ReopenContainerLog", cid)
    deadline = time.time() + 10
    while not log.exists():
        assert time.time() < deadline, "conmon did not reopen the log file"
        time.sleep(0.05)
    r = d.cri.call("ExecSync", message("ExecSyncRequest")(
        container_id=cid, cmd=["sh", "-c", "echo after-rotation > /proc/1/fd/1"], timeout=10),
        "ExecSyncResponse")
    assert r.exit_code == 0
    deadline = time.time() + 10
    while "after-rotation" not in log.read_text():
        assert time.time() < deadline, "new output did not reach the reopened log"
        time.sleep(0.1)
    assert "after-rotation" not in rotated.read_text()


def test_reopen_log_of_stopped_container_refused(d, tmp_path):
    _, cid, _ = running_ctr(d, tmp_path)
    ctr_call(d.cri, "StopContainer", cid, timeout=0)
    with pytest.raises(grpc.RpcError) as e:
        ctr_call(d.cri, "ReopenContainerLog", cid)
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_verbose_statuses(d, tmp_path):
    pod_id, cid, _ = running_ctr(d, tmp_path)
    r = d.cri.rpc("PodSandboxStatus", pod_sandbox_id=pod_id, verbose=True)
    info = json.loads(r.info["info"])
    assert info["id"] == pod_id and info["network_namespace"].startswith("/")
    assert [c.id for c in r.containers_statuses] == [cid]
    assert r.timestamp > 0
    assert dict(d.cri.rpc("PodSandboxStatus", pod_sandbox_id=pod_id).info) == {}

    r = d.cri.rpc("ContainerStatus", container_id=cid, verbose=True)
    info = json.loads(r.info["info"])
    assert info["pid"] > 0 and info["sandboxID"] == pod_id
    assert info["command"] == ["sh", "-c", "echo hi; sleep 1000"]

    r = d.cri.call("ImageStatus", message("ImageStatusRequest")(
        image=message("ImageSpec")(image=d.image), verbose=True), "ImageStatusResponse",
        service=IMAGES)
    info = json.loads(r.info["info"])
    assert info["imageSpec"]["architecture"] == "amd64"
    assert len(info["layers"]) >= 1


def test_update_pod_sandbox_resources(d, tmp_path):
    pod_id, _, _ = running_ctr(d, tmp_path)
    res = message("LinuxContainerResources")(memory_limit_in_bytes=128 << 20)
    d.cri.rpc("UpdatePodSandboxResources", pod_sandbox_id=pod_id, resources=res)
    with pytest.raises(grpc.RpcError) as e:
        d.cri.rpc("UpdatePodSandboxResources", pod_sandbox_id=UNKNOWN_ID, resources=res)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_metric_descriptors_and_pod_metrics(d, tmp_path):
    pod_id, cid, _ = running_ctr(d, tmp_path)
    descs = {m.name: m for m in d.cri.rpc("ListMetricDescriptors").descriptors}
    assert "container_memory_working_set_bytes" in descs
    for m in descs.values():
        assert list(m.label_keys) == sorted(m.label_keys)
    (pm,) = d.cri.rpc("ListPodSandboxMetrics").pod_metrics
    assert pm.pod_sandbox_id == pod_id
    (cm,) = pm.container_metrics
    assert cm.container_id == cid
    by_name = {m.name: m for m in cm.metrics}
    ws = by_name["container_memory_working_set_bytes"]
    assert ws.value.value > 0
    keys = descs[ws.name].label_keys
    labels = dict(zip(keys, ws.label_values))
    assert labels["id"] == cid and labels["name"] == "app"
    assert by_name["container_processes"].value.value >= 1


@pytest.mark.parametrize("method,field", [("Exec", "container_id"), ("Attach", "container_id"),
                                          ("PortForward", "pod_sandbox_id")])
def test_streaming_calls_unimplemented_with_message(d, method, field):
    with pytest.raises(grpc.RpcError) as e:
        d.cri.rpc(method, **{field: "abc"})
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "streaming server" in e.value.details() and "abc" in e.value.details()


def test_checkpoint_unimplemented_with_message(d):
    with pytest.raises(grpc.RpcError) as e:
        d.cri.rpc("CheckpointContainer", container_id="abc")
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "checkpoint" in e.value.details().lower()


def test_stats_attributes_filters_and_errors(d, tmp_path):
    pod_id, cid, _ = running_ctr(d, tmp_path)
    other_pod, other_cid, _ = running_ctr(d, tmp_path, name="other")
    st = ctr_call(d.cri, "ContainerStats", cid).stats
    assert st.attributes.metadata.name == "app"            # the CRI name, not the engine's
    assert not [k for k in st.attributes.annotations if k.startswith("io.crio-c.")]
    req = message("ListContainerStatsRequest")()
    req.filter.pod_sandbox_id = other_pod
    got = d.cri.call("ListContainerStats", req, "ListContainerStatsResponse").stats
    assert [s.attributes.id for s in got] == [other_cid]
    ps = d.cri.rpc("PodSandboxStats", pod_sandbox_id=pod_id).stats
    assert ps.attributes.metadata.name == "web" and ps.attributes.metadata.uid == "uid-web"
    assert not [k for k in ps.attributes.annotations if k.startswith("io.crio-c.")]
    req = message("ListPodSandboxStatsRequest")()
    req.filter.id = other_pod
    got = d.cri.call("ListPodSandboxStats", req, "ListPodSandboxStatsResponse").stats
    assert [s.attributes.id for s in got] == [other_pod]

    for call, field in [("ContainerStats", "container_id"), ("PodSandboxStats", "pod_sandbox_id")]:
        with pytest.raises(grpc.RpcError) as e:
            d.cri.rpc(call, **{field: UNKNOWN_ID})
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as e:
            d.cri.rpc(call, **{field: ""})
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_slow_calls_do_not_hold_up_the_others(d, tmp_path):
    """More long ExecSyncs than the server has workers: Version, ListContainers
    and ContainerStatus still answer while every one of them is running."""
    _, cid, _ = running_ctr(d, tmp_path)
    fn = d.cri.channel.unary_unary(
        "/runtime.v1.RuntimeService/ExecSync",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=message("ExecSyncResponse").FromString)
    req = message("ExecSyncRequest")(container_id=cid, cmd=["sleep", "4"], timeout=30)
    slow = [fn.future(req, timeout=60) for _ in range(8)]
    time.sleep(1)   # all eight are running by now
    assert d.cri.version().runtime_name == "crio-c"
    assert [c.id for c in d.cri.rpc("ListContainers").containers] == [cid]
    assert ctr_status(d.cri, cid).state == RUNNING
    assert not any(f.done() for f in slow), "a quick call waited for a slow one"
    assert [f.result().exit_code for f in slow] == [0] * 8


def test_stop_does_not_wait_for_an_exec(d, tmp_path):
    """A daemon told to stop ends an ExecSync in flight (its process killed, the
    call failed) instead of waiting for it; the container itself lives on."""
    _, cid, _ = running_ctr(d, tmp_path)
    fn = d.cri.channel.unary_unary(
        "/runtime.v1.RuntimeService/ExecSync",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=message("ExecSyncResponse").FromString)
    long_exec = fn.future(message("ExecSyncRequest")(container_id=cid, cmd=["sleep", "300"]),
                          timeout=600)
    time.sleep(1)
    # SIGTERM; stop() would SIGKILL (and report -9) if the daemon were still waiting
    assert d.stop(timeout=20) == 0, d.logs()
    with pytest.raises(grpc.RpcError):
        long_exec.result(timeout=20)
    d.start()
    wait_socket(d.cri_socket)
    d.cri.close()
    d.cri = CriClient(d.cri_socket)
    assert ctr_status(d.cri, cid).state == RUNNING
    r = d.cri.call("ExecSync", message("ExecSyncRequest")(container_id=cid, cmd=["ps", "-o",
                   "args"], timeout=10), "ExecSyncResponse")
    assert "sleep 300" not in r.stdout.decode()


def test_stop_cancels_a_pull_in_flight(d):
    """A registry that accepts connections and never answers: the pull would
    hang for minutes (stall detection, retries); stopping the daemon ends it."""
    import socket
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    conns = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])   # held open, never answered
            except OSError:
                pass
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        port = srv.getsockname()[1]
        fn = d.cri.channel.unary_unary(
            f"/{IMAGES}/PullImage", request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=message("PullImageResponse").FromString)
        req = message("PullImageRequest")(image=message("ImageSpec")(image=f"127.0.0.1:{port}/x:1"))
        pull = fn.future(req, timeout=600)
        deadline = time.time() + 10
        while not conns:
            assert time.time() < deadline, "the pull never reached the registry"
            time.sleep(0.05)
        assert not pull.done()
        assert d.stop(timeout=20) == 0, d.logs()
        with pytest.raises(grpc.RpcError):
            pull.result(timeout=20)
        assert "cancelled (crio is stopping)" in d.logs()
    finally:
        stop.set()
        t.join(5)
        for c in conns:
            c.close()
        srv.close()
        d.start()
