"""The CRI's security context and resources as they reach a real container:
user and groups, read-only rootfs, capabilities, no_new_privs, masked and
read-only paths, privileged, seccomp and AppArmor profiles, cgroup limits
and the oom_score_adj clamp."""
import grpc
import pytest

from cri_client import message
from cri_helpers import (RUNNING, cri_daemon, ctr_call, pod_config, run_pod, wait_state)


@pytest.fixture(scope="module")
def d(tmp_path_factory, registry):
    with cri_daemon(tmp_path_factory.mktemp("cri-sec"), registry) as d:
        cfg = pod_config(name="sec", uid="uid-sec")
        d.pod_cfg = cfg
        d.pod = run_pod(d.cri, cfg)
        yield d


def start(d, name, sc=None, resources=None):
    c = message("ContainerConfig")()
    c.metadata.name = name
    c.image.image = d.image
    c.command.extend(["sleep", "1000"])
    if sc is not None:
        c.linux.security_context.CopyFrom(sc)
    if resources is not None:
        c.linux.resources.CopyFrom(resources)
    req = message("CreateContainerRequest")(pod_sandbox_id=d.pod, config=c,
                                            sandbox_config=d.pod_cfg)
    cid = d.cri.call("CreateContainer", req, "CreateContainerResponse").container_id
    ctr_call(d.cri, "StartContainer", cid)
    assert wait_state(d.cri, cid, RUNNING).state == RUNNING
    return cid


def sh(d, cid, script):
    r = d.cri.call("ExecSync", message("ExecSyncRequest")(container_id=cid,
                                                           cmd=["sh", "-c", script], timeout=10),
                   "ExecSyncResponse")
    return r.exit_code, r.stdout.decode() + r.stderr.decode()


def status_field(d, cid, field):
    _, out = sh(d, cid, "cat /proc/1/status")
    for line in out.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    pytest.fail(f"no {field} in /proc/1/status")


def sc(**kw):
    return message("LinuxContainerSecurityContext")(**kw)


def profile(kind, ref=""):
    types = {"RuntimeDefault": 0, "Unconfined": 1, "Localhost": 2}
    return message("SecurityProfile")(profile_type=types[kind], localhost_ref=ref)


def test_user_group_and_supplemental_groups(d):
    cid = start(d, "user", sc(run_as_user=message("Int64Value")(value=1000),
                              run_as_group=message("Int64Value")(value=2000),
                              supplemental_groups=[3000]))
    code, out = sh(d, cid, "id -u; id -g; id -G")
    assert code == 0
    uid, gid, groups = out.split("\n")[:3]
    assert (uid, gid) == ("1000", "2000")
    assert "3000" in groups.split()


def test_run_as_group_without_user_invalid(d):
    with pytest.raises(grpc.RpcError) as e:
        start(d, "badgroup", sc(run_as_group=message("Int64Value")(value=5)))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "run_as_group" in e.value.details()


def test_readonly_rootfs_and_no_new_privs(d):
    cid = start(d, "ro", sc(readonly_rootfs=True, no_new_privs=True))
    code, out = sh(d, cid, "touch /x")
    assert code != 0 and "Read-only file system" in out
    assert status_field(d, cid, "NoNewPrivs") == "1"


def test_capabilities_add_and_drop(d):
    cid = start(d, "caps", sc(capabilities=message("Capability")(
        drop_capabilities=["ALL"], add_capabilities=["NET_ADMIN"])))
    # CapEff: only CAP_NET_ADMIN (bit 12)
    assert int(status_field(d, cid, "CapEff"), 16) == 1 << 12


def test_masked_and_readonly_paths(d):
    cid = start(d, "paths", sc(masked_paths=["/etc/hostname"], readonly_paths=["/tmp"]))
    code, out = sh(d, cid, "cat /etc/hostname")
    assert out.strip() == ""
    code, out = sh(d, cid, "touch /tmp/x")
    assert code != 0


def test_privileged_has_devices_and_no_seccomp(d):
    cid = start(d, "priv", sc(privileged=True))
    assert status_field(d, cid, "Seccomp") == "0"
    code, out = sh(d, cid, "ls /dev")
    assert "loop0" in out or "sda" in out or "vda" in out


def test_seccomp_profiles(d, tmp_path):
    assert status_field(d, start(d, "sc-none"), "Seccomp") == "2"   # unset: runtime default
    assert status_field(d, start(d, "sc-default", sc(seccomp=profile("RuntimeDefault"))),
                        "Seccomp") == "2"
    assert status_field(d, start(d, "sc-unconfined", sc(seccomp=profile("Unconfined"))),
                        "Seccomp") == "0"
    deny = tmp_path / "deny-mkdir.json"
    deny.write_text('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", '
                    '"mkdirat"], "action": "SCMP_ACT_ERRNO"}]}')
    cid = start(d, "sc-local", sc(seccomp=profile("Localhost", str(deny))))
    code, out = sh(d, cid, "mkdir /tmp/y")
    assert code != 0 and "Operation not permitted" in out


def test_bad_seccomp_profile_leaves_nothing(d, tmp_path):
    before = len(d.cri.call("ListContainers", message("ListContainersRequest")(),
                            "ListContainersResponse").containers)
    missing = tmp_path / "nope.json"
    with pytest.raises(grpc.RpcError) as e:
        start(d, "sc-missing", sc(seccomp=profile("Localhost", str(missing))))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert str(missing) in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        start(d, "sc-noref", sc(seccomp=profile("Localhost")))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    after = len(d.cri.call("ListContainers", message("ListContainersRequest")(),
                           "ListContainersResponse").containers)
    assert after == before


def test_apparmor_localhost_refused_without_apparmor(d):
    with pytest.raises(grpc.RpcError) as e:
        start(d, "aa", sc(apparmor=profile("Localhost", "my-profile")))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "my-profile" in e.value.details()


def crio_oom_score_adj(d):
    with open(f"/proc/{d.proc.pid}/oom_score_adj") as f:
        return int(f.read())


@pytest.mark.parametrize("asked", [-998, 500])
def test_resources_and_oom_score_adj_clamp(d, asked):
    res = message("LinuxContainerResources")(memory_limit_in_bytes=96 << 20, cpu_shares=256,
                                             oom_score_adj=asked)
    cid = start(d, f"res{asked}", resources=res)
    _, out = sh(d, cid, "cat /proc/1/oom_score_adj")
    # never below the daemon's own value (this host refuses negative ones)
    assert int(out) == max(asked, crio_oom_score_adj(d))
    st = ctr_call(d.cri, "ContainerStatus", cid).status
    assert st.resources.linux.memory_limit_in_bytes == 96 << 20
    assert st.resources.linux.cpu_shares == 256
