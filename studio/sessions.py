"""Every live visitor session, and closing the ones whose visitor has gone.

A browser tab says goodbye when it closes (Gradio's unload event, when its heartbeat stream ends) and,
while open, ticks a keep-alive timer every KEEP_ALIVE seconds. Its session is closed LEFT_GRACE seconds
after the goodbye unless a request came since (a page whose connection dropped and came back). A
client with no page sends no goodbye, so a session that no request has touched for the idle timeout,
with no request running, is closed too. A sweep every SWEEP_EVERY seconds does both.
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
LEFT_GRACE = 60  # seconds a closed page's session waits for the page to come back
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
    """A request of this session came: it is in use now (and, from its request, whose it is)."""
    sess.last_used = time.monotonic()
    if request is None:
        request = _current_request()
    with _lock:
        _live[id(sess)] = sess
        hash_ = getattr(request, "session_hash", None) if request is not None else None
        if isinstance(hash_, str) and hash_:
            _by_client[hash_] = sess


def _current_request() -> gr.Request | None:
    """The request being handled on this thread (Gradio's LocalContext), if any."""
    try:
        from gradio.context import LocalContext
    except ImportError:
        return None
    return LocalContext.request.get(None)


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
    """Gradio's unload event: the page was closed (or reloaded, or lost its connection). Its session is
    closed by the sweep after LEFT_GRACE seconds, unless a request comes first."""
    with _lock:
        sess = _by_client.get(getattr(request, "session_hash", None) or "")
    if sess is not None:
        sess.left_at = time.monotonic()


def sweep(now: float | None = None) -> int:
    """Close every session whose page left over LEFT_GRACE seconds ago with no request since, and every
    one idle for longer than the idle timeout, unless a request of it is running; -> how many."""
    now = time.monotonic() if now is None else now

    def gone(s: Session) -> bool:
        if s.busy:
            return False
        page_left = s.left_at is not None and s.last_used <= s.left_at and now - s.left_at > LEFT_GRACE
        return page_left or now - s.last_used > _settings["idle_timeout"]

    with _lock:
        idle = [s for s in _live.values() if gone(s)]
        ids = {id(s) for s in idle}
        for key in ids:
            del _live[key]
        for key in [k for k, s in _by_client.items() if id(s) in ids]:
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
