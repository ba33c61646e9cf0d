"""The served schema keeps the promised API (../shared/contract/crm.graphql).

Until every built-in plugin exists, the only differences allowed are elements
owned by a plugin that is not built yet; the contract marks each plugin's
section with a ``# ---- <plugin>`` line, and fields other plugins add say
"From the <plugin> plugin".
"""

from __future__ import annotations

import re

import pytest
from graphql import GraphQLNamedType, build_schema, find_breaking_changes, get_named_type

from core.plugins import discover
from tests.conftest import ROOT

CONTRACT = ROOT.parent / "shared" / "contract" / "crm.graphql"
SECTION = re.compile(r"^# -+ (\w+)\s*$")
FROM_PLUGIN = re.compile(r"From the (\w+) plugin")


def section_owners(sdl: str) -> dict[str, str]:
    """Each type the contract defines, with the plugin section it is written in."""
    owners: dict[str, str] = {}
    section = "kernel"
    for line in sdl.splitlines():
        if match := SECTION.match(line):
            section = match.group(1)
        elif match := re.match(r"^(?:type|input|enum|interface|scalar|union) (\w+)", line):
            owners[match.group(1)] = section
    return owners


def owner_of(description: str, contract, owners: dict[str, str]) -> str:
    """Which plugin a breaking change belongs to."""
    names = re.findall(r"\b([A-Z]\w*)\.(\w+)\b", description)
    if names:
        type_name, field_name = names[0]
        parent = contract.type_map[type_name]
        field = parent.fields.get(field_name) if hasattr(parent, "fields") else None
        if field is not None:
            if match := FROM_PLUGIN.search(field.description or ""):
                return match.group(1)
            returned: GraphQLNamedType = get_named_type(field.type)
            if owners.get(returned.name, "kernel") not in ("kernel", "roots"):
                return owners[returned.name]
        return owners.get(type_name, "kernel")
    type_name = re.match(r"(\w+)", description).group(1)  # type: ignore[union-attr]
    return owners.get(type_name, "kernel")


@pytest.mark.skipif(not CONTRACT.exists(), reason="no shared contract beside the project")
def test_the_contract_holds_for_every_plugin_that_is_built():
    text = CONTRACT.read_text(encoding="utf-8")
    contract = build_schema(text)
    served = build_schema((ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8"))
    owners = section_owners(text)
    built = set(discover()) | {"kernel"}

    broken = [
        f"{change.description} (owned by {owner})"
        for change in find_breaking_changes(contract, served)
        if (owner := owner_of(change.description, contract, owners)) in built
    ]

    assert broken == []
