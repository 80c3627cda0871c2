"""crio killed with SIGKILL while containers run: they keep running, exits
that happen meanwhile are recorded with their real codes, half-made creates
are cleaned away, and many containers started at once are all recorded."""
import sqlite3
import threading
import time

from ctr_helpers import assert_nothing_left, create, inspect, logs, run, start_crio, wait, wait_state


def test_containers_survive_a_daemon_kill(tmp_path, registry):
    d = start_crio(tmp_path, registry)
    try:
        long = run(d, registry, ["sh", "-c", "echo started; sleep 1000"])
        short = run(d, registry, ["sh", "-c", "sleep 2; exit 7"])
        wait_state(d, long, "running")
        pid = inspect(d, long)["pid"]
        d.kill()
        time.sleep(3)  # short exits while the daemon is down
        d.start()
        info = inspect(d, long)
        assert info["state"] == "running" and info["pid"] == pid
        assert wait(d, short) == {"exit_code": 7, "oom_killed": False}
        assert [l["log"] for l in logs(d, long)] == ["started\n"]
        r = d.request("POST", f"/v1/containers/{long}/stop?timeout=1")
        assert r.json()["state"] == "exited"
        for cid in (long, short):
            assert d.request("DELETE", f"/v1/containers/{cid}").status == 200
        assert_nothing_left(d)
    finally:
        d.stop()


def test_an_interrupted_create_is_cleaned_at_start(tmp_path, registry):
    d = start_crio(tmp_path, registry)
    try:
        cid = create(d, registry, ["true"]).json()["id"]
        d.stop()
        # what a daemon killed inside create leaves: a row marked creating
        db = sqlite3.connect(str(d.root / "crio.db"))
        db.execute("UPDATE containers SET state = 'UNKNOWN', reason = 'creating' WHERE id = ?", (cid,))
        db.commit()
        db.close()
        d.start()
        assert d.request("GET", f"/v1/containers/{cid}").status == 404
        assert_nothing_left(d)
    finally:
        d.stop()


def test_fifty_containers_started_concurrently(tmp_path, registry):
    d = start_crio(tmp_path, registry)
    try:
        ids, errors = [], []

        def one(i):
            r = create(d, registry, ["sleep", "1000"], check=False, name=f"many-{i}")
            if r.status != 201:
                errors.append(r.body)
                return
            cid = r.json()["id"]
            s = d.request("POST", f"/v1/containers/{cid}/start")
            (ids if s.status == 200 else errors).append(cid if s.status == 200 else s.body)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(ids) == 50
        running = d.get_json("/v1/containers")
        assert sorted(c["id"] for c in running) == sorted(ids)
        assert all(c["state"] == "running" for c in running)
        for cid in ids:
            assert d.request("DELETE", f"/v1/containers/{cid}?force=true").status == 200
        assert_nothing_left(d)
    finally:
        d.stop()
