"""Named, versioned study analyses: their definitions (``definitions/*.toml``), the tables cut
from their answers and the report they render (HTML, CSV, Arrow). The runner that asks their
GraphQL questions lives in :mod:`schema.analyses`."""
