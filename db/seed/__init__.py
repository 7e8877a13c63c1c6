"""The seed loader: reads `seeds/`, validates every record, writes it all in one transaction."""

from db.seed.errors import SeedError, SeedProblem
from db.seed.load import SeedReport, load_seeds
from db.seed.read import Dataset, read_dataset

__all__ = ["Dataset", "SeedError", "SeedProblem", "SeedReport", "load_seeds", "read_dataset"]
