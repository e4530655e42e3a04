/**
 * The records the REST routes under /jupyter-mlops/api/ answer with, by name: the schemas of the
 * server's OpenAPI document (jupyter_mlops/server/openapi.json), generated into api-types.ts by
 * `jlpm api-types` (openapi-typescript). They are the Python results' `to_dict()` and the
 * listings' documented record forms (jupyter_mlops/_core/listings.py).
 */
import type { components, paths } from './api-types';

type Schemas = components['schemas'];

/** A row of `Workspace.models()`. */
export type ModelRecord = Schemas['ModelRecord'];
/** A row of `Workspace.versions(name)`; one more number column per logged metric. */
export type VersionRecord = Schemas['VersionRecord'];
/** `ModelVersion.to_dict()`. */
export type ModelVersionDict = Schemas['ModelVersion'];
/** A row of `Workspace.endpoints()` with its live `metrics`. */
export type EndpointRecord = Schemas['EndpointRecord'];
/** A row of `Workspace.schedules()`. */
export type ScheduleRecord = Schemas['ScheduleRecord'];
/** A row of `Workspace.runs()`; `output_notebook` is relative to the server root when inside it. */
export type RunRecord = Schemas['RunRecord'];
/** A monitoring report's record (the latest ones first). */
export type ReportRecord = Schemas['ReportRecord'];
/** A row of `Workspace.audit()`. */
export type AuditRecord = Schemas['AuditEntry'];
/** `GET summary`: everything a full render of the sidebar needs, in one call. */
export type Summary = Schemas['Summary'];
/** A run started by `POST schedules/{id}/run` (answered 202). */
export type ScheduledRun = Schemas['ScheduledRun'];
/** The body of every error answer. */
export type ErrorBody = Schemas['Error'];

/** The JSON a route answers with (status 200), straight from the OpenAPI document. */
export type Answer<P extends keyof paths, M extends 'get' | 'post'> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer T } } };
}
  ? T
  : never;
