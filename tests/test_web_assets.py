"""The front-end packages: a tarball is unpacked only when its SHA-512 is the pinned one, only
the listed files, and not fetched again once present; the pins name exactly what strawberry's
GraphiQL page loads. Tarballs are made here (no network); the real ones are fetched by
scripts/setup and served in tests/api/test_web.py and the browser tests."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import pytest
from strawberry.http.ides import get_graphql_ide_html

from hub import web_assets
from hub.web_assets import AssetError, Package


def tarball(files: dict[str, bytes]) -> bytes:
    """An npm-style tarball: every file under package/."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


WIDGET = tarball({"dist/widget.js": b"export const widget = 1;\n", "LICENSE": b"MIT\n",
                  "src/ignored.ts": b"// not listed\n"})
PACKAGE = Package("@scope/widget", "1.2.3", integrity(WIDGET), ("dist/widget.js", "LICENSE"))


class Registry:
    """Answers the tarball URL it holds and counts the downloads."""

    def __init__(self, tarballs: dict[str, bytes]) -> None:
        self.tarballs = tarballs
        self.asked: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.asked.append(url)
        return self.tarballs[url]


def test_a_scoped_package_s_tarball_url_drops_the_scope_from_the_file_name() -> None:
    assert PACKAGE.tarball_url("https://registry.npmjs.org/") == (
        "https://registry.npmjs.org/@scope/widget/-/widget-1.2.3.tgz")
    assert PACKAGE.folder == "@scope/widget@1.2.3"


def test_the_listed_files_are_unpacked_once_and_not_fetched_again(tmp_path: Path) -> None:
    registry = Registry({PACKAGE.tarball_url("https://r.example"): WIDGET})
    fetched = web_assets.install([PACKAGE], "https://r.example", tmp_path, fetch=registry)
    folder = tmp_path / "@scope" / "widget@1.2.3"
    assert fetched == ["@scope/widget@1.2.3"]
    assert (folder / "dist" / "widget.js").read_bytes() == b"export const widget = 1;\n"
    assert (folder / "LICENSE").is_file()
    assert not (folder / "src").exists()
    assert web_assets.missing([PACKAGE], tmp_path) == []

    assert web_assets.install([PACKAGE], "https://r.example", tmp_path, fetch=registry) == []
    assert len(registry.asked) == 1


def test_a_tarball_that_is_not_the_pinned_one_is_refused_and_nothing_unpacked(
    tmp_path: Path,
) -> None:
    tampered = tarball({"dist/widget.js": b"steal(document.cookie);\n", "LICENSE": b"MIT\n"})
    registry = Registry({PACKAGE.tarball_url("https://r.example"): tampered})
    with pytest.raises(AssetError, match=r"@scope/widget@1\.2\.3: the tarball's integrity"):
        web_assets.install([PACKAGE], "https://r.example", tmp_path, fetch=registry)
    assert not (tmp_path / "@scope" / "widget@1.2.3").exists()


def test_a_new_pin_replaces_what_an_old_one_unpacked(tmp_path: Path) -> None:
    old = Package(PACKAGE.name, PACKAGE.version, integrity(b"other"), PACKAGE.files)
    folder = tmp_path / PACKAGE.folder
    (folder / "dist").mkdir(parents=True)
    (folder / "dist" / "widget.js").write_text("old")
    (folder / "LICENSE").write_text("old")
    (folder / web_assets.MARKER).write_text(old.integrity)
    assert web_assets.missing([PACKAGE], tmp_path) == [PACKAGE.folder]
    registry = Registry({PACKAGE.tarball_url("https://r.example"): WIDGET})
    web_assets.install([PACKAGE], "https://r.example", tmp_path, fetch=registry)
    assert (folder / "dist" / "widget.js").read_bytes() == b"export const widget = 1;\n"


def test_a_listed_file_the_tarball_lacks_is_named(tmp_path: Path) -> None:
    wanting = Package(PACKAGE.name, PACKAGE.version, PACKAGE.integrity,
                      ("dist/widget.js", "dist/widget.css"))
    registry = Registry({PACKAGE.tarball_url("https://r.example"): WIDGET})
    with pytest.raises(AssetError, match=r"the tarball has no file dist/widget\.css"):
        web_assets.install([wanting], "https://r.example", tmp_path, fetch=registry)
    assert not (tmp_path / PACKAGE.folder).exists()


def test_a_manifest_path_that_leaves_the_package_folder_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "vendor.json"
    manifest.write_text(json.dumps({"packages": {"evil": {
        "version": "1.0.0", "integrity": integrity(b""), "files": ["../../hub/api/app.py"]}}}))
    with pytest.raises(AssetError,
                       match=re.escape("evil: file '../../hub/api/app.py' is not a plain")):
        web_assets.read_manifest(manifest)


def test_an_unreachable_registry_is_named_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match=r"cannot download http://127\.0\.0\.1:9/"):
        web_assets.install([PACKAGE], "http://127.0.0.1:9", tmp_path, timeout_s=5)


def test_the_pins_are_the_files_and_versions_strawberry_s_graphiql_page_loads() -> None:
    """Every unpkg URL of strawberry's page is a pinned package's file at the pinned
    version; a strawberry upgrade that moves GraphiQL on fails here, naming the file."""
    page = get_graphql_ide_html("graphiql")
    wanted = set(re.findall(r"https://unpkg\.com/((?:@[^/]+/)?[^/@]+)@([^/]+)/([^\"']+)", page))
    assert wanted, "strawberry's GraphiQL page no longer loads from unpkg"
    pinned = {(p.name, p.version, f) for p in web_assets.read_manifest() for f in p.files}
    assert wanted <= pinned, f"pin in hub/static/vendor.json: {sorted(wanted - pinned)}"
