// The project view: what was detected, the webcam (for images), training and the
// learning-curves comparison, and the runs (side by side). Every name that comes from
// data is set as text, never as HTML.

import { api } from "./api.js";
import { detectionCard } from "./detection.js";
import { el, leaveView, main, metricText, onLeaving, say, scrolling, when } from "./dom.js";
import { webcamCard } from "./webcam.js";

export async function projectView(id) {
  const project = await api(`/api/projects/${id}`);
  const d = project.detection;
  const rerun = () => { leaveView(); return projectView(id); };
  let detection = detectionCard(project, d, rerun), train = trainCard(project, d);
  const refresh = async () => {  // new photos from the webcam: the data's card and Train, the camera kept
    const now = await api(`/api/projects/${id}`);
    const fresh = [detectionCard(now, now.detection, rerun), trainCard(now, now.detection)];
    detection.replaceWith(fresh[0]); train.replaceWith(fresh[1]);
    [detection, train] = fresh;
  };
  const parts = [el("p", {}, el("a", { href: "#/" }, "← Projects")), el("h1", {}, project.name), detection];
  const can = d.choices || {};
  if (can.capture) parts.push(webcamCard(project, refresh));
  parts.push(train, runsCard(project, rerun));
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
      if (groups.checked) settings.group_split = true;
      const run = await api(`/api/projects/${project.id}/runs`, { method: "POST", json: settings });
      location.hash = `#/run/${run.id}`;
    } catch (e) { say(e.message); }
  } }, "Train");
  const can = d.choices || {};
  const groups = el("input", { id: "group-split", type: "checkbox" });
  const changes = project.changes || {};
  const pending = changes.added || changes.corrected
    ? el("p", { class: "warn", id: "pending" }, `Since the last run: ${changes.added} example${changes.added === 1 ? "" : "s"} added, ${changes.corrected} corrected. Train again to learn from them.`)
    : null;
  const compare = el("button", { class: "secondary", id: "compare", disabled: Boolean(d.problem) || !can.compare, onclick: async () => {
    try { const run = await api(`/api/projects/${project.id}/compare`, { method: "POST" }); location.hash = `#/run/${run.id}`; } catch (e) { say(e.message); }
  } }, "Is deep learning worth it? (learning curves)");
  return el("div", { class: "card" }, el("h2", {}, "Train"),
    el("label", {}, "Time budget (minutes) ", minutes),
    can.fine_tune ? el("label", {}, fineTune, "Fine-tune the pretrained network (slower, sometimes better)") : null,
    el("label", {}, "Test share (%) ", share),
    d.groups ? el("label", {}, groups, d.groups.label, el("span", { class: "muted" }, `(${d.groups.note})`)) : null,
    pending, el("div", {}, train, " ", compare));
}

function runsCard(project, rerun) {
  const runs = project.runs.filter((r) => r.kind !== "export");
  if (!runs.length) return el("div", { class: "card" }, el("h2", {}, "Runs"), el("p", { class: "muted" }, "None yet."));
  const chosen = new Set();
  const side = el("div", { id: "side-by-side" });
  const cell = (label, attrs, ...children) => el("td", { "data-label": label, ...attrs }, ...children);
  const rows = runs.map((r) => el("tr", {},
    cell("compare", {}, r.kind === "train" && r.status === "done" ? el("input", { type: "checkbox", "aria-label": `compare run ${r.id}`, onchange: (e) => (e.target.checked ? chosen.add(r) : chosen.delete(r)) }) : null),
    cell("run", {}, el("a", { href: `#/run/${r.id}` }, `run ${r.id}`)),
    cell("kind", {}, r.kind), cell("status", { class: `status-${r.status}` }, r.status),
    cell("model", { class: "wrap" }, r.summary ? r.summary.model || r.summary.recommendation || "" : r.error || ""),
    cell("test", {}, r.summary ? metricText(r.summary.test) : ""), cell("started", { class: "muted" }, when(r.created)),
    cell("", {}, ["queued", "running"].includes(r.status) ? null : el("button", { class: "danger", onclick: async () => {
      await api(`/api/runs/${r.id}`, { method: "DELETE" }); rerun();
    } }, "Delete"))));
  const compare = el("button", { class: "secondary", onclick: () => {
    const picked = [...chosen];
    const keys = [...new Set(picked.flatMap((r) => Object.keys(r.summary.test)))].filter((k) => k !== "n");
    side.replaceChildren(scrolling(el("table", {}, el("tr", {}, el("th", {}, ""), picked.map((r) => el("th", {}, `run ${r.id}`))),
      el("tr", {}, el("td", {}, "model"), picked.map((r) => el("td", {}, r.summary.model))),
      el("tr", {}, el("td", {}, "settings"), picked.map((r) => el("td", {}, JSON.stringify(r.settings)))),
      el("tr", {}, el("td", {}, "data fingerprint"), picked.map((r) => el("td", {}, (r.summary.fingerprint || "").slice(0, 12)))),
      keys.map((k) => el("tr", {}, el("td", {}, k), picked.map((r) => el("td", { class: "num" }, r.summary.test[k] === undefined ? "" : Number(r.summary.test[k]).toPrecision(4))))))));
  } }, "Compare the chosen runs side by side");
  return el("div", { class: "card" }, el("h2", {}, "Runs"),
    el("table", { id: "runs", class: "cards" }, el("tr", {}, ["", "run", "kind", "status", "model", "test", "started", ""].map((h) => el("th", {}, h))), rows),
    compare, side);
}
