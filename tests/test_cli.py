"""The ``hub`` command, run as a user runs it: as a separate process. Commands that load
data do it in databases of their own, on the simplified boundaries (HUB_BOUNDARIES): what
they check is the command, not the borders."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

from hub import localdb
from hub.config import Settings
from hub.db import migrate
from tests.conftest import GEODATA, create_database, drop_database


def _hub(env_home: Path, *args: str, timeout: float = 120,
         database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    """``hub ARGS`` on the embedded cluster in ``env_home``, or on ``database_url``."""
    env = os.environ | {"HUB_HOME": str(env_home), "HUB_BOUNDARIES": "simplified"}
    env.pop("HUB_DATABASE_URL", None)
    if database_url is not None:
        env["HUB_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "hub", *args], capture_output=True, text=True, env=env,
        timeout=timeout, check=False,
    )


def test_db_status_and_url(cluster: Settings) -> None:
    status = _hub(cluster.home, "db", "status")
    assert status.returncode == 0, status.stderr
    assert "running" in status.stdout
    url = _hub(cluster.home, "db", "url")
    assert url.stdout.strip() == localdb.url(cluster)


def test_db_up_on_a_running_cluster_is_harmless(cluster: Settings) -> None:
    before = localdb.status(cluster).pid
    result = _hub(cluster.home, "db", "up")
    assert result.returncode == 0, result.stderr
    assert "***" in result.stderr, "the password is not printed"
    assert localdb.status(cluster).pid == before


def test_db_migrate_reports_the_head(cluster: Settings, engine: object) -> None:
    result = _hub(cluster.home, "db", "migrate")
    assert result.returncode == 0, result.stderr
    assert f"schema at revision {migrate.head_revision()}" in result.stderr


def test_status_without_a_cluster_exits_3(tmp_path: Path) -> None:
    result = _hub(tmp_path / "nothing", "db", "status")
    assert result.returncode == 3
    assert "hub db up" in result.stdout


def test_serve_prints_its_url_and_answers_graphql(cluster: Settings) -> None:
    port = localdb.free_port()
    env = os.environ | {"HUB_HOME": str(cluster.home), "HUB_PORT": str(port)}
    env.pop("HUB_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == f"Hub is serving GraphQL at http://127.0.0.1:{port}/graphql"
        assert f"the map at http://127.0.0.1:{port}/," in proc.stdout.readline()
        body = json.dumps({"query": "{ __typename }"}).encode()
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(
                    line.split()[-1], data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    answer = json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert answer == {"data": {"__typename": "Query"}}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_refuses_more_workers_than_the_server_has_connections_for(
        cluster: Settings) -> None:
    env = os.environ | {"HUB_HOME": str(cluster.home), "HUB_POOL_MAX": "40",
                        "HUB_PORT": str(localdb.free_port())}
    env.pop("HUB_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "hub", "serve", "--workers", "4"],
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 1
    assert "Hub is serving" not in result.stdout
    [line] = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert ("--workers 4 x (HUB_POOL_MAX + HUB_WRITE_POOL_MAX + HUB_OGC_POOL_MAX) 46"
            " (+1 for migrations) = 185"
            " connections") in line
    assert "max_connections 100" in line
    assert "Traceback" not in result.stderr


def test_load_of_loaded_data_reports_everything_left(tmp_path: Path,
                                                     seeded_copy_url: str) -> None:
    """The copy holds what a first load of the same files writes (the same loader made
    it; the first load through the command is test_serve_loads_an_empty_database_first):
    loading again changes nothing and says so, file by file."""
    second = _hub(tmp_path, "load", timeout=300, database_url=seeded_copy_url)
    assert second.returncode == 0, second.stderr
    rows = [line.split("│")[1:5] for line in second.stdout.splitlines()
            if line.startswith("│")]
    assert len(rows) == 11  # boundaries, population, the seed files and facility_places.csv
    for name, added, changed, left in rows:
        assert (added.strip(), changed.strip()) == ("0", "0"), name
        assert int(left) > 0, name
    assert "出典：国土数値情報（行政区域データ）" in second.stdout
    assert "出典：総務省『住民基本台帳に基づく人口" in second.stdout
    _prints_the_places_credit(second.stdout, seeded_copy_url)


def _prints_the_places_credit(stdout: str, database_url: str) -> None:
    """facility_places.csv's credit (FACILITY_PLACES.md): the coordinates are from Wikipedia
    articles (CC BY-SA 4.0, cite the article), the addresses and hours from the prefecture's,
    the cities' and the facilities' pages; printed as dataSources shows it."""
    with (GEODATA / "facility_places.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    articles = {r["coord_source_url"] for r in rows if r["coord_source_url"]}
    pages = {r["address_source_url"] for r in rows if r["address_source_url"]}
    assert len(articles) == 3  # かでる2・7, CoCoDe, the park (two through Wikipedia mirrors)
    [line] = [ln for ln in stdout.splitlines() if "Wikipedia (CC BY-SA 4.0)" in ln]
    assert set(line.split()) >= articles
    assert all(page in stdout for page in pages)
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT attribution FROM dataset WHERE kind = 'facility_places'").fetchone()
    assert row is not None and row[0] in stdout


def test_load_of_a_broken_file_names_it_and_fails(cluster: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "hokkaido_population.csv"
    broken.write_text("code,name_ja,population,year,source,as_of\n01202,函館市,lots,2025,x,"
                      "2025-01-01\n", encoding="utf-8")
    result = _hub(cluster.home, "load", "--population", str(broken))
    assert result.returncode == 1
    assert "hokkaido_population.csv, record line 2, field 'population'" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_facilities_dry_run_import_and_a_rejected_file(tmp_path: Path,
                                                              seeded_copy_url: str) -> None:
    from tests.public_facility_files import csv_bytes, row

    def count(code: str) -> int:
        with psycopg.connect(seeded_copy_url) as conn:
            found = conn.execute("SELECT count(*) FROM facility f JOIN audit_log a ON"
                                 " a.row_key = f.code AND a.actor = 'import:施設一覧.csv'"
                                 " WHERE f.code = %s", (code,)).fetchone()
        return int(found[0]) if found else 0

    cells = {"都道府県コード又は市区町村コード": "012173", "市区町村名": "江別市",
             "名称": "髙橋①記念館", "備考": "code=test-cli"}
    good = tmp_path / "施設一覧.csv"
    good.write_bytes(csv_bytes([row(**cells)], "cp932"))
    args = ["import", "facilities", str(good), "--category", "PARK", "--operator", "ebetsu"]
    dry = _hub(tmp_path, *args, "--dry-run", database_url=seeded_copy_url)
    assert dry.returncode == 0, dry.stderr
    assert "施設一覧.csv (csv, cp932, sha256 " in dry.stdout
    assert "add    row 2: test-cli 髙橋①記念館 (new)" in dry.stdout
    assert "1 would be added, 0 would be changed, 0 would be left (dry run" in dry.stdout
    assert count("test-cli") == 0
    real = _hub(tmp_path, *args, database_url=seeded_copy_url)
    assert real.returncode == 0, real.stderr
    assert "1 added, 0 changed, 0 left" in real.stdout and count("test-cli") == 1
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row(**{**cells, "緯度": "43.1"}), row(**{**cells, "名称": ""})]))
    rejected = _hub(tmp_path, "import", "facilities", str(bad), database_url=seeded_copy_url)
    assert rejected.returncode == 1
    assert "row 2, column 経度: is empty while 緯度 is given" in rejected.stdout
    assert "row 3, column 名称: is required" in rejected.stdout
    assert "bad.csv rejected: nothing was written" in rejected.stderr
    assert "Traceback" not in rejected.stderr


def test_serve_loads_an_empty_database_first(database_url: str) -> None:
    """A new database (HUB_DATABASE_URL) gets boundaries, population and seed on start."""
    url = create_database(database_url, "serve_empty")
    port = localdb.free_port()
    env = os.environ | {"HUB_DATABASE_URL": url, "HUB_PORT": str(port),
                        "HUB_BOUNDARIES": "simplified"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        assert "Hub is serving GraphQL" in proc.stdout.readline()
        with psycopg.connect(url) as conn:
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM facility), (SELECT count(*) FROM municipality),"
                " (SELECT sum(population) FROM municipality WHERE parent_code IS NULL)"
            ).fetchone()
            vertices = conn.execute("SELECT sum(ST_NPoints(boundary)) FROM municipality"
                                    " WHERE parent_code IS NULL").fetchone()
        assert counts == (34, 195, 5_044_825)
        # The file HUB_BOUNDARIES names: the simplified one has 121k vertices, the full 770k.
        assert vertices is not None and vertices[0] < 300_000
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        drop_database(database_url, "serve_empty")


def test_coverage_table_csv_geojson_and_png(seeded_copy_url: str, tmp_path: Path) -> None:
    """On a copy with the simplified boundaries: the point is what the command prints."""
    import csv
    import io
    import struct

    import matplotlib.image
    import numpy as np
    from shapely.geometry import shape

    def hub(*args: str) -> subprocess.CompletedProcess[str]:
        return _hub(tmp_path, *args, database_url=seeded_copy_url)

    table = hub("coverage", "--category", "PARK", "--max-km", "20")
    assert table.returncode == 0, table.stderr
    assert "total population 5,044,825" in table.stdout
    assert "出典：国土数値情報（行政区域データ）" in table.stdout

    as_csv = hub("coverage", "--category", "PARK", "--format", "csv")
    comments = [ln for ln in as_csv.stdout.splitlines() if ln.startswith("#")]
    rows = list(csv.DictReader(io.StringIO(
        "\n".join(ln for ln in as_csv.stdout.splitlines() if not ln.startswith("#")))))
    assert any("国土数値情報" in c for c in comments) and any("住民基本台帳" in c for c in comments)
    assert len(rows) == 188 and sum(int(r["population"]) for r in rows) == 5_044_825
    gaps = {r["code"] for r in rows if r["status"] == "gap"}
    assert gaps and all(r["served_by_area"] == "False" and r["within_reach"] == "False"
                        for r in rows if r["code"] in gaps)

    png = tmp_path / "park.png"
    as_geojson = hub("coverage", "--category", "PARK", "--format", "geojson", "--png", str(png))
    assert as_geojson.returncode == 0, as_geojson.stderr
    assert "missing from" not in as_geojson.stderr, "a glyph of the credits had no font"
    collection = json.loads(as_geojson.stdout)
    assert len(collection["features"]) == 188
    assert any("国土数値情報" in a for a in collection["attribution"])
    assert {f["properties"]["code"] for f in collection["features"]
            if f["properties"]["status"] == "gap"} == gaps
    assert all(shape(f["geometry"]).is_valid for f in collection["features"])

    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1200, 1200)
    pixels = matplotlib.image.imread(png)[..., :3]
    gap_red = np.all(np.abs(pixels - np.array([0xE3, 0x4A, 0x33]) / 255) < 0.02, axis=-1)
    served_blue = np.all(np.abs(pixels - np.array([0x2C, 0x7F, 0xB8]) / 255) < 0.02, axis=-1)
    assert gap_red.sum() > 10_000 and served_blue.sum() > 100, "the map shows gaps and service"


def test_export_facilities_as_csv_and_geojson_with_a_filter(seeded_copy_url: str,
                                                            tmp_path: Path) -> None:
    """The command writes what the routes serve (tests/api/test_exports.py checks that in
    depth): here the options, the file and the refusals."""
    def hub(*args: str) -> subprocess.CompletedProcess[str]:
        return _hub(tmp_path, "export", "facilities", *args, database_url=seeded_copy_url)

    out = tmp_path / "consumer.csv"
    written = hub("--category", "CONSUMER", "--output", str(out))
    assert written.returncode == 0, written.stderr
    assert "exported 2 facilities" in written.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:2] == ["都道府県コード又は市区町村コード", "NO"] and len(rows) == 3
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert sorted(r[-1] for r in rows[1:]) == ["code=pref-consumer-centre",
                                               "code=sapporo-consumer-centre"]

    as_geojson = hub("--format", "geojson", "--municipality", "01100", "--text", "公園")
    assert as_geojson.returncode == 0, as_geojson.stderr
    collection = json.loads(as_geojson.stdout)
    assert [f["properties"]["code"] for f in collection["features"]] == [
        "pref-makomanai-park", "sapporo-city-parks"]

    for args, named in ((["--category", "PARKS"], "--category"),
                        (["--bbox", "141,42,143"], "--bbox"),
                        (["--service", "nope"], "--service")):
        refused = hub(*args, "--output", str(tmp_path / "refused.csv"))
        assert refused.returncode == 1 and named in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert not list(tmp_path.glob("refused.csv*")), "no file, not even a partial one"


def test_the_map_prints_its_credits_in_a_japanese_font() -> None:
    """No fallback: without a font that has the glyphs the credits would be empty boxes, so
    this fails on a machine without one (scripts/setup installs fonts-ipafont-gothic)."""
    from hub.services.reports.coverage import JAPANESE_FONTS, japanese_font

    assert japanese_font() in JAPANESE_FONTS


def test_coverage_names_a_bad_category(cluster: Settings) -> None:
    result = _hub(cluster.home, "coverage", "--category", "ZOO")
    assert result.returncode == 1
    assert "--category" in result.stderr and "ZOO" in result.stderr


def test_dev_synth_refuses_the_database_of_real_facilities(cluster: Settings,
                                                           seed_loaded: object) -> None:
    result = _hub(cluster.home, "dev", "synth", "--count", "5", "--database", cluster.db_name)
    assert result.returncode == 1
    assert "real facilities" in result.stderr and "Traceback" not in result.stderr
    with psycopg.connect(localdb.url(cluster)) as conn:
        row = conn.execute("SELECT count(*) FROM facility WHERE synthetic").fetchone()
    assert row == (0,)


def test_the_command_line_loads_no_database_toolkit_before_a_command_needs_it() -> None:
    """`hub db status` and friends start without SQLAlchemy, Alembic or shapely (seconds of
    imports on a busy machine): the commands that use them import them."""
    heavy = ("sqlalchemy", "alembic", "geoalchemy2", "shapely", "strawberry", "matplotlib")
    result = subprocess.run(
        [sys.executable, "-c", "import sys, hub.cli; "
         f"print(sorted(m for m in {heavy!r} if m in sys.modules))"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_token_create_list_revoke(tmp_path: Path, seeded_copy_url: str) -> None:
    """The secret is printed once, on stdout alone, and only its hash is stored; the list
    never shows it; a revoked token is no longer found by the API's lookup."""
    import asyncio

    from hub.db.pool import Database
    from hub.domain.tokens import hash_secret
    from hub.services.reads.tokens import principal

    made = _hub(tmp_path, "token", "create", "--role", "editor", "--operator", "sapporo",
                "--scope", "bulk", "--name", "sapporo app", database_url=seeded_copy_url)
    assert made.returncode == 0, made.stderr
    (secret,) = made.stdout.split()
    assert secret.startswith("hub_") and len(secret) == 47
    assert "shown only this once" in made.stderr and secret not in made.stderr
    assert "EDITOR for operator sapporo (札幌市" in made.stderr
    with psycopg.connect(seeded_copy_url) as conn:
        sapporo = conn.execute("SELECT id FROM operator WHERE code = 'sapporo'").fetchone()
        stored = conn.execute("SELECT secret_hash FROM api_token WHERE name = 'sapporo app'"
                              ).fetchall()
        assert stored == [(hash_secret(secret),)]
        dumped = conn.execute("SELECT string_agg(t::text, ' ') FROM api_token t").fetchone()
        audits = conn.execute("SELECT string_agg(a::text, ' ') FROM audit_log a "
                              "WHERE table_name = 'api_token'").fetchone()
    assert dumped is not None and secret not in dumped[0]
    assert audits is not None and secret not in audits[0] and hash_secret(secret) not in audits[0]

    admin = _hub(tmp_path, "token", "create", "--role", "ADMIN", database_url=seeded_copy_url)
    assert admin.returncode == 0, admin.stderr
    listed = _hub(tmp_path, "token", "list", database_url=seeded_copy_url)
    assert listed.returncode == 0, listed.stderr
    header, *rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert header == ["id", "name", "role", "operator", "scopes", "created", "revoked"]
    assert sapporo is not None
    assert [row[1:5] for row in rows] == [
        ["sapporo app", "editor", f"sapporo ({sapporo[0]})", "bulk"], ["admin", "admin", "-", "-"]]
    assert [row[6] for row in rows] == ["-", "-"]
    assert secret not in listed.stdout and hash_secret(secret) not in listed.stdout
    assert admin.stdout.strip() not in listed.stdout

    revoked = _hub(tmp_path, "token", "revoke", "sapporo app", database_url=seeded_copy_url)
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked token 1 'sapporo app'" in revoked.stderr

    async def lookup() -> object:
        db = Database(seeded_copy_url, 15_000, 1, 1)
        await db.pool.open(wait=True)
        try:
            return await principal(db, hash_secret(secret))
        finally:
            await db.close()

    assert asyncio.run(lookup()) is None
    again = _hub(tmp_path, "token", "revoke", "1", database_url=seeded_copy_url)
    assert again.returncode == 1
    assert "was already revoked" in again.stderr and "Traceback" not in again.stderr


def test_token_create_refuses_an_editor_without_an_operator(tmp_path: Path,
                                                            seeded_copy_url: str) -> None:
    result = _hub(tmp_path, "token", "create", "--role", "editor",
                  database_url=seeded_copy_url)
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert "an editor token needs an operator" in line
    assert "Traceback" not in result.stderr
    with psycopg.connect(seeded_copy_url) as conn:
        assert conn.execute("SELECT count(*) FROM api_token").fetchone() == (0,)
