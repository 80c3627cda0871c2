"""What a container spec sets is what the process inside sees: user, working
directory, environment, mounts, devices, rlimits, oom_score_adj; and every
state change lands in the store's event log."""
import sqlite3

import pytest

from ctr_helpers import create, logs, run, start_crio, wait


@pytest.fixture
def d(tmp_path, registry):
    d = start_crio(tmp_path, registry)
    yield d
    for c in d.get_json("/v1/containers?all=true"):
        d.request("DELETE", f"/v1/containers/{c['id']}?force=true")
    assert d.stop() == 0, d.logs()


def output(d, registry, script, **spec):
    cid = run(d, registry, ["sh", "-c", script], **spec)
    result = wait(d, cid)
    text = "".join(l["log"] for l in logs(d, cid))
    assert result["exit_code"] == 0, text
    return text


def test_user_workdir_env(d, registry):
    out = output(d, registry, "id -u; id -g; pwd; echo $FOO; echo $HOME",
                 user="nobody", working_dir="/tmp", env=["FOO=bar"])
    assert out.split() == ["65534", "65534", "/tmp", "bar", "/home"] or \
        out.split()[:4] == ["65534", "65534", "/tmp", "bar"], out
    out = output(d, registry, "id -u; id -g", user="1000:1000")
    assert out.split() == ["1000", "1000"]
    r = create(d, registry, ["true"], check=False, user="nosuchuser")
    assert r.status == 400 and "nosuchuser" in r.json()["error"]["message"]


def test_bind_tmpfs_and_readonly(d, registry, tmp_path):
    src = tmp_path / "shared"
    src.mkdir()
    (src / "hello.txt").write_text("from the host\n")
    out = output(d, registry, "cat /data/hello.txt; echo x > /scratch/f && echo tmpfs-ok; "
                              "(echo y > /data/f) 2>/dev/null || echo ro-ok",
                 mounts=[{"source": str(src), "destination": "/data", "options": ["ro"]},
                         {"type": "tmpfs", "destination": "/scratch"}])
    assert out == "from the host\ntmpfs-ok\nro-ok\n"
    out = output(d, registry, "(touch /newfile) 2>/dev/null || echo readonly-rootfs",
                 security={"readonly_rootfs": True})
    assert out == "readonly-rootfs\n"


def test_device_rlimits_and_oom_score_adj(d, registry):
    out = output(d, registry, "echo hi > /dev/mynull && echo dev-ok; ulimit -Hn; "
                              "cat /proc/self/oom_score_adj",
                 devices=[{"host_path": "/dev/null", "container_path": "/dev/mynull"}],
                 resources={"oom_score_adj": -500})
    dev, nofile, oom = out.split()
    assert dev == "dev-ok"
    import resource
    assert int(nofile) <= resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    own = int(open("/proc/self/oom_score_adj").read())
    assert int(oom) >= own and int(oom) >= -500  # clamped to what the daemon may set


def test_state_changes_are_in_the_event_log(d, registry):
    cid = run(d, registry, ["sh", "-c", "exit 0"])
    wait(d, cid)
    d.request("DELETE", f"/v1/containers/{cid}")
    db = sqlite3.connect(str(d.root / "crio.db"))
    actions = [a for (a,) in db.execute(
        "SELECT action FROM events WHERE object_id = ? ORDER BY seq", (cid,))]
    db.close()
    assert actions == ["create", "start", "died", "remove"], actions
