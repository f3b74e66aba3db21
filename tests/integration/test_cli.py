"""The CLI as a user runs it: a subprocess, one-line errors, exit codes."""

import json
from pathlib import Path

import pytest

from tests.support.cli import newsmon


def test_help_lists_the_commands(tmp_path):
    result = newsmon("--help", data_dir=tmp_path)
    assert result.returncode == 0
    for command in ("run", "crawl", "load", "classify", "digest", "sql", "extract", "train"):
        assert command in result.stdout


def test_sql_on_missing_warehouse_is_one_clear_line(tmp_path):
    result = newsmon("sql", "select 1", data_dir=tmp_path / "nowhere")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: warehouse not found at {tmp_path / 'nowhere' / 'newsmon.duckdb'}: "
        "run `newsmon run` or `newsmon db migrate` first"
    ]
    assert "Traceback" not in result.stderr


def test_sql_refuses_writes_without_flag_and_allows_with_it(tmp_path):
    assert newsmon("db", "migrate", data_dir=tmp_path).returncode == 0
    refused = newsmon("sql", "delete from articles", data_dir=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: refused: the warehouse is opened read-only")
    assert len(refused.stderr.strip().splitlines()) == 1
    allowed = newsmon("sql", "insert into sources values ('x', 'https://x/', [], [], [], true)",
                      "--write", data_dir=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    rows = newsmon("sql", "select name, enabled from sources", "--format", "json", data_dir=tmp_path)
    assert [json.loads(line) for line in rows.stdout.splitlines()] == [{"name": "x", "enabled": True}]
    csv_rows = newsmon("sql", "select name from sources", "--format", "csv", data_dir=tmp_path)
    assert csv_rows.stdout.splitlines() == ["name", "x"]


def test_sql_syntax_error_is_one_line(tmp_path):
    newsmon("db", "migrate", data_dir=tmp_path)
    result = newsmon("sql", "selec nothing", data_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: query failed:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_db_status_lists_applied_migrations(tmp_path):
    newsmon("db", "migrate", data_dir=tmp_path)
    result = newsmon("db", "status", data_dir=tmp_path)
    assert "0001 initial: applied" in result.stdout


def test_bad_sources_file_is_one_clear_line(tmp_path):
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - name: x\n    homepage: nope\n    feeds: [https://x.example/f]\n")
    result = newsmon("crawl", "--sources", str(bad), data_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {bad}: source x: homepage: not an http(s) URL: 'nope'"
    assert not (tmp_path / "staging").exists()


@pytest.mark.slow
def test_classify_jsonl_in_and_out(tmp_path, model_settings):
    records = [
        {"id": "a", "title": "Hospital network puts sepsis-prediction model to work on its wards",
         "text": "Nurses at four hospitals now get alerts from the model, which reads vital signs every "
                 "fifteen minutes; the health system says escalations reached doctors an hour earlier."},
        {"id": "b", "title": "", "text": ""},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = newsmon("classify", "--input", str(source), data_dir=model_settings.data_dir)
    assert result.returncode == 0, result.stderr
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["id"] == "a"
    assert set(first["scores"]) == {"integration", "decentralization"}
    assert all(0.0 <= p <= 1.0 for p in first["scores"].values())
    assert "integration" in first["labels"]
    assert second == {"id": "b", "skipped": "empty title and text"}


def test_classify_with_corrupt_model_is_one_line(tmp_path):
    models = tmp_path / "models"
    (models / "broken").mkdir(parents=True)
    (models / "broken" / "config.json").write_text("{not json")
    (models / "LATEST").write_text("broken")
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "title": "t", "text": "x"}\n')
    result = newsmon("classify", "--input", str(source), data_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: model at {models / 'broken'} is ")
    assert "newsmon train" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_classify_output_into_a_missing_folder_is_one_line_before_any_scoring(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "title": "t", "text": "x"}\n')
    target = tmp_path / "nowhere" / "scores.jsonl"
    # no model at all: the folder is checked before one would be loaded
    result = newsmon("classify", "--input", str(source), "--output", str(target), data_dir=tmp_path,
                     NEWSMON_MODEL__PATH=str(tmp_path / "no-model"))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {target}: cannot write (no folder {target.parent})"
    assert not target.parent.exists()


FIXTURE = Path(__file__).parents[1] / "fixtures" / "html"


def test_extract_one_file_prints_the_article_with_canonical_url(tmp_path):
    result = newsmon("extract", str(FIXTURE / "jsonld-byline" / "page.html"), data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    assert article["title"] == "Grain cooperative runs its own crop model on farm servers"
    assert article["url"] == "https://fieldnote.example/news/2026/11/grain-cooperative-crop-model"
    assert article["author"] == "Mirela Dascalu"
    assert article["published"] == "2026-11-17T06:45:00"
    assert article["language"] == "en"
    assert article["text"].startswith("A cooperative of 340 wheat")


def test_extract_directory_prints_json_lines_with_paths(tmp_path):
    result = newsmon("extract", str(FIXTURE), "--url", "https://override.example/x", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(Path(r["path"]).parent.name for r in records) == sorted(p.name for p in FIXTURE.iterdir())
    assert all(r["url"] == "https://override.example/x" for r in records)


def test_extract_missing_file_is_one_line(tmp_path):
    result = newsmon("extract", str(tmp_path / "nope.html"), data_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.html'}: no such file or directory"


def test_digest_on_an_outdated_warehouse_asks_for_migrate(tmp_path):
    import duckdb

    con = duckdb.connect(str(tmp_path / "newsmon.duckdb"))
    con.execute("create table schema_migrations (version integer primary key, name varchar not null,"
                " applied_at timestamp not null)")
    con.close()
    result = newsmon("digest", "--week", "2026-W47", data_dir=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().endswith("run `newsmon db migrate`")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_distill_mistakes_are_one_line_and_write_nothing(tmp_path, model_settings):
    data_dir = model_settings.data_dir
    before = sorted(p.name for p in model_settings.models_dir.iterdir())
    for args, message in ((["--layers", "a,b"], "error: --layers 'a,b': give layer numbers separated by commas, "
                                                "e.g. 0,2,4"),
                          (["--layers", "0,9"], "error: layers 0,9: the teacher has layers 0-5"),
                          (["--layers", "2,0"], "error: layers 2,0: give each layer once, bottom first"),
                          (["--layers", "0,1,2,3,4,5"], "error: layers 0,1,2,3,4,5: the student must keep fewer "
                                                        "than the teacher's 6"),
                          (["--ffn", "1536"], "error: ffn 1536: keep between 1 and 1535 of the teacher's 1536 "
                                              "feed-forward neurons per layer"),
                          (["--cut-rule", "median"], "error: cut rule 'median': choose one of held-out, flag-rate")):
        result = newsmon("distill", *args, data_dir=data_dir)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [message]
    assert sorted(p.name for p in model_settings.models_dir.iterdir()) == before
    # (with no model.path and nothing under data/models, the shipped model is the one distilled)
    empty = newsmon("distill", data_dir=tmp_path / "empty", NEWSMON_MODEL__PATH=str(tmp_path / "nowhere"))
    assert empty.returncode == 1
    assert empty.stderr.strip() == "error: no trained model to distil: run `newsmon train` first"
