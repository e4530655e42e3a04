/**
 * The records the REST routes under /jupyter-mlops/api/ answer with, by name.
 *
 * They are the Python results' `to_dict()` and the listings' documented record forms
 * (jupyter_mlops/_core/listings.py); this file names them for the sidebar. Until the server's
 * OpenAPI document is generated into api-types.ts they are written here by the contract; only
 * the fields the sidebar reads are required, the rest of a record passes through untouched.
 */

/** A row of `Workspace.models()`. */
export interface ModelRecord {
  name: string;
  versions: number;
  latest: number | null;
  aliases: string;
  latest_approval: string | null;
  updated_at: string;
  description: string | null;
  [key: string]: unknown;
}

/** A row of `Workspace.versions(name)`; one more number column per logged metric. */
export interface VersionRecord {
  version: number;
  created_at: string;
  created_by: string;
  approval: string;
  aliases: string;
  status: string;
  reproduction: string | null;
  data_sha256: string | null;
  [metric: string]: unknown;
}

/** `ModelVersion.to_dict()`. */
export interface ModelVersionDict {
  name: string;
  version: number;
  ref: string;
  approval: string;
  aliases: string[];
  status: string;
  metrics: Record<string, number>;
  [key: string]: unknown;
}

/** Live figures of an endpoint over about the last minute. */
export interface EndpointMetrics {
  req_per_s?: number | null;
  p50_ms?: number | null;
  p99_ms?: number | null;
  error_rate?: number | null;
  [key: string]: unknown;
}

/** A row of `Workspace.endpoints()`, with its live metrics. */
export interface EndpointRecord {
  name: string;
  status: string;
  url: string | null;
  variants: string;
  req_per_s: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  error_rate: number | null;
  workers?: number;
  reason?: string | null;
  metrics?: EndpointMetrics;
  [key: string]: unknown;
}

/** A row of `Workspace.schedules()`. */
export interface ScheduleRecord {
  id: string;
  kind: string;
  target: string;
  trigger: string;
  next_run: string | null;
  last_run: string | null;
  last_status: string | null;
  enabled: boolean;
  [key: string]: unknown;
}

/** A row of `Workspace.runs()`; `output_notebook` is relative to the server root when inside it. */
export interface RunRecord {
  id: number;
  schedule: string | null;
  kind: string;
  target: string;
  status: string;
  started: string;
  finished: string | null;
  seconds: number | null;
  result: Record<string, unknown> | null;
  error: string | null;
  output_notebook?: string | null;
  [key: string]: unknown;
}

/** A monitoring report's record (the latest ones per endpoint). */
export interface ReportRecord {
  id: string | number;
  endpoint?: string | null;
  target?: string | null;
  kind?: string | null;
  created_at?: string | null;
  time?: string | null;
  violations?: unknown;
  drifted?: unknown;
  [key: string]: unknown;
}

/** A row of `Workspace.audit()`. */
export interface AuditRecord {
  seq: number;
  time: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  hash: string;
}

/** `GET summary`: everything a full render of the sidebar needs, in one call. */
export interface Summary {
  workspace: string;
  models: ModelRecord[];
  endpoints: EndpointRecord[];
  schedules: ScheduleRecord[];
  runs: RunRecord[];
  reports: ReportRecord[];
}

/** The body of every error answer. */
export interface ErrorBody {
  error: { type: string; message: string };
}
