#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/: small valid (and a few nearly valid)
inputs for each fuzz target, made here with no downloads and no randomness, so running this again
gives the same files (the zstd seeds come from the `zstd` command when it is installed, so they
follow its version; a hand-made frame with raw blocks is written either way).

    python3 fuzz/seeds.py          # from the repository root or from fuzz/

Each file is named after what it holds. The layer target's inputs start with 4 bytes: the media
type (0 gzip, 1 zstd, 2 plain tar, 3 Docker gzip) and three chunk-size bytes (see
fuzz_targets/layer.rs).
"""

import gzip
import io
import json
import shutil
import struct
import subprocess
import tarfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"

SHA256 = "sha256:" + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SHA256_B = "sha256:" + "b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910"
SHA512 = "sha512:" + "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" + \
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"


def write(target, name, data):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (directory / name).write_bytes(data)


def as_json(value):
    return json.dumps(value, indent=1).encode()


def references():
    seeds = {
        "official": "python:2.7",
        "canonical": "docker.io/library/python:2.7",
        "legacy-hub": "index.docker.io/library/alpine",
        "user": "someone/app",
        "localhost-port": "localhost:5000/foo/bar:v1",
        "loopback": "127.0.0.1:15001/public/hello:v1",
        "ipv6": "[::1]:5000/x/y:latest",
        "pinned": f"ghcr.io/owner/repo@{SHA256}",
        "tag-and-pin": f"example.com/a/b/c:tag@{SHA512}",
        "uppercase-registry": "Foo/bar",
        "separators": "registry.example/a__b/c-d.e---f:TAG_1.0-x",
        "bare-localhost": "localhost:5000",
        "scheme": "https://example.com/x",
        "image-id": SHA256.split(":")[1],
        "sha384": "x@sha384:" + "0" * 96,
    }
    for name, text in seeds.items():
        write("reference", name, text)


def challenges():
    seeds = {
        "hub": 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/alpine:pull"',
        "basic": 'Basic realm="Registry Realm"',
        "relative-realm": 'Bearer realm="/realms/docker.io/token",service=gateway',
        "insufficient-scope": 'Bearer realm="https://auth.example/token",service="reg",'
        'scope="repository:a/b:pull,push repository:c:pull",error="insufficient_scope",'
        'error_description="the token lacks push"',
        "two-challenges": 'Basic realm="x", Bearer realm="https://auth.example/t", Negotiate',
        "token68": "Negotiate YIIB3wYGKwYBBQUCoIIB0zCCAc+gDTALBgkqhkiG9xIBAgI=",
        "escapes": 'Bearer realm="https://auth.example/t?a=\\"b\\"",service="s\\\\x"',
        "catalog-scope": 'Bearer realm="http://127.0.0.1:15001/token",scope="registry:catalog:*"',
    }
    for name, text in seeds.items():
        write("challenge", name, text)


def tokens():
    seeds = {
        "distribution": {"token": "eyJhbGciOiJFUzI1NiJ9.e30.sig", "expires_in": 300,
                         "issued_at": "2024-05-01T12:00:00.123456789Z"},
        "oauth": {"access_token": "abc.def.ghi", "token": "abc.def.ghi", "expires_in": 60.5,
                  "refresh_token": "r-123"},
        "offset-time": {"token": "t", "issued_at": "2024-02-29T23:59:60+02:00", "expires_in": -5},
        "empty-access-token": {"access_token": "", "token": "fallback"},
        "hub-error": {"details": "incorrect username or password"},
        "distribution-error": {"errors": [{"code": "DENIED", "message": "requested access denied"}]},
    }
    for name, value in seeds.items():
        write("token", name, as_json(value))


def links():
    seeds = {
        "distribution": '</v2/library/alpine/tags/list?n=100&last=3.19>; rel="next"',
        "absolute": "<https://registry.example/v2/_catalog?last=a&n=2>; rel=next",
        "relative": '<?n=100&last=x>; rel="prev next"; title="page 2"',
        "several": '<https://registry.example/v2/x/tags/list?last=a>; rel="last", '
        '<../../other/tags/list?last=b>;rel=next;type="application/json"',
        "cross-origin": '<http://cdn.example:8080/v2/x?y=1#frag>; rel="next"',
        "quoted-escape": '</v2/a/tags/list?last=%2e>; title="a \\"b\\""; rel="next"',
    }
    for name, text in seeds.items():
        write("link", name, text)


def layer_descriptor(media_type, size, digest=SHA256):
    return {"mediaType": media_type, "size": size, "digest": digest}


def manifests():
    docker_v2 = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": layer_descriptor("application/vnd.docker.container.image.v1+json", 7283, SHA256_B),
        "layers": [
            layer_descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", 27092228),
            layer_descriptor("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", 2468)
            | {"urls": ["https://mcr.example/layer"]},
        ],
    }
    oci_image = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": layer_descriptor("application/vnd.oci.image.config.v1+json", 1469, SHA256_B),
        "layers": [
            layer_descriptor("application/vnd.oci.image.layer.v1.tar+zstd", 3),
            layer_descriptor("application/vnd.oci.image.layer.v1.tar", 10240, SHA512),
        ],
        "subject": layer_descriptor("application/vnd.oci.image.manifest.v1+json", 7, SHA256_B),
        "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"},
        "artifactType": "application/vnd.example.sbom",
    }
    no_media_type = {k: v for k, v in oci_image.items() if k != "mediaType"}

    def entry(arch, variant=None, os="linux"):
        platform = {"architecture": arch, "os": os}
        if variant:
            platform["variant"] = variant
        return layer_descriptor("application/vnd.oci.image.manifest.v1+json", 1000) | {"platform": platform}

    attestation = entry("unknown", os="unknown") | {
        "annotations": {"vnd.docker.reference.type": "attestation-manifest"}}
    windows = entry("amd64", os="windows")
    windows["platform"] |= {"os.version": "10.0.17763.5329", "os.features": ["win32k"]}
    oci_index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [entry("amd64"), entry("arm64", "v8"), entry("arm", "v7"), entry("aarch64"),
                      windows, attestation],
    }
    docker_list = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": [entry("amd64") | {"mediaType": "application/vnd.docker.distribution.manifest.v2+json"},
                      entry("386")],
    }
    schema1 = {
        "schemaVersion": 1, "name": "library/hello", "tag": "v1", "architecture": "amd64",
        "fsLayers": [{"blobSum": SHA256}, {"blobSum": SHA256_B}],
        "history": [{"v1Compatibility": "{}"}, {"v1Compatibility": "{}"}],
        "signatures": [{"header": {"alg": "ES256"}, "signature": "x", "protected": "y"}],
    }
    seeds = {
        "docker-v2": docker_v2, "oci-image": oci_image, "oci-image-untyped": no_media_type,
        "oci-index": oci_index, "docker-list": docker_list, "schema1-signed": schema1,
        "ambiguous": oci_index | {"layers": []},
    }
    for name, value in seeds.items():
        write("manifest", name, as_json(value))


def documents():
    config = {
        "architecture": "arm64", "variant": "v8", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"User": "1000:1000", "ExposedPorts": {"80/tcp": {}}, "Env": ["PATH=/bin"],
                   "Entrypoint": None, "Cmd": ["/hello"], "Volumes": None, "WorkingDir": "/",
                   "Labels": {"a": "b"}, "StopSignal": "SIGTERM"},
        "rootfs": {"type": "layers", "diff_ids": [SHA256, SHA256_B]},
        "history": [
            {"created": "2024-01-01T00:00:00Z", "created_by": "ADD file:x in /"},
            {"created_by": "ENV A=b", "empty_layer": True},
            {"created_by": "COPY hello /", "comment": "buildkit.dockerfile.v0", "author": "me"},
        ],
    }
    windows = {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.5329",
               "os.features": None, "rootfs": {"type": "layers", "diff_ids": []}, "history": None}
    seeds = {
        "config": config,
        "config-windows": windows,
        "tag-list": {"name": "library/alpine", "tags": ["3.19", "latest", "edge"]},
        "tag-list-null": {"name": "x", "tags": None},
        "catalog": {"repositories": ["library/alpine", "public/hello"]},
        "error-body": {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown",
                                   "detail": {"Tag": "nope"}}]},
        "error-body-artifactory": {"errors": [{"status": 404, "message": "not found\nat all"}]},
    }
    for name, value in seeds.items():
        write("documents", name, as_json(value))


def tar_of(fmt, entries):
    """A tar made by Python's tarfile with fixed metadata (so the bytes do not change)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
            info.type = kind
            if kind == tarfile.SYMTYPE or kind == tarfile.LNKTYPE:
                info.linkname = data.decode()
                data = b""
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    return out.getvalue()


def gzip_of(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def zstd_raw_frame(data):
    """A zstd frame with raw (stored) blocks, written by hand (RFC 8878): single segment, the
    content size in 1, 2 or 4 bytes, no checksum."""
    size = len(data)
    if size < 256:
        header = bytes([0x20]) + struct.pack("<B", size)
    elif size < 65536 + 256:
        header = bytes([0x60]) + struct.pack("<H", size - 256)
    else:
        header = bytes([0xA0]) + struct.pack("<I", size)
    out = bytearray(b"\x28\xb5\x2f\xfd" + header)
    blocks = [data[i:i + (128 << 10)] for i in range(0, size, 128 << 10)] or [b""]
    for i, block in enumerate(blocks):
        last = int(i == len(blocks) - 1)
        out += struct.pack("<I", (len(block) << 3) | last)[:3] + block
    return bytes(out)


def zstd_cli(data, *args):
    if shutil.which("zstd") is None:
        return None
    return subprocess.run(["zstd", "-q", "-c", *args], input=data, capture_output=True, check=True).stdout


def layers():
    files = [
        ("etc", tarfile.DIRTYPE, b""),
        ("etc/hello.txt", tarfile.REGTYPE, b"regsight verifies layers\n" * 40),
        ("etc/link", tarfile.SYMTYPE, b"hello.txt"),
        ("etc/hard", tarfile.LNKTYPE, b"etc/hello.txt"),
        ("etc/.wh.gone", tarfile.REGTYPE, b""),
        ("etc/.wh..wh..opq", tarfile.REGTYPE, b""),
        ("d/" + "n" * 120 + ".long", tarfile.REGTYPE, b"long name"),
    ]
    pax = tar_of(tarfile.PAX_FORMAT, files)
    gnu = tar_of(tarfile.GNU_FORMAT, files)
    ustar = tar_of(tarfile.USTAR_FORMAT, files[:6])
    empty = b"\0" * 1024

    def seed(name, kind, blob, chunks=(0, 7, 3)):
        write("layer", name, bytes([kind, *chunks]) + blob)

    seed("tar-pax", 2, pax)
    seed("tar-gnu", 2, gnu, (1, 0, 0))
    seed("tar-ustar", 2, ustar, (200, 1, 9))
    seed("tar-empty", 2, empty)
    seed("gzip-pax", 0, gzip_of(pax))
    seed("gzip-gnu-docker", 3, gzip_of(gnu), (13, 2, 1))
    seed("gzip-two-members", 0, gzip_of(ustar[:1024]) + gzip_of(ustar[1024:]), (255, 255, 255))
    seed("gzip-truncated", 0, gzip_of(pax)[:300])
    seed("gzip-trailing-zeros", 0, gzip_of(empty) + b"\0\0\0")
    named = bytearray(gzip_of(empty))
    named[3] |= 0x08  # FNAME, followed by the name
    seed("gzip-fname", 0, bytes(named[:10]) + b"layer.tar\0" + bytes(named[10:]))
    seed("zstd-raw-blocks", 1, zstd_raw_frame(ustar))
    seed("zstd-raw-empty-tar", 1, zstd_raw_frame(empty), (3, 0, 0))
    compressed = zstd_cli(pax, "-19", "--check")
    if compressed is not None:
        seed("zstd-pax", 1, compressed)
        seed("zstd-two-frames", 1, zstd_cli(ustar[:1536], "--no-check") + zstd_cli(ustar[1536:]), (1, 2, 3))
        skippable = b"\x50\x2a\x4d\x18" + struct.pack("<I", 4) + b"skip"
        seed("zstd-skippable", 1, skippable + zstd_cli(empty, "--no-check"))


def main():
    references()
    challenges()
    tokens()
    links()
    manifests()
    documents()
    layers()
    count = sum(1 for _ in CORPUS.rglob("*") if _.is_file())
    print(f"wrote {count} seed files under {CORPUS}")


if __name__ == "__main__":
    main()
