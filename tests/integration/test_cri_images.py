"""The CRI ImageService (PullImage, RemoveImage, ImageFsInfo) and the
RuntimeService calls on what runs: ExecSync and the container stats."""
import base64
import time

import grpc
import pytest

from cri_client import IMAGES, CriClient, message
from cri_helpers import wait_socket
from crio_daemon import Crio
from ctr_helpers import run, wait_state
from images_helpers import image_config, pull_ok


@pytest.fixture
def d(tmp_path, registry):
    d = Crio(tmp_path / "crio", image_config(registry.addr, tmp_path)).start()
    wait_socket(d.cri_socket)
    yield d
    for c in d.get_json("/v1/containers?all=true"):
        d.request("DELETE", f"/v1/containers/{c['id']}?force=true")
    assert d.stop() == 0, d.logs()


@pytest.fixture
def cri(d):
    c = CriClient(d.cri_socket)
    yield c
    c.close()


def pull_image(cri, image, **auth):
    req = message("PullImageRequest")()
    req.image.image = image
    for k, v in auth.items():
        setattr(req.auth, k, v)
    return cri.call("PullImage", req, "PullImageResponse", service=IMAGES)


def remove_image(cri, image):
    req = message("RemoveImageRequest")()
    req.image.image = image
    return cri.call("RemoveImage", req, "RemoveImageResponse", service=IMAGES)


def image_fs_info(cri):
    return cri.call("ImageFsInfo", message("ImageFsInfoRequest")(), "ImageFsInfoResponse",
                    service=IMAGES)


def exec_sync(cri, cid, cmd, timeout=0):
    req = message("ExecSyncRequest")(container_id=cid, cmd=cmd, timeout=timeout)
    return cri.call("ExecSync", req, "ExecSyncResponse")


def test_pull_image_returns_the_id(cri, registry):
    ref = registry.ref("busybox")
    image_ref = pull_image(cri, ref).image_ref
    (img,) = cri.list_images().images
    assert image_ref == img.id
    assert list(img.repo_tags) == [ref]
    # the kubelet's short names resolve through the search registries
    assert pull_image(cri, "busybox").image_ref == image_ref
    # credentials are passed along (the test registry takes any)
    auth = base64.b64encode(b"user:pass").decode()
    assert pull_image(cri, ref, auth=auth).image_ref == image_ref
    assert pull_image(cri, ref, username="user", password="pass").image_ref == image_ref


def test_pull_image_errors(cri, registry):
    with pytest.raises(grpc.RpcError) as e:
        pull_image(cri, "")
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as e:
        pull_image(cri, registry.ref("no-such-image"))
    assert e.value.code() != grpc.StatusCode.OK


def test_image_fs_info(cri, registry):
    pull_image(cri, registry.ref("busybox"))
    info = image_fs_info(cri)
    (fs,) = info.image_filesystems
    assert fs.fs_id.mountpoint.endswith("/overlay")
    assert fs.used_bytes.value > 0
    assert fs.timestamp > 0
    assert fs.HasField("inodes_used")
    (cfs,) = info.container_filesystems
    assert cfs.fs_id.mountpoint == fs.fs_id.mountpoint


def test_remove_image(cri, registry):
    image_ref = pull_image(cri, registry.ref("busybox")).image_ref
    remove_image(cri, image_ref)
    assert len(cri.list_images().images) == 0
    assert not cri.image_status(registry.ref("busybox")).HasField("image")
    # gone already: still a success, as the CRI says
    remove_image(cri, image_ref)


def test_remove_unknown_image_succeeds(cri):
    remove_image(cri, "example.invalid/nothing:here")
    remove_image(cri, "0" * 64)


def test_exec_sync_output_and_exit_code(d, cri, registry):
    pull_ok(d, registry.ref("busybox"))
    cid = run(d, registry, ["sleep", "1000"])
    wait_state(d, cid, "running")
    r = exec_sync(cri, cid, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert r.stdout == b"out\n"
    assert r.stderr == b"err\n"
    assert r.exit_code == 3
    assert exec_sync(cri, cid, ["true"], timeout=5).exit_code == 0
    with pytest.raises(grpc.RpcError) as e:
        exec_sync(cri, cid, [])
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as e:
        exec_sync(cri, "no-such-container", ["true"])
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_exec_sync_timeout(d, cri, registry):
    pull_ok(d, registry.ref("busybox"))
    cid = run(d, registry, ["sleep", "1000"])
    wait_state(d, cid, "running")
    t0 = time.monotonic()
    with pytest.raises(grpc.RpcError) as e:
        exec_sync(cri, cid, ["sleep", "10"], timeout=1)
    assert time.monotonic() - t0 < 8
    assert "timed out" in e.value.details()


def test_container_stats(d, cri, registry):
    pull_ok(d, registry.ref("busybox"))
    cid = run(d, registry, ["sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; "
                                        "sleep 1000"], labels={"app": "stats"})
    wait_state(d, cid, "running")
    time.sleep(0.5)
    req = message("ContainerStatsRequest")(container_id=cid)
    st = cri.call("ContainerStats", req, "ContainerStatsResponse").stats
    assert st.attributes.id == cid
    assert st.attributes.labels["app"] == "stats"
    assert st.cpu.timestamp > 0
    assert st.cpu.usage_core_nano_seconds.value > 0
    assert st.memory.timestamp > 0
    assert st.memory.usage_bytes.value > 0
    assert st.memory.HasField("working_set_bytes")

    lreq = message("ListContainerStatsRequest")()
    ids = [s.attributes.id for s in
           cri.call("ListContainerStats", lreq, "ListContainerStatsResponse").stats]
    assert ids == [cid]
    lreq.filter.id = cid
    assert len(cri.call("ListContainerStats", lreq, "ListContainerStatsResponse").stats) == 1
    lreq = message("ListContainerStatsRequest")()
    lreq.filter.label_selector["app"] = "other"
    assert len(cri.call("ListContainerStats", lreq, "ListContainerStatsResponse").stats) == 0


def test_pod_sandbox_stats(d, cri, registry):
    pull_ok(d, registry.ref("busybox"))
    r = d.request("POST", "/v1/pods", body={"name": "web", "namespace": "ns1", "uid": "u1"})
    assert r.status == 201, r.body
    pod_id = r.json()["id"]
    run(d, registry, ["sleep", "1000"], pod="web")
    req = message("PodSandboxStatsRequest")(pod_sandbox_id=pod_id)
    st = cri.call("PodSandboxStats", req, "PodSandboxStatsResponse").stats
    assert st.attributes.id == pod_id
    assert st.attributes.metadata.name == "web"
    assert st.attributes.metadata.namespace == "ns1"
    assert st.linux.cpu.timestamp > 0
    assert st.linux.memory.usage_bytes.value > 0
    assert st.linux.network.timestamp > 0
    lst = cri.call("ListPodSandboxStats", message("ListPodSandboxStatsRequest")(),
                   "ListPodSandboxStatsResponse").stats
    assert pod_id in [s.attributes.id for s in lst]
    for p in d.get_json("/v1/pods"):
        d.request("DELETE", f"/v1/pods/{p['id']}?force=true")
