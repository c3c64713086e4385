// A project's "What the data is" card: what was detected, the choice of columns and task,
// the classes, samples and rows, and what will be skipped. Every name that comes from
// data is set as text, never as HTML.

import { api, blobUrl } from "./api.js";
import { boxesOn } from "./boxes.js";
import { el, say, scrolling } from "./dom.js";

export function detectionCard(project, d, rerun) {
  const card = el("div", { class: "card", id: "detection" }, el("h2", {}, "What the data is"));
  if (d.kind) card.append(el("p", {}, `${d.count || `${d.n.toLocaleString()} ${d.noun}`}: `, el("strong", { id: "kind" }, d.what)));
  if (d.problem) card.append(el("p", { class: "problem", id: "problem" }, d.problem));
  if (d.columns) card.append(columnChoice(project, d, rerun));
  if (d.classes) {
    const top = Math.max(...d.classes.map((c) => c.count));
    card.append(scrolling(el("table", { class: "bars", id: "classes" }, el("tr", {}, el("th", {}, "class"), el("th", {}, "examples"), el("th", {})),
      d.classes.map((c) => el("tr", {}, el("td", {}, c.name), el("td", { class: "num" }, c.count.toLocaleString()),
        el("td", { class: "bar-cell" }, el("div", { class: "bar", style: { width: `${(100 * c.count) / top}%` } })))))));
  }
  if (d.imbalance) card.append(el("p", { class: "warn" }, `Imbalanced: ${d.imbalance}`));
  for (const note of d.notes || []) card.append(el("p", { class: "warn" }, note));
  if (d.numbers) card.append(el("p", {}, `Numbers to predict, from ${d.numbers.min} to ${d.numbers.max} (mean ${d.numbers.mean.toPrecision(4)}).`));
  if (d.samples) card.append(samples(project.id, d.samples, d.boxes));
  if (d.sample_rows && d.sample_rows.length) card.append(scrolling(rowsTable(d.sample_rows)));
  if (d.column_types) card.append(el("p", { class: "muted" }, "Columns learned from: ", Object.entries(d.column_types).map(([c, t]) => `${c} (${t})`).join(", ")));
  if (d.left_out && d.left_out.length) card.append(el("p", { class: "muted" }, `Left out: ${d.left_out.join("; ")}`));
  if (d.n_skipped) card.append(el("details", {}, el("summary", { class: "warn" }, `${d.n_skipped} files will be skipped`),
    el("ul", {}, d.skipped.map((s) => el("li", {}, `${s.file}: ${s.reason}`)))));
  if (d.n_copies_across_classes) card.append(el("details", {}, el("summary", { class: "warn" }, `${d.n_copies_across_classes} files appear in two classes`),
    el("ul", {}, d.copies_across_classes.map((c) => el("li", {}, c.join(" = "))))));
  return card;
}

function columnChoice(project, d, rerun) {
  const options = project.options || {};
  const select = (id, label, value, values, none) => el("label", {}, label, el("select", { id, onchange: (e) => choose({ [id]: e.target.value }) },
    none ? el("option", { value: "" }, none) : null, values.map((c) => el("option", { value: c, selected: c === value }, c))));
  const choose = async (change) => {
    try { await api(`/api/projects/${project.id}`, { method: "PATCH", json: change }); rerun(); } catch (e) { say(e.message); }
  };
  const tasks = el("select", { id: "task", onchange: (e) => choose({ task: e.target.value }) },
    (d.tasks || []).map((t) => el("option", { value: t.value, selected: t.value === (options.task || "auto") }, t.label)));
  const box = el("div", { class: "choices" },
    select("target", "Column to predict: ", options.target || d.target || "", d.columns, "(detect)"),
    el("label", {}, "Read it as: ", tasks));
  for (const c of d.controls || []) {  // how this kind of data is read, as its modality asks
    if (c.kind === "number") {
      box.append(el("label", {}, `${c.label}: `, el("input", { id: c.name, type: "number", min: 1, value: options[c.name] || c.value, onchange: (e) => choose({ [c.name]: Number(e.target.value) }) })));
    } else box.append(select(c.name, `${c.label}: `, options[c.name] || "", d.columns, c.none || "(detect)"));
  }
  return box;
}

function samples(projectId, perClass, boxes) {
  const box = el("div", { class: "thumbs", id: "samples" });
  for (const [name, files] of Object.entries(perClass)) {
    const row = el("div", {}, el("span", { class: "muted" }, name, ": "));
    for (const f of files) {
      const img = el("img", { alt: `${name}: ${f}` });
      if (boxes && boxes[f]) boxesOn(img, boxes[f], Object.keys(perClass));  // photos with boxes: drawn on them
      blobUrl(`/api/projects/${projectId}/files/${f.split("/").map(encodeURIComponent).join("/")}`).then((u) => (img.src = u)).catch(() => {});
      row.append(img);
    }
    box.append(row);
  }
  return box;
}

function rowsTable(rows) {
  const columns = Object.keys(rows[0]);
  return el("table", {}, el("tr", {}, columns.map((c) => el("th", {}, c))),
    rows.map((r) => el("tr", {}, columns.map((c) => el("td", {}, String(r[c] ?? "").slice(0, 120))))));
}
