"""Which object stores newsmon takes (newsmon.objects.STORES) and how it tells a user what is wrong:
a URL of no known store or with no bucket fails at settings load, naming the variable; each store's
credentials come from its usual variables. The servers: tests/integration/test_object_store.py."""

from pathlib import Path

import duckdb
import pytest

from newsmon import objects
from newsmon.config import ConfigError, get_settings


@pytest.fixture
def environment(monkeypatch):
    for name in ("NEWSMON_STAGING_URL", "NEWSMON_MODELS_URL", "NEWSMON_WAREHOUSE__DATA_PATH", "NEWSMON_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_a_url_of_no_known_store_or_without_a_bucket_is_one_line_naming_the_setting(environment):
    environment.setenv("NEWSMON_STAGING_URL", "ftp://files.example/staging")
    environment.setenv("NEWSMON_MODELS_URL", "gs:///models")
    environment.setenv("NEWSMON_WAREHOUSE__DATA_PATH", "gcs://")
    with pytest.raises(ConfigError) as bad:
        get_settings()
    assert str(bad.value).splitlines() == [
        "invalid setting NEWSMON_STAGING_URL: ftp://files.example/staging: unknown object store ftp:// "
        "(use s3://, s3a://, gs://, gcs:// or a local folder)",
        "invalid setting NEWSMON_MODELS_URL: gs:///models: no bucket (write gs://BUCKET/PREFIX)",
        "invalid setting NEWSMON_WAREHOUSE__DATA_PATH: gcs://: no bucket (write gcs://BUCKET/PREFIX)"]


def test_buckets_folders_and_file_urls_are_taken(environment, tmp_path: Path):
    environment.setenv("NEWSMON_STAGING_URL", "gs://newsmon-shared/staging")
    environment.setenv("NEWSMON_MODELS_URL", f"file://{tmp_path}/models")
    environment.setenv("NEWSMON_WAREHOUSE__DATA_PATH", str(tmp_path / "lake"))
    settings = get_settings()
    assert settings.staging_url == "gs://newsmon-shared/staging"
    assert objects.store_for(settings.staging_url) is objects.STORES["gcs"] is objects.GCS


def test_gcsfs_uses_no_credentials_only_for_an_emulator_and_never_guesses():
    options = objects.GCS.options
    assert options({"STORAGE_EMULATOR_HOST": "127.0.0.1:9023"}) == {"token": "anon"}
    # a key file wins over the emulator; without either, Application Default Credentials or one line
    # (gcsfs's own default would fall back to anonymous access without a word)
    assert options({"STORAGE_EMULATOR_HOST": "127.0.0.1:9023", "GOOGLE_APPLICATION_CREDENTIALS": "/k.json"}) == {
        "token": "google_default"}
    assert options({}) == {"token": "google_default"}


def test_duckdb_secrets_come_from_each_stores_usual_variables():
    assert objects.GCS.secret({"GS_ACCESS_KEY_ID": "GOOG1EXAMPLE", "GS_SECRET_ACCESS_KEY": "s3cr3t",
                               "AWS_ACCESS_KEY_ID": "not-this"}) == {"key_id": "GOOG1EXAMPLE", "secret": "s3cr3t"}
    assert objects.GCS.secret({"GS_ACCESS_KEY_ID": "k", "GS_SECRET_ACCESS_KEY": "s",
                               "NEWSMON_GS_ENDPOINT_URL": "http://127.0.0.1:9000"}) == {
        "key_id": "k", "secret": "s", "endpoint": "127.0.0.1:9000", "use_ssl": "false", "url_style": "path"}
    s3 = objects.S3.secret({"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "eu-north-1",
                            "AWS_ENDPOINT_URL": "https://minio.internal:9000"})
    assert {name: value for name, value in s3.items() if value} == {
        "key_id": "k", "secret": "s", "region": "eu-north-1", "endpoint": "minio.internal:9000", "use_ssl": "true",
        "url_style": "path"}


def test_a_gs_lake_without_an_hmac_key_is_one_line_and_makes_no_secret(monkeypatch):
    from warehouse.db import extension_options
    from warehouse.objects import configure_duckdb

    for name in ("GS_ACCESS_KEY_ID", "GS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "an-s3-key-is-no-gcs-key")
    con = duckdb.connect(":memory:", config=extension_options())
    with pytest.raises(objects.ObjectStoreError) as missing:
        configure_duckdb(con, "gs://newsmon-lake/warehouse/")
    assert str(missing.value) == (
        "gs://newsmon-lake/warehouse/: no Google Cloud Storage key for DuckDB's data files; set GS_ACCESS_KEY_ID "
        "and GS_SECRET_ACCESS_KEY, an HMAC key (NEWSMON_GS_ENDPOINT_URL)")
    assert con.execute("select count(*) from duckdb_secrets()").fetchone() == (0,)
