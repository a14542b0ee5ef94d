"""The inline stylesheet and script of the HTML report (fixed text: nothing from a review)."""

from __future__ import annotations

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1f2328}
h1{font-size:1.6em}h3{font-size:1em;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}figure{margin:0}
figcaption{font-weight:600;margin-bottom:.3em}svg text{font-size:12px;fill:#1f2328}
table{border-collapse:collapse;width:100%}
#findings th{cursor:pointer;text-align:left;border-bottom:2px solid #d0d7de;padding:.3em}
#findings th:after{content:" \\2195";color:#8c959f}
#findings td{border-bottom:1px solid #d8dee4;padding:.3em;vertical-align:top}
.sev{display:inline-block;border-radius:1em;padding:0 .6em;color:#fff;font-size:.85em}
.critical{background:#8b0000}.error{background:#d1242f}.warning{background:#bf8700}
.info{background:#0969da}
article{border:1px solid #d0d7de;border-radius:6px;padding:.2em 1em;margin:1em 0}
.code{font:12px/1.4 ui-monospace,monospace;background:#f6f8fa;margin:.5em 0}
.code td{padding:0 .6em;white-space:pre-wrap}.code td:first-child{color:#8c959f;text-align:right}
.code tr.hit{background:#fff8c5}.code tr.hit td:first-child{color:#1f2328;font-weight:600}
.note{color:#57606a;font-style:italic}pre{background:#f6f8fa;padding:.5em;overflow:auto}
footer{margin-top:3em;color:#8c959f}
"""

# Sorts the findings table by the clicked column; numbers by their data-sort value.
SCRIPT = """
document.querySelectorAll('#findings th').forEach(function (th, col) {
  var asc = false;
  th.addEventListener('click', function () {
    var body = document.querySelector('#findings tbody');
    var rows = Array.prototype.slice.call(body.rows);
    var num = th.dataset.kind === 'num';
    asc = !asc;
    rows.sort(function (a, b) {
      var x = a.cells[col], y = b.cells[col];
      if (!x || !y) return 0;
      var p = num ? Number(x.dataset.sort) : x.textContent;
      var q = num ? Number(y.dataset.sort) : y.textContent;
      var r = num ? p - q : p.localeCompare(q);
      return asc ? r : -r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""
