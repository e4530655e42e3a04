/**
 * A typed client of the jupyter_mlops REST routes. Requests go through ServerConnection, which
 * adds Jupyter's token or cookie and the XSRF header a POST needs.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  AuditRecord,
  EndpointRecord,
  ErrorBody,
  ModelVersionDict,
  ReportRecord,
  RunRecord,
  Summary,
  VersionRecord
} from './contract';

/** A refused or failed call, with the server's one readable line as its message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string
  ) {
    super(message);
  }
}

/** A path segment: a ref such as `churn@production` or a name, URL-encoded. */
const seg = encodeURIComponent;

export class MlopsClient {
  constructor(
    private readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** The absolute URL of a route, for links and iframes. */
  url(route: string): string {
    return URLExt.join(this.settings.baseUrl, 'jupyter-mlops', 'api', route);
  }

  summary(): Promise<Summary> {
    return this.get('summary');
  }
  versions(model: string): Promise<{ versions: VersionRecord[] }> {
    return this.get(`models/${seg(model)}/versions`);
  }
  version(ref: string): Promise<ModelVersionDict> {
    return this.get(`versions/${seg(ref)}`);
  }
  versionHtml(ref: string): Promise<string> {
    return this.text(`versions/${seg(ref)}/html`);
  }
  approve(ref: string, comment?: string): Promise<ModelVersionDict> {
    return this.post(`versions/${seg(ref)}/approve`, comment ? { comment } : {});
  }
  reject(ref: string, comment?: string): Promise<ModelVersionDict> {
    return this.post(`versions/${seg(ref)}/reject`, comment ? { comment } : {});
  }
  promote(ref: string, alias: string): Promise<ModelVersionDict> {
    return this.post(`versions/${seg(ref)}/promote`, { alias });
  }
  archive(ref: string): Promise<ModelVersionDict> {
    return this.post(`versions/${seg(ref)}/archive`, {});
  }
  endpoints(): Promise<{ endpoints: EndpointRecord[] }> {
    return this.get('endpoints');
  }
  traffic(endpoint: string, weights: Record<string, number>): Promise<EndpointRecord> {
    return this.post(`endpoints/${seg(endpoint)}/traffic`, { weights });
  }
  rollback(endpoint: string): Promise<EndpointRecord> {
    return this.post(`endpoints/${seg(endpoint)}/rollback`, {});
  }
  stop(endpoint: string): Promise<unknown> {
    return this.post(`endpoints/${seg(endpoint)}/stop`, {});
  }
  reports(endpoint?: string, limit = 20): Promise<{ reports: ReportRecord[] }> {
    const query = URLExt.objectToQueryString(endpoint ? { endpoint, limit } : { limit });
    return this.get(`reports${query}`);
  }
  reportHtml(id: string): Promise<string> {
    return this.text(`reports/${seg(id)}/html`);
  }
  runs(limit = 20): Promise<{ runs: RunRecord[] }> {
    return this.get(`runs${URLExt.objectToQueryString({ limit })}`);
  }
  runSchedule(id: string): Promise<{ run: unknown }> {
    return this.post(`schedules/${seg(id)}/run`, {});
  }
  audit(model?: string, limit = 20): Promise<{ entries: AuditRecord[] }> {
    const query = URLExt.objectToQueryString(model ? { model, limit } : { limit });
    return this.get(`audit${query}`);
  }

  private async get<T>(route: string): Promise<T> {
    return (await this.request(route, { method: 'GET' })).json();
  }
  private async text(route: string): Promise<string> {
    return (await this.request(route, { method: 'GET' })).text();
  }
  private async post<T>(route: string, body: object): Promise<T> {
    const response = await this.request(route, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' }
    });
    return response.status === 204 ? (undefined as T) : response.json();
  }

  private async request(route: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(this.url(route), init, this.settings);
    } catch (error) {
      throw new ApiError(0, 'NetworkError', `The Jupyter server did not answer: ${String(error)}`);
    }
    if (!response.ok) {
      throw await errorOf(response);
    }
    return response;
  }
}

/** The server's error body as an ApiError; a body that is not ours still gives one line. */
async function errorOf(response: Response): Promise<ApiError> {
  let body: Partial<ErrorBody> = {};
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy's page or an empty body
  }
  const error = body.error;
  if (error && typeof error.message === 'string') {
    return new ApiError(response.status, error.type ?? 'Error', error.message);
  }
  const reason =
    response.status === 404
      ? 'the MLOps server extension is not enabled on this Jupyter server'
      : response.statusText || 'request failed';
  return new ApiError(response.status, 'HttpError', `${response.status}: ${reason}`);
}
