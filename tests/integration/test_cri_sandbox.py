"""The CRI pod sandbox and container RPCs, in the order a kubelet calls them."""
import grpc
import pytest

from cri_client import message
from cri_helpers import (CREATED, EXITED, NOTREADY, READY, RUNNING, UNKNOWN_ID, cri_daemon,
                         create_ctr, ctr_call, ctr_status, list_ctrs, list_pods, pod_config,
                         pod_status, remove_pod, run_pod, stop_pod, wait_state)


@pytest.fixture
def d(tmp_path, registry):
    with cri_daemon(tmp_path, registry) as d:
        yield d


def test_kubelet_sequence(d, tmp_path):
    cri = d.cri
    logs = tmp_path / "podlogs"
    logs.mkdir()
    cfg = pod_config(labels={"app": "web"}, log_directory=logs)
    pod_id = run_pod(cri, cfg)
    assert pod_id

    st = pod_status(cri, pod_id)
    assert st.id == pod_id
    assert st.state == READY
    assert st.metadata.name == "web" and st.metadata.namespace == "default"
    assert st.metadata.uid == "uid-1" and st.metadata.attempt == 0
    assert st.created_at > 1_000_000_000_000_000_000   # nanoseconds
    assert dict(st.labels) == {"app": "web"}

    (item,) = list_pods(cri)
    assert item.id == pod_id and item.state == READY and item.metadata.name == "web"
    assert [p.id for p in list_pods(cri, id=pod_id)] == [pod_id]
    assert [p.id for p in list_pods(cri, state=READY)] == [pod_id]
    assert list_pods(cri, state=NOTREADY) == []
    assert [p.id for p in list_pods(cri, labels={"app": "web"})] == [pod_id]
    assert list_pods(cri, labels={"app": "other"}) == []

    cid = create_ctr(cri, pod_id, cfg, d.image, labels={"tier": "front"}, log_path="app/0.log")
    assert cid
    st = ctr_status(cri, cid)
    assert st.id == cid and st.state == CREATED
    assert st.metadata.name == "app" and st.metadata.attempt == 0
    assert st.image.image == d.image
    assert st.log_path == str(logs / "app" / "0.log")

    ctr_call(cri, "StartContainer", cid)
    st = wait_state(cri, cid, RUNNING)
    assert st.state == RUNNING, st
    assert st.started_at >= st.created_at > 0

    (c,) = list_ctrs(cri, pod=pod_id)
    assert c.id == cid and c.pod_sandbox_id == pod_id and c.state == RUNNING
    assert c.metadata.name == "app" and dict(c.labels) == {"tier": "front"}
    assert [x.id for x in list_ctrs(cri, state=RUNNING)] == [cid]
    assert list_ctrs(cri, state=EXITED) == []
    assert [x.id for x in list_ctrs(cri, labels={"tier": "front"})] == [cid]
    assert [x.id for x in list_ctrs(cri, id=cid)] == [cid]
    assert list_ctrs(cri, pod=UNKNOWN_ID) == []

    ctr_call(cri, "StopContainer", cid, timeout=2)
    st = ctr_status(cri, cid)
    assert st.state == EXITED, st
    assert st.finished_at >= st.started_at

    ctr_call(cri, "RemoveContainer", cid)
    assert list_ctrs(cri) == []
    with pytest.raises(grpc.RpcError) as e:
        ctr_status(cri, cid)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND

    stop_pod(cri, pod_id)
    assert pod_status(cri, pod_id).state == NOTREADY
    remove_pod(cri, pod_id)
    assert list_pods(cri) == []
    with pytest.raises(grpc.RpcError) as e:
        pod_status(cri, pod_id)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_stop_and_remove_of_unknown_ids_succeed(d):
    stop_pod(d.cri, UNKNOWN_ID)
    remove_pod(d.cri, UNKNOWN_ID)
    ctr_call(d.cri, "StopContainer", UNKNOWN_ID, timeout=1)
    ctr_call(d.cri, "RemoveContainer", UNKNOWN_ID)


def test_remove_pod_twice_succeeds(d):
    pod_id = run_pod(d.cri, pod_config())
    stop_pod(d.cri, pod_id)
    remove_pod(d.cri, pod_id)
    stop_pod(d.cri, pod_id)
    remove_pod(d.cri, pod_id)


def test_remove_pod_with_running_container(d):
    cfg = pod_config()
    pod_id = run_pod(d.cri, cfg)
    cid = create_ctr(d.cri, pod_id, cfg, d.image)
    ctr_call(d.cri, "StartContainer", cid)
    assert wait_state(d.cri, cid, RUNNING).state == RUNNING
    stop_pod(d.cri, pod_id)
    remove_pod(d.cri, pod_id)
    assert list_pods(d.cri) == [] and list_ctrs(d.cri) == []


def test_run_pod_sandbox_twice_already_exists(d):
    first = run_pod(d.cri, pod_config(name="dup", namespace="ns1", attempt=1))
    with pytest.raises(grpc.RpcError) as e:
        run_pod(d.cri, pod_config(name="dup", namespace="ns1", attempt=1))
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "dup" in e.value.details()
    # another attempt or namespace is another sandbox
    second = run_pod(d.cri, pod_config(name="dup", namespace="ns1", attempt=2))
    third = run_pod(d.cri, pod_config(name="dup", namespace="ns2", attempt=1))
    assert len({first, second, third}) == 3
    assert sorted(p.metadata.attempt for p in list_pods(d.cri)) == [1, 1, 2]


def test_labels_and_annotations_round_trip(d):
    labels = {"app": "web", "io.kubernetes.pod.name": "web", "empty": ""}
    annotations = {"kubernetes.io/config.source": "api", "note": "a=b, c;\n d",
                   "io.kubernetes.container.hash": "1234"}
    cfg = pod_config(labels=labels, annotations=annotations)
    pod_id = run_pod(d.cri, cfg)
    st = pod_status(d.cri, pod_id)
    assert dict(st.labels) == labels
    assert dict(st.annotations) == annotations
    (item,) = list_pods(d.cri)
    assert dict(item.labels) == labels and dict(item.annotations) == annotations

    cid = create_ctr(d.cri, pod_id, cfg, d.image, labels=labels, annotations=annotations)
    st = ctr_status(d.cri, cid)
    assert dict(st.labels) == labels
    assert dict(st.annotations) == annotations
    (c,) = list_ctrs(d.cri)
    assert dict(c.labels) == labels and dict(c.annotations) == annotations


def test_container_name_unique_per_pod_and_attempt(d):
    cfg = pod_config()
    pod_id = run_pod(d.cri, cfg)
    create_ctr(d.cri, pod_id, cfg, d.image, name="app")
    with pytest.raises(grpc.RpcError) as e:
        create_ctr(d.cri, pod_id, cfg, d.image, name="app")
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_create_container_in_unknown_pod_not_found(d):
    with pytest.raises(grpc.RpcError) as e:
        create_ctr(d.cri, UNKNOWN_ID, pod_config(), d.image)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_empty_ids_invalid(d):
    with pytest.raises(grpc.RpcError) as e:
        pod_status(d.cri, "")
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as e:
        run_pod(d.cri, message("PodSandboxConfig")())
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
