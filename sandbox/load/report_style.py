"""The load report's stylesheet, inlined in the page (no font or file from elsewhere): cards
on a light grey page, verdicts in green and red, and print rules that keep the colours and
never cut a chart in two."""

CSS = """
:root { --bg: #f4f5f7; --card: #fff; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb;
        --ok: #15803d; --ok-bg: #dcfce7; --bad: #b91c1c; --bad-bg: #fee2e2;
        --warn: #b45309; --warn-bg: #fef3c7; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 964px; margin: 0 auto; padding: 16px; }
header.run { display: flex; align-items: center; gap: 18px; padding: 16px 20px;
             border-radius: 8px; background: #111827; color: #f9fafb; margin-bottom: 14px; }
header.run h1 { font-size: 21px; margin: 0; overflow-wrap: anywhere; }
header.run p { margin: 3px 0 0; color: #d1d5db; font-size: 13px; }
header.run p span { white-space: nowrap; }
header.run .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 11px;
                     color: #9ca3af; }
.verdict { font-size: 22px; font-weight: 800; letter-spacing: .06em; padding: 10px 16px;
           border-radius: 6px; background: #4b5563; color: #fff; white-space: nowrap; }
header.pass .verdict { background: #16a34a; }
header.fail .verdict { background: #dc2626; }
header.pass { border-left: 8px solid #16a34a; }
header.fail { border-left: 8px solid #dc2626; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
        padding: 14px 16px; margin-bottom: 14px; }
.card h2 { font-size: 16px; margin: 0 0 8px; display: flex; align-items: center; gap: 8px; }
.stats { margin: 0 0 8px; color: #374151; font-size: 13px; }
.muted { color: var(--muted); }
figure { margin: 10px 0 6px; }
figcaption { font-size: 12px; font-weight: 600; color: #374151; margin-bottom: 2px; }
svg.chart { display: block; width: 100%; max-width: 900px; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; white-space: nowrap; }
.nowrap { white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.broken td { background: #fef2f2; }
tr.broken td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
tr.broken td:nth-child(2) { font-weight: 600; }
.msg { font-weight: normal; color: var(--bad); font-size: 12px; margin-top: 2px; }
table.steps tr.step td:first-child { padding-left: 22px; color: #374151; }
table.steps tr.whole td { font-weight: 600; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 11px;
         font-weight: 700; background: #e5e7eb; color: #374151; }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.delta { font-size: 11px; font-weight: 600; padding: 0 4px; border-radius: 4px; }
.delta.worse { color: var(--bad); background: var(--bad-bg); }
.delta.better { color: var(--ok); background: var(--ok-bg); }
.delta.same { color: var(--muted); }
.chip { display: inline-block; padding: 1px 8px; margin-right: 4px; border-radius: 10px;
        background: #f3f4f6; border: 1px solid var(--line); font-size: 12px; }
.knee { border-left: 4px solid #7c3aed; background: #f5f3ff; padding: 6px 10px;
        margin: 0 0 8px; font-size: 13px; }
.warn { border-left: 4px solid var(--warn); background: var(--warn-bg); padding: 6px 10px;
        margin: 8px 0 0; font-size: 13px; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr));
           gap: 8px; margin: 0; }
dl.facts div { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
dt { color: var(--muted); font-size: 12px; }
dd { margin: 0; font-size: 16px; font-weight: 600; font-variant-numeric: tabular-nums; }
footer { color: var(--muted); font-size: 11px; text-align: center; padding: 4px 0 12px; }
@media print {
  @page { size: A4; margin: 12mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { background: #fff; font-size: 12px; }
  main { max-width: none; padding: 0; }
  .card { border: none; padding: 0; margin-bottom: 10mm; }
  .card, figure, tr, header.run { break-inside: avoid; }
}
"""
