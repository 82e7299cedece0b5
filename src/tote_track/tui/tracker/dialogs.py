"""The tracker's dialogs and screens: cancel, a message, help, and a startup error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Collapsible,
    Footer,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Static,
)

from tote_track.api.statuses import MAX_CANCEL_REASON
from tote_track.tui.tracker.widgets import literal

__all__ = [
    "PRESET_REASONS",
    "CancelDraft",
    "CancelScreen",
    "ErrorScreen",
    "HelpScreen",
    "MessageScreen",
    "ReasonButton",
]

PRESET_REASONS: tuple[str, ...] = (
    "Changed my mind",
    "Ordered by mistake",
    "Taking too long",
    "Other",
)
OTHER = len(PRESET_REASONS) - 1


@dataclass(frozen=True)
class CancelDraft:
    """What the customer chose and typed in the cancel dialog (kept across errors)."""

    preset: int = 0
    text: str = ""

    def reason(self) -> str | None:
        """The reason sent to the API; None when "Other" was chosen without saying why."""
        text = " ".join(self.text.split())
        if self.preset == OTHER:
            return text[:MAX_CANCEL_REASON] or None
        preset = PRESET_REASONS[self.preset]
        return f"{preset}: {text}"[:MAX_CANCEL_REASON] if text else preset


class ReasonButton(RadioButton):
    """One reason: ``(•)`` when chosen, ``( )`` when not, so the choice reads without colour
    (Textual's radio buttons all show ``●`` and tell them apart by colour only)."""

    @property
    def _button(self) -> Content:
        return Content.styled("(•)" if self.value else "( )", "bold" if self.value else "")


# What the keys are, wherever focus is: in the text box letters are text, so Enter sends
# and Escape backs out; elsewhere y and n work too.
CONFIRM_LABEL = "Yes, cancel  {key}"
BACK_LABEL = "No, keep it  {key}"


DialogResult = TypeVar("DialogResult")


class Dialog(ModalScreen[DialogResult]):
    """A box over the tracker: a title, a body, buttons. Each dialog's styles load with it
    (the first frame needs none of them), unscoped as in the stylesheet: ``.-compact`` is
    set on the app."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }

    .dialog {
        width: 66;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }

    .dialog.-warning {
        border: thick $warning;
    }

    .dialog-title {
        width: 100%;
        text-style: bold;
        content-align: center middle;
        margin-bottom: 1;
    }

    .-compact .dialog-title {
        margin-bottom: 0;
    }

    .dialog-body {
        height: auto;
        margin-bottom: 1;
    }

    .dialog-label {
        color: $text-muted;
    }

    .dialog-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }

    .dialog-buttons Button {
        margin-left: 2;
    }
    """
    SCOPED_CSS = False


class CancelScreen(Dialog[CancelDraft]):
    """Asks why, then confirms with ``y`` (or the button); ``n`` or Escape backs out.

    Confirming posts :class:`CancelScreen.Confirmed` with the reason; whoever sends the
    cancel answers with :meth:`show_error` or dismisses the dialog. In the text box, ``y``
    and ``n`` are letters: Enter confirms and Escape backs out there, and the buttons (and
    the footer) say so while the box has focus.

    The dialog stays open while the request is in flight ("Cancelling…", a second ``y``
    does nothing) and after an error, so nothing the customer chose or typed is lost. It is
    dismissed with the draft (for next time) when the customer backs out.

    Events can overtake it: when the order moves on while it is open (the store started
    preparing), :meth:`too_late` turns it into a message that says so and offers only
    closing.
    """

    DEFAULT_CSS = """
    #cancel-dialog {
        border: thick $error;
    }

    #cancel-reasons {
        width: 100%;
    }

    #cancel-text {
        margin-top: 1;
    }

    .-compact #cancel-text {
        margin-top: 0;
    }

    #cancel-error {
        height: auto;
        color: $text-error;
    }
    """
    SCOPED_CSS = False  # Textual reads it per class: ``.-compact`` is on the app

    class Confirmed(Message):
        """The customer confirmed the cancel with ``reason``."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "y",
            "confirm",
            "Yes, cancel",
            id="cancel_dialog.confirm",
            tooltip="Send the cancellation with the reason chosen here",
        ),
        Binding(
            "n,escape",
            "back",
            "No, keep it",
            key_display="n/esc",
            id="cancel_dialog.back",
            tooltip="Close this dialog; nothing is sent",
        ),
        # Shown instead of the two above while the text box has focus (it takes y and n as
        # letters, and Enter there submits): the footer tells the truth in both cases.
        Binding(
            "enter",
            "confirm_from_text",
            "Yes, cancel",
            id="cancel_dialog.confirm_from_text",
            tooltip="Send the cancellation with the reason chosen here",
        ),
        Binding(
            "escape",
            "back_from_text",
            "No, keep it",
            key_display="esc",
            id="cancel_dialog.back_from_text",
            tooltip="Close this dialog; nothing is sent",
        ),
        # Once it is too late (too_late): closing is all that is left.
        Binding(
            "escape,enter,n",
            "close",
            "Close",
            key_display="esc",
            id="cancel_dialog.close",
            tooltip="Close this message",
        ),
    ]
    AUTO_FOCUS = "#cancel-reasons"

    def __init__(
        self,
        *,
        code: str,
        eligibility: str,
        draft: CancelDraft,
    ) -> None:
        super().__init__()
        self._code = code
        self._eligibility = eligibility
        self._initial = draft
        self.busy = False
        self.overtaken = False
        """True once it is too late to cancel (:meth:`too_late`): only closing is offered."""

    def compose(self) -> ComposeResult:
        with Vertical(id="cancel-dialog", classes="dialog"):
            yield Label(
                literal(f"Cancel order {self._code}?"), id="cancel-title", classes="dialog-title"
            )
            yield Static(
                literal(
                    f"{self._eligibility} Anything you paid is refunded in full, and nothing "
                    "more is charged."
                ),
                id="cancel-body",
                classes="dialog-body",
            )
            yield Label("Why are you cancelling?", id="cancel-why", classes="dialog-label")
            with RadioSet(id="cancel-reasons"):
                for index, reason in enumerate(PRESET_REASONS):
                    yield ReasonButton(reason, value=index == self._initial.preset)
            yield Input(
                value=self._initial.text,
                placeholder="Anything else the store should know (optional)",
                max_length=MAX_CANCEL_REASON,
                id="cancel-text",
            )
            yield Static("", id="cancel-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(CONFIRM_LABEL.format(key="y"), id="cancel-confirm", variant="error")
                yield Button(BACK_LABEL.format(key="n"), id="cancel-back", variant="primary")

    @property
    def typing(self) -> bool:
        """Whether the text box has focus (y and n are letters there)."""
        focused = self.focused
        return focused is not None and focused.id == "cancel-text"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close" or self.overtaken:
            return action == "close" and self.overtaken
        if action in ("confirm", "back"):
            return not self.typing
        if action in ("confirm_from_text", "back_from_text"):
            return self.typing
        return True

    def action_confirm_from_text(self) -> None:
        self.action_confirm()

    def action_back_from_text(self) -> None:
        self.action_back()

    def _show_keys(self) -> None:
        """The buttons name the keys that work where focus is now."""
        if not self.is_attached or not self.query("#cancel-back") or self.overtaken:
            return  # still composing, closed, or only closing is left
        confirm = self.query_one("#cancel-confirm", Button)
        back = self.query_one("#cancel-back", Button)
        if not self.busy:
            confirm.label = CONFIRM_LABEL.format(key="enter" if self.typing else "y")
        back.label = BACK_LABEL.format(key="esc" if self.typing else "n")
        confirm.refresh(layout=True)
        back.refresh(layout=True)
        self.refresh_bindings()

    def on_descendant_focus(self) -> None:
        self._show_keys()

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._show_keys)

    @property
    def draft(self) -> CancelDraft:
        reasons = self.query_one("#cancel-reasons", RadioSet)
        index = reasons.pressed_index
        text = self.query_one("#cancel-text", Input).value
        return CancelDraft(preset=index if index >= 0 else 0, text=text)

    def action_confirm(self) -> None:
        if self.busy:
            return
        reason = self.draft.reason()
        if reason is None:
            self.show_error('Please say why in the text box when you choose "Other".')
            self.query_one("#cancel-text", Input).focus()
            return
        self.busy = True
        self.query_one("#cancel-error", Static).update(Text(""))
        confirm = self.query_one("#cancel-confirm", Button)
        confirm.label = "Cancelling…"
        confirm.disabled = True
        self.query_one("#cancel-back", Button).disabled = True
        self.post_message(self.Confirmed(reason))

    def action_close(self) -> None:
        self.dismiss(self.draft)

    def too_late(self, title: str, reason: str) -> None:
        """The order moved on while the dialog was open: say it is too late, and why, and
        offer only closing. Ignored while a cancel is in flight (its answer says)."""
        if self.busy or self.overtaken or not self.is_attached:
            return
        self.overtaken = True
        self.query_one("#cancel-title", Label).update(literal(title))
        self.query_one("#cancel-body", Static).update(literal(reason))
        for selector in ("#cancel-why", "#cancel-reasons", "#cancel-text", "#cancel-error"):
            self.query_one(selector).display = False
        self.query_one("#cancel-confirm", Button).display = False
        close = self.query_one("#cancel-back", Button)
        close.label = "Close (esc)"
        close.focus()
        self.refresh_bindings()

    def action_back(self) -> None:
        if self.busy:
            self.query_one("#cancel-error", Static).update(
                Text("Still cancelling: please wait for the store's answer.")
            )
            return
        self.dismiss(self.draft)

    def on_mount(self) -> None:
        # Small terminals: one-line buttons, so the dialog fits 80x24 even with an error.
        small = self.app.has_class("-compact")
        for button in self.query(Button):
            button.compact = small

    def show_error(self, message: str) -> None:
        """The request failed (or was not sent): say so and let the customer try again.

        Focus moves to the confirm button, so ``y`` (or Enter) tries again at once.
        """
        self.busy = False
        self.query_one("#cancel-error", Static).update(literal(f"✖ {message}", lines=True))
        confirm = self.query_one("#cancel-confirm", Button)
        confirm.label = CONFIRM_LABEL.format(key="y")
        confirm.disabled = False
        self.query_one("#cancel-back", Button).disabled = False
        confirm.focus()

    @on(Button.Pressed, "#cancel-confirm")
    def _confirm_pressed(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#cancel-back")
    def _back_pressed(self) -> None:
        if self.overtaken:
            self.action_close()
        else:
            self.action_back()

    @on(Input.Submitted, "#cancel-text")
    def _text_submitted(self) -> None:
        self.action_confirm()


class MessageScreen(Dialog[None]):
    """A short message with a title (why a cancel could not happen, and what to do).

    ``details`` (a server's own words) sit behind a collapsed "Details" line: there for
    whoever wants them, never in the way of the message.
    """

    # The details (a server's own words): secondary, collapsed until asked for.
    DEFAULT_CSS = """
    #message-details {
        border: none;
        padding: 0;
        margin-bottom: 1;
        background: transparent;
    }

    .dialog-details {
        color: $text-muted;
    }
    """
    SCOPED_CSS = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,enter,o",
            "close",
            "OK",
            key_display="enter",
            id="message.close",
            tooltip="Close this message",
        ),
    ]

    AUTO_FOCUS = "#message-ok"

    def __init__(
        self, title: str, body: str, *, tone: str = "warning", details: str | None = None
    ) -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._tone = tone
        self._details = details

    def compose(self) -> ComposeResult:
        with Vertical(id="message-dialog", classes=f"dialog -{self._tone}"):
            yield Label(literal(self._title), classes="dialog-title")
            yield Static(literal(self._body, lines=True), classes="dialog-body")
            if self._details:
                with Collapsible(title="Details", collapsed=True, id="message-details"):
                    yield Static(literal(self._details), classes="dialog-details")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="message-ok", variant="primary")

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#message-ok")
    def _ok(self) -> None:
        self.dismiss(None)


HELP_KEYS: tuple[tuple[str, str], ...] = (
    ("r", "Check the order now (and resume tracking after a pause)"),
    ("c", "Cancel the order (until the store starts preparing it)"),
    ("q", "Quit"),
    ("?", "This help"),
    ("ctrl+p", "Command palette: every action, and the theme"),
)
QA_CONSOLE_KEY = ("e", "QA console: fire lifecycle events, inject faults (sandbox only)")
SEVERAL_KEY = ("↑ ↓ 1-9", "Show another of your orders (r and c act on the one shown)")


class HelpScreen(Dialog[None]):
    """The keys, how tracking works, and the exit codes."""

    DEFAULT_CSS = """
    #help-dialog {
        width: 72;
    }
    """
    SCOPED_CSS = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,question_mark,q",
            "close",
            "Close help",
            key_display="esc",
            id="help.close",
            tooltip="Back to the order",
        ),
    ]

    def __init__(self, *, qa_console: bool = False, several: bool = False) -> None:
        super().__init__()
        self.qa_console = qa_console
        self.several = several

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        shown = (*HELP_KEYS[:2], QA_CONSOLE_KEY, *HELP_KEYS[2:]) if self.qa_console else HELP_KEYS
        if self.several:
            shown = (SEVERAL_KEY, *shown)
        for key, meaning in shown:
            keys.add_row(key, meaning)
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Label("Tracking your order", classes="dialog-title")
            yield Static(keys, classes="dialog-body")
            yield Static(
                Text(
                    "The order is checked on its own: often when something is about to "
                    "happen, less often as it waits (the bottom line says when). Checking "
                    "stops when the order is finished and pauses after a long wait (r carries "
                    "on). A dropped connection is retried.\n\n"
                    "Orders can be cancelled here until the store starts preparing them; "
                    "after that, contact the store.\n\n"
                    "Exit codes: 0 after quitting; 4 when the order could not be loaded."
                ),
                classes="dialog-body",
            )
            yield Label("Esc closes this help.", classes="dialog-label")

    def action_close(self) -> None:
        self.dismiss(None)


class ErrorScreen(Screen[None]):
    """The order could not be loaded at all: what happened and what to do next."""

    DEFAULT_CSS = """
    ErrorScreen {
        align: center middle;
    }

    #error-box {
        width: 76;
        max-width: 100%;
        height: auto;
        border: thick $error;
        padding: 1 2;
    }

    #error-title {
        text-style: bold;
        color: $text-error;
        margin-bottom: 1;
    }

    #error-next {
        margin-top: 1;
    }
    """
    SCOPED_CSS = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "app.poll_now",
            "Try again",
            id="error.retry",
            tooltip="Ask the API for the order again",
        ),
        Binding("q", "app.quit", "Quit", id="error.quit", tooltip="Quit (exit code 4)"),
    ]

    def __init__(self, title: str, message: str, next_step: str) -> None:
        super().__init__()
        self._title = title
        self._message = message
        self._next_step = next_step

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box"):
            yield Label(literal(f"✖ {self._title}"), id="error-title")
            yield Static(literal(self._message, lines=True), id="error-message")
            yield Static(literal(self._next_step, lines=True), id="error-next")
        yield Footer()
