"""A hostile sources.yaml through the CLI: one short line on stderr, exit 1."""

import os
import subprocess
import sys


def _bomb(levels: int = 9) -> str:
    """~430 bytes of nested aliases that expand to 9**levels strings (the billion laughs)."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{n}: &l{n} [" + ",".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, levels)]
    return "\n".join(lines) + (f"\nsources:\n  - name: *l{levels - 1}\n"
                               "    homepage: https://x.example/\n    feeds: [https://x.example/f]\n")


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
