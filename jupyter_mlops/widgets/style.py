"""The panel's stylesheet, sent once in the panel's first child (the HTML results it shows carry
the result kit's own, ``_core/html.py``). Colours are JupyterLab theme variables with fallbacks."""

from __future__ import annotations

from .._core.html import CSS as RESULT_CSS

PANEL_CSS = """
.mlops-panel{max-width:1100px}
.mlops-panel .widget-html,.mlops-panel .widget-html-content{max-width:100%;min-width:0}
.mlops-panel .widget-html-content>.mlops{overflow-x:auto}
.mlops-panel .mlops-panel-line{font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;padding:3px 8px;
  border-radius:4px;margin:2px 0}
.mlops-panel .mlops-panel-error{color:var(--jp-error-color1,#cf222e);background:rgba(207,34,46,.08)}
.mlops-panel .mlops-panel-ok{color:var(--jp-success-color1,#1a7f37)}
.mlops-panel .mlops-panel-busy{color:var(--jp-ui-font-color2,#59636e)}
.mlops-panel .mlops-panel-row{flex-wrap:wrap;gap:4px;align-items:center;margin:2px 0}
.mlops-panel .mlops-panel-header{font-family:var(--jp-ui-font-family,sans-serif);font-size:12px;
  color:var(--jp-ui-font-color2,#59636e)}
.mlops-panel .mlops-chart.mlops-live-charts{border:none;border-radius:0;padding:0;background:transparent}
.mlops-spark-row{display:flex;flex-wrap:wrap;gap:8px;margin:4px 0}
.mlops-panel .mlops-chart.mlops-spark{border:1px solid var(--jp-border-color2,#eef1f4);border-radius:6px;
  padding:4px 6px;background:var(--jp-layout-color1,#fff)}
.mlops-panel .mlops-spark svg{display:block;width:180px;height:40px}
.mlops-spark-head{display:flex;justify-content:space-between;gap:12px;font-size:11px;
  color:var(--jp-ui-font-color2,#59636e)}
.mlops-spark-head b{color:var(--jp-ui-font-color1,#1f2328);font-variant-numeric:tabular-nums}
"""


def stylesheet() -> str:
    return f"<style>{RESULT_CSS}{PANEL_CSS}</style>"
