"""`newsmon sources check`: one fetch, entries listed, known ones marked, nothing written."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from newsmon import pipeline
from newsmon.demo import demo_sources
from newsmon.sample_site import load_manifest

pytestmark = pytest.mark.slow


def test_check_by_name_marks_entries_already_loaded_by_another_source(settings, sample_site):
    rss, atom = demo_sources(sample_site.base_url)
    settings.sources_file.write_text(yaml.safe_dump({"sources": [
        {"name": s.name, "homepage": s.homepage, "feeds": list(s.feeds), "allowed_domains": list(s.allowed_domains)}
        for s in (rss, atom)]}))
    pipeline.crawl_sources([atom], run_id="r1", settings=settings)
    pipeline.load_run(settings, "r1", [atom])
    _, before = pipeline.run_sql(settings, "select count(*) from articles")

    report = pipeline.check_source(settings, rss.name)

    manifest = load_manifest()
    in_rss = [a for a in manifest if "rss" in a["feeds"]]
    assert len(report["entries"]) == len(in_rss)
    known = {e["title"] for e in report["entries"] if not e["new"]}
    assert known == {a["title"] for a in in_rss if "atom" in a["feeds"]}
    assert report["errors"] == []
    _, after = pipeline.run_sql(settings, "select count(*) from articles")
    assert after == before


def test_check_homepage_url_discovers_feeds_and_sitemaps_as_json(tmp_path, sample_site):
    env = {**os.environ, "NEWSMON_DATA_DIR": str(tmp_path / "data"), "NEWSMON_SOURCES_FILE": str(tmp_path / "none.yaml"),
           "NEWSMON_CRAWL__ALLOW_PRIVATE_HOSTS": "1"}  # the sample site is on 127.0.0.1
    result = subprocess.run([sys.executable, "-m", "newsmon", "sources", "check", f"{sample_site.base_url}/", "--json"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["discovered"]["feeds"] == [f"{sample_site.base_url}/feeds/rss.xml", f"{sample_site.base_url}/feeds/atom.xml"]
    assert report["discovered"]["sitemaps"] == [f"{sample_site.base_url}/sitemap.xml"]
    assert {e["url"].split("?")[0].removeprefix(sample_site.base_url) for e in report["entries"]} == {
        a["path"] for a in load_manifest()}
    assert all(e["new"] for e in report["entries"])
    assert not (tmp_path / "data" / "newsmon.duckdb").exists()


def test_check_unknown_name_is_one_line_error(tmp_path):
    env = {**os.environ, "NEWSMON_DATA_DIR": str(tmp_path), "NEWSMON_SOURCES_FILE": str(tmp_path / "none.yaml")}
    result = subprocess.run([sys.executable, "-m", "newsmon", "sources", "check", "nosuch"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: 'nosuch' is neither a source in {tmp_path / 'none.yaml'} nor an http(s) URL"]
