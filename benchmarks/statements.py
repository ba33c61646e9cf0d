"""Counting the SQL statements an engine sends, as the tests do (``tests/conftest.py``'s
``sql`` fixture): BEGIN and SQLite's PRAGMAs are not counted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


class StatementCounter:
    """The statements sent while :meth:`on` an engine, each on one line."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            self.statements.append(" ".join(statement.split()))

    @contextmanager
    def on(self, engine: Engine) -> Iterator[StatementCounter]:
        self.statements = []
        event.listen(engine, "before_cursor_execute", self)
        try:
            yield self
        finally:
            event.remove(engine, "before_cursor_execute", self)
