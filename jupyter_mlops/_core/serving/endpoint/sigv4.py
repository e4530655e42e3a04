"""AWS Signature V4 checking, so a token-protected endpoint also accepts unchanged boto3 code:
the client uses the endpoint's token as its ``aws_secret_access_key`` and the endpoint verifies the
signature botocore computed (with botocore's own signer; imported only when such a request
arrives). Requests dated more than 15 minutes away are refused (replays)."""

from __future__ import annotations

import datetime as dt
import hmac

MAX_SKEW = dt.timedelta(minutes=15)


def verify(method: str, raw_path: bytes, query: bytes, headers: dict, body: bytes,
           secret: str) -> bool:
    try:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:  # pragma: no cover - botocore is optional on the server side
        return False
    try:
        auth = headers[b"authorization"].decode("latin-1")
        fields = dict(p.strip().split("=", 1)
                      for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        access_key, _date, region, service, _ = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        stamp = headers[b"x-amz-date"].decode("latin-1")
        when = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        if abs(dt.datetime.now(dt.timezone.utc) - when) > MAX_SKEW:
            return False
        names = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers.items()}
        kept = {name: names[name] for name in signed}
        url = f"http://{kept.get('host', names.get('host', 'localhost'))}" \
              f"{raw_path.decode('latin-1')}" + (f"?{query.decode('latin-1')}" if query else "")
        request = AWSRequest(method=method, url=url, data=body, headers=kept)
        request.context["timestamp"] = stamp
        signer = SigV4Auth(Credentials(access_key, secret), service, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        return hmac.compare_digest(expected, fields["Signature"])
    except (KeyError, ValueError, IndexError):
        return False
