// The project view: what was detected, the webcam (for images), training and the
// learning-curves comparison, and the runs (side by side). Every name that comes from
// data is set as text, never as HTML.

import { api } from "./api.js";
import { detectionCard } from "./detection.js";
import { el, main, metricText, onLeaving, say, when } from "./dom.js";
import { webcamCard } from "./webcam.js";

export async function projectView(id) {
  const project = await api(`/api/projects/${id}`);
  const d = project.detection;
  const rerun = () => projectView(id);
  const parts = [
    el("p", {}, el("a", { href: "#/" }, "← Projects")),
    el("h1", {}, project.name),
    detectionCard(project, d, rerun),
  ];
  const can = d.choices || {};
  if (can.capture) parts.push(webcamCard(project, rerun));
  parts.push(trainCard(project, d), runsCard(project, rerun));
  parts.push(el("button", { class: "danger", onclick: async () => {
    if (!confirm("Delete this project, its data and its runs?")) return;
    await api(`/api/projects/${id}`, { method: "DELETE" });
    location.hash = "#/";
  } }, "Delete project"));
  main.replaceChildren(...parts);
  const timer = setInterval(async () => {  // runs change while they train
    if (project.runs.some((r) => ["queued", "running"].includes(r.status))) {
      const now = await api(`/api/projects/${id}`);
      if (JSON.stringify(now.runs) !== JSON.stringify(project.runs)) rerun();
    }
  }, 2000);
  onLeaving(() => clearInterval(timer));
}

function trainCard(project, d) {
  const minutes = el("input", { id: "budget", type: "number", min: 0.5, step: 0.5, value: 5, style: { width: "5em" } });
  const fineTune = el("input", { id: "fine-tune", type: "checkbox" });
  const share = el("input", { id: "test-share", type: "number", min: 5, max: 50, value: 20, style: { width: "4em" } });
  const train = el("button", { id: "train", disabled: Boolean(d.problem), onclick: async () => {
    try {
      const settings = { time_limit: Number(minutes.value) * 60, test_size: Number(share.value) / 100 };
      if (fineTune.checked) settings.fine_tune = true;
      const run = await api(`/api/projects/${project.id}/runs`, { method: "POST", json: settings });
      location.hash = `#/run/${run.id}`;
    } catch (e) { say(e.message); }
  } }, "Train");
  const can = d.choices || {};
  const compare = el("button", { class: "secondary", id: "compare", disabled: Boolean(d.problem) || !can.compare, onclick: async () => {
    try { const run = await api(`/api/projects/${project.id}/compare`, { method: "POST" }); location.hash = `#/run/${run.id}`; } catch (e) { say(e.message); }
  } }, "Is deep learning worth it? (learning curves)");
  return el("div", { class: "card" }, el("h2", {}, "Train"),
    el("label", {}, "Time budget (minutes) ", minutes),
    can.fine_tune ? el("label", {}, fineTune, "Fine-tune the pretrained network (slower, sometimes better)") : null,
    el("label", {}, "Test share (%) ", share),
    el("div", {}, train, " ", compare));
}

function runsCard(project, rerun) {
  const runs = project.runs.filter((r) => r.kind !== "export");
  if (!runs.length) return el("div", { class: "card" }, el("h2", {}, "Runs"), el("p", { class: "muted" }, "None yet."));
  const chosen = new Set();
  const side = el("div", { id: "side-by-side" });
  const rows = runs.map((r) => el("tr", {},
    el("td", {}, r.kind === "train" && r.status === "done" ? el("input", { type: "checkbox", "aria-label": `compare run ${r.id}`, onchange: (e) => (e.target.checked ? chosen.add(r) : chosen.delete(r)) }) : null),
    el("td", {}, el("a", { href: `#/run/${r.id}` }, `run ${r.id}`)),
    el("td", {}, r.kind), el("td", { class: `status-${r.status}` }, r.status),
    el("td", {}, r.summary ? r.summary.model || r.summary.recommendation || "" : r.error || ""),
    el("td", {}, r.summary ? metricText(r.summary.test) : ""), el("td", { class: "muted" }, when(r.created)),
    el("td", {}, ["queued", "running"].includes(r.status) ? null : el("button", { class: "danger", onclick: async () => {
      await api(`/api/runs/${r.id}`, { method: "DELETE" }); rerun();
    } }, "Delete"))));
  const compare = el("button", { class: "secondary", onclick: () => {
    const picked = [...chosen];
    const keys = [...new Set(picked.flatMap((r) => Object.keys(r.summary.test)))].filter((k) => k !== "n");
    side.replaceChildren(el("table", {}, el("tr", {}, el("th", {}, ""), picked.map((r) => el("th", {}, `run ${r.id}`))),
      el("tr", {}, el("td", {}, "model"), picked.map((r) => el("td", {}, r.summary.model))),
      el("tr", {}, el("td", {}, "settings"), picked.map((r) => el("td", {}, JSON.stringify(r.settings)))),
      el("tr", {}, el("td", {}, "data fingerprint"), picked.map((r) => el("td", {}, (r.summary.fingerprint || "").slice(0, 12)))),
      keys.map((k) => el("tr", {}, el("td", {}, k), picked.map((r) => el("td", { class: "num" }, r.summary.test[k] === undefined ? "" : Number(r.summary.test[k]).toPrecision(4)))))));
  } }, "Compare the chosen runs side by side");
  return el("div", { class: "card" }, el("h2", {}, "Runs"),
    el("table", { id: "runs" }, el("tr", {}, ["", "run", "kind", "status", "model", "test", "started", ""].map((h) => el("th", {}, h))), rows),
    compare, side);
}
