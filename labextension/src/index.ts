/**
 * jupyter-mlops: the JupyterLab "MLOps" sidebar over the jupyter_mlops server extension's REST
 * routes (/jupyter-mlops/api/), for the workspace of the server's root folder.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IThemeManager } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';

import { MlopsClient } from './api';
import { addCommands } from './commands';
import { MlopsSidebar } from './sidebar';
import { retheme } from './viewer';

/** A small "pipeline" glyph for the sidebar's tab, drawn with the theme's icon colour. */
const mlopsIcon = new LabIcon({
  name: 'jupyter-mlops:sidebar',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<circle cx="5" cy="6" r="3"/><circle cx="19" cy="6" r="3"/><circle cx="12" cy="18" r="3"/>' +
    '<rect x="7" y="5" width="10" height="2"/>' +
    '<rect x="4" y="8" width="2" height="6" transform="rotate(-30 5 11)"/>' +
    '<rect x="18" y="8" width="2" height="6" transform="rotate(30 19 11)"/>' +
    '</g></svg>'
});

const plugin: JupyterFrontEndPlugin<MlopsSidebar> = {
  id: 'jupyter-mlops:sidebar',
  description: 'The MLOps sidebar: registry, endpoints, monitoring and jobs of the server workspace.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    themes: IThemeManager | null
  ): MlopsSidebar => {
    const client = new MlopsClient(app.serviceManager.serverSettings);
    const sidebar = new MlopsSidebar({ client, commands: app.commands });
    sidebar.title.icon = mlopsIcon;
    app.shell.add(sidebar, 'left', { rank: 850 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }
    addCommands(app, client, sidebar, palette);
    themes?.themeChanged.connect(() => retheme());
    return sidebar;
  }
};

export default plugin;
