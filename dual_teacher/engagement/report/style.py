"""The report page's style sheet: one printable page, no web fonts, no script."""

CSS = """
body{font-family:"Noto Sans","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:2em;color:#222;max-width:980px}
h1{font-size:1.6em;margin-bottom:.2em} .meta{color:#555} table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}
th,td{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top} th{background:#f4f4f4}
.timeline{width:100%;height:auto} .seg{font-size:11px;fill:#fff} .tick{font-size:11px;fill:#444}
.bar{display:flex;align-items:center;gap:.4em;font-size:.9em} .bar .k{width:3.5em;flex:none}
.bar .fill{display:inline-block;height:.8em;background:#bbb;min-width:2px} .bar.correct .fill{background:#59a14f}
.note{background:#fff7e0;border-left:4px solid #f2b01e;padding:.5em .8em} .summary{font-size:1.1em}
.plot{width:100%;height:auto} .axis{font-size:11px;fill:#444} .plabel{font-size:12px;fill:#222;font-weight:bold}
.score{font-size:1.3em} td.num{text-align:right;white-space:nowrap} small.f{color:#666}
@media print{body{margin:1cm} .noprint{display:none} h2{break-after:avoid} svg,table{break-inside:avoid}}
"""
