"""The CRI gRPC face over the daemon's unix socket: Version, Status, images,
and the answers to what it does not serve."""
import os
import stat

import grpc
import pytest

from cri_client import CriClient, message
from cri_helpers import wait_socket
from crio_daemon import Crio
from images_helpers import image_config, pull_ok


@pytest.fixture
def cri(crio):
    wait_socket(crio.cri_socket)
    c = CriClient(crio.cri_socket)
    yield c
    c.close()


@pytest.fixture
def icrio(tmp_path, registry):
    d = Crio(tmp_path / "crio", image_config(registry.addr, tmp_path)).start()
    wait_socket(d.cri_socket)
    yield d
    assert d.stop() == 0, d.logs()


def test_socket_mode(crio, cri):
    cri.version()
    assert stat.S_IMODE(os.stat(crio.cri_socket).st_mode) == 0o660


def test_version(cri):
    v = cri.version()
    assert v.version == "0.1.0"
    assert v.runtime_name == "crio-c"
    assert v.runtime_version == "0.1.0"
    assert v.runtime_api_version == "v1"


def test_status_runtime_ready(cri):
    st = cri.status()
    conds = {c.type: c for c in st.status.conditions}
    assert conds["RuntimeReady"].status is True
    assert "NetworkReady" in conds


def test_unknown_method_unimplemented(cri):
    with pytest.raises(grpc.RpcError) as e:
        cri.raw_call("/runtime.v1.RuntimeService/NoSuchMethod")
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "NoSuchMethod" in e.value.details()


def test_bad_request_invalid_argument(cri):
    with pytest.raises(grpc.RpcError) as e:
        cri.raw_call("/runtime.v1.RuntimeService/Version", b"\xff\xff\xff")
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_parallel_calls(cri):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(16) as ex:
        results = list(ex.map(lambda _: cri.version().runtime_name, range(64)))
    assert results == ["crio-c"] * 64


def test_list_images_after_pull(icrio, registry):
    image_id = pull_ok(icrio, registry.ref("busybox"))
    c = CriClient(icrio.cri_socket)
    try:
        (img,) = c.list_images().images
        assert img.id == image_id
        assert list(img.repo_tags) == [registry.ref("busybox")]
        assert img.size > 0
        (same,) = c.list_images(registry.ref("busybox")).images
        assert same.id == image_id
        st = c.image_status(registry.ref("busybox"))
        assert st.HasField("image") and st.image.id == image_id
    finally:
        c.close()


def test_image_status_unknown_is_empty(cri):
    st = cri.image_status("example.invalid/nothing:here")
    assert not st.HasField("image")
    assert st == message("ImageStatusResponse")()
    assert len(cri.list_images("example.invalid/nothing:here").images) == 0


def test_image_status_empty_spec_invalid(cri):
    with pytest.raises(grpc.RpcError) as e:
        cri.image_status("")
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
