"""Helpers of the image tests: a crio configured for the test registry,
pulls over the REST API, and images built on the fly."""
import json
import os
import urllib.parse

import build_images as bi
from registry import push_image


def image_config(registry_addr, tmp_path, extra=""):
    conf = tmp_path / "registries.conf"
    conf.write_text(f'unqualified-search-registries = ["{registry_addr}"]\n')
    return (f'[crio.image]\nregistries_conf = "{conf}"\n'
            f'insecure_registries = ["{registry_addr}"]\n{extra}')


def pull(crio, reference, **params):
    q = urllib.parse.urlencode({"reference": reference, **params})
    r = crio.request("POST", f"/v1/images/pull?{q}")
    if r.status != 200:
        return r.status, [r.json()]
    assert r.content_type == "application/x-ndjson", r.content_type
    return r.status, [json.loads(line) for line in r.body.decode().splitlines()]


def pull_ok(crio, reference, **params):
    status, events = pull(crio, reference, **params)
    assert status == 200 and events[-1]["status"] == "done", events[-3:]
    return events[-1]["id"]


def layer_dirs(crio):
    d = crio.root / "overlay" / "layers"
    return sorted(os.listdir(d)) if d.exists() else []


def staging_entries(crio):
    d = crio.root / "overlay" / "staging"
    return sorted(os.listdir(d)) if d.exists() else []


def push_custom_image(registry_addr, tmp_path, name, layers_entries):
    """Build an image whose layers are the given tar entry lists (see
    build_images._file/_dir/_symlink/_hardlink) and push it as NAME:latest."""
    layout_dir = str(tmp_path / f"layout-{name}")
    layout = bi.Layout(layout_dir)
    layers = [bi.layer(entries, f"layer {i}") for i, entries in enumerate(layers_entries)]
    desc, summary = bi.write_image(layout, layers)
    desc.pop("platform", None)
    layout.finish(desc)
    push_image(registry_addr, layout_dir, name)
    return summary
