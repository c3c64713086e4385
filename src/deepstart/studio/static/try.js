// A trained model's Try tab: an input as the model's metadata describes it (its "try":
// a file to upload, a text, a row of fields, numbers, a history), its prediction, and
// why. The form is chosen by that description, never by the kind of data's name. Every
// name that comes from data is set as text, never as HTML.

import { api } from "./api.js";
import { el, percent } from "./dom.js";

export async function tryPanel(run) {
  const info = await api(`/api/runs/${run.id}/metadata`);
  const answer = el("div", { id: "answer" });
  const ask = async (body) => {  // body(): a FormData (files) or an object (JSON), made anew for each call
    answer.replaceChildren(el("p", { class: "muted" }, "Asking the model…"));
    const send = () => { const b = body(); return b instanceof FormData ? { method: "POST", form: b } : { method: "POST", json: b }; };
    try {
      const found = await api(`/api/runs/${run.id}/predict`, send());
      const parts = [prediction(found.predictions[0])];
      if (info.explain) parts.push(explanation(await api(`/api/runs/${run.id}/explain`, send())));
      answer.replaceChildren(...parts);
    } catch (e) { answer.replaceChildren(el("p", { class: "problem" }, e.message)); }
  };
  const form = FORMS[info.try.form] || FORMS.upload;
  return el("div", {}, el("p", { class: "muted" }, `This model predicts ${info.predicts} from ${info.noun}.`),
    form(info, ask), answer);
}

const go = (label, onclick) => el("div", {}, el("button", { id: "try-go", onclick }, label));

const FORMS = {
  upload(info, ask) {
    const send = (chosen) => ask(() => { const form = new FormData(); form.append("file", chosen); return form; });
    const file = el("input", { type: "file", id: "try-file", accept: info.try.accept || null, onchange: () => send(file.files[0]) });
    return el("div", { class: "drop", ondragover: (e) => e.preventDefault(), ondrop: (e) => { e.preventDefault(); if (e.dataTransfer.files[0]) send(e.dataTransfer.files[0]); } },
      el("label", {}, `Drop one of the ${info.noun} here, or choose a file: `, file));
  },
  prose(info, ask) {
    const text = el("textarea", { id: "try-text", rows: 3, "aria-label": "A text" });
    return el("div", {}, text, go("Predict", () => ask(() => ({ [info.try.field]: text.value }))));
  },
  fields(info, ask) {
    const fields = info.try.columns.map((c) => el("label", {}, `${c.name} `, el("input", { "data-column": c.name, "aria-label": c.name })));
    const row = () => Object.fromEntries(fields.map((f) => { const i = f.querySelector("input"); return [i.dataset.column, i.value === "" ? null : i.value]; }));
    return el("div", { id: "try-row" }, fields, go("Predict", () => ask(() => ({ [info.try.field]: row() }))));
  },
  numbers(info, ask) {
    const text = el("textarea", { id: "try-sequence", rows: 3, "aria-label": "Numbers separated by spaces" });
    const numbers = () => text.value.trim().split(/[\s,]+/).map(Number);
    return el("div", {}, el("p", { class: "muted" }, `${info.try.steps || "The"} numbers, separated by spaces.`), text,
      go("Predict", () => ask(() => ({ [info.try.field]: numbers() }))));
  },
  history(info, ask) {
    const text = el("textarea", { id: "try-history", rows: 8, "aria-label": "Recent history as CSV with a header" });
    const names = info.try.columns.map((c) => c.name).join(", ");
    return el("div", {}, el("p", { class: "muted" }, `Paste the recent history as CSV with a header (${names}).`), text,
      go("Forecast", () => ask(() => ({ [info.try.field]: csvRows(text.value) }))));
  },
};

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
  if (why.heatmap_png) return el("div", {}, el("p", { class: "muted" }, why.note || "Where the network looked (warmer: more):"),
    el("img", { id: "heatmap", alt: why.alt || "heatmap over the input", src: `data:image/png;base64,${why.heatmap_png}`,
      style: { width: why.wide ? "100%" : "280px", maxWidth: "100%" } }));
  if (why.words) {
    const top = Math.max(...why.words.map((w) => Math.abs(w.effect)), 1e-9);
    return el("p", { class: "words", id: "words" }, why.words.map((w) => [el("span", { title: w.effect.toFixed(3),
      style: { background: w.effect >= 0 ? `rgba(0,160,0,${Math.abs(w.effect) / top})` : `rgba(220,0,0,${Math.abs(w.effect) / top})` } }, w.word), " "]));
  }
  if (why.contributions) return el("ul", { id: "contributions" }, Object.entries(why.contributions).slice(0, 6).map(([c, v]) => el("li", {}, `${c}: ${v >= 0 ? "+" : ""}${v.toFixed(3)}`)));
  return el("div");
}
