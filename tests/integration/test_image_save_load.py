"""save and load: docker-archive and oci-archive round trips, and the same
archives exchanged with podman when it is installed."""
import io
import os
import tempfile
import json
import shutil
import subprocess
import tarfile

import pytest

from crio_daemon import Crio
from images_helpers import image_config, layer_dirs, pull_ok, staging_entries


@pytest.fixture
def icrio(tmp_path, registry):
    d = Crio(tmp_path / "crio", image_config(registry.addr, tmp_path)).start()
    yield d
    assert d.stop() == 0, d.logs()


def save(crio, name, fmt):
    r = crio.request("GET", f"/v1/images/{name}/save?format={fmt}")
    assert r.status == 200, r.body[:300]
    assert r.content_type == "application/x-tar"
    return r.body


def load(crio, data):
    return crio.request("POST", "/v1/images/load", body=data,
                        headers={"Content-Type": "application/x-tar"})


@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_save_then_load_gives_the_same_image(icrio, registry, fmt):
    image_id = pull_ok(icrio, registry.ref("multilayer"))
    data = save(icrio, registry.ref("multilayer"), fmt)
    names = tarfile.open(fileobj=io.BytesIO(data)).getnames()
    assert ("manifest.json" in names) if fmt == "docker-archive" else ("index.json" in names)
    r = icrio.request("DELETE", f"/v1/images/{image_id}")
    assert r.status == 200 and layer_dirs(icrio) == []
    r = load(icrio, data)
    assert r.status == 200, r.body
    assert r.json() == {"ids": [image_id], "names": [registry.ref("multilayer")]}
    info = icrio.get_json(f"/v1/images/{image_id}")
    assert info["repo_tags"] == [registry.ref("multilayer")]
    assert [l["diff_id"] for l in info["layers"]] == registry.info["multilayer"]["diff_ids"]
    assert staging_entries(icrio) == []
    if fmt == "oci-archive":
        assert info["digest"] == registry.digests["multilayer"]


def test_docker_archive_lists_like_docker_save(icrio, registry):
    pull_ok(icrio, registry.ref("busybox"))
    data = save(icrio, "busybox", "docker-archive")
    tar = tarfile.open(fileobj=io.BytesIO(data))
    (entry,) = json.load(tar.extractfile("manifest.json"))
    assert entry["RepoTags"] == [registry.ref("busybox")]
    assert entry["Config"] == registry.info["busybox"]["config"].split(":")[1] + ".json"
    assert len(entry["Layers"]) == 1


def test_load_of_garbage_changes_nothing(icrio):
    r = load(icrio, b"this is not a tarball at all" * 100)
    assert r.status == 400, r.body
    assert icrio.get_json("/v1/images") == []
    assert layer_dirs(icrio) == [] and staging_entries(icrio) == []


def test_save_unknown_image_or_format(icrio, registry):
    assert icrio.request("GET", "/v1/images/localhost/none/save").status == 404
    pull_ok(icrio, registry.ref("busybox"))
    r = icrio.request("GET", "/v1/images/busybox/save?format=zip")
    assert r.status == 400


def test_kpod_save_and_load(icrio, registry, tmp_path):
    image_id = pull_ok(icrio, registry.ref("busybox"))
    out = tmp_path / "bb.tar"
    icrio.kpod("save", "-o", str(out), "busybox", check=True)
    icrio.kpod("rmi", "busybox", check=True)
    p = icrio.kpod("load", "-i", str(out), check=True)
    assert f"Loaded image: {registry.ref('busybox')}" in p.stdout
    assert icrio.get_json("/v1/images")[0]["id"] == image_id


needs_podman = pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed")


def podman(tmp_path, *args, **kw):
    # podman refuses a runroot longer than 50 characters
    run = tmp_path / "podman-run-dir"
    if not run.exists():
        run.symlink_to(tempfile.mkdtemp(prefix="pdm-"))
    return subprocess.run(["podman", "--root", str(tmp_path / "podman-root"), "--runroot",
                           os.readlink(run), "--storage-driver", "overlay", *args],
                          capture_output=True, text=True, timeout=300, **kw)


@needs_podman
def test_our_archive_loads_in_podman(icrio, registry, tmp_path):
    image_id = pull_ok(icrio, registry.ref("multilayer"))
    archive = tmp_path / "ours.tar"
    archive.write_bytes(save(icrio, registry.ref("multilayer"), "docker-archive"))
    try:
        p = podman(tmp_path, "load", "-i", str(archive))
        assert p.returncode == 0, p.stderr
        p = podman(tmp_path, "images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}")
        assert f"sha256:{image_id} {registry.ref('multilayer')}" in p.stdout or \
            f"{image_id} {registry.ref('multilayer')}" in p.stdout, p.stdout
    finally:
        podman(tmp_path, "system", "reset", "--force")
        shutil.rmtree(os.readlink(tmp_path / "podman-run-dir"), ignore_errors=True)


@needs_podman
def test_podman_archive_loads_here(icrio, registry, tmp_path):
    try:
        p = podman(tmp_path, "pull", "--tls-verify=false", registry.ref("busybox"))
        assert p.returncode == 0, p.stderr
        archive = tmp_path / "podman.tar"
        p = podman(tmp_path, "save", "-o", str(archive), registry.ref("busybox"))
        assert p.returncode == 0, p.stderr
        r = load(icrio, archive.read_bytes())
        assert r.status == 200, r.body
        assert r.json()["names"] == [registry.ref("busybox")]
        loaded_id = r.json()["ids"][0]
        p = podman(tmp_path, "images", "--no-trunc", "--format", "{{.ID}}")
        assert loaded_id in p.stdout
    finally:
        podman(tmp_path, "system", "reset", "--force")
        shutil.rmtree(os.readlink(tmp_path / "podman-run-dir"), ignore_errors=True)
