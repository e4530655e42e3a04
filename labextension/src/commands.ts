/**
 * The MLOps commands: each one a single REST call (so a single Workspace call on the server,
 * audit-logged there), a confirmation first for the destructive ones, a refresh of the sidebar
 * after. Arguments come from the sidebar's buttons; from the palette the user is asked for them.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import type { Widget } from '@lumino/widgets';
import { Dialog, ICommandPalette, InputDialog, Notification, showDialog } from '@jupyterlab/apputils';

import { MlopsClient } from './api';
import { CommandIDs } from './ids';
import { MlopsSidebar } from './sidebar';
import { showHtml } from './viewer';

export const CATEGORY = 'MLOps';

type Args = Record<string, unknown>;

/** `args[key]` if given, else what the user types (null: they cancelled). */
async function ask(args: Args, key: string, label: string, placeholder = ''): Promise<string | null> {
  const given = args[key];
  if (typeof given === 'string' && given) {
    return given;
  }
  const result = await InputDialog.getText({ title: label, placeholder });
  const value = result.button.accept ? result.value?.trim() : '';
  return value ? value : null;
}

/** Ask before a change that cannot simply be undone; true when the user accepted. */
export async function confirm(title: string, body: string, label: string): Promise<boolean> {
  const result = await showDialog({
    title,
    body,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label })]
  });
  return result.button.accept;
}

/** "a=90, b=10" as weights; null if it does not read as that. */
export function parseWeights(text: string): Record<string, number> | null {
  const weights: Record<string, number> = {};
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const match = /^([^=]+)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!match) {
      return null;
    }
    weights[match[1]] = Number(match[2]);
  }
  return Object.keys(weights).length ? weights : null;
}

export function addCommands(
  app: JupyterFrontEnd,
  client: MlopsClient,
  sidebar: MlopsSidebar,
  palette: ICommandPalette | null
): void {
  const { commands, shell } = app;
  const addToMain = (widget: Widget) => shell.add(widget, 'main');

  /** Run `call`, say what happened, refresh the sidebar; an error is one readable line. */
  const act = async (done: string, call: () => Promise<unknown>): Promise<void> => {
    try {
      await call();
    } catch (error) {
      Notification.error(error instanceof Error ? error.message : String(error), { autoClose: 8000 });
      throw error;
    } finally {
      void sidebar.refresh();
    }
    Notification.success(done, { autoClose: 3000 });
  };

  commands.addCommand(CommandIDs.openSidebar, {
    label: 'Open the MLOps Sidebar',
    execute: () => shell.activateById(sidebar.id)
  });
  commands.addCommand(CommandIDs.refresh, {
    label: 'Refresh the MLOps Sidebar',
    execute: () => sidebar.refresh()
  });
  commands.addCommand(CommandIDs.approve, {
    label: 'Approve a Model Version…',
    execute: async args => {
      const ref = await ask(args, 'ref', 'Approve which version?', 'churn:3');
      if (ref) {
        await act(`Approved ${ref}`, () => client.approve(ref));
      }
    }
  });
  commands.addCommand(CommandIDs.reject, {
    label: 'Reject a Model Version…',
    execute: async args => {
      const ref = await ask(args, 'ref', 'Reject which version?', 'churn:3');
      if (ref && (await confirm(`Reject ${ref}?`, `${ref} will be marked Rejected: a policy that requires approval will refuse to promote it.`, 'Reject'))) {
        await act(`Rejected ${ref}`, () => client.reject(ref));
      }
    }
  });
  commands.addCommand(CommandIDs.promote, {
    label: 'Promote a Model Version to an Alias…',
    execute: async args => {
      const ref = await ask(args, 'ref', 'Promote which version?', 'churn:3');
      const alias = ref && (await ask(args, 'alias', `Promote ${ref} to which alias?`, 'production'));
      if (ref && alias) {
        await act(`${ref} is now @${alias}`, () => client.promote(ref, alias));
      }
    }
  });
  commands.addCommand(CommandIDs.archive, {
    label: 'Archive a Model Version…',
    execute: async args => {
      const ref = await ask(args, 'ref', 'Archive which version?', 'churn:1');
      if (ref && (await confirm(`Archive ${ref}?`, `${ref} will be archived: it keeps its history but can no longer be promoted or deployed.`, 'Archive'))) {
        await act(`Archived ${ref}`, () => client.archive(ref));
      }
    }
  });
  commands.addCommand(CommandIDs.openCard, {
    label: 'Open a Model Card…',
    execute: async args => {
      const ref = await ask(args, 'ref', 'Open the card of which version?', 'churn@production');
      if (ref) {
        const html = await client.versionHtml(ref);
        showHtml(`card-${ref}`, `Card ${ref}`, html, addToMain);
      }
    }
  });
  commands.addCommand(CommandIDs.traffic, {
    label: 'Set the Traffic Weights of an Endpoint…',
    execute: async args => {
      const endpoint = await ask(args, 'endpoint', 'Which endpoint?', 'churn-api');
      const text = endpoint && (await ask(args, 'weights', `Weights of ${endpoint}'s variants`, 'v1=90, v2=10'));
      if (endpoint && text) {
        const weights = parseWeights(text);
        if (!weights) {
          throw new Error(`Weights are VARIANT=NUMBER pairs, got "${text}".`);
        }
        await act(`Traffic of ${endpoint} set`, () => client.traffic(endpoint, weights));
      }
    }
  });
  commands.addCommand(CommandIDs.rollback, {
    label: 'Roll Back an Endpoint…',
    execute: async args => {
      const endpoint = await ask(args, 'endpoint', 'Roll back which endpoint?', 'churn-api');
      if (endpoint && (await confirm(`Roll back ${endpoint}?`, `${endpoint} will serve its previous configuration again.`, 'Roll back'))) {
        await act(`Rolled back ${endpoint}`, () => client.rollback(endpoint));
      }
    }
  });
  commands.addCommand(CommandIDs.stop, {
    label: 'Stop an Endpoint…',
    execute: async args => {
      const endpoint = await ask(args, 'endpoint', 'Stop which endpoint?', 'churn-api');
      if (endpoint && (await confirm(`Stop ${endpoint}?`, `${endpoint} will stop serving: its clients get no answer until it is deployed again.`, 'Stop'))) {
        await act(`Stopped ${endpoint}`, () => client.stop(endpoint));
      }
    }
  });
  commands.addCommand(CommandIDs.openReport, {
    label: 'Open a Monitoring Report…',
    execute: async args => {
      const id = await ask(args, 'id', 'Open which report?', 'report id');
      if (id) {
        const html = await client.reportHtml(id);
        showHtml(`report-${id}`, `Report ${id}`, html, addToMain);
      }
    }
  });
  commands.addCommand(CommandIDs.openRunNotebook, {
    label: "Open a Run's Output Notebook…",
    execute: async args => {
      const path = await ask(args, 'path', 'Open which notebook?', 'runs/…/output.ipynb');
      if (path) {
        await commands.execute('docmanager:open', { path, factory: 'Notebook' });
      }
    }
  });
  commands.addCommand(CommandIDs.runSchedule, {
    label: 'Run a Schedule Now…',
    execute: async args => {
      const id = await ask(args, 'id', 'Run which schedule now?', 'monitor-churn-api');
      if (id) {
        await act(`Started ${id}`, () => client.runSchedule(id));
      }
    }
  });

  if (palette) {
    for (const command of Object.values(CommandIDs)) {
      palette.addItem({ command, category: CATEGORY });
    }
  }
}
