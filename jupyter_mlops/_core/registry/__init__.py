"""The model registry and versioned datasets: ``Registry`` (registry.py: versions, aliases,
approval, archive, diff, loading back hash-verified), ``Datasets`` (datasets.py: DataFrames as
content-addressed Parquet), and their result objects (results.py: ``ModelVersion``,
``DatasetVersion``)."""
