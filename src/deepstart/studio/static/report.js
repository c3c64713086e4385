// A trained model's Report tab: the confusion matrix of the test data (a cell shows its
// examples) above the model's own report, in a sandboxed frame.

import { api, blobUrl } from "./api.js";
import { el, percent } from "./dom.js";

export async function reportPanel(run) {
  const html = await (await api(`/api/runs/${run.id}/report`)).text();
  const records = await api(`/api/runs/${run.id}/test-records`);
  const shows = (await api(`/api/projects/${run.project_id}`)).detection.shows;
  return el("div", {}, records.length ? confusion(run, records, shows) : null,
    el("iframe", { class: "report", title: "the model's report", sandbox: "", srcdoc: html }));
}

function confusion(run, records, shows) {
  // the test examples in a grid of true against predicted class; a cell shows its examples
  const classes = [...new Set(records.flatMap((r) => [r.truth, r.predicted]))].sort();
  const shown = el("div", { id: "cell" });
  const open = (truth, predicted) => {
    const chosen = records.filter((r) => r.truth === truth && r.predicted === predicted);
    shown.replaceChildren(el("p", {}, `${chosen.length} test examples of '${truth}' predicted as '${predicted}':`),
      el("div", { class: "thumbs" }, chosen.slice(0, 60).map((r) => example(run, r, shows))));
  };
  const head = el("tr", {}, el("th", {}, "true ↓ / predicted →"), classes.map((c) => el("th", {}, c)));
  const rows = classes.map((t) => el("tr", {}, el("th", {}, t), classes.map((p) => {
    const n = records.filter((r) => r.truth === t && r.predicted === p).length;
    return el("td", { class: "num" }, n ? el("button", { class: t === p ? "secondary" : "danger", "aria-label": `${n} of '${t}' predicted as '${p}'`, onclick: () => open(t, p) }, n) : "0");
  })));
  return el("div", { class: "card", id: "confusion" }, el("h2", {}, "Confusion matrix of the test data (click a cell to see its examples)"),
    el("table", {}, head, rows), shown);
}

const MEDIA = { picture: "img", sound: "audio" };  // how a file of the project is shown, by the data's "shows"

function example(run, record, shows) {
  // one test example: its picture or its player (a file of the project), else its text
  const title = `${record.input}: ${record.predicted} (${percent(record.probability)})`;
  const tag = MEDIA[shows];
  if (!tag || typeof record.input !== "string" || record.input.startsWith("/")) return el("p", { class: "muted" }, title.slice(0, 300));
  const media = el(tag, tag === "img" ? { alt: title, title } : { controls: true, preload: "none", title, "aria-label": title });
  blobUrl(`/api/projects/${run.project_id}/files/${record.input.split("/").map(encodeURIComponent).join("/")}`).then((u) => (media.src = u)).catch(() => {});
  return tag === "img" ? media : el("figure", {}, media, el("figcaption", { class: "muted" }, title.slice(0, 120)));
}
