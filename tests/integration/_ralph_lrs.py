"""Runs in the Ralph venv: the Ralph LRS API (ralph-malph 5.1.0, filesystem backend) under uvicorn.

Usage: python _ralph_lrs.py HOST PORT   (settings from RALPH_* environment variables)

Two differences from `ralph runserver`, both for a test harness: no auto-reloader (runserver watches the working
folder and restarts the server when files change), and the fs backend appends. Ralph 5.1.0's fs LRS backend
writes with operation "create" by default, so only the first POST that stores new statements succeeds; every
later one gets 500 "fs_lrs.jsonl already exists" (seen with plain `ralph runserver -b fs`). Appending is an
operation the same backend already implements. Auth, validation, de-duplication and storage are Ralph's own.
"""

from __future__ import annotations

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host=sys.argv[1], port=int(sys.argv[2]), log_level="info", reload=False)
