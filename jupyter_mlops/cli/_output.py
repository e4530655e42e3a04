"""Printing result objects in a terminal."""

from __future__ import annotations

import json

import click


def echo_result(result, as_json: bool = False) -> None:
    if result is None:
        return
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if as_json:
        if pd is not None and isinstance(result, pd.DataFrame):
            click.echo(result.reset_index().to_json(orient="records", date_format="iso", default_handler=str))
        elif hasattr(result, "to_dict"):
            click.echo(json.dumps(result.to_dict(), default=str, indent=2))
        else:
            click.echo(json.dumps(result, default=str))
        return
    if hasattr(result, "to_text"):  # results, and listings (their formatted table)
        click.echo(result.to_text())
        return
    if pd is not None and isinstance(result, pd.DataFrame):
        with pd.option_context("display.max_columns", 30, "display.width", 160, "display.max_colwidth", 60):
            click.echo(result.to_string() if len(result) else "(none)")
        return
    click.echo(repr(result) if not isinstance(result, str) else result)
