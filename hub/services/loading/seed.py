"""Load the seed data set (geodata/*.yaml) into the database.

Every file is read and checked first (hub.domain.seed), and every place name resolved
against the loaded boundaries, so a broken data set writes nothing; then the files are
written in dependency order through the audited idempotent sync, all in one transaction, so
that a failure while writing one file takes back the files before it too. Facilities are
placed at the representative point of their municipality or ward and get their service area
here: the union of the boundaries their activity area names, or their own municipality's
when they have none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import ColumnElement, Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from hub.db.models import (
    Consultation,
    Dataset,
    Event,
    Facility,
    Initiative,
    Operator,
    Partnership,
    RoleDivision,
    RoleDivisionFacility,
    Service,
)
from hub.domain.datafile import DataFileError
from hub.domain.seed import SEED_FILES, FacilitySeed, SeedSet, parse_seed_set
from hub.resources import SEED_DIR
from hub.services.loading import places as place_file
from hub.services.loading.boundaries import sha256_of
from hub.services.loading.placement import Geography, Placement, Places, locate
from hub.services.loading.sync import (
    SyncStats,
    audit,
    ids_by,
    sync_rows,
    table_of,
)
from hub.services.writes import records
from hub.services.writes.facilities import save_facility


def read_seed_set(directory: Path = SEED_DIR) -> SeedSet:
    documents: dict[str, Any] = {}
    for name in SEED_FILES:
        path = directory / name
        try:
            documents[name] = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataFileError(name, None, None, f"not found in {directory}") from None
        except yaml.YAMLError as exc:
            raise DataFileError(name, None, None, f"not valid YAML: {exc}") from exc
    return parse_seed_set(documents)


def _facility_row(f: FacilitySeed, at: Placement, operator_ids: Mapping[str, int],
                  site: place_file.Site | None = None) -> dict[str, Any]:
    row = {
        "code": f.code,
        "name_ja": f.name_ja,
        "name_kana": f.name_kana,
        "name_en": f.name_en,
        "category": f.category,
        "operator_id": operator_ids[f.operator],
        "municipality_code": at.municipality_code,
        "address": f.address,
        "location": at.location,
        "location_precision": f.location_precision,
        "activity_area": f.activity_area,
        "service_area": at.service_area,
        "established_on": f.established_on,
        "legal_basis": f.legal_basis,
        "note": f.note,
        "sources": list(f.sources),
        "building": None, "postal_code": None, "phone": None, "hours": None,
        "closed_days": None, "url": None,
    }
    if site is not None:
        row.update(site.columns)
        row["address"] = site.columns["address"] or f.address
        row["sources"] = list(dict.fromkeys([*f.sources, *site.pages]))
        if site.moved:
            row.update(municipality_code=site.municipality_code, location=site.location,
                       location_precision=site.precision)
            row["note"] = " ".join(filter(None, (f.note, site.note)))
    return row


# ---- one writer per file ------------------------------------------------------------------


def _write_operators(conn: Connection, seed: SeedSet, geo: Geography, actor: str
                     ) -> SyncStats:
    rows = [{"code": o.code, "name": o.name, "name_en": o.name_en, "level": o.level,
             "municipality_code": geo.operator_municipality[o.code], "note": o.note,
             "sources": list(o.sources)} for o in seed.operators]
    return sync_rows(conn, Operator, "code", rows, actor)


def _write_services(conn: Connection, seed: SeedSet, geo: Geography, actor: str
                    ) -> SyncStats:
    return sync_rows(conn, Service, "code", _service_rows(seed), actor)


def _service_rows(seed: SeedSet) -> list[dict[str, Any]]:
    return [{"code": s.code, "name_ja": s.name_ja, "name_en": s.name_en} for s in seed.services]


def _write_facilities(conn: Connection, seed: SeedSet, geo: Geography, actor: str
                      ) -> SyncStats:
    """Each facility through the API's own write (``save_facility``): the same
    comparison, one version and one audit row per changed facility, a facilityChanged
    event for each."""
    operator_ids = ids_by(conn, Operator)
    stats = SyncStats()
    for f in seed.facilities:
        site = geo.sites.get(f.code)
        row = _facility_row(f, geo.facilities[f.code], operator_ids, site)
        links: dict[str, list[dict[str, Any]]] = {
            "services": [{"service_code": s.code, "source_text": s.as_written}
                         for s in f.services],
            "aliases": [{"name": name, "source": source}
                        for name, source in (site.aliases if site else ())],
            "metrics": [{"position": n, "name": m.name, "value": m.value, "unit": m.unit,
                         "qualifier": m.qualifier, "period": m.period, "note": m.note,
                         "source": m.source} for n, m in enumerate(f.metrics)],
        }
        was = records.current(conn, records.FACILITY, Facility.code == f.code, list(row))
        _count(stats, f.code, was, save_facility(conn, was, row, links, actor))
    return stats


def _count(stats: SyncStats, key: str, was: records.Current | None, written: object) -> None:
    (stats.left if written is None else stats.changed if was else stats.added).append(key)


def _save(conn: Connection, kind: records.Kind, where: ColumnElement[bool], key: str,
          row: dict[str, Any], links: Mapping[str, Sequence[Mapping[str, Any]]], actor: str,
          stats: SyncStats) -> None:
    was = records.current(conn, kind, where, list(row))
    _count(stats, key, was, records.save(conn, kind, was, row, links, key, actor))


def _write_partnerships(conn: Connection, seed: SeedSet, _geo: Geography, actor: str
                        ) -> SyncStats:
    facility_ids = ids_by(conn, Facility)
    stats = SyncStats()
    for p in seed.partnerships:
        row = {"code": p.code, "theme": p.theme, "category": p.category,
               "directions": list(p.directions), "working_group": p.working_group,
               "note": p.note, "sources": list(p.sources)}
        links = {"facilities": [{"facility_id": facility_ids[f], "position": n}
                                for n, f in enumerate(p.facilities)]}
        _save(conn, records.PARTNERSHIP, Partnership.code == p.code, p.code, row, links,
              actor, stats)
    return stats


def _write_role_divisions(conn: Connection, seed: SeedSet, _geo: Geography, actor: str
                  ) -> SyncStats:
    """Role divisions have no code of their own: they are compared per partnership, as a
    list, and replaced together when any of them differs."""
    partnership_ids, facility_ids = ids_by(conn, Partnership), ids_by(conn, Facility)
    by_partnership: dict[str, list[dict[str, Any]]] = {p.code: [] for p in seed.partnerships}
    for position, d in enumerate(seed.role_divisions):
        by_partnership[d.partnership].append({
            "area": d.area, "note": d.note, "position": position, "sources": list(d.sources),
            "responsible": sorted(facility_ids[f] for f in d.responsible),
        })
    table = table_of(RoleDivision)
    stats = SyncStats()
    for code, wanted in by_partnership.items():
        pid = partnership_ids[code]
        current = []
        for row in conn.execute(
            select(table).where(table.c.partnership_id == pid).order_by(table.c.position)
        ).mappings():
            responsible = sorted(conn.scalars(
                select(RoleDivisionFacility.facility_id)
                .where(RoleDivisionFacility.role_division_id == row["id"])
            ))
            current.append({"area": row["area"], "note": row["note"], "position": row["position"],
                            "sources": list(row["sources"]), "responsible": responsible})
        if current == wanted:
            if wanted:
                stats.left.append(code)
            continue
        conn.execute(table.delete().where(table.c.partnership_id == pid))
        for item in wanted:
            new_id = conn.scalar(
                table.insert().values(
                    partnership_id=pid, area=item["area"], note=item["note"],
                    position=item["position"], sources=item["sources"],
                ).returning(table.c.id)
            )
            for facility_id in item["responsible"]:
                conn.execute(table_of(RoleDivisionFacility).insert().values(
                    role_division_id=new_id, facility_id=facility_id))
        audit(conn, "role_division", code, "UPDATE" if current else "INSERT", actor,
              {"role_divisions": current} if current else None, {"role_divisions": wanted})
        (stats.changed if current else stats.added).append(code)
    return stats


def _write_initiatives(conn: Connection, seed: SeedSet, _geo: Geography, actor: str
                       ) -> SyncStats:
    partnership_ids = ids_by(conn, Partnership)
    stats = SyncStats()
    for i in seed.initiatives:
        row = {
            "code": i.code, "partnership_id": partnership_ids[i.partnership],
            "title": i.title, "status": i.status, "started_on": i.started_on,
            "started_precision": i.started_precision, "fiscal_year": i.fiscal_year_start,
            "note": i.note, "sources": list(i.sources),
        }
        links = {"metrics": [{"period": m.period, "value": m.value, "unit": m.unit,
                              "as_of": m.as_of, "note": m.note, "planned": m.planned,
                              "position": n} for n, m in enumerate(i.figures)]}
        _save(conn, records.INITIATIVE, Initiative.code == i.code, i.code, row, links, actor,
              stats)
    return stats


def _write_consultations(conn: Connection, seed: SeedSet, _geo: Geography, actor: str
                  ) -> SyncStats:
    facility_ids = ids_by(conn, Facility)
    rows = [{
        "code": c.code, "facility_id": facility_ids[c.facility], "title": c.title,
        "rule": c.rule, "duration_minutes": c.duration_minutes,
        "reservation_required": c.reservation_required,
        "minutes_per_person": c.minutes_per_person, "note": c.note, "sources": list(c.sources),
    } for c in seed.consultations]
    return sync_rows(conn, Consultation, "code", rows, actor)


def _write_events(conn: Connection, seed: SeedSet, _geo: Geography, actor: str
                  ) -> SyncStats:
    """Each event through the write createEvent uses (``records.save``)."""
    facility_ids = ids_by(conn, Facility)
    stats = SyncStats()
    for e in seed.events:
        row = {"code": e.code, "title": e.title, "starts_at": e.starts_at,
               "ends_at": e.ends_at, "date_precision": e.date_precision, "note": e.note,
               "sources": list(e.sources)}
        links: dict[str, list[dict[str, Any]]] = {
            "organizers": [{"facility_id": facility_ids[f], "position": n}
                           for n, f in enumerate(e.organizers)],
            "audiences": [{"audience": a} for a in e.audiences],
        }
        _save(conn, records.EVENT, Event.code == e.code, e.code, row, links, actor, stats)
    return stats


def _write_places_dataset(conn: Connection, _seed: SeedSet, geo: Geography, actor: str
                          ) -> SyncStats:
    """The credit of facility_places.csv, in ``dataset`` beside boundaries and population."""
    if geo.places_dataset is None:
        return SyncStats()
    return sync_rows(conn, Dataset, "kind", [geo.places_dataset], actor)



Writer = Callable[[Connection, SeedSet, Geography, str], SyncStats]
WRITERS: tuple[tuple[str, Writer], ...] = (
    ("operators.yaml", _write_operators),
    ("services.yaml", _write_services),
    ("facilities.yaml", _write_facilities),
    ("partnerships.yaml", _write_partnerships),
    ("role_divisions.yaml", _write_role_divisions),
    ("initiatives.yaml", _write_initiatives),
    ("consultations.yaml", _write_consultations),
    ("events.yaml", _write_events),
    (place_file.PLACES_FILE, _write_places_dataset),
)


def load_seed(
    engine: Engine,
    directory: Path = SEED_DIR,
    actor: str = "hub load",
    report: Callable[[str, SyncStats], None] = lambda _file, _stats: None,
    places: Path | None = None,
) -> dict[str, SyncStats]:
    """Check every file and every place it names, then write them all in one transaction:
    a failure anywhere leaves the database as it was. ``report`` hears of each file once
    the whole set is committed. ``places`` is facility_places.csv (by default the one in
    the geodata folder, ``HUB_GEODATA``)."""
    seed = read_seed_set(directory)
    places_path = places if places is not None else place_file.places_file()
    results: dict[str, SyncStats] = {}
    with engine.begin() as conn:
        municipalities = Places(conn)
        geo = locate(seed, municipalities)
        geo = _with_places(seed, geo, municipalities, places_path, directory)
        for name, write in WRITERS:
            try:
                results[name] = write(conn, seed, geo, actor)
            except IntegrityError as exc:
                raise DataFileError(
                    name, None, None, f"the database refused it: {exc.orig}"
                ) from exc
    for name, stats in results.items():
        report(name, stats)
    return results


def _with_places(seed: SeedSet, geo: Geography, places: Places, places_path: Path,
                 directory: Path) -> Geography:
    rows = place_file.read_places(places_path)
    aliases = place_file.read_aliases(directory / place_file.ALIASES_FILE)
    today = {code: at.municipality_code for code, at in geo.facilities.items()}
    sites = place_file.site_facilities(rows, aliases, seed, places, today)
    dataset = {
        "kind": "facility_places",
        "name": "施設の所在地・開館時間等 (公開ページから)",
        "path": places_path.name,
        "sha256": sha256_of(places_path),
        "as_of": None,
        "attribution": place_file.credit(rows),
        "records": len(rows),
    }
    return Geography(geo.operator_municipality, geo.facilities, sites, dataset)


def load_services(engine: Engine, directory: Path = SEED_DIR, actor: str = "hub load"
                  ) -> SyncStats:
    """Only the service taxonomy (synthetic data sets need it, not the facilities)."""
    seed = read_seed_set(directory)
    with engine.begin() as conn:
        return sync_rows(conn, Service, "code", _service_rows(seed), actor)
