"""Trust commands: ``mlops trust add|remove|list|key`` and ``mlops audit-anchor``."""

from __future__ import annotations

import click

from . import emit, main, workspace


@main.group("trust", invoke_without_command=True)
@click.pass_context
def trust_group(ctx):
    """Whose signatures this user accepts: pickled models, endpoint configs, audit heads."""
    if ctx.invoked_subcommand is None:
        emit(ctx, workspace(ctx).trusted_keys())


@trust_group.command("add")
@click.argument("public_key")
@click.option("--name", "-n", required=True, help="whose key it is")
@click.pass_context
def trust_add(ctx, public_key, name):
    """Trust PUBLIC_KEY (base64, as `mlops trust key` prints it on its owner's machine)."""
    emit(ctx, workspace(ctx).trust(public_key, name))


@trust_group.command("remove")
@click.argument("key_id")
@click.pass_context
def trust_remove(ctx, key_id):
    """Stop trusting the key KEY_ID."""
    emit(ctx, workspace(ctx).untrust(key_id))


@trust_group.command("list")
@click.pass_context
def trust_list(ctx):
    """Your key and the keys you trust."""
    emit(ctx, workspace(ctx).trusted_keys())


@trust_group.command("key")
@click.pass_context
def trust_key(ctx):
    """Your public key, to give to whoever should trust your work."""
    emit(ctx, workspace(ctx).signing_key())


@main.command("audit-anchor")
@click.pass_context
def audit_anchor_cmd(ctx):
    """Sign the audit log's head with your key and print it, for an outside witness."""
    emit(ctx, workspace(ctx).audit_anchor())
