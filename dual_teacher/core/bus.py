"""A small thread-safe publish/subscribe bus for low-rate events."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from dual_teacher.core.events import Event

log = logging.getLogger(__name__)

Handler = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: list[Handler] = []
        self._lock = threading.Lock()
        self.handler_errors = 0

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        with self._lock:
            self._handlers.append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers:
                    self._handlers.remove(handler)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            handlers = list(self._handlers)
        for handler in handlers:
            try:
                handler(event)
            except Exception:  # one broken subscriber must not stop the class
                self.handler_errors += 1
                log.exception("event handler failed for %s", event.kind)
