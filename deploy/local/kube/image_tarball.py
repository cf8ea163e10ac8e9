"""Packs one static binary as a single-layer image tarball in the format
`docker save` writes, which `ctr images import` loads: the pause image of the
local cluster, made without a registry or a Docker engine.
It must not hold anything but the binary (the sandbox runs as nobody)."""

import hashlib
import io
import json
import sys
import tarfile


def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def main(binary, image, out):
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tar.gettarinfo(binary, arcname="pause")
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        info.mode = 0o755
        with open(binary, "rb") as f:
            tar.addfile(info, f)
    layer_bytes = layer.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": ["/pause"], "User": "65535:65535"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "deploy/local/kube/image_tarball.py"}],
    }, sort_keys=True).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    layer_name = diff_id[len("sha256:"):] + "/layer.tar"
    manifest = json.dumps([{"Config": config_name, "RepoTags": [image], "Layers": [layer_name]}]).encode()
    with tarfile.open(out, mode="w") as tar:
        add_bytes(tar, config_name, config)
        add_bytes(tar, layer_name, layer_bytes)
        add_bytes(tar, "manifest.json", manifest)


if __name__ == "__main__":
    main(*sys.argv[1:4])
