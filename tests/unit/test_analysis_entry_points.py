"""The analyses' old commands (`python -m models.compare`, `python -m models.keys`) still run them
from models/analysis/, and a bad model or encoder directory is one line, exit 2, nothing written."""

import subprocess
import sys
from pathlib import Path

from models.analysis import results

ROOT = Path(__file__).parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def _written() -> dict[str, bytes | None]:
    return {name: results.result_path(name).read_bytes() if results.result_path(name).is_file() else None
            for name in results.FILES}


def test_keys_with_a_missing_model_directory_is_one_line(tmp_path):
    before = _written()
    done = _run("models.keys", str(tmp_path / "missing"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: no trained model at {tmp_path / 'missing'}: run `newsmon train`"]
    assert _written() == before


def test_compare_with_a_directory_that_is_not_an_encoder_is_one_line(tmp_path):
    before = _written()
    done = _run("models.compare", "--finetuned", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: {tmp_path} is not an encoder directory (no config.json)"]
    assert _written() == before
