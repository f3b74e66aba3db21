"""What the review app reads (newsmon.web), from the published snapshot through the read-only sandbox,
and the one thing it writes: feedback, judged against the snapshot and queued for the writer
(warehouse.feedback_queue), or on DuckLake stored in the lake at once by the write function the
pipeline gives (never through the sandbox, which stays read-only). Every query is a named one under
queries/; the app runs no other SQL (but, on DuckLake, building its in-memory search index).

On DuckLake there is no snapshot file: the lake is attached read-only in the sandbox, and each
statement reads the lake's newest snapshot (a writer's commit is a new one; readers take no lock).
What was read is cached per lake snapshot id. DuckLake keeps no full-text index, so the first
search of a lake snapshot copies title and text into an in-memory database and indexes them there
(as warehouse.search does per search); searches then read that index, the lake for the rest."""

from __future__ import annotations

import itertools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb

from newsmon.domain import Unavailable, utc_now
from warehouse.db import LAKE_ALIAS, WarehouseError, is_lake, load_query
from warehouse.feedback import judge_feedback, latest
from warehouse.feedback_queue import enqueue, pending
from warehouse.sandbox import open_sandbox
from warehouse.search import INDEX_SCHEMA, has_index

SEARCH_PAGE = 20
# views read whole by the digest's week queries (each filters their rows by week): read once per
# snapshot into memory, so the week page's queries and every other week's read them from there
TREND_VIEWS = ("trend_weekly", "trend_by_sector")
_SCRATCH_NAMES = itertools.count(1)  # in-memory databases of this process (unique per DuckDB instance)
CACHE_ENTRIES = 512  # page reads kept per snapshot (weeks, searches, articles)

# DuckDB keeps one database per path in a process, and the sandbox's settings can be made only once
# on it: every Review of this process shares the connection to a snapshot copy
_SHARED: dict[str, duckdb.DuckDBPyConnection] = {}
_SHARED_LOCK = threading.Lock()


class ReviewUnavailable(WarehouseError, Unavailable):
    """The warehouse the app reads cannot be read now: the lake out of reach, no snapshot or search
    index yet."""


class Review:
    """Reads for the review app. A sandboxed connection to the snapshot is opened once and reused
    (each call on its own cursor, so requests may run in threads); when the writer publishes a new
    snapshot (a new file at the path) the next call opens that one, and calls already running
    finish on the old one, which stays readable until they let go of it."""

    def __init__(self, path: Path | str, queue: Path, *,
                 opener: Callable[[Path | str], duckdb.DuckDBPyConnection] | None = None, keep_open: bool = True,
                 store: Callable[..., dict] | None = None):
        """path: the snapshot link, the writer's file (keep_open False: a connection per call, closed
        after it, so that the file is held only while a page reads it) or a DuckLake URL. store: on
        DuckLake, store(article_id, label, verdict, user=, note=, now=) judges a verdict and stores it
        in the lake in its own write transaction, returning the row (the pipeline's
        store_review_feedback); None: verdicts are queued in `queue` for the next write step."""
        self.lake = is_lake(path)
        self.path = str(path) if self.lake else Path(path)
        self.keep_open = keep_open
        self.queue = Path(queue)
        self._store = store
        self._opener = opener or (lambda p: open_sandbox(p))
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        # a snapshot never changes, so what was read from it stays right until the next one: the
        # week page's digest queries cost about as much as the digest's, paid once per snapshot
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._flights: dict[tuple, threading.Lock] = {}
        self._live_lock = threading.Lock()
        self._live: duckdb.DuckDBPyConnection | None = None
        self._live_users = 0
        self._scratch: list[str] = []  # DuckLake: in-memory databases (search index, trends), oldest first

    def _release_live(self) -> None:
        with self._live_lock:
            self._live_users -= 1
            if self._live_users == 0 and self._live is not None:
                self._live.close()
                self._live = None

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        if self.lake:
            return self._lake_cursor()
        # the snapshot path is a link to the newest copy (warehouse.snapshot), each copy its own
        # file; a publish unlinks the copy it replaces, so one resolved just before may be gone by
        # the time it is opened: then the link names a newer one, and that is read
        for attempt in range(5):
            real = Path(os.path.realpath(self.path))
            try:
                return self._open(real)
            except WarehouseError:
                if attempt == 4 or real.exists() or Path(os.path.realpath(self.path)) == real:
                    raise
        raise AssertionError("unreachable")

    def _open(self, real: Path) -> duckdb.DuckDBPyConnection:
        try:
            stat = os.stat(real)
        except FileNotFoundError:
            raise ReviewUnavailable(f"no warehouse snapshot at {self.path}: a write step "
                                 "(`newsmon load`, `classify`, `cluster`) or `newsmon db publish` makes one") from None
        key = (str(real), stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if not self.keep_open:
            # the writer's file: one connection while any request reads (DuckDB allows one database
            # per path in a process), closed when the last one is done, so a load can take the file
            with self._live_lock:
                if self._live is None:
                    self._live = self._opener(real)  # waits, as long as lock_timeout, for a writer
                self._live_users += 1
                return _LiveCursor(self, self._live.cursor())
        with self._lock:
            if key != self._key or self._con is None:
                self._con = _shared(real, self._opener)
                self._key = key
                self._cache.clear()
            return self._con.cursor()

    def _lake_cursor(self, search_path: str = f"{LAKE_ALIAS}.main") -> duckdb.DuckDBPyConnection:
        """A cursor reading the lake (its tables found by name), noting the lake's newest snapshot:
        a new one (a writer committed) clears what was cached."""
        # twice at most: after the catalog server restarted, the first statement finds the postgres
        # extension's kept connection dead (and drops it); the second one connects anew
        for attempt in (1, 2):
            with self._lock:
                if self._con is None:
                    self._con = self._opener(self.path)
                cur = self._con.cursor()
            try:
                cur.execute(f"set search_path = '{search_path}'")
                snapshot = cur.execute("select id from ducklake_current_snapshot(?)", [LAKE_ALIAS]).fetchone()[0]
                break
            except duckdb.Error as exc:
                cur.close()
                if attempt == 2:
                    raise ReviewUnavailable(f"cannot read the DuckLake: {str(exc).splitlines()[0]}") from None
        with self._lock:
            if self._key != ("lake", snapshot):
                self._key = ("lake", snapshot)
                self._cache.clear()
        return cur

    def _lake_index(self) -> str:
        """The in-memory database holding the search index of the lake's current snapshot, built on
        first use; the two newest are kept (a search may still read the previous one)."""
        def build() -> str:
            cur = self._lake_cursor()
            try:
                name = f"search_{next(_SCRATCH_NAMES)}"
                cur.execute(f"attach if not exists ':memory:' as {name}")
                cur.execute(f"create or replace table {name}.main.articles as"
                            f" select article_id, title, text from {LAKE_ALIAS}.main.articles")
                cur.execute(f"use {name}")
                # the options of warehouse.search.rebuild_index, so a lake ranks as a DuckDB file does
                cur.execute("pragma create_fts_index('articles', 'article_id', 'title', 'text',"
                            " stemmer = 'english', stopwords = 'english', lower = 1, strip_accents = 1,"
                            " overwrite = 1)")
                cur.execute("use memory")
                self._keep_scratch(cur, name)
            except duckdb.Error as exc:
                raise ReviewUnavailable(f"cannot index the DuckLake for search: {str(exc).splitlines()[0]}") from None
            finally:
                cur.close()
            return name

        return self._cached(("lake index",), build)

    def _keep_scratch(self, cur: duckdb.DuckDBPyConnection, name: str) -> None:
        """On DuckLake (one connection throughout) keep the four newest in-memory databases: a
        request may still read the previous snapshot's. A snapshot file's go with its connection."""
        if not self.lake:
            return
        with self._lock:
            self._scratch.append(name)
            stale, self._scratch = self._scratch[:-4], self._scratch[-4:]
        for old in stale:
            cur.execute(f"detach database if exists {old}")

    def _trends(self) -> str | None:
        """The search path that finds TREND_VIEWS in memory, read whole from the current snapshot
        (once per snapshot), and everything else in the snapshot; None reading the writer's file."""
        if not self.keep_open:
            return None

        def build() -> str:
            cur = self._cursor()
            try:
                base = cur.execute("select current_database()").fetchone()[0]
                name = f"trends_{next(_SCRATCH_NAMES)}"
                cur.execute(f"attach ':memory:' as {name} (read_write)")
                for view in TREND_VIEWS:
                    cur.execute(f'create table {name}.main.{view} as select * from "{base}".main.{view}')
                self._keep_scratch(cur, name)
            except duckdb.Error as exc:
                raise ReviewUnavailable(f"cannot read the trend views: {str(exc).splitlines()[0]}") from None
            finally:
                cur.close()
            return f'{name}.main,"{base}".main'

        return self._cached(("trends",), build)

    def _cached(self, key: tuple, compute: Callable[[], object]):
        """compute() once per snapshot (and key); always fresh when reading the writer's file."""
        if not self.keep_open:
            return compute()
        self._cursor().close()  # notices a newly published snapshot (and clears the cache)
        snapshot = self._key
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            # one computation per key at a time: requests that miss together wait for the first
            # instead of all running the same queries (on 2 cores a burst would never catch up)
            flight = self._flights.setdefault((snapshot, key), threading.Lock())
        with flight:
            with self._lock:
                if key in self._cache and self._key == snapshot:
                    return self._cache[key]
            value = compute()
            with self._lock:
                self._flights.pop((snapshot, key), None)
                if self._key == snapshot:
                    self._cache[key] = value
                    while len(self._cache) > CACHE_ENTRIES:
                        self._cache.popitem(last=False)
        return value

    def cached(self, key: tuple, compute: Callable[[], object]):
        """What the app makes from a snapshot's reads (a chart), kept per snapshot like the reads."""
        return self._cached(("app", *key), compute)

    def _rows(self, name: str, params: list | dict | None = None, *, trends: bool = False) -> list[tuple]:
        """The named query's rows; trends: with TREND_VIEWS read from memory (Review._trends)."""
        search_path = self._trends() if trends else None
        cur = self._cursor()
        try:
            if search_path:
                cur.execute(f"set search_path = '{search_path}'")
            return cur.execute(load_query(name), params).fetchall()
        finally:
            cur.close()

    def _records(self, name: str, params: list | dict | None = None, *, search: bool = False) -> list[dict]:
        """The named query's rows as dicts; search: on DuckLake, with the lake's search index in reach."""
        cur = (self._lake_cursor(f"{LAKE_ALIAS}.main,{self._lake_index()}.{INDEX_SCHEMA}") if search and self.lake
               else self._cursor())
        try:
            result = cur.execute(load_query(name), params)
            columns = [d[0] for d in result.description]
            return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
        finally:
            cur.close()

    def snapshot_time(self) -> datetime | None:
        if self.lake:
            def read() -> datetime | None:
                cur = self._cursor()
                try:
                    row = cur.execute("select snapshot_time from ducklake_snapshots(?) order by snapshot_id desc"
                                      " limit 1", [LAKE_ALIAS]).fetchone()
                finally:
                    cur.close()
                return row[0].astimezone().replace(tzinfo=None) if row and row[0] else None

            return self._cached(("snapshot time",), read)
        try:
            return datetime.fromtimestamp(os.stat(self.path).st_mtime)
        except FileNotFoundError:
            return None

    # ------------------------------------------------------------ pages

    def weeks(self) -> list[str]:
        return self._cached(("weeks",), lambda: [week for week, _ in self._rows("review_weeks")])

    DIGEST_PARTS = ("volume", "changes", "trend", "sectors", "stories")

    def digest_rows(self, start: date, end: date, stories_per_label: int,
                    parts: tuple[str, ...] = DIGEST_PARTS) -> dict:
        """The digest queries' rows for a week (newsmon.digest.render.DigestRows' fields; only `parts`).
        Each query is cached on its own, so the trends page and the charts reuse what the week page
        read."""
        reads = {
            "volume": (("digest_counts", start, end), lambda: self._rows("digest_counts", [start, end])[0]),
            "changes": (("digest_changes", start), lambda: self._rows("digest_changes", [start], trends=True)),
            "trend": (("digest_trend", start), lambda: self._rows("digest_trend", [start], trends=True)),
            "sectors": (("digest_sectors", start), lambda: self._rows("digest_sectors", [start], trends=True)),
        }
        rows = {part: self._cached(*reads[part]) for part in parts if part in reads}
        if "stories" in parts:
            rows["stories"] = self._cached(("digest_stories", start, end, stories_per_label),
                                           lambda: self._rows("digest_stories", [start, end, stories_per_label]))
        return rows

    def filters(self) -> dict[str, list[str]]:
        def read() -> dict[str, list[str]]:
            found: dict[str, list[str]] = {"source": [], "sector": []}
            for kind, value in self._rows("review_filters"):
                found[kind].append(value)
            return found

        return self._cached(("filters",), read)

    def search(self, query: str | None, *, label: str | None = None, sector: str | None = None,
               source: str | None = None, since: datetime | None = None, until: datetime | None = None,
               page: int = 1, per_page: int = SEARCH_PAGE) -> tuple[int, list[dict]]:
        """(matches over all pages, this page's rows), best match first (newest first without a query)."""
        query = (query or "").strip() or None
        if query is not None and not self.lake:
            cur = self._cursor()
            try:
                if not has_index(cur):
                    raise ReviewUnavailable("no search index in the snapshot yet: the next load builds it")
            finally:
                cur.close()
        params = {"query": query, "label": label, "sector": sector, "source": source, "since": since,
                  "until": until, "limit": per_page, "offset": (max(page, 1) - 1) * per_page}
        rows = self._cached(("search", *params.items()), lambda: self._records("review_search", params, search=True))
        return (rows[0]["total"] if rows else 0), rows

    def article(self, article_id: str) -> dict | None:
        """The article page's reads, cached per snapshot like the others (its scores and sectors are
        read by scanning those tables: their keys start with the article but are not only it)."""
        def read() -> dict | None:
            found = self._records("review_article", [article_id])
            if not found:
                return None
            article = found[0]
            article["scores"] = self._records("review_article_scores", [article_id])
            article["sectors"] = self._records("review_article_sectors", [article_id])
            article["siblings"] = (self._records("review_story_siblings", [article["story_id"], article_id])
                                   if article["story_id"] else [])
            return article

        return self._cached(("article", article_id), read)

    def source_health(self) -> list[dict]:
        return self._cached(("sources",), lambda: self._records("review_source_health"))

    # ------------------------------------------------------------ feedback

    def feedback(self, article_ids: list[str]) -> dict[tuple[str, str], dict]:
        """(article, label) -> the feedback the analyst sees: the snapshot's, overlaid by what is
        queued for the writer (`queued` True), so a verdict shows the moment it is given."""
        if not article_ids:
            return {}
        found = {(r["article_id"], r["label"]): {**r, "queued": False}
                 for r in self._records("review_feedback", [list(article_ids)])}
        wanted = set(article_ids)
        for key, row in latest([row for _, row in pending(self.queue) if row["article_id"] in wanted]).items():
            if key not in found or found[key]["labeled_at"] <= row["labeled_at"]:
                found[key] = {**row, "queued": True}
        return found

    def submit_feedback(self, article_id: str, label: str, verdict: str, *, user: str | None = None,
                        note: str | None = None, now: datetime | None = None) -> dict:
        """Judge a verdict as `newsmon label` does (warehouse.feedback.judge_feedback, against the
        snapshot) and queue the row for the next write step; a FeedbackError names what is wrong. With
        a store (DuckLake) the row is judged and stored in the lake now, given at the time of the
        click (so a later `newsmon label` still wins); when that fails, its error is raised and
        nothing is queued."""
        if self._store is not None:
            return self._store(article_id, label, verdict, user=user, note=note, now=now or utc_now())
        cur = self._cursor()
        try:
            row = judge_feedback(cur, article_id, label, verdict, note=note, user=user, now=now)
        finally:
            cur.close()
        enqueue(self.queue, row)
        return row


class _LiveCursor:
    """A cursor on the writer's file that gives the file back when closed (Review._release_live)."""

    def __init__(self, review: Review, cursor: duckdb.DuckDBPyConnection) -> None:
        self._review = review
        self._cursor = cursor

    def __getattr__(self, name: str):
        return getattr(self._cursor, name)

    def close(self) -> None:
        self._cursor.close()
        self._review._release_live()


def _shared(path: Path, opener: Callable[[Path], duckdb.DuckDBPyConnection]) -> duckdb.DuckDBPyConnection:
    """The process's connection to one snapshot copy, opened on first use. Connections to copies of
    the same folder that are no longer the newest are dropped, not closed: a request may still read
    through a cursor of one, and DuckDB closes it when the last cursor goes."""
    with _SHARED_LOCK:
        con = _SHARED.get(str(path))
        if con is None:
            for other in [p for p in _SHARED if Path(p).parent == path.parent]:
                del _SHARED[other]
            con = _SHARED[str(path)] = opener(path)
        return con
