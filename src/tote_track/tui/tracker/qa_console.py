"""The QA console: move a sandbox order along the guide's diagrams and inject faults.

Shown in the tracker whenever it runs against a sandbox (``tote-track demo``), as a panel
under the order. It offers exactly the lifecycle events that
``tracking.lifecycle.allowed_events`` allows in the order's current state, fires the one
chosen through ``POST /sandbox/orders/{id}/events``, shows the sandbox's answer (the three
statuses, or its refusal in its own words) and asks the tracker to check the order at once.
Fault presets go to ``PUT``/``DELETE /sandbox/faults``; script presets give the order's next
answers (``POST /sandbox/orders/{id}/script``: two 503s, a 429 with Retry-After...).

Every request is a worker (``@work``) that says its own answer when it ends. A newer event
replaces one in flight; a fault preset replaces a reading or an earlier preset
(``exclusive`` groups). While it is open, the console reads the sandbox's verdict on the
tracker's own polling of the order (``GET /sandbox/orders/{id}/polling``, judged against
the guide's table) every :data:`VERDICT_EVERY` seconds and shows it; closed, nothing runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from tote_track.api.client import ToteClient
from tote_track.api.control import SandboxControl
from tote_track.api.errors import ConflictError, ToteError
from tote_track.api.models import HandoffMode, Order, OrderSummary
from tote_track.tracking.errors import describe_error
from tote_track.tracking.lifecycle import LifecycleEvent, events_allowed_for, is_delivery
from tote_track.tracking.polling import SCHEDULES, PollingPolicy, Scenario, should_replace
from tote_track.tui.tracker.widgets import literal

__all__ = [
    "FAULT_PRESETS",
    "SCRIPT_PRESETS",
    "VERDICT_EVERY",
    "FaultPreset",
    "QAConsole",
    "ScriptPreset",
    "describe_event",
    "events_for",
    "preset_matching",
    "state_words",
    "verdict_words",
]

EV = LifecycleEvent

_EVENT_WORDS: Mapping[LifecycleEvent, str] = {
    EV.PAYMENT_STARTED: "a payment is submitted",
    EV.PAYMENT_COMPLETED: "a payment completes: confirmed",
    EV.PAYMENT_FAILED: "the payments fail: order fails",
    EV.VOID: "the order is voided unpaid",
    EV.ACCEPT: "the store accepts the order",
    EV.START_PREPARING: "the store starts preparing it",
    EV.READY: "it is ready for pickup",
    EV.PICKED_UP: "the customer picks it up",
    EV.DELIVERED: "the driver delivers it",
    EV.RETURNED: "a return is processed",
    EV.STORE_CANCEL: "the store cancels: money back",
}
NAME_WIDTH = max(len(event.value) for event in LifecycleEvent) + 2


def describe_event(event: LifecycleEvent, mode: HandoffMode) -> str:
    """What the event does, in a few plain words (for the handoff mode at hand)."""
    if event is EV.READY and is_delivery(mode):
        return "it is ready for the driver"
    return _EVENT_WORDS[event]


def events_for(order: Order) -> list[LifecycleEvent]:
    """The events the diagrams (and the payments) allow now, in lifecycle order."""
    return events_allowed_for(order)


def state_words(order: OrderSummary) -> str:
    """``CONFIRMED · PAID · IN_PROGRESS``: the three status fields, as the API spells them."""
    return " · ".join(
        str(value.value) for value in (order.status, order.payment_status, order.fulfillment_status)
    )


@dataclass(frozen=True)
class FaultPreset:
    """A named set of ``PUT /sandbox/faults`` settings (none: faults off)."""

    key: str
    name: str
    words: str
    error_rate: float | None = None
    latency_ms: int | None = None
    rate_limit_per_minute: int | None = None
    drop_rate: float | None = None

    @property
    def settings(self) -> dict[str, float | int]:
        """The fields this preset turns on, as ``PUT /sandbox/faults`` names them."""
        fields = {
            "error_rate": self.error_rate,
            "latency_ms": self.latency_ms,
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "drop_rate": self.drop_rate,
        }
        return {name: value for name, value in fields.items() if value is not None}


FAULT_PRESETS: tuple[FaultPreset, ...] = (
    FaultPreset("off", "off", "every request answered"),
    FaultPreset(
        "flaky",
        "flaky network",
        "30% 5xx, 10% dropped",
        error_rate=0.3,
        drop_rate=0.1,
    ),
    FaultPreset("slow", "slow", "+1.5 s per request", latency_ms=1500),
    FaultPreset(
        "rate_limited", "rate limited", "6 requests/min, then 429", rate_limit_per_minute=6
    ),
    # The tracker's client does not retry: under a flaky network the freshness line says
    # "reconnecting · retry in N s" until a later check gets through; an outage keeps it.
    FaultPreset("outage", "outage", "every request fails (5xx)", error_rate=1.0),
)
_PRESETS_BY_KEY = {preset.key: preset for preset in FAULT_PRESETS}
_LISTS = ("events", "faults", "scripts")
"""The console's lists in tab order (the scripts sit under the events on screen)."""


def preset_matching(config: Mapping[str, Any]) -> FaultPreset | None:
    """The preset the sandbox's fault settings (``GET /sandbox/faults``) amount to, if any."""
    active = {name: value for name, value in config.items() if value}
    for preset in FAULT_PRESETS:
        if active == dict(preset.settings):
            return preset
    return None


@dataclass(frozen=True)
class ScriptPreset:
    """A named script: the next answers of the order's GET and cancel requests."""

    key: str
    name: str
    responses: tuple[Mapping[str, int], ...]


SCRIPT_PRESETS: tuple[ScriptPreset, ...] = (
    ScriptPreset("two_503", "two 503s, then normal", ({"status": 503}, {"status": 503})),
    ScriptPreset("retry_after", "429, Retry-After 5 s", ({"status": 429, "retry_after": 5},)),
    ScriptPreset("slow", "one answer 3 s late", ({"status": 200, "delay_ms": 3000},)),
)
_SCRIPTS_BY_KEY = {preset.key: preset for preset in SCRIPT_PRESETS}
_TITLE = "QA console · sandbox"
VERDICT_EVERY = 2.0
"""Seconds between two readings of the polling verdict while the console is open."""
_VERDICT_WORDS = {"ok": "✔ ok", "too_fast": "✖ too fast", "too_slow": "✖ too slow"}


def verdict_words(report: Mapping[str, Any]) -> str:
    """The sandbox's polling verdict in one line: the verdict, how many waits it judged,
    and for a fault the first wait that was off."""
    verdict = str(report.get("verdict", ""))
    intervals = report.get("intervals")
    judged = [
        i
        for i in (intervals if isinstance(intervals, list) else [])
        if isinstance(i, Mapping) and i.get("expected") is not None
    ]
    words = f"Polling vs the guide: {_VERDICT_WORDS.get(verdict, verdict)} ({len(judged)} waits)"
    off = next((i for i in judged if i.get("verdict") == verdict and verdict != "ok"), None)
    if off is not None:
        words += (
            f"; waited {off.get('seconds')} s after {off.get('after')}, "
            f"{off.get('stage')} asks {off.get('expected')} s"
        )
        if verdict == "too_slow":
            words += f" (at most {off.get('maximum')} s)"
    return words


def _said(error: BaseException | None) -> str:
    if error is None:
        return "no answer"
    return describe_error(error).sentence.rstrip(".")


class QAConsole(Vertical):
    """The console panel; hidden until opened (the tracker's ``e`` key).

    ``client`` gives the tracker's API client (its connection and token); ``refresh`` is the
    tracker's check-now, called after every answer so the order on screen follows at once.
    The tracker calls :meth:`show_order` whenever the order it shows changes.
    """

    # Its styles load with it: only the sandbox's tracker has a QA console. Unscoped, as
    # in the tracker's stylesheet (the rules name the console by its id).
    DEFAULT_CSS = """
#qa {
    display: none;
    height: auto;
    max-height: 60%;
    border-top: solid $accent;
    border-title-color: $text-accent;
    border-title-style: bold;
    background: $boost;
    padding: 0 1;
}

#qa.-open {
    display: block;
}

#qa-columns {
    height: auto;
}

#qa-events-box {
    width: 1fr;
    height: auto;
}

#qa-faults-box {
    width: 26;
    height: auto;
    margin-left: 2;
}

#qa OptionList {
    background: transparent;
}

.qa-label {
    color: $text-muted;
}

#qa-none {
    height: auto;
}

#qa-answer {
    height: auto;
}

#qa-polling {
    height: auto;
}

#qa-polling.-off {
    color: $text-error;
}

#qa-answer.-ok {
    color: $text-success;
}

#qa-answer.-refused {
    color: $text-error;
}

#qa-answer.-busy {
    color: $text-primary;
}
    """
    SCOPED_CSS = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "close",
            "Close",
            key_display="esc",
            id="qa.close",
            tooltip="Hide the QA console (e opens it again)",
        ),
        # Focus stays inside while the console is open: tab moves between its two lists,
        # never out to the order (where e would then close the console under the cursor).
        Binding("tab", "switch_list(1)", "Next list", show=False, id="qa.next_list"),
        Binding("shift+tab", "switch_list(-1)", "Previous list", show=False, id="qa.previous_list"),
    ]

    def __init__(
        self,
        client: Callable[[], ToteClient],
        refresh: Callable[[], None],
        *,
        policy: PollingPolicy | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._client = client
        self._refresh = refresh
        schedule = (policy or PollingPolicy()).schedule(Scenario.PAYMENT)
        self._poll_speed = SCHEDULES[Scenario.PAYMENT].initial / schedule.initial
        """How much faster than the guide the tracker polls (the demo's --speed)."""
        self.verdict = ""
        self._verdict_timer: Timer | None = None
        self.order: Order | None = None
        """What the offered events are computed from: the newest of what the tracker shows
        and what the sandbox answered here."""
        self.events: tuple[LifecycleEvent, ...] = ()
        self.answer = ""
        self.active_preset: FaultPreset | None = FAULT_PRESETS[0]
        self._pending_preset: FaultPreset | None = None
        """The preset being set (its answer will say what is active), else None."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="qa-columns"):
            with Vertical(id="qa-events-box"):
                yield Label("Waiting for the order…", id="qa-state", classes="qa-label")
                yield OptionList(id="qa-events", compact=True, markup=False)
                yield Static("", id="qa-none", classes="qa-label")
                yield Label("Script this order's next answers:", classes="qa-label")
                yield OptionList(
                    *(Option(preset.name, id=preset.key) for preset in SCRIPT_PRESETS),
                    id="qa-scripts",
                    compact=True,
                    markup=False,
                )
            with Vertical(id="qa-faults-box"):
                yield Label("", id="qa-faults-state", classes="qa-label")
                yield OptionList(id="qa-faults", compact=True, markup=False)
        answer = Static("", id="qa-answer", markup=False)
        answer.display = False
        yield answer
        polling = Static("", id="qa-polling", markup=False)
        polling.display = False
        yield polling
        yield Label(
            "tab: events, faults, scripts · ↑↓ choose · enter sends · esc closes",
            id="qa-keys",
            classes="qa-label",
        )

    def on_mount(self) -> None:
        self.border_title = _TITLE
        self._render_faults()
        self._render_events()

    # -- opening and closing -----------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self) -> None:
        """Show the console, focus its events and read the sandbox's fault settings."""
        if self.is_open:
            return
        self.add_class("-open")
        target = "#qa-events" if self.events else "#qa-faults"
        self.query_one(target, OptionList).focus()
        self.read_verdict()
        self._verdict_timer = self.set_interval(VERDICT_EVERY, self.read_verdict, name="qa-verdict")
        if self._pending_preset is None:  # else the preset's answer says what is active
            self._read_faults()

    def close(self) -> None:
        if not self.is_open:
            return
        self.remove_class("-open")
        if self._verdict_timer is not None:
            self._verdict_timer.stop()
            self._verdict_timer = None
        screen = self.screen
        if screen.focused is not None and self in screen.focused.ancestors:
            screen.set_focus(None)
            screen.focus_next()

    def toggle(self) -> None:
        if self.is_open:
            self.close()
        else:
            self.open()

    def action_close(self) -> None:
        self.close()

    def action_switch_list(self, step: int = 1) -> None:
        """Tab (shift+tab): the next (previous) list of events → faults → scripts; the
        events are skipped when none is allowed."""
        lists = [self.query_one(f"#qa-{name}", OptionList) for name in _LISTS]
        shown = [each for each in lists if each.display]
        current = next((i for i, each in enumerate(shown) if each.has_focus), 0 if step < 0 else -1)
        shown[(current + step) % len(shown)].focus()

    # -- the order ---------------------------------------------------------------------

    def show_order(self, order: Order) -> None:
        """The tracker shows ``order`` now: offer what is allowed from there."""
        if self.order is None or self.order.id != order.id or should_replace(self.order, order):
            self.order = order
            self._render_events()

    def _render_events(self) -> None:
        order = self.order
        state = self.query_one("#qa-state", Label)
        events_list = self.query_one("#qa-events", OptionList)
        none = self.query_one("#qa-none", Static)
        if order is None:
            return
        state.update(literal(f"Events allowed at {state_words(order)}"))
        events = tuple(events_for(order))
        none.update("" if events else "None: no event is allowed from this state.")
        none.display = not events
        if not events and events_list.has_focus:
            self.query_one("#qa-faults", OptionList).focus()
        events_list.display = bool(events)
        if events == self.events:
            return
        highlighted = events_list.highlighted_option
        kept = highlighted.id if highlighted is not None else None
        self.events = events
        mode = order.handoff.mode
        events_list.set_options(
            Option(
                Text.assemble((event.value.ljust(NAME_WIDTH), "bold"), describe_event(event, mode)),
                id=event.value,
            )
            for event in events
        )
        if events:
            ids = [event.value for event in events]
            events_list.highlighted = ids.index(kept) if kept in ids else 0

    # -- firing events -----------------------------------------------------------------

    @on(OptionList.OptionSelected, "#qa-events")
    def _event_chosen(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        if message.option.id is not None:
            self.fire(LifecycleEvent(message.option.id))

    @work(group="qa", exclusive=True, exit_on_error=False, description="fire an event")
    async def fire(self, event: LifecycleEvent) -> None:
        """Send ``event`` for the order to the sandbox (a request in flight is replaced)."""
        if self.order is None:
            return
        self._show_answer(f"… sending {event.value}", "busy")
        control = SandboxControl(self._client())
        try:
            order = await control.fire_event(self.order.id, event.value)
        except Exception as error:  # every failure is the answer, none ends the app
            self._refused(event, error)
        else:
            self._fired(event, order)

    def _fired(self, event: LifecycleEvent, order: Order) -> None:
        self._show_answer(f"✔ {event.value} → {state_words(order)}", "ok")
        self.show_order(order)
        self._refresh()

    def _refused(self, event: LifecycleEvent, error: BaseException | None) -> None:
        if isinstance(error, ConflictError):
            code = f" ({error.code})" if error.code else ""
            message = error.message.strip() or "The event is not allowed now."
            self._show_answer(f"✖ {event.value} refused{code}: {message}", "refused")
            self._refresh()  # the order moved on meanwhile: show where it is
        else:
            self._show_answer(f"✖ {event.value} not sent: {_said(error)}", "refused")

    def _show_answer(self, text: str, tone: str) -> None:
        self.answer = text
        answer = self.query_one("#qa-answer", Static)
        answer.set_classes(f"-{tone}")
        answer.update(literal(text))
        answer.display = bool(text)

    # -- faults ------------------------------------------------------------------------

    @work(group="qa-faults", exclusive=True, exit_on_error=False, description="read faults")
    async def _read_faults(self) -> None:
        """``GET /sandbox/faults``: which preset is active (unchanged when it cannot say)."""
        try:
            config = await self._client().request_json("GET", "/sandbox/faults")
        except Exception:  # the console still works; the faults line keeps what it knew
            pass
        else:
            self.active_preset = preset_matching(config) if isinstance(config, dict) else None
        self._render_faults()

    @on(OptionList.OptionSelected, "#qa-faults")
    def _preset_chosen(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        if message.option.id is not None:
            self.apply_preset(_PRESETS_BY_KEY[message.option.id])

    def apply_preset(self, preset: FaultPreset) -> None:
        """Set the sandbox's faults to ``preset`` ("off" clears them)."""
        self._pending_preset = preset
        self._render_faults()
        self._set_faults(preset)

    @work(group="qa-faults", exclusive=True, exit_on_error=False, description="set faults")
    async def _set_faults(self, preset: FaultPreset) -> None:
        control = SandboxControl(self._client())
        try:
            if preset.settings:
                await control.set_faults(
                    error_rate=preset.error_rate,
                    latency_ms=preset.latency_ms,
                    rate_limit_per_minute=preset.rate_limit_per_minute,
                    drop_rate=preset.drop_rate,
                )
            else:
                await control.clear_faults()
        except Exception as error:  # said in the console, none ends the app
            self._show_answer(
                f"✖ faults unchanged ({preset.name} not set): {_said(error)}", "refused"
            )
        else:
            self.active_preset = preset
            self._show_answer(f"✔ faults: {preset.name} ({preset.words})", "ok")
            self._refresh()
        if self._pending_preset is preset:
            self._pending_preset = None
        self._render_faults()

    def _render_faults(self) -> None:
        active = self.active_preset
        pending = self._pending_preset
        if pending is not None:
            words = f"Faults: setting {pending.name}…"
        elif active is None:
            words = "Faults: custom settings (set outside this console)"
        else:
            words = f"Faults: {active.name}"
        self.query_one("#qa-faults-state", Label).update(Text(words))
        faults = self.query_one("#qa-faults", OptionList)
        highlighted = faults.highlighted
        faults.set_options(
            Option(
                Text.assemble(
                    ("● " if preset is active else "○ ", "bold"),
                    (preset.name, "bold" if preset is active else ""),
                ),
                id=preset.key,
            )
            for preset in FAULT_PRESETS
        )
        faults.highlighted = highlighted if highlighted is not None else 0

    # -- scripts and the polling verdict -------------------------------------------------

    @on(OptionList.OptionSelected, "#qa-scripts")
    def _script_chosen(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        if message.option.id is not None:
            self.load_script(_SCRIPTS_BY_KEY[message.option.id])

    @work(exclusive=True, group="qa-script", exit_on_error=False)
    async def load_script(self, preset: ScriptPreset) -> None:
        """Give the order's next requests ``preset``'s answers. The tracker is not asked
        to check now: its next poll, on schedule, meets the first answer."""
        if self.order is None:
            return
        self._show_answer(f"… scripting {preset.name}", "busy")
        try:
            await SandboxControl(self._client()).script(self.order.id, preset.responses)
        except ToteError as error:
            self._show_answer(f"✖ script not loaded: {_said(error)}", "refused")
            return
        self._show_answer(f"✔ script: the order's next answers: {preset.name}", "ok")

    @work(exclusive=True, group="qa-polling", exit_on_error=False)
    async def read_verdict(self) -> None:
        """Read and show the sandbox's verdict on the tracker's polling of the order."""
        if self.order is None:
            return
        control = SandboxControl(self._client())
        try:
            report = await control.polling(self.order.id, self._poll_speed)
        except ToteError as error:
            self._show_verdict(f"Polling vs the guide: not known ({_said(error)})", None)
            return
        self._show_verdict(verdict_words(report), str(report.get("verdict")))

    def _show_verdict(self, text: str, verdict: str | None) -> None:
        """The verdict in the console's title; the line under the lists says more when
        the polling is off the guide (or the verdict could not be read)."""
        self.verdict = text
        word = _VERDICT_WORDS.get(verdict or "", "?")
        self.border_title = f"{_TITLE} · polling {word}"
        line = self.query_one("#qa-polling", Static)
        line.set_class(verdict != "ok", "-off")
        line.update(literal(text))
        line.display = verdict != "ok"
