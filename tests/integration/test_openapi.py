"""The OpenAPI contract: openapi/openapi.yaml and the router serve the same
routes, and every response matches its schema there."""
import json
import subprocess

import jsonschema
import pytest
import yaml

from crio_daemon import BUILD_DIR, SOURCE_DIR, Crio
from images_helpers import image_config, pull_ok

SPEC = yaml.safe_load((SOURCE_DIR / "openapi" / "openapi.yaml").read_text())
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def spec_routes():
    return {(m.upper(), path) for path, item in SPEC["paths"].items()
            for m in item if m in METHODS}


def router_routes():
    out = subprocess.run([str(BUILD_DIR / "tests" / "api_routes_dump")], capture_output=True,
                         text=True, check=True).stdout
    return {tuple(line.split(" ", 1)) for line in out.splitlines()}


def validator_for(schema):
    resolver = jsonschema.RefResolver.from_schema(SPEC)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def response_schema(method, path, status, content_type):
    op = SPEC["paths"][path][method.lower()]
    resp = op["responses"].get(str(status)) or op["responses"].get("default")
    assert resp is not None, f"{method} {path} answered {status}, which the spec does not list"
    if "$ref" in resp:
        name = resp["$ref"].rsplit("/", 1)[1]
        resp = SPEC["components"]["responses"][name]
    media = content_type.split(";")[0].strip()
    assert media in resp["content"], f"{method} {path} {status}: {media} is not in the spec"
    return resp["content"][media]["schema"]


def test_spec_is_openapi_3_1():
    assert SPEC["openapi"].startswith("3.1.")
    jsonschema.Draft202012Validator.check_schema({"$defs": SPEC["components"]["schemas"]})


def test_router_and_spec_have_the_same_routes():
    assert router_routes() == spec_routes()


def test_every_object_schema_is_closed():
    """additionalProperties: false everywhere, so a field added to a response
    without the spec fails the validation below."""
    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, where
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")
    walk(SPEC["components"]["schemas"], "#/components/schemas")


class Switched:
    """A WebSocket upgrade, seen from the contract's side."""
    status, content_type, body = 101, "", b""


def upgrade(crio, path):
    import socket
    import websocket
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(3)  # attach sends nothing more while the container runs
    s.connect(str(crio.api_socket))
    ws = websocket.create_connection(f"ws://localhost{path}", socket=s,
                                     subprotocols=["v4.channel.k8s.io"], timeout=20)
    try:
        while True:  # to the exit status (exec) or a short quiet spell (attach)
            op, data = ws.recv_data()
            if not data or data[0] == 3:
                break
    except Exception:
        pass
    ws.close()
    return Switched()


def check_response(method, path, r):
    """Validates one response against the spec: JSON bodies, every line of an
    NDJSON stream, and the media type of anything else."""
    assert r.status < 500, (method, path, r.status, r.body[:500])
    if r.status == 101:
        assert "101" in SPEC["paths"][path][method.lower()]["responses"]
        return
    schema = response_schema(method, path, r.status, r.content_type)
    if r.content_type.startswith("application/json"):
        validator_for(schema).validate(r.json())
    elif r.content_type.startswith("application/x-ndjson"):
        lines = r.body.decode().splitlines()
        assert lines
        for line in lines:
            validator_for(schema).validate(json.loads(line))
    elif r.content_type.startswith("text/plain"):
        validator_for(schema).validate(r.body.decode())
    else:
        assert schema.get("format") == "binary", (method, path, r.content_type)


@pytest.fixture(scope="module")
def contract(tmp_path_factory, registry):
    """A daemon with an image pulled, and one example request a route."""
    tmp = tmp_path_factory.mktemp("contract")
    d = Crio(tmp / "crio", image_config(registry.addr, tmp)).start()
    pull_ok(d, registry.ref("busybox"))
    name = registry.ref("busybox")
    saved = {}
    auth = str(tmp / "auth.json")

    def save(c):
        r = c.request("GET", f"/v1/images/{name}/save?format=docker-archive")
        saved["tar"] = r.body
        return r

    examples = {
        ("GET", "/healthz"): lambda c: c.request("GET", "/healthz"),
        ("GET", "/metrics"): lambda c: c.request("GET", "/metrics"),
        ("GET", "/v1/version"): lambda c: c.request("GET", "/v1/version"),
        ("GET", "/v1/info"): lambda c: c.request("GET", "/v1/info"),
        ("GET", "/v1/images"): lambda c: c.request("GET", "/v1/images"),
        ("POST", "/v1/images/pull"): lambda c: c.request(
            "POST", f"/v1/images/pull?reference={registry.ref('multilayer')}"),
        ("GET", "/v1/images/{name}"): lambda c: c.request("GET", f"/v1/images/{name}"),
        ("GET", "/v1/images/{name}/history"): lambda c: c.request(
            "GET", f"/v1/images/{name}/history"),
        ("POST", "/v1/images/{name}/tag"): lambda c: c.request(
            "POST", f"/v1/images/{name}/tag?target=localhost/contract:tag"),
        ("POST", "/v1/images/{name}/push"): lambda c: c.request(
            "POST", f"/v1/images/{name}/push?destination={registry.addr}/contract:pushed"),
        ("GET", "/v1/images/{name}/save"): save,
        ("POST", "/v1/images/load"): lambda c: c.request(
            "POST", "/v1/images/load", body=saved.get("tar") or save(c).body,
            headers={"Content-Type": "application/x-tar"}),
        ("DELETE", "/v1/images/{name}"): lambda c: c.request(
            "DELETE", "/v1/images/localhost/contract:tag?force=true"),
        ("POST", "/v1/auth/login"): lambda c: c.request("POST", "/v1/auth/login", body={
            "registry": registry.addr, "username": "u", "password": "p", "auth_file": auth}),
        ("POST", "/v1/auth/logout"): lambda c: c.request("POST", "/v1/auth/logout", body={
            "registry": registry.addr, "auth_file": auth}),
        ("POST", "/v1/pods"): lambda c: c.request("POST", "/v1/pods", body={
            "name": "contract-pod", "labels": {"a": "b"}, "ports": [{"container_port": 80}]}),
        ("GET", "/v1/pods"): lambda c: c.request("GET", "/v1/pods"),
        ("GET", "/v1/pods/{id}"): lambda c: c.request("GET", "/v1/pods/contract-pod"),
        ("POST", "/v1/pods/{id}/stop"): lambda c: c.request("POST", "/v1/pods/contract-pod/stop"),
        ("DELETE", "/v1/pods/{id}"): lambda c: c.request("DELETE", "/v1/pods/contract-pod?force=true"),
        ("POST", "/v1/containers"): lambda c: c.request("POST", "/v1/containers", body={
            "image": name, "name": "contract", "command": ["sh", "-c", "echo hi; sleep 1000"],
            "env": ["A=1"], "labels": {"k": "v"}, "resources": {"memory_limit": 67108864},
            "security": {"cap_drop": ["NET_RAW"]}, "mounts": [{"type": "tmpfs",
                                                               "destination": "/scratch"}]}),
        ("GET", "/v1/containers"): lambda c: c.request("GET", "/v1/containers?all=true&size=true"),
        ("GET", "/v1/containers/{id}"): lambda c: c.request("GET", "/v1/containers/contract"),
        ("POST", "/v1/containers/{id}/start"): lambda c: c.request(
            "POST", "/v1/containers/contract/start"),
        ("POST", "/v1/containers/{id}/pause"): lambda c: c.request(
            "POST", "/v1/containers/contract/pause"),
        ("POST", "/v1/containers/{id}/unpause"): lambda c: c.request(
            "POST", "/v1/containers/contract/unpause"),
        ("GET", "/v1/containers/{id}/logs"): lambda c: c.request(
            "GET", "/v1/containers/contract/logs?tail=5"),
        ("POST", "/v1/containers/{id}/rename"): lambda c: c.request(
            "POST", "/v1/containers/contract/rename?name=contract2"),
        ("POST", "/v1/containers/{id}/kill"): lambda c: c.request(
            "POST", "/v1/containers/contract2/kill?signal=SIGKILL"),
        ("POST", "/v1/containers/{id}/wait"): lambda c: c.request(
            "POST", "/v1/containers/contract2/wait"),
        ("POST", "/v1/containers/{id}/stop"): lambda c: c.request(
            "POST", "/v1/containers/contract2/stop"),
        ("DELETE", "/v1/containers/{id}"): lambda c: c.request(
            "DELETE", "/v1/containers/contract2"),
        ("POST", "/v1/containers/{id}/exec"): lambda c: c.request(
            "POST", "/v1/containers/contract/exec", body={"command": ["echo", "hi"], "timeout": 5}),
        ("GET", "/v1/containers/{id}/exec/stream"): lambda c: upgrade(
            c, "/v1/containers/contract/exec/stream?command=echo&command=hi"),
        ("GET", "/v1/containers/{id}/attach"): lambda c: upgrade(
            c, "/v1/containers/contract/attach"),
        ("GET", "/v1/containers/{id}/changes"): lambda c: c.request(
            "GET", "/v1/containers/contract/changes"),
        ("GET", "/v1/containers/{id}/export"): lambda c: c.request(
            "GET", "/v1/containers/contract/export"),
        ("GET", "/v1/containers/{id}/archive"): lambda c: c.request(
            "GET", "/v1/containers/contract/archive?path=/etc/passwd"),
        ("PUT", "/v1/containers/{id}/archive"): lambda c: c.request(
            "PUT", "/v1/containers/contract/archive?path=/tmp",
            body=c.request("GET", "/v1/containers/contract/archive?path=/etc/passwd").body,
            headers={"Content-Type": "application/x-tar"}),
        ("GET", "/v1/containers/{id}/stats"): lambda c: c.request(
            "GET", "/v1/containers/contract/stats"),
        ("GET", "/v1/pods/{id}/stats"): lambda c: c.request(
            "GET", f"/v1/pods/{c.get_json('/v1/containers/contract')['pod_id']}/stats"),
        ("POST", "/v1/containers/{id}/mount"): lambda c: c.request(
            "POST", "/v1/containers/contract2/mount"),
        ("POST", "/v1/containers/{id}/unmount"): lambda c: c.request(
            "POST", "/v1/containers/contract2/unmount"),
    }
    yield d, examples
    d.stop()


ORDER = [
    ("POST", "/v1/images/{name}/tag"), ("GET", "/v1/images/{name}/save"),
    ("POST", "/v1/auth/login"), ("POST", "/v1/pods"), ("GET", "/v1/pods/{id}"),
    ("POST", "/v1/pods/{id}/stop"), ("POST", "/v1/containers"),
    ("POST", "/v1/containers/{id}/start"), ("GET", "/v1/containers/{id}"),
    ("POST", "/v1/containers/{id}/exec"), ("GET", "/v1/containers/{id}/exec/stream"),
    ("GET", "/v1/containers/{id}/attach"), ("GET", "/v1/containers/{id}/changes"),
    ("GET", "/v1/containers/{id}/export"), ("GET", "/v1/containers/{id}/archive"),
    ("PUT", "/v1/containers/{id}/archive"), ("GET", "/v1/containers/{id}/stats"),
    ("GET", "/v1/pods/{id}/stats"),
    ("POST", "/v1/containers/{id}/pause"), ("POST", "/v1/containers/{id}/unpause"),
    ("GET", "/v1/containers/{id}/logs"), ("POST", "/v1/containers/{id}/rename"),
    ("POST", "/v1/containers/{id}/kill"), ("POST", "/v1/containers/{id}/wait"),
    ("POST", "/v1/containers/{id}/stop"), ("POST", "/v1/containers/{id}/mount"),
    ("POST", "/v1/containers/{id}/unmount"), ("DELETE", "/v1/containers/{id}"),
]


def route_order(route):
    """Routes that others depend on run first, in the order of a life (tag
    before delete, save before load, create before start before remove)."""
    return (ORDER.index(route) if route in ORDER else len(ORDER), route)


@pytest.mark.parametrize("method,path", sorted(spec_routes(), key=route_order))
def test_every_route_answers_as_specified(contract, method, path):
    crio, examples = contract
    assert (method, path) in examples, f"no example request for {method} {path} in this test"
    r = examples[(method, path)](crio)
    assert r.status in (101, 200, 201, 204), (method, path, r.status, r.body[:500])
    check_response(method, path, r)


def test_errors_match_the_error_schema(crio):
    r = crio.request("GET", "/v1/does-not-exist")
    assert r.status == 404
    validator_for({"$ref": "#/components/schemas/Error"}).validate(r.json())


def test_a_field_the_spec_lacks_would_fail(crio):
    info = crio.get_json("/v1/info")
    info["host"]["extra_field"] = 1
    schema = response_schema("GET", "/v1/info", 200, "application/json")
    with pytest.raises(jsonschema.ValidationError):
        validator_for(schema).validate(info)
