"""Trust verbs: trust (add, remove, list, key) and audit-anchor. Each body is one Workspace call."""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument

from ._verbs import verb


@verb("trust")
@argument("action", choices=["add", "remove", "list", "key"], nargs="?", default="list",
          help="add a public key, remove one by id, list the trusted keys, or show your own key")
@argument("key", nargs="?", help="add: the public key (base64, as `mlops trust key` prints it); remove: its key id")
@argument("--name", "-n", help="add: whose key it is (shown in refusals and listings)")
def trust(view, args):
    """Whose signatures this kernel accepts: pickled models, endpoint configs, audit heads."""
    if args.action == "add":
        if not args.key or not args.name:
            raise UsageError("%mlops trust add needs the public key and --name NAME.")
        return view.ws.trust(args.key, args.name)
    if args.action == "remove":
        if not args.key:
            raise UsageError("%mlops trust remove needs the key id (see %mlops trust list).")
        return view.ws.untrust(args.key)
    if args.action == "key":
        return view.ws.signing_key()
    return view.ws.trusted_keys()


@verb("audit-anchor")
def audit_anchor(view, args):
    """Sign the audit log's head with your key and show it, for a witness outside the workspace."""
    return view.ws.audit_anchor()
