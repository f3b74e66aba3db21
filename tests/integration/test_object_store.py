"""Object storage for what workers share, on servers on 127.0.0.1: files through fsspec
(newsmon.objects) on moto's S3 server (s3fs, credentials from the AWS variables) and on
gcp-storage-emulator (gcsfs, Google's JSON API), and a DuckLake on a real PostgreSQL whose data files
DuckDB writes through httpfs (warehouse.objects) to s3:// and to gs:// (GCS's S3-compatible XML API,
served here by moto, with an HMAC key from GS_ACCESS_KEY_ID / GS_SECRET_ACCESS_KEY). Python's own
connections are held to loopback by an audit hook (tests.object_store.loopback_only)."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from newsmon.domain import Article, article_id, content_hash
from tests.object_store import KEY_ID, SECRET, GcsEmulator, MotoServer, loopback_only

pytestmark = pytest.mark.slow

GOOGLE = ("GOOGLE_APPLICATION_CREDENTIALS", "STORAGE_EMULATOR_HOST", "GS_ACCESS_KEY_ID", "GS_SECRET_ACCESS_KEY",
          "NEWSMON_GS_ENDPOINT_URL", "CLOUDSDK_CONFIG")
AWS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    with MotoServer(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    with GcsEmulator(tmp_path_factory.mktemp("gcs") / "gcs.log") as server:
        yield server


def _only(server, monkeypatch):
    """server named by the usual variables only, with every Python connection held to loopback (the
    test fails if anything tried to go elsewhere)."""
    for name in GOOGLE + AWS:
        monkeypatch.delenv(name, raising=False)
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)
    with loopback_only() as refused:
        yield server
    assert refused == [], f"connections off loopback: {refused}"


@pytest.fixture(params=["s3", "gs"])
def store(request, monkeypatch):
    """moto's S3 or the GCS emulator (_only)."""
    yield from _only(request.getfixturevalue("moto" if request.param == "s3" else "emulator"), monkeypatch)


@pytest.fixture
def google(emulator, monkeypatch):
    """The GCS emulator (_only)."""
    yield from _only(emulator, monkeypatch)


def test_a_folder_goes_up_and_comes_back_byte_for_byte(store, tmp_path: Path):
    from newsmon import objects

    bucket = store.make_bucket("roundtrip")
    run = tmp_path / "staging" / "2026-12-01"
    (run / "nested").mkdir(parents=True)
    (run / "alpha.jsonl").write_bytes(b'{"a": 1}\n' * 1000)
    (run / "alpha.json").write_text(json.dumps({"articles": 1000}), encoding="utf-8")
    (run / "nested" / "beta.jsonl").write_bytes(bytes(range(256)))
    assert objects.upload(run, f"{bucket}/staging/2026-12-01") == 3
    assert store.keys("roundtrip") == ["staging/2026-12-01/alpha.json", "staging/2026-12-01/alpha.jsonl",
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


def test_failures_are_one_line_naming_the_url_and_never_the_secret(store, tmp_path: Path):
    from newsmon import objects

    scheme = store.make_bucket("present").split(":")[0]
    with pytest.raises(objects.ObjectStoreError) as missing:
        objects.read_text(f"{scheme}://no-such-bucket/models/LATEST")
    assert str(missing.value).startswith(f"cannot read {scheme}://no-such-bucket/models/LATEST: not found: ")
    (tmp_path / "f.txt").write_text("x", encoding="utf-8")
    with pytest.raises(objects.ObjectStoreError) as refused:
        objects.upload(tmp_path / "f.txt", f"{scheme}://no-such-bucket/f.txt")
    message = str(refused.value)
    assert "\n" not in message and SECRET not in message
    assert message.startswith(f"cannot write {scheme}://no-such-bucket/f.txt")


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


@pytest.fixture(params=["s3", "gs"])
def lake_store(request, moto, monkeypatch) -> str:
    """The scheme DuckDB's data files go to, on moto: s3:// with the AWS variables, or gs:// with a
    GCS HMAC key and NEWSMON_GS_ENDPOINT_URL naming moto as GCS's XML API (no AWS variable set)."""
    for name in GOOGLE + AWS:
        monkeypatch.delenv(name, raising=False)
    google = {"GS_ACCESS_KEY_ID": KEY_ID, "GS_SECRET_ACCESS_KEY": SECRET, "NEWSMON_GS_ENDPOINT_URL": moto.endpoint}
    for name, value in (moto.environment() if request.param == "s3" else google).items():
        monkeypatch.setenv(name, value)
    return request.param


def test_a_ducklake_on_postgres_keeps_its_data_files_in_the_bucket(lake_store, moto, postgres, tmp_path: Path):
    from warehouse.db import WarehouseError, check_current, migrate, open_target, write_transaction
    from warehouse.load import upsert_articles

    scheme = lake_store
    moto.make_bucket(f"lake-{scheme}")
    bucket = f"{scheme}://lake-{scheme}"
    dsn = postgres.create_database(f"lake_{scheme}")
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
    parquet = [k for k in moto.keys(f"lake-{scheme}", "warehouse/") if k.endswith(".parquet")]
    assert parquet, "no data file in the bucket"
    # another process's view: attach without naming the data path (the catalog keeps it)
    again = open_target(url, create=False)
    check_current(again, url)
    assert again.execute("select count(*), count(distinct article_id) from articles").fetchone() == (50, 50)
    files = again.execute("select data_file from ducklake_list_files('lake', 'articles')").fetchall()
    assert files and all(f[0].startswith(f"{bucket}/warehouse/") for f in files)
    secrets = again.execute("select secret_string from duckdb_secrets()").fetchall()
    assert secrets and all(SECRET not in s[0] for s in secrets)
    again.close()
    # a reader's sandbox reads the lake's own prefix in the bucket and nothing else there
    from warehouse.sandbox import open_sandbox

    reader = open_sandbox(url, data_path=data_path)
    assert reader.execute("select count(*) from articles").fetchone() == (50,)
    moto.make_bucket("elsewhere")
    for elsewhere in (f"{scheme}://elsewhere/x.csv", f"{'gs' if scheme == 's3' else 's3'}://lake-{scheme}/x.csv"):
        with pytest.raises(Exception, match="(?i)permission|access"):
            reader.execute(f"select * from read_csv('{elsewhere}')").fetchall()
    reader.close()


class _TokenEndpoint(BaseHTTPRequestHandler):
    """Google's OAuth token endpoint as a service account's key file names it (token_uri): takes
    the signed JWT, answers with an access token, and keeps the requests' forms."""

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.server.forms.append(form)
        body = json.dumps({"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


ACCESS_TOKEN = "ya29.newsmon-test-token-never-logged"


def _service_account_key(path: Path, token_uri: str) -> str:
    """A service-account key file (a fresh RSA key) whose token endpoint is token_uri; returns the key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "newsmon-test", "private_key_id": "k1", "private_key": pem,
        "client_email": "newsmon@newsmon-test.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": token_uri}), encoding="utf-8")
    return pem


def test_gcs_credentials_come_from_GOOGLE_APPLICATION_CREDENTIALS_and_are_never_logged(
        google, monkeypatch, tmp_path: Path, caplog):
    from newsmon import objects

    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    server.forms = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        pem = _service_account_key(tmp_path / "key.json", f"http://127.0.0.1:{server.server_port}/token")
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "key.json"))
        bucket = google.make_bucket("keyed")
        with caplog.at_level(logging.DEBUG):
            objects.write_text(f"{bucket}/models/LATEST", "frozen-5678")
            assert objects.read_text(f"{bucket}/models/LATEST") == "frozen-5678"
    finally:
        server.shutdown()
        server.server_close()
    # the key file was used: its JWT exchanged at its token endpoint for the token the requests carried
    assert server.forms and all(f["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
                                for f in server.forms)
    body = pem.splitlines()[1]
    assert ACCESS_TOKEN not in caplog.text and body not in caplog.text


def test_without_google_credentials_it_is_one_line_naming_the_variable(monkeypatch, tmp_path: Path):
    """No key file, no gcloud login, no emulator: Application Default Credentials find nothing. The
    one place ADC then asks, a Google VM's metadata server, is refused by the loopback guard (this
    machine is no Google VM, so ADC gives up)."""
    from newsmon import objects

    for name in GOOGLE:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    with loopback_only() as refused:
        with pytest.raises(objects.ObjectStoreError) as missing:
            objects.exists("gs://newsmon-shared/models/LATEST")
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "no-key.json"))
        with pytest.raises(objects.ObjectStoreError) as no_file:
            objects.exists("gs://newsmon-shared/models/LATEST")
    assert {address[0] for address in refused} <= {"169.254.169.254", "metadata.google.internal"}
    advice = ("set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or use gcloud's application-default "
              "login or a Google VM's service account (STORAGE_EMULATOR_HOST: an emulator)")
    assert str(missing.value) == ("cannot read gs://newsmon-shared/models/LATEST: no Google Cloud Storage "
                                  f"credentials (Your default credentials were not found); {advice}")
    assert str(no_file.value) == ("cannot read gs://newsmon-shared/models/LATEST: no Google Cloud Storage "
                                  f"credentials (File {tmp_path / 'no-key.json'} was not found); {advice}")


def test_bad_object_store_settings_stop_the_cli_in_one_line(tmp_path: Path):
    from tests.support.cli import newsmon

    unknown = newsmon("db", "status", data_dir=tmp_path, NEWSMON_STAGING_URL="ftp://files.example/staging")
    assert (unknown.returncode, unknown.stderr) == (1, (
        "error: invalid setting NEWSMON_STAGING_URL: ftp://files.example/staging: unknown object store ftp:// "
        "(use s3://, s3a://, gs://, gcs:// or a local folder)\n"))
    catalog = tmp_path / "lake.ducklake"
    keyless = newsmon("db", "migrate", data_dir=tmp_path, NEWSMON_WAREHOUSE__URL=f"ducklake:{catalog}",
                      NEWSMON_WAREHOUSE__DATA_PATH="gs://newsmon-lake/warehouse/", GS_ACCESS_KEY_ID="",
                      GS_SECRET_ACCESS_KEY="")
    assert (keyless.returncode, keyless.stderr) == (1, (
        "error: gs://newsmon-lake/warehouse/: no Google Cloud Storage key for DuckDB's data files; set "
        "GS_ACCESS_KEY_ID and GS_SECRET_ACCESS_KEY, an HMAC key (NEWSMON_GS_ENDPOINT_URL)\n"))
    assert not catalog.exists()
