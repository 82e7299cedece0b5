"""The baseline: a bare Textual app that paints one line and then idles."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("bare app ready")


if __name__ == "__main__":
    BareApp().run()
