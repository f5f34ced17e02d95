#!/usr/bin/env python3
"""Builds an OCI image layout tarball from files on this machine, without Docker.

    deploy/oci_image.py --name steertop.local/steertop:1 --out steertop.tar \
        --file /path/on/host:/path/in/image ... [--libs-of BINARY] [--entrypoint /steertop]

One layer holds the files (and, with --libs-of, the shared libraries `ldd` lists for those
binaries, at the same paths). The tarball is what `ctr -n k8s.io images import` takes: the
index names the image with the `io.containerd.image.name` and
`org.opencontainers.image.ref.name` annotations.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


def libraries(binary):
    """Paths of the shared libraries `ldd` lists for `binary` (the loader included)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if out.returncode != 0:  # a static binary: "not a dynamic executable"
        return []
    paths = []
    for line in out.stdout.splitlines():
        parts = line.split()
        if "=>" in parts:
            i = parts.index("=>")
            if i + 1 < len(parts) and parts[i + 1].startswith("/"):
                paths.append(parts[i + 1])
        elif parts and parts[0].startswith("/"):
            paths.append(parts[0])
    return paths


def layer(files, dirs=()):
    """A gzipped tar of (host path, image path) pairs, with their parent directories, and
    empty directories `dirs` (mode 1777 for /tmp); the uncompressed tar's digest is the
    config's diff_id."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        made = set()
        for d in sorted(dirs):
            info = tarfile.TarInfo(d.strip("/"))
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d.strip("/") == "tmp" else 0o755
            tar.addfile(info)
            made.add(d.strip("/"))
        for src, dst in sorted(files, key=lambda f: f[1]):
            dst = dst.lstrip("/")
            parts = dst.split("/")[:-1]
            for k in range(1, len(parts) + 1):
                d = "/".join(parts[:k])
                if d not in made:
                    info = tarfile.TarInfo(d)
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    tar.addfile(info)
                    made.add(d)
            real = os.path.realpath(src)
            info = tar.gettarinfo(real, arcname=dst)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            with open(real, "rb") as f:
                tar.addfile(info, f)
    data = raw.getvalue()
    zipped = gzip.compress(data, mtime=0)
    return zipped, "sha256:" + hashlib.sha256(data).hexdigest()


def build(name, files, entrypoint, cmd, out, dirs=()):
    blobs = {}

    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"digest": digest, "size": len(data)}

    zipped, diff_id = layer(files, dirs)
    layer_desc = dict(blob(zipped), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
    config = {
        "architecture": ARCH, "os": "linux",
        "config": {"Entrypoint": entrypoint, "Cmd": cmd, "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "deploy/oci_image.py"}],
    }
    config_desc = dict(blob(json.dumps(config, sort_keys=True).encode()), mediaType="application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_desc, "layers": [layer_desc]}
    manifest_desc = dict(blob(json.dumps(manifest, sort_keys=True).encode()),
                         mediaType="application/vnd.oci.image.manifest.v1+json",
                         platform={"architecture": ARCH, "os": "linux"},
                         annotations={"io.containerd.image.name": name,
                                      "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]})
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [manifest_desc]}
    with tarfile.open(out, "w") as tar:
        def add(path, data):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        add("index.json", json.dumps(index).encode())
        for digest, data in blobs.items():
            add("blobs/sha256/" + digest.split(":", 1)[1], data)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--name", required=True, help="image name, e.g. steertop.local/steertop:1")
    p.add_argument("--out", required=True, help="the OCI layout tarball to write")
    p.add_argument("--file", action="append", default=[], help="HOST[:IMAGE] path (IMAGE defaults to HOST)")
    p.add_argument("--libs-of", action="append", default=[], help="also add the shared libraries this binary links")
    p.add_argument("--dir", action="append", default=[], help="an empty directory in the image (e.g. /tmp)")
    p.add_argument("--entrypoint", action="append", default=[])
    p.add_argument("--cmd", action="append", default=[])
    a = p.parse_args()
    files = []
    for f in a.file:
        src, _, dst = f.partition(":")
        files.append((src, dst or src))
    for b in a.libs_of:
        files += [(lib, lib) for lib in libraries(b)]
    seen, unique = set(), []
    for src, dst in files:
        if not os.path.exists(src):
            sys.exit(f"oci_image: {src} does not exist")
        if dst not in seen:
            seen.add(dst)
            unique.append((src, dst))
    build(a.name, unique, a.entrypoint or None, a.cmd or None, a.out, a.dir)


if __name__ == "__main__":
    main()
