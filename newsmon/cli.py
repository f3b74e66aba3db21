"""The `newsmon` command: thin commands over newsmon.pipeline; user mistakes are one-line errors."""

from __future__ import annotations

import csv
import json
import os
import sys
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

app = typer.Typer(help="newsmon: crawl tech news, flag two trends, query them in DuckDB.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Warehouse schema: migrate and status.", no_args_is_help=True)
app.add_typer(db_app, name="db")
sources_app = typer.Typer(help="The sources in sources.yaml: list and check.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class UserError(Exception):
    """Shown as one line on stderr, exit code 1."""


def _settings():
    from newsmon.config import get_settings

    return get_settings()


def _today() -> date:
    return datetime.now(UTC).date()


def _parse_date(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        raise typer.BadParameter(f"not a date: {value!r} (expected YYYY-MM-DD)", param_hint=option) from None


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=False)


@contextmanager
def _stage_bars():
    """A rich bar per stage of long model work (embedding, each fine-tuning and distillation epoch,
    ...) with elapsed and remaining time, on stderr and only on a terminal; yields the pipeline's
    progress (message lines) and steps (stage, completed, total) callbacks."""
    bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("left"), TimeRemainingColumn(), console=err, disable=not err.is_terminal)
    tasks: dict = {}

    def steps(stage: str, completed: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total)
        bars.update(tasks[stage], completed=completed, total=total)

    with bars:
        yield {"progress": lambda m: err.print(f"[dim]{m}[/]"), "steps": steps}


def _print_crawl_result(result) -> None:
    if result.ok:
        failed = f", {len(result.failures)} failures" if result.failures else ""
        err.print(f"  [green]ok[/]   {result.source}: {result.articles} new articles "
                  f"({result.entries_seen} entries, {result.skipped_known} known{failed})")
    else:
        err.print(f"  [red]fail[/] {result.source}: {result.error or 'failed'}")


def _crawl_with_progress(sources, run_id: str, since: datetime | None):
    from newsmon import pipeline

    settings = _settings()
    enabled = [s for s in sources if s.enabled]
    with _progress() as progress:
        task = progress.add_task("crawling sources", total=len(enabled))

        def advance(result) -> None:
            progress.advance(task)
            _print_crawl_result(result)

        return pipeline.crawl_sources(enabled, run_id=run_id, settings=settings, since=since,
                                      on_result=advance)


def _classify_with_progress(rescore: bool = False) -> int:
    from newsmon import pipeline

    with _progress() as progress:
        task = progress.add_task("classifying articles", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return pipeline.classify_unscored(_settings(), rescore=rescore, on_batch=advance)


def _load_sources(path: Path | None):
    from newsmon.sources import load_sources

    return load_sources(path or _settings().sources_file)


@contextmanager
def _run_bars():
    """A bar per step of the daily run (the crawl's advancing per source, with its result line,
    the classification's per batch); yields pipeline.run_daily's hooks."""
    current: dict = {}

    @contextmanager
    def step(title: str, total: int | None):
        with _progress() as progress:
            current.update(progress=progress, task=progress.add_task(title, total=total))
            yield

    def on_result(result) -> None:
        current["progress"].advance(current["task"])
        _print_crawl_result(result)

    def on_batch(done: int, total: int) -> None:
        current["progress"].update(current["task"], completed=done, total=total)

    yield {"progress": lambda m: err.print(f"[dim]{m}[/]"), "step": step, "on_result": on_result,
           "on_batch": on_batch}


@app.command()
def run(
    run_date: Annotated[str | None, typer.Option("--date", help="Logical date of the run (YYYY-MM-DD); default today (UTC).")] = None,
    since: Annotated[str | None, typer.Option(help="Only listing entries (feeds, sitemaps) published on or after this date.")] = None,
    sources_file: Annotated[Path | None, typer.Option("--sources", help="Sources file (default sources.yaml).")] = None,
) -> None:
    """Crawl every enabled source, load, classify, group into stories: the daily run."""
    from newsmon import pipeline

    settings = _settings()
    sources = _load_sources(sources_file)
    run_id = (_parse_date(run_date, "--date") or datetime.combine(_today(), datetime.min.time())).date().isoformat()
    since_at = _parse_date(since, "--since")
    with _run_bars() as hooks:
        report = pipeline.run_daily(settings, run_id=run_id, sources=sources, since=since_at, **hooks)
    ok = sum(r.ok for r in report.results)
    load = report.load
    out.print(f"run {run_id}: {ok}/{len(report.results)} sources ok, {load.read} articles staged "
              f"({load.inserted} new), {report.scored} scored, {report.clustered} grouped into stories; "
              f"warehouse {settings.warehouse_label}", soft_wrap=True)


@app.command()
def crawl(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Crawl only these sources (repeatable).")] = None,
    run_id: Annotated[str | None, typer.Option(help="Staging run id (default today's date).")] = None,
    since: Annotated[str | None, typer.Option(help="Only entries published on or after this date.")] = None,
    sources_file: Annotated[Path | None, typer.Option("--sources", help="Sources file.")] = None,
) -> None:
    """Crawl sources into staging files (does not touch the warehouse)."""
    from newsmon import pipeline

    sources = _load_sources(sources_file)
    if source:
        unknown = set(source) - {s.name for s in sources}
        if unknown:
            raise typer.BadParameter(f"unknown source(s): {', '.join(sorted(unknown))}", param_hint="--source")
        sources = [s for s in sources if s.name in source]
    run_id = pipeline.check_run_id(run_id or _today().isoformat())
    results = _crawl_with_progress(sources, run_id, _parse_date(since, "--since"))
    staged = sum(r.articles for r in results)
    out.print(f"run {run_id}: {sum(r.ok for r in results)}/{len(results)} sources ok, "
              f"{staged} articles staged under {_settings().staging_dir / run_id}")


@app.command()
def load(
    run_id: Annotated[str | None, typer.Option(help="Staging run id to load (default today's date).")] = None,
    sources_file: Annotated[Path | None, typer.Option("--sources", help="Sources file.")] = None,
) -> None:
    """Load a run's staging files into the warehouse (idempotent)."""
    from newsmon import pipeline

    run_id = pipeline.check_run_id(run_id or _today().isoformat())
    report = pipeline.load_run(_settings(), run_id, _load_sources(sources_file))
    out.print(f"run {run_id}: {report.read} articles read from {report.files} files, "
              f"{report.inserted} new, {report.updated} updated, {report.crawl_runs} crawl runs recorded"
              f"{report.problems()}", soft_wrap=True)


def _label_rows(metrics: dict) -> list[tuple[str, str, dict]]:
    """(split, label, metrics) rows: the real test split first (when measured), then the written one;
    each split's per-label rows, then its sector tags' micro average when the model has sector heads."""
    rows = []
    for split, block in (("real", metrics.get("real_test") or {}), ("written", metrics)):
        rows += [(split, label, m) for label, m in block.items()
                 if label not in ("sectors", "reliability", "real_test")]
        if "sectors" in block:
            rows.append((split, "sector tags (micro)", block["sectors"]["micro"]))
    return rows


@app.command()
def train(
    with_feedback: Annotated[bool, typer.Option("--with-feedback", help="Add the warehouse's label feedback (newsmon label) to the training split.")] = False,
) -> None:
    """Train the classifier on models/data/ and the real-news corpus (model.extra_data) and write an
    artifact under <data_dir>/models; then, with model.distill on (the default), distil it into a
    faster model that scores."""
    from newsmon import pipeline

    settings = _settings()
    with _stage_bars() as report:
        trained, student = pipeline.train_and_distill(settings, with_feedback=with_feedback, **report)
    metrics = json.loads((trained / "metrics.json").read_text(encoding="utf-8"))
    table = Table("test split", "label", "precision", "recall", "F1", title=f"test splits: {trained.name}")
    for split, label, m in _label_rows(metrics):
        table.add_row(split, label, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}")
    out.print(table)
    out.print(f"model written to {trained}")
    if student:
        _report_student(settings, student)


@app.command()
def distill(
    layers: Annotated[str | None, typer.Option(help="Encoder layers the student keeps, bottom first (the default model has 0-5; default 0,3).")] = None,
    ffn: Annotated[int | None, typer.Option(min=0, help="Feed-forward neurons each kept layer keeps, the ones that "
                                            "matter most (the default model has 1536; default 768; 0 keeps all).")] = None,
    max_length: Annotated[int | None, typer.Option(min=16, max=512, help="Tokens per window the student reads when it scores (default: the teacher's, 256).")] = None,
    max_chunks: Annotated[int | None, typer.Option(min=1, help="Windows the student reads per article when it scores (default 2).")] = None,
    epochs: Annotated[int | None, typer.Option(min=1, help="Passes over the training windows (default 5).")] = None,
    logit_weight: Annotated[float | None, typer.Option(min=0.0, max=100.0, help="Weight of the label logits' loss beside the token vectors' (default 1).")] = None,
    cut_rule: Annotated[str | None, typer.Option(help="How the student's label cuts are set: held-out (best F1 on the articles the teacher took its cuts from; the default) or flag-rate (flag as many texts as the teacher does, no labels read).")] = None,
    blends: Annotated[int | None, typer.Option(min=0, help="News-length blends of two training articles (real ones where there are any) it also learns from (default 2000; 0: none).")] = None,
) -> None:
    """Distil the current model into a smaller, faster one that gives the same verdicts (see the
    README); the student becomes the current model, the teacher stays beside it. `newsmon train`
    does this itself when model.distill is on (the default). Options left out keep models.distill's defaults,
    the student `newsmon train` makes."""
    from newsmon import pipeline

    given = {"max_length": max_length, "max_chunks": max_chunks, "epochs": epochs, "logit_weight": logit_weight,
             "cut_rule": cut_rule, "blends": blends}
    shape: dict = {name: value for name, value in given.items() if value is not None}
    if layers is not None:
        try:
            shape["layers"] = tuple(int(x) for x in layers.split(","))
        except ValueError:
            raise UserError(f"--layers {layers!r}: give layer numbers separated by commas, e.g. 0,2,4") from None
    if ffn is not None:
        shape["ffn"] = ffn or None  # 0: keep every neuron
    settings = _settings()
    with _stage_bars() as report:
        path = pipeline.distill_model(settings, **report, **shape)
    _report_student(settings, path)


def _report_student(settings, path: Path) -> None:
    facts = json.loads((path / "config.json").read_text(encoding="utf-8"))["distillation"]
    metrics = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
    layers = len(facts["layers"])
    shape = f"{layers} layer{'s' if layers > 1 else ''}" + (
        f", {facts['ffn']} of {facts['teacher_ffn']} feed-forward" if facts.get("ffn", 0) != facts.get("teacher_ffn", 0) else "")
    table = Table("label", f"F1, teacher ({facts['teacher_layers']} layers)", f"F1, student ({shape})",
                  title=f"test split: {facts['teacher']} -> {path.name}")
    for label, f1 in (facts.get("teacher_real_f1") or {}).items():  # the real test split first
        table.add_row(f"{label} (real)", f"{f1:.3f}", f"{metrics['real_test'][label]['f1']:.3f}")
    for label, f1 in facts["teacher_f1"].items():
        table.add_row(f"{label} (written)" if facts.get("teacher_real_f1") else label, f"{f1:.3f}",
                      f"{metrics[label]['f1']:.3f}")
    out.print(table)
    run = json.loads((path / "run.json").read_text(encoding="utf-8")) if (path / "run.json").is_file() else {}
    took = f"; {run['train_seconds'] / 60:.1f} min" if "train_seconds" in run else ""
    out.print(f"same labels as the teacher on {facts['same_labels_as_teacher']:.1%} of the test split{took}")
    if settings.model.path:  # the setting wins over LATEST
        out.print(f"model written to {path}; NEWSMON_MODEL__PATH still names the teacher: set it to {path} "
                  "to score with the student")
    else:
        out.print(f"model written to {path}; it is now the current model (NEWSMON_MODEL__PATH="
                  f"{path.parent / facts['teacher']} goes back to the teacher)")


@app.command()
def evaluate(
    card: Annotated[Path | None, typer.Option(help="Write the model card here (default models/MODEL_CARD.md; '-' to skip).")] = None,
) -> None:
    """Measure the current model on the fixed test split: precision, recall, F1, confusion counts."""
    from newsmon import pipeline

    target = None if str(card) == "-" else (card or Path("models") / "MODEL_CARD.md")
    version, metrics = pipeline.evaluate_model(_settings(), target)
    table = Table("test split", "label", "precision", "recall", "F1", "TP", "FP", "FN", "TN",
                  title=f"test splits: {version}")
    for split, label, m in _label_rows(metrics):
        table.add_row(split, label, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}",
                      *(str(m[k]) for k in ("tp", "fp", "fn", "tn")))
    out.print(table)
    if target:
        out.print(f"model card written to {target}")


def _read_jsonl(path: Path) -> list[dict]:
    records = []
    handle = sys.stdin if str(path) == "-" else None
    try:
        lines = (handle or path.open(encoding="utf-8")).read().splitlines()
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror or exc})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise UserError(f"{path}:{number}: not valid JSON") from None
        if not isinstance(record, dict):
            raise UserError(f"{path}:{number}: expected an object with id, title, text")
        records.append(record)
    return records


@app.command()
def classify(
    input: Annotated[Path | None, typer.Option("--input", "-i", help="JSON lines {id, title, text}; '-' for stdin.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON lines here instead of stdout.")] = None,
    rescore: Annotated[bool, typer.Option("--rescore", help="Also score the history that earlier model versions scored.")] = False,
) -> None:
    """Score texts from --input, or the warehouse's new articles without it (--rescore: all history)."""
    from newsmon import pipeline

    if input is None:
        scored = _classify_with_progress(rescore)
        out.print(f"{scored} articles scored")
        pending = pipeline.history_pending(_settings())
        if pending:
            err.print(f"{pending} older articles have scores from earlier model versions only: "
                      "`newsmon classify --rescore` scores them with the current model", soft_wrap=True)
        return
    if output and not output.parent.is_dir():  # said before minutes of scoring, not after
        raise UserError(f"{output}: cannot write (no folder {output.parent})")
    records = _read_jsonl(input)
    lines = (json.dumps(r, ensure_ascii=False) for r in pipeline.classify_texts(_settings(), records))
    if output:
        from newsmon.files import write_atomically

        text = "".join(line + "\n" for line in lines)  # every record scored before the file is touched
        try:
            write_atomically(output, text)
        except OSError as exc:
            raise UserError(f"{output}: cannot write ({exc.strerror or exc})") from None
    else:
        for line in lines:
            print(line)


@app.command()
def digest(
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W47 (default: the last complete week).")] = None,
    preview: Annotated[Path | None, typer.Option(help="Write the digest HTML to this file.")] = None,
    send: Annotated[bool, typer.Option("--send", help="Email the digest (SMTP settings from NEWSMON_EMAIL__*).")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --send: send even if this week was sent already.")] = False,
) -> None:
    """Render the weekly digest to a file, or send it by email (once per week unless --force)."""
    from newsmon import pipeline

    week = week or pipeline.last_complete_week(_today())
    if send:
        result = pipeline.send_digest(_settings(), week, force=force)
        if result["status"] == "already sent":
            out.print(f"digest for {week} was already sent at {result['sent_at']:%Y-%m-%d %H:%M} UTC "
                      f"({result['message_id']}); --force sends it again", soft_wrap=True)
        else:
            out.print(f"digest for {week} sent to {', '.join(result['recipients'])} "
                      f"({result['articles']} articles, {result['message_id']})", soft_wrap=True)
        if preview is None:
            return
    target = preview or _settings().data_dir / "digests" / f"{week}.html"
    path = pipeline.render_digest_preview(_settings(), week, target)
    out.print(f"digest for {week} written to {path}", soft_wrap=True)


def _print_rows(columns: list[str], rows: list[tuple], fmt: str) -> None:
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        for row in rows:
            print(json.dumps(dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False))
    else:
        table = Table(*columns)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        out.print(table)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run against the warehouse.")],
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json (JSON lines).")] = "table",
    write: Annotated[bool, typer.Option("--write", help="Full access: write the warehouse, and read and write files, "
                                        "reach the network and attach other databases as DuckDB allows.")] = False,
    live: Annotated[bool, typer.Option("--live", help="Read the writer's file instead of the readers' snapshot (a running load makes this wait).")] = False,
) -> None:
    """Run SQL against the warehouse. Without --write it is a sandbox: queries only (SELECT, DESCRIBE,
    SHOW, EXPLAIN ...), reading the warehouse and no other file, database or host."""
    from newsmon import pipeline

    if format not in ("table", "csv", "json"):
        raise typer.BadParameter("must be table, csv or json", param_hint="--format")
    columns, rows = pipeline.run_sql(_settings(), query, write=write, live=live)
    if columns:
        _print_rows(columns, rows, format)


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="HTML files or directories of .html files.")],
    url: Annotated[str | None, typer.Option(help="The page's URL (default: its rel=canonical link).")] = None,
) -> None:
    """Extract articles from saved HTML pages and print them as JSON."""
    from newsmon import pipeline

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in (".html", ".htm")))
        elif path.is_file():
            files.append(path)
        else:
            raise UserError(f"{path}: no such file or directory")
    results = list(pipeline.extract_files(files, url))
    if len(results) == 1 and len(paths) == 1 and paths[0].is_file():
        record = results[0]
        if "error" in record:
            raise UserError(f"{record['path']}: {record['error']}")
        record.pop("path")
        print(json.dumps(record, ensure_ascii=False, indent=2))
        return
    for record in results:
        print(json.dumps(record, ensure_ascii=False))


@app.command()
def demo(port: Annotated[int | None, typer.Option(help="Port for the sample site (default 8765, the same every run, so a rerun adds nothing; 0: any free port, new URLs).")] = None) -> None:
    """Serve the bundled sample site on 127.0.0.1 and run the whole pipeline against it."""
    from newsmon.demo import run_demo

    run_demo(port=port, console=out, progress=lambda m: err.print(f"[dim]{m}[/]"))


@sources_app.command("list")
def sources_list(
    sources_file: Annotated[Path | None, typer.Option("--sources", help="Sources file.")] = None,
) -> None:
    """List the configured sources."""
    table = Table("name", "enabled", "feeds", "sitemaps", "sections", "allowed domains")
    for s in _load_sources(sources_file):
        table.add_row(s.name, "yes" if s.enabled else "no", str(len(s.feeds)), str(len(s.sitemaps)),
                      str(len(s.sections)), ", ".join(s.allowed_domains))
    out.print(table)


@sources_app.command("health")
def sources_health(
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json (JSON lines).")] = "table",
) -> None:
    """Per source: last success, articles per day and error rate over 14 days, broken flag."""
    from newsmon import pipeline

    columns, rows = pipeline.source_health(_settings())
    _print_rows(columns, rows, format)


@sources_app.command("check")
def sources_check(
    name_or_url: Annotated[str, typer.Argument(help="A source name from sources.yaml, a feed URL or a homepage URL.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with an entries list.")] = False,
) -> None:
    """Fetch a source's listings (feeds, sitemaps) once and show their entries (and which are new); writes nothing."""
    from newsmon import pipeline

    report = pipeline.check_source(_settings(), name_or_url)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for error in report["errors"]:
        err.print(f"[red]fail[/] {error['url']}: {error['error']}", markup=True, highlight=False)
    table = Table("new", "published (UTC)", "title", "url", title=f"{len(report['entries'])} entries")
    for entry in report["entries"]:
        table.add_row("new" if entry["new"] else "", entry["published"] or "", entry["title"] or "", entry["url"])
    out.print(table)
    found = report["discovered"]
    if found["feeds"]:
        out.print("feeds found on the page: " + ", ".join(found["feeds"]), soft_wrap=True)
    if found["sitemaps"]:
        out.print("sitemaps in robots.txt: " + ", ".join(found["sitemaps"]), soft_wrap=True)


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending migrations to the warehouse."""
    from newsmon import pipeline

    applied = pipeline.migrate_warehouse(_settings())
    out.print(f"applied migrations: {applied or 'none (up to date)'}")


@db_app.command("status")
def db_status() -> None:
    """Show applied and pending migrations."""
    from newsmon import pipeline

    for version, name, applied in pipeline.migration_status(_settings()):
        out.print(f"{version:04d} {name}: {'applied' if applied else 'pending'}")


@db_app.command("publish")
def db_publish() -> None:
    """Publish the readers' snapshot now (load, classify and cluster publish one after they commit)."""
    from newsmon import pipeline

    path = pipeline.publish_warehouse(_settings())
    out.print(f"snapshot published: {path}" if path else "DuckLake: readers attach the lake itself, no snapshot",
              soft_wrap=True, highlight=False)


@db_app.command("reindex")
def db_reindex() -> None:
    """Rebuild the full-text search index (each load does this itself)."""
    from newsmon import pipeline

    count = pipeline.reindex(_settings())
    out.print(f"search index rebuilt over {count} articles")


@app.command()
def cluster() -> None:
    """Group the articles that have no story yet into stories (classify does not; run does)."""
    from newsmon import pipeline

    with _progress() as progress:
        progress.add_task("grouping articles into stories", total=None)
        count = pipeline.cluster_unclustered(_settings())
    out.print(f"{count} articles grouped into stories")


@app.command()
def label(
    article_id: Annotated[str, typer.Argument(help="articles.article_id (see flagged_articles, newsmon search).")],
    label_name: Annotated[str, typer.Argument(metavar="LABEL", help="integration or decentralization.")],
    verdict: Annotated[str, typer.Argument(help="right or wrong (of the current model's answer), or yes/no to set it.")],
    note: Annotated[str | None, typer.Option(help="Why, in a few words.")] = None,
) -> None:
    """Correct the classifier: mark its answer on an article right or wrong (used by train --with-feedback)."""
    from newsmon import pipeline

    user = os.environ.get("NEWSMON_USER") or os.environ.get("USER") or None
    row = pipeline.label_article(_settings(), article_id, label_name, verdict, note=note, user=user)
    said = "flagged" if row["model_flagged"] else "did not flag"
    judged = f"the model {said} it ({row['verdict']}); " if row["model_version"] else ""
    answer = "applies" if row["value"] else "does not apply"
    out.print(f"{article_id} {label_name}: {judged}recorded that the label {answer}", soft_wrap=True)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words to find in titles and texts, e.g. \"humanoid robots\".")],
    label: Annotated[str | None, typer.Option(help="Only articles the current model flags: integration or decentralization.")] = None,
    since: Annotated[str | None, typer.Option(help="Only articles published on or after this date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many results.")] = 20,
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json (JSON lines).")] = "table",
    live: Annotated[bool, typer.Option("--live", help="Search the writer's file instead of the readers' snapshot.")] = False,
) -> None:
    """Full-text search over titles and texts, best match (BM25) first."""
    from newsmon import pipeline

    if format not in ("table", "csv", "json"):
        raise typer.BadParameter("must be table, csv or json", param_hint="--format")
    hits = pipeline.search_articles(_settings(), query, label=label, since=_parse_date(since, "--since"),
                                    limit=limit, live=live)
    if not hits:
        err.print(f"no articles match {query!r}")
        return
    columns = ["score", "published_at", "source", "title", "labels", "article_id", "url"]
    rows = [(round(h.score, 3), h.published_at, h.source, h.title, ", ".join(h.labels), h.article_id, h.url)
            for h in hits]
    _print_rows(columns, rows, format)


@app.command()
def export(
    destination: Annotated[Path, typer.Argument(help="Folder (parquet) or file (csv) to create; must not exist or be empty.")],
    format: Annotated[str, typer.Option("--format", "-f", help="parquet (one folder per ISO week) or csv.")] = "parquet",
    since: Annotated[str | None, typer.Option(help="Only articles published on or after this date (YYYY-MM-DD).")] = None,
    text: Annotated[bool, typer.Option("--text/--no-text", help="Include the article text.")] = True,
) -> None:
    """Export articles with the current model's scores, sectors and stories for other tools."""
    from newsmon import pipeline

    result = pipeline.export(_settings(), destination, fmt=format, since=_parse_date(since, "--since"), text=text)
    if not result["rows"]:
        out.print("no articles to export: nothing written")
        return
    out.print(f"{result['rows']} articles ({result['weeks']} weeks) written to {result['path']}", soft_wrap=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1; any other needs NEWSMON_SERVE__TOKEN).")] = None,
    port: Annotated[int | None, typer.Option(min=0, max=65535, help="Port (default 8050).")] = None,
    live: Annotated[bool, typer.Option("--live", help="Read the writer's file instead of the readers' snapshot (pages then wait for a running load).")] = False,
) -> None:
    """The review web app: this week's flagged stories, trends, search, articles, sources, feedback."""
    from newsmon import pipeline
    from newsmon.web.app import check_binding
    from newsmon.web.app import serve as run_app

    settings = _settings()
    host = host or settings.serve.host
    token = settings.serve.token.get_secret_value() if settings.serve.token else None
    check_binding(host, token)
    review = pipeline.open_review(settings, live=live)
    user = os.environ.get("NEWSMON_USER") or os.environ.get("USER") or "analyst"
    run_app(review, host=host, port=settings.serve.port if port is None else port, token=token, user=f"{user} (web)",
            stories_per_label=settings.serve.stories_per_label,
            on_ready=lambda url: err.print(f"newsmon review app on {url}  (reading {review.path}; Ctrl-C stops it)",
                                           soft_wrap=True, highlight=False, markup=False))


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from pydantic import ValidationError

    from newsmon.domain import NewsmonError

    try:
        app()
    except (UserError, NewsmonError) as exc:
        for line in str(exc).splitlines() or [""]:  # bad settings: one line each
            print(f"error: {line}", file=sys.stderr)
        sys.exit(1)
    except ValidationError as exc:
        from newsmon.config import describe

        for line in describe(exc).splitlines():
            print(f"error: {line}", file=sys.stderr)
        sys.exit(1)
