"""The verb table shared by every verb module, and the line -> verb -> result dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from IPython.core.error import UsageError
from IPython.core.magic_arguments import MagicArgumentParser, MagicHelpFormatter, construct_parser
from IPython.utils.text import dedent

from .._core import inputs as _core_inputs
from .._core.names import Versioned

# Verbs read their options through this: a bad option is a one-line UsageError, like argparse's.
inputs = _core_inputs.raising(UsageError)

VERBS: dict[str, "Verb"] = {}


@dataclass
class Verb:
    name: str
    func: Callable
    parser: MagicArgumentParser
    body: str | None  # the argument the %%mlops cell body fills, if the verb takes one
    summary: str


def verb(name: str, body: str | None = None):
    """Register a verb; stack IPython ``@argument`` decorators under it (the function's docstring
    is the help text)."""

    def wrap(func):
        taken = VERBS.get(name)
        if taken is not None and taken.func.__module__ != func.__module__:
            raise RuntimeError(f"%mlops {name} is defined twice: in {taken.func.__module__} and {func.__module__}.")
        func.argcmd_name = f"mlops {name}"
        if not hasattr(func, "decorators"):
            func.decorators = []
        parser = construct_parser(func)
        parser.formatter_class = _HelpFormatter
        VERBS[name] = Verb(name, func, parser, body, _first_line(parser.description))
        return func

    return wrap


class _HelpFormatter(MagicHelpFormatter):
    """IPython's magic help formatter writes the usage as a reST literal block (``::`` then the
    usage) for docstrings; what ``-h`` prints to a person starts with ``usage:``."""

    def add_usage(self, usage, actions, groups, prefix="usage: %"):
        super().add_usage(usage, actions, groups, prefix)


def _first_line(text: str | None) -> str:
    for line in dedent(text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def unquote(text: str | None) -> str | None:
    """An option's text without the quotes around it: magic_arguments splits like a shell, but a
    value typed with single quotes inside a double-quoted line (a cron string, a gate) may keep them."""
    if text and len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def split_verb(line: str) -> tuple[str, str]:
    line = line.strip()
    if not line:
        return "", ""
    head, _, rest = line.partition(" ")
    return head, rest.strip()


def help_text(name: str | None = None) -> str:
    if name:
        if name not in VERBS:
            raise UsageError(_unknown_verb(name))
        return VERBS[name].parser.format_help()
    width = max(len(v) for v in VERBS)
    lines = ["%mlops VERB [options]   (%mlops VERB -h for a verb's options; -o NAME or v = %mlops VERB … keeps the result)",
             ""]
    lines += [f"  {v.ljust(width)}  {VERBS[v].summary}" for v in sorted(VERBS)]
    return "\n".join(lines)


def _take_out_option(line: str) -> tuple[str, str | None]:
    """``-o NAME`` / ``--out NAME`` (shared/SURFACE.md): keep the result in the notebook's variable
    NAME as well as returning it. It is %mlops's own, read before the verb's parser, so a verb's
    short ``-o`` (batch's output file) is typed ``--output`` in a notebook."""
    tokens = line.split()
    for flag in ("-o", "--out"):
        if flag in tokens:
            i = tokens.index(flag)
            if i + 1 >= len(tokens):
                raise UsageError(f"{flag} needs the name of a variable to store the result in.")
            name = tokens[i + 1]
            if not name.isidentifier():
                raise UsageError(f"{flag} {name}: not a valid Python variable name.")
            return " ".join(tokens[:i] + tokens[i + 2:]), name
    return line, None


def _unknown_verb(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(VERBS), n=3)
    return f"Unknown verb {name!r}." + (f" Did you mean: {', '.join(close)}?" if close else "") + \
        " %mlops help lists the verbs."


class View:
    """What every verb function receives: the workspace and the user's namespace."""

    def __init__(self, shell):
        self.shell = shell
        self._ws = None

    @property
    def ws(self):
        from .._core.workspace import Workspace

        if self._ws is None or self._ws.home != Workspace().home:
            self._ws = Workspace()
        return self._ws

    def value(self, name: str | None, option: str) -> Any:
        """The notebook variable ``name`` (options pass data by variable name)."""
        if name is None:
            return None
        if name in self.shell.user_ns:
            return self.shell.user_ns[name]
        try:  # also allow an expression such as X_train[cols] or df.head(100)
            return eval(name, self.shell.user_ns)  # noqa: S307 - the user's own notebook namespace
        except Exception:
            raise UsageError(f"{option} {name}: there is no variable named {name!r} in the notebook.") from None

    def variables(self, option: str) -> "_Variables":
        """How ``option`` resolves a name, for the inputs that choose between a variable and
        something else of the same name (a column of --data)."""
        return _Variables(self, option)

    def run(self, line: str, cell: str | None):
        line, out_name = _take_out_option(line)
        result = self._run(line, cell)
        if out_name is not None:
            self.shell.user_ns[out_name] = result
        return result

    def _run(self, line: str, cell: str | None):
        name, rest = split_verb(line)
        if not name:
            return self.ws.status()
        if name == "help":
            print(help_text(rest.split()[0] if rest.split() else None))
            return None
        spec = VERBS.get(name)
        if spec is None:
            raise UsageError(_unknown_verb(name))
        if {"-h", "--help"} & set(rest.split()):
            print(spec.parser.format_help())
            return None
        args = spec.parser.parse_argstring(rest)
        self._versions_by_variable(args)
        if cell is not None:
            if spec.body is None:
                raise UsageError(f"%%mlops {name} takes no cell body; use %mlops {name} on one line.")
            setattr(args, spec.body, cell)
        return spec.func(self, args)

    # the positional arguments that take a model reference, in every verb that has one
    _REFERENCE_ARGUMENTS = ("ref", "a", "b", "target")

    def _versions_by_variable(self, args) -> None:
        """A reference argument that names a notebook variable holding a version (``v`` after
        ``v = ws.register(...)``) means that exact version, as the data options read variables.
        Only such a variable wins over a model of the same name; any other text stays a reference."""
        for dest in self._REFERENCE_ARGUMENTS:
            text = getattr(args, dest, None)
            if isinstance(text, str) and isinstance(self.shell.user_ns.get(text), Versioned):
                setattr(args, dest, self.shell.user_ns[text])


class _Variables:
    def __init__(self, view: View, option: str):
        self._view, self._option = view, option

    def __call__(self, name: str) -> Any:
        return self._view.value(name, self._option)

    def __contains__(self, name: str) -> bool:
        # membership, not value(): value() also evaluates expressions, and a builtin such as `id`
        # must not shadow a column named id
        return name in self._view.shell.user_ns
