/**
 * The "MLOps" sidebar: the four sections of the server's workspace, first rendered from one
 * `GET summary`, refreshed on a timer while the panel is visible (and the browser tab is), with
 * every button running a command (so the palette and the buttons share one code path).
 */
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import { refreshIcon } from '@jupyterlab/ui-components';

import { MlopsClient } from './api';
import type { Summary, VersionRecord } from './contract';
import { h } from './dom';
import { CommandIDs, SIDEBAR_ID } from './ids';
import * as sections from './sections';

const SECTIONS = [
  { key: 'registry', title: 'Registry' },
  { key: 'endpoints', title: 'Endpoints' },
  { key: 'monitoring', title: 'Monitoring' },
  { key: 'jobs', title: 'Jobs' }
] as const;

type SectionKey = (typeof SECTIONS)[number]['key'];

export interface ISidebarOptions {
  client: MlopsClient;
  commands: CommandRegistry;
  /** Seconds between refreshes while visible (default 5). */
  interval?: number;
}

export class MlopsSidebar extends Widget {
  constructor(options: ISidebarOptions) {
    super();
    this.id = SIDEBAR_ID;
    this.addClass('jp-MlopsSidebar');
    this.title.caption = 'MLOps';
    this.client = options.client;
    this.commands = options.commands;
    this.interval = (options.interval ?? 5) * 1000;
    this.node.dataset.state = 'idle';
    this.buildFrame();
    this.node.addEventListener('click', this);
    this.node.addEventListener('pointerdown', this);
    window.addEventListener('pointerup', this, true); // also a press released outside
    document.addEventListener('visibilitychange', this);
  }

  /** The last summary rendered, if any. */
  get summary(): Summary | null {
    return this.data;
  }

  /**
   * Fetch the summary (and the versions of opened models) and render everything. Concurrent
   * calls share one request; an error leaves the last good render in place under a one-line
   * message.
   */
  refresh(): Promise<void> {
    if (!this.pending) {
      this.pending = this.load().finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  handleEvent(event: Event): void {
    if (event.type === 'pointerdown') {
      this.pressed = true;
    } else if (event.type === 'pointerup' && this.pressed) {
      // a refresh that came while a button was held down is drawn now, after the click
      this.pressed = false;
      if (this.stale) {
        window.setTimeout(() => this.render(), 0);
      }
    } else if (event.type === 'click') {
      this.onClick(event as MouseEvent);
    } else if (event.type === 'visibilitychange') {
      this.schedule();
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.stopTimer();
    document.removeEventListener('visibilitychange', this);
    window.removeEventListener('pointerup', this, true);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
    this.schedule();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.stopTimer();
  }

  protected onBeforeDetach(msg: Message): void {
    this.stopTimer();
    super.onBeforeDetach(msg);
  }

  private buildFrame(): void {
    const refresh = h('button', {
      className: 'jp-MlopsAction jp-MlopsRefresh',
      type: 'button',
      title: 'Refresh',
      'aria-label': 'Refresh',
      'data-command': CommandIDs.refresh,
      'data-args': '{}'
    });
    refresh.append(refreshIcon.element({ tag: 'span', className: 'jp-MlopsAction-icon' }));
    this.workspaceNode = h('div', { className: 'jp-MlopsWorkspace jp-MlopsMuted' });
    this.errorNode = h('div', { className: 'jp-MlopsError jp-MlopsSidebar-error', role: 'alert', hidden: true });
    const header = h(
      'header',
      { className: 'jp-MlopsHeader' },
      h('h2', { className: 'jp-MlopsTitle' }, 'MLOps'),
      refresh
    );
    this.node.append(header, this.workspaceNode, this.errorNode);
    for (const { key, title } of SECTIONS) {
      const count = h('span', { className: 'jp-MlopsCount' });
      const body = h('div', { className: 'jp-MlopsSection-body' });
      const section = h(
        'details',
        { className: 'jp-MlopsSection', 'data-section': key, open: true },
        h('summary', { className: 'jp-MlopsSection-title' }, h('span', {}, title), count),
        body
      );
      this.node.append(section);
      this.bodies.set(key, body);
      this.counts.set(key, count);
    }
  }

  private async load(): Promise<void> {
    if (!this.data) {
      this.node.dataset.state = 'loading';
    }
    try {
      // measured (performance.measure) so that benchmarks/ui.py can split a render's cost
      const started = performance.now();
      const summary = await this.client.summary();
      const opened = [...this.opened].filter(name => summary.models.some(m => m.name === name));
      await Promise.all(opened.map(name => this.loadVersions(name)));
      const fetched = performance.now();
      // an unchanged answer redraws nothing (no flicker, no lost hover or focus)
      const key = JSON.stringify([summary, [...this.versions]]);
      if (key !== this.lastKey) {
        this.lastKey = key;
        this.data = summary;
        this.render();
      }
      performance.measure('jupyter-mlops:fetch', { start: started, end: fetched });
      performance.measure('jupyter-mlops:render', { start: fetched, end: performance.now() });
      // a refresh clears only its own failure: an action's error stays until the next action,
      // or the 5 s timer would wipe it before it is read
      if (this.errorFrom === 'refresh') {
        this.showError(null, 'refresh');
      }
      this.node.dataset.state = 'loaded';
    } catch (error) {
      this.showError(error, 'refresh');
      if (!this.data) {
        this.node.dataset.state = 'error';
      }
    }
  }

  private async loadVersions(name: string): Promise<void> {
    try {
      this.versions.set(name, (await this.client.versions(name)).versions);
    } catch (error) {
      this.versions.set(name, error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Render every section from the data at hand; <details> keep their open/closed state. */
  private render(): void {
    const data = this.data;
    if (!data) {
      return;
    }
    if (this.pressed) {
      // never replace the button under a press: the click would land on a detached node
      this.stale = true;
      return;
    }
    this.stale = false;
    // marks keep the path's slashes in place inside the right-to-left box that ellipsizes its start
    this.workspaceNode.textContent = `\u200e${data.workspace}\u200e`;
    this.workspaceNode.title = `Workspace: ${data.workspace}`;
    const counts = sections.counts(data);
    const bodies: Record<SectionKey, HTMLElement> = {
      registry: sections.registry(data.models, this.opened, this.versions),
      endpoints: sections.endpoints(data.endpoints),
      monitoring: sections.monitoring(data.reports),
      jobs: sections.jobs(data.schedules, data.runs)
    };
    for (const { key } of SECTIONS) {
      this.bodies.get(key)!.replaceChildren(bodies[key]);
      this.counts.get(key)!.textContent = counts[key];
    }
    this.renders += 1;
    this.node.dataset.renders = String(this.renders);
  }

  private onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const toggle = target.closest<HTMLElement>('[data-toggle-model]');
    if (toggle) {
      void this.toggleModel(toggle.dataset.toggleModel!);
      return;
    }
    const button = target.closest<HTMLElement>('[data-command]');
    if (button && this.node.contains(button)) {
      const args = JSON.parse(button.dataset.args ?? '{}');
      this.showError(null, 'action');
      this.commands.execute(button.dataset.command!, args).catch(error => this.showError(error, 'action'));
    }
  }

  private async toggleModel(name: string): Promise<void> {
    if (this.opened.has(name)) {
      this.opened.delete(name);
      this.render();
      return;
    }
    this.opened.add(name);
    this.render();
    await this.loadVersions(name);
    this.render();
  }

  private showError(error: unknown, from: 'refresh' | 'action'): void {
    if (error === null) {
      this.errorNode.hidden = true;
      this.errorNode.textContent = '';
      this.errorFrom = null;
      return;
    }
    this.errorFrom = from;
    this.errorNode.hidden = false;
    this.errorNode.textContent = error instanceof Error ? error.message : String(error);
  }

  /** Poll only while the panel and the browser tab are both visible. */
  private schedule(): void {
    this.stopTimer();
    if (this.isVisible && document.visibilityState !== 'hidden' && this.interval > 0) {
      this.timer = window.setInterval(() => void this.refresh(), this.interval);
    }
  }

  private stopTimer(): void {
    if (this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
  }

  private readonly client: MlopsClient;
  private readonly commands: CommandRegistry;
  private readonly interval: number;
  private data: Summary | null = null;
  private pending: Promise<void> | null = null;
  private timer: number | null = null;
  private renders = 0;
  private lastKey = '';
  private pressed = false;
  private stale = false;
  private readonly opened = new Set<string>();
  private readonly versions = new Map<string, VersionRecord[] | Error>();
  private readonly bodies = new Map<SectionKey, HTMLElement>();
  private readonly counts = new Map<SectionKey, HTMLElement>();
  private workspaceNode!: HTMLElement;
  private errorNode!: HTMLElement;
  private errorFrom: 'refresh' | 'action' | null = null;
}
