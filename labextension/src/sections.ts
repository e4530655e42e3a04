/**
 * The four sections of the sidebar (Registry, Endpoints, Monitoring, Jobs) rendered from the
 * summary and the versions of the models the user opened. Pure functions of the data: every
 * action is a button carrying a command id and its arguments, run by the sidebar.
 */
import {
  checkIcon,
  closeIcon,
  deleteIcon,
  fileIcon,
  LabIcon,
  launchIcon,
  notebookIcon,
  runIcon,
  stopIcon,
  undoIcon,
  caretRightIcon,
  caretDownIcon,
  tagIcon,
  lineFormIcon
} from '@jupyterlab/ui-components';

import type {
  EndpointRecord,
  ModelRecord,
  ReportRecord,
  RunRecord,
  ScheduleRecord,
  Summary,
  VersionRecord
} from './contract';
import { ago, figure, h } from './dom';
import { CommandIDs } from './ids';

/** A compact icon button that runs `command` with `args` (read back by the sidebar on click). */
export function action(
  command: string,
  label: string,
  icon: LabIcon,
  args: Record<string, unknown>,
  danger = false
): HTMLElement {
  const button = h('button', {
    className: `jp-MlopsAction${danger ? ' jp-mod-danger' : ''}`,
    type: 'button',
    title: label,
    'aria-label': label,
    'data-command': command,
    'data-args': JSON.stringify(args)
  });
  button.append(icon.element({ tag: 'span', className: 'jp-MlopsAction-icon' }));
  return button;
}

/** An approval, status or verdict as a coloured badge (colours from the theme). */
export function badge(text: string | null | undefined, kind?: string): HTMLElement | null {
  if (!text) {
    return null;
  }
  const short: Record<string, string> = {
    PendingManualApproval: 'pending',
    Approved: 'approved',
    Rejected: 'rejected'
  };
  return h(
    'span',
    { className: `jp-MlopsBadge jp-mod-${(kind ?? text).toLowerCase()}`, title: text },
    short[text] ?? text
  );
}

function empty(text: string): HTMLElement {
  return h('p', { className: 'jp-MlopsEmpty' }, text);
}

function aliasList(aliases: string): string[] {
  return aliases
    .split(',')
    .map(a => a.trim())
    .filter(Boolean);
}

/** Registry: one row per model; an opened model lists its versions with their actions. */
export function registry(
  models: ModelRecord[],
  opened: ReadonlySet<string>,
  versions: ReadonlyMap<string, VersionRecord[] | Error>
): HTMLElement {
  if (!models.length) {
    return empty('No registered model yet: %mlops register MODEL --name N');
  }
  const list = h('ul', { className: 'jp-MlopsList' });
  for (const model of models) {
    const isOpen = opened.has(model.name);
    const toggle = h(
      'button',
      {
        className: 'jp-MlopsModel-toggle',
        type: 'button',
        'aria-expanded': String(isOpen),
        'data-toggle-model': model.name,
        title: isOpen ? `Hide the versions of ${model.name}` : `Show the versions of ${model.name}`
      },
      (isOpen ? caretDownIcon : caretRightIcon).element({ tag: 'span', className: 'jp-MlopsCaret' }),
      h('span', { className: 'jp-MlopsModel-name' }, model.name),
      h('span', { className: 'jp-MlopsMuted' }, model.latest !== null ? ` v${model.latest}` : '')
    );
    const item = h(
      'li',
      { className: 'jp-MlopsModel', 'data-model': model.name },
      h(
        'div',
        { className: 'jp-MlopsRow' },
        toggle,
        badge(model.latest_approval),
        model.aliases ? h('span', { className: 'jp-MlopsAliases', title: model.aliases }, model.aliases) : null
      )
    );
    if (isOpen) {
      item.append(versionList(model.name, versions.get(model.name)));
    }
    list.append(item);
  }
  return list;
}

function versionList(model: string, versions: VersionRecord[] | Error | undefined): HTMLElement {
  if (versions === undefined) {
    return empty('Loading…');
  }
  if (versions instanceof Error) {
    return h('p', { className: 'jp-MlopsError' }, versions.message);
  }
  const list = h('ul', { className: 'jp-MlopsVersions' });
  for (const v of versions) {
    const ref = `${model}:${v.version}`;
    const archived = v.status === 'archived';
    const metrics = metricText(v);
    list.append(
      h(
        'li',
        { className: `jp-MlopsVersion${archived ? ' jp-mod-archived' : ''}`, 'data-ref': ref },
        h(
          'div',
          { className: 'jp-MlopsRow' },
          h('span', { className: 'jp-MlopsVersion-number', title: `${ref}, registered by ${v.created_by}` }, `v${v.version}`),
          badge(v.approval),
          archived ? badge('archived') : null,
          ...aliasList(v.aliases ?? '').map(a => h('span', { className: 'jp-MlopsAlias' }, a)),
          metrics ? h('span', { className: 'jp-MlopsMuted jp-MlopsMetrics', title: metrics }, metrics) : null
        ),
        h(
          'div',
          { className: 'jp-MlopsActions' },
          action(CommandIDs.openCard, `Open the card of ${ref}`, fileIcon, { ref }),
          v.approval !== 'Approved' && !archived
            ? action(CommandIDs.approve, `Approve ${ref}`, checkIcon, { ref })
            : null,
          v.approval !== 'Rejected' && !archived
            ? action(CommandIDs.reject, `Reject ${ref}…`, closeIcon, { ref }, true)
            : null,
          !archived ? action(CommandIDs.promote, `Promote ${ref} to an alias…`, tagIcon, { ref }) : null,
          !archived ? action(CommandIDs.archive, `Archive ${ref}…`, deleteIcon, { ref }, true) : null
        )
      )
    );
  }
  return list;
}

const NOT_METRICS = new Set([
  'version',
  'created_at',
  'created_by',
  'approval',
  'aliases',
  'status',
  'reproduction',
  'data_sha256'
]);

/** The version's metric columns, "auc 0.91 · f1 0.8". */
function metricText(v: VersionRecord): string {
  return Object.entries(v)
    .filter(([key, value]) => !NOT_METRICS.has(key) && typeof value === 'number')
    .slice(0, 3)
    .map(([key, value]) => `${key} ${figure(value)}`)
    .join(' · ');
}

function metric(endpoint: EndpointRecord, key: 'req_per_s' | 'p50_ms' | 'p99_ms' | 'error_rate'): unknown {
  return endpoint.metrics?.[key] ?? endpoint[key];
}

/** Endpoints: status, variants and weights, live figures, rollback / traffic / stop. */
export function endpoints(items: EndpointRecord[]): HTMLElement {
  if (!items.length) {
    return empty('No endpoint: %mlops deploy REF --endpoint E');
  }
  const list = h('ul', { className: 'jp-MlopsList' });
  for (const e of items) {
    const running = e.status === 'running' || e.status === 'updating' || e.status === 'starting';
    const errorRate = metric(e, 'error_rate');
    list.append(
      h(
        'li',
        { className: 'jp-MlopsEndpoint', 'data-endpoint': e.name },
        h(
          'div',
          { className: 'jp-MlopsRow' },
          h('span', { className: 'jp-MlopsEndpoint-name', title: e.url ?? '' }, e.name),
          badge(e.status)
        ),
        h('div', { className: 'jp-MlopsMuted jp-MlopsVariants', title: e.variants }, e.variants || 'no variant'),
        running
          ? h(
              'div',
              { className: 'jp-MlopsFigures' },
              h('span', { title: 'requests per second, last minute' }, `${figure(metric(e, 'req_per_s'))} req/s`),
              h('span', { title: 'median latency' }, `p50 ${figure(metric(e, 'p50_ms'), ' ms')}`),
              h('span', { title: '99th percentile latency' }, `p99 ${figure(metric(e, 'p99_ms'), ' ms')}`),
              h(
                'span',
                { title: 'share of failed requests', className: typeof errorRate === 'number' && errorRate > 0 ? 'jp-MlopsWarn' : '' },
                `err ${typeof errorRate === 'number' ? figure(errorRate * 100, '%') : '–'}`
              )
            )
          : e.reason
            ? h('div', { className: 'jp-MlopsMuted' }, e.reason)
            : null,
        running
          ? h(
              'div',
              { className: 'jp-MlopsActions' },
              action(CommandIDs.traffic, `Set the traffic weights of ${e.name}…`, lineFormIcon, { endpoint: e.name }),
              action(CommandIDs.rollback, `Roll back ${e.name}…`, undoIcon, { endpoint: e.name }, true),
              action(CommandIDs.stop, `Stop ${e.name}…`, stopIcon, { endpoint: e.name }, true)
            )
          : null
      )
    );
  }
  return list;
}

function reportId(r: ReportRecord): string {
  return String(r.id);
}

/** Monitoring: the latest report of each endpoint, its violations at a glance, open to read. */
export function monitoring(reports: ReportRecord[]): HTMLElement {
  if (!reports.length) {
    return empty('No monitoring report: %mlops monitor E');
  }
  const list = h('ul', { className: 'jp-MlopsList' });
  for (const r of reports) {
    const violations = count(r.violations ?? r['violation_count']);
    const drifted = count(r.drifted ?? r['drifted_features']);
    const when = r.created_at ?? r.time ?? (r['finished'] as string | undefined);
    list.append(
      h(
        'li',
        { className: 'jp-MlopsReport', 'data-report': reportId(r) },
        h(
          'div',
          { className: 'jp-MlopsRow' },
          h('span', { className: 'jp-MlopsReport-target' }, String(r.endpoint ?? r.target ?? r.kind ?? 'report')),
          violations !== null
            ? badge(violations ? `${violations} violation${violations === 1 ? '' : 's'}` : 'no violation', violations ? 'violation' : 'ok')
            : null,
          h('span', { className: 'jp-MlopsMuted', title: String(when ?? '') }, ago(when))
        ),
        drifted ? h('div', { className: 'jp-MlopsMuted' }, `${drifted} drifted feature${drifted === 1 ? '' : 's'}`) : null,
        h(
          'div',
          { className: 'jp-MlopsActions' },
          action(CommandIDs.openReport, `Open report ${reportId(r)}`, launchIcon, { id: reportId(r) })
        )
      )
    );
  }
  return list;
}

function count(value: unknown): number | null {
  if (typeof value === 'number') {
    return value;
  }
  if (Array.isArray(value)) {
    return value.length;
  }
  if (value && typeof value === 'object') {
    return Object.keys(value).length;
  }
  return null;
}

/** The output notebook of a run, when it is a notebook under the server's root. */
export function runNotebook(run: RunRecord): string | null {
  const result = (run.result ?? {}) as Record<string, unknown>;
  for (const candidate of [run.output_notebook, run['output_path'], result['output_notebook'], result['output_path']]) {
    if (typeof candidate === 'string' && candidate.endsWith('.ipynb') && !candidate.startsWith('/')) {
      return candidate;
    }
  }
  return null;
}

/** Jobs: schedules (run now) and the latest runs (open the output notebook). */
export function jobs(schedules: ScheduleRecord[], runs: RunRecord[]): HTMLElement {
  const box = h('div', { className: 'jp-MlopsJobs' });
  box.append(h('h4', { className: 'jp-MlopsSubhead' }, 'Schedules'));
  if (!schedules.length) {
    box.append(empty('No schedule: %mlops schedule / %mlops monitor E --every 1h'));
  } else {
    const list = h('ul', { className: 'jp-MlopsList' });
    for (const s of schedules) {
      list.append(
        h(
          'li',
          { className: 'jp-MlopsSchedule', 'data-schedule': s.id },
          h(
            'div',
            { className: 'jp-MlopsRow' },
            h('span', { className: 'jp-MlopsSchedule-id', title: `${s.kind} on ${s.target}` }, s.id),
            s.enabled ? null : badge('disabled'),
            badge(s.last_status)
          ),
          h('div', { className: 'jp-MlopsMuted' }, `${s.trigger}${s.next_run ? `, next ${s.next_run.slice(0, 16).replace('T', ' ')}` : ''}`),
          h(
            'div',
            { className: 'jp-MlopsActions' },
            action(CommandIDs.runSchedule, `Run ${s.id} now`, runIcon, { id: s.id })
          )
        )
      );
    }
    box.append(list);
  }
  box.append(h('h4', { className: 'jp-MlopsSubhead' }, 'Runs'));
  if (!runs.length) {
    box.append(empty('No run yet.'));
  } else {
    const list = h('ul', { className: 'jp-MlopsList' });
    for (const r of runs) {
      const path = runNotebook(r);
      list.append(
        h(
          'li',
          { className: 'jp-MlopsRun', 'data-run': String(r.id) },
          h(
            'div',
            { className: 'jp-MlopsRow' },
            h('span', { title: r.schedule ?? '' }, `#${r.id} ${r.kind} ${r.target}`),
            badge(r.status),
            h('span', { className: 'jp-MlopsMuted', title: r.started }, ago(r.started))
          ),
          r.error ? h('div', { className: 'jp-MlopsError', title: r.error }, r.error) : null,
          path
            ? h(
                'div',
                { className: 'jp-MlopsActions' },
                action(CommandIDs.openRunNotebook, `Open the output notebook ${path}`, notebookIcon, { path })
              )
            : null
        )
      );
    }
    box.append(list);
  }
  return box;
}

/** The counts shown on each section's header, so a closed section still says something. */
export function counts(summary: Summary): Record<string, string> {
  const running = summary.endpoints.filter(e => e.status === 'running').length;
  return {
    registry: String(summary.models.length),
    endpoints: `${running}/${summary.endpoints.length}`,
    monitoring: String(summary.reports.length),
    jobs: String(summary.schedules.length)
  };
}
