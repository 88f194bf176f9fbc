/**
 * @module The embedded default's small web page: recent traces and their summaries, read from the
 * query API by the browser. No build step, no external assets.
 */

/** The HTML of `GET /`. */
export const indexPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>a2a-trace-collector</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd;font-variant-numeric:tabular-nums}
tr.error td:first-child{border-left:3px solid #c33}
pre{background:#f6f6f6;padding:1rem;overflow:auto}
pre:empty{display:none}
a{color:#0645ad;cursor:pointer}
</style>
</head>
<body>
<h1>a2a-trace-collector</h1>
<p>Recent traces (newest first). API: <code>/api/traces</code>, <code>/api/traces/{id}</code>, <code>/metrics</code>.</p>
<table><thead><tr><th>received</th><th>root</th><th>service</th><th>steps</th><th>errors</th><th>cost</th><th>tokens</th><th>duration ms</th><th>bottleneck</th></tr></thead>
<tbody id="traces"></tbody></table>
<pre id="detail"></pre>
<script>
const cell = (text) => { const td = document.createElement('td'); td.textContent = text; return td; };
async function load() {
  const { traces } = await (await fetch('/api/traces?limit=100')).json();
  const body = document.getElementById('traces');
  body.replaceChildren(...traces.map((t) => {
    const tr = document.createElement('tr');
    if (t.summary.errorCount > 0) tr.className = 'error';
    const link = document.createElement('a');
    link.textContent = t.rootName ?? t.traceId;
    link.onclick = async () => {
      const detail = await (await fetch('/api/traces/' + t.traceId)).json();
      document.getElementById('detail').textContent = JSON.stringify(detail, null, 2);
    };
    const root = cell(''); root.appendChild(link);
    tr.append(cell(t.receivedAt), root, cell(t.rootService ?? ''), cell(t.summary.stepCount), cell(t.summary.errorCount),
      cell(t.summary.totalCost), cell(t.summary.totalTokens), cell(t.summary.durationMs.toFixed(1)),
      cell(t.summary.bottleneck ? t.summary.bottleneck.name + ' (' + t.summary.bottleneck.selfTimeMs.toFixed(1) + ' ms)' : ''));
    return tr;
  }));
}
load();
setInterval(load, 5000);
</script>
</body>
</html>
`;
