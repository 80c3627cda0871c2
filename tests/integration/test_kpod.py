"""kpod version and kpod info against a real crio."""
import json

from crio_daemon import KPOD, Crio
import subprocess


def test_version_prints_client_and_server(crio):
    p = crio.kpod("version", check=True)
    assert "Client:" in p.stdout and "Server:" in p.stdout
    assert "Version:" in p.stdout and "0.1.0" in p.stdout
    assert "linux/amd64" in p.stdout


def test_version_json_and_template(crio):
    p = crio.kpod("version", "--format", "json", check=True)
    v = json.loads(p.stdout)
    assert v["Server"]["Version"] == crio.get_json("/v1/version")["version"]
    assert "Client" in v
    p = crio.kpod("version", "--format", "{{.Server.APIVersion}}", check=True)
    assert p.stdout == "v1\n"


def test_info_default_output_is_yaml_like(crio):
    p = crio.kpod("info", check=True)
    assert "store:" in p.stdout
    assert f"root: {crio.root}" in p.stdout
    assert "plugin_dirs:" in p.stdout
    assert "- /usr/lib/cni" in p.stdout


def test_info_json_matches_the_api(crio):
    p = crio.kpod("info", "--format", "json", check=True)
    info = json.loads(p.stdout)
    api = crio.get_json("/v1/info")
    assert info["store"] == api["store"]
    assert info["runtime"] == api["runtime"]


def test_info_template_fields(crio):
    p = crio.kpod("info", "--format", "{{.Store.Root}} {{.Host.CgroupVersion}} {{.Counts.Pods}}",
                  check=True)
    root, cgv, pods = p.stdout.split()
    assert root == str(crio.root)
    assert cgv in ("v1", "v2")
    assert pods == "0"


def test_unknown_template_field_is_an_error(crio):
    p = crio.kpod("info", "--format", "{{.Store.Nope}}")
    assert p.returncode == 125
    assert "Nope" in p.stderr


def test_daemon_not_running_gives_one_line_and_125(tmp_path):
    sock = tmp_path / "absent.sock"
    for args in (["info"], ["version"]):
        p = subprocess.run([KPOD, "--url", f"unix://{sock}", *args], capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 125
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1, p.stderr
        assert str(sock) in lines[0]
        assert "crio" in lines[0]


def test_crio_api_env_and_url_flag(crio, tmp_path):
    p = subprocess.run([KPOD, "--url", f"unix://{crio.api_socket}", "info", "--format",
                        "{{.Store.Runroot}}"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(crio.runroot)


def test_unknown_command_exits_125(crio):
    p = crio.kpod("frobnicate")
    assert p.returncode == 125
    assert "frobnicate" in p.stderr
