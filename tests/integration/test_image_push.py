"""Push to the local registry, then pull back: the same digests."""
import json
import urllib.parse

import pytest
import requests

from crio_daemon import Crio
from images_helpers import image_config, pull_ok


@pytest.fixture
def icrio(tmp_path, registry):
    d = Crio(tmp_path / "crio", image_config(registry.addr, tmp_path)).start()
    yield d
    assert d.stop() == 0, d.logs()


def push(crio, name, **params):
    q = urllib.parse.urlencode(params)
    r = crio.request("POST", f"/v1/images/{name}/push?{q}")
    if r.status != 200:
        return r.status, [r.json()]
    return r.status, [json.loads(line) for line in r.body.decode().splitlines()]


def registry_digest(registry, name, tag):
    r = requests.head(f"{registry.url}/v2/{name}/manifests/{tag}", headers={
        "Accept": "application/vnd.oci.image.manifest.v1+json, "
                  "application/vnd.docker.distribution.manifest.v2+json"})
    assert r.status_code == 200, r.status_code
    return r.headers["Docker-Content-Digest"]


@pytest.mark.parametrize("chunk_size", [0, 65536])
def test_push_then_pull_gives_identical_digests(icrio, registry, tmp_path, chunk_size):
    image_id = pull_ok(icrio, registry.ref("multilayer"))
    dest = f"{registry.addr}/pushed-{chunk_size}:v1"
    status, events = push(icrio, image_id, destination=dest, chunk_size=chunk_size)
    assert status == 200 and events[-1]["status"] == "done", events[-3:]
    assert events[-1]["digest"] == registry.digests["multilayer"]
    assert registry_digest(registry, f"pushed-{chunk_size}", "v1") == registry.digests["multilayer"]
    # every blob already existed under the other name? No: a new repository
    # gets its blobs uploaded (or mounted); they are all there now
    for layer in registry.info["multilayer"]["layers"]:
        r = requests.head(f"{registry.url}/v2/pushed-{chunk_size}/blobs/{layer}")
        assert r.status_code == 200
    # a second daemon pulls what was pushed and gets the same image
    other = Crio(tmp_path / "other", image_config(registry.addr, tmp_path)).start()
    try:
        assert pull_ok(other, dest) == image_id
        info = other.get_json(f"/v1/images/{image_id}")
        assert info["digest"] == registry.digests["multilayer"]
    finally:
        other.stop()


def test_push_skips_blobs_the_registry_has(icrio, registry):
    image_id = pull_ok(icrio, registry.ref("busybox"))
    status, events = push(icrio, image_id, destination=registry.ref("busybox", "again"))
    kinds = [e["status"] for e in events]
    assert "exists" in kinds and "pushing" not in kinds, kinds
    assert kinds[-1] == "done"


def test_push_of_unknown_image_is_404(icrio, registry):
    status, (body,) = push(icrio, "localhost/none:here", destination=registry.ref("x"))
    assert status == 404


def test_push_to_unreachable_registry_reports_it(icrio, registry):
    image_id = pull_ok(icrio, registry.ref("busybox"))
    status, events = push(icrio, image_id, destination="127.0.0.1:1/busybox:x", tls_verify="false")
    assert events[-1]["status"] == "error"
    assert "127.0.0.1:1" in events[-1]["error"]["message"]
