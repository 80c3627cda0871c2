"""Images over REST against a real local registry: pull by tag, digest and
through a manifest list; list, inspect, history, tag, rmi; failures that
must leave nothing behind."""
import os
import threading

import pytest

import build_images as bi
from crio_daemon import Crio
from images_helpers import (image_config, layer_dirs, pull, pull_ok, push_custom_image,
                            staging_entries)
from registry import Registry, push_image


@pytest.fixture
def icrio(tmp_path, registry):
    d = Crio(tmp_path / "crio", image_config(registry.addr, tmp_path)).start()
    yield d
    assert d.stop() == 0, d.logs()


def config_id(registry, name):
    return registry.info[name]["config"].split(":", 1)[1]


def test_pull_by_tag_records_image_and_layers(icrio, registry):
    status, events = pull(icrio, registry.ref("busybox"))
    assert status == 200
    kinds = [e["status"] for e in events]
    assert kinds[0] == "resolving" and "manifest" in kinds and "extracted" in kinds
    done = events[-1]
    assert done["status"] == "done"
    assert done["id"] == config_id(registry, "busybox")
    images = icrio.get_json("/v1/images")
    assert len(images) == 1
    img = images[0]
    assert img["repo_tags"] == [registry.ref("busybox")]
    assert img["repo_digests"] == [f"{registry.addr}/busybox@{registry.digests['busybox']}"]
    assert img["digest"] == registry.digests["busybox"]
    assert img["size"] > 1_000_000
    (chain,) = layer_dirs(icrio)
    busybox = icrio.root / "overlay" / "layers" / chain / "diff" / "bin" / "busybox"
    assert os.access(busybox, os.X_OK)
    assert os.readlink(icrio.root / "overlay" / "layers" / chain / "diff" / "bin" / "sh") == "/bin/busybox"
    assert staging_entries(icrio) == []


def test_pull_by_digest_has_no_tag(icrio, registry):
    pull_ok(icrio, registry.ref_digest("busybox"))
    (img,) = icrio.get_json("/v1/images")
    assert img["repo_tags"] == []
    assert img["repo_digests"] == [registry.ref_digest("busybox")]


def test_manifest_list_resolves_to_this_machine(icrio, registry):
    image_id = pull_ok(icrio, registry.ref("busybox-multiarch"))
    assert image_id == config_id(registry, "busybox")
    arm_id = pull_ok(icrio, registry.ref("busybox-multiarch"), platform="linux/arm64")
    assert arm_id != image_id
    info = icrio.get_json(f"/v1/images/{arm_id}")
    assert info["architecture"] == "arm64"


def test_missing_platform_is_named(icrio, registry):
    status, events = pull(icrio, registry.ref("busybox-multiarch"), platform="linux/s390x")
    assert events[-1]["status"] == "error"
    msg = events[-1]["error"]["message"]
    assert "linux/s390x" in msg and "linux/amd64" in msg and "linux/arm64" in msg


def test_short_name_through_registries_conf(icrio, registry):
    image_id = pull_ok(icrio, "busybox")
    assert image_id == config_id(registry, "busybox")
    assert icrio.get_json("/v1/images/busybox")["id"] == image_id


def test_pull_again_is_idempotent(icrio, registry):
    first = pull_ok(icrio, registry.ref("busybox"))
    status, events = pull(icrio, registry.ref("busybox"))
    assert events[-1]["id"] == first
    assert len(icrio.get_json("/v1/images")) == 1
    assert len(layer_dirs(icrio)) == 1


def test_inspect_and_history(icrio, registry):
    image_id = pull_ok(icrio, registry.ref("multilayer"))
    info = icrio.get_json(f"/v1/images/{registry.ref('multilayer')}")
    assert info["id"] == image_id
    assert info["os"] == "linux" and info["architecture"] == "amd64"
    assert [l["diff_id"] for l in info["layers"]] == registry.info["multilayer"]["diff_ids"]
    assert [l["digest"] for l in info["layers"]] == registry.info["multilayer"]["layers"]
    assert info["config"]["config"]["Cmd"] == ["sh"]
    assert icrio.get_json(f"/v1/images/{image_id[:12]}")["id"] == image_id
    hist = icrio.get_json(f"/v1/images/{image_id}/history")
    assert len(hist) == len(info["layers"])
    assert hist[0]["id"] == image_id and hist[-1]["id"] == "<missing>"
    assert sum(h["size"] for h in hist) == info["size"]


def test_tag_and_rmi_untag_then_delete(icrio, registry):
    image_id = pull_ok(icrio, registry.ref("busybox"))
    r = icrio.request("POST", f"/v1/images/{image_id}/tag?target=localhost/mine:v1")
    assert r.status == 200, r.body
    assert "localhost/mine:v1" in r.json()["repo_tags"]
    r = icrio.request("DELETE", "/v1/images/localhost/mine:v1")
    assert r.status == 200
    assert r.json() == {"untagged": ["localhost/mine:v1"], "deleted": []}
    assert len(layer_dirs(icrio)) == 1
    r = icrio.request("DELETE", f"/v1/images/{registry.ref('busybox')}")
    assert r.json()["deleted"] == [image_id]
    assert icrio.get_json("/v1/images") == []
    assert layer_dirs(icrio) == []


def test_shared_layers_survive_removal_of_one_image(icrio, registry):
    pull_ok(icrio, registry.ref("busybox"))
    ml = pull_ok(icrio, registry.ref("multilayer"))
    before = layer_dirs(icrio)
    icrio.request("DELETE", f"/v1/images/{ml}")
    after = layer_dirs(icrio)
    assert len(after) == 1 and after[0] in before


def test_rmi_of_id_with_several_names_needs_force(icrio, registry):
    image_id = pull_ok(icrio, registry.ref("busybox"))
    icrio.request("POST", f"/v1/images/{image_id}/tag?target=localhost/other")
    r = icrio.request("DELETE", f"/v1/images/{image_id}")
    assert r.status == 409
    assert r.json()["error"]["code"] == "conflict"
    r = icrio.request("DELETE", f"/v1/images/{image_id}?force=true")
    assert r.status == 200 and r.json()["deleted"] == [image_id]


def test_bad_reference_is_refused_before_anything(icrio):
    r = icrio.request("POST", "/v1/images/pull?reference=Busy%20Box")
    assert r.status == 400
    assert "Busy Box" in r.json()["error"]["message"]


def test_unknown_tag_is_not_found(icrio, registry):
    status, events = pull(icrio, registry.ref("busybox", "nope"))
    assert events[-1]["status"] == "error"
    assert events[-1]["error"]["code"] == "not_found"
    assert icrio.get_json("/v1/images") == []


def test_unknown_image_lookup_is_404(icrio):
    r = icrio.request("GET", "/v1/images/localhost/nothing:here")
    assert r.status == 404


def test_filters(icrio, registry):
    pull_ok(icrio, registry.ref("busybox"))
    pull_ok(icrio, registry.ref("multilayer"))
    names = lambda q: [t for i in icrio.get_json(f"/v1/images?{q}") for t in i["repo_tags"]]
    assert names("filter=reference=*multi*") == [registry.ref("multilayer")]
    assert len(names("")) == 2
    assert names("filter=dangling=true") == []
    r = icrio.request("GET", "/v1/images?filter=colour=red")
    assert r.status == 400 and "colour" in r.json()["error"]["message"]


def test_corrupted_blob_leaves_nothing(tmp_path, oci_images):
    reg = Registry(str(tmp_path / "reg"))
    addr = reg.start()
    try:
        push_image(addr, oci_images.layout("busybox"), "busybox")
        layer = oci_images.digests["busybox"]["layers"][0].split(":")[1]
        data = (tmp_path / "reg" / "storage" / "docker" / "registry" / "v2" / "blobs" /
                "sha256" / layer[:2] / layer / "data")
        blob = bytearray(data.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        data.write_bytes(bytes(blob))
        d = Crio(tmp_path / "crio", image_config(addr, tmp_path)).start()
        status, events = pull(d, f"{addr}/busybox:latest")
        assert events[-1]["status"] == "error", events[-3:]
        msg = events[-1]["error"]["message"]
        assert "digest mismatch" in msg or "extract" in msg, msg
        assert d.get_json("/v1/images") == []
        assert layer_dirs(d) == [] and staging_entries(d) == []
        assert d.get_json("/v1/info")["counts"]["images"] == 0
        assert d.stop() == 0
    finally:
        reg.stop()


@pytest.mark.parametrize("name,entries,needle", [
    ("dotdot", [[bi._file("ok", "x"), bi._file("../escaped-dotdot", "evil")]], "escaped-dotdot"),
    ("symlink", [[bi._symlink("link", "/tmp"), bi._file("link/escaped-symlink", "evil")]],
     "link/escaped-symlink"),
])
def test_escaping_layer_is_refused(icrio, registry, tmp_path, name, entries, needle):
    push_custom_image(registry.addr, tmp_path, f"evil-{name}", entries)
    status, events = pull(icrio, registry.ref(f"evil-{name}"))
    assert events[-1]["status"] == "error"
    assert needle in events[-1]["error"]["message"]
    assert not os.path.exists("/tmp/escaped-symlink")
    assert not (icrio.root / "overlay" / "escaped-dotdot").exists()
    assert layer_dirs(icrio) == [] and staging_entries(icrio) == []
    assert icrio.get_json("/v1/images") == []


def test_concurrent_pulls_leave_one_copy(icrio, registry):
    results = []
    threads = [threading.Thread(target=lambda: results.append(pull(icrio, registry.ref("big"))))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = {events[-1].get("id") for _, events in results}
    assert ids == {config_id(registry, "big")}, [e[-1] for _, e in results]
    assert len(icrio.get_json("/v1/images")) == 1
    assert len(layer_dirs(icrio)) == 6 and staging_entries(icrio) == []


def test_images_survive_restart(icrio, registry):
    image_id = pull_ok(icrio, registry.ref("busybox"))
    icrio.kill()
    icrio.start()
    assert icrio.get_json(f"/v1/images/{image_id}")["repo_tags"] == [registry.ref("busybox")]
    assert len(layer_dirs(icrio)) == 1


def test_mirror_and_blocked_registries(tmp_path, registry):
    conf = tmp_path / "registries.conf"
    conf.write_text(f'''
[[registry]]
prefix = "example.test"
location = "127.0.0.1:1"

[[registry.mirror]]
location = "{registry.addr}"
insecure = true

[[registry]]
prefix = "{registry.addr}/busybox"
location = "{registry.addr}/busybox"
blocked = true
''')
    d = Crio(tmp_path / "crio", f'[crio.image]\nregistries_conf = "{conf}"\n').start()
    try:
        image_id = pull_ok(d, "example.test/multilayer:latest")
        assert image_id == config_id(registry, "multilayer")
        assert d.get_json(f"/v1/images/{image_id}")["repo_tags"] == ["example.test/multilayer:latest"]
        status, events = pull(d, registry.ref("busybox"))
        assert events[-1]["status"] == "error"
        assert "blocked" in events[-1]["error"]["message"]
    finally:
        d.stop()


def test_start_removes_staging_and_unrecorded_layers(icrio, registry):
    image_id = pull_ok(icrio, registry.ref("busybox"))
    (kept,) = layer_dirs(icrio)
    icrio.kill()
    overlay = icrio.root / "overlay"
    (overlay / "staging" / "layer-half" / "diff").mkdir(parents=True)
    (overlay / "layers" / ("ab" * 32) / "diff").mkdir(parents=True)  # renamed, never recorded
    icrio.start()
    assert staging_entries(icrio) == []
    assert layer_dirs(icrio) == [kept]
    assert icrio.get_json(f"/v1/images/{image_id}")["id"] == image_id
