"""Hostile or mistaken command-line input: one line on stderr, exit 1, nothing written elsewhere."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from newsmon import pipeline
from newsmon.config import Settings
from newsmon.domain import article_id
from tests.support.cli import newsmon
from tests.support.warehouse import ARTICLES


def _one_line(result) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize("run_id", ["../../x", "..", "/tmp/elsewhere", ".hidden", "a/b", "x y", "é", "a" * 101])
def test_run_id_is_a_plain_name(tmp_path: Path, run_id: str):
    data = tmp_path / "work" / "data"
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    for command in ("crawl", "load"):
        line = _one_line(newsmon(command, "--run-id", run_id, "--sources", str(sources), data_dir=data))
        assert line.startswith("error: run id ") and "not starting with a dot" in line
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["sources.yaml"]
    with pytest.raises(pipeline.PipelineError):
        pipeline.run_dir(Settings(data_dir=data), run_id)


def test_plain_run_ids_still_work(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data")
    for run_id in ("2026-11-20", "backfill_2026.W47", "r1"):
        assert pipeline.run_dir(settings, run_id) == settings.staging_dir / run_id


def test_search_limit_out_of_range(loaded: Settings):  # noqa: F811
    line = _one_line(newsmon("search", "robots", "--limit", "99999999999999999999", data_dir=loaded.data_dir))
    assert line == "error: limit 99999999999999999999: give 1 to 10,000 results"
    ok = newsmon("search", "robots", "--limit", "10000", "--format", "json", data_dir=loaded.data_dir)
    assert ok.returncode == 0, ok.stderr


def test_export_under_a_file_is_one_line(loaded: Settings, tmp_path: Path):  # noqa: F811
    existing = tmp_path / "existing.csv"
    existing.write_text("kept\n", encoding="utf-8")
    for fmt in ("csv", "parquet"):
        line = _one_line(newsmon("export", str(existing / "sub" / "out"), "--format", fmt, data_dir=loaded.data_dir))
        assert line == f"error: cannot export to {existing / 'sub' / 'out'}: {existing} is a file, not a folder"
    assert existing.read_text(encoding="utf-8") == "kept\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "existing.csv"]


def test_digest_preview_into_a_folder_is_one_line(loaded: Settings, tmp_path: Path):  # noqa: F811
    folder = tmp_path / "previews"
    folder.mkdir()
    line = _one_line(newsmon("digest", "--week", "2026-W47", "--preview", str(folder), data_dir=loaded.data_dir))
    assert line.startswith(f"error: {folder} is a folder: give the file")
    assert list(folder.iterdir()) == []
    under_file = folder / "file.html"
    under_file.write_text("x", encoding="utf-8")
    line = _one_line(newsmon("digest", "--week", "2026-W47", "--preview", str(under_file / "d.html"),
                             data_dir=loaded.data_dir))
    assert line.startswith(f"error: cannot write the digest to {under_file / 'd.html'}: ")
    assert under_file.read_text(encoding="utf-8") == "x" and sorted(folder.iterdir()) == [under_file]


def test_csv_export_neutralises_formulas(loaded: Settings, tmp_path: Path):  # noqa: F811
    titles = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)"]
    authors = ["\t=1", "\r=1", "=HYPERLINK(\"http://x\")", "Ana Ruiz"]
    con = duckdb.connect(loaded.warehouse_path)
    for n, (title, author) in enumerate(zip(titles, authors, strict=True)):
        con.execute("update articles set title = ?, author = ? where article_id = ?",
                    [title, author, article_id(f"https://news.example/{n}")])
    con.close()
    target = tmp_path / "out.csv"
    result = newsmon("export", str(target), "--format", "csv", "--no-text", data_dir=loaded.data_dir)
    assert result.returncode == 0, result.stderr
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["title"] for r in rows) == sorted("'" + t for t in titles)
    assert sorted(r["author"] for r in rows) == sorted(["'" + a for a in authors[:3]] + ["Ana Ruiz"])
    assert all(not r[c] or r[c][0] not in "=+-@\t\r" for r in rows for c in r)
    # Parquet keeps the values as they are: it is read by programs, not spreadsheets
    parquet = tmp_path / "parquet"
    assert pipeline.export(loaded, parquet, fmt="parquet")["rows"] == len(ARTICLES)
    stored = duckdb.sql(f"select title from read_parquet('{parquet}/*/*.parquet')").fetchall()
    assert sorted(t for (t,) in stored) == sorted(titles)
