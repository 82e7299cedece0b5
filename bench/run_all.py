"""Every benchmark of ``bench/`` in one go, summed up in one table of figures and ratios.

    python bench/run_all.py [--quick] [--out bench/RESULTS.md]

Runs, one after the other (never side by side: each one compares the product with its own
baseline in the same run, so the machine's load cancels out as far as it can):

* ``startup.py``: the tracker's frame and its first paint of a fetched order (plain HTTP and
  HTTPS) beside a bare Textual app and the floor (that app importing the API's libraries);
* ``idle.py``: CPU and RSS of the tracker waiting between polls beside the bare app;
* ``board.py``: one board refresh at 2,000 and 10,000 orders (requests, pages, time, RSS);
* ``sandbox_load.py``: sandbox throughput beside a bare Starlette app.

Each script's own output is shown as it runs; then the table is printed and written to
``--out`` (Markdown) with the date, the machine (cores, load average, Python) and the
command. Sizes are modest so that the whole run takes a few minutes; ``--quick`` makes
them smaller still (a smoke run, not figures to quote).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass
class Row:
    """One line of the table: what was measured, the figure, its baseline and the goal."""

    measure: str
    figure: str
    baseline: str = ""
    ratio: str = ""
    goal: str = ""
    met: bool | None = None

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**not met**", None: ""}[self.met]


@dataclass
class Bench:
    script: str
    args: Sequence[str]
    parse: Callable[[str], list[Row]]
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""


def _search(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise ValueError(f"no line matching {pattern!r} in the output")
    return match


def parse_startup(text: str) -> list[Row]:
    bare = float(_search(r"bare Textual app, first paint\s+([\d.]+) ms", text)[1])
    floor = _search(r"floor \(bare \+ httpx, pydantic, api\)\s+([\d.]+) ms\s+([\d.]+)x", text)
    rows = [
        Row(
            "Startup: floor, the bare app importing httpx, pydantic, the API models and client",
            f"{float(floor[1]):.0f} ms",
            f"{bare:.0f} ms (bare Textual app)",
            f"{float(floor[2]):.2f}x",
        )
    ]
    for transport in ("plain HTTP", "HTTPS"):
        frame = _search(rf"tote-track frame \({transport}\)\s+([\d.]+) ms\s+([\d.]+)x", text)
        order = _search(
            rf"tote-track order painted \({transport}\)\s+([\d.]+) ms\s+([\d.]+)x", text
        )
        goal = float(_search(r"goal <= ([\d.]+)x", text)[1])
        rows += [
            Row(
                f"Startup ({transport}): tracker's frame (short code, fetching)",
                f"{float(frame[1]):.0f} ms",
                "bare Textual app",
                f"{float(frame[2]):.2f}x",
                f"<= {goal:g}x",
                float(frame[2]) <= goal,
            ),
            Row(
                f"Startup ({transport}): fetched order painted",
                f"{float(order[1]):.0f} ms",
                "floor",
                f"{float(order[2]):.2f}x",
                f"<= {goal:g}x",
                float(order[2]) <= goal,
            ),
        ]
    return rows + parse_delayed(text)


def parse_delayed(text: str) -> list[Row]:
    """The delayed path's rows, when ``startup.py`` measured one (``--rtt`` above 0)."""
    path = re.search(r"adding (\d+) ms to every round trip", text)
    if path is None:
        return []
    rtt = path[1]
    near = float(_search(r"bare httpx GET, new connection \(loopback\)\s+([\d.]+) ms", text)[1])
    far = _search(
        r"bare httpx GET, new connection \(delayed\)\s+([\d.]+) ms\s+network cost (\d+)", text
    )
    order = _search(r"order painted \(HTTPS, delayed\)\s+([\d.]+) ms\s+([\d.]+)x loopback", text)
    hidden = int(_search(r"network wait hidden \(order painted\)\s+(-?\d+)%", text)[1])
    goal = float(_search(r"goal <= ([\d.]+)x", text)[1])
    rows = [
        Row(
            f"Delayed path ({rtt} ms round trips, HTTPS): a bare httpx GET, new connection",
            f"{float(far[1]):.0f} ms",
            f"{near:.0f} ms on loopback",
            f"+{far[2]} ms: the network's own cost",
        ),
        Row(
            f"Delayed path ({rtt} ms round trips, HTTPS): fetched order painted",
            f"{float(order[1]):.0f} ms",
            "the same on loopback",
            f"{float(order[2]):.2f}x",
            f"<= {goal:g}x",
            float(order[2]) <= goal,
        ),
        Row(
            "Delayed path: share of the network's cost hidden behind start-up (order painted)",
            f"{hidden}%",
            "",
            "",
            ">= 70%",
            hidden >= 70,
        ),
    ]
    for name in ("watch, first line", "board, first sweep"):
        what = re.escape(name)
        near_ms = float(_search(rf"tote-track {what} \(loopback\)\s+([\d.]+) ms", text)[1])
        far_ms = _search(rf"tote-track {what} \(delayed\)\s+([\d.]+) ms\s+([\d.]+)x", text)
        share = int(_search(rf"network wait hidden \({what}\)\s+(-?\d+)%", text)[1])
        rows.append(
            Row(
                f"Delayed path ({rtt} ms round trips, HTTPS): {name}",
                f"{float(far_ms[1]):.0f} ms ({share}% of the network's cost hidden)",
                f"{near_ms:.0f} ms on loopback",
                f"{float(far_ms[2]):.2f}x",
            )
        )
    return rows


def parse_idle(text: str) -> list[Row]:
    window = _search(r"idle, (\d+) s side by side", text)[1]
    line = r"\s+{}\s+CPU\s+([\d.]+)% of a core\s+RSS\s+([\d.]+) MiB"
    bare_cpu, bare_rss = map(float, _search(line.format(r"bare Textual app"), text).groups())
    cpu, rss = map(float, _search(line.format(r"tote-track \(preparing\)"), text).groups())
    return [
        Row(
            f"Idle CPU: tracker between polls ({window} s window)",
            f"{cpu:.2f}% of a core",
            f"{bare_cpu:.2f}% (bare app)",
            "",
            "<= 1%",
            cpu <= 1.0,
        ),
        Row(
            "Idle RSS: tracker between polls",
            f"{rss:.1f} MiB",
            f"{bare_rss:.1f} MiB (bare app)",
            f"{rss / bare_rss:.2f}x",
        ),
    ]


BOARD_ROW = re.compile(
    r"^\s*(?P<orders>\d+)\s+(?P<requests>\d+)\s+(?P<pages>\d+)\s+(?P<sweep>[\d.]+)s\s+"
    r"(?P<model>[\d.]+)ms\s+(?P<refresh>[\d.]+)s\s+(?P<worst>[\d.]+)s\s+(?P<shown>\d+)\s+"
    r"(?P<before>\d+) / (?P<first>\d+) / (?P<after>\d+) MiB",
    re.MULTILINE,
)


def parse_board(text: str) -> list[Row]:
    soak = _search(r"RSS before / first / \+(\d+) refreshes", text)[1]
    rows = []
    for match in BOARD_ROW.finditer(text):
        orders = int(match["orders"])
        requests, pages = int(match["requests"]), int(match["pages"])
        refresh = float(match["refresh"])
        goal_time = orders >= 10_000
        rows.append(
            Row(
                f"Board: one refresh of {orders:,} orders (sweep + model + render, median)",
                f"{refresh:.2f} s (worst {float(match['worst']):.2f} s)",
                f"sweep alone {float(match['sweep']):.2f} s",
                "",
                "< 2 s" if goal_time else "",
                refresh < 2.0 if goal_time else None,
            )
        )
        rows.append(
            Row(
                f"Board: requests per refresh of {orders:,} orders",
                f"{requests} requests",
                f"{pages} pages of 100",
                f"{requests / pages:.2f}x",
                "requests = pages",
                requests == pages,
            )
        )
        growth = int(match["after"]) - int(match["first"])
        rows.append(
            Row(
                f"Board: RSS with {orders:,} orders, after 1 and {soak} more refreshes",
                f"{match['first']} / {match['after']} MiB",
                f"{match['before']} MiB before the board",
                f"{growth:+d} MiB",
            )
        )
    if not rows:
        raise ValueError("no result rows in the board benchmark's output")
    return rows


LOAD_ROW = re.compile(
    r"^(?P<name>GET /orders\S*)\s+(?P<rate>\d+)\s+(?P<ratio>[\d.]+)x\s+"
    r"(?P<cpu>\d+)\s+(?P<cpu_ratio>[\d.]+)x",
    re.MULTILINE,
)


def parse_load(text: str) -> list[Row]:
    goal = float(_search(r"goal >= ([\d.]+)x", text)[1])
    bare = {
        name: (int(rate), int(cpu))
        for name, rate, cpu in re.findall(r"^(bare \S+ JSON)\s+(\d+)\s+(\d+)$", text, re.MULTILINE)
    }
    rows = []
    for match in LOAD_ROW.finditer(text):
        name = match["name"]
        baseline = "bare order-sized JSON" if "{id}" in name else "bare page-sized JSON"
        bare_rate, bare_cpu = bare.get(baseline, (0, 0))
        ratio, cpu_ratio = float(match["ratio"]), float(match["cpu_ratio"])
        rows.append(
            Row(
                f"Sandbox: `{name}` req/s (client wall clock)",
                f"{match['rate']} req/s",
                f"{bare_rate} req/s ({baseline}, Starlette)",
                f"{ratio:.2f}x",
                f">= {goal:g}x",
                ratio >= goal,
            )
        )
        rows.append(
            Row(
                f"Sandbox: `{name}` requests per second of server CPU",
                f"{match['cpu']} req/CPU-s",
                f"{bare_cpu} req/CPU-s (Starlette)",
                f"{cpu_ratio:.2f}x",
                f">= {goal:g}x",
                cpu_ratio >= goal,
            )
        )
    if not rows:
        raise ValueError("no result rows in the sandbox load benchmark's output")
    return rows


def benches(quick: bool) -> list[Bench]:
    if quick:
        return [
            Bench("startup.py", ["--runs", "2"], parse_startup),
            Bench("idle.py", ["--seconds", "5"], parse_idle),
            Bench(
                "board.py",
                ["--orders", "300", "--rounds", "1", "--soak", "1"],
                parse_board,
            ),
            Bench(
                "sandbox_load.py",
                ["--requests", "100", "--rounds", "1", "--concurrency", "4", "--orders", "30"],
                parse_load,
            ),
        ]
    return [
        Bench("startup.py", ["--runs", "15"], parse_startup),
        Bench("idle.py", ["--seconds", "30"], parse_idle),
        Bench(
            "board.py",
            ["--orders", "2000", "10000", "--rounds", "3", "--soak", "10"],
            parse_board,
        ),
        Bench(
            "sandbox_load.py",
            ["--requests", "1000", "--rounds", "3", "--concurrency", "16"],
            parse_load,
        ),
    ]


def run(bench: Bench) -> None:
    argv = [sys.executable, str(HERE / bench.script), *bench.args]
    print(f"\n$ {shlex.join(['python', f'bench/{bench.script}', *bench.args])}", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        print(f"  {line}", end="", flush=True)
        lines.append(line)
    code = proc.wait()
    bench.seconds = time.perf_counter() - started
    text = "".join(lines)
    try:
        bench.rows = bench.parse(text)
    except ValueError as error:
        bench.error = f"exit {code}: {error}"
    # board.py exits 1 when its goal is not met: the figures are still good to report.
    if code not in (0, 1) and not bench.error:
        bench.error = f"exit {code}"


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> str:
    return (
        f"{os.cpu_count()} cores ({platform.machine()}, {platform.system()} "
        f"{platform.release()}), Python {platform.python_version()}"
    )


def table(done: Sequence[Bench]) -> list[str]:
    lines = [
        "| measure | figure | baseline | ratio | goal | |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for bench in done:
        for row in bench.rows:
            lines.append(
                f"| {row.measure} | {row.figure} | {row.baseline} | {row.ratio} | "
                f"{row.goal} | {row.verdict} |"
            )
        if bench.error:
            lines.append(f"| `bench/{bench.script}` failed | {bench.error} | | | | |")
    return lines


def report(
    done: Sequence[Bench], *, started: datetime, command: str, host: str, loads: tuple[str, str]
) -> str:
    took = sum(bench.seconds for bench in done)
    runs = "\n".join(
        f"- `python bench/{b.script} {' '.join(b.args)}` ({b.seconds:.0f} s)" for b in done
    )
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"- Date: {started:%Y-%m-%d %H:%M} UTC",
            f"- Machine: {host}",
            f"- Load average (1/5/15 min): {loads[0]} at the start, {loads[1]} at the end",
            f"- Command: `{command}` ({took / 60:.1f} min in all)",
            "",
            *table(done),
            "",
            "Ratios are measured side by side in one run (the product and its baseline take",
            "turns on the same machine), so they say more than the absolute times, which",
            "depend on the machine and its load. Each script, with these sizes:",
            "",
            runs,
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument(
        "--command", default="make bench", help="the command named in the results file"
    )
    args = parser.parse_args()
    started = datetime.now(UTC)
    load_before = load_average()
    done = benches(args.quick)
    for bench in done:
        run(bench)
    loads = (load_before, load_average())
    text = report(done, started=started, command=args.command, host=machine(), loads=loads)
    print()
    print(text)
    args.out.write_text(text)
    print(f"written to {args.out}")
    return 1 if any(bench.error for bench in done) else 0


if __name__ == "__main__":
    sys.exit(main())
