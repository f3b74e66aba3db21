"""The readers' snapshot on disk (warehouse.snapshot): a new copy only when the warehouse changed,
one copy kept, old copies unlinked yet readable by whoever has them open, and readers in another
process see the old database or the new one, never part of one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from warehouse.snapshot import clone_file, current_copy, publish_snapshot, versions_dir


@pytest.fixture
def writer(tmp_path: Path):
    con = duckdb.connect(str(tmp_path / "newsmon.duckdb"))
    con.execute("create table t as select 1 as version, range as n from range(1000)")
    yield con
    con.close()


def _bump(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """Every row of t says `version`, and there are 1000 * version rows: a reader can tell a whole
    database from part of one."""
    con.execute("begin")
    con.execute("update t set version = ?", [version])
    con.execute("insert into t select ?, range from range(1000)", [version])
    con.execute("commit")


def _copies(target: Path) -> list[Path]:
    return sorted(versions_dir(target).glob("*.duckdb"))


def test_a_new_copy_only_when_the_warehouse_changed_and_only_the_current_one_kept(writer, tmp_path):
    target = tmp_path / "newsmon.snapshot.duckdb"
    first = publish_snapshot(writer, target)
    assert first is not None and current_copy(target) == first
    stat = first.stat()
    assert publish_snapshot(writer, target) == first  # nothing changed: no copy
    writer.execute("select count(*) from t").fetchall()
    assert publish_snapshot(writer, target) == first and first.stat().st_mtime_ns == stat.st_mtime_ns
    assert _copies(target) == [first]

    _bump(writer, 2)
    second = publish_snapshot(writer, target)
    assert second != first and _copies(target) == [second] and not first.exists()
    with duckdb.connect(str(target), read_only=True) as reader:
        assert reader.execute("select count(*), min(version) from t").fetchone() == (2000, 2)
    # a temporary file a killed publish left is removed by the next publish
    (versions_dir(target) / ".killed.tmp").write_bytes(b"half")
    _bump(writer, 3)
    third = publish_snapshot(writer, target)
    assert sorted(versions_dir(target).iterdir()) == [third]


def test_an_old_copy_stays_readable_while_open_and_is_freed_when_closed(writer, tmp_path):
    target = tmp_path / "newsmon.snapshot.duckdb"
    old = publish_snapshot(writer, target)
    reader = duckdb.connect(str(target), read_only=True)
    assert reader.execute("select count(*) from t").fetchone() == (1000,)
    _bump(writer, 2)
    new = publish_snapshot(writer, target)
    assert _copies(target) == [new] and not old.exists()  # no longer on the listing...
    assert reader.execute("select count(*), max(version) from t").fetchone() == (1000, 1)  # ...still read whole

    def held() -> list[str]:
        fds = Path("/proc/self/fd")
        found = []
        for fd in fds.iterdir():
            try:
                found.append(os.readlink(fd))
            except OSError:
                pass
        return [name for name in found if name.startswith(str(old))]

    assert held() == [f"{old} (deleted)"]  # the kernel keeps the unlinked copy for its reader
    reader.close()
    assert held() == []  # and frees it when the reader lets go


def test_readers_in_another_process_see_old_or_new_never_half(writer, tmp_path):
    target = tmp_path / "newsmon.snapshot.duckdb"
    publish_snapshot(writer, target)
    stop = tmp_path / "stop"
    script = textwrap.dedent(f"""
        import os, sys, duckdb
        seen = []
        while not os.path.exists({str(stop)!r}):
            try:
                con = duckdb.connect({str(target)!r}, read_only=True)
            except duckdb.Error as exc:
                print("open failed:", exc, file=sys.stderr)
                sys.exit(1)
            rows, low, high = con.execute("select count(*), min(version), max(version) from t").fetchone()
            con.close()
            if not (low == high and rows == 1000 * low):
                print("half a database:", rows, low, high, file=sys.stderr)
                sys.exit(1)
            if seen and low < seen[-1]:
                print("went back from", seen[-1], "to", low, file=sys.stderr)
                sys.exit(1)
            seen.append(low)
        print(len(seen), len(set(seen)))
    """)
    reader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        for version in range(2, 26):
            _bump(writer, version)
            publish_snapshot(writer, target)
            assert len(_copies(target)) == 1
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    reads, versions = map(int, out.split())
    assert reads >= 1 and versions >= 1
    with duckdb.connect(str(target), read_only=True) as last:
        assert last.execute("select count(*), min(version) from t").fetchone() == (25000, 25)


@pytest.mark.parametrize("methods", [("clone", "range", "copy"), ("range",), ("copy",)])
def test_the_copy_is_the_same_bytes_whichever_way_it_is_made(tmp_path, methods):
    source = tmp_path / "source"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    target = tmp_path / "target"
    with source.open("rb") as data, target.open("wb") as out:
        used = clone_file(data.fileno(), out.fileno(), methods=methods)
    assert used in methods
    assert target.read_bytes() == source.read_bytes()
