"""Names users choose (models, aliases, tags, endpoints, datasets) and references to versions.

A name is 1-128 characters of letters, digits, ``.``, ``_`` and ``-``, starting with a letter or
digit, never ``..``: it is safe as a path segment, a URL segment and a metric label.
References: ``churn`` (latest), ``churn:3`` (version 3), ``churn@production`` (alias).

A reference may also be the result that names a version (``ModelVersion``, ``DatasetVersion``:
both are :class:`Versioned`): ``ws.approve(ws.register(...))`` means exactly the version just
made. It is resolved here, in :func:`parse_ref`, so every verb that takes a reference takes one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import InvalidName

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validate_name(name: object, kind: str = "model name") -> str:
    """Return ``name`` if it is a valid name, else raise :class:`InvalidName` saying why."""
    if not isinstance(name, str):
        raise InvalidName(f"The {kind} must be a string, got {type(name).__name__}.")
    if not name:
        raise InvalidName(f"The {kind} is empty.", hint="Use letters, digits, '.', '_' or '-'.")
    if _CONTROL.search(name):
        raise InvalidName(f"The {kind} {name!r} contains a control character.")
    if ".." in name or "/" in name or "\\" in name:
        raise InvalidName(
            f"The {kind} {name!r} looks like a path.",
            hint="Names may not contain '/', '\\' or '..'.",
        )
    if not _NAME.fullmatch(name):
        raise InvalidName(
            f"The {kind} {name!r} is not allowed.",
            hint="Use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit.",
        )
    return name


def validate_text(value: object, kind: str, max_len: int = 4096) -> str:
    """Free text (tag values, comments, descriptions): any string without control characters."""
    if not isinstance(value, str):
        value = str(value)
    if _CONTROL.search(value.replace("\n", "").replace("\t", "")):
        raise InvalidName(f"The {kind} contains a control character: {value!r}.")
    if len(value) > max_len:
        raise InvalidName(f"The {kind} is {len(value)} characters long; the limit is {max_len}.")
    return value


@dataclass(frozen=True)
class Ref:
    """A parsed model (or dataset) reference."""

    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}:{self.version}"
        if self.alias is not None:
            return f"{self.name}@{self.alias}"
        return self.name


class Versioned:
    """A result that names one exact version of something (``name``, ``version``): a reference.

    Its ``str`` is its exact reference (``churn:5``), so text built from it (IPython's ``$v``
    in a magic line, an f-string) names that version and not whatever is latest."""

    #: what it is a version of, as reference errors name it ("model", "dataset")
    ref_kind: ClassVar[str] = "model"
    name: str
    version: int

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"

    def __str__(self) -> str:
        return self.ref


def is_reference(value: Any) -> bool:
    """Whether ``value`` is a reference (text, or a :class:`Versioned` result) rather than data
    such as a DataFrame: the arguments that take either (``data=``, ``reference=``) ask this."""
    return isinstance(value, (str, Versioned))


def as_reference(value: Any) -> Any:
    """A :class:`Versioned` result as its exact reference text; anything else unchanged."""
    return value.ref if isinstance(value, Versioned) else value


def parse_ref(ref: object, kind: str = "model") -> Ref:
    """Parse ``name``, ``name:3`` or ``name@alias``, or take the exact version a
    :class:`Versioned` result names."""
    if isinstance(ref, Ref):
        return ref
    if isinstance(ref, Versioned):
        if ref.ref_kind != kind:
            raise InvalidName(f"{ref.ref} is a {ref.ref_kind} version; a {kind} reference is wanted here.",
                              hint=f"Pass a {kind} such as 'churn:3', or the {kind} version itself.")
        return Ref(validate_name(ref.name, f"{kind} name"), version=ref.version)
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidName(
            f"A {kind} reference must be a {kind} version or a non-empty string such as 'churn', "
            f"'churn:3' or 'churn@production', got {ref!r}."
        )
    ref = ref.strip()
    if "@" in ref:
        name, _, alias = ref.partition("@")
        return Ref(validate_name(name, f"{kind} name"), alias=validate_name(alias, "alias"))
    if ":" in ref:
        name, _, version = ref.partition(":")
        if not version.isdigit() or len(version) > 9 or int(version) < 1:
            raise InvalidName(
                f"{ref[:140]!r}: the version after ':' must be a whole number from 1 to 999999999, "
                f"got {version[:20]!r}."
            )
        return Ref(validate_name(name, f"{kind} name"), version=int(version))
    return Ref(validate_name(ref, f"{kind} name"))
