"""CPU and memory of the tracker while it waits between polls, beside a bare Textual app.

Both run side by side in 100x30 pseudo-terminals for the same window (default 60 s): the
tracker follows an order the store is preparing (so it polls on the preparation schedule
and redraws its freshness line once a second); the bare app shows one line. Goal: the
tracker stays under 1% of a core.

    python bench/idle.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from startup import prepare_order
from terminal import PtyProgram, cpu_seconds, rss_mib
from tote_track.sandbox.server import EmbeddedSandbox

HERE = Path(__file__).parent
SETTLE = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    tracker = str(Path(sys.executable).with_name("tote-track"))
    with EmbeddedSandbox() as sandbox:
        order_id, _ = asyncio.run(prepare_order(sandbox))
        programs = {
            "bare Textual app": PtyProgram([sys.executable, str(HERE / "bare_app.py")]),
            "tote-track (preparing)": PtyProgram(
                [tracker, order_id, "--base-url", sandbox.base_url, "--token", "sandbox"]
            ),
        }
        try:
            for name, program in programs.items():
                marker = b"bare app ready" if name.startswith("bare") else b"Bottled Water"
                if program.wait_for(marker, 30.0) is None:
                    raise SystemExit(f"{name} did not start")
            time.sleep(SETTLE)
            before = {name: cpu_seconds(p.pid) for name, p in programs.items()}
            started = time.perf_counter()
            deadline = started + args.seconds
            while time.perf_counter() < deadline:
                for program in programs.values():
                    program.drain(timeout=0.05)
            window = time.perf_counter() - started
            after = {name: cpu_seconds(p.pid) for name, p in programs.items()}
            rss = {name: rss_mib(p.pid) for name, p in programs.items()}
        finally:
            for program in programs.values():
                program.close()
    print(f"idle, {window:.0f} s side by side in 100x30 ptys")
    for name in programs:
        share = (after[name] - before[name]) / window * 100
        print(f"  {name:26} CPU {share:5.2f}% of a core   RSS {rss[name]:6.1f} MiB")
    bare, tracked = (after[n] - before[n] for n in programs)
    print(f"  CPU seconds, tracker vs bare: {tracked:.2f} vs {bare:.2f} (goal: tracker <= 1%)")


if __name__ == "__main__":
    main()
