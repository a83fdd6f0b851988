"""Every live visitor session, and closing the ones whose visitor has gone.

A browser tab says goodbye when it closes (Gradio's unload event) and, while open, ticks a keep-alive
timer every KEEP_ALIVE seconds. An API client does neither, so a session that no request has touched
for the idle timeout, with no request running, is closed by a sweep every SWEEP_EVERY seconds.
Closing stops the visitor's training and removes their files (studio/session.py: close_session).
Gradio's own state expiry is not relied on: it never expires a session whose state no event has
written, which is every session here. After each sweep, memory freed by closed sessions and finished
requests is handed back to the system (glibc otherwise keeps it in per-thread arenas for reuse).
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import threading
import time
from collections.abc import Iterator

import gradio as gr

from .session import Session, close_session

KEEP_ALIVE = 5 * 60  # seconds between an open page's keep-alive ticks
IDLE_TIMEOUT = 30 * 60  # a session untouched this long (no open page, no request) is closed
SWEEP_EVERY = 60

_lock = threading.Lock()
_live: dict[int, Session] = {}  # id(session) -> session, every session not yet closed
_by_client: dict[str, Session] = {}  # Gradio's session hash -> its session, once a request has said it
_settings = {"idle_timeout": float(IDLE_TIMEOUT)}
_sweeper: threading.Thread | None = None


def new_session() -> Session:
    """gr.State's initial value factory: called once per page load (or API client)."""
    sess = Session()
    with _lock:
        _live[id(sess)] = sess
    return sess


def seen(sess: Session, request: gr.Request | None = None) -> None:
    """A request of this session came: it is in use now (and, with its request, whose it is)."""
    sess.last_used = time.monotonic()
    with _lock:
        _live[id(sess)] = sess
        hash_ = getattr(request, "session_hash", None) if request is not None else None
        if isinstance(hash_, str) and hash_:
            _by_client[hash_] = sess


@contextlib.contextmanager
def in_use(args: tuple) -> Iterator[None]:
    """Around a handler: the sessions among its arguments are busy (never swept) until it returns."""
    mine = [a for a in args if isinstance(a, Session)]
    for sess in mine:
        seen(sess)
        sess.busy += 1
    try:
        yield
    finally:
        for sess in mine:
            sess.busy -= 1
            sess.last_used = time.monotonic()


def keep_alive(sess: Session, request: gr.Request) -> None:
    """An open page's timer tick: its visitor is still here."""
    seen(sess, request)


def left(request: gr.Request) -> None:
    """Gradio's unload event: the page was closed (or reloaded), so its session goes now."""
    with _lock:
        sess = _by_client.pop(getattr(request, "session_hash", None) or "", None)
        if sess is not None:
            _live.pop(id(sess), None)
    close_session(sess)


def sweep(now: float | None = None) -> int:
    """Close every session idle for longer than the idle timeout with no request running; -> how many."""
    now = time.monotonic() if now is None else now
    with _lock:
        idle = [s for s in _live.values() if not s.busy and now - s.last_used > _settings["idle_timeout"]]
        gone = {id(s) for s in idle}
        for key in gone:
            del _live[key]
        for key in [k for k, s in _by_client.items() if id(s) in gone]:
            del _by_client[key]
    for sess in idle:
        close_session(sess)
    return len(idle)


def live_sessions() -> int:
    with _lock:
        return len(_live)


def start_sweeper(idle_timeout: float | None = None) -> None:
    """Sweep on a daemon thread every SWEEP_EVERY seconds (one thread per process, however many apps)."""
    global _sweeper
    if idle_timeout is not None:
        _settings["idle_timeout"] = float(idle_timeout)
    with _lock:
        if _sweeper is not None:
            return
        _sweeper = threading.Thread(target=_sweep_forever, name="latent-studio-session-sweep", daemon=True)
        _sweeper.start()


def _sweep_forever() -> None:
    while True:
        time.sleep(min(SWEEP_EVERY, _settings["idle_timeout"] / 2))
        sweep()
        give_back_freed_memory()


def give_back_freed_memory() -> None:
    """malloc_trim(0): glibc returns the free memory of all its arenas to the system. Hand-written with
    ctypes because no library wraps it; on other C libraries (musl, macOS) there is nothing to do."""
    name = ctypes.util.find_library("c")
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass
