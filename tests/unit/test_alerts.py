"""Alert text: what a failure mail says, and that it carries no secret and no markup from the web."""

from types import SimpleNamespace

from newsmon.alerts import clean, describe
from newsmon.pipeline import HealthReport


def test_clean_strips_markup_and_masks_secrets():
    text = clean('fetch failed: <html><script>alert(1)</script><b>502</b></html> via'
                 ' https://bob:hunter2@proxy.example/ password=s3cret token: abc123 and HUSH',
                 secrets=("HUSH",))
    assert "<" not in text and ">" not in text
    for secret in ("hunter2", "s3cret", "abc123", "HUSH"):
        assert secret not in text
    assert "502" in text and "https://***@proxy.example/" in text
    assert clean("invalid hostname: feeds:hunter2@127.0.0.1") == "invalid hostname: ***@127.0.0.1"
    assert clean("at 10:30 the feed moved to a@b.org") == "at 10:30 the feed moved to a@b.org"


def test_a_task_failure_names_the_task_the_run_and_the_cleaned_error():
    ti = SimpleNamespace(dag_id="newsmon_daily", run_id="scheduled__2026-11-22", task_id="check_health",
                         map_index=-1, try_number=1, log_url="http://airflow/log")
    subject, body = describe({"ti": ti, "exception": RuntimeError("dead: <p>gone</p> password=x1")})
    assert subject == "newsmon_daily: check_health failed"
    assert "scheduled__2026-11-22" in body and "RuntimeError: dead: gone password=***" in body
    assert "http://airflow/log" in body


def test_a_run_failure_without_a_task_error_gives_the_reason():
    run = SimpleNamespace(dag_id="newsmon_daily", run_id="manual__x")
    subject, body = describe({"dag_run": run, "reason": "timed_out"})
    assert subject == "newsmon_daily: run failed (timed_out)" and "manual__x" in body


def test_health_fails_above_the_share_or_on_a_broken_source_and_lists_them():
    fine = HealthReport("2026-11-22", sources=4, failed=[("a", "http 500")], broken=[], max_failed_share=0.5)
    assert fine.ok
    half = HealthReport("2026-11-22", sources=4, failed=[("a", "x"), ("b", "y")], broken=[], max_failed_share=0.5)
    assert half.ok  # at most the share may fail
    bad = HealthReport("2026-11-22", sources=4, failed=[("a", "x"), ("b", "y"), ("c", "z " * 200)], broken=[],
                       max_failed_share=0.5)
    assert not bad.ok
    lines = bad.message().splitlines()
    assert lines[0] == "run 2026-11-22: 3 of 4 sources failed (more than 50%):"
    assert lines[1:3] == ["  a: x", "  b: y"] and len(lines[3]) < 210
    broken = HealthReport("2026-11-22", sources=4, failed=[], broken=[("d", "timeout")], max_failed_share=0.5)
    assert not broken.ok and broken.message().splitlines()[1] == "  d: timeout"
