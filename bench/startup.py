"""Time to the first paint of a fetched order, against a bare Textual app, in one run.

Both programs run in a pseudo-terminal of 100x30. The tracker is timed until the first
item of the order (which only exists after the fetch) is on screen; the bare app until its
only line is. Runs alternate so that both see the same machine. Goal: ratio <= 1.3.

    python bench/startup.py [--runs 7] [--tls]

``--tls`` serves the sandbox over HTTPS (a throwaway CA the tracker trusts with --ca-bundle),
so the time includes loading the trusted CAs and the TLS handshake.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

from terminal import PtyProgram
from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.sandbox.server import EmbeddedSandbox

HERE = Path(__file__).parent
TIMEOUT = 30.0


async def prepare_order(sandbox: EmbeddedSandbox) -> str:
    """An order the store is preparing: it will not change while we measure."""
    async with ToteClient(sandbox.config) as client:
        control = SandboxControl(client)
        order = await control.create_order()
        for event in ("payment_completed", "accept", "start_preparing"):
            order = await control.fire_event(order.id, event)
        return order.id


def time_program(argv: list[str], marker: bytes) -> float:
    program = PtyProgram(argv)
    try:
        elapsed = program.wait_for(marker, TIMEOUT)
    finally:
        program.close()
    if elapsed is None:
        tail = program.output[-2000:].decode(errors="replace")
        raise SystemExit(f"{argv[0]} never painted {marker!r}; last output:\n{tail}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tls", action="store_true", help="HTTPS, with a local CA")
    args = parser.parse_args()
    tracker = str(Path(sys.executable).with_name("tote-track"))
    with EmbeddedSandbox(tls=args.tls) as sandbox:
        order_id = asyncio.run(prepare_order(sandbox))
        tracker_argv = [tracker, order_id, "--base-url", sandbox.base_url, "--token", "sandbox"]
        if sandbox.ca_file is not None:
            tracker_argv += ["--ca-bundle", sandbox.ca_file]
        bare_argv = [sys.executable, str(HERE / "bare_app.py")]
        bare: list[float] = []
        tracked: list[float] = []
        for _ in range(args.runs):
            bare.append(time_program(bare_argv, b"bare app ready"))
            tracked.append(time_program(tracker_argv, b"Bottled Water"))
    bare_median = statistics.median(bare)
    tracked_median = statistics.median(tracked)
    transport = "HTTPS" if args.tls else "plain HTTP"
    print(f"startup ({transport}), median of {args.runs} runs in a 100x30 pty")
    print(f"  bare Textual app, first paint        {bare_median * 1000:7.0f} ms")
    print(f"  tote-track, fetched order painted    {tracked_median * 1000:7.0f} ms")
    ratio = tracked_median / bare_median
    print(f"  ratio                                {ratio:7.2f}x (goal <= 1.3x)")


if __name__ == "__main__":
    main()
