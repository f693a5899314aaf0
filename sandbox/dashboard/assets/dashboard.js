"use strict";
// The dashboard: polls the server's JSON panels and draws them. Every panel answers
// {ok: true, data} or {ok: false, error, detail, fix}; a failed panel shows why.
(function () {
  const POLL_MS = 5000;
  const RED_POLL_MS = 15000;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#2563eb", "#7c3aed", "#0d9488", "#ea580c", "#db2777", "#4d7c0f",
                   "#0891b2", "#9333ea", "#ca8a04", "#475569"];
  const loaded = new Set();
  let selectedTrace = null;

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function s(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function duration(us) {
    if (us < 1000) return `${Math.round(us)} us`;
    if (us < 1e6) return `${(us / 1000).toFixed(1)} ms`;
    return `${(us / 1e6).toFixed(2)} s`;
  }

  function clip(text, most) {
    return text.length <= most ? text : `${text.slice(0, Math.max(most - 1, 1))}\u2026`;
  }

  function clock(seconds) {
    return new Date(seconds * 1000).toLocaleTimeString([], {hour12: false});
  }

  function badge(text, kind) {
    return h("span", {class: `badge ${kind || ""}`}, text);
  }

  function body(panel) {
    return document.querySelector(`#panel-${panel} .body`);
  }

  function show(panel, ...content) {
    body(panel).replaceChildren(...content);
    loaded.add(panel);
    document.body.dataset.loaded = [...loaded].sort().join(" ");
  }

  function unavailable(answer) {
    return h("div", {class: "unavailable", "data-error": answer.error},
      h("strong", {}, answer.error),
      answer.detail ? h("div", {}, answer.detail) : null,
      answer.fix ? h("div", {}, `fix: ${answer.fix}`) : null);
  }

  async function get(path) {
    try {
      const response = await fetch(path, {cache: "no-store"});
      if (!response.ok) {
        return {ok: false, error: `dashboard server answered ${response.status}`,
                detail: path, fix: ""};
      }
      return await response.json();
    } catch (err) {
      return {ok: false, error: "dashboard server unreachable",
              detail: String(err), fix: "is `sandbox dashboard` still running?"};
    }
  }

  // --- panels -------------------------------------------------------------------------

  function drawOverview(answer) {
    if (!answer.ok) {
      document.getElementById("run").textContent = answer.error;
      return;
    }
    const d = answer.data;
    document.getElementById("run").textContent =
      d.run_id ? `run ${d.run_id} (env ${d.env})` : "";
    const nav = document.getElementById("consoles");
    nav.replaceChildren(...Object.entries(d.consoles || {}).map(
      ([title, url]) => h("a", {href: url, target: "_blank", rel: "noopener"}, title)));
  }

  function healthBadge(row) {
    if (row.state !== "running") return badge(row.state, "bad");
    if (row.health === "healthy") return badge("healthy", "ok");
    if (row.health === "-") return badge("running", "ok");
    return badge(row.health, row.health === "starting" ? "warn" : "bad");
  }

  function drawServices(answer) {
    if (!answer.ok) return show("services", unavailable(answer));
    const rows = answer.data;
    const healthy = rows.filter(r => r.state === "running" &&
                                     (r.health === "healthy" || r.health === "-")).length;
    show("services",
      h("p", {class: "muted"}, `${healthy} of ${rows.length} running and healthy`),
      h("table", {},
        h("tr", {}, h("th", {}, "service"), h("th", {}, "health"), h("th", {}, "url")),
        rows.map(r => h("tr", {"data-service": r.service},
          h("td", {}, r.service), h("td", {}, healthBadge(r)),
          h("td", {}, r.url ? h("code", {}, r.url) : "")))));
  }

  function drawAlerts(answer) {
    if (!answer.ok) return show("alerts", unavailable(answer));
    const {alerts, unreadable} = answer.data;
    const list = alerts.length === 0
      ? h("p", {class: "muted"}, "no alert pending or firing")
      : h("table", {},
          h("tr", {}, h("th", {}, "alert"), h("th", {}, "state"), h("th", {}, "since"),
            h("th", {}, "summary")),
          alerts.map(a => h("tr", {"data-alert": a.name},
            h("td", {}, h("strong", {}, a.name), " ",
              a.severity ? badge(a.severity, a.severity === "critical" ? "bad" : "warn") : null),
            h("td", {}, badge(a.state, a.state === "pending" ? "warn" : "bad"),
              a.alertmanager ? badge("notified") : null),
            h("td", {}, a.since ? String(a.since).replace("T", " ").slice(0, 19) : ""),
            h("td", {title: JSON.stringify(a.labels)}, a.summary))));
    show("alerts", list,
      (unreadable || []).map(u => h("div", {class: "note", "data-error": u.error},
        `${u.error}: ${u.detail}`)));
  }

  function drawLinks(answer) {
    if (!answer.ok) return show("links", unavailable(answer));
    const links = answer.data;
    const faults = links.reduce((n, l) => n + l.faults.length, 0);
    show("links",
      h("p", {class: "muted"}, `${links.length} links, ${faults} active fault` +
        (faults === 1 ? "" : "s")),
      h("table", {},
        h("tr", {}, h("th", {}, "link"), h("th", {}, "upstream"), h("th", {}, "faults")),
        links.map(l => h("tr", {"data-link": l.name},
          h("td", {}, l.name), h("td", {}, h("code", {}, l.upstream)),
          h("td", {}, l.faults.length === 0 ? badge("none", "ok") : l.faults.map(f =>
            badge([f.kind, f.stream !== "both" ? f.stream : "",
                   ...Object.entries(f.attributes).map(([k, v]) => `${k}=${v}`)]
                  .filter(Boolean).join(" "), "bad")))))));
  }

  function chart(title, series, start, end, format) {
    const W = 220, H = 70, PAD = 2;
    let max = 0;
    for (const one of series) {
      for (const [, v] of one.points) if (v !== null && v > max) max = v;
    }
    const top = max > 0 ? max * 1.1 : 1;
    const x = t => PAD + (t - start) / Math.max(end - start, 1) * (W - 2 * PAD);
    const y = v => H - PAD - v / top * (H - 2 * PAD);
    const paths = series.map(one => {
      let d = "", pen = false;
      for (const [t, v] of one.points) {
        if (v === null) { pen = false; continue; }
        d += `${pen ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
        pen = true;
      }
      return s("path", {d, fill: "none", stroke: one.colour, "stroke-width": 1.5});
    });
    const lasts = series.map(one => {
      const seen = one.points.filter(p => p[1] !== null);
      return seen.length ? `${one.label}${format(seen[seen.length - 1][1])}` : `${one.label}-`;
    });
    return h("div", {class: "chart"},
      h("div", {class: "title"}, title, " ", h("span", {class: "last"}, lasts.join(" "))),
      s("svg", {viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title},
        s("rect", {x: 0, y: 0, width: W, height: H, fill: "#f9fafb", stroke: "#e5e7eb"}),
        s("text", {x: W - 4, y: 11, "text-anchor": "end", fill: "#9ca3af",
                   "font-size": 9}, max > 0 ? format(max) : ""),
        paths));
  }

  function drawRed(answer) {
    if (!answer.ok) return show("red", unavailable(answer));
    const d = answer.data;
    const names = Object.keys(d.services);
    if (names.length === 0) {
      return show("red", h("p", {class: "muted"},
        "no http_request_duration_seconds series in the last 15 minutes"));
    }
    const rate = v => `${v.toFixed(v < 10 ? 2 : 0)}/s`;
    const pct = v => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
    const ms = v => `${(v * 1000).toFixed(v < 0.01 ? 1 : 0)}ms`;
    show("red", h("div", {class: "red-grid"}, names.map(name => {
      const m = d.services[name];
      return h("div", {class: "red-card", "data-service": name},
        h("h3", {}, name),
        h("div", {class: "charts"},
          chart("requests", [{points: m.rate, colour: "#2563eb", label: ""}],
                d.start, d.end, rate),
          chart("5xx", [{points: m.errors, colour: "#dc2626", label: ""}],
                d.start, d.end, pct),
          chart("latency", [{points: m.p50, colour: "#0d9488", label: "p50 "},
                            {points: m.p99, colour: "#ea580c", label: " p99 "}],
                d.start, d.end, ms)));
    })));
  }

  function drawTraces(answer) {
    if (!answer.ok) return show("traces", unavailable(answer));
    const {traces} = answer.data;
    if (traces.length === 0) {
      return show("traces", h("p", {class: "muted"}, "no trace in the last 15 minutes"));
    }
    show("traces", h("table", {},
      h("tr", {}, h("th", {}, "time"), h("th", {}, "root span"), h("th", {}, "duration"),
        h("th", {}, "spans"), h("th", {}, "services")),
      traces.map(t => h("tr", {
          class: `trace${t.trace_id === selectedTrace ? " selected" : ""}`,
          "data-trace": t.trace_id, title: t.trace_id,
          onclick: () => openTrace(t.trace_id)},
        h("td", {}, clock(t.start_us / 1e6)),
        h("td", {}, `${t.service} ${t.name}`),
        h("td", {}, duration(t.duration_us)),
        h("td", {}, String(t.spans), " ", t.errors ? badge(`${t.errors} error`, "bad") : null),
        h("td", {}, t.services.join(", "))))));
  }

  function waterfall(d) {
    const ROW = 22, LABEL = 360, BAR = 600, RIGHT = 230, W = LABEL + BAR + RIGHT;
    const total = Math.max(d.duration_us, 1);
    const hue = {};  // one colour per service of this trace, in order of appearance
    for (const r of d.rows) {
      if (!(r.service in hue)) hue[r.service] = PALETTE[Object.keys(hue).length % PALETTE.length];
    }
    const colour = name => hue[name];
    const rows = d.rows.map((r, i) => {
      const y = i * ROW + 4;
      const x = LABEL + r.offset_us / total * BAR;
      const width = Math.max(r.duration_us / total * BAR, 2);
      const fill = r.error ? "#dc2626" : colour(r.service);
      const label = `${r.service} ${r.name}`;
      const tip = `${label} (${duration(r.duration_us)}) ${r.kind}` +
        (r.error ? ` ERROR ${r.status_message}` : "") +
        Object.entries(r.attrs).map(([k, v]) => `\n${k}=${v}`).join("");
      return s("g", {"data-span": r.span_id, class: r.error ? "error" : ""},
        s("title", {}, tip),
        i % 2 ? s("rect", {x: 0, y: y - 3, width: W, height: ROW, fill: "#f9fafb"}) : null,
        s("circle", {cx: 8 + r.depth * 14, cy: y + 8, r: 4, fill: colour(r.service)}),
        s("text", {x: 16 + r.depth * 14, y: y + 12, fill: "#111827"},
          s("tspan", {"font-weight": 600}, r.service),
          ` ${clip(r.name, Math.floor((LABEL - 24 - r.depth * 14) / 6.5) - r.service.length)}`),
        s("rect", {x: x.toFixed(1), y, width: width.toFixed(1), height: 15, rx: 2, fill}),
        s("text", {x: LABEL + BAR + 8, y: y + 12, fill: r.error ? "#b91c1c" : "#374151"},
          duration(r.duration_us) +
            (r.error ? `  ERROR ${clip(r.status_message || "", 24)}` : "")));
    });
    const ticks = [0, 0.25, 0.5, 0.75, 1].map(f => s("g", {},
      s("line", {x1: LABEL + f * BAR, x2: LABEL + f * BAR, y1: 0, y2: d.rows.length * ROW + 4,
                 stroke: "#e5e7eb"}),
      s("text", {x: LABEL + f * BAR, y: d.rows.length * ROW + 18, fill: "#9ca3af",
                 "text-anchor": "middle"}, duration(f * total))));
    return s("svg", {viewBox: `0 0 ${W} ${d.rows.length * ROW + 24}`, role: "img",
                     "aria-label": `trace ${d.trace_id}`}, ticks, rows);
  }

  function drawTrace(answer) {
    if (!answer.ok) return show("trace", unavailable(answer));
    const d = answer.data;
    show("trace",
      h("p", {}, h("code", {"data-trace-id": d.trace_id}, d.trace_id), "  ",
        `${d.spans} spans, ${d.services.join(", ")}, ${duration(d.duration_us)}`, " ",
        d.errors ? badge(`${d.errors} error${d.errors === 1 ? "" : "s"}`, "bad") : null),
      h("div", {class: "waterfall"}, waterfall(d)));
  }

  async function openTrace(id) {
    selectedTrace = id;
    history.replaceState(null, "", `#trace=${id}`);
    for (const row of document.querySelectorAll("tr.trace")) {
      row.classList.toggle("selected", row.dataset.trace === id);
    }
    drawTrace(await get(`/api/traces/${encodeURIComponent(id)}`));
  }

  // --- polling ------------------------------------------------------------------------

  function every(ms, work) {
    const run = async () => {
      await work();
      setTimeout(run, ms);
    };
    run();
  }

  async function refresh() {
    const [overview, services, alerts, links, traces] = await Promise.all(
      ["/api/overview", "/api/services", "/api/alerts", "/api/links", "/api/traces"].map(get));
    drawOverview(overview);
    drawServices(services);
    drawAlerts(alerts);
    drawLinks(links);
    drawTraces(traces);
    document.getElementById("updated").textContent = `updated ${clock(Date.now() / 1000)}`;
  }

  every(POLL_MS, refresh);
  every(RED_POLL_MS, async () => drawRed(await get("/api/red")));
  const wanted = /^#trace=([0-9a-fA-F]{1,32})$/.exec(location.hash);
  if (wanted) openTrace(wanted[1]);
})();
