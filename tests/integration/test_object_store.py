"""Object storage for what workers share, against moto's S3 server on 127.0.0.1: files through
fsspec/s3fs (newsmon.objects), and a DuckLake on a real PostgreSQL whose data files DuckDB writes
to the bucket through httpfs (warehouse.objects), credentials from the AWS variables only."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from newsmon.domain import Article, article_id, content_hash
from tests.object_store import SECRET, MotoServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    with MotoServer(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture
def aws(moto, monkeypatch):
    for name, value in moto.environment().items():
        monkeypatch.setenv(name, value)
    return moto




def test_a_folder_goes_up_and_comes_back_byte_for_byte(aws, tmp_path: Path):
    from newsmon import objects

    bucket = aws.make_bucket("roundtrip")
    run = tmp_path / "staging" / "2026-12-01"
    (run / "nested").mkdir(parents=True)
    (run / "alpha.jsonl").write_bytes(b'{"a": 1}\n' * 1000)
    (run / "alpha.json").write_text(json.dumps({"articles": 1000}), encoding="utf-8")
    (run / "nested" / "beta.jsonl").write_bytes(bytes(range(256)))
    assert objects.upload(run, f"{bucket}/staging/2026-12-01") == 3
    assert aws.keys("roundtrip") == ["staging/2026-12-01/alpha.json", "staging/2026-12-01/alpha.jsonl",
                                     "staging/2026-12-01/nested/beta.jsonl"]
    back = tmp_path / "elsewhere"
    assert objects.download(f"{bucket}/staging/2026-12-01", back) == 3
    for path in run.rglob("*"):
        if path.is_file():
            assert (back / path.relative_to(run)).read_bytes() == path.read_bytes()
    assert not list(back.rglob(".*.part"))
    objects.write_text(f"{bucket}/models/LATEST", "frozen-1234")
    assert objects.read_text(f"{bucket}/models/LATEST") == "frozen-1234"
    assert objects.exists(f"{bucket}/models/LATEST") and not objects.exists(f"{bucket}/models/NONE")


def test_failures_are_one_line_naming_the_url_and_never_the_secret(aws, tmp_path: Path):
    from newsmon import objects

    with pytest.raises(objects.ObjectStoreError) as missing:
        objects.read_text("s3://no-such-bucket/models/LATEST")
    assert str(missing.value).startswith("cannot read s3://no-such-bucket/models/LATEST: ")
    (tmp_path / "f.txt").write_text("x", encoding="utf-8")
    with pytest.raises(objects.ObjectStoreError) as refused:
        objects.upload(tmp_path / "f.txt", "s3://no-such-bucket/f.txt")
    message = str(refused.value)
    assert "\n" not in message and SECRET not in message and message.startswith("cannot write s3://no-such-bucket/f.txt")


def _articles(n: int) -> list[dict]:
    records = []
    for i in range(n):
        url = f"https://news.example/{i}"
        text = f"Body of article {i} about robots in warehouses."
        records.append(Article(article_id=article_id(url), url=url, canonical_url=url, source="s1",
                               title=f"Title {i}", text=text, fetched_at=datetime(2026, 12, 1, 8, i % 60),
                               published_at=datetime(2026, 12, 1, 7, i % 60), published_from="feed",
                               content_hash=content_hash(text)).to_record())
    return records


def test_a_ducklake_on_postgres_keeps_its_data_files_in_the_bucket(aws, postgres, tmp_path: Path):
    from warehouse.db import WarehouseError, check_current, migrate, open_target, write_transaction
    from warehouse.load import upsert_articles

    bucket = aws.make_bucket("lake")
    dsn = postgres.create_database("lake_s3")
    url = f"ducklake:postgres:{dsn}"
    data_path = f"{bucket}/warehouse/"
    # a worker's write open finds no lake there: one line, and nothing made in the catalog database
    with pytest.raises(WarehouseError, match=r"^no DuckLake at .*: create it once with `newsmon db migrate`$"):
        open_target(url, data_path=data_path, create=False)
    import psycopg

    conninfo = dsn
    with psycopg.connect(conninfo) as pg:
        assert pg.execute("select count(*) from information_schema.tables where table_schema = 'public'"
                          ).fetchone()[0] == 0
    # newsmon db migrate: created once, explicitly
    lake = open_target(url, data_path=data_path, create=True)
    migrate(lake)
    staging = tmp_path / "s1.jsonl"
    staging.write_text("".join(json.dumps(r, default=str) + "\n" for r in _articles(50)), encoding="utf-8")
    counts = write_transaction(lake, lambda: upsert_articles(lake, [staging]))
    assert counts["inserted"] == 50
    lake.close()
    parquet = [k for k in aws.keys("lake", "warehouse/") if k.endswith(".parquet")]
    assert parquet, "no data file in the bucket"
    # another process's view: attach without naming the data path (the catalog keeps it)
    again = open_target(url, create=False)
    check_current(again, url)
    assert again.execute("select count(*), count(distinct article_id) from articles").fetchone() == (50, 50)
    files = again.execute("select data_file from ducklake_list_files('lake', 'articles')").fetchall()
    assert files and all(f[0].startswith("s3://lake/warehouse/") for f in files)
    secrets = again.execute("select secret_string from duckdb_secrets()").fetchall()
    assert secrets and all(SECRET not in s[0] for s in secrets)
    again.close()
    # a reader's sandbox reads the lake's own prefix in the bucket and nothing else there
    from warehouse.sandbox import open_sandbox

    reader = open_sandbox(url, data_path=data_path)
    assert reader.execute("select count(*) from articles").fetchone() == (50,)
    aws.make_bucket("elsewhere")
    with pytest.raises(Exception, match="(?i)permission|access"):
        reader.execute("select * from read_csv('s3://elsewhere/x.csv')").fetchall()
    reader.close()
