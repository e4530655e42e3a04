"""Registry commands: register, models, versions, show, promote, approve, reject, diff, archive,
audit, verify-audit, policy, datasets, dataset."""

from __future__ import annotations

import click

from . import emit, inputs, main, workspace


@main.command()
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", "-n", required=True, help="model name")
@click.option("--data", "-d", type=click.Path(exists=True, dir_okay=False), help="training features (.csv/.parquet)")
@click.option("--target", "-t", type=click.Path(exists=True, dir_okay=False), help="training target (.csv/.parquet, one column)")
@click.option("--metric", multiple=True, metavar="K=V", help="a metric (repeatable)")
@click.option("--param", multiple=True, metavar="K=V", help="a parameter (repeatable)")
@click.option("--tag", multiple=True, metavar="K=V", help="a tag (repeatable)")
@click.option("--description", help="free text")
@click.option("--alias", help="point this alias at the new version")
@click.pass_context
def register(ctx, model_file, name, data, target, metric, param, tag, description, alias):
    """Register a saved model file as the next version of NAME."""
    emit(ctx, workspace(ctx).register(inputs.read_model(model_file), name, data=inputs.read_frame(data),
                                      target=inputs.read_labels(target),
                                      metrics=inputs.parse_pairs(metric, "--metric"),
                                      params=inputs.parse_pairs(param, "--param"),
                                      tags=inputs.parse_pairs(tag, "--tag"), description=description, alias=alias))


@main.command()
@click.pass_context
def models(ctx):
    """List the models."""
    emit(ctx, workspace(ctx).models())


@main.command()
@click.argument("name", required=False)
@click.pass_context
def versions(ctx, name):
    """List the versions of NAME (no NAME: of every model)."""
    emit(ctx, workspace(ctx).versions(name))


@main.command()
@click.argument("ref")
@click.pass_context
def show(ctx, ref):
    """Show a version (churn, churn:3, churn@production)."""
    emit(ctx, workspace(ctx).get(ref))


@main.command()
@click.argument("ref")
@click.option("--to", "alias", required=True, help="the alias, e.g. production")
@click.pass_context
def promote(ctx, ref, alias):
    """Point an alias at a version."""
    emit(ctx, workspace(ctx).promote(ref, alias))


@main.command()
@click.argument("ref")
@click.option("--comment", "-m", help="why")
@click.pass_context
def approve(ctx, ref, comment):
    """Approve a version."""
    emit(ctx, workspace(ctx).approve(ref, comment=comment))


@main.command()
@click.argument("ref")
@click.option("--comment", "-m", help="why")
@click.pass_context
def reject(ctx, ref, comment):
    """Reject a version."""
    emit(ctx, workspace(ctx).reject(ref, comment=comment))


@main.command()
@click.argument("a")
@click.argument("b")
@click.option("--all", "show_all", is_flag=True, help="also the fields that are the same")
@click.pass_context
def diff(ctx, a, b, show_all):
    """Compare two versions side by side."""
    emit(ctx, workspace(ctx).diff(a, b, changed_only=not show_all))


@main.command()
@click.argument("ref")
@click.pass_context
def archive(ctx, ref):
    """Archive a version."""
    emit(ctx, workspace(ctx).archive(ref))


@main.command()
@click.argument("name", required=False)
@click.pass_context
def audit(ctx, name):
    """Show the audit log (of one model, or all)."""
    emit(ctx, workspace(ctx).audit(name))


@main.command("verify-audit")
@click.pass_context
def verify_audit(ctx):
    """Verify the audit log's hash chain (exit status 1 when broken)."""
    check = workspace(ctx).verify_audit()
    emit(ctx, check)
    if not check.ok:
        ctx.exit(1)


@main.command()
@click.option("--require-approval/--no-require-approval", default=None, help="promote needs Approved")
@click.option("--require-reproduction/--no-require-reproduction", default=None, help="promote needs a reproduction")
@click.option("--min-approvers", type=int, help="distinct approvers needed")
@click.pass_context
def policy(ctx, require_approval, require_reproduction, min_approvers):
    """Show or change the workspace policy."""
    emit(ctx, workspace(ctx).policy(require_approval=require_approval,
                                    require_reproduction=require_reproduction, min_approvers=min_approvers))


@main.command()
@click.pass_context
def datasets(ctx):
    """List dataset versions."""
    emit(ctx, workspace(ctx).datasets())


@main.group()
def dataset():
    """Save or load a versioned dataset."""


@dataset.command("save")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", "-n", required=True, help="dataset name")
@click.pass_context
def dataset_save(ctx, path, name):
    """Save a .csv or .parquet file as the next version of dataset NAME."""
    emit(ctx, workspace(ctx).save_dataset(inputs.read_frame(path), name))


@dataset.command("load")
@click.argument("ref")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False), help="where to write (.csv/.parquet)")
@click.pass_context
def dataset_load(ctx, ref, out):
    """Write dataset version REF to a file."""
    inputs.write_frame(workspace(ctx).dataset(ref), out)
    click.echo(out)


@main.command()
@click.argument("ref")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="where to write the model (.skops, or .joblib/.pkl)")
@click.pass_context
def load(ctx, ref, out):
    """Load a version (hash-verified) and write the model object to a file."""
    inputs.write_model(workspace(ctx).load(ref), out)
    click.echo(out)
