"""The directory several worker processes share their metrics through (prometheus-client's
multiprocess mode); kept apart from api.metrics, which must not be imported before it is set."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(given: Path | None) -> Path:
    """For `serve` with several workers, before any worker starts: the directory they share
    (PROMETHEUS_MULTIPROC_DIR, or a new temporary one), emptied of an earlier run's files."""
    directory = given or Path(tempfile.mkdtemp(prefix="detente-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for child in directory.glob("*.db"):
        child.unlink()
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory
