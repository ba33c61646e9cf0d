from __future__ import annotations

from pathlib import Path

import pytest


def install_plugin(site: Path, module: str, plugin_name: str) -> None:
    """Leave in ``site`` what ``pip install`` leaves: a distribution whose
    ``entry_points.txt`` registers ``module`` in the ``crm.plugins`` group."""
    info = site / f"crm_{plugin_name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: crm-{plugin_name}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[crm.plugins]\n{plugin_name} = {module}\n", encoding="utf-8"
    )


@pytest.fixture
def loyalty_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loyalty test plugin, installed through an entry point for this test only."""
    install_plugin(tmp_path, "tests.schema.loyalty_plugin", "loyalty")
    monkeypatch.syspath_prepend(str(tmp_path))
