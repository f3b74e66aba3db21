"""What the crawl and daily-run benchmarks share: the machine's description, and the peak memory and
CPU time of a process tree sampled while it runs."""

from __future__ import annotations

import os
import platform
import resource
import threading
from importlib import metadata
from pathlib import Path


def machine() -> str:
    """Cores, CPU model and memory, for a table's caption."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} cores ({model}), {memory:.0f} GiB, Python {platform.python_version()}; "
            f"load average {load:.1f} at the start")


def load_now() -> str:
    """The 1-minute load average, for the end of a table's caption: above the core count means the
    benchmark shared the CPU with other work."""
    return f"load average {os.getloadavg()[0]:.1f} at the end"


def versions(*packages: str) -> str:
    found = []
    for name in packages:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def peak_rss_mib() -> float:
    """This process's peak RSS. Not ru_maxrss: Linux carries that over from the parent across fork
    and exec, so a benchmark's child would report at least its parent's peak."""
    status = Path("/proc/self/status")
    for line in status.read_text().splitlines() if status.exists() else ():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_cpu_seconds() -> float:
    """User + system CPU of this process's finished (waited-for) descendants so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class PeakMemory:
    """Samples the summed RSS of this process's descendants (less `exclude`, e.g. the site's server)
    every `interval` seconds while in the `with` block: the peak of the tree, not of one process.

    Summed RSS counts pages that forked processes share once per process, so it is an upper bound.
    Needs psutil; without it only the largest single descendant is known (ru_maxrss of children)."""

    def __init__(self, exclude: set[int] = frozenset(), interval: float = 0.2, root: int | None = None) -> None:
        self.exclude = set(exclude)
        self.interval = interval
        self.root = root
        self.peak_bytes = 0
        self.largest_process_bytes = 0
        self._cpu: dict[tuple[int, float], float] = {}  # (pid, start time) -> CPU seconds last seen
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            import psutil
        except ImportError:
            self._psutil = None
        else:
            self._psutil = psutil

    @property
    def cpu_seconds(self) -> float | None:
        """CPU of every descendant seen, as last sampled (a process's last interval is missed)."""
        return sum(self._cpu.values()) if self._psutil else None

    @property
    def method(self) -> str:
        return "psutil, summed RSS of the process tree" if self._psutil else "ru_maxrss, largest single process"

    def _tree(self):
        psutil = self._psutil
        root = psutil.Process(self.root or os.getpid())
        skip = set()
        for pid in self.exclude:
            try:
                skip |= {pid} | {c.pid for c in psutil.Process(pid).children(recursive=True)}
            except psutil.Error:
                skip.add(pid)
        try:
            tree = root.children(recursive=True)
        except psutil.Error:
            return []
        return [p for p in tree if p.pid not in skip]

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            total = 0
            for process in self._tree():
                try:
                    with process.oneshot():
                        total += process.memory_info().rss
                        times = process.cpu_times()
                        self._cpu[(process.pid, process.create_time())] = times.user + times.system
                except self._psutil.Error:
                    continue
            self.peak_bytes = max(self.peak_bytes, total)

    def __enter__(self) -> PeakMemory:
        if self._psutil:
            self._thread = threading.Thread(target=self._sample, name="peak-memory", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        # kilobytes on Linux: the largest descendant waited for so far, this run or an earlier one
        self.largest_process_bytes = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        if not self._psutil:
            self.peak_bytes = self.largest_process_bytes
