"""The README's configuration table is the settings: every variable, with its default (the
limits among them are in the Limits table)."""

from __future__ import annotations

import re
from pathlib import Path

from api.settings import HTTP_LIMITS, PROJECT_ROOT, Settings


def _shown(value: object) -> str:
    """A default as the README writes it."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Path):
        return str(value.relative_to(PROJECT_ROOT))
    if isinstance(value, list):
        return ",".join(map(str, value)) or "unset"
    return str(value)


def _readme_table() -> dict[str, str]:
    """{VARIABLE: default} from the Configuration section's table."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([A-Z_]+)`", cells[0])
        defaults = [d.strip().strip("`") for d in cells[1].split(" / ")]
        rows.update(
            zip(names, defaults if len(defaults) == len(names) else defaults * len(names), strict=True)
        )
    return rows


def test_every_setting_is_documented_with_its_default() -> None:
    # The limits have their own table (tests/api/test_readme_limits.py).
    table = _readme_table()
    fields = {name: field for name, field in Settings.model_fields.items() if name not in HTTP_LIMITS}
    assert set(table) == {name.upper() for name in fields}
    assert {name: table[name.upper()] for name in fields} == {
        name: _shown(field.default) for name, field in fields.items()
    }
