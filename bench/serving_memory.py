"""Peak resident memory and CPU time of a server's worker processes, from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    frontier = [pid]
    while frontier:
        children = _children(frontier.pop())
        found.extend(children)
        frontier.extend(children)
    return found


def peak_rss_bytes(pid: int) -> int:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


def worker_peaks(root: int, is_worker: str) -> list[int]:
    """Peak RSS of every descendant of ``root`` whose command line contains ``is_worker``
    (or of every descendant that has no children itself, when ``is_worker`` is empty)."""
    peaks = []
    for pid in descendants(root):
        try:
            cmd = command_line(pid)
            if (is_worker and is_worker in cmd) or (not is_worker and not _children(pid)):
                peaks.append(peak_rss_bytes(pid))
        except OSError:
            continue
    return peaks


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def worker_cpu_seconds(root: int, is_worker: str) -> float:
    """CPU seconds used by the worker processes of ``root`` (as in :func:`worker_peaks`)."""
    total = 0.0
    for pid in descendants(root):
        try:
            cmd = command_line(pid)
            if (is_worker and is_worker in cmd) or (not is_worker and not _children(pid)):
                total += cpu_seconds(pid)
        except OSError:
            continue
    return total
