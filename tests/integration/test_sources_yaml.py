"""A hostile sources.yaml through the CLI: one short line on stderr, exit 1."""

import os
import subprocess
import sys

from tests.unit.test_sources import _bomb


def test_alias_bomb_gives_one_short_line_and_exit_1(tmp_path):
    bomb = tmp_path / "sources.yaml"
    bomb.write_text(_bomb(), encoding="utf-8")
    env = {**os.environ, "NEWSMON_DATA_DIR": str(tmp_path), "NEWSMON_SOURCES_FILE": str(bomb)}
    result = subprocess.run([sys.executable, "-m", "newsmon", "crawl"], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 1
    assert len(result.stderr) < 400, result.stderr[:400]
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "aliases expand" in result.stderr
    assert not list(tmp_path.glob("staging/*"))
