/**
 * A version's card or a monitoring report in a main-area tab. The server's standalone HTML is
 * fetched through the authenticated client and shown in a sandboxed iframe that runs no script;
 * JupyterLab's theme variables and its body's `data-jp-theme-light` are copied into it so that it
 * follows the light or dark theme.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

/** The `--jp-*` custom properties in force on the page, as a `:root {…}` rule. */
export function themeRule(): string {
  const style = getComputedStyle(document.body);
  const names = new Set<string>();
  for (let i = 0; i < style.length; i++) {
    if (style[i].startsWith('--jp-')) {
      names.add(style[i]);
    }
  }
  if (!names.size) {
    // a browser that does not list custom properties: walk the stylesheets' rules instead
    for (const sheet of Array.from(document.styleSheets)) {
      let rules: CSSRuleList;
      try {
        rules = sheet.cssRules;
      } catch {
        continue; // another origin's stylesheet
      }
      for (const rule of Array.from(rules)) {
        const declared = (rule as CSSStyleRule).style;
        for (let i = 0; declared && i < declared.length; i++) {
          if (declared[i].startsWith('--jp-')) {
            names.add(declared[i]);
          }
        }
      }
    }
  }
  const body = [...names].map(name => `${name}: ${style.getPropertyValue(name)};`).join('\n');
  return `:root {\n${body}\n}\nhtml, body { background: var(--jp-layout-color0); color: var(--jp-ui-font-color1);` +
    ' font-family: var(--jp-ui-font-family); margin: 0; padding: 8px 12px; }';
}

class HtmlView extends Widget {
  constructor(html: string) {
    super();
    this.addClass('jp-MlopsHtmlView');
    this.frame = document.createElement('iframe');
    // same origin so the theme can be written into it; no allow-scripts, so nothing in it runs
    this.frame.setAttribute('sandbox', 'allow-same-origin allow-popups');
    this.frame.srcdoc = html;
    this.frame.addEventListener('load', () => this.applyTheme());
    this.node.append(this.frame);
  }

  setHtml(html: string): void {
    this.frame.srcdoc = html;
  }

  /** Write the page's current theme variables into the frame (also on a theme change). */
  applyTheme(): void {
    const doc = this.frame.contentDocument;
    if (!doc?.head) {
      return;
    }
    let style = doc.getElementById('jp-mlops-theme');
    if (!style) {
      style = doc.createElement('style');
      style.id = 'jp-mlops-theme';
      doc.head.prepend(style);
    }
    style.textContent = themeRule();
    // the result kit picks its dark palette from this attribute, as in a notebook's outputs
    const light = document.body.dataset.jpThemeLight;
    if (doc.body && light !== undefined) {
      doc.body.dataset.jpThemeLight = light;
    }
  }

  private readonly frame: HTMLIFrameElement;
}

/** The open tabs by key, so a second open activates the tab instead of adding one. */
const open = new Map<string, MainAreaWidget<HtmlView>>();

/**
 * Show `html` in a main-area tab titled `title`; `key` identifies the tab (a ref, a report id).
 */
export function showHtml(
  key: string,
  title: string,
  html: string,
  add: (widget: MainAreaWidget) => void
): MainAreaWidget {
  const existing = open.get(key);
  if (existing && !existing.isDisposed) {
    existing.content.setHtml(html);
    return existing;
  }
  const widget = new MainAreaWidget({ content: new HtmlView(html) });
  widget.id = `jp-mlops-html-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  widget.addClass('jp-MlopsHtmlPanel');
  widget.title.label = title;
  widget.title.caption = title;
  widget.title.closable = true;
  widget.disposed.connect(() => open.delete(key));
  open.set(key, widget);
  add(widget);
  return widget;
}

/** Re-theme every open tab (called when the user switches between light and dark). */
export function retheme(): void {
  for (const widget of open.values()) {
    widget.content.applyTheme();
  }
}
