"""seccomp and AppArmor as a container's process meets them: the default
profile filters (Seccomp: 2), unconfined and privileged containers run
unfiltered, a profile file's rules apply, bad profiles fail the create and
leave nothing, crio.conf's seccomp_profile replaces the built-in default,
and kpod's --security-opt sets the same."""
import json
import os

import pytest

from ctr_helpers import (assert_nothing_left, create, crio_with_busybox, inspect, logs, run,
                         start_crio, wait)

SECCOMP_STATUS = "grep '^Seccomp:' /proc/self/status"
DENY_MKDIR = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
}
MKDIR = "mkdir /tmp/x 2>&1; echo rc=$?"


@pytest.fixture
def d(tmp_path, registry):
    yield from crio_with_busybox(tmp_path, registry)


def profile_file(tmp_path, name, content):
    p = tmp_path / name
    p.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(p)


def output(d, registry, script, **spec):
    cid = run(d, registry, ["sh", "-c", script], **spec)
    wait(d, cid)
    return cid, "".join(l["log"] for l in logs(d, cid))


def oci_config(d, cid):
    with open(d.root / "containers" / cid / "config.json") as f:
        return json.load(f)


def apparmor_enabled():
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            return f.read().startswith("Y")
    except OSError:
        return False


def test_default_profile_filters(d, registry):
    cid, out = output(d, registry, SECCOMP_STATUS + "; " + MKDIR)
    assert out.split()[:2] == ["Seccomp:", "2"], out
    assert "rc=0" in out
    sec = inspect(d, cid)["spec"]["security"]
    assert sec["seccomp_profile"] == "runtime/default"
    seccomp = oci_config(d, cid)["linux"]["seccomp"]
    assert seccomp["defaultAction"] == "SCMP_ACT_ERRNO"
    assert any("read" in r["names"] for r in seccomp["syscalls"])
    if not apparmor_enabled():
        assert sec["apparmor_profile"] == "unconfined"
        assert "apparmorProfile" not in oci_config(d, cid)["process"]


def test_capabilities_open_default_profile_rules(d, registry):
    # unshare is allowed by the default profile only with CAP_SYS_ADMIN
    _, out = output(d, registry, "unshare -m true 2>&1; echo rc=$?")
    assert "Operation not permitted" in out and "rc=0" not in out, out
    _, out = output(d, registry, "unshare -m true 2>&1; echo rc=$?",
                    security={"cap_add": ["SYS_ADMIN"]})
    assert out == "rc=0\n", out


def test_unconfined_has_no_filter(d, registry):
    cid, out = output(d, registry, SECCOMP_STATUS, security={"seccomp_profile": "unconfined"})
    assert out.split() == ["Seccomp:", "0"], out
    assert inspect(d, cid)["spec"]["security"]["seccomp_profile"] == "unconfined"
    assert "seccomp" not in oci_config(d, cid)["linux"]


def test_privileged_has_no_filter(d, registry):
    cid, out = output(d, registry, SECCOMP_STATUS, security={"privileged": True})
    assert out.split() == ["Seccomp:", "0"], out
    assert inspect(d, cid)["spec"]["security"]["seccomp_profile"] == "unconfined"


def test_profile_file_denies_mkdir(d, registry, tmp_path):
    path = profile_file(tmp_path, "deny-mkdir.json", DENY_MKDIR)
    for profile in (f"localhost/{path}", path):
        cid, out = output(d, registry, SECCOMP_STATUS + "; " + MKDIR,
                          security={"seccomp_profile": profile})
        assert out.split()[:2] == ["Seccomp:", "2"], out
        assert "Operation not permitted" in out and "rc=1" in out, out
        assert inspect(d, cid)["spec"]["security"]["seccomp_profile"] == f"localhost/{path}"


@pytest.mark.parametrize("name,content,needle", [
    ("missing.json", None, "No such file or directory"),
    ("broken.json", '{"defaultAction": ', "not valid JSON"),
    ("action.json", {"defaultAction": "SCMP_ACT_ALLOW",
                     "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_EXPLODE"}]},
     'unknown action "SCMP_ACT_EXPLODE"'),
])
def test_bad_profile_fails_create_and_leaves_nothing(d, registry, tmp_path, name, content, needle):
    path = str(tmp_path / name) if content is None else profile_file(tmp_path, name, content)
    r = create(d, registry, ["true"], check=False, security={"seccomp_profile": f"localhost/{path}"})
    assert r.status == 400, r.body
    message = r.json()["error"]["message"]
    assert path in message and needle in message, message
    assert_nothing_left(d)


def test_bad_profile_names_are_refused(d, registry):
    for sec, needle in (({"seccomp_profile": "strict"}, 'seccomp profile "strict"'),
                        ({"seccomp_profile": "localhost/relative.json"}, "ABSOLUTE_PATH"),
                        ({"apparmor_profile": "strict"}, 'apparmor profile "strict"')):
        r = create(d, registry, ["true"], check=False, security=sec)
        assert r.status == 400 and needle in r.json()["error"]["message"], r.body
    assert_nothing_left(d)


@pytest.mark.skipif(apparmor_enabled(), reason="this host has AppArmor enabled")
def test_apparmor_localhost_refused_without_apparmor(d, registry):
    r = create(d, registry, ["true"], check=False,
               security={"apparmor_profile": "localhost/my-profile"})
    assert r.status == 400, r.body
    message = r.json()["error"]["message"]
    assert "localhost/my-profile" in message and "AppArmor is not enabled" in message
    assert_nothing_left(d)


def test_config_default_profile(tmp_path, registry):
    path = profile_file(tmp_path, "site-default.json", DENY_MKDIR)
    d = start_crio(tmp_path, registry, f'[crio.runtime]\nseccomp_profile = "{path}"\n')
    try:
        cid, out = output(d, registry, MKDIR)
        assert "Operation not permitted" in out, out
        assert inspect(d, cid)["spec"]["security"]["seccomp_profile"] == "runtime/default"
        _, out = output(d, registry, MKDIR, security={"seccomp_profile": "unconfined"})
        assert "rc=0" in out, out
        for c in d.get_json("/v1/containers?all=true"):
            d.request("DELETE", f"/v1/containers/{c['id']}?force=true")
    finally:
        assert d.stop() == 0, d.logs()


def test_kpod_security_opt(d, tmp_path):
    p = d.kpod("run", "--rm", "--security-opt", "seccomp=unconfined", d.image, "sh", "-c",
               SECCOMP_STATUS)
    assert p.returncode == 0 and p.stdout.split() == ["Seccomp:", "0"], (p.stdout, p.stderr)
    path = profile_file(tmp_path, "deny-mkdir.json", DENY_MKDIR)
    p = d.kpod("run", "--rm", "--security-opt", f"seccomp={path}", d.image, "mkdir", "/tmp/x")
    assert p.returncode != 0 and "Operation not permitted" in p.stderr, (p.stdout, p.stderr)
    p = d.kpod("create", "--name", "sec", "--security-opt", "seccomp=unconfined",
               "--security-opt", "apparmor=unconfined", d.image, "true", check=True)
    spec = json.loads(d.kpod("inspect", "sec", check=True).stdout)
    spec = spec[0] if isinstance(spec, list) else spec
    assert spec["spec"]["security"]["seccomp_profile"] == "unconfined", spec
    assert spec["spec"]["security"]["apparmor_profile"] == "unconfined", spec
    p = d.kpod("run", "--rm", "--security-opt", "label=disable", d.image, "true")
    assert p.returncode != 0 and "label=disable" in p.stderr, (p.stdout, p.stderr)
    d.kpod("rm", "sec", check=True)
    assert_nothing_left(d)
