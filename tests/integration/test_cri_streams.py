"""The CRI's server streams: the Stream* list variants (every item once,
in pieces under the message limit, filters as the List calls) and
GetContainerEvents (the engine's pod and container changes as they happen)."""
import queue
import threading

import grpc
import pytest

from cri_client import IMAGES, message
from cri_helpers import (RUNNING, cri_daemon, create_ctr, ctr_call, pod_config, remove_pod,
                         run_pod, stop_pod, wait_state)

CREATED_EV, STARTED_EV, STOPPED_EV, DELETED_EV = 0, 1, 2, 3


@pytest.fixture
def d(tmp_path, registry):
    with cri_daemon(tmp_path, registry) as d:
        yield d


def streamed(cri, method, item_field, request_type, service="runtime.v1.RuntimeService",
             **filt):
    req = message(request_type)(**filt)
    responses = list(cri.stream(method, req, f"{method}Response", service=service))
    return responses, [x for r in responses for x in getattr(r, item_field)]


def test_stream_pod_sandboxes_and_containers_match_lists(d):
    cfg = pod_config(labels={"tier": "a"})
    pod = run_pod(d.cri, cfg)
    other = run_pod(d.cri, pod_config(name="other", uid="uid-2"))
    c1 = create_ctr(d.cri, pod, cfg, d.image, name="one")
    c2 = create_ctr(d.cri, other, cfg, d.image, name="two")

    _, pods = streamed(d.cri, "StreamPodSandboxes", "pod_sandboxes", "StreamPodSandboxesRequest")
    assert sorted(p.id for p in pods) == sorted([pod, other])
    filt = message("PodSandboxFilter")(label_selector={"tier": "a"})
    _, pods = streamed(d.cri, "StreamPodSandboxes", "pod_sandboxes", "StreamPodSandboxesRequest",
                       filter=filt)
    assert [p.id for p in pods] == [pod]
    assert pods[0].metadata.name == "web"

    _, ctrs = streamed(d.cri, "StreamContainers", "containers", "StreamContainersRequest")
    assert sorted(c.id for c in ctrs) == sorted([c1, c2])
    filt = message("ContainerFilter")(pod_sandbox_id=other)
    _, ctrs = streamed(d.cri, "StreamContainers", "containers", "StreamContainersRequest",
                       filter=filt)
    assert [(c.id, c.metadata.name) for c in ctrs] == [(c2, "two")]


def test_empty_stream_has_no_messages(d):
    filt = message("ContainerFilter")(id="f" * 64)
    responses, items = streamed(d.cri, "StreamContainers", "containers",
                                "StreamContainersRequest", filter=filt)
    assert responses == [] and items == []


def test_large_list_streams_in_pieces(d):
    """Items adding up to several MiB come in more than one message, each once."""
    cfg = pod_config()
    pod = run_pod(d.cri, cfg)
    big = "x" * (600 << 10)
    ids = [create_ctr(d.cri, pod, cfg, d.image, name=f"c{i}", annotations={"big": big})
           for i in range(6)]
    responses, ctrs = streamed(d.cri, "StreamContainers", "containers",
                               "StreamContainersRequest")
    assert len(responses) >= 3
    assert all(len(r.containers) >= 1 for r in responses)
    assert sorted(c.id for c in ctrs) == sorted(ids)
    assert all(c.annotations["big"] == big for c in ctrs)


def test_stream_images_and_stats(d, tmp_path):
    _, images = streamed(d.cri, "StreamImages", "images", "StreamImagesRequest", service=IMAGES)
    assert any(d.image in i.repo_tags for i in images)
    filt = message("ImageFilter")(image=message("ImageSpec")(image=d.image))
    _, images = streamed(d.cri, "StreamImages", "images", "StreamImagesRequest", service=IMAGES,
                         filter=filt)
    assert len(images) == 1

    cfg = pod_config()
    pod = run_pod(d.cri, cfg)
    cid = create_ctr(d.cri, pod, cfg, d.image)
    ctr_call(d.cri, "StartContainer", cid)
    assert wait_state(d.cri, cid, RUNNING).state == RUNNING
    _, stats = streamed(d.cri, "StreamContainerStats", "container_stats",
                        "StreamContainerStatsRequest")
    assert [s.attributes.id for s in stats] == [cid]
    assert stats[0].memory.working_set_bytes.value > 0
    _, pstats = streamed(d.cri, "StreamPodSandboxStats", "pod_sandbox_stats",
                         "StreamPodSandboxStatsRequest")
    assert [s.attributes.id for s in pstats] == [pod]
    _, metrics = streamed(d.cri, "StreamPodSandboxMetrics", "pod_sandbox_metrics",
                          "StreamPodSandboxMetricsRequest")
    assert [m.pod_sandbox_id for m in metrics] == [pod]


class EventReader:
    """GetContainerEvents read on a thread into a queue."""

    def __init__(self, cri):
        self.call = cri.stream("GetContainerEvents", message("GetEventsRequest")(),
                               "ContainerEventResponse", timeout=120)
        self.events = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for ev in self.call:
                self.events.put(ev)
        except grpc.RpcError as e:
            self.events.put(e)

    def until(self, pred, timeout=20):
        """Events up to and including the first for which pred is true."""
        got = []
        while True:
            ev = self.events.get(timeout=timeout)
            assert not isinstance(ev, grpc.RpcError), ev
            got.append(ev)
            if pred(ev):
                return got

    def close(self):
        self.call.cancel()
        self.thread.join(10)


def test_container_events_follow_the_lifecycle(d):
    reader = EventReader(d.cri)
    try:
        grpc.channel_ready_future(d.cri.channel).result(timeout=10)
        cfg = pod_config(name="evpod", uid="uid-ev")
        pod = run_pod(d.cri, cfg)
        got = reader.until(lambda e: e.container_id == pod)
        assert got[-1].container_event_type == CREATED_EV
        assert got[-1].pod_sandbox_status.metadata.name == "evpod"

        cid = create_ctr(d.cri, pod, cfg, d.image)
        ctr_call(d.cri, "StartContainer", cid)
        ctr_call(d.cri, "StopContainer", cid, timeout=0)
        ctr_call(d.cri, "RemoveContainer", cid)
        got = reader.until(lambda e: e.container_id == cid
                           and e.container_event_type == DELETED_EV)
        mine = [e for e in got if e.container_id == cid]
        assert [e.container_event_type for e in mine] == [CREATED_EV, STARTED_EV, STOPPED_EV,
                                                          DELETED_EV]
        assert all(e.pod_sandbox_status.id == pod for e in mine)
        assert all(e.created_at > 1_000_000_000_000_000_000 for e in mine)
        started = mine[1]
        assert [(s.id, s.state) for s in started.containers_statuses] == [(cid, RUNNING)]
        assert len(mine[-1].containers_statuses) == 0   # gone from the pod

        stop_pod(d.cri, pod)
        remove_pod(d.cri, pod)
        got = reader.until(lambda e: e.container_id == pod
                           and e.container_event_type == DELETED_EV)
        assert [e.container_event_type for e in got if e.container_id == pod] == [STOPPED_EV,
                                                                                 DELETED_EV]
    finally:
        reader.close()


def test_several_event_clients_and_stop_with_a_stream_open(tmp_path, registry):
    with cri_daemon(tmp_path, registry) as d:
        a, b = EventReader(d.cri), EventReader(d.cri)
        grpc.channel_ready_future(d.cri.channel).result(timeout=10)
        pod = run_pod(d.cri, pod_config())
        for r in (a, b):
            assert r.until(lambda e: e.container_id == pod)[-1].container_event_type == CREATED_EV
        a.close()
        pod2 = run_pod(d.cri, pod_config(name="second", uid="uid-2"))
        assert b.until(lambda e: e.container_id == pod2)
        # the daemon stops (cri_daemon's exit) while b's stream is open: a
        # clean exit, and b's stream ends
    b.thread.join(10)
    assert not b.thread.is_alive()
