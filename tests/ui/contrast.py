"""What the results' theme test measures in the page: the WCAG contrast of every piece of text in
an output, computed from the colours the browser rendered (``getComputedStyle``), each colour
composited (alpha) over the backgrounds painted under it, up to the page's own; and the text
alignment of table cells."""

from __future__ import annotations

# One JavaScript function, run on an output element, returning one row per text-bearing element:
# its text, the selector path a failure message can name, the ratio, its font size and weight.
# Chart text (matplotlib draws glyphs as <use> of a path) is measured from its fill.
MEASURE = r"""
(root) => {
  const parse = (s) => {
    const m = s.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1});
  const background = (el) => {
    const layers = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0) layers.push(c);
    }
    let bg = {r: 255, g: 255, b: 255, a: 1};   // the canvas under everything
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const lum = (c) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const path = (el) => {
    const parts = [];
    for (let n = el; n && n !== root; n = n.parentElement)
      parts.unshift(n.tagName.toLowerCase() + (n.classList.length ? '.' + [...n.classList].join('.') : ''));
    return parts.join(' > ');
  };
  const rows = [];
  for (const el of root.querySelectorAll('*')) {
    if (el.closest('style')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    let text = null, colour = null;
    if (el.tagName.toLowerCase() === 'use' && el.closest('svg')) {
      text = '(chart text)';
      colour = parse(style.fill);
      if (colour) colour.a *= Number(style.fillOpacity || 1);
    } else if (!el.closest('svg')) {
      text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
      colour = parse(style.color);
    }
    if (!text || !colour) continue;
    const bg = background(el);
    rows.push({text: text.slice(0, 40), path: path(el), ratio: ratio(over(colour, bg), bg),
               size: parseFloat(style.fontSize), weight: Number(style.fontWeight) || 400});
  }
  return rows;
}
"""


def text_contrast(locator) -> list[dict]:
    """One row per text-bearing element under ``locator``: text, path, ratio, size (px), weight."""
    return locator.evaluate(MEASURE)


def required_ratio(row: dict) -> float:
    """WCAG AA: 4.5 for normal text, 3.0 for large text (>= 18pt, or >= 14pt bold)."""
    pt = row["size"] * 0.75
    large = pt >= 18 or (pt >= 14 and row["weight"] >= 700)
    return 3.0 if large else 4.5


def alignments(locator, selector: str) -> list[dict]:
    """The computed ``text-align`` of each element matching ``selector`` under ``locator``."""
    return locator.evaluate(
        "(root, sel) => [...root.querySelectorAll(sel)].map((el) => "
        "({text: el.innerText.trim().slice(0, 40), align: getComputedStyle(el).textAlign}))", selector)
