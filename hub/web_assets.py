"""The front-end packages the hub serves (MapLibre GL JS; GraphiQL with React and its
explorer), fetched from the npm registry at set-up rather than from a CDN at page load: a
closed office network reaches the hub but not unpkg, and a page that loads its code from a
CDN is blank there.

``hub/static/vendor.json`` pins each package (version, the registry's ``integrity`` of its
tarball, the files the pages use); ``python -m hub.web_assets`` (run by ``scripts/setup``)
downloads each tarball once, refuses one whose SHA-512 differs from the pin, and unpacks
the listed files to ``hub/static/vendor/<name>@<version>/<path>``: the paths unpkg serves,
so a page written for unpkg needs only its URL prefix changed. A package already unpacked
at its pinned integrity is not downloaded again.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hub.config import get_settings
from hub.resources import STATIC_DIR

MANIFEST = STATIC_DIR / "vendor.json"
VENDOR_DIR = STATIC_DIR / "vendor"
#: Written last into a package's folder: the integrity it was unpacked from.
MARKER = ".integrity"


class AssetError(Exception):
    """A package that cannot be fetched or fails its check; the message names it."""


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str
    files: tuple[str, ...]

    @property
    def folder(self) -> str:
        """``<name>@<version>``, as in an unpkg URL."""
        return f"{self.name}@{self.version}"

    def tarball_url(self, registry: str) -> str:
        """The registry's tarball address (a scoped package's file drops the scope)."""
        base = self.name.rsplit("/", 1)[-1]
        return f"{registry.rstrip('/')}/{self.name}/-/{base}-{self.version}.tgz"


def read_manifest(path: Path = MANIFEST) -> list[Package]:
    """The pinned packages; a file path that could leave the package's folder is refused."""
    raw = json.loads(path.read_text())
    packages = []
    for name, spec in raw["packages"].items():
        files = tuple(spec["files"])
        for file in files:
            parts = PurePosixPath(file).parts
            if not parts or file.startswith("/") or ".." in parts:
                raise AssetError(f"{path.name}: {name}: file {file!r} is not a plain "
                                 "relative path")
        if not str(spec["integrity"]).startswith("sha512-"):
            raise AssetError(f"{path.name}: {name}: integrity must be a sha512- value")
        packages.append(Package(name, spec["version"], spec["integrity"], files))
    return packages


def verify(data: bytes, package: Package) -> None:
    """The tarball is the one the registry published for this version (npm's
    ``integrity``: base64 of its SHA-512)."""
    found = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if found != package.integrity:
        raise AssetError(f"{package.folder}: the tarball's integrity is {found}, not the "
                         f"pinned {package.integrity}; nothing was unpacked")


def is_installed(package: Package, vendor_dir: Path = VENDOR_DIR) -> bool:
    folder = vendor_dir / package.folder
    marker = folder / MARKER
    return (marker.is_file() and marker.read_text().strip() == package.integrity
            and all((folder / file).is_file() for file in package.files))


def unpack(data: bytes, package: Package, vendor_dir: Path = VENDOR_DIR) -> None:
    """The listed files of a verified tarball into the package's folder, which appears
    whole or not at all (unpacked beside it, then renamed)."""
    verify(data, package)
    vendor_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=vendor_dir))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = {m.name.split("/", 1)[-1]: m for m in tar.getmembers() if m.isfile()}
            for file in package.files:
                member = members.get(file)
                extracted = tar.extractfile(member) if member is not None else None
                if extracted is None:
                    raise AssetError(f"{package.folder}: the tarball has no file {file}")
                target = staging / file
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(extracted.read())
        (staging / MARKER).write_text(package.integrity + "\n")
        final = vendor_dir / package.folder
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def download(url: str, timeout_s: float) -> bytes:
    """The bytes at ``url`` (through the proxy the environment names, as pip's)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            data: bytes = response.read()
            return data
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise AssetError(f"cannot download {url}: {exc}") from None


def install(packages: list[Package], registry: str, vendor_dir: Path = VENDOR_DIR,
            fetch: Callable[[str], bytes] | None = None, timeout_s: float = 120.0
            ) -> list[str]:
    """Fetches and unpacks every package not installed at its pinned integrity; returns
    the folders it fetched (empty when everything was present)."""
    get = fetch or (lambda url: download(url, timeout_s))
    fetched = []
    for package in packages:
        if is_installed(package, vendor_dir):
            continue
        unpack(get(package.tarball_url(registry)), package, vendor_dir)
        fetched.append(package.folder)
    return fetched


def missing(packages: list[Package] | None = None, vendor_dir: Path | None = None
            ) -> list[str]:
    """The pinned packages not unpacked yet (the hub warns at start when there are any)."""
    folder = vendor_dir or VENDOR_DIR
    return [p.folder for p in (packages or read_manifest()) if not is_installed(p, folder)]


def main() -> int:
    settings = get_settings()
    try:
        fetched = install(read_manifest(), settings.npm_registry,
                          timeout_s=settings.npm_timeout_s)
    except AssetError as exc:
        print(f"web assets: {exc}", file=sys.stderr)
        return 1
    what = ", ".join(fetched) if fetched else "all present"
    print(f"web assets ({VENDOR_DIR}): {what}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
