"""Risk engine: clinical risk scores and classifications as pure Polars expressions.

One module per score (citation, rule table, units and missing-input rule in its docstring), all
built on the three-valued helpers of :mod:`lake.risk.tristate` and registered in
:mod:`lake.risk.registry`. Use :func:`lake.risk.registry.compute` to add scores to a cohort frame.
"""
