"""Registries that need credentials: basic auth over TLS (a CA made by the
test, trusted through certs.d), bearer tokens; login and logout."""
import json
import os
import stat
import urllib.parse

import pytest

from crio_daemon import Crio
from images_helpers import pull
from registry import Registry, push_image


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory, oci_images):
    reg = Registry(str(tmp_path_factory.mktemp("tlsreg")), tls=True, htpasswd={"alice": "s3cret"})
    reg.start()
    push_image(reg.addr, oci_images.layout("busybox"), "busybox", **reg.push_args())
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory, oci_images):
    reg = Registry(str(tmp_path_factory.mktemp("tokreg")), token={"bob": "hunter2"})
    reg.start()
    push_image(reg.addr, oci_images.layout("busybox"), "busybox", **reg.push_args())
    yield reg
    reg.stop()


def daemon(tmp_path, extra=""):
    auth = tmp_path / "auth.json"
    conf = tmp_path / "registries.conf"
    conf.write_text("")
    d = Crio(tmp_path / "crio", f'[crio.image]\nregistries_conf = "{conf}"\n'
                                 f'global_auth_file = "{auth}"\n{extra}').start()
    return d, auth


def login(d, registry, user, password, **extra):
    return d.request("POST", "/v1/auth/login",
                     body={"registry": registry, "username": user, "password": password, **extra})


def test_login_checks_credentials_then_pull_uses_them(tmp_path, tls_registry):
    d, auth = daemon(tmp_path, f'certs_dir = "{tls_registry.certs_dir}"\n')
    try:
        ref = f"{tls_registry.addr}/busybox:latest"
        status, events = pull(d, ref)
        assert events[-1]["status"] == "error"
        assert events[-1]["error"]["code"] == "unauthorized", events[-1]
        r = login(d, tls_registry.addr, "alice", "wrong")
        assert r.status == 401, r.body
        assert not auth.exists()
        r = login(d, tls_registry.addr, "alice", "s3cret")
        assert r.status == 200, r.body
        assert r.json() == {"registry": tls_registry.addr, "auth_file": str(auth)}
        assert stat.S_IMODE(os.stat(auth).st_mode) == 0o600
        assert tls_registry.addr in json.loads(auth.read_text())["auths"]
        status, events = pull(d, ref)
        assert events[-1]["status"] == "done", events[-1]
        r = d.request("POST", "/v1/auth/logout", body={"registry": tls_registry.addr})
        assert r.status == 200
        assert tls_registry.addr not in json.loads(auth.read_text())["auths"]
        r = d.request("POST", "/v1/auth/logout", body={"registry": tls_registry.addr})
        assert r.status == 404
        assert "not logged in" in r.json()["error"]["message"]
    finally:
        d.stop()


def test_explicit_credentials_for_one_pull(tmp_path, tls_registry):
    d, auth = daemon(tmp_path, f'certs_dir = "{tls_registry.certs_dir}"\n')
    try:
        q = urllib.parse.urlencode({"reference": f"{tls_registry.addr}/busybox:latest"})
        r = d.request("POST", f"/v1/images/pull?{q}",
                      body={"username": "alice", "password": "s3cret"})
        last = json.loads(r.body.decode().splitlines()[-1])
        assert last["status"] == "done", last
        assert not auth.exists()  # nothing stored
    finally:
        d.stop()


def test_untrusted_tls_is_refused_without_certs_dir(tmp_path, tls_registry):
    d, _ = daemon(tmp_path)
    try:
        status, events = pull(d, f"{tls_registry.addr}/busybox:latest")
        assert events[-1]["status"] == "error"
        assert "certificate" in events[-1]["error"]["message"] or "trusted" in events[-1]["error"]["message"]
    finally:
        d.stop()


def test_bearer_token_registry(tmp_path, token_registry):
    d, _ = daemon(tmp_path, f'insecure_registries = ["{token_registry.addr}"]\n')
    try:
        assert login(d, token_registry.addr, "bob", "nope").status == 401
        assert login(d, token_registry.addr, "bob", "hunter2").status == 200
        status, events = pull(d, f"{token_registry.addr}/busybox:latest")
        assert events[-1]["status"] == "done", events[-1]
    finally:
        d.stop()


def test_logout_all_and_bad_requests(tmp_path, tls_registry):
    d, auth = daemon(tmp_path, f'certs_dir = "{tls_registry.certs_dir}"\n')
    try:
        assert login(d, tls_registry.addr, "alice", "s3cret").status == 200
        r = d.request("POST", "/v1/auth/logout", body={"all": True})
        assert r.status == 200
        assert json.loads(auth.read_text())["auths"] == {}
        assert d.request("POST", "/v1/auth/logout", body={}).status == 400
        assert login(d, "not a registry!", "a", "b").status == 400
        assert d.request("POST", "/v1/auth/login", body={"registry": "x", "colour": 1}).status == 400
    finally:
        d.stop()


def test_kpod_login_pull_logout(tmp_path, tls_registry):
    d, auth = daemon(tmp_path, f'certs_dir = "{tls_registry.certs_dir}"\n')
    try:
        ref = f"{tls_registry.addr}/busybox:latest"
        p = d.kpod("login", "-u", "alice", "-p", "wrong", tls_registry.addr)
        assert p.returncode == 125 and "alice" not in p.stdout
        p = d.kpod("login", "-u", "alice", "--password-stdin", tls_registry.addr,
                   input_text="s3cret\n")
        assert p.returncode == 0, p.stderr
        assert "Login Succeeded" in p.stdout
        d.kpod("pull", "-q", ref, check=True)
        p = d.kpod("logout", tls_registry.addr, check=True)
        assert f"Removed login credentials for {tls_registry.addr}" in p.stdout
        d.kpod("rmi", ref, check=True)
        assert d.kpod("pull", "-q", ref).returncode == 125
        d.kpod("pull", "-q", "--creds", "alice:s3cret", ref, check=True)
    finally:
        d.stop()


def test_tls_verify_false_for_one_pull(tmp_path, registry):
    d, _ = daemon(tmp_path)  # the plain-HTTP test registry is not marked insecure here
    try:
        status, events = pull(d, registry.ref("busybox"))
        assert events[-1]["status"] == "error", events[-1]
        status, events = pull(d, registry.ref("busybox"), tls_verify="false")
        assert events[-1]["status"] == "done", events[-1]
        p = d.kpod("pull", "-q", "--tls-verify=false", registry.ref("multilayer"))
        assert p.returncode == 0, p.stderr
    finally:
        d.stop()
