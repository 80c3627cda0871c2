"""The test images and the local registry that the other integration tests use.

    /usr/bin/python3 -m pytest tests/integration/test_fixtures.py
"""
import hashlib
import io
import pathlib
import sys
import tarfile

import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "fixtures"))
pytest_plugins = ["pytest_fixtures"]

import build_images  # noqa: E402

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = ", ".join([MT_MANIFEST, MT_INDEX,
                    "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json"])


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def get_manifest(registry, name, ref="latest"):
    r = requests.get(f"{registry.url}/v2/{name}/manifests/{ref}",
                     headers={"Accept": ACCEPT}, timeout=10)
    r.raise_for_status()
    return r


def get_blob(registry, name, digest):
    r = requests.get(f"{registry.url}/v2/{name}/blobs/{digest}", timeout=60)
    r.raise_for_status()
    assert sha256(r.content) == digest
    return r.content


def layer_members(registry, name, digest):
    with tarfile.open(fileobj=io.BytesIO(get_blob(registry, name, digest)),
                      mode="r:gz") as tar:
        return {m.name: m for m in tar.getmembers()}


def test_catalog_lists_images(registry):
    r = requests.get(f"{registry.url}/v2/_catalog", timeout=10)
    r.raise_for_status()
    assert set(r.json()["repositories"]) >= {
        "busybox", "multilayer", "big", "busybox-multiarch"}


def test_manifests_media_type_and_digest(registry):
    for name, digest in registry.digests.items():
        expected_type = MT_INDEX if name == "busybox-multiarch" else MT_MANIFEST
        r = get_manifest(registry, name)
        assert r.headers["Content-Type"] == expected_type, name
        assert r.headers["Docker-Content-Digest"] == digest, name
        assert sha256(r.content) == digest, name
        assert r.json()["mediaType"] == expected_type, name
        # Also served by digest.
        assert get_manifest(registry, name, digest).content == r.content


def test_busybox_layer(registry):
    manifest = get_manifest(registry, "busybox").json()
    assert len(manifest["layers"]) == 1
    members = layer_members(registry, "busybox", manifest["layers"][0]["digest"])
    assert members["bin/busybox"].isfile() and members["bin/busybox"].mode == 0o755
    assert members["bin/sh"].issym() and members["bin/sh"].linkname == "/bin/busybox"
    assert members["tmp"].mode == 0o1777
    assert members["etc/passwd"].isfile()
    config = get_blob(registry, "busybox", manifest["config"]["digest"])
    assert b'"Cmd":["sh"]' in config and b'"architecture":"amd64"' in config


def test_multilayer_whiteouts(registry):
    manifest = get_manifest(registry, "multilayer").json()
    layers = [layer_members(registry, "multilayer", l["digest"])
              for l in manifest["layers"]]
    assert len(layers) >= 4
    base, l1, l2, l3 = layers[:4]
    assert "bin/busybox" in base
    assert "data/remove-me.txt" in l1 and "data/.wh.remove-me.txt" in l2
    assert "etc/.wh.motd" in l2
    assert "opaque/sub/old3.txt" in l1 and "opaque/.wh..wh..opq" in l3
    assert "opaque/new.txt" in l3
    assert "data/change.txt" in l1 and "data/change.txt" in l2
    owned = l1["data/owned.txt"]
    assert (owned.mode, owned.uid, owned.gid) == (0o640, 1000, 1000)
    assert l1["data/hardlink.txt"].islnk()
    assert l1["data/hardlink.txt"].linkname == "data/hardlink-target.txt"
    assert l1["data/symlink"].issym() and l1["data/symlink"].linkname == "keep.txt"
    assert l1["data/xattr.txt"].pax_headers["SCHILY.xattr.user.test"] == "hello"


def test_big_has_five_20mb_layers(registry):
    manifest = get_manifest(registry, "big").json()
    big = manifest["layers"][1:]
    assert len(big) == 5
    for layer in big:
        assert 19_000_000 < layer["size"] < 23_000_000
        r = requests.head(f"{registry.url}/v2/big/blobs/{layer['digest']}", timeout=10)
        assert r.status_code == 200 and int(r.headers["Content-Length"]) == layer["size"]
    get_blob(registry, "big", big[0]["digest"])  # checks the digest of one


def test_multiarch_index(registry):
    index = get_manifest(registry, "busybox-multiarch").json()
    platforms = {f"{m['platform']['os']}/{m['platform']['architecture']}": m
                 for m in index["manifests"]}
    assert set(platforms) == {"linux/amd64", "linux/arm64"}
    assert platforms["linux/amd64"]["digest"] == registry.digests["busybox"]
    for m in platforms.values():
        r = get_manifest(registry, "busybox-multiarch", m["digest"])
        assert r.headers["Content-Type"] == MT_MANIFEST
        assert sha256(r.content) == m["digest"]


def test_build_is_deterministic(oci_images, tmp_path):
    fresh = build_images.build(str(tmp_path / "oci"), force=True)
    assert fresh == oci_images.digests
