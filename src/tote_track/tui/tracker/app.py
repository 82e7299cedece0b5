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
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import partial
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
from tote_track.api.statuses import FulfillmentStatus, OrderStatus, short_code
from tote_track.api.warm import WarmConnection
from tote_track.run import resume_collection
from tote_track.tracking.errors import ErrorWords, describe_cancel_failure
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
    NUMBERED,
    FreshnessLine,
    KeysFooter,
    OrderHeader,
    ShownOrder,
)

if TYPE_CHECKING:
    # The client (httpx) and the models (pydantic) load after the first frame is drawn.
    from textual.widgets import OptionList

    from tote_track.api.client import ClientFactory, Reply, ToteClient
    from tote_track.api.config import ClientConfig
    from tote_track.api.early import EarlyCall
    from tote_track.api.models import Order

    # Imported where they are first shown (a key, an error): the first frame needs neither.
    from tote_track.tracking.stepper import Progress
    from tote_track.tui.tracker.dialogs import CancelDraft, CancelScreen
    from tote_track.tui.tracker.order_list import ListedOrder
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


@dataclass(eq=False)
class Followed:
    """One order the tracker follows: what was last seen of it and when it is checked next.
    Each order polls on its own schedule (its own plan, timer and worker)."""

    index: int
    order_id: str
    order: Order | None = None
    shown: ShownOrder | None = None
    seen: dict[FulfillmentStatus, datetime] = field(default_factory=dict)
    updated_at: datetime | None = None
    """When it was last read (wall clock)."""
    plan: PollPlan | None = None
    phase: Phase = Phase.LOADING
    next_due: float | None = None
    timer: Timer | None = None
    last_error: BaseException | None = None
    """The last failed check's error (None after a success)."""
    failure: ErrorWords | None = None
    """Why it could never be loaded (not found, token refused, ...); None once it was."""

    @property
    def code(self) -> str:
        return short_code(self.order_id)


class TrackerApp(TerminalApp):
    """Follow one order, or several (a list, and the selected one's detail): progress,
    statuses, money, cancel; each order polled by the policy."""

    shown: var[ShownOrder | None] = var(None, init=False)
    """The selected order as shown: the header and the panels bind to it."""
    selected: var[int] = var(0, init=False)
    """Which of several orders is shown (its index); the list binds to it."""
    orders: var[tuple[ListedOrder, ...]] = var((), init=False)
    """Several orders: the list's lines (one order's tracker has no list)."""
    phase: var[Phase] = var(Phase.LOADING, init=False)
    """Where tracking of the selected order is (loading, live, checking, failing, ...):
    drives the freshness line and, entering or leaving the error screen, the keys."""
    plan: var[PollPlan | None] = var(None, init=False)
    """What polling of the selected order does next (the policy's latest plan)."""
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
        Binding(
            "down",
            "next_order",
            "Switch order",
            key_display="↑↓ 1-9",
            id="tracker.switch",
            tooltip="Show the next order (up: the previous one; 1 to 9: that one)",
        ),
        Binding(
            "up",
            "previous_order",
            "Previous order",
            show=False,
            id="tracker.previous",
            tooltip="Show the previous order",
        ),
        *[
            Binding(
                str(number),
                f"select_order({number - 1})",
                f"Order {number}",
                show=False,
                id=f"tracker.order{number}",
                tooltip=f"Show the order numbered {number} in the list",
            )
            for number in range(1, NUMBERED + 1)
        ],
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
        order_id: str | Sequence[str],
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
        """``order_id``: one order's id, or several (a list of them, and the detail of the
        one selected)."""
        super().__init__(client_factory, clock=clock)
        self._first = first
        ids = [order_id] if isinstance(order_id, str) else list(dict.fromkeys(order_id))
        self.followed = tuple(Followed(index, each) for index, each in enumerate(ids))
        self.several = len(self.followed) > 1
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
        # Cancelling (the selected order).
        self._cancel_screen: CancelScreen | None = None
        self._cancel_draft: CancelDraft | None = None  # None: an empty one
        self._cancel_key: tuple[str, str] | None = None
        self._announce_cancel: str | None = None  # the id of the order just cancelled
        # The QA console (sandbox only).
        self.qa_console: QAConsole | None = None
        # On screen: the header and "Fetching order…" first, the panels with the order.
        self._header = OrderHeader(ids[0], sandbox_url=sandbox_url, id="header")
        self._fetching = Static(Text("Fetching order…"), id="fetching")
        self._body = VerticalScroll(self._fetching, id="body")
        self._panels: OrderPanels | None = None  # made with the first order
        self._panels_mounted = False
        # Set once the first frame (the order's code, "Fetching order…") is on screen: the
        # first fetch waits for it, so the client's libraries (about 200 ms of imports)
        # load while the customer already sees the tracker.
        self._framed = asyncio.Event()

    # -- the selected order ------------------------------------------------------------

    @property
    def current(self) -> Followed:
        """The order shown (the selected one of several)."""
        return self.followed[min(self.selected, len(self.followed) - 1)]

    @property
    def order_id(self) -> str:
        return self.current.order_id

    @property
    def order(self) -> Order | None:
        """The selected order as last shown (None until it was loaded)."""
        return self.current.order

    @property
    def progress(self) -> Progress | None:
        shown = self.current.shown
        return None if shown is None else shown.progress

    @property
    def last_error(self) -> BaseException | None:
        """The selected order's last failed check's error (None after a success)."""
        return self.current.last_error

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The first frame is only the order's code (known from its id) and "Fetching
        # order…": the panels are built with the first order, which they show at once.
        # The size classes are set before the widgets exist, so their styles are worked out
        # once (setting them after the mount restyles every widget).
        self._fit(self.size.width, self.size.height)
        yield self._header.data_bind(TrackerApp.shown)
        if self.several:
            from tote_track.tui.tracker.order_list import OrderList

            # The list has the focus: the arrows switch orders.
            yield OrderList(id="orders").data_bind(TrackerApp.orders, TrackerApp.selected)
        # The body is in the first frame (with one order it has the focus: the arrow keys
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
        if self.several:
            self.orders = tuple(self._listed(followed) for followed in self.followed)
        self.refresh_freshness()
        for followed in self.followed:
            self._poll_now(followed)  # waits for the frame

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
            if panels.is_mounted:  # mounted while the answer was out (_premount_panels)
                panels.display = True
            else:
                await self._body.mount(panels, before=self._fetching)

    async def _premount_panels(self) -> None:
        """While the first answer is still out (over a real network, once what showing it
        needs has loaded): the panels, empty and hidden, are mounted, so that the answer
        only fills and reveals them. On loopback the answer is in before: nothing changes.
        """
        if self._panels is not None or self.several:
            return
        from tote_track.tui.tracker.panels import OrderPanels

        panels = OrderPanels(tz=self.tz, id="panels")
        panels.display = False
        panels.data_bind(TrackerApp.shown)
        self._panels = panels
        await self._body.mount(panels, before=self._fetching)

    def on_ready(self) -> None:
        # Textual sends Ready once the first frame is on the terminal.
        self._framed.set()

    def on_unmount(self) -> None:
        for followed in self.followed:
            self._cancel_timer(followed)

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

    def _cancel_timer(self, followed: Followed) -> None:
        if followed.timer is not None:
            followed.timer.stop()
            followed.timer = None

    def _poll_now(self, followed: Followed) -> None:
        """Fetch the order now, in its one poll worker (a fetch in flight is replaced)."""
        self._cancel_timer(followed)
        followed.next_due = None
        self._set_phase(followed, Phase.LOADING if followed.order is None else Phase.CHECKING)
        self.run_worker(
            self._fetch(followed),
            group=f"poll-{followed.index}",
            exclusive=True,
            exit_on_error=False,
            description=f"GET the order {followed.code}",
        )

    def poll_if_due(self, followed: Followed | None = None) -> None:
        """Check each order (or ``followed``) whose planned check is due on the tracker's
        clock (the next-poll timers call this; tests with a frozen clock call it after
        moving time on)."""
        for each in self.followed if followed is None else (followed,):
            each.timer = None
            if each.next_due is None:
                continue
            remaining = each.next_due - self.clock.monotonic()
            if remaining > DUE_SLACK:
                if self.auto_poll:  # woken early: wait for the rest
                    self._start_timer(each, remaining)
                continue
            self._poll_now(each)

    def _start_timer(self, followed: Followed, delay: float) -> None:
        followed.timer = self.set_timer(
            delay, partial(self.poll_if_due, followed), name="next-poll"
        )

    async def _fetch(self, followed: Followed) -> None:
        # One request, no retries inside the client: every wait is the policy's, so the
        # freshness line can say what it waits for and until when.
        await self._framed.wait()
        try:
            order = await self._get_order(followed)
        except Exception as error:  # every failure is shown (a bug too), none ends the app
            self._poll_failed(followed, error)
        else:
            self._poll_succeeded(followed, order)
            if followed is self.current:
                await self._mount_panels()
        resume_collection()  # start-up is over (see tote_track.run.pause_collection)

    async def _get_order(self, followed: Followed) -> Order:
        """The order, from the app's own client; until one is shown, with what showing it
        needs loaded while the request is out (:meth:`_first_order`). A short code's lookup
        sends the first request before the app starts (``first``): its answer is the first."""
        first = self._first
        if first is not None and followed.index == 0:
            try:
                reply = await asyncio.wrap_future(first)
            finally:
                if first.done():  # used, whatever it was (a replaced fetch waits again)
                    self._first = None
            return self.client.read_order(reply)
        if followed.order is None:
            return await self._first_order(followed)
        return await self.client.get_order(followed.order_id)

    async def _first_order(self, followed: Followed) -> Order:
        """The first ``GET``: the request goes out first, needing only httpx; once it only
        waits on the network, pydantic, the models and the panels (:func:`load_order_modules`)
        load on a thread, so over a real network their import overlaps the round trips (the
        TLS handshake, then the request) instead of coming before them. The answer is read
        once both are done."""
        waiting = asyncio.Event()
        request = asyncio.ensure_future(
            self.client.get_order_reply(followed.order_id, on_wait=waiting.set)
        )
        waited = asyncio.ensure_future(waiting.wait())
        try:
            # Until the request only waits on the network (or is over), it has the CPU.
            await asyncio.wait([request, waited], return_when=asyncio.FIRST_COMPLETED)
            await asyncio.to_thread(load_order_modules)
            if not request.done():
                await self._premount_panels()
        except BaseException:  # the fetch replaced, or the app closing: the request stops
            request.cancel()
            request.add_done_callback(_consume)
            raise
        finally:
            waited.cancel()
        return self.client.read_order(await request)

    def _set_phase(self, followed: Followed, phase: Phase) -> None:
        followed.phase = phase
        if followed is self.current:
            self.phase = phase

    def _keep_plan(self, followed: Followed, plan: PollPlan | None) -> None:
        """``followed``'s plan, mirrored for the order shown (as :meth:`_set_phase`)."""
        followed.plan = plan
        if followed is self.current:
            self.plan = plan

    def _set_plan(
        self, followed: Followed, plan: PollPlan, error: BaseException | None = None
    ) -> None:
        """Follow ``plan`` after a check that ended with ``error`` (None: it succeeded)."""
        self._cancel_timer(followed)
        if plan.delay is None:
            followed.next_due = None
        else:
            followed.next_due = self.clock.monotonic() + plan.delay
            if self.auto_poll:
                self._start_timer(followed, plan.delay)
        followed.last_error = error
        self._keep_plan(followed, plan)
        self._set_phase(followed, phase_after(plan, error))
        self._list(followed)

    def _poll_succeeded(self, followed: Followed, order: Order) -> None:
        now = self.clock.monotonic()
        followed.updated_at = self.clock.wall()
        followed.failure = None
        if followed is self.current and self._showing_error():
            self.pop_screen()
            self.exit_code = exit_codes.OK
        previous = followed.order
        if previous is None or should_replace(previous, order):
            followed.order = order
            self._show_order(followed, previous)
        shown = followed.order
        assert shown is not None
        if previous is None or followed.plan is None:
            plan = self.policy.start(shown, now)
        else:
            plan = self.policy.after_success(followed.plan, shown, now)
        self._set_plan(followed, plan)

    def _poll_failed(self, followed: Followed, error: Exception) -> None:
        now = self.clock.monotonic()
        if isinstance(error, ToteError) and error.transient:
            if followed is self.current and self._showing_error():
                self.pop_screen()  # a retry from it: now reconnecting
                self.exit_code = exit_codes.OK
            plan = followed.plan if followed.plan is not None else self.policy.before_first(now)
            after = self.policy.after_failure(
                plan, now, retry_after=error.retry_after, unreached=never_reached(error)
            )
            if after.stop is not StopReason.UNREACHABLE:
                self._set_plan(followed, after, error)
                return
            # The API was never reached: say so, as for any load error.
            self._keep_plan(followed, after)
        self._cancel_timer(followed)
        followed.next_due = None
        followed.last_error = error
        if followed.order is None:
            self._show_load_error(followed, error)
            return
        # The order is on screen but can no longer be fetched: stop and say so.
        self._set_phase(followed, Phase.STOPPED)
        self._list(followed)

    def _show_load_error(self, followed: Followed, error: Exception) -> None:
        words = load_failure(error, order_id=followed.order_id, base_url=self.client.base_url)
        self.exit_code = exit_codes.API_ERROR
        if self.several:  # the others go on: this one's line and detail say why
            followed.failure = words
            self._set_phase(followed, Phase.ERROR)
            self._list(followed)
            if followed is self.current:
                self._show(followed)
            return
        from tote_track.tui.tracker.dialogs import ErrorScreen

        if self._showing_error():
            self.pop_screen()
        self.push_screen(ErrorScreen(words.title, words.sentence, words.next_step))
        self._set_phase(followed, Phase.ERROR)

    def action_poll_now(self) -> None:
        """``r``: check the order shown now; after a pause (max duration passed) tracking
        starts over."""
        followed = self.current
        plan = followed.plan
        if plan is not None and plan.stop is StopReason.GAVE_UP and followed.order is not None:
            self._keep_plan(
                followed, self.policy.resume(plan, followed.order, self.clock.monotonic())
            )
        elif plan is not None and plan.stop is StopReason.UNREACHABLE:
            self._keep_plan(followed, None)  # trying again from the start: the same few
        if followed.phase in (Phase.STOPPED, Phase.ERROR):
            followed.last_error = None  # a fresh start: the words of that failure go
        self._poll_now(followed)

    # -- rendering ---------------------------------------------------------------------

    def _show_order(self, followed: Followed, previous: Order | None) -> None:
        # The panels, and the rule that works out the progress, load with the first order:
        # the first frame needs neither.
        from tote_track.tracking.stepper import progress_of, record_seen

        order = followed.order
        assert order is not None
        assert followed.updated_at is not None
        followed.seen = record_seen(followed.seen, order, followed.updated_at)
        progress = progress_of(order, followed.seen)
        followed.shown = ShownOrder(
            followed.order_id,
            order,
            progress,
            money=settlement_lines(order),
        )
        if followed is self.current:
            self._show(followed)
            self._overtake_cancel_dialog(order)
        if self._announce_cancel == order.id and order.status == OrderStatus.CANCELLED:
            self._announce_cancel = None
            self._announce_cancelled(order)
        elif previous is not None:
            if not self.several and (order.status, order.fulfillment_status) != (
                previous.status,
                previous.fulfillment_status,
            ):
                self.clear_notifications()  # an alert about an older state is stale now
            self._maybe_alert(previous, order, progress)

    def _show(self, followed: Followed) -> None:
        """Show ``followed`` (the selected order): the header and panels follow ``shown``."""
        shown = followed.shown or ShownOrder(followed.order_id)
        if shown.order is not None and self._panels is None:
            from tote_track.tui.tracker.panels import OrderPanels

            # Filled before it is mounted (the watcher runs at once), bound from then on.
            self._panels = OrderPanels(tz=self.tz, id="panels")
            self._panels.shown = shown
            self._panels.data_bind(TrackerApp.shown)
        self.shown = shown
        self.phase = followed.phase
        self.plan = followed.plan
        if self.several:
            loaded = shown.order is not None
            if self._panels is not None:
                self._panels.display = loaded
            self._fetching.display = not loaded or not self._panels_mounted
            if not loaded:
                failure = followed.failure
                words = f"Fetching order {followed.code}…"
                if failure is not None:
                    words = f"{failure.title}. {failure.sentence} {failure.next_step}"
                self._fetching.update(Text(words))
        self._render_cancel_hint()
        if self.qa_console is not None and shown.order is not None:
            self.qa_console.show_order(shown.order)

    def watch_selected(self) -> None:
        followed = self.current
        self._show(followed)
        if followed.order is not None and not self._panels_mounted:
            self.call_later(self._mount_panels)
        self.refresh_freshness()

    def _listed(self, followed: Followed) -> ListedOrder:
        """``followed``'s line in the list of several: where it is, or why it is not."""
        from tote_track.tui.tracker.order_list import ListedOrder

        if followed.failure is not None:
            return ListedOrder(followed.code, note=f"✖ {followed.failure.title}")
        if followed.phase is Phase.STOPPED:
            return ListedOrder(followed.code, note="✖ can no longer be checked")
        shown = followed.shown
        if shown is None or shown.order is None or shown.progress is None:
            return ListedOrder(followed.code)
        from tote_track.tracking.several import order_line

        line = order_line(shown.order, shown.progress)
        return ListedOrder(followed.code, line.status, line.step)

    def _list(self, followed: Followed) -> None:
        """Several orders: ``followed``'s line in the list says where it is now."""
        if self.several:
            listed = list(self.orders)
            listed[followed.index] = self._listed(followed)
            self.orders = tuple(listed)

    def action_select_order(self, index: int) -> None:
        """``1``-``9``: show that order."""
        if 0 <= index < len(self.followed):
            self.selected = index

    def action_next_order(self) -> None:
        self.selected = (self.selected + 1) % len(self.followed)

    def action_previous_order(self) -> None:
        self.selected = (self.selected - 1) % len(self.followed)

    def on_option_list_option_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        # The list's arrows and clicks: show that order.
        self.selected = message.option_index

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
        followed = self.current
        updated_at, next_due = followed.updated_at, followed.next_due
        updated_ago = None if updated_at is None else (self.clock.wall() - updated_at)
        words = freshness(
            self.phase,
            self.plan,
            self.policy,
            updated_ago=None if updated_ago is None else updated_ago.total_seconds(),
            next_in=None if next_due is None else next_due - now,
            error=followed.last_error,
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
            self._cancel_failed(self._followed(order_id), error)
        else:
            self.cancelling = False
            self._cancel_succeeded(self._followed(order_id))

    def _followed(self, order_id: str) -> Followed:
        return next(each for each in self.followed if each.order_id == order_id)

    def _close_cancel_screen(self, draft: CancelDraft) -> None:
        screen = self._cancel_screen
        if screen is not None and screen.is_attached:
            screen.dismiss(draft)
        self._cancel_screen = None

    def _cancel_succeeded(self, followed: Followed) -> None:
        self._cancel_key = None
        from tote_track.tui.tracker.dialogs import CancelDraft

        self._cancel_draft = None
        self._close_cancel_screen(CancelDraft())
        self._announce_cancel = followed.order_id
        self._render_cancel_hint()
        self._poll_now(followed)

    def _cancel_failed(self, followed: Followed, error: Exception) -> None:
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
            self._poll_now(followed)
            return
        if self._cancel_screen is not None and self._cancel_screen.is_attached:
            self._cancel_screen.show_error(failure.message)
        else:
            self.notify_literally(failure.message, title="Cancel failed", severity="error")

    # -- keys, help, palette -----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_order", "previous_order", "select_order"):
            return self.several  # one order: no list (the arrow keys scroll)
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
            self.push_screen(
                HelpScreen(qa_console=self.qa_console is not None, several=self.several)
            )

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
        for followed in self.followed:
            self._cancel_timer(followed)
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
    order_id: str | Sequence[str],
    *,
    notify: bool = True,
    sandbox: bool = False,
    policy: PollingPolicy | None = None,
    verbose: bool = False,
    early: EarlyCall[Reply] | None = None,
    warm: WarmConnection | None = None,
) -> int:
    """Run the tracker in this terminal until the customer quits; returns the exit code.

    ``order_id``: one order's id, or several. ``early``: the first request, already sent
    (see ``api.early``). ``warm``: the API's connection, opening (see ``api.warm``)."""
    # The trusted CAs load on a thread while the app starts (OpenSSL, without the GIL),
    # with the API's connection when it is opened ahead (api.warm): the client's context.
    ahead = early.warm if early is not None else warm or WarmConnection(config).start()

    def make_client() -> ToteClient:
        from tote_track.api.client import ToteClient  # after the first frame (see _framed)

        # One request per check (no retries inside the client): the polling policy owns
        # every wait, Retry-After included, so the screen always says what it waits for.
        return ToteClient(config, max_retries=0, warm=ahead)

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
        ahead.close()
    # Only the exit is left: the collection at exit need not walk every object (with an
    # order of 20,000 items that walk took longer than the rest of quitting).
    gc.freeze()
    if result is None:
        return app.return_code or exit_codes.OK
    return result
