"""Start-up of the tracker beside its baselines, side by side in one run.

Every program runs in a pseudo-terminal of 100x30; in each round they take turns, so all
of them see the same machine, and each ratio is the median of the rounds' own ratios.

* bare: a bare Textual app, until its only line is painted;
* floor: the same app importing what the first paint of an order needs (httpx and the
  transport it loads for its first request, pydantic, the API's models and client): no
  program that shows an order can start faster;
* frame: ``tote-track ORDER_ID`` until its frame is painted (the order's short code, known
  from the id, above a calm "Fetching order…");
* order: the same run, until the fetched order is painted (its first item is on screen),
  over plain HTTP and over HTTPS (the sandbox on loopback with a throwaway CA, which the
  tracker trusts with --ca-bundle: loading the trusted CAs and the handshake are paid).

Goals: frame <= 1.1x bare, order <= 1.1x floor, both over plain HTTP and over HTTPS.

    python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tote_track
from terminal import PtyProgram
from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.api.models import short_code
from tote_track.sandbox.server import EmbeddedSandbox

HERE = Path(__file__).parent
TIMEOUT = 30.0
GOAL = 1.1
BARE_MARKER = b"bare app ready"
ORDER_MARKER = b"Bottled Water"  # the prepared order's first item


async def prepare_order(sandbox: EmbeddedSandbox) -> str:
    """An order the store is preparing: it will not change while we measure."""
    async with ToteClient(sandbox.config) as client:
        control = SandboxControl(client)
        order = await control.create_order()
        for event in ("payment_completed", "accept", "start_preparing"):
            order = await control.fire_event(order.id, event)
        return order.id


def time_program(argv: Sequence[str], markers: Sequence[bytes]) -> list[float]:
    """Seconds from the start until each marker (in turn) is on screen."""
    program = PtyProgram(argv)
    times = []
    try:
        for marker in markers:
            elapsed = program.wait_for(marker, TIMEOUT)
            if elapsed is None:
                tail = program.output[-2000:].decode(errors="replace")
                raise SystemExit(f"{argv[0]} never painted {marker!r}; last output:\n{tail}")
            times.append(elapsed)
    finally:
        program.close()
    return times


@dataclass
class Series:
    label: str
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def round_ratios(measured: Series, baseline: Series) -> list[float]:
    return [m / b for m, b in zip(measured.times, baseline.times, strict=True)]


def ratio(measured: Series, baseline: Series) -> float:
    """The median of each round's own ratio: a round's load is shared by both."""
    return statistics.median(round_ratios(measured, baseline))


def spread(measured: Series, baseline: Series) -> str:
    """How the rounds' ratios spread (middle half), and the ratio of the fastest runs: on a
    shared machine the fastest run of each program is the least disturbed one."""
    ratios = sorted(round_ratios(measured, baseline))
    low, high = ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4]
    return f"rounds {low:.2f}-{high:.2f}x, fastest {min(measured.times) / min(baseline.times):.2f}x"


def tracker_argv(sandbox: EmbeddedSandbox, order_id: str) -> list[str]:
    tracker = str(Path(sys.executable).with_name("tote-track"))
    argv = [tracker, order_id, "--base-url", sandbox.base_url, "--token", "sandbox"]
    if sandbox.ca_file is not None:
        argv += ["--ca-bundle", sandbox.ca_file]
    return argv


FIRST_REQUEST = """
import asyncio, sys
import floor_app
from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
loaded = set(sys.modules)
async def fetch():
    async with ToteClient(ClientConfig({base_url!r}, "sandbox", {ca_file!r})) as client:
        await client.get_order({order_id!r})
asyncio.run(fetch())
print(" ".join(sorted(set(sys.modules) - loaded)))
"""


def floor_misses(sandbox: EmbeddedSandbox, order_id: str) -> list[str]:
    """Modules a first request loads that the floor does not import (none, or the floor is
    too low): the libraries' lazy imports (anyio's backend, say) belong to the floor."""
    script = FIRST_REQUEST.format(
        base_url=sandbox.base_url, ca_file=sandbox.ca_file, order_id=order_id
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=HERE, capture_output=True, text=True, check=True
    )
    return run.stdout.split()


def compile_package() -> None:
    """Compile tote_track's modules to bytecode, as installing the package does (pip compiles
    at install). A checkout run with PYTHONDONTWRITEBYTECODE would otherwise compile every
    module at every start: a cost users never pay."""
    compileall.compile_dir(Path(tote_track.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (every program once each)")
    args = parser.parse_args()
    compile_package()
    bare, floor = Series("bare"), Series("floor")
    frame = {"plain HTTP": Series("frame"), "HTTPS": Series("frame")}
    order = {"plain HTTP": Series("order"), "HTTPS": Series("order")}
    with EmbeddedSandbox() as plain, EmbeddedSandbox(tls=True) as tls:
        trackers = {}
        for transport, sandbox in (("plain HTTP", plain), ("HTTPS", tls)):
            order_id = asyncio.run(prepare_order(sandbox))
            code = short_code(order_id).encode()
            trackers[transport] = (tracker_argv(sandbox, order_id), code)
            if missing := floor_misses(sandbox, order_id):
                raise SystemExit(f"the floor lacks what a first request loads: {missing}")
        for round_number in range(args.runs):
            bare.times += time_program([sys.executable, str(HERE / "bare_app.py")], [BARE_MARKER])
            floor.times += time_program([sys.executable, str(HERE / "floor_app.py")], [BARE_MARKER])
            # The transports take turns going first: a program started right after another
            # shares the machine with that one's exit.
            turns = list(trackers.items())
            for transport, (argv, code) in turns[:: 1 if round_number % 2 else -1]:
                shown, painted = time_program(argv, [code, ORDER_MARKER])
                frame[transport].times.append(shown)
                order[transport].times.append(painted)
    print(f"startup, median of {args.runs} rounds in a 100x30 pty (programs take turns)")
    print(f"  bare Textual app, first paint            {bare.median * 1000:7.0f} ms")
    print(
        f"  floor (bare + httpx, pydantic, api)      {floor.median * 1000:7.0f} ms"
        f"  {ratio(floor, bare):5.2f}x bare   ({spread(floor, bare)})"
    )
    for transport in ("plain HTTP", "HTTPS"):
        print(
            f"  tote-track frame ({transport})".ljust(43)
            + f"{frame[transport].median * 1000:7.0f} ms  {ratio(frame[transport], bare):5.2f}x"
            f" bare   (goal <= {GOAL}x; {spread(frame[transport], bare)})"
        )
        print(
            f"  tote-track order painted ({transport})".ljust(43)
            + f"{order[transport].median * 1000:7.0f} ms  {ratio(order[transport], floor):5.2f}x"
            f" floor  (goal <= {GOAL}x; {spread(order[transport], floor)})"
        )


if __name__ == "__main__":
    main()
