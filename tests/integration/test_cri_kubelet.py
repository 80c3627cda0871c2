"""A kubelet's whole conversation with the runtime over the CRI socket, on a
real bridge network: pull, run pod, create, start, status, exec, stats,
stop, remove, remove pod; afterwards nothing is left: no pods or
containers, mounts, pinned namespaces, cgroups, conmon processes, veths
or IP allocations."""
import os
import pathlib
import subprocess

import grpc
import pytest

from cri_client import IMAGES, message
from cri_helpers import (EXITED, NOTREADY, READY, RUNNING, cri_daemon, ctr_call, ctr_status,
                         list_ctrs, list_pods, pod_status, remove_pod, run_pod, stop_pod,
                         wait_state)
from ctr_helpers import assert_nothing_left, cgroup_dir, mounts_under
from net_helpers import bridge_conf


def conmon_pids(ctr_id):
    out = subprocess.run(["pgrep", "-f", f"conmon.*{ctr_id}"], capture_output=True, text=True)
    return out.stdout.split()


def ipam_allocations(ipam_dir):
    if not ipam_dir.exists():
        return []
    return [p.name for n in ipam_dir.iterdir() if n.is_dir() for p in n.iterdir()
            if p.name[0].isdigit()]


@pytest.fixture
def net_crio(tmp_path, registry):
    netdir, bridge = bridge_conf(tmp_path)
    extra = f'\n[crio.network]\nnetwork_dir = "{netdir}"\n'
    try:
        with cri_daemon(tmp_path, registry, extra) as d:
            d.ipam = tmp_path / "ipam"
            yield d
    finally:
        subprocess.run(["ip", "link", "del", bridge], capture_output=True)


def test_kubelet_life_of_a_pod_leaves_nothing(net_crio, registry, tmp_path):
    d, cri = net_crio, net_crio.cri
    conds = {c.type: c.status for c in cri.status().status.conditions}
    assert conds == {"RuntimeReady": True, "NetworkReady": True}

    image = registry.ref("busybox")
    ref = cri.pull_image(image)
    st = cri.image_status(image).image
    assert st.id == ref and image in st.repo_tags

    logs = tmp_path / "pods" / "default_web_uid-k"
    logs.mkdir(parents=True)
    cfg = message("PodSandboxConfig")()
    cfg.metadata.name, cfg.metadata.namespace, cfg.metadata.uid = "web", "default", "uid-k"
    cfg.hostname = "web"
    cfg.log_directory = str(logs)
    cfg.labels["io.kubernetes.pod.name"] = "web"
    pod_id = run_pod(cri, cfg)
    pst = pod_status(cri, pod_id)
    assert pst.state == READY
    ip = pst.network.ip
    assert ip.startswith("10.124.")
    assert pst.linux.namespaces.options.network == 0   # POD
    assert ipam_allocations(d.ipam) == [ip]

    c = message("ContainerConfig")()
    c.metadata.name = "app"
    c.image.image = image
    c.command.extend(["sh", "-c", "echo started; exec sleep 1000"])
    c.log_path = "app/0.log"
    c.linux.resources.memory_limit_in_bytes = 64 << 20
    req = message("CreateContainerRequest")(pod_sandbox_id=pod_id, config=c, sandbox_config=cfg)
    cid = cri.call("CreateContainer", req, "CreateContainerResponse").container_id
    ctr_call(cri, "StartContainer", cid)
    st = wait_state(cri, cid, RUNNING)
    assert st.state == RUNNING
    assert st.image_id == ref
    assert st.image_ref.startswith(f"{registry.addr}/busybox@sha256:")   # the repo digest
    assert conmon_pids(cid)
    assert os.path.isdir(cgroup_dir("memory", pod_id, cid))

    r = cri.call("ExecSync", message("ExecSyncRequest")(container_id=cid,
                 cmd=["sh", "-c", "hostname; ip -4 -o addr show eth0"], timeout=10),
                 "ExecSyncResponse")
    assert r.exit_code == 0
    out = r.stdout.decode()
    assert out.startswith("web\n") and f"inet {ip}/" in out

    stats = ctr_call(cri, "ContainerStats", cid).stats
    assert stats.memory.working_set_bytes.value > 0
    pstats = cri.rpc("PodSandboxStats", pod_sandbox_id=pod_id).stats
    assert pstats.linux.network.default_interface.name == "eth0"
    log_text = (logs / "app" / "0.log").read_text()
    assert " stdout F started" in log_text

    ctr_call(cri, "StopContainer", cid, timeout=2)
    assert ctr_status(cri, cid).state == EXITED
    ctr_call(cri, "RemoveContainer", cid)
    stop_pod(cri, pod_id)
    assert pod_status(cri, pod_id).state == NOTREADY
    assert ipam_allocations(d.ipam) == []       # the IP went back at stop
    remove_pod(cri, pod_id)

    assert list_pods(cri) == [] and list_ctrs(cri) == []
    assert_nothing_left(d)
    # only the daemon's own unbindable namespace directory, until it stops
    ns_dir = f" {d.runroot / 'ns'} "
    assert [m for m in mounts_under(str(d.runroot)) if ns_dir not in m] == []
    assert conmon_pids(cid) == []
    pod_cg = pathlib.Path(cgroup_dir("memory", pod_id, cid)).parent
    assert not pod_cg.exists()
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert pod_id[:8] not in links
    # the image stays until the kubelet's garbage collection removes it
    cri.call("RemoveImage", message("RemoveImageRequest")(image=message("ImageSpec")(image=ref)),
             "RemoveImageResponse", service=IMAGES)
    assert cri.image_status(image).image.id == ""
    with pytest.raises(grpc.RpcError) as e:
        pod_status(cri, pod_id)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
