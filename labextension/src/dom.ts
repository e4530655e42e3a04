/** A small DOM builder: the sidebar renders plain elements, no framework, to stay quick. */

export type Child = Node | string | null | undefined | false;

export function h(
  tag: string,
  attrs: Record<string, string | number | boolean | null | undefined> = {},
  ...children: Child[]
): HTMLElement {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (key === 'className') {
      node.className = String(value);
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child);
    }
  }
  return node;
}

/** A number for a narrow column: 3 significant digits at most, "–" for none. */
export function figure(value: unknown, unit = ''): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return '–';
  }
  const abs = Math.abs(value);
  const text =
    abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toPrecision(3).replace(/\.?0+$/, '');
  return text + unit;
}

/** "3 min ago" for an ISO time, the full time in the title. */
export function ago(iso: unknown, now = Date.now()): string {
  if (typeof iso !== 'string' || !iso) {
    return '';
  }
  const then = Date.parse(iso);
  if (Number.isNaN(then)) {
    return iso;
  }
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) {
    return `${seconds}s ago`;
  }
  if (seconds < 3600) {
    return `${Math.round(seconds / 60)} min ago`;
  }
  if (seconds < 86400) {
    return `${Math.round(seconds / 3600)} h ago`;
  }
  return `${Math.round(seconds / 86400)} d ago`;
}
