"""Running a registered model on request data, wherever that happens (an endpoint worker, a batch
transform in the kernel, a Dask worker): the signature's schema and the ``Table`` it checks rows
into, the tabular body codecs (CSV and JSON in the MLflow and SageMaker shapes), the loaded and
smoke-tested variant with its verified linear fast path, and the capture record format. No process
state lives here; ``control/`` and ``endpoint/`` both use it.
"""
