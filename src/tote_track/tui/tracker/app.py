"""The tracker: one order, live, in the terminal.

``TrackerApp`` fetches the order in a worker, shows it, and schedules the next fetch with
one timer whose delay comes from ``tracking.polling.PollingPolicy``; between fetches nothing
runs but a once-a-second refresh of the "updated 12 s ago" line. Everything the screen says
about an order comes from ``tote_track.tracking``; this module wires keys, workers and
timers to it.

Exit codes: 0 after quitting normally, 4 when the order could not be loaded (not found,
token refused, an answer that is not an order), like ``watch``'s API errors.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from tote_track.api.client import ToteClient
from tote_track.api.config import ClientConfig
from tote_track.api.errors import (
    ApiConnectionError,
    ApiTimeoutError,
    BadRequestError,
    BadResponseError,
    CancelNotAllowedError,
    ConflictError,
    InsecureTransportError,
    InvalidConfigError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ToteError,
    UnauthorizedError,
)
from tote_track.api.models import FulfillmentStatus, Order, OrderStatus
from tote_track.tracking.lifecycle import cancel_eligibility
from tote_track.tracking.polling import (
    PollingPolicy,
    PollPlan,
    Scenario,
    StopReason,
    should_replace,
)
from tote_track.tracking.presentation import (
    cancel_refusal,
    format_duration,
    printable,
    settlement_lines,
)
from tote_track.tracking.stepper import Outcome, Progress, progress_of, record_seen
from tote_track.tui.signals import TerminalSignals
from tote_track.tui.tracker.dialogs import (
    CancelDraft,
    CancelScreen,
    ErrorScreen,
    HelpScreen,
    MessageScreen,
)
from tote_track.tui.tracker.qa_console import QAConsole
from tote_track.tui.tracker.widgets import (
    CancelHint,
    FreshnessLine,
    Headline,
    ItemsPanel,
    MoneyPanel,
    OrderHeader,
    ProgressStepper,
    StatusPanel,
)

__all__ = ["EXIT_API_ERROR", "EXIT_OK", "Clock", "TrackerApp", "run_tracker"]

EXIT_OK = 0
EXIT_API_ERROR = 4

# Changes worth interrupting the customer for (a notification and the bell).
ALERT_FULFILLMENT = frozenset(
    {FulfillmentStatus.READY_FOR_PICKUP, FulfillmentStatus.DELIVERED, FulfillmentStatus.CANCELLED}
)
ALERT_STATUS = frozenset({OrderStatus.CANCELLED, OrderStatus.FAILED})
# Below this size the boxes lose their borders so everything fits in 80x24.
ROOMY_SIZE = (100, 34)
# Narrower than this, the footer is compact and drops the palette's hint (ctrl+p still
# works), so every key, q Quit included, fits in 40 columns.
NARROW_WIDTH = 60


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    """Where the tracker reads time: the wall clock for "updated 12 s ago" and step times,
    the monotonic clock for the polling policy. Tests freeze both."""

    wall: Callable[[], datetime] = field(default=_utc_now)
    monotonic: Callable[[], float] = field(default=time.monotonic)


ClientFactory = Callable[[], ToteClient]


def _short_cause(error: BaseException) -> str:
    """Two or three words for the freshness line."""
    if isinstance(error, ApiTimeoutError):
        return "no answer in time"
    if isinstance(error, ApiConnectionError):
        return "no connection"
    if isinstance(error, RateLimitedError):
        return "too many requests"
    if isinstance(error, ServerError):
        return "server error"
    return "request failed"


def _said(error: BaseException) -> str:
    """An error in words: the API's sentence (token-free by construction), or its kind."""
    if isinstance(error, ToteError):
        return str(error)
    return f"unexpected {type(error).__name__}"


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class LoadFailure:
    title: str
    message: str
    next_step: str


def explain_load_error(error: BaseException, order_id: str, base_url: str) -> LoadFailure:
    """What to tell the customer when the order cannot be loaded at all, and what to do."""
    again = "Press r to try again or q to quit."
    if isinstance(error, NotFoundError):
        return LoadFailure(
            "Order not found",
            f"Order {order_id} was not found at {base_url}.",
            "Check the id in your order confirmation (it looks like "
            "f9a8b7c6-d5e4-3210-fedc-ba9876543210) and that --base-url points at the API "
            f"that took the order. {again}",
        )
    if isinstance(error, UnauthorizedError):
        return LoadFailure(
            "The API refused the token",
            f"{error.message.rstrip('.')}.",
            "Set TOTE_API_TOKEN (or pass --token) to a valid API token, then run tote-track again.",
        )
    if isinstance(error, InsecureTransportError | InvalidConfigError):
        return LoadFailure("Unsafe or invalid API address", str(error), "Fix --base-url.")
    if isinstance(error, BadRequestError):
        return LoadFailure(
            "The API rejected the request",
            str(error),
            f"Check the order id and --base-url. {again}",
        )
    if isinstance(error, BadResponseError):
        return LoadFailure(
            "The answer was not an order",
            str(error),
            "Check that --base-url points at the Tote Online Ordering API (it ends in "
            f"/v1/online-ordering). {again}",
        )
    if isinstance(error, ToteError):
        return LoadFailure("Could not load the order", str(error), again)
    return LoadFailure(
        "Something went wrong",
        f"The order could not be shown ({type(error).__name__}).",
        again,
    )


class TrackerApp(App[int]):
    """Follow one order: progress, statuses, money, cancel; polling by the policy."""

    CSS_PATH = Path(__file__).with_name("tracker.tcss")  # absolute: subclasses live elsewhere
    TITLE = "tote-track"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "poll_now",
            "Refresh",
            id="tracker.refresh",
            tooltip="Check the order now (and resume tracking after a pause)",
        ),
        Binding(
            "c",
            "cancel_order",
            "Cancel order",
            id="tracker.cancel",
            tooltip="Cancel the order while the store has not started preparing it",
        ),
        Binding(
            "c",
            "cancelling",
            "Cancelling…",
            id="tracker.cancelling",
            tooltip="The cancellation is on its way to the store",
        ),
        Binding("q", "quit", "Quit", id="tracker.quit", tooltip="Stop tracking and quit"),
        Binding(
            "question_mark",
            "help",
            "Help",
            key_display="?",
            id="tracker.help",
            tooltip="Keys, and how tracking works",
        ),
        Binding(
            "e",
            "qa_console",
            "QA console",
            id="tracker.qa_console",
            tooltip="Sandbox only: fire the order's lifecycle events and inject faults",
        ),
    ]

    def __init__(
        self,
        client_factory: ClientFactory,
        order_id: str,
        *,
        clock: Clock | None = None,
        policy: PollingPolicy | None = None,
        notify: bool = True,
        bell: bool = True,
        sandbox_url: str | None = None,
        auto_poll: bool = True,
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__()
        self._client_factory = client_factory
        self._client: ToteClient | None = None
        self.order_id = order_id
        self.clock = clock or Clock()
        self.policy = policy or PollingPolicy()
        self.notify_enabled = notify
        self.bell_enabled = bell
        self.sandbox_url = sandbox_url
        self.auto_poll = auto_poll
        self.tz = tz
        self.exit_code = EXIT_OK
        # What is shown.
        self.order: Order | None = None
        self.progress: Progress | None = None
        self._seen: dict[FulfillmentStatus, datetime] = {}
        self._updated_at: datetime | None = None
        # Polling.
        self.plan: PollPlan | None = None
        self._next_due: float | None = None
        self._timer: Timer | None = None
        self._poll_worker: Worker[Order] | None = None
        self._checking = False
        self._failure: BaseException | None = None
        self._stopped: BaseException | None = None
        # Cancelling.
        self._cancel_worker: Worker[Any] | None = None
        self._cancel_screen: CancelScreen | None = None
        self._cancel_draft = CancelDraft()
        self._cancel_key: tuple[str, str] | None = None
        self._announce_cancel = False
        # The QA console (sandbox only).
        self.qa_console: QAConsole | None = None
        # Alerts raised (their words), for whoever wants to know.
        self.alerts: list[str] = []
        self._signals = TerminalSignals(self.terminal_gone)

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield OrderHeader(self.order_id, sandbox_url=self.sandbox_url, id="header")
        with VerticalScroll(id="body"):
            with Vertical(id="progress-box", classes="box"):
                yield ProgressStepper(tz=self.tz, id="stepper")
                yield Headline(id="headline")
            yield StatusPanel(id="status", classes="box")
            with Horizontal(id="details"):
                yield ItemsPanel(id="items", classes="box")
                yield MoneyPanel(id="money", classes="box")
            yield CancelHint(id="cancel-hint")
        if self.sandbox_url is not None:
            self.qa_console = QAConsole(lambda: self.client, self.action_poll_now, id="qa")
            yield self.qa_console
        yield FreshnessLine(id="freshness")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#progress-box").border_title = "Progress"
        self.query_one("#status").border_title = "Status"
        self.query_one("#items").border_title = "Items & payments"
        self.query_one("#money").border_title = "Money"
        self._fit(self.size.width, self.size.height)
        self._client = self._client_factory()
        self._signals.install(self)
        self.set_interval(1.0, self.refresh_freshness, name="freshness")
        self._poll_now()

    async def on_unmount(self) -> None:
        self._signals.remove()
        self._cancel_timer()
        if self._client is not None:
            await self._client.aclose()

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        roomy = width >= ROOMY_SIZE[0] and height >= ROOMY_SIZE[1]
        self.set_class(not roomy, "-compact")
        narrow = width < NARROW_WIDTH
        self.set_class(narrow, "-narrow")  # the stylesheet hides the palette's hint
        for footer in self.query(Footer):
            footer.compact = narrow

    @property
    def client(self) -> ToteClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    # -- polling -----------------------------------------------------------------------

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _poll_now(self) -> Worker[Order]:
        """Fetch the order now, in the one poll worker (a fetch in flight is replaced)."""
        self._cancel_timer()
        self._next_due = None
        self._checking = True
        self._poll_worker = self.run_worker(
            self._fetch,
            name="poll",
            group="poll",
            description=f"GET order {self.order_id}",
            exclusive=True,
            exit_on_error=False,
        )
        self.refresh_freshness()
        return self._poll_worker

    def _scheduled_poll(self) -> None:
        self._timer = None
        self._poll_now()

    async def _fetch(self) -> Order:
        return await self.client.get_order(self.order_id)

    def _set_plan(self, plan: PollPlan) -> None:
        self.plan = plan
        self._cancel_timer()
        if plan.delay is None:
            self._next_due = None
        else:
            self._next_due = self.clock.monotonic() + plan.delay
            if self.auto_poll:
                self._timer = self.set_timer(plan.delay, self._scheduled_poll, name="next-poll")
        self.refresh_freshness()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker is self._poll_worker:
            if event.state is WorkerState.SUCCESS:
                self._poll_worker = None
                self._poll_succeeded(worker.result)
            elif event.state is WorkerState.ERROR:
                self._poll_worker = None
                self._poll_failed(worker.error)
        elif worker is self._cancel_worker:
            if event.state is WorkerState.SUCCESS:
                self._cancel_worker = None
                self._cancel_succeeded()
            elif event.state is WorkerState.ERROR:
                self._cancel_worker = None
                self._cancel_failed(worker.error)
            elif event.state is WorkerState.CANCELLED:
                self._cancel_worker = None

    def _poll_succeeded(self, order: Order | None) -> None:
        self._checking = False
        if order is None:  # pragma: no cover - a successful fetch always returns one
            return
        now = self.clock.monotonic()
        self._failure = None
        self._stopped = None
        self._updated_at = self.clock.wall()
        if isinstance(self.screen, ErrorScreen):
            self.pop_screen()
            self.exit_code = EXIT_OK
        previous = self.order
        if previous is None or should_replace(previous, order):
            self.order = order
            self._seen = record_seen(self._seen, order, self._updated_at)
            self._show_order(previous)
        shown = self.order
        assert shown is not None
        if previous is None or self.plan is None:
            plan = self.policy.start(shown, now)
        else:
            plan = self.policy.after_success(self.plan, shown, now)
        self._set_plan(plan)

    def _poll_failed(self, error: BaseException | None) -> None:
        self._checking = False
        if error is None:  # pragma: no cover - an errored worker always has one
            return
        now = self.clock.monotonic()
        if isinstance(error, ToteError) and error.transient:
            self._failure = error
            if isinstance(self.screen, ErrorScreen):  # a retry from it: now reconnecting
                self.pop_screen()
                self.exit_code = EXIT_OK
            plan = self.plan if self.plan is not None else self.policy.before_first(now)
            self._set_plan(self.policy.after_failure(plan, now, retry_after=error.retry_after))
            return
        if self.order is None:
            self._show_load_error(error)
            return
        # The order is on screen but can no longer be fetched: stop and say so.
        self._stopped = error
        self._cancel_timer()
        self._next_due = None
        self.refresh_freshness()

    def _show_load_error(self, error: BaseException) -> None:
        failure = explain_load_error(error, self.order_id, self.client.base_url)
        self.exit_code = EXIT_API_ERROR
        self._cancel_timer()
        self._next_due = None
        if isinstance(self.screen, ErrorScreen):
            self.pop_screen()
        self.push_screen(ErrorScreen(failure.title, failure.message, failure.next_step))

    def action_poll_now(self) -> None:
        """``r``: check now; after a pause (max duration passed) tracking starts over."""
        if (
            self.plan is not None
            and self.plan.stop is StopReason.GAVE_UP
            and self.order is not None
        ):
            self.plan = self.policy.resume(self.plan, self.order, self.clock.monotonic())
        self._stopped = None
        self._poll_now()

    # -- rendering ---------------------------------------------------------------------

    def _show_order(self, previous: Order | None) -> None:
        order = self.order
        assert order is not None
        progress = progress_of(order, self._seen)
        self.progress = progress
        self.query_one(OrderHeader).show(order)
        stepper = self.query_one(ProgressStepper)
        stepper.outcome_at = self._seen.get(order.fulfillment_status)
        stepper.progress = progress
        self.query_one(Headline).show(progress, settlement_lines(order))
        self.query_one(StatusPanel).show(order)
        self.query_one(ItemsPanel).show(order)
        self.query_one(MoneyPanel).show(order)
        self._render_cancel_hint()
        if self.qa_console is not None:
            self.qa_console.show_order(order)
        if self._announce_cancel and order.status == OrderStatus.CANCELLED:
            self._announce_cancel = False
            self._announce_cancelled(order)
        elif previous is not None:
            if (order.status, order.fulfillment_status) != (
                previous.status,
                previous.fulfillment_status,
            ):
                self.clear_notifications()  # an alert about an older state is stale now
            self._maybe_alert(previous, order, progress)

    def _maybe_alert(self, previous: Order, order: Order, progress: Progress) -> None:
        became = (
            order.fulfillment_status != previous.fulfillment_status
            and order.fulfillment_status in ALERT_FULFILLMENT
        ) or (order.status != previous.status and order.status in ALERT_STATUS)
        if not became:
            return
        bad = progress.outcome not in (None, Outcome.COMPLETED)
        self._alert(progress.headline, severity="warning" if bad else "information")

    def _alert(self, message: str, *, severity: str = "information") -> None:
        self.alerts.append(message)
        if self.notify_enabled:
            self.notify_literally(
                message,
                title=f"Order {self.order.short_code}" if self.order else "Order",
                severity="warning" if severity == "warning" else "information",
                timeout=12,
            )
        if self.bell_enabled:
            self.bell()

    def notify_literally(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> None:
        """A notification whose words (often the server's) are shown as written: never
        markup, control characters made visible."""
        self.notify(
            printable(message),
            title=printable(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def _announce_cancelled(self, order: Order) -> None:
        words = f"Order {order.short_code} is cancelled. {'; '.join(settlement_lines(order))}."
        self.alerts.append(words)
        if self.notify_enabled:
            self.notify_literally(words, title="Cancelled", timeout=12)

    def _render_cancel_hint(self) -> None:
        hint = self.query_one(CancelHint)
        eligibility = cancel_eligibility(self.order) if self.order is not None else None
        finished = self.progress is not None and self.progress.finished
        hint.show(eligibility, cancelling=self.cancelling, finished=finished)

    def freshness_text(self) -> tuple[str, str]:
        """The freshness line and its state (live, checking, reconnecting, finished, ...)."""
        plan = self.plan
        updated = self._updated_text()
        next_in = self._next_in_text()
        if self._stopped is not None:
            return (f"stopped: {_said(self._stopped)} · press r to try again", "error")
        if plan is None:
            if self.order is None and self._checking:
                return ("checking the order…", "checking")
            return ("waiting for the first check", "checking")
        if plan.stop is StopReason.TERMINAL:
            parts = ["tracking finished", updated]
            if self._checking:
                parts.append("checking now…")
            elif self._failure is not None:
                parts.append(f"last check failed ({_short_cause(self._failure)})")
            return (" · ".join(p for p in parts if p), "finished")
        if plan.stop is StopReason.GAVE_UP:
            assert plan.scenario is not None
            waited = format_duration(self.policy.schedule(plan.scenario).max_duration)
            if self._checking:
                return (f"paused after {waited} · checking now…", "paused")
            parts = [f"paused after {waited}", "press r to resume"]
            if self._failure is not None:
                parts.insert(1, f"could not reach the API ({_short_cause(self._failure)})")
            return (" · ".join(parts), "paused")
        if self._failure is not None:
            retry = "retrying now…" if self._checking else f"retry in {next_in}"
            parts = ["reconnecting", retry, _short_cause(self._failure)]
            if updated:
                parts.append(f"last {updated}")
            return (" · ".join(parts), "reconnecting")
        assert plan.scenario is not None
        schedule = self.policy.schedule(plan.scenario)
        if plan.scenario is Scenario.COMPLETED:
            # A return may still come: checks go on slowly, then stop by themselves.
            check = "checking now…" if self._checking else f"next check in {next_in}"
            stops = f"checks stop after {format_duration(schedule.max_duration)}"
            return (" · ".join(p for p in (updated, "order complete", check, stops) if p), "live")
        rhythm = (
            f"{plan.scenario.value} ({_number(schedule.initial)}→{_number(schedule.maximum)} s)"
        )
        check = "checking now…" if self._checking else f"next check in {next_in}"
        return (" · ".join(p for p in (updated, check, rhythm) if p), "live")

    def _updated_text(self) -> str:
        if self._updated_at is None:
            return ""
        seconds = (self.clock.wall() - self._updated_at).total_seconds()
        if seconds < 1:
            return "updated just now"
        return f"updated {format_duration(math.floor(seconds))} ago"

    def _next_in_text(self) -> str:
        if self._next_due is None:
            return "—"
        seconds = max(0.0, self._next_due - self.clock.monotonic())
        return format_duration(math.ceil(seconds))

    def refresh_freshness(self) -> None:
        """Redraw the freshness line (once a second, and whenever polling changes)."""
        # The 1 Hz tick can land while the app is closing and its widgets are gone.
        for line in self.query(FreshnessLine):
            text, state = self.freshness_text()
            line.show(text, state=state)

    # -- cancelling --------------------------------------------------------------------

    @property
    def cancelling(self) -> bool:
        return self._cancel_worker is not None

    def action_cancel_order(self) -> None:
        """``c``: explain why not, or open the cancel dialog."""
        if self.cancelling:
            return
        order = self.order
        if order is None:
            self.notify_literally("The order is still loading; try again in a moment.")
            return
        eligibility = cancel_eligibility(order)
        if not eligibility.allowed:
            self.push_screen(
                MessageScreen("This order can't be cancelled online", eligibility.reason)
            )
            return
        self._cancel_screen = CancelScreen(
            code=order.short_code,
            eligibility=eligibility.reason,
            draft=self._cancel_draft,
            on_confirm=self._send_cancel,
        )
        self.push_screen(self._cancel_screen, self._cancel_dialog_closed)

    def action_cancelling(self) -> None:
        """``c`` while a cancel is in flight: nothing (the footer says "Cancelling…")."""

    def _cancel_dialog_closed(self, draft: CancelDraft | None) -> None:
        if draft is not None:
            self._cancel_draft = draft
        self._cancel_screen = None

    def _send_cancel(self, reason: str) -> None:
        if self.cancelling or self.order is None:
            return
        # One idempotency key per cancel attempt: trying again with the same reason after
        # an error reuses it, so the store can never see two cancels. (The client also
        # reuses it for its own retries.) Another reason is another request.
        if self._cancel_key is None or self._cancel_key[0] != reason:
            self._cancel_key = (reason, str(uuid.uuid4()))
        key = self._cancel_key[1]
        order_id = self.order.id
        self._cancel_worker = self.run_worker(
            partial(self.client.cancel_order, order_id, reason, idempotency_key=key),
            name="cancel",
            group="cancel",
            description=f"cancel order {order_id}",
            exclusive=True,
            exit_on_error=False,
        )
        self.refresh_bindings()
        self._render_cancel_hint()

    def _close_cancel_screen(self, draft: CancelDraft) -> None:
        screen = self._cancel_screen
        if screen is not None and screen.is_attached:
            screen.dismiss(draft)
        self._cancel_screen = None

    def _cancel_succeeded(self) -> None:
        self._cancel_key = None
        self._cancel_draft = CancelDraft()
        self._close_cancel_screen(CancelDraft())
        self._announce_cancel = True
        self.refresh_bindings()
        self._render_cancel_hint()
        self._poll_now()

    def _cancel_failed(self, error: BaseException | None) -> None:
        if error is None:  # pragma: no cover - an errored worker always has one
            error = RuntimeError("no error given")
        self.refresh_bindings()
        self._render_cancel_hint()
        if isinstance(error, CancelNotAllowedError) or (
            isinstance(error, ConflictError) and not error.transient
        ):
            self._cancel_key = None
            screen = self._cancel_screen
            if screen is not None:
                self._close_cancel_screen(screen.draft)
            refusal = cancel_refusal(error.message)
            body = f"{refusal.sentence} {refusal.next_step}"
            self.push_screen(MessageScreen(refusal.title, body, details=refusal.details))
            self._poll_now()
            return
        if isinstance(error, ApiConnectionError | ServerError | RateLimitedError):
            what = f"Could not reach the store ({_short_cause(error)})."
        elif isinstance(error, ToteError):
            what = f"The cancel did not go through: {error.message.rstrip('.')}."
        else:
            what = f"The cancel did not go through ({_said(error)})."
        message = f"{what} Press y to try again; it will never be sent twice."
        if self._cancel_screen is not None and self._cancel_screen.is_attached:
            self._cancel_screen.show_error(message)
        else:
            self.notify_literally(message, title="Cancel failed", severity="error")

    # -- keys, help, palette -----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if isinstance(self.screen, ErrorScreen) and action in ("cancel_order", "cancelling"):
            return False  # no order to cancel
        if action == "cancel_order":
            # "Cancelling…" takes its place while a cancel is in flight. A finished order
            # keeps the key (pressing it explains there is nothing to cancel): dimming it
            # would rebuild the Footer on a poll, and Textual's Footer keeps every key
            # widget it ever drew, so memory would grow with each rebuild.
            return not self.cancelling
        if action == "cancelling":
            return None if self.cancelling else False
        if action == "qa_console":
            return self.sandbox_url is not None and not isinstance(
                self.screen, ModalScreen | ErrorScreen
            )
        return True

    def action_qa_console(self) -> None:
        """``e`` (sandbox only): open or close the QA console."""
        if self.qa_console is not None:
            self.qa_console.toggle()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(qa_console=self.qa_console is not None))

    async def action_quit(self) -> None:
        self.terminal_gone()

    def terminal_gone(self) -> None:
        """``q``, and SIGHUP (the terminal closed) or SIGTERM: stop everything and exit,
        so the terminal is restored."""
        self._cancel_timer()
        self.workers.cancel_all()
        self.exit(self.exit_code)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield SystemCommand("Refresh now", "Check the order now (r)", self.action_poll_now)
        eligibility = cancel_eligibility(self.order) if self.order is not None else None
        yield SystemCommand(
            "Cancel order",
            eligibility.reason if eligibility else "Cancel the order (c)",
            self.action_cancel_order,
        )
        yield SystemCommand("Help", "Keys, and how tracking works (?)", self.action_help)
        if self.sandbox_url is not None:
            yield SystemCommand(
                "QA console",
                "Fire the order's lifecycle events and inject faults in the sandbox (e)",
                self.action_qa_console,
            )
        yield from super().get_system_commands(screen)


def run_tracker(
    config: ClientConfig,
    order_id: str,
    *,
    notify: bool = True,
    bell: bool = True,
    sandbox: bool = False,
    policy: PollingPolicy | None = None,
) -> int:
    """Run the tracker in this terminal until the customer quits; returns the exit code."""
    app = TrackerApp(
        lambda: ToteClient(config),
        order_id,
        notify=notify,
        bell=bell,
        sandbox_url=config.base_url if sandbox else None,
        policy=policy,
    )
    result = app.run()
    if result is None:
        return app.return_code or EXIT_OK
    return result
