"""Drives a real crio daemon for integration tests: temporary root, runroot
and sockets, its own crio.conf, HTTP over the unix socket, and kpod."""
import http.client
import json
import os
import pathlib
import signal
import socket
import subprocess
import time

SOURCE_DIR = pathlib.Path(os.environ.get("CRIO_SOURCE_DIR",
                                         pathlib.Path(__file__).resolve().parents[2]))
BUILD_DIR = pathlib.Path(os.environ.get("CRIO_BUILD_DIR", SOURCE_DIR / "build" / "test"))
CRIO = str(BUILD_DIR / "crio")
KPOD = str(BUILD_DIR / "kpod")


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "")


def http_request(conn, method, path, body=None, headers=None):
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=body, headers=hdrs)
    r = conn.getresponse()
    data = r.read()
    return Response(r.status, {k: v for k, v in r.getheaders()}, data)


class Crio:
    """One crio daemon on a temporary root."""

    def __init__(self, tmp_path, config="", extra_args=()):
        self.dir = pathlib.Path(tmp_path)
        self.root = self.dir / "root"
        self.runroot = self.dir / "run"
        self.api_socket = self.runroot / "api.sock"
        self.cri_socket = self.runroot / "crio.sock"
        self.config_path = self.dir / "crio.conf"
        self.log_path = self.dir / "crio.log"
        self.extra_args = list(extra_args)
        self.proc = None
        self.dir.mkdir(parents=True, exist_ok=True)
        self.write_config(config)

    def write_config(self, text):
        # hermetic networking: a CNI directory of the test's own (empty: loopback
        # only), never the host's /etc/cni/net.d
        if "[crio.network]" not in text:
            net = self.dir / "net.d"
            net.mkdir(exist_ok=True)
            text += f'\n[crio.network]\nnetwork_dir = "{net}"\n'
        self.config_path.write_text(text)

    def args(self):
        return [CRIO, "--config", str(self.config_path), "--root", str(self.root),
                "--runroot", str(self.runroot), "--api-socket", str(self.api_socket),
                "--cri-socket", str(self.cri_socket), "--log-level", "debug", *self.extra_args]

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args(), stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"crio exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                if self.request("GET", "/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"crio did not answer /healthz in {timeout}s:\n{self.logs()}")

    def logs(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def request(self, method, path, body=None, headers=None):
        conn = UnixHTTPConnection(str(self.api_socket))
        try:
            return http_request(conn, method, path, body, headers)
        finally:
            conn.close()

    def get_json(self, path):
        r = self.request("GET", path)
        assert r.status == 200, (r.status, r.body)
        return r.json()

    def kpod(self, *args, env=None, check=False, input_text=None):
        e = dict(os.environ, CRIO_API=f"unix://{self.api_socket}")
        e.update(env or {})
        p = subprocess.run([KPOD, *args], capture_output=True, text=True, env=e, timeout=120,
                           input=input_text)
        if check:
            assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        return p

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)


def run_crio(*args, timeout=60):
    return subprocess.run([CRIO, *args], capture_output=True, text=True, timeout=timeout)
