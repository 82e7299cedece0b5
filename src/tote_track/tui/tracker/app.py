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

import asyncio
import gc
import os
import sys
import uuid
from collections.abc import Iterable
from concurrent.futures import Future
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from tote_track import exit_codes
from tote_track.api.errors import ToteError
from tote_track.api.statuses import FulfillmentStatus, OrderStatus
from tote_track.api.trust import trust_in_background
from tote_track.tracking.errors import describe_cancel_failure
from tote_track.tracking.freshness import Phase, freshness, load_failure, phase_after
from tote_track.tracking.lifecycle import cancel_eligibility
from tote_track.tracking.polling import (
    PollingPolicy,
    PollPlan,
    StopReason,
    never_reached,
    should_replace,
)
from tote_track.tracking.presentation import settlement_lines, shown_text
from tote_track.tui.desktop import Notifier, Protocol, detect, escape
from tote_track.tui.terminal import Clock, TerminalApp, tmux_allows_passthrough
from tote_track.tui.tracker.widgets import (
    LITERAL_LIMIT,
    FreshnessLine,
    KeysFooter,
    OrderHeader,
)

if TYPE_CHECKING:
    # The client (httpx) and the models (pydantic) load after the first frame is drawn.
    from tote_track.api.client import ClientFactory, Reply, ToteClient
    from tote_track.api.config import ClientConfig
    from tote_track.api.early import EarlyCall
    from tote_track.api.models import Order

    # Imported where they are first shown (a key, an error): the first frame needs neither.
    from tote_track.tracking.stepper import Progress
    from tote_track.tui.tracker.dialogs import CancelDraft, CancelScreen
    from tote_track.tui.tracker.panels import OrderPanels
    from tote_track.tui.tracker.qa_console import QAConsole

__all__ = ["Clock", "TrackerApp", "run_tracker"]


# Below this size the boxes lose their borders so everything fits in 80x24.
ROOMY_SIZE = (100, 34)
# A timer may fire this early (the event loop's clock resolution): the check is due.
DUE_SLACK = 0.05
# Narrower than this, the footer is compact and drops the palette's hint (ctrl+p still
# works), so every key, q Quit included, fits in 40 columns.
NARROW_WIDTH = 60


class TrackerApp(TerminalApp):
    """Follow one order: progress, statuses, money, cancel; polling by the policy."""

    phase: var[Phase] = var(Phase.LOADING, init=False)
    """Where tracking is (loading, live, checking, failing, ...): drives the freshness line
    and, entering or leaving the error screen, the keys."""
    plan: var[PollPlan | None] = var(None, init=False)
    """What polling does next (the policy's latest plan)."""
    cancelling: var[bool] = var(False, init=False, bindings=True)
    """A cancel is on its way: "Cancelling…" takes the cancel key's place."""

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
        # People press Ctrl-C to quit: it does (Textual's default only says how to quit),
        # even from the cancel dialog's text box.
        Binding(
            "ctrl+c",
            "quit",
            "Quit",
            show=False,
            priority=True,
            id="tracker.interrupt",
            tooltip="Stop tracking and quit",
        ),
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
        notifier: Notifier | None = None,
        sandbox_url: str | None = None,
        auto_poll: bool = True,
        tz: tzinfo | None = None,
        verbose: bool = False,
        first: Future[Reply] | None = None,
    ) -> None:
        super().__init__(client_factory, clock=clock)
        self._first = first
        self.order_id = order_id
        self.policy = policy or PollingPolicy()
        self.notify_enabled = notify
        """Tell the customer at each milestone: a notification on the screen, and a desktop
        notification through the terminal (the bell where the terminal has none)."""
        self.notifier = notifier or Notifier(Protocol.BELL)
        self._focus_reported = False  # the terminal said it gained or lost the focus
        self._tmux_checked = False
        self.sandbox_url = sandbox_url
        self.auto_poll = auto_poll
        self.tz = tz
        self.verbose = verbose
        """Show QA detail (the polling rhythm) on the bottom line; also while the QA
        console is open."""
        self.exit_code = exit_codes.OK
        # What is shown.
        self.order: Order | None = None
        self.progress: Progress | None = None
        self._seen: dict[FulfillmentStatus, datetime] = {}
        self._updated_at: datetime | None = None
        # Polling.
        self._next_due: float | None = None
        self._timer: Timer | None = None
        self.last_error: BaseException | None = None
        """The last failed check's error (None after a success)."""
        # Cancelling.
        self._cancel_screen: CancelScreen | None = None
        self._cancel_draft: CancelDraft | None = None  # None: an empty one
        self._cancel_key: tuple[str, str] | None = None
        self._announce_cancel = False
        # The QA console (sandbox only).
        self.qa_console: QAConsole | None = None
        # On screen: the header and "Fetching order…" first, the panels with the order.
        self._header = OrderHeader(order_id, sandbox_url=sandbox_url, id="header")
        self._fetching = Static(Text("Fetching order…"), id="fetching")
        self._body = VerticalScroll(self._fetching, id="body")
        self._panels: OrderPanels | None = None  # made with the first order
        self._panels_mounted = False
        # Set once the first frame (the order's code, "Fetching order…") is on screen: the
        # first fetch waits for it, so the client's libraries (about 200 ms of imports)
        # load while the customer already sees the tracker.
        self._framed = asyncio.Event()

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The first frame is only the order's code (known from its id) and "Fetching
        # order…": the panels are built with the first order, which they show at once.
        # The size classes are set before the widgets exist, so their styles are worked out
        # once (setting them after the mount restyles every widget).
        self._fit(self.size.width, self.size.height)
        yield self._header
        # The body is in the first frame and has the focus from the start (the arrow keys
        # scroll it): the order's arrival changes no key, so the footer is not rebuilt
        # while the order is being written to the terminal.
        yield self._body
        if self.sandbox_url is not None:
            from tote_track.tui.tracker.qa_console import QAConsole

            self.qa_console = QAConsole(
                lambda: self.client, self.action_poll_now, policy=self.policy, id="qa"
            )
            yield self.qa_console
        yield FreshnessLine(id="freshness")
        yield KeysFooter(compact=self.has_class("-narrow"))

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_freshness, name="freshness")
        self.refresh_freshness()
        self._poll_now()  # waits for the frame

    async def _mount_panels(self) -> None:
        """The first order: its panels, already filled, take the place of "Fetching
        order…". Nothing is painted while they mount, so the first paint after the frame
        is the whole order (not an empty body first)."""
        panels = self._panels
        if panels is None or self._panels_mounted:
            return
        self._panels_mounted = True
        with self.batch_update():
            # Hidden, not removed: a removal is one more layout pass.
            self._fetching.display = False
            await self._body.mount(panels, before=self._fetching)

    def on_ready(self) -> None:
        # Textual sends Ready once the first frame is on the terminal.
        self._framed.set()

    def on_unmount(self) -> None:
        self._cancel_timer()

    def on_resize(self, event: Resize) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        roomy = width >= ROOMY_SIZE[0] and height >= ROOMY_SIZE[1]
        self.set_class(not roomy, "-compact")
        narrow = width < NARROW_WIDTH
        self.set_class(narrow, "-narrow")  # the stylesheet hides the palette's hint
        for footer in self.query(Footer):
            footer.compact = narrow

    # -- polling -----------------------------------------------------------------------

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _poll_now(self) -> None:
        """Fetch the order now, in the one poll worker (a fetch in flight is replaced)."""
        self._cancel_timer()
        self._next_due = None
        self.phase = Phase.LOADING if self.order is None else Phase.CHECKING
        self._fetch()

    def poll_if_due(self) -> None:
        """Check now if the planned check is due on the tracker's clock (the next-poll
        timer calls this; tests with a frozen clock call it after moving time on)."""
        self._timer = None
        if self._next_due is None:
            return
        remaining = self._next_due - self.clock.monotonic()
        if remaining > DUE_SLACK:
            if self.auto_poll:  # woken early: wait for the rest
                self._timer = self.set_timer(remaining, self.poll_if_due, name="next-poll")
            return
        self._poll_now()

    @work(exclusive=True, group="poll", exit_on_error=False, description="GET the order")
    async def _fetch(self) -> None:
        # One request, no retries inside the client: every wait is the policy's, so the
        # freshness line can say what it waits for and until when.
        await self._framed.wait()
        try:
            order = await self._get_order()
        except Exception as error:  # every failure is shown (a bug too), none ends the app
            self._poll_failed(error)
        else:
            self._poll_succeeded(order)
            await self._mount_panels()

    async def _get_order(self) -> Order:
        """The order, from the app's own client; until one is shown, with what showing it
        needs loaded while the request is out (:meth:`_first_order`). A short code's lookup
        sends the first request before the app starts (``first``): its answer is the first."""
        first = self._first
        if first is not None:
            try:
                reply = await asyncio.wrap_future(first)
            finally:
                if first.done():  # used, whatever it was (a replaced fetch waits again)
                    self._first = None
            return self.client.read_order(reply)
        if self.order is None:
            return await self._first_order()
        return await self.client.get_order(self.order_id)

    async def _first_order(self) -> Order:
        """The first ``GET``: the request goes out first, needing only httpx; once it only
        waits on the network, pydantic, the models and the panels (:func:`load_order_modules`)
        load on a thread, so over a real network their import overlaps the round trips (the
        TLS handshake, then the request) instead of coming before them. The answer is read
        once both are done."""
        waiting = asyncio.Event()
        request = asyncio.ensure_future(
            self.client.get_order_reply(self.order_id, on_wait=waiting.set)
        )
        waited = asyncio.ensure_future(waiting.wait())
        try:
            # Until the request only waits on the network (or is over), it has the CPU.
            await asyncio.wait([request, waited], return_when=asyncio.FIRST_COMPLETED)
            await asyncio.to_thread(load_order_modules)
        except BaseException:  # the fetch replaced, or the app closing: the request stops
            request.cancel()
            request.add_done_callback(_consume)
            raise
        finally:
            waited.cancel()
        return self.client.read_order(await request)

    def _set_plan(self, plan: PollPlan, error: BaseException | None = None) -> None:
        """Follow ``plan`` after a check that ended with ``error`` (None: it succeeded)."""
        self._cancel_timer()
        if plan.delay is None:
            self._next_due = None
        else:
            self._next_due = self.clock.monotonic() + plan.delay
            if self.auto_poll:
                self._timer = self.set_timer(plan.delay, self.poll_if_due, name="next-poll")
        self.last_error = error
        self.plan = plan
        self.phase = phase_after(plan, error)

    def _poll_succeeded(self, order: Order) -> None:
        now = self.clock.monotonic()
        self._updated_at = self.clock.wall()
        if self._showing_error():
            self.pop_screen()
            self.exit_code = exit_codes.OK
        previous = self.order
        if previous is None or should_replace(previous, order):
            self.order = order
            self._show_order(previous)
        shown = self.order
        assert shown is not None
        if previous is None or self.plan is None:
            plan = self.policy.start(shown, now)
        else:
            plan = self.policy.after_success(self.plan, shown, now)
        self._set_plan(plan)

    def _poll_failed(self, error: Exception) -> None:
        now = self.clock.monotonic()
        if isinstance(error, ToteError) and error.transient:
            if self._showing_error():  # a retry from it: now reconnecting
                self.pop_screen()
                self.exit_code = exit_codes.OK
            plan = self.plan if self.plan is not None else self.policy.before_first(now)
            after = self.policy.after_failure(
                plan, now, retry_after=error.retry_after, unreached=never_reached(error)
            )
            if after.stop is not StopReason.UNREACHABLE:
                self._set_plan(after, error)
                return
            self.plan = after  # the API was never reached: say so, as for any load error
        self._cancel_timer()
        self._next_due = None
        self.last_error = error
        if self.order is None:
            self._show_load_error(error)
            return
        # The order is on screen but can no longer be fetched: stop and say so.
        self.phase = Phase.STOPPED

    def _show_load_error(self, error: Exception) -> None:
        words = load_failure(error, order_id=self.order_id, base_url=self.client.base_url)
        self.exit_code = exit_codes.API_ERROR
        from tote_track.tui.tracker.dialogs import ErrorScreen

        if self._showing_error():
            self.pop_screen()
        self.push_screen(ErrorScreen(words.title, words.sentence, words.next_step))
        self.phase = Phase.ERROR

    def action_poll_now(self) -> None:
        """``r``: check now; after a pause (max duration passed) tracking starts over."""
        if (
            self.plan is not None
            and self.plan.stop is StopReason.GAVE_UP
            and self.order is not None
        ):
            self.plan = self.policy.resume(self.plan, self.order, self.clock.monotonic())
        elif self.plan is not None and self.plan.stop is StopReason.UNREACHABLE:
            self.plan = None  # trying again from the start: the same few attempts
        if self.phase in (Phase.STOPPED, Phase.ERROR):
            self.last_error = None  # a fresh start: the words of that failure go
        self._poll_now()

    # -- rendering ---------------------------------------------------------------------

    def _show_order(self, previous: Order | None) -> None:
        # The panels, and the rule that works out the progress, load with the first order:
        # the first frame needs neither.
        from tote_track.tracking.stepper import progress_of, record_seen
        from tote_track.tui.tracker.panels import OrderPanels

        order = self.order
        assert order is not None
        assert self._updated_at is not None
        self._seen = record_seen(self._seen, order, self._updated_at)
        progress = progress_of(order, self._seen)
        self.progress = progress
        self._header.show(order)
        if self._panels is None:
            self._panels = OrderPanels(tz=self.tz, id="panels")
        self._panels.show(
            order,
            progress,
            money=settlement_lines(order),
        )
        self._render_cancel_hint()
        self._overtake_cancel_dialog(order)
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
        from tote_track.tracking.alerts import alert_for  # loaded with the first change

        alert = alert_for(previous, order, progress)
        if alert is None or not self.notify_enabled:
            return
        self.notify_literally(
            alert.message,
            title=f"Order {order.short_code}",
            severity="warning" if alert.warning else "information",
            timeout=12,
        )
        if self._focus_reported and self.app_focus:
            return  # the customer is looking at the tracker
        self._notify_desktop(alert.notification, f"{order.short_code}-{alert.milestone}")

    @work(group="desktop", exit_on_error=False, description="desktop notification")
    async def _notify_desktop(self, words: str, ident: str) -> None:
        """The desktop notification (the bell where the terminal has none)."""
        notifier = self.notifier
        if notifier.tmux and not self._tmux_checked:
            # Once: does tmux pass the escape on? If it says no, the bell instead.
            self._tmux_checked = True
            allowed = await tmux_allows_passthrough()
            if allowed is False:
                self.notifier = notifier = Notifier(Protocol.BELL)
        sequence = escape(notifier, self.TITLE, words, ident=ident)
        if notifier.protocol is Protocol.BELL:
            self.bell()
        else:
            self.write_escape(sequence)

    def on_app_focus(self) -> None:
        self._focus_reported = True  # from now on: desktop notifications only while away

    def on_app_blur(self) -> None:
        self._focus_reported = True

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
            shown_text(message, LITERAL_LIMIT),
            title=shown_text(title, LITERAL_LIMIT),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def _announce_cancelled(self, order: Order) -> None:
        words = f"Order {order.short_code} is cancelled. {'; '.join(settlement_lines(order))}."
        if self.notify_enabled:
            self.notify_literally(words, title="Cancelled", timeout=12)

    def _render_cancel_hint(self) -> None:
        if self._panels is None:  # no order yet
            return
        hint = self._panels.cancel_hint
        eligibility = cancel_eligibility(self.order) if self.order is not None else None
        finished = self.progress is not None and self.progress.finished
        hint.show(eligibility, cancelling=self.cancelling, finished=finished)

    def freshness_text(self) -> tuple[str, str]:
        """The freshness line and its mood (live, checking, reconnecting, finished, ...)."""
        now = self.clock.monotonic()
        updated_ago = (
            None
            if self._updated_at is None
            else (self.clock.wall() - self._updated_at).total_seconds()
        )
        words = freshness(
            self.phase,
            self.plan,
            self.policy,
            updated_ago=updated_ago,
            next_in=None if self._next_due is None else self._next_due - now,
            error=self.last_error,
            verbose=self.verbose or (self.qa_console is not None and self.qa_console.is_open),
        )
        return words.text, words.mood

    def refresh_freshness(self) -> None:
        """Redraw the freshness line (once a second, and whenever the phase or plan changes)."""
        # The 1 Hz tick can land while the app is closing and its widgets are gone; the
        # first fetch starts before there is a screen.
        if not self.screen_stack:
            return
        for line in self.query(FreshnessLine):
            text, mood = self.freshness_text()
            line.show(text, state=mood)

    def watch_phase(self, old: Phase, new: Phase) -> None:
        self.refresh_freshness()
        if Phase.ERROR in (old, new):
            # Only the error screen changes the keys (no cancel without an order). A poll
            # never does: rebuilding the Footer on every poll would leak (Textual 8.2.8's
            # Footer keeps every key widget it ever drew).
            self.refresh_bindings()

    def watch_plan(self) -> None:
        self.refresh_freshness()

    # -- cancelling --------------------------------------------------------------------

    def action_cancel_order(self) -> None:
        """``c``: explain why not, or open the cancel dialog."""
        if self.cancelling:
            return
        order = self.order
        if order is None:
            self.notify_literally("The order is still loading; try again in a moment.")
            return
        eligibility = cancel_eligibility(order)
        from tote_track.tui.tracker.dialogs import CancelDraft, CancelScreen, MessageScreen

        if not eligibility.allowed:
            self.push_screen(
                MessageScreen("This order can't be cancelled online", eligibility.reason)
            )
            return
        self._cancel_screen = CancelScreen(
            code=order.short_code,
            eligibility=eligibility.reason,
            draft=self._cancel_draft or CancelDraft(),
        )
        self.push_screen(self._cancel_screen, self._cancel_dialog_closed)

    def _overtake_cancel_dialog(self, order: Order) -> None:
        """The cancel dialog is open and the order moved on (the store started preparing):
        the dialog says it is too late and offers only closing."""
        screen = self._cancel_screen
        if screen is None or self.cancelling:
            return
        eligibility = cancel_eligibility(order)
        if not eligibility.allowed:
            ended = self.progress is not None and self.progress.finished
            title = "Nothing to cancel" if ended else "Too late to cancel online"
            screen.too_late(title, eligibility.reason)

    def action_cancelling(self) -> None:
        """``c`` while a cancel is in flight: nothing (the footer says "Cancelling…")."""

    def _cancel_dialog_closed(self, draft: CancelDraft | None) -> None:
        if draft is not None:
            self._cancel_draft = draft
        self._cancel_screen = None

    def on_cancel_screen_confirmed(self, message: CancelScreen.Confirmed) -> None:
        # Named, not decorated: the dialogs module is imported only when a dialog opens.
        if self.cancelling or self.order is None:
            return
        # One idempotency key per cancel attempt: trying again with the same reason after
        # an error reuses it, so the store can never see two cancels. (The client also
        # reuses it for its own retries.) Another reason is another request.
        reason = message.reason
        if self._cancel_key is None or self._cancel_key[0] != reason:
            self._cancel_key = (reason, str(uuid.uuid4()))
        self.cancelling = True
        self._render_cancel_hint()
        self._send_cancel(self.order.id, reason, self._cancel_key[1])

    @work(exclusive=True, group="cancel", exit_on_error=False, description="cancel the order")
    async def _send_cancel(self, order_id: str, reason: str, key: str) -> None:
        # The cancel is idempotent (one key for every attempt), so it keeps the client's
        # own retries, unlike the polls.
        from tote_track.api.client import DEFAULT_MAX_RETRIES  # loaded with the first fetch

        try:
            await self.client.cancel_order(
                order_id, reason, idempotency_key=key, max_retries=DEFAULT_MAX_RETRIES
            )
        except Exception as error:  # every failure is shown in the dialog, none ends the app
            self.cancelling = False
            self._cancel_failed(error)
        else:
            self.cancelling = False
            self._cancel_succeeded()

    def _close_cancel_screen(self, draft: CancelDraft) -> None:
        screen = self._cancel_screen
        if screen is not None and screen.is_attached:
            screen.dismiss(draft)
        self._cancel_screen = None

    def _cancel_succeeded(self) -> None:
        self._cancel_key = None
        from tote_track.tui.tracker.dialogs import CancelDraft

        self._cancel_draft = None
        self._close_cancel_screen(CancelDraft())
        self._announce_cancel = True
        self._render_cancel_hint()
        self._poll_now()

    def _cancel_failed(self, error: Exception) -> None:
        self._render_cancel_hint()
        failure = describe_cancel_failure(error)
        refusal = failure.refusal
        if refusal is not None:
            self._cancel_key = None
            screen = self._cancel_screen
            if screen is not None:
                self._close_cancel_screen(screen.draft)
            from tote_track.tui.tracker.dialogs import MessageScreen

            body = f"{refusal.sentence} {refusal.next_step}"
            self.push_screen(MessageScreen(refusal.title, body, details=refusal.details))
            self._poll_now()
            return
        if self._cancel_screen is not None and self._cancel_screen.is_attached:
            self._cancel_screen.show_error(failure.message)
        else:
            self.notify_literally(failure.message, title="Cancel failed", severity="error")

    # -- keys, help, palette -----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.phase is Phase.ERROR and action in ("cancel_order", "cancelling"):
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
            return (
                self.sandbox_url is not None
                and not isinstance(self.screen, ModalScreen)
                and not self._showing_error()
            )
        return True

    def action_qa_console(self) -> None:
        """``e`` (sandbox only): open or close the QA console."""
        if self.qa_console is not None:
            self.qa_console.toggle()
            self.refresh_freshness()  # the polling rhythm shows while the console is open

    def action_help(self) -> None:
        from tote_track.tui.tracker.dialogs import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(qa_console=self.qa_console is not None))

    def _showing_error(self) -> bool:
        """Whether the load-error screen is up. The dialogs are imported when first shown
        (the first frame needs none of them): until then no screen can be one."""
        dialogs = sys.modules.get("tote_track.tui.tracker.dialogs")
        return dialogs is not None and isinstance(self.screen, dialogs.ErrorScreen)

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


def _consume(task: asyncio.Future[Any]) -> None:
    """Take an abandoned request's outcome (nobody waits for it any more)."""
    if not task.cancelled():
        task.exception()


def load_order_modules() -> None:
    """What showing the first order needs beyond the frame: pydantic and the models (to read
    the answer), the stepper's rules and the order's panels."""
    import tote_track.api.models
    import tote_track.tracking.stepper
    import tote_track.tui.tracker.panels  # noqa: F401


def run_tracker(
    config: ClientConfig,
    order_id: str,
    *,
    notify: bool = True,
    sandbox: bool = False,
    policy: PollingPolicy | None = None,
    verbose: bool = False,
    early: EarlyCall[Reply] | None = None,
) -> int:
    """Run the tracker in this terminal until the customer quits; returns the exit code.

    ``early``: the first request, already sent (see ``api.early``)."""
    # The trusted CAs load on a thread while the app starts (OpenSSL, without the GIL).
    trust: Future[Any] | None
    if early is not None:
        trust = early.trust
    else:
        trust = trust_in_background(config.ca_bundle) if config.uses_tls else None

    def make_client() -> ToteClient:
        from tote_track.api.client import ToteClient  # after the first frame (see _framed)

        # One request per check (no retries inside the client): the polling policy owns
        # every wait, Retry-After included, so the screen always says what it waits for.
        return ToteClient(
            config, max_retries=0, ssl_context=None if trust is None else trust.result()
        )

    app = TrackerApp(
        make_client,
        order_id,
        notify=notify,
        notifier=detect(os.environ),
        sandbox_url=config.base_url if sandbox else None,
        policy=policy,
        verbose=verbose,
        first=None if early is None else early.outcome,
    )
    try:
        result = app.run()
    finally:
        if early is not None:
            early.cancel()
    # Only the exit is left: the collection at exit need not walk every object (with an
    # order of 20,000 items that walk took longer than the rest of quitting).
    gc.freeze()
    if result is None:
        return app.return_code or exit_codes.OK
    return result
