"""Label feedback: analysts mark the classifier's answer on an article right or wrong; the
corrections become training examples (`newsmon train --with-feedback`)."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from newsmon.domain import LABELS, NewsmonError
from warehouse.db import load_query, upsert

VERDICTS = ("right", "wrong")
_COLUMNS = ["article_id", "label", "value", "verdict", "model_version", "model_flagged", "note", "labeled_by",
            "labeled_at"]


class FeedbackError(NewsmonError):
    """Feedback that cannot be recorded as given."""


def record_feedback(con: duckdb.DuckDBPyConnection, article_id: str, label: str, verdict: str, *,
                    note: str | None = None, user: str | None = None, now: datetime | None = None) -> dict:
    """Store the right answer for (article, label): `right` keeps the current model's flag, `wrong`
    inverts it, `yes`/`no` set it whatever the model said. Returns the stored row as a dict."""
    row = judge_feedback(con, article_id, label, verdict, note=note, user=user, now=now)
    store_feedback(con, [row])
    return row


def judge_feedback(con: duckdb.DuckDBPyConnection, article_id: str, label: str, verdict: str, *,
                   note: str | None = None, user: str | None = None, now: datetime | None = None) -> dict:
    """The label_feedback row a verdict makes, checked against the warehouse (which it only reads, so
    a read-only snapshot will do); a FeedbackError names what is wrong."""
    if label not in LABELS:
        raise FeedbackError(f"unknown label {label!r}: use one of {', '.join(LABELS)}")
    if verdict not in (*VERDICTS, "yes", "no"):
        raise FeedbackError(f"unknown verdict {verdict!r}: use right, wrong, yes or no")
    if not con.execute("select count(*) from articles where article_id = ?", [article_id]).fetchone()[0]:
        raise FeedbackError(f"no article with id {article_id!r} in the warehouse")
    scored = con.execute(
        "select c.model_version, c.flagged from classifications as c join current_model using (model_version)"
        " where c.article_id = ? and c.label = ?", [article_id, label]).fetchone()
    model_version, flagged = scored if scored else (None, None)
    if verdict in VERDICTS:
        if scored is None:
            raise FeedbackError(f"article {article_id} has no {label} score from the current model to judge: "
                                "say yes or no instead of right or wrong")
        value = int(flagged) if verdict == "right" else int(not flagged)
    else:
        value, verdict = int(verdict == "yes"), "set"
    return dict(zip(_COLUMNS, [article_id, label, value, verdict, model_version, flagged, note, user,
                               (now or datetime.now(UTC)).replace(tzinfo=None)], strict=True))


def store_feedback(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> int:
    """Upsert judged rows (judge_feedback's) by (article, label): the later word on a pair replaces the
    earlier one, so storing the same rows again changes nothing."""
    return upsert(con, "label_feedback", _COLUMNS, [[row[c] for c in _COLUMNS] for row in rows],
                  keys=["article_id", "label"])


def latest(rows: list[dict]) -> dict[tuple[str, str], dict]:
    """The last word per (article, label) among rows, by time given."""
    found: dict[tuple[str, str], dict] = {}
    for row in sorted(rows, key=lambda r: r["labeled_at"]):
        found[(row["article_id"], row["label"])] = row
    return found


def store_newer_feedback(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> list[dict]:
    """Store judged rows given through the review app (inside the caller's transaction): per
    (article, label) the latest, and only where the warehouse has no later word (a `newsmon label`
    given after the click, stored first). Returns the rows stored."""
    newest = latest(rows)
    if not newest:
        return []
    stored = {(a, lbl): at for a, lbl, at in con.execute(
        load_query("feedback_labeled_at"), [[a for a, _ in newest], [lbl for _, lbl in newest]]).fetchall()}
    kept = [row for key, row in newest.items() if key not in stored or stored[key] <= row["labeled_at"]]
    store_feedback(con, kept)
    return kept


def feedback_examples(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """One training example per article with feedback, in the models/data format. A label without
    feedback takes the current model's answer, and sectors the current model's tags (both marked in
    `note`), so that each example has both labels."""
    rows = con.execute(
        """
        with answers as (
            select article_id,
                   max(value) filter (where label = 'integration') as integration_fb,
                   max(value) filter (where label = 'decentralization') as decentralization_fb,
                   string_agg(note, '; ' order by label) as notes
            from label_feedback group by article_id
        ),
        model as (
            select c.article_id,
                   bool_or(c.flagged) filter (where c.label = 'integration')::integer as integration_model,
                   bool_or(c.flagged) filter (where c.label = 'decentralization')::integer as decentralization_model
            from classifications as c join current_model using (model_version) group by c.article_id
        ),
        sectors as (
            select s.article_id, list(s.sector order by s.sector) as sectors
            from article_sectors as s join current_model using (model_version) group by s.article_id
        )
        select a.article_id, a.title, a.text, f.integration_fb, f.decentralization_fb, m.integration_model,
               m.decentralization_model, coalesce(t.sectors, []::varchar[]), f.notes
        from answers as f
        join articles as a using (article_id)
        left join model as m using (article_id)
        left join sectors as t using (article_id)
        order by a.article_id
        """).fetchall()
    examples = []
    for (article_id, title, text, integration_fb, decentralization_fb, integration_model,
         decentralization_model, sectors, notes) in rows:
        integration = integration_fb if integration_fb is not None else integration_model
        decentralization = decentralization_fb if decentralization_fb is not None else decentralization_model
        if integration is None or decentralization is None:
            continue  # one label unknown: neither the analyst nor a model answered it
        given = [name for name, fb in (("integration", integration_fb), ("decentralization", decentralization_fb))
                 if fb is not None]
        examples.append({
            "id": f"feedback-{article_id}", "title": title, "text": text,
            "integration": int(integration), "decentralization": int(decentralization),
            "sectors": list(sectors), "voice": None,
            "note": f"analyst feedback on {', '.join(given)}" + (f": {notes}" if notes else "")
                    + "; other label and sectors from the current model",
        })
    return examples
