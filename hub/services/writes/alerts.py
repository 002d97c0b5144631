"""publishAlert: a consumer centre tells municipal consultation desks of a new fraud method
(新手の手口) at once. One transaction, one audit row, and a notice to every server process
(hub.db.listener) for the alertPublished subscriptions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from hub.db.listener import ALERTS
from hub.db.models import Alert, AlertMunicipality, Facility, Municipality
from hub.domain.errors import InputError
from hub.services.loading.sync import audit
from hub.services.writes.notify import notify


def _text(value: str, field: str, limit: int) -> str:
    stripped = value.strip()
    if not stripped:
        raise InputError(f"{field}: must not be blank", field)
    if len(stripped) > limit:
        raise InputError(f"{field}: {len(stripped)} characters, at most {limit}", field)
    return stripped


def publish_alert(conn: Connection, title: str, body: str, published_by_id: int,
                  municipality_codes: Sequence[str], actor: str,
                  permit: Callable[[int], None]) -> int:
    """The new alert's id. Only a consumer centre (category CONSUMER) publishes; an editor
    only for a centre of its own operator (``permit``)."""
    title = _text(title, "input.title", 200)
    body = _text(body, "input.body", 10_000)
    publisher = conn.execute(
        select(Facility.operator_id, Facility.category, Facility.code)
        .where(Facility.id == published_by_id, Facility.archived_at.is_(None))).one_or_none()
    if publisher is None:
        raise InputError(f"input.publishedById: no facility {published_by_id}",
                         "input.publishedById")
    operator_id, category, code = publisher
    if category != "CONSUMER":
        raise InputError(f"input.publishedById: {code} is not a consumer centre (category "
                         f"{category}); alerts come from consumer centres",
                         "input.publishedById")
    permit(int(operator_id))
    codes = list(dict.fromkeys(municipality_codes))
    known = set(conn.scalars(select(Municipality.code).where(Municipality.code.in_(codes))))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InputError(f"input.municipalityCodes: unknown municipality {unknown[0]!r}",
                         "input.municipalityCodes")
    alert_id = int(conn.execute(insert(Alert).values(
        title=title, body=body, published_by_id=published_by_id).returning(Alert.id))
        .scalar_one())
    if codes:
        conn.execute(insert(AlertMunicipality), [
            {"alert_id": alert_id, "municipality_code": c} for c in codes])
    after: Mapping[str, Any] = {"title": title, "body": body, "published_by": code,
                                "municipalities": codes}
    audit(conn, "alert", str(alert_id), "INSERT", actor, None, after)
    notify(conn, ALERTS, {"id": alert_id, "municipalities": codes})
    return alert_id
