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

The delayed path (``--rtt MS``, default 100; 0 leaves it out): the HTTPS sandbox (a
throwaway local CA, as ``tote-track sandbox --tls`` serves it) behind a proxy on loopback
that delays each direction by half the round trip (``delay_proxy.py``; the TCP handshake
stays local, so a new connection pays two round trips: TLS, then the request).
Each round, beside the programs above:

* the tracker on the delayed path, right beside the HTTPS one on loopback: its order painted,
  as a ratio of loopback (goal <= 1.1x), and when its first request went (the proxy's log);
* a bare httpx GET on a new connection on both paths (``bare_get.py``): the network's own
  cost, the difference of the two. The share of it a program hides is one minus its own
  delayed-minus-loopback time over that cost (goal >= 70% for the order painted);
* ``tote-track watch ORDER``'s first line (a pipe) and ``tote-track board``'s first sweep
  (its "updated" line) on both paths.

    python bench/startup.py [--runs 15] [--rtt 100]
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tote_track
from delay_proxy import Arrival, DelayProxy
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
BOARD_MARKER = b"updated "  # the board's status line, once a sweep succeeded
TIMELINE = ("TLS hello sent", "request sent", "answer in", "frame", "order painted")
HANDSHAKE_END = 150  # bytes: more than a TLS 1.3 Finished (and its change_cipher_spec)


async def prepare_order(sandbox: EmbeddedSandbox) -> tuple[str, str]:
    """An order the store is preparing (it will not change while we measure): its id and
    its location's."""
    async with ToteClient(sandbox.config) as client:
        control = SandboxControl(client)
        order = await control.create_order()
        for event in ("payment_completed", "accept", "start_preparing"):
            order = await control.fire_event(order.id, event)
        return order.id, order.location_id


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


def time_first_line(argv: Sequence[str]) -> float:
    """Seconds from the start until the program's first line on stdout (a pipe, as a script
    reads ``watch``)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        elapsed = time.perf_counter() - started
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        _, err = process.communicate(timeout=TIMEOUT)
    if not line:
        raise SystemExit(f"{argv[0]} printed no line; stderr:\n{err.decode(errors='replace')}")
    return elapsed


def time_bare_get(url: str, ca_file: str | None) -> float:
    """The network's own cost: a bare httpx GET on a fresh connection, in a process of its
    own (the time of the GET alone, after its imports)."""
    argv = [sys.executable, str(HERE / "bare_get.py"), url]
    if ca_file is not None:
        argv.append(ca_file)
    run = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=TIMEOUT)
    return float(run.stdout)


def hidden_shares(
    loopback: Series, delayed: Series, get_loopback: Series, get_delayed: Series
) -> list[float]:
    """Each round's share of the network's own cost (a bare GET's delayed minus loopback
    time) that the program did not pay (its delayed minus loopback time)."""
    return [
        1 - (far - near) / (get_far - get_near)
        for near, far, get_near, get_far in zip(
            loopback.times, delayed.times, get_loopback.times, get_delayed.times, strict=True
        )
    ]


def share_line(shares: list[float]) -> str:
    ordered = sorted(shares)
    low, high = ordered[len(ordered) // 4], ordered[(3 * len(ordered)) // 4]
    return f"{statistics.median(shares) * 100:3.0f}%  (rounds {low * 100:.0f}-{high * 100:.0f}%)"


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


@dataclass
class Delayed:
    """The delayed path's programs and series: HTTPS through a :class:`DelayProxy`."""

    rtt: float
    tracker: list[str]
    order_url: tuple[str, str]  # loopback, delayed
    ca_file: str | None
    watch: tuple[list[str], list[str]]
    board: tuple[list[str], list[str]]
    get: tuple[Series, Series] = (Series("GET"), Series("GET"))
    frame: Series = field(default_factory=lambda: Series("frame"))
    order: Series = field(default_factory=lambda: Series("order"))
    watch_line: tuple[Series, Series] = (Series("watch"), Series("watch"))
    board_sweep: tuple[Series, Series] = (Series("board"), Series("board"))
    proxy: DelayProxy | None = None
    timeline: dict[str, Series] = field(
        default_factory=lambda: {name: Series(name) for name in TIMELINE}
    )

    def track(self, code: bytes) -> None:
        """The tracker on the delayed path, and when its first request went and came back."""
        assert self.proxy is not None
        self.proxy.take_log()
        started = time.perf_counter()
        shown, painted = time_program(self.tracker, [code, ORDER_MARKER])
        self.frame.times.append(shown)
        self.order.times.append(painted)
        moments = first_request(self.proxy.take_log(), started, self.proxy.delay)
        for name, moment in zip(TIMELINE, (*moments, shown, painted), strict=True):
            self.timeline[name].times.append(moment)

    def measure(self, reverse: bool) -> None:
        """One round of the other programs on both paths, taking turns (``reverse``: the
        delayed path first)."""
        paths = (1, 0) if reverse else (0, 1)
        for path in paths:
            self.get[path].times.append(time_bare_get(self.order_url[path], self.ca_file))
        for path in paths:
            self.watch_line[path].times.append(time_first_line(self.watch[path]))
        for path in paths:
            (swept,) = time_program(self.board[path], [BOARD_MARKER])
            self.board_sweep[path].times.append(swept)

    def report(self, bare: Series, loopback_order: Series) -> None:
        near, far = self.get
        network = statistics.median(f - n for n, f in zip(near.times, far.times, strict=True))
        print(
            f"delayed path: HTTPS through a proxy on loopback adding {self.rtt * 1000:.0f} ms"
            " to every round trip"
        )
        print(f"  bare httpx GET, new connection (loopback) {near.median * 1000:7.0f} ms")
        print(
            f"  bare httpx GET, new connection (delayed)  {far.median * 1000:7.0f} ms"
            f"  network cost {network * 1000:.0f} ms"
        )
        print(
            "  tote-track frame (HTTPS, delayed)".ljust(43)
            + f"{self.frame.median * 1000:7.0f} ms  {ratio(self.frame, bare):5.2f}x bare"
            f"   ({spread(self.frame, bare)})"
        )
        print(
            "  tote-track order painted (HTTPS, delayed)".ljust(43)
            + f"{self.order.median * 1000:7.0f} ms  {ratio(self.order, loopback_order):5.2f}x"
            f" loopback (goal <= {GOAL}x; {spread(self.order, loopback_order)})"
        )
        hidden = hidden_shares(loopback_order, self.order, near, far)
        print(f"  network wait hidden (order painted)        {share_line(hidden)}  (goal >= 70%)")
        print(
            "  the tracker on the delayed path, ms from its start (median): "
            + ", ".join(f"{name} {self.timeline[name].median * 1000:.0f}" for name in TIMELINE)
        )
        for name, (loopback, delayed) in (
            ("watch, first line", self.watch_line),
            ("board, first sweep", self.board_sweep),
        ):
            print(f"  tote-track {name} (loopback)".ljust(43) + f"{loopback.median * 1000:7.0f} ms")
            print(
                f"  tote-track {name} (delayed)".ljust(43)
                + f"{delayed.median * 1000:7.0f} ms  {ratio(delayed, loopback):5.2f}x loopback"
                f" ({spread(delayed, loopback)})"
            )
            hidden = hidden_shares(loopback, delayed, near, far)
            print(f"  network wait hidden ({name})".ljust(43) + share_line(hidden))


def first_request(log: Sequence[Arrival], started: float, delay: float) -> tuple[float, ...]:
    """When the program's first connection began its TLS handshake, sent its first request
    and got its answer, in seconds from ``started``, read from the proxy's log (a byte
    reaches its side ``delay`` after the proxy got it).

    The request: the client's bytes after the server's first answer, once they are more
    than the handshake's last message (TLS 1.3's Finished, well under ``HANDSHAKE_END``
    bytes; a connection opened ahead sends it long before its request). The answer: the
    server's first bytes that could answer it (sent after the request reached the server;
    the session tickets TLS 1.3 sends after the handshake come before).
    """
    first = [arrival for arrival in log if arrival.connection == log[0].connection]
    hello = first[0].at
    answered = next(arrival.at for arrival in first if not arrival.up)
    sent = 0
    request = None
    for arrival in first:
        if arrival.up and arrival.at > answered:
            sent += arrival.size
            if sent > HANDSHAKE_END:
                request = arrival.at
                break
    if request is None:
        raise SystemExit("the tracker's first connection sent no request")
    answer = next(
        arrival.at for arrival in first if not arrival.up and arrival.at > request + delay
    )
    return hello - started, request - started, answer + delay - started


def delayed_programs(
    tls: EmbeddedSandbox, proxy: DelayProxy, order_id: str, location_id: str
) -> Delayed:
    far = tls.base_url.replace(f":{tls.port}/", f":{proxy.port}/")
    api = ["--token", "sandbox"]
    if tls.ca_file is not None:
        api += ["--ca-bundle", tls.ca_file]
    tote_track_exe = str(Path(sys.executable).with_name("tote-track"))

    def both(*command: str) -> tuple[list[str], list[str]]:
        return (
            [tote_track_exe, *command, "--base-url", tls.base_url, *api],
            [tote_track_exe, *command, "--base-url", far, *api],
        )

    return Delayed(
        rtt=proxy.delay * 2,
        tracker=[tote_track_exe, order_id, "--base-url", far, *api],
        order_url=(f"{tls.base_url}/orders/{order_id}", f"{far}/orders/{order_id}"),
        ca_file=tls.ca_file,
        watch=both("watch", order_id),
        board=both("board", "--location", location_id, "--quiet"),
        proxy=proxy,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (every program once each)")
    parser.add_argument(
        "--rtt",
        type=float,
        default=100.0,
        metavar="MS",
        help="round trip of the delayed path in ms (default 100; 0: loopback only)",
    )
    args = parser.parse_args()
    compile_package()
    loads = [load_average()]
    bare, floor = Series("bare"), Series("floor")
    frame = {"plain HTTP": Series("frame"), "HTTPS": Series("frame")}
    order = {"plain HTTP": Series("order"), "HTTPS": Series("order")}
    with contextlib.ExitStack() as stack:
        plain = stack.enter_context(EmbeddedSandbox())
        tls = stack.enter_context(EmbeddedSandbox(tls=True))
        trackers = {}
        delayed = None
        for transport, sandbox in (("plain HTTP", plain), ("HTTPS", tls)):
            order_id, location_id = asyncio.run(prepare_order(sandbox))
            code = short_code(order_id).encode()
            trackers[transport] = (tracker_argv(sandbox, order_id), code)
            if missing := floor_misses(sandbox, order_id):
                raise SystemExit(f"the floor lacks what a first request loads: {missing}")
        if args.rtt > 0:
            proxy = stack.enter_context(DelayProxy(("127.0.0.1", tls.port), rtt=args.rtt / 1000))
            delayed = delayed_programs(tls, proxy, order_id, location_id)
        for round_number in range(args.runs):
            bare.times += time_program([sys.executable, str(HERE / "bare_app.py")], [BARE_MARKER])
            floor.times += time_program([sys.executable, str(HERE / "floor_app.py")], [BARE_MARKER])
            # The transports take turns going first: a program started right after another
            # shares the machine with that one's exit.
            # The HTTPS tracker on the delayed path runs right beside the one on loopback.
            turns = [*trackers, "delayed"] if delayed is not None else [*trackers]
            for transport in turns[:: 1 if round_number % 2 else -1]:
                if transport == "delayed":
                    assert delayed is not None
                    delayed.track(trackers["HTTPS"][1])
                    continue
                argv, code = trackers[transport]
                shown, painted = time_program(argv, [code, ORDER_MARKER])
                frame[transport].times.append(shown)
                order[transport].times.append(painted)
            if delayed is not None:
                delayed.measure(reverse=bool(round_number % 2))
    loads.append(load_average())
    print(
        f"startup, median of {args.runs} rounds in a 100x30 pty (programs take turns);"
        f" load average {loads[0]} at the start, {loads[1]} at the end"
    )
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
    if delayed is not None:
        delayed.report(bare, order["HTTPS"])


if __name__ == "__main__":
    main()
