"""The crio daemon: start, stop, restart after SIGKILL, the root's lock,
crio.conf errors, `crio config`, SIGHUP reload, the TCP listener."""
import json
import os
import signal
import socket
import stat
import time
import urllib.request
import urllib.error

from crio_daemon import Crio, run_crio


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sigterm_shuts_down_cleanly_and_removes_socket(crio_factory):
    d = crio_factory().start()
    mode = stat.S_IMODE(os.stat(d.api_socket).st_mode)
    assert mode == 0o660
    assert d.stop(signal.SIGTERM) == 0
    assert not d.api_socket.exists()
    assert "shutting down" in d.logs()


def test_sigint_shuts_down_too(crio_factory):
    d = crio_factory().start()
    assert d.stop(signal.SIGINT) == 0
    assert not d.api_socket.exists()


def test_restart_after_sigkill_needs_no_manual_step(crio_factory):
    d = crio_factory().start()
    before = d.get_json("/v1/info")
    d.kill()
    assert d.api_socket.exists()  # left behind by the killed daemon
    d.start()
    after = d.get_json("/v1/info")
    assert after["store"]["database"] == before["store"]["database"]
    assert after["counts"] == before["counts"]


def test_second_daemon_on_same_root_is_refused(crio_factory, tmp_path):
    first = crio_factory().start()
    second = Crio(tmp_path / "second")
    args = second.args()
    # same root, its own sockets
    args[args.index("--root") + 1] = str(first.root)
    p = run_crio(*args[1:], timeout=30)
    assert p.returncode == 1
    assert "already running" in p.stderr
    assert str(first.root) in p.stderr
    assert f"pid {first.proc.pid}" in p.stderr
    # the first one is untouched
    assert first.request("GET", "/healthz").status == 200


def test_malformed_config_names_file_line_and_column(crio_factory):
    d = crio_factory(config='[crio]\nroot = "/x\n')
    p = run_crio(*d.args()[1:])
    assert p.returncode == 1
    assert f"{d.config_path}:2:8:" in p.stderr
    assert "unterminated" in p.stderr


def test_unknown_key_is_named(crio_factory):
    d = crio_factory(config='[crio.api]\nlisten = ""\nsocket_colour = "blue"\n')
    p = run_crio(*d.args()[1:])
    assert p.returncode == 1
    assert f'{d.config_path}:3:1: unknown key "crio.api.socket_colour"' in p.stderr


def test_unknown_table_is_named(crio_factory):
    d = crio_factory(config='[crio.storage]\ndriver = "overlay"\n')
    p = run_crio(*d.args()[1:])
    assert p.returncode == 1
    assert f'{d.config_path}:1:7: unknown key "crio.storage"' in p.stderr


def test_wrong_type_is_named(crio_factory):
    d = crio_factory(config='[crio.api]\nmax_body_size = "big"\n')
    p = run_crio(*d.args()[1:])
    assert p.returncode == 1
    assert (f"{d.config_path}:2:17: crio.api.max_body_size: expected an integer, got a string"
            in p.stderr)


def test_bad_value_is_refused():
    p = run_crio("--log-level", "loud", "config")
    assert p.returncode == 1
    assert 'unknown level "loud"' in p.stderr


def test_missing_config_named_with_flag_is_an_error(tmp_path):
    p = run_crio("--config", str(tmp_path / "nope.conf"), "config")
    assert p.returncode == 1
    assert str(tmp_path / "nope.conf") in p.stderr


def test_crio_config_prints_effective_toml_that_reads_back(tmp_path):
    p = run_crio("--config", "/dev/null", "--root", str(tmp_path / "r"), "--listen",
                 "127.0.0.1:9999", "config")
    assert p.returncode == 0, p.stderr
    for table in ("[crio]", "[crio.api]", "[crio.runtime]", "[crio.runtime.runtimes.runc]",
                  "[crio.image]", "[crio.network]", "[crio.metrics]"):
        assert table in p.stdout
    assert f'root = "{tmp_path / "r"}"' in p.stdout
    assert 'listen = "127.0.0.1:9999"' in p.stdout
    conf = tmp_path / "crio.conf"
    conf.write_text(p.stdout)
    again = run_crio("--config", str(conf), "config")
    assert again.returncode == 0, again.stderr
    assert again.stdout == p.stdout


def test_sighup_reloads_insecure_registries(crio_factory):
    d = crio_factory(config='[crio.image]\ninsecure_registries = []\n').start()
    assert d.get_json("/v1/info")["registries"]["insecure"] == []
    d.write_config('[crio.image]\ninsecure_registries = ["127.0.0.1:5000"]\n')
    d.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while d.get_json("/v1/info")["registries"]["insecure"] != ["127.0.0.1:5000"]:
        assert time.monotonic() < deadline, d.logs()
        time.sleep(0.05)
    assert "configuration reloaded" in d.logs()


def test_sighup_with_broken_config_keeps_running(crio_factory):
    d = crio_factory(config='[crio.image]\ninsecure_registries = ["a:1"]\n').start()
    d.write_config("[crio.image\n")
    d.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "keeping the running configuration" not in d.logs():
        assert time.monotonic() < deadline, d.logs()
        time.sleep(0.05)
    assert d.get_json("/v1/info")["registries"]["insecure"] == ["a:1"]


def tcp_get(url, token=None):
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_tcp_listener_requires_bearer_token(crio_factory):
    port = free_port()
    d = crio_factory(extra_args=["--listen", f"127.0.0.1:{port}"]).start()
    base = f"http://127.0.0.1:{port}"
    assert tcp_get(base + "/healthz")[0] == 200
    status, body = tcp_get(base + "/v1/info")
    assert status == 401
    assert json.loads(body)["error"]["code"] == "unauthorized"
    assert tcp_get(base + "/v1/info", token="wrong")[0] == 401
    token_file = d.runroot / "api-token"
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    token = token_file.read_text().strip()
    status, body = tcp_get(base + "/v1/info", token=token)
    assert status == 200
    assert json.loads(body)["store"]["root"] == str(d.root)
    # kpod over TCP with the token
    p = d.kpod("--url", base, "--token", token, "info", "--format", "{{.Store.Root}}")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(d.root)


def test_tcp_token_from_file(crio_factory, tmp_path):
    port = free_port()
    tok = tmp_path / "token"
    tok.write_text("s3cret\n")
    d = crio_factory(config=f'[crio.api]\ntoken_file = "{tok}"\n',
                     extra_args=["--listen", f"127.0.0.1:{port}"]).start()
    assert tcp_get(f"http://127.0.0.1:{port}/v1/version", token="s3cret")[0] == 200
    assert tcp_get(f"http://127.0.0.1:{port}/v1/version", token="s3cre")[0] == 401
    assert not (d.runroot / "api-token").exists()


def test_listen_must_be_host_port():
    p = run_crio("--listen", "localhost", "config")
    assert p.returncode == 1
    assert "crio.api.listen" in p.stderr


def test_example_config_holds_every_default():
    from crio_daemon import SOURCE_DIR
    p = run_crio("--config", "/dev/null", "config")
    assert p.returncode == 0, p.stderr
    assert (SOURCE_DIR / "examples" / "crio.conf").read_text() == p.stdout
