"""newsmon.files.write_atomically: the whole new file or the old one, never a part, no leftovers."""

from pathlib import Path

import pytest

from newsmon.files import write_atomically


def test_writes_text_and_bytes_and_replaces_what_was_there(tmp_path: Path):
    target = tmp_path / "out.json"
    assert write_atomically(target, "first ✓") == target
    assert target.read_text(encoding="utf-8") == "first ✓"
    write_atomically(target, b"\x00second")
    assert target.read_bytes() == b"\x00second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temporary file left


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path: Path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(TypeError):
        write_atomically(target, 42)  # neither text nor bytes: fails while writing the temporary file
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "missing" / "out.txt", "x")
