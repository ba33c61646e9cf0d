"""Refusing the NUL character (U+0000) in every text a request carries.

No text a bank keeps has a use for it, PostgreSQL cannot store it in a text
column (it fails the statement), and SQLite would store it and hand it back
cut short to C libraries. So it is refused at the edge, the same on both
databases and before anything runs: in a GraphQL string literal
(:class:`NoNulCharacter`, a validation rule, so once per distinct document) and
in the request's JSON (:func:`holds_nul`: the variables, the operation name).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, StringValueNode, ValidationRule

NUL = "\x00"
CODE = "INVALID_CHARACTERS"
MESSAGE = "Text may not contain the NUL character (U+0000)."


def holds_nul(value: Any) -> bool:
    """Whether any string in a parsed JSON value (keys included) holds NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False


class NoNulCharacter(ValidationRule):
    """A string literal of the document (``"\\u0000"``) may not decode to NUL."""

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if NUL in node.value:
            self.report_error(GraphQLError(MESSAGE, node, extensions={"code": CODE}))
