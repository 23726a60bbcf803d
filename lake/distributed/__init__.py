"""Queries on a Dask cluster: the local cohort engine run per site partition, combined exactly."""
