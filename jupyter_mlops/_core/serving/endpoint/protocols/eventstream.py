"""AWS event-stream frames for ``InvokeEndpointWithResponseStream``: the prediction goes out as
one ``PayloadPart`` event; a model failure as a ``ModelStreamError`` exception frame, which boto3
raises as ``EventStreamError`` while the caller iterates.

Reference: AWS's event stream encoding (prelude, headers, payload, CRC32s), as botocore's
``botocore.eventstream`` reads it."""

from __future__ import annotations

import binascii
import struct

import orjson

CONTENT_TYPE = b"application/vnd.amazon.eventstream"


def _headers(pairs: list[tuple[str, str]]) -> bytes:
    out = b""
    for name, value in pairs:
        n, v = name.encode(), value.encode()
        out += struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v
    return out


def frame(headers: list[tuple[str, str]], payload: bytes) -> bytes:
    head = _headers(headers)
    total = 16 + len(head) + len(payload)
    prelude = struct.pack(">II", total, len(head))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + head + payload
    return message + struct.pack(">I", binascii.crc32(message) & 0xFFFFFFFF)


def payload_part(data: bytes) -> bytes:
    return frame([(":message-type", "event"), (":event-type", "PayloadPart"),
                  (":content-type", "application/octet-stream")], data)


def model_stream_error(message: str, code: str = "ModelError") -> bytes:
    return frame([(":message-type", "exception"), (":exception-type", "ModelStreamError"),
                  (":content-type", "application/json")],
                 orjson.dumps({"Message": message, "ErrorCode": code}))
