"""What becomes of the version a run registered: the gate decides, then approve or reject, promote
and deploy (the issue's "conditional approval, automatic deployment").

* ``gate`` is an expression (``"auc >= production.auc - 0.005"``), parsed by ``gate.parse_gate``
  before the notebook runs so that a bad gate fails fast, or a dict ``{"expression": …,
  "approve_first": False, "replay_since": "1d"}``. It passes: the version is approved (the
  verdict is the comment); it fails or cannot be decided: rejected with the reason, and nothing
  is promoted or deployed. A gate over ``replay.*`` first replays the candidate on the endpoint's
  captured requests (``replay.replay``).
* ``promote`` points an alias at the version; ``deploy`` rolls it out through the serving API:
  ``"canary:10"``, ``"canary:10:bake=60:max_p99_ms=50"``, ``"linear:25"``, ``"ab:50"``,
  ``"blue_green"``, ``"shadow:20"``, ``"replace"``, or a dict of ``strategy, percent, bake,
  guardrails, endpoint``. The endpoint is the one named like the model unless ``endpoint`` says
  otherwise; one that does not run yet is started with the version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..collaborators import Deployer, TrafficSource, VersionReleaser
from ..errors import InvalidInput, MlopsError
from ..names import validate_name

ROLLOUTS = ("canary", "linear", "ab", "blue_green", "shadow", "replace")
_NEEDS_PERCENT = ("canary", "linear", "ab")
_OPTIONS = {"bake": "seconds of observation before the rollout completes",
            "max_error_rate": "guardrail: the error rate that rolls it back",
            "max_p99_ms": "guardrail: the p99 latency (ms) that rolls it back",
            "endpoint": "the endpoint to deploy to (default: the one named like the model)"}
_DEPLOY_HELP = ("Write it as STRATEGY[:PERCENT][:bake=S][:max_p99_ms=MS][:max_error_rate=R], e.g. 'canary:10', "
                "'canary:10:bake=60', 'ab:50', 'blue_green', 'replace'.")


@dataclass(frozen=True)
class DeploySpec:
    strategy: str                    # one of ROLLOUTS
    percent: float | None = None
    bake: float | None = None
    guardrails: dict = field(default_factory=dict)
    endpoint: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, {})}


def _number(spec: Any, what: str, text: Any) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InvalidInput(f"deploy={spec!r}: {what} {text!r} is not a number.", hint=_DEPLOY_HELP) from None
    if value < 0:
        raise InvalidInput(f"deploy={spec!r}: {what} must be >= 0, got {value:g}.")
    return value


def parse_deploy(spec: Any) -> DeploySpec | None:
    """``spec`` (a string as above, a dict, or None) as a checked ``DeploySpec``."""
    if spec is None:
        return None
    if isinstance(spec, str):
        strategy, *rest = [t.strip() for t in spec.strip().split(":")]
        fields_: dict[str, Any] = {"strategy": strategy}
        for token in rest:
            key, sep, value = token.partition("=")
            if not sep:
                if "percent" in fields_:
                    raise InvalidInput(f"deploy={spec!r} gives two percentages.", hint=_DEPLOY_HELP)
                fields_["percent"] = token
            else:
                fields_[key.strip()] = value.strip()
    elif isinstance(spec, dict):
        fields_ = dict(spec)
        fields_.update(fields_.pop("guardrails", None) or {})
    else:
        raise InvalidInput(f"deploy={spec!r} is neither a string like 'canary:10' nor a dict.", hint=_DEPLOY_HELP)
    strategy = str(fields_.pop("strategy", "") or "").replace("-", "_")
    if strategy not in ROLLOUTS:
        raise InvalidInput(f"deploy={spec!r}: unknown rollout {strategy!r}; use one of {', '.join(ROLLOUTS)}.",
                           hint=_DEPLOY_HELP)
    percent = fields_.pop("percent", None)
    percent = None if percent is None else _number(spec, "the percentage", percent)
    if strategy in _NEEDS_PERCENT and percent is None:
        raise InvalidInput(f"deploy={spec!r}: a {strategy} rollout needs the share of traffic for the new version, "
                           f"e.g. '{strategy}:10'.")
    if percent is not None and not 0 < percent <= 100:
        raise InvalidInput(f"deploy={spec!r}: the percentage must be in (0, 100], got {percent:g}.")
    bake = fields_.pop("bake", None)
    endpoint = fields_.pop("endpoint", None)
    if endpoint is not None:
        validate_name(str(endpoint), "endpoint name")
    guardrails = {k: _number(spec, k, fields_.pop(k)) for k in ("max_error_rate", "max_p99_ms") if k in fields_}
    if fields_:
        raise InvalidInput(f"deploy={spec!r}: unknown option(s) {', '.join(sorted(map(str, fields_)))}.",
                           hint="Options: " + "; ".join(f"{k} ({v})" for k, v in _OPTIONS.items()) + ".")
    return DeploySpec(strategy, percent, None if bake is None else _number(spec, "bake", bake), guardrails,
                      None if endpoint is None else str(endpoint))


@dataclass(frozen=True)
class GateSpec:
    expression: str
    approve_first: bool = True       # no version holds the alias compared with: pass (the first one)
    replay_since: Any = None         # how far back a replay.* gate replays captured requests


def gate_spec(gate: Any) -> GateSpec | None:
    if gate is None:
        return None
    if isinstance(gate, str):
        return GateSpec(gate)
    if isinstance(gate, dict) and isinstance(gate.get("expression"), str):
        unknown = set(gate) - {"expression", "approve_first", "replay_since"}
        if unknown:
            raise InvalidInput(f"gate has unknown key(s) {sorted(unknown)}; it takes expression, approve_first, "
                               "replay_since.")
        return GateSpec(gate["expression"], bool(gate.get("approve_first", True)), gate.get("replay_since"))
    raise InvalidInput(f"gate={gate!r} is neither an expression like 'auc >= production.auc' nor a dict with "
                       "an 'expression'.")


def parse(spec: GateSpec):
    """The parsed gate (``gate.parse_gate``: a bad expression fails here, naming the bad token)."""
    from .gate import parse_gate

    return parse_gate(spec.expression)


@dataclass(frozen=True)
class Outcome:
    status: str                      # succeeded | gate_failed | failed
    gate: dict | None = None
    release: dict | None = None
    deployed: dict | None = None
    failure: dict | None = None


class Release:
    """Gate, approval, promotion and deploy of a run's version, through the registry and serving."""

    def __init__(self, versions: VersionReleaser, serving: Deployer, traffic: TrafficSource):
        self.versions = versions
        self.serving = serving
        self.traffic = traffic

    def run(self, name: str, candidate: str | None, gate, spec: GateSpec | None, promote: str | None,
            deploy: DeploySpec | None, endpoint: str | None) -> Outcome:
        endpoint = (deploy.endpoint if deploy else None) or endpoint or name
        verdict, release = None, {}
        if gate is not None:
            verdict = self._verdict(name, candidate, gate, spec, endpoint)
            passed = bool(verdict.get("passed"))
            comment = f"gate {'passed' if passed else 'failed'}: {verdict['expression']}: {verdict['reason']}"
            if candidate is not None:
                if passed:
                    self.versions.approve(candidate, comment=comment)
                    release["approved"] = candidate
                else:
                    self.versions.reject(candidate, comment=comment)
                    release["rejected"] = candidate
                release["comment"] = comment
            if not passed:
                return Outcome("gate_failed", verdict, release or None)
        stage = "promote"
        try:
            if promote is not None:
                if candidate is None:
                    raise InvalidInput(f"the run registered no version of {name} to promote to @{promote}.")
                self.versions.promote(candidate, promote)
                release["promoted"] = promote
            stage = "deploy"
            deployed = self._deploy(name, candidate, deploy, endpoint) if deploy is not None else None
        except MlopsError as exc:
            return Outcome("failed", verdict, release or None, None,
                           {"stage": stage, "ename": type(exc).__name__, "evalue": str(exc)})
        return Outcome("succeeded", verdict, release or None, deployed)

    def _verdict(self, name: str, candidate: str | None, gate, spec: GateSpec, endpoint: str) -> dict:
        undecided = {"expression": spec.expression, "passed": False, "values": {}, "first_version": False}
        if candidate is None:
            return {**undecided, "reason": f"the run registered no version of {name}, so there was nothing to judge"}
        replayed = None
        try:
            if any(n.startswith("replay.") for n in gate.names()):
                from .replay import replay

                replayed = replay(candidate, endpoint, spec.replay_since, self.versions, self.traffic)
            return gate.evaluate(self.versions.get(candidate), self.versions, replay=replayed,
                                 approve_first=spec.approve_first).to_dict()
        except MlopsError as exc:
            return {**undecided, "reason": f"it could not be decided: {type(exc).__name__}: {exc}"}

    def _deploy(self, name: str, candidate: str | None, deploy: DeploySpec, endpoint: str) -> dict:
        if candidate is None:
            raise InvalidInput(f"the run registered no version of {name} to deploy.")
        strategy = None if deploy.strategy == "replace" else deploy.strategy
        served = self.serving.deploy(candidate, endpoint, strategy=strategy, percent=deploy.percent,
                                     bake=deploy.bake, guardrails=deploy.guardrails or None)
        return {"endpoint": endpoint, "ref": candidate, **deploy.to_dict(), "url": served.url,
                "status": served.status, "variants": served.variants, "rollout": served.rollout}
