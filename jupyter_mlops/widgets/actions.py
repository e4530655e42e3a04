"""What every tab of the panel shares: the one-line message, the confirmation bar, and the action
runner.

An action is one ``Workspace`` call (so the workspace's audit log records it). It runs in a worker
thread, never in the thread that handled the click: a click arrives on the kernel's shell thread,
and a ``traffic`` that waits for acknowledgements or a ``deploy`` that waits for a health check
would otherwise hold the kernel and the user's next cell. One action runs at a time per panel;
while it runs, the message line says what and for how long. Whatever it raises is shown as one
line (``ModelNotFound: No model named 'chrun'. Did you mean: churn?``), never a traceback.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import ipywidgets as w

from .._core.html import esc

MAX_MESSAGE_CHARS = 300


def one_line(exc: BaseException) -> str:
    """``exc`` as the single line a user reads: its class and message, first line only (our
    errors' messages carry the hint, e.g. the close matches)."""
    text = " ".join(str(exc).split()) or "(no message)"
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS - 1] + "…"
    return f"{type(exc).__name__}: {text}"


class MessageLine:
    """The panel's one line of feedback: what runs now, what succeeded, what failed."""

    def __init__(self):
        self.widget = w.HTML(value="")
        self.widget.add_class("mlops-panel-message")
        self.text = ""
        self.kind = ""  # "", "busy", "ok" or "error"
        self.source = ""  # what the line is about: "action" or "refresh"
        self._lock = threading.Lock()  # the action, its elapsed-time ticker and the refresher all write here

    def show(self, kind: str, text: str, only_if: str | None = None, source: str = "action") -> None:
        """Show ``text``; with ``only_if``, only while the line still shows that kind."""
        with self._lock:
            if only_if is not None and self.kind != only_if:
                return
            self.kind, self.text, self.source = kind, text, source
            icon = {"busy": "⏳ ", "ok": "✓ ", "error": "✗ "}.get(kind, "")
            value = (f'<div class="mlops-panel-line mlops-panel-{kind or "idle"}">{icon}{esc(text)}</div>'
                     if text else "")
            if self.widget.value != value:
                self.widget.value = value

    def error(self, exc: BaseException, source: str = "action") -> None:
        """Show ``exc`` as one line; ``source`` says what failed (an action, or a refresh)."""
        self.show("error", one_line(exc), source=source)

    def clear_refresh_error(self) -> None:
        """A refresh worked again: take down the line a failed refresh left (an action's error
        stays until the next action)."""
        with self._lock:
            if self.kind != "error" or self.source != "refresh":
                return
            self.kind, self.text, self.source = "", "", ""
            self.widget.value = ""


class ConfirmBar:
    """Asks before a destructive action: "Stop endpoint churn?" [Stop] [Cancel]. Hidden until asked."""

    def __init__(self):
        self.question = w.HTML()
        self.yes = w.Button(description="Yes", button_style="danger")
        self.no = w.Button(description="Cancel")
        self.widget = w.HBox([self.question, self.yes, self.no], layout=w.Layout(display="none"))
        self.widget.add_class("mlops-panel-confirm")
        self._then: Callable[[], None] | None = None
        self.yes.on_click(lambda _: self._answer(True))
        self.no.on_click(lambda _: self._answer(False))

    @property
    def asking(self) -> str | None:
        """The question shown, or None."""
        return self._question_text if self._then is not None else None

    def ask(self, question: str, yes: str, then: Callable[[], None]) -> None:
        self._question_text, self._then = question, then
        self.question.value = f"<b>{esc(question)}</b>"
        self.yes.description = yes
        self.widget.layout.display = "flex"

    def _answer(self, yes: bool) -> None:
        then, self._then = self._then, None
        self.widget.layout.display = "none"
        if yes and then is not None:
            then()


class Actions:
    """Runs one action at a time in a worker thread, saying on the message line what it does."""

    def __init__(self, message: MessageLine, after: Callable[[], None] = lambda: None):
        self.message = message
        self._after = after  # what to do once any action ended (the panel refreshes)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self, label: str, call: Callable[[], Any], done: Callable[[Any], None] | None = None) -> bool:
        """Start ``call`` (one Workspace call) as ``label`` ("approve churn:3"); ``done`` gets its
        result. False when another action still runs (said on the message line)."""
        with self._lock:
            if self.busy:
                self.message.show("error", f"Wait: {self._label} is still running.")
                return False
            self._label = label
            self.message.show("busy", f"{label}…")  # at once, before the thread gets going
            self._thread = threading.Thread(target=self._work, args=(label, call, done),
                                            name=f"mlops-panel-action {label}", daemon=True)
            self._thread.start()
        return True

    def _work(self, label: str, call: Callable[[], Any], done: Callable[[Any], None] | None) -> None:
        started = time.monotonic()
        finished = threading.Event()
        ticker = threading.Thread(target=self._tick_elapsed, args=(label, started, finished), daemon=True,
                                  name="mlops-panel-elapsed")
        ticker.start()
        try:
            result = call()
            if done is not None:
                done(result)
        except Exception as exc:  # noqa: BLE001 - every failure becomes the one line the user reads
            finished.set()
            self.message.error(exc)
        else:
            finished.set()
            self.message.show("ok", f"{label}: done ({time.monotonic() - started:.1f} s)")
        finally:
            finished.set()
            try:
                self._after()
            except Exception as exc:  # noqa: BLE001
                self.message.error(exc)

    def _tick_elapsed(self, label: str, started: float, finished: threading.Event) -> None:
        # a long action (a deploy waiting for its health check) says it is still going
        while not finished.wait(1.0):
            self.message.show("busy", f"{label}… {time.monotonic() - started:.0f} s", only_if="busy")

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running action (if any) has ended: for scripts and tests."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
