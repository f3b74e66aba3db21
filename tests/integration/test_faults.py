"""Faults from the machine and from bad files: each is one clear line, a non-zero exit, and nothing
written to the warehouse."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.support.cli import newsmon


@pytest.fixture
def tiny_fs(tmp_path: Path):
    """A 64 KB tmpfs: room for a few staged articles, not for a day."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {result.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _count_articles(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select count(*) from articles").fetchone()[0]
    finally:
        con.close()


@pytest.mark.slow
def test_disk_full_while_staging_fails_the_run_clearly_and_leaves_the_warehouse_untouched(
        tmp_path: Path, tiny_fs: Path, sample_site):
    warehouse = tmp_path / "warehouse.duckdb"
    sources = tmp_path / "sources.yaml"
    base = sample_site.base_url
    sources.write_text(yaml.safe_dump({"sources": [
        {"name": "ledger-rss", "homepage": f"{base}/", "feeds": [f"{base}/feeds/rss.xml"],
         "allowed_domains": ["127.0.0.1"], "allow_private_hosts": True}]}), encoding="utf-8")
    env = {"NEWSMON_WAREHOUSE__URL": str(warehouse), "NEWSMON_SOURCES_FILE": str(sources),
           "NEWSMON_CRAWL__DOWNLOAD_DELAY": "0", "NEWSMON_CRAWL__AUTOTHROTTLE": "false"}
    assert newsmon("db", "migrate", data_dir=tiny_fs, **env).returncode == 0
    result = newsmon("run", "--date", "2026-11-23", data_dir=tiny_fs, **env)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: staging of run 2026-11-23 is incomplete (ledger-rss: ")
    assert "No space left on device" in last and "the warehouse was not touched" in last
    assert _count_articles(warehouse) == 0


def test_corrupt_warehouse_file_is_one_line(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "newsmon.duckdb").write_bytes(b"this is not a database\n" * 500)
    result = newsmon("sql", "select 1", data_dir=data)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        result.stderr.strip()] and result.stderr.startswith(f"error: cannot open warehouse {data / 'newsmon.duckdb'}: ")
    assert (data / "newsmon.duckdb").read_bytes() == b"this is not a database\n" * 500  # left as it was


@pytest.mark.parametrize("make", ["directory", "binary"])
def test_unreadable_sources_file_is_one_line(tmp_path: Path, make: str):
    sources = tmp_path / "sources.yaml"
    if make == "directory":
        sources.mkdir()
    else:
        sources.write_bytes(b"\xff\xfe\x00sources: [\x81\x82")
    result = newsmon("sources", "list", data_dir=tmp_path / "data", NEWSMON_SOURCES_FILE=str(sources))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {sources}")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "newsmon.duckdb").exists()


def test_missing_model_directory_is_one_line(tmp_path: Path):
    result = newsmon("classify", "--input", "-", data_dir=tmp_path / "data", stdin='{"id": 1, "title": "t", "text": "x"}\n',
                     NEWSMON_MODEL__PATH=str(tmp_path / "no-such-model"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: no trained model at {tmp_path / 'no-such-model'}: "
                                                  "run `newsmon train`"]
