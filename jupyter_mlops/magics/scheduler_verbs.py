"""Scheduler verbs: monitor, schedules, unschedule, runs, run-now, reports, report, scheduler
start|stop|status|log. Each body is one Workspace call."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ._verbs import unquote, verb


@verb("monitor")
@argument("endpoint", help="the endpoint whose captured traffic is checked")
@argument("--every", help="interval: 30s, 5m, 1h, 1d (default 1h)")
@argument("--cron", help="instead of --every: a cron string, e.g. \"0 3 * * *\" (quote it)")
@argument("--on-violation", dest="on_violation", choices=["alert", "retrain"], default="alert",
          help="alert: audit entry + saved report + webhook; retrain: the same, and request a retraining run")
@argument("--webhook", help="URL that receives a JSON POST for each alert")
@argument("--since", help="how far back the first run looks (default: one period), e.g. 1h")
@argument("--timezone", help="time zone of --cron (default: this machine's)")
def monitor(view, args):
    """Check an endpoint's captured traffic on a schedule; a violation writes an alert."""
    return view.ws.monitor(args.endpoint, every=args.every, on_violation=args.on_violation, webhook=args.webhook,
                           since=args.since, cron=unquote(args.cron), timezone=args.timezone)


@verb("schedules")
def schedules(view, args):
    """List the schedules: kind, target, trigger, next run, last run, last status."""
    return view.ws.schedules()


@verb("unschedule")
@argument("id", help="the schedule id (see %%mlops schedules)")
def unschedule(view, args):
    """Remove a schedule (its runs stay on record)."""
    return view.ws.unschedule(args.id)


@verb("runs")
@argument("name", nargs="?", help="only the runs of this schedule id or target (endpoint, model)")
@argument("--limit", type=int, default=200, help="newest runs to show (default 200)")
def runs(view, args):
    """List scheduled runs, newest first: status, start, finish, result, error."""
    return view.ws.runs(args.name, limit=args.limit)


@verb("run-now")
@argument("id", help="the schedule id (see %%mlops schedules)")
@argument("--no-wait", dest="wait", action="store_false",
          help="return the running run at once instead of waiting for it to finish")
def run_now(view, args):
    """Run one schedule's job once, now (recorded as a run with the trigger "manual")."""
    return view.ws.run_now(args.id, wait=args.wait)


@verb("reports")
@argument("endpoint", nargs="?", help="only the reports of this endpoint")
@argument("--limit", type=int, default=20, help="newest reports to show (default 20)")
def reports(view, args):
    """List the latest monitoring reports: status, violations, drifted features, summary."""
    return view.ws.reports(args.endpoint, limit=args.limit)


@verb("report")
@argument("id", help="the report id (see %%mlops reports)")
def report(view, args):
    """Show a kept monitoring report (data quality violations and drift, with charts)."""
    return view.ws.report(args.id)


@verb("drift-history")
@argument("endpoint", help="endpoint name")
@argument("--last", help="how far back: 7d, 12h (default: every check kept)")
def drift_history(view, args):
    """Each feature's drift statistic across the endpoint's scheduled checks, charted with its threshold."""
    return view.ws.drift_history(args.endpoint, last=args.last)


@verb("scheduler")
@argument("action", choices=["start", "stop", "status", "log"], nargs="?", default="status",
          help="start the daemon (detached, one per workspace), stop it, show its status or its log")
@argument("--timeout", type=float, default=30, help="stop: seconds the daemon gets to stop (runs still going are recorded interrupted)")
@argument("--lines", "-n", type=int, default=50, help="log: how many lines from the end")
def scheduler(view, args):
    """The daemon that runs the schedules: start, stop, status or log."""
    if args.action == "start":
        return view.ws.start_scheduler()
    if args.action == "stop":
        return view.ws.stop_scheduler(timeout=args.timeout)
    if args.action == "log":
        print(view.ws.scheduler_log(args.lines))
        return None
    return view.ws.scheduler_status()

