"""The README's Limits table is the one the definitions make: a new limit, a changed default
or description fails here until the README says it too."""

from __future__ import annotations

from api.settings import PROJECT_ROOT, limits_table


def test_the_readme_lists_every_limit_with_its_default_and_variable() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- limits:start")
    table = readme[readme.index("\n", start) + 1 : readme.index("<!-- limits:end -->")].strip()
    assert table == limits_table()
