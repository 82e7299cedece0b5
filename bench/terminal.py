"""Run a program in a pseudo-terminal of a fixed size, as a person's terminal would."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class PtyProgram:
    """A child process attached to a pty; its output is drained into ``output``."""

    argv: Sequence[str]
    columns: int = 100
    rows: int = 30
    env: dict[str, str] | None = None
    output: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        self._master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.columns, 0, 0))
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("TERM", "xterm-256color")
        env.setdefault("COLORTERM", "truecolor")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            list(self.argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)

    @property
    def pid(self) -> int:
        return self.process.pid

    def drain(self, timeout: float = 0.05) -> None:
        ready, _, _ = select.select([self._master], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                return
            self.output.extend(chunk)

    def wait_for(self, marker: bytes, timeout: float) -> float | None:
        """Seconds from start until ``marker`` appeared in the output, or None."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self.drain()
            if marker in self.output:
                return time.perf_counter() - self.started
            if self.process.poll() is not None:
                self.drain()
                return None
        return None

    def pump(self, seconds: float) -> None:
        """Keep reading the output for ``seconds`` (a real terminal always reads)."""
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            self.drain(timeout=min(0.2, max(0.0, deadline - time.perf_counter())))

    def send(self, data: bytes) -> None:
        os.write(self._master, data)

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        os.close(self._master)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")
