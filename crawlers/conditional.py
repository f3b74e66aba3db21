"""Conditional GET for listings (feeds, sitemaps), kept honest by a body hash.

A 304 costs nothing. A 200 counts as changed only if the body hash changed, whatever the headers
say. Some servers keep their validators after a change (Media Cloud turned conditional GET off for
that reason), so after `revalidate_after` 304s in a row the listing is fetched once without validators;
if the body then differs, the server's validators are marked unreliable and no longer sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class ListingState:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    not_modified_streak: int = 0
    validators_unreliable: bool = False
    fetched_at: datetime | None = None
    changed_at: datetime | None = None
    status: int | None = None

    def to_record(self) -> dict:
        record = asdict(self)
        for key in ("fetched_at", "changed_at"):
            record[key] = record[key].isoformat() if record[key] else None
        return record

    @classmethod
    def from_record(cls, record: dict) -> ListingState:
        values = {k: record.get(k) for k in cls.__dataclass_fields__ if k in record}
        for key in ("fetched_at", "changed_at"):
            if isinstance(values.get(key), str):
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def request_headers(state: ListingState | None, revalidate_after: int) -> dict[str, str]:
    """Validators to send, or none when the listing is new, untrustworthy or due a full fetch."""
    if state is None or state.validators_unreliable or state.not_modified_streak >= revalidate_after:
        return {}
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def after_not_modified(state: ListingState, now: datetime) -> ListingState:
    return replace(state, not_modified_streak=state.not_modified_streak + 1, fetched_at=now, status=304)


def after_response(state: ListingState | None, url: str, body: bytes, *, etag: str | None,
                   last_modified: str | None, now: datetime, revalidate_after: int) -> tuple[ListingState, bool]:
    """The new state after a 200, and whether the listing changed (by its body hash)."""
    previous = state or ListingState(url=url)
    digest = body_hash(body)
    changed = digest != previous.body_hash
    revalidating = previous.not_modified_streak >= revalidate_after and previous.body_hash is not None
    return ListingState(
        url=url, etag=etag, last_modified=last_modified, body_hash=digest, not_modified_streak=0,
        validators_unreliable=previous.validators_unreliable or (revalidating and changed),
        fetched_at=now, changed_at=now if changed else previous.changed_at, status=200,
    ), changed
