"""kpod's image commands against a real crio and registry, as a user types them."""
import json
import re

import pytest

from crio_daemon import Crio
from images_helpers import image_config


@pytest.fixture
def icrio(tmp_path, registry):
    d = Crio(tmp_path / "crio", image_config(registry.addr, tmp_path)).start()
    yield d
    assert d.stop() == 0, d.logs()


def test_pull_quiet_prints_the_id(icrio, registry):
    p = icrio.kpod("pull", "-q", registry.ref("busybox"), check=True)
    assert p.stdout.strip() == registry.info["busybox"]["config"].split(":")[1]


def test_pull_plain_progress_when_not_a_terminal(icrio, registry):
    p = icrio.kpod("pull", registry.ref("multilayer"), check=True)
    assert "Copying blob" in p.stderr + p.stdout
    assert "Writing manifest" in p.stderr + p.stdout
    assert re.fullmatch(r"[0-9a-f]{64}", p.stdout.strip().splitlines()[-1])


def test_pull_failure_exits_125_with_the_reason(icrio, registry):
    p = icrio.kpod("pull", registry.ref("busybox", "missing"))
    assert p.returncode == 125
    assert "not found" in p.stderr


def test_images_table_and_quiet(icrio, registry):
    icrio.kpod("pull", "-q", registry.ref("busybox"), check=True)
    p = icrio.kpod("images", check=True)
    header, row = p.stdout.splitlines()
    assert header.split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert row.startswith(f"{registry.addr}/busybox")
    assert "latest" in row
    image_id = registry.info["busybox"]["config"].split(":")[1]
    assert image_id[:12] in row
    p = icrio.kpod("images", "-q", check=True)
    assert p.stdout.split() == [image_id[:12]]
    p = icrio.kpod("images", "--format", "{{.Repository}}:{{.Tag}}", check=True)
    assert p.stdout.strip() == registry.ref("busybox")


def test_inspect_history_tag_rmi(icrio, registry):
    icrio.kpod("pull", "-q", registry.ref("multilayer"), check=True)
    p = icrio.kpod("inspect", registry.ref("multilayer"), check=True)
    (img,) = json.loads(p.stdout)
    assert img["repo_tags"] == [registry.ref("multilayer")]
    p = icrio.kpod("inspect", "--format", "{{.Architecture}}/{{.Os}}", "multilayer", check=True)
    assert p.stdout.strip() == "amd64/linux"
    p = icrio.kpod("history", "multilayer", check=True)
    lines = p.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "CREATED"]
    assert len(lines) == 1 + len(img["layers"])
    icrio.kpod("tag", "multilayer", "localhost/copy:1", check=True)
    p = icrio.kpod("rmi", "localhost/copy:1", check=True)
    assert "Untagged: localhost/copy:1" in p.stdout
    p = icrio.kpod("rmi", "multilayer", check=True)
    assert f"Deleted: {img['id']}" in p.stdout
    p = icrio.kpod("rmi", "multilayer")
    assert p.returncode == 1  # podman: no such image
    assert icrio.kpod("images", "-q", check=True).stdout.strip() == ""


def test_push_with_kpod(icrio, registry):
    icrio.kpod("pull", "-q", registry.ref("busybox"), check=True)
    p = icrio.kpod("push", "--tls-verify=false", registry.ref("busybox"),
                   f"{registry.addr}/kpod-pushed:v1", check=True)
    p = icrio.kpod("pull", "-q", f"{registry.addr}/kpod-pushed:v1", check=True)
    assert p.stdout.strip() == registry.info["busybox"]["config"].split(":")[1]


def test_pull_shows_progress_bars_on_a_terminal(icrio, registry):
    """On a terminal kpod redraws per-layer bars in place (carriage returns or
    cursor movement) instead of printing plain lines."""
    import os
    import pty
    import subprocess
    from crio_daemon import KPOD
    master, slave = pty.openpty()
    env = dict(os.environ, CRIO_API=f"unix://{icrio.api_socket}", COLUMNS="100", TERM="xterm")
    p = subprocess.Popen([KPOD, "pull", registry.ref("big")], stdin=slave, stdout=slave,
                         stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    assert p.wait(timeout=120) == 0, out[-2000:]
    os.close(master)
    text = out.decode(errors="replace")
    assert "Copying blob" in text
    assert "\r" in text or "\x1b[" in text, text[-2000:]
    assert "MiB" in text
