// The run view: live progress and the learning curves while it trains, then the result:
// a comparison's recommendation, or a trained model's Report, Try and Ship tabs.

import { api, blobUrl, follow } from "./api.js";
import { el, main, metricText, onLeaving, say } from "./dom.js";
import { reportPanel } from "./report.js";
import { shipPanel } from "./ship.js";
import { tryPanel } from "./try.js";

export async function runView(id) {
  const run = await api(`/api/runs/${id}`);
  const status = el("p", { id: "status" });
  const stage = el("p", { class: "muted", id: "stage", "aria-live": "polite" });
  const bar = el("div", { class: "progress" }, el("div", { style: { width: "0%" } }));
  const curves = el("div", { id: "curves" });
  const log = el("ul", { class: "muted", id: "log" });
  const cancel = el("button", { class: "danger", id: "cancel", onclick: async () => {
    try { await api(`/api/runs/${id}/cancel`, { method: "POST" }); } catch (e) { say(e.message); }
  } }, "Cancel");
  const after = el("div", { id: "after" });
  main.replaceChildren(el("p", {}, el("a", { href: `#/project/${run.project_id}` }, "← Project")),
    el("h1", {}, `Run ${id}: ${run.kind === "train" ? "training" : run.kind}`), status, stage, bar, cancel, curves, log, after);
  const epochs = [];
  const clock = { started: run.started, budget: run.settings.time_limit, text: "", perEpoch: null, epochsLeft: 0, current: run.status };
  const show = (r) => {
    clock.current = r.status;
    status.replaceChildren(el("span", { class: `status-${r.status}` }, r.status), r.error ? el("span", { class: "problem" }, ` — ${r.error}`) : "");
    cancel.hidden = !["queued", "running"].includes(r.status);
  };
  show(run);
  const tick = setInterval(() => (stage.textContent = progressText(clock)), 1000);
  const finish = async () => {
    clearInterval(tick);
    const now = await api(`/api/runs/${id}`);
    show(now);
    bar.hidden = stage.hidden = true;
    if (now.status === "done") await finished(now, after);
  };
  const stop = follow(`/api/runs/${id}/events`, (event) => {
    if (event.event === "progress") {
      const unit = UNITS[event.unit] || event.unit;
      clock.text = `${event.stage}: ${event.done}${event.total ? ` of ${event.total}` : ""} ${plural(unit, event.total || event.done)}`;
      clock.onEpochs = event.unit === "epoch" && !event.finished;
      if (event.total) bar.firstChild.style.width = `${(100 * event.done) / event.total}%`;
    } else if (event.event === "epoch") {
      epochs.push(event);
      clock.perEpoch = epochs.reduce((s, e) => s + e.seconds, 0) / epochs.length;
      clock.epochsLeft = event.epochs - event.epoch;
      drawCurves(curves, epochs);
    } else if (event.event === "message") {
      log.append(el("li", {}, event.text));
      while (log.children.length > 8) log.firstChild.remove();
    } else if (event.event === "started") {
      clock.started = event.time;
      status.textContent = `running (waited ${Math.max(0, Math.round(event.time - run.created))} s in the queue)`;
    }
    stage.textContent = progressText(clock);
  }, finish);
  const lost = (e) => {  // the studio is down: what the run does is not known here
    if (!["queued", "running"].includes(clock.current)) return;
    if (e.detail) api(`/api/runs/${id}`).then(show).catch(() => {});
    else status.replaceChildren(el("span", { class: "problem" }, `not known: the studio cannot be reached (the run was ${clock.current})`));
  };
  window.addEventListener("studio-reachable", lost);
  onLeaving(() => { stop(); clearInterval(tick); window.removeEventListener("studio-reachable", lost); });
}

const UNITS = { img: "image", it: "step" };  // progress's short units, as words

const plural = (word, n) => (n === 1 ? word : /(s|x|ch|sh)$/.test(word) ? `${word}es` : `${word}s`);

const seconds = (s) => (s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`);

function progressText(clock) {
  // one wording throughout: "Training: 3 of 20 epoch · 12 s so far · about 30 s left"
  if (!clock.started || !["running", "queued"].includes(clock.current)) return clock.text;
  const spent = Date.now() / 1000 - clock.started;
  const budget = clock.budget ? Math.max(0, clock.budget - spent) : Infinity;
  const estimate = clock.onEpochs && clock.perEpoch ? clock.epochsLeft * clock.perEpoch : Infinity;
  const left = Math.min(budget, estimate);
  const tail = Number.isFinite(left) ? ` · about ${seconds(left)} left${left === budget ? " (the budget)" : ""}` : "";
  return `${clock.text || "Starting"} · ${seconds(spent)} so far${tail}`;
}

export function learnedFrom(changes) {
  const part = (n, what) => (n ? `${n} example${n === 1 ? "" : "s"} ${what}` : null);
  const parts = [part(changes.added, "added"), part(changes.corrected, "corrected")].filter(Boolean);
  return `This run learned from ${parts.join(" and ")} in the page since the run before.`;
}

function drawCurves(box, epochs) {
  const key = "val_accuracy" in epochs[0] ? "accuracy" : "r2";
  box.replaceChildren(chart("Loss (lower is better)", epochs, "loss"), chart(key === "r2" ? "R² (higher is better)" : "Accuracy (higher is better)", epochs, key));
}

function chart(title, epochs, key) {
  const W = 360, H = 160, P = 28;
  const series = [[`train_${key}`, "#1f77b4", "training"], [`val_${key}`, "#d62728", "validation"]];
  const values = epochs.flatMap((e) => series.map(([k]) => e[k])).filter(Number.isFinite);
  const low = Math.min(...values), high = Math.max(...values);
  const x = (i) => P + ((W - 2 * P) * i) / Math.max(1, epochs.length - 1);
  const y = (v) => H - P - ((H - 2 * P) * (v - low)) / (high - low || 1);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "curve");
  svg.setAttribute("width", W);
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("height", H);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${title}, per epoch`);
  const text = (s, tx, ty, color = "#333") => { const t = document.createElementNS(ns, "text"); t.setAttribute("x", tx); t.setAttribute("y", ty); t.setAttribute("font-size", "11"); t.setAttribute("fill", color); t.textContent = s; svg.append(t); };
  text(title, P, 14);
  text(high.toPrecision(3), 2, P + 4);
  text(low.toPrecision(3), 2, H - P);
  series.forEach(([k, color, name], n) => {
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", epochs.map((e, i) => `${x(i)},${y(e[k])}`).join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", color);
    line.setAttribute("stroke-width", "2");
    svg.append(line);
    text(name, W - 90, 14 + 12 * n, color);
  });
  return svg;
}

async function finished(run, box) {
  if (run.kind === "compare") {
    const img = el("img", { alt: "learning curves of the deep and classical models", style: { maxWidth: "100%" } });
    blobUrl(`/api/runs/${run.id}/curve`).then((u) => (img.src = u));
    box.replaceChildren(el("p", { id: "recommendation" }, run.summary.recommendation), img);
    return;
  }
  if (run.kind !== "train") return box.replaceChildren(el("p", {}, "Done."));
  const panels = { Report: reportPanel, Try: tryPanel, Ship: shipPanel };
  const tabs = el("div", { class: "tabs", role: "tablist" });
  const panel = el("div", { role: "tabpanel", id: "panel" });
  let opened = null;  // the tab asked for last: a slower one that answers later is not shown
  const open = async (name) => {
    opened = name;
    for (const b of tabs.children) b.setAttribute("aria-selected", b.textContent === name);
    panel.replaceChildren(el("p", { class: "muted" }, "…"));
    let shownNow;
    try { shownNow = await panels[name](run); } catch (e) { shownNow = el("p", { class: "problem" }, e.message); }
    if (opened === name) panel.replaceChildren(shownNow);
  };
  for (const name of Object.keys(panels)) tabs.append(el("button", { role: "tab", id: `tab-${name.toLowerCase()}`, "aria-selected": "false", onclick: () => open(name) }, name));
  const counted = run.summary.test.n && !("mase" in run.summary.test);  // a forecast's n counts steps
  const n = counted ? ` (${run.summary.test.n.toLocaleString()} examples)` : "";
  const changes = run.summary.changes ? el("p", { class: "muted", id: "changes" }, learnedFrom(run.summary.changes)) : null;
  box.replaceChildren(el("p", { id: "result" }, `${run.summary.model}: ${metricText(run.summary.test)} on the test data${n}`), ...(changes ? [changes] : []), tabs, panel);
  await open("Report");
}
