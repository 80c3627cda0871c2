"""crun as a runtime handler. Debian's crun 1.8 refuses hybrid cgroup
layouts ("cgroups in hybrid mode not supported"); where `crun run` of a
trivial bundle fails, the daemon must pass crun's own message on, and the
lifecycle test says why it was skipped."""
import json
import shutil
import subprocess
import tarfile

import pytest

from ctr_helpers import create, logs, start_crio, wait

CRUN = shutil.which("crun")
pytestmark = pytest.mark.skipif(CRUN is None, reason="crun is not installed")


def crun_probe(tmp_path, oci_images):
    """None when `crun run` works here, else crun's message."""
    bundle = tmp_path / "probe"
    rootfs = bundle / "rootfs"
    rootfs.mkdir(parents=True)
    layer = oci_images.digests["busybox"]["layers"][0].split(":")[1]
    with tarfile.open(f"{oci_images.layout('busybox')}/blobs/sha256/{layer}") as t:
        t.extractall(rootfs)
    subprocess.run([CRUN, "spec"], cwd=bundle, check=True)
    cfg = json.loads((bundle / "config.json").read_text())
    cfg["process"]["args"] = ["true"]
    cfg["process"]["terminal"] = False
    (bundle / "config.json").write_text(json.dumps(cfg))
    p = subprocess.run([CRUN, "--root", str(tmp_path / "crun-root"), "run", "--bundle",
                        str(bundle), "crio-c-crun-probe"], capture_output=True, text=True,
                       timeout=60)
    subprocess.run([CRUN, "--root", str(tmp_path / "crun-root"), "delete", "-f",
                    "crio-c-crun-probe"], capture_output=True)
    return None if p.returncode == 0 else (p.stderr.strip() or f"exit {p.returncode}")


CRUN_CONF = f'[crio.runtime.runtimes.crun]\nruntime_path = "{CRUN}"\nruntime_root = "/run/crio-c-crun"\n'


def test_crun_lifecycle_where_crun_works(tmp_path, registry, oci_images):
    problem = crun_probe(tmp_path, oci_images)
    if problem:
        pytest.skip(f"crun cannot run a trivial bundle on this host: {problem}")
    d = start_crio(tmp_path, registry, extra="", subdir="crio")
    d.stop()
    d.write_config(d.config_path.read_text() + CRUN_CONF)
    d.start()
    try:
        c = create(d, registry, ["sh", "-c", "echo crun; exit 4"], runtime_handler="crun").json()
        assert d.request("POST", f"/v1/containers/{c['id']}/start").status == 200
        assert wait(d, c["id"])["exit_code"] == 4
        assert [l["log"] for l in logs(d, c["id"])] == ["crun\n"]
    finally:
        d.stop()


def test_crun_failure_reaches_the_user(tmp_path, registry, oci_images):
    problem = crun_probe(tmp_path, oci_images)
    if problem is None:
        pytest.skip("crun works on this host: nothing fails to report")
    d = start_crio(tmp_path, registry)
    d.stop()
    d.write_config(d.config_path.read_text() + CRUN_CONF)
    d.start()
    try:
        r = create(d, registry, ["true"], check=False, runtime_handler="crun")
        if r.status == 201:
            r = d.request("POST", f"/v1/containers/{r.json()['id']}/start")
        assert r.status >= 400
        msg = r.json()["error"]["message"]
        # crun's own words, e.g. "cgroups in hybrid mode not supported"
        key = problem.splitlines()[-1].split(":")[-1].strip()
        assert key in msg, (key, msg)
    finally:
        d.stop()
