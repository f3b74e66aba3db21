"""Every setting is checked when newsmon starts: a bad one is one line naming its variable and what
is wrong, exit 1, a short piece of the value at most, never a secret, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import newsmon


def _errors(tmp_path: Path, **env: str) -> list[str]:
    result = newsmon("sql", "select 1", data_dir=tmp_path, **env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("error: ") and len(line) < 300 for line in lines), lines
    return lines


@pytest.mark.parametrize(("env", "expected"), [
    ({"NEWSMON_CRAWL__SOURCE_TIMEOUT": "inf"},
     "error: invalid setting NEWSMON_CRAWL__SOURCE_TIMEOUT: Input should be a finite number"),
    ({"NEWSMON_CRAWL__DOWNLOAD_DELAY": "inf"},
     "error: invalid setting NEWSMON_CRAWL__DOWNLOAD_DELAY: Input should be a finite number"),
    ({"NEWSMON_CRAWL__DOWNLOAD_DELAY": "nan"},
     "error: invalid setting NEWSMON_CRAWL__DOWNLOAD_DELAY: Input should be a finite number"),
    ({"NEWSMON_CRAWL__DOWNLOAD_DELAY": "86400"},
     "error: invalid setting NEWSMON_CRAWL__DOWNLOAD_DELAY: Input should be less than or equal to 300"),
    ({"NEWSMON_CRAWL": "notjson"},
     "error: invalid setting NEWSMON_CRAWL: not a JSON object; set one value as NEWSMON_CRAWL__NAME"),
    ({"NEWSMON_EMAIL__SMTP_PORT": "99999"},
     "error: invalid setting NEWSMON_EMAIL__SMTP_PORT: Input should be less than or equal to 65535"),
    ({"NEWSMON_EMAIL__RECIPIENTS": "not an address"},
     "error: invalid setting NEWSMON_EMAIL__RECIPIENTS: 'not an address' is not an email address"),
    ({"NEWSMON_EMAIL__RECIPIENTS": "ana@example.org, bob"},
     "error: invalid setting NEWSMON_EMAIL__RECIPIENTS: 'bob' is not an email address"),
    ({"NEWSMON_EMAIL__SENDER": "news@example.org\r\nBcc: all@example.org"},
     "error: invalid setting NEWSMON_EMAIL__SENDER: 'news@example.org\\r\\nBcc: all@example.org' "
     "contains control characters (CR, LF, ...)"),
    ({"NEWSMON_EMAIL__TIMEZONE": "Mars/Olympus"},
     "error: invalid setting NEWSMON_EMAIL__TIMEZONE: 'Mars/Olympus' is not a time zone (e.g. UTC, Europe/Berlin)"),
    ({"NEWSMON_CRAWL__USER_AGENT": "bot\nX-Injected: 1"},
     "error: invalid setting NEWSMON_CRAWL__USER_AGENT: 'bot\\nX-Injected: 1' contains control characters (CR, LF, ...)"),
    ({"NEWSMON_WAREHOUSE__LOCK_TIMEOUT": "-inf"},
     "error: invalid setting NEWSMON_WAREHOUSE__LOCK_TIMEOUT: Input should be a finite number"),
    ({"NEWSMON_MODEL__HELD_OUT_FOLD": "5"},
     "error: invalid setting NEWSMON_MODEL__HELD_OUT_FOLD: Input should be less than or equal to 4"),
    ({"NEWSMON_ALERT__RECIPIENTS": "ops"},
     "error: invalid setting NEWSMON_ALERT__RECIPIENTS: 'ops' is not an email address"),
])
def test_bad_setting_is_one_line_naming_it(tmp_path: Path, env: dict, expected: str):
    assert _errors(tmp_path, **env) == [expected]


def test_missing_or_broken_config_file(tmp_path: Path):
    missing = tmp_path / "nope.yaml"
    assert _errors(tmp_path, NEWSMON_CONFIG_FILE=str(missing)) == [
        f"error: NEWSMON_CONFIG_FILE {str(missing)!r}: no such file"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("crawl: [unclosed\n", encoding="utf-8")
    (line,) = _errors(tmp_path, NEWSMON_CONFIG_FILE=str(broken))
    assert line.startswith(f"error: NEWSMON_CONFIG_FILE {str(broken)!r}: not readable YAML (")
    listed = tmp_path / "list.yaml"
    listed.write_text("- crawl\n", encoding="utf-8")
    (line,) = _errors(tmp_path, NEWSMON_CONFIG_FILE=str(listed))
    assert line.startswith(f"error: NEWSMON_CONFIG_FILE {str(listed)!r}: not a mapping of settings")
    bad_value = tmp_path / "bad.yaml"
    bad_value.write_text("email:\n  smtp_port: 0\n", encoding="utf-8")
    assert _errors(tmp_path, NEWSMON_CONFIG_FILE=str(bad_value)) == [
        "error: invalid setting NEWSMON_EMAIL__SMTP_PORT: Input should be greater than or equal to 1"]


def test_every_bad_setting_gets_its_line_and_secrets_stay_out(tmp_path: Path):
    lines = _errors(tmp_path, NEWSMON_EMAIL__PASSWORD="hunter2-secret", NEWSMON_EMAIL__SMTP_PORT="0",
                    NEWSMON_CRAWL__SOURCE_TIMEOUT="inf", NEWSMON_EMAIL__RECIPIENTS="x" * 10_000)
    assert len(lines) == 3
    assert {line.split(":")[1].strip() for line in lines} == {
        "invalid setting NEWSMON_EMAIL__SMTP_PORT", "invalid setting NEWSMON_CRAWL__SOURCE_TIMEOUT",
        "invalid setting NEWSMON_EMAIL__RECIPIENTS"}
    assert "x" * 80 not in "\n".join(lines)
    assert "hunter2" not in "\n".join(lines)


def test_good_settings_still_load(tmp_path: Path):
    ok = newsmon("sql", "select 1", data_dir=tmp_path, NEWSMON_EMAIL__RECIPIENTS="Ana Ruiz <ana@example.org>, b@x.org",
                 NEWSMON_EMAIL__SENDER="newsmon@localhost", NEWSMON_CRAWL__DOWNLOAD_DELAY="0",
                 NEWSMON_CRAWL='{"download_timeout": 5}', NEWSMON_EMAIL__TIMEZONE="Europe/Berlin")
    assert ok.stderr.strip().startswith("error: warehouse not found"), ok.stderr  # past the settings
