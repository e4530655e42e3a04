"""Scheduler commands: monitor, schedules, unschedule, runs, run-now, reports, report, and the daemon
(``mlops scheduler start|stop|status|log``)."""

from __future__ import annotations

import click

from . import emit, main, workspace


@main.command("monitor")
@click.argument("endpoint")
@click.option("--every", help="interval: 30s, 5m, 1h, 1d (default 1h)")
@click.option("--cron", help='instead of --every: a cron string, e.g. "0 3 * * *"')
@click.option("--on-violation", type=click.Choice(["alert", "retrain"]), default="alert", show_default=True,
              help="alert: audit entry + saved report + webhook; retrain: the same, and request a retraining run")
@click.option("--webhook", help="URL that receives a JSON POST for each alert")
@click.option("--since", help="how far back the first run looks (default: one period), e.g. 1h")
@click.option("--timezone", help="time zone of --cron (default: this machine's)")
@click.pass_context
def monitor_cmd(ctx, endpoint, every, cron, on_violation, webhook, since, timezone):
    """Check ENDPOINT's captured traffic on a schedule; a violation writes an alert."""
    emit(ctx, workspace(ctx).monitor(endpoint, every=every, on_violation=on_violation, webhook=webhook,
                                     since=since, cron=cron, timezone=timezone))


@main.command("schedules")
@click.pass_context
def schedules_cmd(ctx):
    """List the schedules."""
    emit(ctx, workspace(ctx).schedules())


@main.command("unschedule")
@click.argument("schedule_id")
@click.pass_context
def unschedule_cmd(ctx, schedule_id):
    """Remove the schedule SCHEDULE_ID (its runs stay on record)."""
    emit(ctx, workspace(ctx).unschedule(schedule_id))


@main.command("runs")
@click.argument("name", required=False)
@click.option("--limit", type=int, default=200, show_default=True, help="newest runs to show")
@click.pass_context
def runs_cmd(ctx, name, limit):
    """List scheduled runs (of one schedule id or target, if NAME is given), newest first."""
    emit(ctx, workspace(ctx).runs(name, limit=limit))


@main.command("run-now")
@click.argument("schedule_id")
@click.option("--no-wait", "wait", flag_value=False, default=True,
              help="return the running run at once instead of waiting for it to finish")
@click.pass_context
def run_now_cmd(ctx, schedule_id, wait):
    """Run SCHEDULE_ID's job once, now (recorded as a run with the trigger "manual")."""
    emit(ctx, workspace(ctx).run_now(schedule_id, wait=wait))


@main.command("reports")
@click.argument("endpoint", required=False)
@click.option("--limit", type=int, default=20, show_default=True, help="newest reports to show")
@click.pass_context
def reports_cmd(ctx, endpoint, limit):
    """List the latest monitoring reports (of ENDPOINT, if given), newest first."""
    emit(ctx, workspace(ctx).reports(endpoint, limit=limit))


@main.command("report")
@click.argument("report_id")
@click.pass_context
def report_cmd(ctx, report_id):
    """Show the kept monitoring report REPORT_ID."""
    emit(ctx, workspace(ctx).report(report_id))


@main.command("drift-history")
@click.argument("endpoint")
@click.option("--last", help="how far back: 7d, 12h (default: every check kept)")
@click.pass_context
def drift_history_cmd(ctx, endpoint, last):
    """Each feature's drift statistic across ENDPOINT's scheduled checks."""
    emit(ctx, workspace(ctx).drift_history(endpoint, last=last))


@main.group("scheduler", invoke_without_command=True)
@click.pass_context
def scheduler_group(ctx):
    """The daemon that runs the schedules (one per workspace): start, stop, status."""
    if ctx.invoked_subcommand is None:
        emit(ctx, workspace(ctx).scheduler_status())


@scheduler_group.command("start")
@click.option("--foreground", is_flag=True,
              help="run in this process until SIGTERM/Ctrl-C (for systemd, containers) instead of detaching")
@click.pass_context
def scheduler_start(ctx, foreground):
    """Start the daemon (detached: it keeps running after this command exits)."""
    if foreground:
        ctx.exit(workspace(ctx).run_scheduler())
    emit(ctx, workspace(ctx).start_scheduler())


@scheduler_group.command("stop")
@click.option("--timeout", type=float, default=30, show_default=True, help="seconds the daemon gets to stop (runs still going are recorded interrupted)")
@click.pass_context
def scheduler_stop(ctx, timeout):
    """Stop the daemon: SIGTERM, then SIGKILL after --timeout seconds."""
    emit(ctx, workspace(ctx).stop_scheduler(timeout=timeout))


@scheduler_group.command("log")
@click.option("--lines", "-n", type=int, default=50, show_default=True, help="how many lines from the end")
@click.pass_context
def scheduler_log(ctx, lines):
    """The end of the daemon's log: schedules loaded, runs started and finished, errors."""
    click.echo(workspace(ctx).scheduler_log(lines))


@scheduler_group.command("status")
@click.pass_context
def scheduler_status(ctx):
    """Whether the daemon runs: pid, since when, log file, number of schedules."""
    emit(ctx, workspace(ctx).scheduler_status())
