// The Hexr console page: fetches /api/v1 views and renders them; charts with Plotly.
// All text goes through textContent (never innerHTML), so data cannot inject markup.
"use strict";

const view = document.getElementById("view");

function csrfToken() {
  const match = document.cookie.match(/(?:^|; )hexr_console_csrf=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function api(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (response.status === 401) {
    window.location.assign("/");
    throw new Error("signed out");
  }
  const body = await response.json();
  if (!response.ok) {
    throw new Error((body.error && body.error.message) || response.statusText);
  }
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  }
  return node;
}

function table(columns, rows, empty = "Nothing yet.") {
  if (!rows.length) return el("p", { class: "empty" }, empty);
  const head = el("tr", {}, ...columns.map((c) => el("th", {}, c.title)));
  const body = rows.map((row) => el("tr", {}, ...columns.map((c) => {
    const value = c.value(row);
    return el("td", c.cls ? { class: c.cls(row) } : {}, value);
  })));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...body));
}

function section(title, ...content) {
  return el("section", {}, el("h2", {}, title), ...content);
}

function problem(message) {
  return el("p", { class: "error", role: "alert" }, message);
}

function number(value, digits = 0) {
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
}

function duration(seconds) {
  if (seconds == null) return "";
  const s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}

const views = {
  async components() {
    const { components } = await api("/api/v1/components");
    return section("Components",
      table([
        { title: "component", value: (r) => r.name },
        { title: "state", value: (r) => r.state, cls: (r) => `state ${r.state.replace(/ /g, "-")}` },
        { title: "pid", value: (r) => r.pid ?? "" },
        { title: "address", value: (r) => r.address, cls: () => "mono" },
        { title: "uptime", value: (r) => duration(r.uptime_s) },
        { title: "note", value: (r) => r.hint || "" },
      ], components));
  },

  async identities() {
    const data = await api("/api/v1/identities");
    const parts = [];
    for (const [tenant, rows] of Object.entries(data.tenants)) {
      parts.push(el("h3", {}, `tenant ${tenant}`), table([
        { title: "agent", value: (r) => r.agent },
        { title: "role", value: (r) => r.role },
        { title: "SPIFFE ID", value: (r) => r.spiffe_id, cls: () => "mono" },
        { title: "pid", value: (r) => r.pid },
        { title: "uid", value: (r) => r.uid ?? "" },
      ], rows));
    }
    if (!parts.length) parts.push(el("p", { class: "empty" }, "No agent is running."));
    parts.push(el("h3", {}, "platform services"), table([
      { title: "service", value: (r) => r.service },
      { title: "SPIFFE ID", value: (r) => r.spiffe_id, cls: () => "mono" },
      { title: "pid", value: (r) => r.pid },
    ], data.services));
    return section("Identities", ...parts);
  },

  async usage() {
    const data = await api("/api/v1/usage");
    const rows = new Map();
    for (const [metric, samples] of Object.entries(data)) {
      for (const s of samples) {
        const key = `${s.labels.tenant || ""}/${s.labels.agent_name || ""}`;
        const row = rows.get(key) || { tenant: s.labels.tenant || "", agent: s.labels.agent_name || "" };
        row[metric] = s.value;
        rows.set(key, row);
      }
    }
    return section("Cost & tokens by tenant and agent", table([
      { title: "tenant", value: (r) => r.tenant },
      { title: "agent", value: (r) => r.agent },
      { title: "invocations", value: (r) => number(r.invocations || 0) },
      { title: "LLM calls", value: (r) => number(r.llm_calls || 0) },
      { title: "input tokens", value: (r) => number(r.input_tokens || 0) },
      { title: "output tokens", value: (r) => number(r.output_tokens || 0) },
      { title: "cost (USD)", value: (r) => number(r.cost_usd || 0, 6) },
    ], [...rows.values()], "No LLM usage recorded yet."));
  },

  async credentials() {
    const data = await api("/api/v1/credentials");
    const tiers = new Map();
    for (const kind of ["hits", "misses"]) {
      for (const s of data[kind]) {
        const row = tiers.get(s.labels.tier) || { tier: s.labels.tier, hits: 0, misses: 0 };
        row[kind] += s.value;
        tiers.set(s.labels.tier, row);
      }
    }
    return section("Credentials",
      el("h3", {}, "cache lookups by tier"),
      table([
        { title: "tier", value: (r) => r.tier },
        { title: "hits", value: (r) => number(r.hits) },
        { title: "misses", value: (r) => number(r.misses) },
        { title: "hit ratio", value: (r) => `${number(100 * r.hits / Math.max(1, r.hits + r.misses), 1)} %` },
      ], [...tiers.values()].sort((a, b) => a.tier.localeCompare(b.tier))),
      el("h3", {}, "exchanges at the credential injector"),
      table([
        { title: "service", value: (r) => r.labels.service },
        { title: "status", value: (r) => r.labels.status },
        { title: "exchanges", value: (r) => number(r.value) },
      ], data.exchanges));
  },

  async denials() {
    const data = await api("/api/v1/denials");
    const rows = [];
    const describe = {
      injector: (l) => [`tenant of caller`, `credential ${l.service}`, l.reason],
      vault: (l) => [`${l.tenant || "?"}/${l.agent || "?"}`, `vault ${l.op}`, l.reason],
      a2a: (l) => [`tenant ${l.source_tenant}`, `agents of tenant ${l.target_tenant}`, "cross-tenant policy"],
      gateway: (l) => [`${l.tenant || "?"}/${l.agent_name || "?"}`, `tool ${l.tool} (${l.action})`, "tool policy"],
    };
    for (const [component, samples] of Object.entries(data)) {
      for (const s of samples) {
        const [who, what, why] = describe[component](s.labels);
        rows.push({ component, who, what, why, count: s.value });
      }
    }
    return section("Denials", table([
      { title: "component", value: (r) => r.component },
      { title: "who", value: (r) => r.who },
      { title: "what", value: (r) => r.what },
      { title: "why", value: (r) => r.why },
      { title: "count", value: (r) => number(r.count) },
    ], rows, "Nothing was denied."));
  },

  async dashboards() {
    const { dashboards } = await api("/api/v1/dashboards");
    if (!dashboards.length) return section("Dashboards", el("p", { class: "empty" }, "No dashboards found."));
    const params = new URLSearchParams(window.location.hash.split("?")[1] || "");
    const chosen = dashboards.find((d) => d.uid === params.get("uid")) || dashboards[0];
    const picker = el("div", { class: "tabs" }, ...dashboards.map((d) => {
      const link = el("a", { href: `#dashboards?uid=${encodeURIComponent(d.uid)}` }, d.title);
      if (d.uid === chosen.uid) link.className = "active";
      return link;
    }));
    const grid = el("div", { class: "grid" });
    for (const panel of chosen.panels) {
      const chart = el("div", { class: "chart", "data-panel": String(panel.id) });
      grid.append(el("figure", { class: "panel" }, el("figcaption", {}, panel.title), chart));
      renderPanel(chosen.uid, panel, chart);
    }
    return section(chosen.title, picker, grid);
  },
};

function formatValue(value, unit) {
  if (value == null || Number.isNaN(value)) return "–";
  switch (unit) {
    case "percentunit": return `${number(100 * value, 1)} %`;
    case "percent": return `${number(value, 1)} %`;
    case "s": return value < 1 ? `${number(1000 * value, 1)} ms` : `${number(value, 2)} s`;
    case "currencyUSD": return `$${number(value, 4)}`;
    case "dtdurations": return duration(value);
    default: return number(value, 3);
  }
}

function renderInstant(data, node) {
  if (data.type === "table") {
    node.append(table([
      { title: "series", value: (s) => s.name },
      { title: "value", value: (s) => formatValue(s.value, data.unit) },
    ], data.series));
    return;
  }
  if (data.type === "stat" || data.type === "gauge" || data.series.length <= 4) {
    node.append(el("div", { class: "stats" }, ...data.series.slice(0, 12).map((s) =>
      el("div", { class: "stat" }, el("span", { class: "value" }, formatValue(s.value, data.unit)),
         el("span", { class: "name" }, s.name)))));
    return;
  }
  window.Plotly.newPlot(node, [{ type: "bar", x: data.series.map((s) => s.name), y: data.series.map((s) => s.value) }],
    chartLayout(false), { displayModeBar: false, responsive: true });
}

function chartLayout(showLegend) {
  return { margin: { l: 48, r: 12, t: 8, b: 32 }, height: 220, showlegend: showLegend,
           legend: { orientation: "h" }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
           font: { size: 11 } };
}

async function renderPanel(uid, panel, node) {
  try {
    const data = await api(`/api/v1/dashboards/${encodeURIComponent(uid)}/panels/${panel.id}?minutes=30`);
    if (!data.instant) data.series = data.series.filter((s) => s.t.length);
    node.dataset.series = String(data.series.length);
    if (!data.series.length) {
      node.append(el("p", { class: "empty" }, "no data"));
      node.dataset.state = "empty";
      return;
    }
    if (data.instant) {
      renderInstant(data, node);
    } else {
      const traces = data.series.map((s) => ({ type: "scatter", mode: "lines", name: s.name,
                                               x: s.t.map((t) => new Date(t * 1000)), y: s.v }));
      window.Plotly.newPlot(node, traces, chartLayout(data.series.length > 1),
                            { displayModeBar: false, responsive: true });
    }
    node.dataset.state = "data";
  } catch (err) {
    node.append(problem(err.message));
    node.dataset.state = "error";
  }
}

async function show() {
  const name = (window.location.hash.slice(1).split("?")[0]) || "components";
  const render = views[name] || views.components;
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("active", link.dataset.view === name);
  }
  view.replaceChildren(el("p", { class: "loading" }, "Loading…"));
  try {
    view.replaceChildren(await render());
  } catch (err) {
    view.replaceChildren(problem(err.message));
  }
  view.dataset.view = name;
}

document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/logout", { method: "POST", credentials: "same-origin",
                           headers: { "X-CSRF-Token": csrfToken() } });
  window.location.assign("/");
});
window.addEventListener("hashchange", show);
show();
