"""Shared by the network tests: a free loopback port, and a CNI bridge
network configuration of the test's own (its bridge named per test run)."""
import json
import os
import socket


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bridge_conf(tmp_path, extra_plugins=()):
    tag = os.getpid() % 200 + 20
    name = f"crioc-t{tag}"
    conf = {
        "cniVersion": "1.0.0", "name": "crio-test",
        "plugins": [
            {"type": "bridge", "bridge": name, "isGateway": True, "ipMasq": False,
             "hairpinMode": True,
             "ipam": {"type": "host-local", "dataDir": str(tmp_path / "ipam"),
                      "ranges": [[{"subnet": f"10.124.{tag}.0/24"}]],
                      "routes": [{"dst": "0.0.0.0/0"}]}},
            {"type": "portmap", "capabilities": {"portMappings": True}},
            *extra_plugins,
        ],
    }
    netdir = tmp_path / "cni"
    netdir.mkdir(exist_ok=True)
    (netdir / "10-test.conflist").write_text(json.dumps(conf))
    return netdir, name
