"""Interactive exec and attach over a real WebSocket client
(websocket-client), channel protocol v4.channel.k8s.io."""
import json
import socket
import time
import urllib.parse

import pytest
import websocket

from ctr_helpers import inspect, run, start_crio, wait, wait_state


@pytest.fixture
def d(tmp_path, registry):
    d = start_crio(tmp_path, registry)
    yield d
    for c in d.get_json("/v1/containers?all=true"):
        d.request("DELETE", f"/v1/containers/{c['id']}?force=true")
    assert d.stop() == 0, d.logs()


def connect(d, path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(str(d.api_socket))
    return websocket.create_connection(f"ws://localhost{path}", socket=s,
                                       subprotocols=["v4.channel.k8s.io"], timeout=20)


def collect(ws, until_status=True):
    """(stdout, stderr, status) until channel 3 or the close."""
    out, err, status = b"", b"", None
    while True:
        try:
            op, data = ws.recv_data()
        except (websocket.WebSocketConnectionClosedException, websocket.WebSocketTimeoutException,
                ConnectionError):
            break
        if op == websocket.ABNF.OPCODE_CLOSE or not data:
            break
        ch, payload = data[0], data[1:]
        if ch == 1:
            out += payload
        elif ch == 2:
            err += payload
        elif ch == 3:
            status = json.loads(payload)
            if until_status:
                break
    return out, err, status


def send(ws, channel, data):
    ws.send_binary(bytes([channel]) + data)


def exec_path(cid, *command, tty=False, stdin=True):
    q = urllib.parse.urlencode([("command", c) for c in command] +
                               [("tty", str(tty).lower()), ("stdin", str(stdin).lower())])
    return f"/v1/containers/{cid}/exec/stream?{q}"


def test_interactive_exec_with_a_tty_and_resize(d, registry):
    cid = run(d, registry, ["sleep", "1000"])
    wait_state(d, cid, "running")
    ws = connect(d, exec_path(cid, "sh", "-c", "while read -r l; do eval \"$l\"; done", tty=True))
    send(ws, 4, json.dumps({"Width": 100, "Height": 30}).encode())
    time.sleep(0.3)
    send(ws, 0, b"echo $((6*7)); stty size\n")
    send(ws, 0, b"exit 5\n")
    out, err, status = collect(ws)
    ws.close()
    assert b"42" in out and b"30 100" in out, out
    assert status["status"] == "Failure"
    assert status["details"]["causes"][0]["message"] == "5"


def test_exec_without_tty_separates_streams(d, registry):
    cid = run(d, registry, ["sleep", "1000"])
    wait_state(d, cid, "running")
    ws = connect(d, exec_path(cid, "sh", "-c", "read -r l; echo \"got $l\"; echo err >&2"))
    send(ws, 0, b"piped input\n")
    out, err, status = collect(ws)
    ws.close()
    assert out == b"got piped input\n" and err == b"err\n"
    assert status == {"metadata": {}, "status": "Success"}


def test_v5_close_of_stdin_ends_cat(d, registry):
    cid = run(d, registry, ["sleep", "1000"])
    wait_state(d, cid, "running")
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(str(d.api_socket))
    ws = websocket.create_connection(f"ws://localhost{exec_path(cid, 'cat')}", socket=s,
                                     subprotocols=["v5.channel.k8s.io"], timeout=20)
    send(ws, 0, b"all of it\n")
    ws.send_binary(bytes([255, 0]))  # v5: stdin is closed
    out, err, status = collect(ws)
    ws.close()
    assert out == b"all of it\n" and status["status"] == "Success"


def test_client_leaving_ends_the_exec(d, registry):
    cid = run(d, registry, ["sleep", "1000"])
    wait_state(d, cid, "running")
    ws = connect(d, exec_path(cid, "sleep", "777"))
    time.sleep(0.5)
    ws.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ps = d.request("POST", f"/v1/containers/{cid}/exec", body={"command": ["ps", "-o", "args"]})
        if "sleep 777" not in ps.json()["stdout"]:
            break
        time.sleep(0.2)
    assert "sleep 777" not in ps.json()["stdout"]


def test_exec_in_a_stopped_container_is_refused(d, registry):
    cid = run(d, registry, ["true"])
    wait(d, cid)
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        connect(d, exec_path(cid, "true"))
    assert e.value.status_code == 409


def test_attach_sees_output_written_after_attaching_and_forwards_stdin(d, registry):
    c = d.request("POST", "/v1/containers", body={
        "image": registry.ref("busybox"), "stdin": True,
        "command": ["sh", "-c", "echo ready; while read -r l; do echo \"got $l\"; done; exit 3"]})
    cid = c.json()["id"]
    ws = connect(d, f"/v1/containers/{cid}/attach?stdin=true")
    d.request("POST", f"/v1/containers/{cid}/start")
    time.sleep(0.5)
    send(ws, 0, b"hello\n")
    deadline = time.monotonic() + 10
    out = b""
    while b"got hello" not in out and time.monotonic() < deadline:
        op, data = ws.recv_data()
        if data and data[0] == 1:
            out += data[1:]
    assert b"got hello\n" in out
    d.request("POST", f"/v1/containers/{cid}/kill?signal=KILL")
    rest, _, status = collect(ws)  # the status arrives when the container exits
    ws.close()
    assert inspect(d, cid)["state"] == "exited"
    assert status["details"]["causes"][0]["message"] == "137"
