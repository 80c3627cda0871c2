"""The OpenAPI contract: openapi/openapi.yaml and the router serve the same
routes, and every response matches its schema there."""
import subprocess

import jsonschema
import pytest
import yaml

from crio_daemon import BUILD_DIR, SOURCE_DIR

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


@pytest.mark.parametrize("method,path", sorted(spec_routes()))
def test_every_route_answers_as_specified(crio, method, path):
    assert "{" not in path, "routes with parameters need a test of their own"
    r = crio.request(method, path)
    assert r.status < 500, (r.status, r.body)
    schema = response_schema(method, path, r.status, r.content_type)
    body = r.json() if r.content_type.startswith("application/json") else r.body.decode()
    validator_for(schema).validate(body)


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
