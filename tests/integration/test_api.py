"""The REST skeleton: error shape and statuses, body limit, system routes."""
import socket

from crio_daemon import Crio


def assert_error(r, status, code):
    assert r.status == status, (r.status, r.body)
    assert r.content_type == "application/json"
    body = r.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_healthz(crio):
    r = crio.request("GET", "/healthz")
    assert r.status == 200
    assert r.body == b"ok\n"


def test_version(crio):
    v = crio.get_json("/v1/version")
    assert v["name"] == "crio-c"
    assert v["version"] == "0.1.0"
    assert v["api_version"] == "v1"
    assert v["os"] == "linux"


def test_info_reports_paths_programs_and_counts(crio):
    info = crio.get_json("/v1/info")
    assert info["store"]["root"] == str(crio.root)
    assert info["store"]["runroot"] == str(crio.runroot)
    assert info["store"]["database"] == str(crio.root / "crio.db")
    assert info["store"]["driver"] == "overlay"
    assert info["runtime"]["name"] == "runc"
    assert info["runtime"]["path"].endswith("/runc")
    assert info["runtime"]["version"].startswith("1.")
    assert info["conmon"]["path"].endswith("/conmon")
    assert info["conmon"]["version"][0].isdigit()
    assert info["host"]["kernel"] == open("/proc/sys/kernel/osrelease").read().strip()
    assert info["host"]["cgroup_version"] in ("v1", "v2")
    assert info["counts"] == {"pods": 0, "containers": 0, "running": 0, "images": 0}


def test_missing_runtime_is_reported_as_null(crio_factory):
    d = crio_factory(config='[crio.runtime.runtimes.runc]\nruntime_path = "/nonexistent/runc"\n')
    d.start()
    info = d.get_json("/v1/info")
    assert info["runtime"]["path"] is None
    assert info["runtime"]["version"] is None


def test_unknown_route_is_404_json(crio):
    assert_error(crio.request("GET", "/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_405_json(crio):
    assert_error(crio.request("DELETE", "/v1/info"), 405, "invalid_argument")


def test_body_over_limit_is_413(crio_factory):
    d = crio_factory(config="[crio.api]\nmax_body_size = 2048\n").start()
    assert_error(d.request("POST", "/v1/auth/login", body=b"x" * 4096), 413, "too_large")
    # a body within the limit reaches the handler, which finds it is no JSON
    assert_error(d.request("POST", "/v1/auth/login", body=b"x" * 100), 400, "invalid_argument")


def test_chunked_body_over_limit_is_413(crio_factory):
    d = crio_factory(config="[crio.api]\nmax_body_size = 2048\n").start()
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(d.api_socket))
    s.sendall(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"y" * 1024
    for _ in range(4):
        s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    s.sendall(b"0\r\n\r\n")
    reply = b""
    while b"\r\n\r\n" not in reply:
        reply += s.recv(4096)
    s.close()
    assert reply.startswith(b"HTTP/1.1 413"), reply


def test_metrics_count_objects_and_requests(crio):
    crio.request("GET", "/v1/version")
    r = crio.request("GET", "/metrics")
    assert r.status == 200
    assert r.content_type.startswith("text/plain; version=0.0.4")
    text = r.body.decode()
    assert "# TYPE crio_pods gauge" in text
    assert "crio_pods 0" in text
    assert 'crio_api_requests_total{method="GET",code="200"}' in text


def test_metrics_can_be_turned_off(crio_factory):
    d = crio_factory(config="[crio.metrics]\nenable_metrics = false\n").start()
    assert_error(d.request("GET", "/metrics"), 404, "not_found")
