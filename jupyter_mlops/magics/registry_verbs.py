"""Registry verbs: register, models, versions, show, load, promote, approve, reject, diff, archive,
audit, verify-audit, policy, dataset, datasets. Each body is one Workspace call."""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument

from ._verbs import inputs, verb


@verb("register", body="description")
@argument("model", help="the notebook variable holding the fitted model")
@argument("--name", "-n", required=True, help="model name (letters, digits, . _ -)")
@argument("--data", "-d", help="variable with the training features (hashed in full for lineage)")
@argument("--target", "-t", help="variable with the training target")
@argument("--metric", nargs="+", action="extend", metavar="K=V", help="metrics, e.g. auc=0.91")
@argument("--param", nargs="+", action="extend", metavar="K=V", help="parameters, e.g. C=1.0")
@argument("--tag", nargs="+", action="extend", metavar="K=V", help="tags, e.g. team=growth")
@argument("--description", help="free text (or use %%%%mlops register … with the text as the cell body)")
@argument("--alias", help="point this alias (e.g. staging) at the new version")
def register(view, args):
    """Register a model as the next version of NAME, with lineage captured automatically."""
    return view.ws.register(view.value(args.model, "MODEL"), args.name, data=view.value(args.data, "--data"),
                            target=view.value(args.target, "--target"),
                            metrics=inputs.parse_pairs(args.metric, "--metric"),
                            params=inputs.parse_pairs(args.param, "--param"),
                            tags=inputs.parse_pairs(args.tag, "--tag"), description=args.description, alias=args.alias)


@verb("models")
def models(view, args):
    """List the models in the workspace."""
    return view.ws.models()


@verb("versions")
@argument("name", nargs="?", help="model name (default: every model's versions)")
def versions(view, args):
    """List the versions of a model (or of every model): created, approval, aliases, data hash, metrics."""
    return view.ws.versions(args.name)


@verb("show")
@argument("ref", help="churn, churn:3 or churn@production")
def show(view, args):
    """Show a version: lineage, metrics, params, signature, hashes, approval, aliases."""
    return view.ws.get(args.ref)


@verb("load")
@argument("ref", help="churn, churn:3 or churn@production")
def load(view, args):
    """Load a version's model object (its artifact's sha256 is checked first)."""
    return view.ws.load(args.ref)


@verb("promote")
@argument("ref", help="the version to promote")
@argument("--to", required=True, dest="alias", help="the alias, e.g. production or staging")
def promote(view, args):
    """Point an alias at a version."""
    return view.ws.promote(args.ref, args.alias)


@verb("approve")
@argument("ref", help="the version to approve")
@argument("--comment", "-m", nargs="+", help="why (recorded in the audit log)")
def approve(view, args):
    """Approve a version (approval status Approved)."""
    return view.ws.approve(args.ref, comment=" ".join(args.comment) if args.comment else None)


@verb("reject")
@argument("ref", help="the version to reject")
@argument("--comment", "-m", nargs="+", help="why (recorded in the audit log)")
def reject(view, args):
    """Reject a version (approval status Rejected)."""
    return view.ws.reject(args.ref, comment=" ".join(args.comment) if args.comment else None)


@verb("diff")
@argument("a", help="first version")
@argument("b", help="second version")
def diff(view, args):
    """Compare two versions: params, metrics, data hashes and lineage side by side."""
    return view.ws.diff(args.a, args.b)


@verb("archive")
@argument("ref", help="the version to archive")
def archive(view, args):
    """Archive a version (it stays loadable; it is no longer the latest)."""
    return view.ws.archive(args.ref)


@verb("audit")
@argument("name", nargs="?", help="only this model's entries")
@argument("--verify", action="store_true", help="walk the hash chain instead of listing entries")
def audit(view, args):
    """Show the audit log (who did what, when), or verify its hash chain."""
    return view.ws.verify_audit() if args.verify else view.ws.audit(args.name)


@verb("verify-audit")
def verify_audit(view, args):
    """Verify the audit log's hash chain; names the first altered or removed entry."""
    return view.ws.verify_audit()


@verb("policy")
@argument("--require-approval", dest="require_approval", action="store_const", const=True,
          help="promote refuses versions that are not Approved")
@argument("--no-require-approval", dest="require_approval", action="store_const", const=False,
          help="lift that rule")
@argument("--require-reproduction", dest="require_reproduction", action="store_const", const=True,
          help="promotion needs a passed reproduction check")
@argument("--min-approvers", type=int, help="distinct approvers needed for Approved")
def policy(view, args):
    """Show or change the workspace policy."""
    return view.ws.policy(require_approval=args.require_approval,
                          require_reproduction=args.require_reproduction, min_approvers=args.min_approvers)


@verb("dataset")
@argument("action", choices=["save", "load"], help="save a DataFrame or load a version")
@argument("what", help="save: the DataFrame variable; load: the dataset reference (name or name:N)")
@argument("--name", "-n", help="dataset name (save)")
def dataset(view, args):
    """Save a DataFrame as a versioned dataset, or load one back (X = %mlops dataset load train:3)."""
    if args.action == "save":
        if not args.name:
            raise UsageError("%mlops dataset save needs --name NAME.")
        return view.ws.save_dataset(view.value(args.what, "DATAFRAME"), args.name)
    return view.ws.dataset(args.what)


@verb("datasets")
def datasets(view, args):
    """List the dataset versions."""
    return view.ws.datasets()
