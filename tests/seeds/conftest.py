"""The real dataset in seeds/, read and validated once for every curation test."""

from __future__ import annotations

import pytest

from api.settings import PROJECT_ROOT
from db.seed import Dataset, read_dataset

SEEDS = PROJECT_ROOT / "seeds"


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    # Validation itself (schema of every file, references, duplicate slugs, dates, enums,
    # score ranges, end >= start) happens here; a problem fails with file, record and reason.
    return read_dataset(SEEDS)
