"""Trust benchmark: what signature checks cost on load and on deploy.

    python benchmarks/trust.py [--repeat 30]

Side by side in one run, for the same registered 100-tree RandomForest: ``ws.load`` as it is
(the artifact's sha256, the manifest's Ed25519 signature against the keyring, then the pickled
companion) against the same steps with no signature check at all (the version record, sha256 and
unpickle: the load before signed manifests), so the difference is what trust costs; and, for an endpoint, the
signing of a config write plus its verification on read against the plain JSON write and read.
Goal: under 5 ms per load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def timed(fn, repeat: int) -> float:
    """Median wall time of ``fn`` in milliseconds."""
    fn()  # warm: imports, keyring read, caches
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="mlops-trust-bench-"))
    os.environ.setdefault("MLOPS_KEY_DIR", str(scratch / "keys"))

    import json
    import pickle

    import numpy as np
    from sklearn.ensemble import RandomForestClassifier

    from jupyter_mlops import Workspace
    from jupyter_mlops._core.modelio import trust_problem
    from jupyter_mlops._core.serving.contract import ConfigFile, EndpointConfig, Variant

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(2000, 20)), rng.integers(0, 2, 2000)
    ws = Workspace(scratch / ".mlops")
    v = ws.register(RandomForestClassifier(100, random_state=0).fit(X, y), "forest")
    companion = v.format["fast_load"]["sha256"]

    def unchecked_load():  # ws.load's steps, less the signature check
        mv = ws.get("forest")
        ws.artifacts.get_bytes(mv.artifact_sha256)
        return pickle.loads(ws.artifacts.get_bytes(companion))

    signed = timed(lambda: ws.load("forest"), args.repeat)
    plain = timed(unchecked_load, args.repeat)
    check = timed(lambda: trust_problem(v.format, v.artifact_sha256), args.repeat * 10)

    config = EndpointConfig.new("forest", scratch / ".mlops")
    config.variants = [Variant(name="forest-v1", ref=v.ref, sha256=v.artifact_sha256, format=v.format,
                               signature=v.signature, weight=100.0)]
    path = scratch / "config.json"
    file = ConfigFile(path)

    def plain_config():
        path.write_text(json.dumps(config.to_dict(), indent=1))
        return EndpointConfig.from_dict(json.loads(path.read_text()))

    signed_cfg = timed(lambda: (file.write(config), file.read()), args.repeat * 10)
    plain_cfg = timed(plain_config, args.repeat * 10)

    print(f"load, 100-tree RandomForest (median of {args.repeat}; load average {os.getloadavg()[0]:.2f})")
    print(f"  ws.load with its signature checks   {signed:8.2f} ms")
    print(f"  the same bytes, no checks            {plain:8.2f} ms")
    print(f"  signature checks cost                {signed - plain:8.2f} ms per load "
          f"({signed / plain:.2f}x; goal < 5 ms)")
    print(f"  manifest verification alone         {check * 1000:8.0f} µs")
    print("endpoint config, write + read")
    print(f"  signed and verified                  {signed_cfg * 1000:8.0f} µs")
    print(f"  plain JSON                           {plain_cfg * 1000:8.0f} µs")
    print(f"  signatures cost                      {(signed_cfg - plain_cfg) * 1000:8.0f} µs per deploy step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
