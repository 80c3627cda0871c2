"""Shared by the CRI tests: a daemon with a CRI client, and the calls a
kubelet makes, as small functions over CriClient."""
import contextlib
import os
import time

from cri_client import CriClient, message
from ctr_helpers import start_crio

READY = 0      # PodSandboxState.SANDBOX_READY
NOTREADY = 1
CREATED, RUNNING, EXITED = 0, 1, 2
UNKNOWN_ID = "0" * 64


def wait_socket(path, timeout=10):
    deadline = time.time() + timeout
    while not os.path.exists(path):
        assert time.time() < deadline, f"no CRI socket at {path}"
        time.sleep(0.05)


def pod_config(name="web", namespace="default", uid="uid-1", attempt=0, labels=None,
               annotations=None, log_directory=""):
    c = message("PodSandboxConfig")()
    c.metadata.name = name
    c.metadata.namespace = namespace
    c.metadata.uid = uid
    c.metadata.attempt = attempt
    c.hostname = name
    if log_directory:
        c.log_directory = str(log_directory)
    for k, v in (labels or {}).items():
        c.labels[k] = v
    for k, v in (annotations or {}).items():
        c.annotations[k] = v
    return c


def run_pod(cri, config):
    return cri.call("RunPodSandbox", message("RunPodSandboxRequest")(config=config),
                    "RunPodSandboxResponse").pod_sandbox_id


def pod_status(cri, pod_id):
    return cri.call("PodSandboxStatus",
                    message("PodSandboxStatusRequest")(pod_sandbox_id=pod_id),
                    "PodSandboxStatusResponse").status


def list_pods(cri, **filt):
    req = message("ListPodSandboxRequest")()
    if "id" in filt:
        req.filter.id = filt["id"]
    if "state" in filt:
        req.filter.state.state = filt["state"]
    for k, v in filt.get("labels", {}).items():
        req.filter.label_selector[k] = v
    return list(cri.call("ListPodSandbox", req, "ListPodSandboxResponse").items)


def stop_pod(cri, pod_id):
    cri.call("StopPodSandbox", message("StopPodSandboxRequest")(pod_sandbox_id=pod_id),
             "StopPodSandboxResponse")


def remove_pod(cri, pod_id):
    cri.call("RemovePodSandbox", message("RemovePodSandboxRequest")(pod_sandbox_id=pod_id),
             "RemovePodSandboxResponse")


def create_ctr(cri, pod_id, pod_cfg, image, name="app", labels=None, annotations=None,
               log_path=""):
    c = message("ContainerConfig")()
    c.metadata.name = name
    c.image.image = image
    c.command.extend(["sh", "-c"])
    c.args.append("echo hi; sleep 1000")
    env = c.envs.add()
    env.key = "GREETING"
    env.value = b"hi" if isinstance(env.value, bytes) else "hi"
    if log_path:
        c.log_path = log_path
    for k, v in (labels or {}).items():
        c.labels[k] = v
    for k, v in (annotations or {}).items():
        c.annotations[k] = v
    req = message("CreateContainerRequest")(pod_sandbox_id=pod_id, config=c,
                                            sandbox_config=pod_cfg)
    return cri.call("CreateContainer", req, "CreateContainerResponse").container_id


def ctr_call(cri, method, cid, **kw):
    return cri.call(method, message(f"{method}Request")(container_id=cid, **kw),
                    f"{method}Response")


def ctr_status(cri, cid):
    return ctr_call(cri, "ContainerStatus", cid).status


def list_ctrs(cri, **filt):
    req = message("ListContainersRequest")()
    if "pod" in filt:
        req.filter.pod_sandbox_id = filt["pod"]
    if "id" in filt:
        req.filter.id = filt["id"]
    if "state" in filt:
        req.filter.state.state = filt["state"]
    for k, v in filt.get("labels", {}).items():
        req.filter.label_selector[k] = v
    return list(cri.call("ListContainers", req, "ListContainersResponse").containers)


def wait_state(cri, cid, state, timeout=15):
    deadline = time.time() + timeout
    while True:
        st = ctr_status(cri, cid)
        if st.state == state or time.time() > deadline:
            return st
        time.sleep(0.1)


@contextlib.contextmanager
def cri_daemon(tmp_path, registry, extra=""):
    """A started crio with .cri (a CriClient) and .image (the busybox fixture);
    every pod and container removed and the daemon stopped cleanly after."""
    d = start_crio(tmp_path, registry, extra)
    d.image = registry.ref("busybox")
    wait_socket(d.cri_socket)
    d.cri = CriClient(d.cri_socket)
    try:
        yield d
    finally:
        d.cri.close()
        for c in d.get_json("/v1/containers?all=true"):
            d.request("DELETE", f"/v1/containers/{c['id']}?force=true")
        for p in d.get_json("/v1/pods"):
            d.request("DELETE", f"/v1/pods/{p['id']}?force=true")
        assert d.stop() == 0, d.logs()
