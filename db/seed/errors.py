"""What a broken seed file reports: the file, the record and the reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedProblem:
    file: str
    record: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: {self.reason}"


class SeedError(Exception):
    """The seed files are invalid; nothing was written."""

    def __init__(self, problems: list[SeedProblem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the seed files:\n{shown}{more}")
