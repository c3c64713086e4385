// A trained model's Try tab: an input as the model's metadata describes it (its "try":
// a file to upload or record, a text, a row of fields, numbers, a history), started from
// a real example of its test split, then its prediction, why, and "this is actually X".
// The form is chosen by that description, never by the kind of data's name. Every name
// that comes from data is set as text, never as HTML.

import { api } from "./api.js";
import { addTo, correction, explanation, prediction } from "./answer.js";
import { el } from "./dom.js";
import { liveCamera } from "./live.js";
import { microphone } from "./record.js";

export async function tryPanel(run) {
  const info = await api(`/api/runs/${run.id}/metadata`);
  const answer = el("div", { id: "answer" });
  const add = addTo(run.project_id);
  // body(): a FormData (files) or an object (JSON), made anew for each call; adding(label)
  // adds what was tried to the data; history: what a forecast goes on from
  const ask = async (body, adding, history) => {
    answer.replaceChildren(el("p", { class: "muted" }, "Asking the model…"));
    const send = () => { const b = body(); return b instanceof FormData ? { method: "POST", form: b } : { method: "POST", json: b }; };
    try {
      const found = (await api(`/api/runs/${run.id}/predict`, send())).predictions[0];
      const parts = [prediction(found, info, history)];
      answer.replaceChildren(...parts, el("p", { class: "muted" }, "Why…"));
      if (info.explain) parts.push(explanation(await api(`/api/runs/${run.id}/explain`, send()), found.label));
      parts.push(correction(info.classes, found.label, adding));
      answer.replaceChildren(...parts.filter(Boolean));
    } catch (e) { answer.replaceChildren(el("p", { class: "problem" }, e.message)); }
  };
  const form = FORMS[info.try.form] || FORMS.upload;
  const example = info.example || {};
  const from = example.input !== undefined ? el("p", { class: "muted", id: "example-note" },
    example.truth !== undefined ? `Filled in with an example of the test data (its true class: '${example.truth}'); change it as you like.`
      : "Filled in with the last steps of the data; change them as you like.") : null;
  return el("div", { id: "try" }, el("p", { class: "muted" }, `This model, trained on ${info.noun}, predicts ${info.predicts}.`),
    from, form(info, ask, add, run), answer);
}

const go = (label, onclick) => el("div", {}, el("button", { id: "try-go", onclick }, label));

const FORMS = {
  upload(info, ask, add, run) {
    const preview = el("div", { id: "try-preview" });
    const send = (blob, name) => {
      const url = URL.createObjectURL(blob);
      preview.replaceChildren(info.try.shows === "sound" ? el("audio", { controls: true, src: url, id: "try-sound" })
        : ["picture", "boxes"].includes(info.try.shows) ? el("img", { src: url, alt: `the ${info.noun} tried`, class: "tried" }) : el("p", { class: "muted" }, name));
      ask(() => { const form = new FormData(); form.append("file", blob, name); return form; }, add.file(blob, name));
    };
    const file = el("input", { type: "file", id: "try-file", accept: info.try.accept || null, onchange: () => file.files[0] && send(file.files[0], file.files[0].name) });
    const parts = [el("label", {}, `Drop one of the ${info.noun} here, or choose a file: `, file)];
    const example = (info.example || {}).file;
    if (example) {
      parts.push(el("button", { class: "secondary", id: "try-example", onclick: async () => send(await api(`/api/runs/${run.id}/example-file`), example) },
        `Try an example of the test data (${example}${info.example.truth !== undefined ? `, a '${info.example.truth}'` : ""})`));
    }
    if (info.try.capture === "microphone") parts.push(microphone((blob, name) => send(blob, name)));
    const box = el("div", { class: "drop", ondragover: (e) => e.preventDefault(), ondrop: (e) => { e.preventDefault(); const f = e.dataTransfer.files[0]; if (f) send(f, f.name); } }, parts);
    return el("div", {}, box, info.try.capture === "camera" ? liveCamera(run) : null, preview);
  },
  prose(info, ask, add) {
    const text = el("textarea", { id: "try-text", rows: 3, "aria-label": "A text" });
    text.value = (info.example || {}).input || "";
    return el("div", {}, text, go("Predict", () => ask(() => ({ [info.try.field]: text.value }), add.item(text.value))));
  },
  fields(info, ask, add) {
    const given = (info.example || {}).input || {};
    const fields = info.try.columns.map((c) => {
      const value = given[c.name] ?? "";
      const input = c.categories
        ? el("select", { "data-column": c.name, "aria-label": c.name }, el("option", { value: "" }, "(unknown)"),
          [...new Set([...c.categories, value].filter((v) => v !== ""))].map((v) => el("option", { value: v, selected: v === value }, v)))
        : el("input", { "data-column": c.name, "aria-label": c.name, value });
      return el("label", {}, el("span", {}, c.name), input);
    });
    const row = () => Object.fromEntries(fields.map((f) => { const i = f.querySelector("[data-column]"); return [i.dataset.column, i.value === "" ? null : i.value]; }));
    return el("div", {}, el("div", { id: "try-row", class: "fields" }, fields), go("Predict", () => { const r = row(); ask(() => ({ [info.try.field]: r }), add.item(r)); }));
  },
  numbers(info, ask) {
    const text = el("textarea", { id: "try-sequence", rows: 3, "aria-label": "Numbers separated by spaces" });
    text.value = ((info.example || {}).input || []).map((v) => (v === null ? "" : v)).join(" ");
    const numbers = () => text.value.trim().split(/[\s,]+/).map(Number);
    return el("div", {}, el("p", { class: "muted" }, `${info.try.steps || "The"} numbers, separated by spaces.`), text,
      go("Predict", () => ask(() => ({ [info.try.field]: numbers() }), null)));
  },
  history(info, ask) {
    const names = info.try.columns.map((c) => c.name);
    const text = el("textarea", { id: "try-history", rows: 8, "aria-label": "Recent history as CSV with a header" });
    const rows = (info.example || {}).input || [];
    text.value = rows.length ? [names.join(","), ...rows.map((r) => names.map((n) => r[n]).join(","))].join("\n") : `${names.join(",")}\n`;
    const need = info.lookback ? ` (at least ${info.lookback} steps)` : "";
    return el("div", {}, el("p", { class: "muted" }, `The recent history as CSV with a header (${names.join(", ")})${need}.`), text,
      go("Forecast", () => { const history = csvRows(text.value); ask(() => ({ [info.try.field]: history }), null, history); }));
  },
};

function csvRows(text) {
  const [head, ...lines] = text.trim().split(/\r?\n/);
  const names = head.split(",").map((s) => s.trim());
  return lines.filter(Boolean).map((l) => Object.fromEntries(l.split(",").map((v, i) => [names[i], v.trim()])));
}
