"""Child process of test_store_durability: appends events as fast as it can until it is killed.

Usage: python _kill9_writer.py DB_PATH SESSION_ID

Prints "ready", then the writer's committed count after every commit (flushed), so that the parent
knows which events were committed before it sends SIGKILL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from dual_teacher.core.events import AnswerHeard
from dual_teacher.engagement.store import EventStore
from dual_teacher.runtime.store_writer import StoreWriter


def main(argv: list[str]) -> int:
    db, session_id = Path(argv[1]), argv[2]
    store = EventStore(db)
    store.create_session(session_id, "kill9-pack", "Kill -9 test", str(db), "test", time.time(), "test")
    store.close()

    def on_commit(committed: int) -> None:
        sys.stdout.write(f"{committed}\n")
        sys.stdout.flush()

    # The producer below never sleeps; a short GIL switch interval keeps the writer thread from waiting
    # ~5 ms for the GIL after every INSERT (which made the first commit take seconds).
    sys.setswitchinterval(0.0002)
    writer = StoreWriter(db, batch_window_s=0.005, on_commit=on_commit)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    i = 0
    while True:
        event = AnswerHeard(answer=f"a{i}", confidence=0.5, source="kill9 ✓")
        writer.append(session_id, event, time.monotonic(), time.time())
        i += 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
