"""Alembic environment: runs on the connection that core.migrations hands over."""

from typing import Any

from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from core.columns import MinorUnits, UTCDateTime


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write the project's column types as plain SQLAlchemy ones, so that a
    revision never imports application code that may change after it."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, MinorUnits):
        return "sa.BigInteger()"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def include_object(
    object_: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """When a plugin's revision is written, only that plugin's tables (each named
    ``<plugin>_...``) are compared, so that a difference in another plugin's or
    the kernel's tables does not slip into its branch."""
    owner = context.config.attributes.get("tables_of")
    if owner is None:
        return True
    table = name if type_ == "table" else getattr(getattr(object_, "table", None), "name", None)
    return table is None or table.startswith(f"{owner}_")


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    render_item=render_item,
    include_object=include_object,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
