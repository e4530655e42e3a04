/** The command ids of the sidebar; every button runs one of them, so do the palette and menus. */
export const CommandIDs = {
  openSidebar: 'mlops:open-sidebar',
  refresh: 'mlops:refresh',
  approve: 'mlops:approve',
  reject: 'mlops:reject',
  promote: 'mlops:promote',
  archive: 'mlops:archive',
  openCard: 'mlops:open-card',
  traffic: 'mlops:set-traffic',
  rollback: 'mlops:rollback',
  stop: 'mlops:stop-endpoint',
  openReport: 'mlops:open-report',
  openRunNotebook: 'mlops:open-run-notebook',
  runSchedule: 'mlops:run-schedule'
} as const;

export const SIDEBAR_ID = 'jupyter-mlops-sidebar';
