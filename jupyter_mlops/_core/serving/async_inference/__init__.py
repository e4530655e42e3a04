"""Asynchronous inference (SageMaker's InvokeEndpointAsync): a durable queue of requests in the
endpoint's folder (``queue.py``), worked through by threads of the endpoint's first worker
(``processor.py``), which stream each input from its location and notify webhooks
(``notify.py``)."""
