"""The gate's grammar: a tokenizer and a recursive-descent parser, nothing else.

A gate is text a user typed (or a schedule stored), and it decides what is promoted and deployed,
so it is never handed to ``eval`` nor parsed as Python: the parser below knows only::

    gate        := disjunction END
    disjunction := conjunction ("or" conjunction)*
    conjunction := negation ("and" negation)*
    negation    := "not" negation | comparison
    comparison  := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)*     chains as in Python
    sum         := product (("+" | "-") product)*
    product     := unary (("*" | "/") unary)*
    unary       := ("-" | "+") unary | atom
    atom        := NUMBER | NAME | NAME "." NAME | "(" disjunction ")"

``NAME`` is a metric of the candidate (``auc``), ``NAME.NAME`` a metric of the version an alias
points at (``production.auc``) or a figure of the replay (``replay.agreement``). Every node is
typed as it is built (a number or a truth value), so ``auc and 1`` or ``(auc > 1) + 2`` is
refused with the rest. Errors are ``InvalidInput`` naming the token, its position and a caret
under it.
"""

from __future__ import annotations

import keyword
import math
import re
from dataclasses import dataclass

from ..errors import InvalidInput

#: a gate is a line or two, not a program; longer text is refused before it is read
MAX_CHARS = 1000
#: parentheses and unary signs nest at most this deep (the parser recurses once per level)
MAX_DEPTH = 32
#: what ``replay.X`` may name: the ``Replay`` field each reads
REPLAY_FIELDS = {"agreement": "agreement", "changed_rows": "changed_rows", "rows": "rows",
                 "p50_ms": "candidate_p50_ms", "p99_ms": "candidate_p99_ms"}
REPLAY = "replay"
COMPARISONS = ("<=", ">=", "==", "!=", "<", ">")
EXAMPLE = "auc >= production.auc - 0.005 and latency_ms < 20"

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|==|!=|<|>|\+|-|\*|/|\(|\)|\.)
""", re.VERBOSE)

#: characters a user may reach for that the grammar has no place for, and why
_REFUSED = {
    "'": "a gate has no strings", '"': "a gate has no strings",
    "[": "a gate has no subscripts", "]": "a gate has no subscripts",
    "=": "to compare, write ==", ",": "a gate has no calls or tuples", ":": "a gate has no lambdas or slices",
    "%": "a gate has + - * / only", "@": "an alias is written alias.metric, e.g. production.auc",
    "{": "a gate has no dicts or sets", "}": "a gate has no dicts or sets",
    "&": "write and", "|": "write or", "!": "write not (or != to compare)", "~": "write not",
    ";": "a gate is one expression",
}


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "keyword", "op", "end"
    text: str
    pos: int


# -- the tree ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    start: int
    end: int

    #: "number" or "truth"
    type = "number"


@dataclass(frozen=True)
class Number(Node):
    value: float


@dataclass(frozen=True)
class Name(Node):
    """``metric`` (scope None), ``alias.metric`` or ``replay.field``."""

    scope: str | None
    field: str

    @property
    def key(self) -> str:
        return self.field if self.scope is None else f"{self.scope}.{self.field}"


@dataclass(frozen=True)
class Arithmetic(Node):
    op: str  # "+", "-", "*", "/", or "neg" (one operand: right)
    left: Node | None
    right: Node


@dataclass(frozen=True)
class Comparison(Node):
    operands: tuple[Node, ...]
    ops: tuple[str, ...]
    type = "truth"


@dataclass(frozen=True)
class Logical(Node):
    op: str  # "and", "or", "not" (one operand)
    operands: tuple[Node, ...]
    type = "truth"


# -- errors --------------------------------------------------------------------------------------

def pointing(expression: str, pos: int, message: str, hint: str | None = None) -> InvalidInput:
    """``InvalidInput`` whose message ends with the gate and a caret under position ``pos``."""
    line_start = expression.rfind("\n", 0, pos) + 1
    line_end = expression.find("\n", pos)
    line = expression[line_start:line_end if line_end >= 0 else None]
    caret = " " * (pos - line_start) + "^"
    # the hint goes before the picture, so that the caret stays the last line
    error = InvalidInput(f"Gate: {message}" + (f" {hint}" if hint else "") + f"\n    {line}\n    {caret}")
    error.hint = hint
    return error


def _describe(token: Token) -> str:
    return "the end of the gate" if token.kind == "end" else repr(token.text)


# -- the tokenizer -------------------------------------------------------------------------------

def tokenize(expression: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if match is None:
            char = expression[pos]
            why = _REFUSED.get(char, "the grammar has numbers, names, + - * /, comparisons, "
                                     "and, or, not and parentheses")
            raise pointing(expression, pos, f"unexpected {char!r} at position {pos}: {why}.")
        kind, text = match.lastgroup, match.group()
        if kind == "name":
            kind = _name_kind(expression, text, pos)
        if kind == "number" and expression[match.end():match.end() + 1].isalpha():
            raise pointing(expression, pos, f"{expression[pos:match.end() + 1]!r} at position {pos} "
                           "is not a number (write numbers in decimal, e.g. 0.005 or 5e-3).")
        if kind != "space":
            tokens.append(Token(kind, text, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(expression)))
    return tokens


def _name_kind(expression: str, text: str, pos: int) -> str:
    if text in ("and", "or", "not"):
        return "keyword"
    if text.startswith("__"):
        raise pointing(expression, pos, f"{text!r} at position {pos} is not a metric name "
                       "(names starting with '__' are refused).")
    if keyword.iskeyword(text):
        raise pointing(expression, pos, f"{text!r} at position {pos} is a Python keyword; a gate "
                       "knows only and, or, not.")
    return "name"


# -- the parser ----------------------------------------------------------------------------------

class Parser:
    """Recursive descent over the tokens, one method per rule of the grammar above."""

    def __init__(self, expression: str):
        self.expression = expression
        self.tokens = tokenize(expression)
        self.i = 0
        self.depth = 0

    def parse(self) -> Node:
        tree = self.disjunction()
        token = self.peek()
        if token.kind != "end":
            raise self.error(token, f"unexpected {_describe(token)} at position {token.pos}: the gate "
                                    "should end here (join conditions with and / or).")
        if tree.type != "truth":
            raise pointing(self.expression, tree.start, "the gate computes a number but decides "
                           "nothing: compare it.", hint=f"For example: {EXAMPLE}")
        return tree

    # -- helpers
    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def accept(self, kind: str, *texts: str) -> Token | None:
        token = self.peek()
        if token.kind == kind and (not texts or token.text in texts):
            return self.take()
        return None

    def error(self, token: Token, message: str) -> InvalidInput:
        return pointing(self.expression, token.pos, message)

    def nested(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(token, f"nested more than {MAX_DEPTH} levels deep at position "
                                    f"{token.pos}.")

    def expect_type(self, node: Node, wanted: str, why: str) -> Node:
        if node.type != wanted:
            raise pointing(self.expression, node.start,
                           f"{self.expression[node.start:node.end]!r} at position {node.start} {why}.")
        return node

    # -- the rules
    def disjunction(self) -> Node:
        return self._logical("or", self.conjunction)

    def conjunction(self) -> Node:
        return self._logical("and", self.negation)

    def _logical(self, op: str, operand) -> Node:
        operands = [operand()]
        while self.accept("keyword", op):
            operands.append(operand())
        if len(operands) == 1:
            return operands[0]
        for node in operands:
            self.expect_type(node, "truth", f"is a number; {op} joins comparisons")
        return Logical(operands[0].start, operands[-1].end, op, tuple(operands))

    def negation(self) -> Node:
        token = self.accept("keyword", "not")
        if token is None:
            return self.comparison()
        self.nested(token)
        operand = self.expect_type(self.negation(), "truth", "is a number; not negates a comparison")
        self.depth -= 1
        return Logical(token.pos, operand.end, "not", (operand,))

    def comparison(self) -> Node:
        operands, ops = [self.sum()], []
        while (token := self.accept("op", *COMPARISONS)) is not None:
            ops.append(token.text)
            operands.append(self.sum())
        if not ops:
            return operands[0]
        for node in operands:
            self.expect_type(node, "number", "is a comparison; compare numbers (chains such as "
                                             "0.8 <= auc <= 0.99 are allowed)")
        return Comparison(operands[0].start, operands[-1].end, tuple(operands), tuple(ops))

    def sum(self) -> Node:
        return self._arithmetic(("+", "-"), self.product)

    def product(self) -> Node:
        return self._arithmetic(("*", "/"), self.unary)

    def _arithmetic(self, ops: tuple[str, ...], operand) -> Node:
        left = operand()
        while (token := self.accept("op", *ops)) is not None:
            if token.text == "*" and self.peek().text == "*":
                raise self.error(token, f"'**' at position {token.pos}: a gate has + - * / only.")
            right = operand()
            for node in (left, right):
                self.expect_type(node, "number", f"is a truth value; {token.text} needs numbers")
            left = Arithmetic(left.start, right.end, token.text, left, right)
        return left

    def unary(self) -> Node:
        token = self.accept("op", "-", "+")
        if token is None:
            return self.atom()
        self.nested(token)
        operand = self.expect_type(self.unary(), "number", f"is a truth value; {token.text} needs a number")
        self.depth -= 1
        return operand if token.text == "+" else Arithmetic(token.pos, operand.end, "neg", None, operand)

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "number":
            value = float(token.text)
            if not math.isfinite(value):
                raise self.error(token, f"{token.text} at position {token.pos} is too large a number.")
            return Number(token.pos, token.pos + len(token.text), value)
        if token.kind == "name":
            return self.name(token)
        if token.text == "(":
            self.nested(token)
            inner = self.disjunction()
            closing = self.peek()
            if not self.accept("op", ")"):
                raise self.error(closing, f"expected ')' at position {closing.pos} to close the '(' at "
                                          f"position {token.pos}, found {_describe(closing)}.")
            self.depth -= 1
            return _spanning(inner, token.pos, closing.pos + 1)
        if token.kind == "end":
            raise self.error(token, f"the gate ends too early: a number or a metric is missing at "
                                    f"position {token.pos}.")
        raise self.error(token, f"unexpected {_describe(token)} at position {token.pos}: a number or a "
                                "metric name goes here.")

    def name(self, token: Token) -> Node:
        follows = self.peek()
        if follows.text == "(":
            raise self.error(follows, f"'(' at position {follows.pos} after {token.text!r}: a gate has "
                                      "no calls.")
        if not self.accept("op", "."):
            if token.text == REPLAY:
                raise self.error(token, f"replay at position {token.pos} needs a figure: "
                                        f"replay.{', replay.'.join(REPLAY_FIELDS)}.")
            return Name(token.pos, token.pos + len(token.text), None, token.text)
        field = self.take()
        if field.kind != "name":
            raise self.error(field, f"expected a metric name after '{token.text}.' at position "
                                    f"{field.pos}, found {_describe(field)}.")
        if token.text == REPLAY and field.text not in REPLAY_FIELDS:
            raise self.error(field, f"replay has no figure {field.text!r}; it has "
                                    f"replay.{', replay.'.join(REPLAY_FIELDS)}.")
        after = self.peek()
        if after.text in (".", "("):
            what = "attribute access beyond alias.metric" if after.text == "." else "calls"
            raise self.error(after, f"{after.text!r} at position {after.pos}: a gate has no {what}.")
        return Name(token.pos, field.pos + len(field.text), token.text, field.text)


def _spanning(node: Node, start: int, end: int) -> Node:
    """``node`` widened to its parentheses, so that its source text shows them."""
    import dataclasses

    return dataclasses.replace(node, start=start, end=end)


def parse(expression: str) -> Node:
    """The tree of ``expression``, or ``InvalidInput`` naming the bad token and its position."""
    if not isinstance(expression, str):
        raise InvalidInput(f"A gate is text such as {EXAMPLE!r}, got {type(expression).__name__}.")
    if len(expression) > MAX_CHARS:
        raise InvalidInput(f"The gate is {len(expression):,} characters long; a gate has at most "
                           f"{MAX_CHARS:,}.")
    if not expression.strip():
        raise InvalidInput("The gate is empty.", hint=f"For example: {EXAMPLE}")
    return Parser(expression).parse()
