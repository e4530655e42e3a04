"""SageMaker's asynchronous-inference notifications (the SNS messages of ``SuccessTopic`` and
``ErrorTopic``), POSTed as JSON to a webhook URL instead of published to a topic.

Field names as in the AWS developer guide's examples (async-inference "check prediction
results"): ``awsRegion, eventTime, receivedTime, invocationStatus`` (``Completed``/``Failed``),
``failureReason`` (failures), ``requestParameters{contentType, endpointName, inputLocation}``,
``responseParameters{contentType, outputLocation}`` (success; ``failureLocation`` on failure),
``inferenceId, eventVersion, eventSource, eventName``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import urllib.request

from .queue import SUCCEEDED, Job

TIMEOUT_SECONDS = 5.0


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def payload(endpoint: str, job: Job, answer_as: str | None) -> dict:
    ok = job.status == SUCCEEDED
    request = {"endpointName": endpoint, "inputLocation": job.input}
    if job.content_type:
        request["contentType"] = job.content_type
    message = {"awsRegion": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
               or "local",
               "eventTime": _iso(job.finished_at), "receivedTime": _iso(job.received_at),
               "invocationStatus": "Completed" if ok else "Failed",
               "requestParameters": request}
    if ok:
        message["responseParameters"] = {"contentType": answer_as, "outputLocation": job.output}
    else:
        message["failureReason"] = f"ClientError: {job.error}"
        message["responseParameters"] = {"failureLocation": job.failure}
    message.update({"inferenceId": job.id, "eventVersion": "1.0", "eventSource": "aws:sagemaker",
                    "eventName": "InferenceResult"})
    return message


def post(url: str, message: dict) -> bool:
    """One POST; a webhook that is down is logged, never retried forever nor fatal."""
    request = urllib.request.Request(url, data=json.dumps(message).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
        return True
    except Exception as exc:
        print(f"async: notification to {url} failed: {exc}", flush=True)
        return False
