"""Gates: whether a newly registered version may be approved, promoted and deployed.

``parse_gate("auc >= production.auc - 0.005 and latency_ms < 20")`` reads the expression with the
small grammar of ``gate_syntax`` (never ``eval``), so a bad gate fails before a notebook runs;
``Gate.evaluate(candidate, versions, replay)`` then compares the candidate's metrics with those of
the versions aliases point at (looked up through the ``VersionSource`` collaborator, as
ARCHITECTURE.md's parts are) and with a replay's figures, and returns a ``GateVerdict``.

The first version: when no version holds an alias the gate compares with, every comparison that
needs it is *unknown*, and unknowns combine as in three-valued (Kleene) logic: ``unknown and
false`` is false, ``unknown or true`` is true. A gate still unknown at the end is decided by
``approve_first`` (default: pass), and the verdict says there was nothing to compare with; the
conditions that need no alias (``latency_ms < 20``) still hold the first version to account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

from .. import html
from ..collaborators import VersionSource
from ..errors import InvalidInput, ModelNotFound
from ..results import Result
from .gate_syntax import (REPLAY, REPLAY_FIELDS, Arithmetic, Comparison, Logical, Name, Node, Number, parse,
                          pointing)

if TYPE_CHECKING:
    from ..registry.results import ModelVersion
    from .replay import Replay

__all__ = ["GateVerdict", "Gate", "parse_gate"]


@dataclass(frozen=True, repr=False)
class GateVerdict(Result):
    """What a gate decided about a candidate, with every figure it compared."""

    expression: str
    passed: bool
    #: one sentence: the figures compared, or why it could not be decided
    reason: str
    #: every name the expression used -> its value (None: no version held that alias)
    values: dict[str, float | None]
    #: no version held an alias the expression compares with
    first_version: bool = False
    #: the candidate's reference (``churn:4``)
    candidate: str | None = None
    #: each alias the expression names -> the version it pointed at (None: no version)
    compared: dict[str, str | None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def _repr_html_(self) -> str:
        badges = html.badge(self.verdict) + (html.badge("first version", "info") if self.first_version else "")
        about = [("expression", html.Raw(f'<span class="mlops-mono">{html.esc(self.expression)}</span>')),
                 ("candidate", self.candidate), ("reason", self.reason)]
        rows = [[name, value, self._source(name)] for name, value in self.values.items()]
        return html.card("gate", badges, [("", html.kv_table(about)), ("values compared", html.table(
            ["name", "value", "from"], rows, numeric=[1]))])

    def _source(self, name: str) -> str | None:
        scope, _, _ = name.rpartition(".")
        if not scope:
            return self.candidate
        if scope == REPLAY:
            return f"replay of {self.candidate}"
        ref = self.compared.get(scope)
        return f"@{scope}: {ref}" if ref else f"@{scope}: no version"

    def __repr__(self) -> str:
        first = " (first version)" if self.first_version else ""
        reason = self.reason if len(self.reason) <= 300 else self.reason[:299] + "…"
        return f"<GateVerdict {self.verdict}{first} {self.expression!r} for {self.candidate}>\n  {reason}"


class _Undecided(Exception):
    """The gate cannot be decided (a division by zero, a NaN metric): the verdict fails, saying why."""


class Gate:
    """A parsed gate: ``names()`` it reads, ``evaluate`` against a candidate."""

    def __init__(self, expression: str, tree: Node):
        self.expression = expression
        self.tree = tree

    def __repr__(self) -> str:
        return f"Gate({self.expression!r})"

    def _names(self) -> Iterator[Name]:
        stack = [self.tree]
        while stack:
            node = stack.pop()
            if isinstance(node, Name):
                yield node
            elif isinstance(node, Arithmetic):
                stack.extend(n for n in (node.left, node.right) if n is not None)
            elif isinstance(node, (Comparison, Logical)):
                stack.extend(node.operands)

    def names(self) -> set[str]:
        """Every name the expression reads: ``auc``, ``production.auc``, ``replay.agreement``."""
        return {n.key for n in self._names()}

    def aliases(self) -> set[str]:
        """The aliases whose versions the expression compares with (``production``)."""
        return {n.scope for n in self._names() if n.scope not in (None, REPLAY)}

    def uses_replay(self) -> bool:
        """Whether the expression reads ``replay.*`` (a replay must then be passed to evaluate)."""
        return any(n.scope == REPLAY for n in self._names())

    def evaluate(self, candidate: "ModelVersion", versions: VersionSource, replay: "Replay | None" = None,
                 approve_first: bool = True) -> GateVerdict:
        """The verdict on ``candidate``. Raises ``InvalidInput`` (pointing at the name) for a metric
        the version does not have, an alias that looks like a typo of one the model has, or
        ``replay.*`` without a replay of this candidate."""
        compared = self._compared(candidate, versions)
        read = {node.key: self._value(node, candidate, compared, replay)
                for node in sorted(self._names(), key=lambda n: n.start)}
        shown = {key: value for key, (value, _) in read.items()}
        refs = {alias: (mv.ref if mv is not None else None) for alias, mv in compared.items()}
        missing = sorted(alias for alias, mv in compared.items() if mv is None)
        evaluation = _Evaluation(self.expression, shown, {key: why for key, (_, why) in read.items() if why})
        try:
            outcome = evaluation.run(self.tree)
        except _Undecided as exc:
            return GateVerdict(self.expression, False, f"Could not be decided: {exc}.", shown,
                               bool(missing), candidate.ref, refs)
        figures = evaluation.figures()
        if outcome is None:
            held = ", ".join(f"@{a}" for a in missing)
            rule = "passes as the first version" if approve_first else "is not approved: approve_first=False"
            reason = (f"No version of {candidate.name} is {held} yet, so there is nothing to compare with: "
                      f"{candidate.ref} {rule}" + (f" ({figures})." if figures else "."))
            return GateVerdict(self.expression, bool(approve_first), reason, shown, True, candidate.ref, refs)
        reason = f"{'Passed' if outcome else 'Failed'}: {figures}."
        if missing:
            reason += f" No version is {', '.join('@' + a for a in missing)} yet; the rest decided."
        return GateVerdict(self.expression, outcome, reason, shown, bool(missing), candidate.ref, refs)

    # -- the figures ----------------------------------------------------------------------------
    def _compared(self, candidate, versions: VersionSource) -> dict[str, Any]:
        """Each alias the gate names -> the version it points at, or None when none does."""
        out: dict[str, Any] = {}
        for node in sorted(self._names(), key=lambda n: n.start):
            if node.scope in (None, REPLAY) or node.scope in out:
                continue
            try:
                out[node.scope] = versions.get(f"{candidate.name}@{node.scope}")
            except ModelNotFound as exc:
                # the registry matched whole refs (churn@...); an alias this close is a typo
                # (prodution), not an alias no version holds yet
                typo = _close(node.scope, [m.partition("@")[2] for m in exc.close_matches], cutoff=0.8)
                if typo:
                    raise pointing(self.expression, node.start,
                                   f"{candidate.name} has no alias @{node.scope} (position {node.start}).",
                                   hint=typo) from None
                out[node.scope] = None
        return out

    def _value(self, node: Name, candidate, compared: dict, replay) -> tuple[float | None, str | None]:
        """(value, why it is undecidable or None) of one name."""
        if node.scope == REPLAY:
            if replay is None:
                raise pointing(self.expression, node.start, f"{node.key} at position {node.start} needs a "
                               "replay, and none was given.",
                               hint=f"Run ws.replay({candidate.ref!r}, ENDPOINT) and pass it as replay=.")
            if replay.ref != candidate.ref:
                raise InvalidInput(f"The replay is of {replay.ref}, the gate judges {candidate.ref}.",
                                   hint=f"Replay {candidate.ref} itself.")
            return _number(getattr(replay, REPLAY_FIELDS[node.field]), node.key, f"the replay of {replay.ref}")
        version = candidate if node.scope is None else compared[node.scope]
        if version is None:
            return None, None
        metrics = version.metrics or {}
        if node.field not in metrics:
            where = candidate.ref if node.scope is None else f"{version.ref} (@{node.scope})"
            have = ", ".join(sorted(metrics)) or "none"
            raise pointing(self.expression, node.start,
                           f"{where} has no metric {node.field!r} (position {node.start}); its metrics: {have}.",
                           hint=_close(node.field, metrics))
        return _number(metrics[node.field], node.key, version.ref)


def _close(word: str, names, cutoff: float = 0.6) -> str | None:
    import difflib

    close = difflib.get_close_matches(word, list(names), n=3, cutoff=cutoff)
    return f"Did you mean: {', '.join(close)}?" if close else None


def _number(value: Any, key: str, owner: str) -> tuple[float | None, str | None]:
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise InvalidInput(f"{key} of {owner} is {value!r}, not a number: a gate compares numbers.")
    number = float(value)
    if not math.isfinite(number):
        return None, f"{key} of {owner} is {number}"
    return number, None


class _Evaluation:
    """One evaluation of a tree: three-valued truth (True, False, None = unknown) and the
    comparisons it made, for the verdict's reason."""

    def __init__(self, expression: str, values: dict[str, float | None], undecidable: dict[str, str]):
        self.expression = expression
        self.values = values
        self.undecidable = undecidable
        self.made: list[tuple[Comparison, list[float | None], bool | None]] = []

    def source(self, node: Node) -> str:
        return self.expression[node.start:node.end].strip()

    def run(self, node: Node):
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Name):
            if node.key in self.undecidable:
                raise _Undecided(self.undecidable[node.key])
            return self.values[node.key]
        if isinstance(node, Arithmetic):
            return self._arithmetic(node)
        if isinstance(node, Comparison):
            return self._comparison(node)
        return self._logical(node)

    def _arithmetic(self, node: Arithmetic) -> float | None:
        right = self.run(node.right)
        if node.op == "neg":
            return None if right is None else -right
        left = self.run(node.left)
        if left is None or right is None:
            return None
        if node.op == "/" and right == 0:
            raise _Undecided(f"division by zero: {self.source(node.right)} is 0")
        return {"+": left + right, "-": left - right, "*": left * right}.get(node.op) \
            if node.op != "/" else left / right

    def _comparison(self, node: Comparison) -> bool | None:
        operands = [self.run(n) for n in node.operands]
        outcome: bool | None = True
        for left, op, right in zip(operands, node.ops, operands[1:]):
            if left is None or right is None:
                outcome = None if outcome is not False else False
                continue
            holds = {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right,
                     "==": left == right, "!=": left != right}[op]
            if not holds:
                outcome = False
        self.made.append((node, operands, outcome))
        return outcome

    def _logical(self, node: Logical) -> bool | None:
        if node.op == "not":
            inner = self.run(node.operands[0])
            return None if inner is None else not inner
        decisive = node.op == "or"  # True decides an or, False an and
        unknown = False
        for operand in node.operands:
            value = self.run(operand)
            if value is decisive:
                return decisive
            unknown = unknown or value is None
        return None if unknown else not decisive

    def figures(self) -> str:
        """Each comparison made, with the value of every side that is not a plain number."""
        said = []
        for node, operands, outcome in self.made:
            parts = [self._side(n, v) for n, v in zip(node.operands, operands)]
            text = parts[0] + "".join(f" {op} {part}" for op, part in zip(node.ops, parts[1:]))
            said.append(f"{text} is {'unknown' if outcome is None else str(outcome).lower()}")
        return "; ".join(said)

    def _side(self, node: Node, value: float | None) -> str:
        if isinstance(node, Number):
            return self.source(node)
        shown = "no version" if value is None else f"{value:.6g}"
        return f"{self.source(node)} ({shown})"


def parse_gate(expression: str) -> Gate:
    """The gate ``expression`` reads as. Raises ``InvalidInput`` naming the bad token and its
    position, with a caret under it; nothing of the text is evaluated (no ``eval``, no ``ast``)."""
    return Gate(expression, parse(expression))
