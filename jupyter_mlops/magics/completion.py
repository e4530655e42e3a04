"""Tab completion for ``%mlops`` on IPython's matcher API (v2, IPython >= 8.6).

What a word completes to comes from the verb's own ``magic_arguments`` parser (options, their
``choices``, which positional comes next), so completion cannot drift from the verbs; the names
(models, aliases, versions, endpoints, schedules) come from the workspace's listings; data
arguments complete to the notebook's DataFrames and arrays.

On an ``%mlops`` line the matcher answers alone (``suppress``): Python keywords, builtins and
file names are never what an option wants. IPython only honours ``suppress`` when there is at
least one completion, so where nothing fits (a number, a duration) the matcher offers the typed
word itself: Tab changes nothing instead of offering 200 builtins.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import sys
from dataclasses import dataclass
from typing import Callable, Iterable

from IPython.core.completer import CompletionContext, SimpleCompletion, SimpleMatcherResult, context_matcher

from ._verbs import VERBS

IDENTIFIER = "jupyter_mlops.magics.completion"

# ``x = %mlops show churn`` and ``%%mlops register ...`` are %mlops lines too
_MLOPS_LINE = re.compile(r"^\s*(?:[A-Za-z_]\w*\s*=\s*)?%{1,2}mlops(?=\s)")
_AUTOMAGIC_LINE = re.compile(r"^\s*mlops(?=\s)(?!\s*[=(.\[])")  # not ``mlops = ...``

#: what each option's value is, by option string (options of every verb that mean the same)
_DATA_OPTIONS = {"--data", "--labels", "--reference", "--current", "--ground-truth", "--stream", "--target"}
_ENDPOINT_OPTIONS = {"--endpoint", "--on-drift"}
_NOTEBOOK_OPTIONS = {"--notebook", "--steps"}
_ALIAS_OPTIONS = {"--to", "--promote"}
_COMMON_ALIASES = ("production", "staging")


@dataclass
class Completions:
    fragment: str  # the end of the typed text the completions replace
    texts: list[str]


class Names:
    """The workspace's names, looked up on demand. Each lookup is one Workspace listing and never
    raises: a missing or broken workspace completes to nothing (verbs and options still do)."""

    def __init__(self):
        self._workspace = None  # kept while the home stays the same: one database engine, not one per Tab

    def _ws(self):
        from .._core.workspace import Workspace

        ws = Workspace()
        # a completion must not create a workspace: no home (and no database elsewhere), no names
        if not ws.home.exists() and not os.environ.get("MLOPS_DB_URL"):
            return None
        if self._workspace is None or repr(self._workspace.environment()) != repr(ws.environment()):
            self._close()
            self._workspace = ws
        return self._workspace

    def _close(self) -> None:
        if self._workspace is not None and "store" in self._workspace.__dict__:
            self._workspace.store.dispose()
        self._workspace = None

    def _safely(self, lookup: Callable) -> list[str]:
        try:
            ws = self._ws()
            return [] if ws is None else [str(x) for x in lookup(ws)]
        except Exception:  # a completer that raises prints a traceback under the user's cursor
            return []

    def models(self) -> list[str]:
        return self._safely(lambda ws: ws.models()["name"])

    def aliases(self, model: str) -> list[str]:
        def lookup(ws):
            found = set()
            for text in ws.versions(model)["aliases"]:
                found.update(a.strip() for a in str(text or "").split(",") if a.strip())
            return sorted(found)

        return self._safely(lookup)

    def versions(self, model: str) -> list[str]:
        return self._safely(lambda ws: ws.versions(model).index)

    def all_aliases(self) -> list[str]:
        def lookup(ws):
            found = set()
            for text in ws.models()["aliases"]:  # "production=2, staging=3"
                found.update(part.split("=")[0].strip() for part in str(text or "").split(",") if "=" in part)
            return sorted(found)

        return self._safely(lookup)

    def endpoints(self) -> list[str]:
        return self._safely(lambda ws: ws.endpoints()["name"])

    def schedules(self) -> list[str]:
        return self._safely(lambda ws: ws.schedules().index)

    def variants(self, endpoint: str) -> list[str]:
        def lookup(ws):
            listing = ws.endpoints()
            rows = listing[listing["name"] == endpoint]["variants"]  # "churn-v1=80, churn-v2=20 (shadow)"
            return sorted({part.split("=")[0].strip() for text in rows for part in str(text or "").split(",")
                           if "=" in part})

        return self._safely(lookup)

    def reports(self) -> list[str]:
        return self._safely(lambda ws: ws.reports(limit=50).index)

    def datasets(self) -> list[str]:
        """Dataset names and their versions (``train`` and ``train:3``), as ``dataset load`` takes them."""
        def lookup(ws):
            listing = ws.datasets()
            return sorted({*listing["name"], *(f"{n}:{v}" for n, v in zip(listing["name"], listing["version"]))})

        return self._safely(lookup)


def data_variables(user_ns: dict) -> list[str]:
    """Notebook variables holding data: DataFrames, Series and arrays (pandas, NumPy, polars), by
    the modules already imported (a completion imports no library)."""
    kinds: list[type] = []
    for module, names in (("pandas", ("DataFrame", "Series")), ("numpy", ("ndarray",)),
                          ("polars", ("DataFrame", "Series"))):
        if module in sys.modules:
            kinds += [getattr(sys.modules[module], n) for n in names if hasattr(sys.modules[module], n)]
    if not kinds:
        return []
    return sorted(k for k, v in user_ns.items() if not k.startswith("_") and isinstance(v, tuple(kinds)))


def version_variables(user_ns: dict) -> list[str]:
    from .._core.registry.results import ModelVersion

    return sorted(k for k, v in user_ns.items() if not k.startswith("_") and isinstance(v, ModelVersion))


def user_variables(user_ns: dict, hidden: Iterable[str] = ()) -> list[str]:
    """The user's own variables (not modules, functions or classes, nor IPython's In/Out)."""
    import types

    hidden = set(hidden)
    return sorted(k for k, v in user_ns.items()
                  if not k.startswith("_") and k not in hidden
                  and not isinstance(v, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)))


def notebook_paths(prefix: str) -> list[str]:
    """``*.ipynb`` files and folders under the working directory that start with ``prefix``
    (folders end with ``/`` so Tab goes on into them; hidden ones only when asked for)."""
    out = []
    for path in glob.glob(glob.escape(prefix) + "*"):
        name = os.path.basename(path)
        if name.startswith(".") and not os.path.basename(prefix).startswith("."):
            continue
        if os.path.isdir(path):
            out.append(path + "/")
        elif path.endswith(".ipynb"):
            out.append(path)
    return sorted(out)


def drift_methods() -> list[str]:
    from .._core.monitor.stattests import STATTESTS

    return ["auto", *STATTESTS]


class LineCompleter:
    """Completes one ``%mlops`` line up to the cursor."""

    def __init__(self, names: Names, user_ns: dict, hidden: Iterable[str] = ()):
        self.names, self.user_ns, self.hidden = names, user_ns, hidden

    def complete(self, words: list[str]) -> Completions:
        """``words`` after ``mlops``; the last one is the word being typed (maybe empty)."""
        current = words[-1]
        if len(words) == 1:
            return self._starting(current, [*VERBS, "help"])
        verb = VERBS.get(words[0])
        if words[0] == "help":
            return self._starting(current, VERBS) if len(words) == 2 else Completions(current, [])
        if verb is None:
            return Completions(current, [])
        parser = verb.parser
        if current.startswith("-"):
            given = set(words[1:-1])
            # an option already given is not offered again, unless it collects (--metric a=1 --metric b=2)
            options = [o for a in parser._actions for o in a.option_strings
                       if _repeatable(a) or not given & set(a.option_strings)]
            return self._starting(current, options)
        option_action, positional_index = _where(parser, words[1:-1])
        if option_action is not None:
            return self._option_value(verb.name, option_action, current, words)
        positionals = [a for a in parser._actions if not a.option_strings]
        if not positionals:
            return Completions(current, [])
        last = positionals[-1]
        if positional_index >= len(positionals) and last.nargs not in ("+", "*"):
            return Completions(current, [])
        action = positionals[min(positional_index, len(positionals) - 1)]
        return self._positional(verb.name, action, current, words)

    # -- what a slot holds -----------------------------------------------------------------------
    def _option_value(self, verb: str, action, current: str, words: list[str]) -> Completions:
        option = next((o for o in action.option_strings if o.startswith("--")), action.option_strings[0])
        if action.choices:
            return self._starting(current, [str(c) for c in action.choices])
        if option in _DATA_OPTIONS:
            return self._starting(current, data_variables(self.user_ns))
        if option in _ENDPOINT_OPTIONS:
            return self._starting(current, self.names.endpoints())
        if option in _NOTEBOOK_OPTIONS:
            return Completions(current, notebook_paths(current))
        if option in _ALIAS_OPTIONS:
            return self._starting(current, sorted({*_COMMON_ALIASES, *self.names.all_aliases()}))
        if option == "--method":
            return self._starting(current, drift_methods())
        if verb == "register" and option == "--name":
            return self._starting(current, self.names.models())
        if option == "--variant" and verb != "deploy":  # deploy's --variant names a new one
            return self._starting(current, self.names.variants(words[1]) if len(words) > 2 else [])
        return Completions(current, [])

    def _positional(self, verb: str, action, current: str, words: list[str]) -> Completions:
        dest = action.dest
        if action.choices:
            return self._starting(current, [str(c) for c in action.choices])
        if dest in ("ref", "a", "b"):
            return self._reference(current)
        if dest == "target":  # an endpoint's traffic, or a model with --data
            endpoints = self.names.endpoints()
            return self._reference(current, also=endpoints)
        if dest == "endpoint":
            return self._starting(current, self.names.endpoints())
        if dest == "id" and verb in ("run-now", "unschedule"):
            return self._starting(current, self.names.schedules())
        if dest == "id" and verb == "report":
            return self._starting(current, self.names.reports())
        if dest == "weights":  # traffic ENDPOINT churn-v1=80 churn-v2=20
            given = {w.split("=")[0] for w in words[2:-1]}
            return self._starting(current, [f"{v}=" for v in self.names.variants(words[1]) if v not in given])
        if dest == "name" and verb == "runs":
            return self._starting(current, {*self.names.schedules(), *self.names.endpoints(), *self.names.models()})
        if dest == "name":
            return self._starting(current, self.names.models())
        if dest == "model":  # register: the fitted model in a variable
            return self._starting(current, user_variables(self.user_ns, self.hidden))
        if dest == "what" and words[1:2] == ["save"]:
            return self._starting(current, data_variables(self.user_ns))
        if dest == "what" and words[1:2] == ["load"]:
            return self._starting(current, self.names.datasets())
        return Completions(current, [])

    def _reference(self, current: str, also: Iterable[str] = ()) -> Completions:
        """``churn`` -> model names; ``churn@`` -> its aliases; ``churn:`` -> its versions;
        ``$`` -> the notebook's variables holding a version (``v = %mlops register ...``)."""
        if current.startswith("$"):
            return self._starting(current, ["$" + name for name in version_variables(self.user_ns)])
        for sep, listing in (("@", self.names.aliases), (":", self.names.versions)):
            if sep in current:
                model, _, rest = current.partition(sep)
                return self._starting(rest, listing(model))
        return self._starting(current, {*self.names.models(), *also})

    @staticmethod
    def _starting(prefix: str, candidates: Iterable[str]) -> Completions:
        return Completions(prefix, sorted({c for c in candidates if c.startswith(prefix)}))


def _where(parser, done: list[str]):
    """Which slot the next word fills, after the complete words ``done``: the option whose value it
    is (an option just typed, or one taking several values), else the index of the positional."""
    by_string = {o: a for a in parser._actions for o in a.option_strings}
    positional_index, open_option, taken = 0, None, 0
    for word in done:
        action = by_string.get(word)
        if action is not None:
            open_option, taken = (action, 0) if action.nargs != 0 else (None, 0)
            continue
        if word.startswith("-") and not _is_number(word):
            open_option = None  # an unknown option: leave its value alone
            continue
        if open_option is not None:
            taken += 1
            if open_option.nargs in (None, "?") or isinstance(open_option.nargs, int) and taken >= open_option.nargs:
                open_option = None
            continue
        positional_index += 1
    if open_option is not None and (taken == 0 or open_option.nargs in ("+", "*")):
        return open_option, positional_index
    return None, positional_index


def _repeatable(action) -> bool:
    import argparse

    return isinstance(action, (argparse._AppendAction, argparse._AppendConstAction, argparse._CountAction))


def _is_number(word: str) -> bool:
    try:
        float(word)
        return True
    except ValueError:
        return False


def mlops_words(line: str, shell=None) -> list[str] | None:
    """The words after ``mlops`` on an ``%mlops`` line up to the cursor (the last one being typed,
    maybe empty), or None when the line is not one."""
    match = _MLOPS_LINE.match(line)
    if match is None and getattr(shell, "automagic", False) and "mlops" not in shell.user_ns:
        match = _AUTOMAGIC_LINE.match(line)
    if match is None:
        return None
    rest = line[match.end():]
    if not rest[:1].isspace():
        return None
    # the word being typed stays as typed (IPython replaces exactly that suffix of the line);
    # the words before it are split like the verb's parser will split them
    done, _, current = rest.rpartition(" ") if not rest[-1:].isspace() else (rest, "", "")
    try:
        words = shlex.split(done)
    except ValueError:  # an open quote: split on blanks
        words = done.split()
    return [*words, current]


def make_matcher(shell):
    """The matcher to append to ``shell.Completer.custom_matchers``."""
    names = Names()

    @context_matcher(identifier=IDENTIFIER, priority=100)
    def mlops_matcher(context: CompletionContext) -> SimpleMatcherResult:
        words = mlops_words(context.text_until_cursor, shell)
        if words is None:
            return {"completions": [], "suppress": False}
        hidden = getattr(shell, "user_ns_hidden", {})
        found = LineCompleter(names, shell.user_ns, hidden).complete(words)
        # IPython suppresses the other matchers only when there is a completion: offer the typed
        # word itself when nothing fits, so Tab does nothing rather than list builtins
        texts = found.texts or [found.fragment]
        return {"completions": [SimpleCompletion(t, type="mlops") for t in texts],
                "matched_fragment": found.fragment, "suppress": True, "ordered": True}

    mlops_matcher.names = names  # uninstall closes its database engine
    return mlops_matcher


def install(shell) -> None:
    uninstall(shell)
    shell.Completer.custom_matchers.append(make_matcher(shell))


def uninstall(shell) -> None:
    matchers = shell.Completer.custom_matchers
    for matcher in [m for m in matchers if getattr(m, "matcher_identifier", None) == IDENTIFIER]:
        matcher.names._close()
        matchers.remove(matcher)


__all__ = ["install", "uninstall", "make_matcher", "mlops_words", "LineCompleter", "Names", "Completions"]
