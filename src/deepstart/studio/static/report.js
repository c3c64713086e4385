// A trained model's Report tab: the confusion matrix of the test data (a cell shows its
// examples: pictures, players or texts, each of which can be filed under its right class)
// above the model's own report, in a sandboxed frame.

import { api, blobUrl } from "./api.js";
import { addTo } from "./answer.js";
import { el, percent, scrolling } from "./dom.js";

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
    shown.replaceChildren(el("p", {}, `${chosen.length} test examples of '${truth}' predicted as '${predicted}'. `,
      el("span", { class: "muted" }, "If one is filed under the wrong class, choose its right one: the next run learns from it.")),
    el("div", { class: "examples" }, chosen.slice(0, 60).map((r) => example(run, r, shows, classes))));
  };
  const head = el("tr", {}, el("th", {}, "true ↓ / predicted →"), classes.map((c) => el("th", {}, c)));
  const rows = classes.map((t) => el("tr", {}, el("th", {}, t), classes.map((p) => {
    const n = records.filter((r) => r.truth === t && r.predicted === p).length;
    return el("td", { class: "num" }, n ? el("button", { class: t === p ? "secondary" : "danger", "aria-label": `${n} of '${t}' predicted as '${p}'`, onclick: () => open(t, p) }, n) : "0");
  })));
  return el("div", { class: "card", id: "confusion" }, el("h2", {}, "Confusion matrix of the test data (click a cell to see its examples)"),
    scrolling(el("table", {}, head, rows)), shown);
}

const MEDIA = { picture: "img", sound: "audio" };  // how a file of the project is shown, by the data's "shows"

function example(run, record, shows, classes) {
  // one test example: its picture or its player (a file of the project), else its text
  const title = `${record.input}: ${record.predicted} (${percent(record.probability)})`;
  const tag = MEDIA[shows];
  let shownAs;
  if (!tag || typeof record.input !== "string" || record.input.startsWith("/")) shownAs = el("p", { class: "muted" }, title.slice(0, 300));
  else {
    const media = el(tag, tag === "img" ? { alt: title, title } : { controls: true, preload: "none", title, "aria-label": title });
    blobUrl(`/api/projects/${run.project_id}/files/${record.input.split("/").map(encodeURIComponent).join("/")}`).then((u) => (media.src = u)).catch(() => {});
    shownAs = tag === "img" ? media : el("div", {}, media, el("div", { class: "muted" }, title.slice(0, 120)));
  }
  return el("figure", { class: "example" }, shownAs, relabel(run, record, classes));
}

function relabel(run, record, classes) {
  // "this is actually X": the example filed under X in the project's data
  const said = el("span", { class: "muted" });
  const choice = el("select", { "aria-label": `the right class of ${String(record.input).slice(0, 80)}`, class: "relabel", onchange: async () => {
    if (choice.value === record.truth) return;
    choice.disabled = true;
    try {
      await addTo(run.project_id).test(run.id, record.input)(choice.value);
      said.textContent = ` now under '${choice.value}'`;
    } catch (e) { said.textContent = ` ${e.message}`; choice.disabled = false; }
  } }, classes.map((c) => el("option", { value: c, selected: c === record.truth }, c)));
  return el("figcaption", {}, el("label", {}, "actually ", choice), said);
}
