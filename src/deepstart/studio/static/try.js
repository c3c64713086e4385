// A trained model's Try tab: an input for its kind of data, its prediction, and why.
// Every name that comes from data is set as text, never as HTML.

import { api } from "./api.js";
import { el, percent } from "./dom.js";

export async function tryPanel(run) {
  const info = await api(`/api/runs/${run.id}/metadata`);
  const answer = el("div", { id: "answer" });
  const ask = async (body, isForm) => {
    answer.replaceChildren(el("p", { class: "muted" }, "Asking the model…"));
    try {
      const options = isForm ? { method: "POST", form: body() } : { method: "POST", json: body };
      const found = await api(`/api/runs/${run.id}/predict`, options);
      const parts = [prediction(found.predictions[0])];
      if (info.explain) {
        const why = await api(`/api/runs/${run.id}/explain`, isForm ? { method: "POST", form: body() } : { method: "POST", json: body });
        parts.push(explanation(why));
      }
      answer.replaceChildren(...parts);
    } catch (e) { answer.replaceChildren(el("p", { class: "problem" }, e.message)); }
  };
  let input;
  if (info.modality === "image") {
    let chosen = null;
    const send = (f) => { chosen = f; ask(() => { const form = new FormData(); form.append("file", chosen); return form; }, true); };
    const file = el("input", { type: "file", id: "try-file", accept: "image/*", onchange: () => send(file.files[0]) });
    input = el("div", { class: "drop", ondragover: (e) => e.preventDefault(), ondrop: (e) => { e.preventDefault(); if (e.dataTransfer.files[0]) send(e.dataTransfer.files[0]); } },
      el("label", {}, "Drop a photo here, or choose one: ", file));
  } else if (info.modality === "text") {
    const text = el("textarea", { id: "try-text", rows: 3, cols: 60, "aria-label": "A text" });
    input = el("div", {}, text, el("div", {}, el("button", { id: "try-go", onclick: () => ask({ text: text.value }) }, "Predict")));
  } else if (info.modality === "series") {
    const text = el("textarea", { id: "try-history", rows: 8, cols: 60, "aria-label": "Recent history as CSV with a header" });
    input = el("div", {}, el("p", { class: "muted" }, `Paste the recent history as CSV with a header (${info.columns.map((c) => c.name).join(", ")}).`), text,
      el("div", {}, el("button", { id: "try-go", onclick: () => ask({ rows: csvRows(text.value) }) }, "Forecast")));
  } else if (info.modality === "sequence") {
    const text = el("textarea", { id: "try-sequence", rows: 3, cols: 60, "aria-label": "Numbers separated by spaces" });
    input = el("div", {}, text, el("div", {}, el("button", { id: "try-go", onclick: () => ask({ sequence: text.value.trim().split(/[\s,]+/).map(Number) }) }, "Predict")));
  } else {
    const fields = info.columns.map((c) => el("label", {}, `${c.name} `, el("input", { "data-column": c.name, "aria-label": c.name })));
    input = el("div", { id: "try-row" }, fields, el("div", {}, el("button", { id: "try-go", onclick: () => {
      const row = Object.fromEntries(fields.map((f) => { const i = f.querySelector("input"); return [i.dataset.column, i.value === "" ? null : i.value]; }));
      ask({ row });
    } }, "Predict")));
  }
  return el("div", {}, input, answer);
}

function csvRows(text) {
  const [head, ...lines] = text.trim().split(/\r?\n/);
  const names = head.split(",").map((s) => s.trim());
  return lines.filter(Boolean).map((l) => Object.fromEntries(l.split(",").map((v, i) => [names[i], v.trim()])));
}

function prediction(p) {
  if (p.error) return el("p", { class: "problem" }, p.error);
  if (p.forecast) return el("table", { id: "forecast" }, el("tr", {}, Object.keys(p.forecast[0]).map((k) => el("th", {}, k))),
    p.forecast.map((r) => el("tr", {}, Object.values(r).map((v) => el("td", {}, typeof v === "number" ? v.toPrecision(5) : v)))));
  if ("prediction" in p) return el("p", { id: "label" }, `Prediction: ${Number(p.prediction).toPrecision(5)}`);
  const rows = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1]);
  return el("div", {}, el("p", { id: "label" }, "Prediction: ", el("strong", {}, p.label)),
    el("table", { class: "bars" }, rows.map(([c, v]) => el("tr", {}, el("td", {}, c), el("td", { class: "num" }, percent(v)),
      el("td", {}, el("div", { class: "bar", style: { width: `${Math.max(1, 100 * v)}%` } }))))));
}

function explanation(why) {
  if (why.heatmap_png) return el("div", {}, el("p", { class: "muted" }, "Where the network looked (warmer: more):"),
    el("img", { id: "heatmap", alt: "heatmap over the photo", src: `data:image/png;base64,${why.heatmap_png}`, style: { width: "280px" } }));
  if (why.words) {
    const top = Math.max(...why.words.map((w) => Math.abs(w.effect)), 1e-9);
    return el("p", { class: "words", id: "words" }, why.words.map((w) => [el("span", { title: w.effect.toFixed(3),
      style: { background: w.effect >= 0 ? `rgba(0,160,0,${Math.abs(w.effect) / top})` : `rgba(220,0,0,${Math.abs(w.effect) / top})` } }, w.word), " "]));
  }
  if (why.contributions) return el("ul", { id: "contributions" }, Object.entries(why.contributions).slice(0, 6).map(([c, v]) => el("li", {}, `${c}: ${v >= 0 ? "+" : ""}${v.toFixed(3)}`)));
  return el("div");
}
