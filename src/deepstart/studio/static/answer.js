// What a model answers in Try: its label with the probabilities as bars (or its number, or
// a forecast drawn after its history), why (a heatmap, coloured words with their key, the
// columns that weighed most), and "this is actually X", which adds the example to the
// project's data for the next run. Every name that comes from data is set as text.

import { api } from "./api.js";
import { el, percent, scrolling, shown } from "./dom.js";
import { boxesFound } from "./boxes.js";
import { chart } from "./chart.js";

export function bars(probabilities) {
  const rows = Object.entries(probabilities).sort((a, b) => b[1] - a[1]);
  return el("table", { class: "bars probabilities" }, rows.map(([c, v]) => el("tr", {}, el("td", {}, c), el("td", { class: "num" }, percent(v)),
    el("td", { class: "bar-cell" }, el("div", { class: "bar", style: { width: `${Math.max(1, 100 * v)}%` } })))));
}

export function prediction(p, info, history) {
  if (p.error) return el("p", { class: "problem" }, p.error);
  if (p.forecast) return forecast(p.forecast, info, history);
  if (p.boxes) return boxesFound(p, info);  // drawn over the photo tried
  if ("prediction" in p) return el("p", { id: "label" }, "Prediction: ", el("strong", {}, shown(Number(p.prediction))));
  return el("div", {}, el("p", { id: "label" }, "Prediction: ", el("strong", {}, p.label)), bars(p.probabilities));
}

function forecast(rows, info, history) {
  // the history and the forecast after it, as one chart; the forecast's steps below it
  const columns = info.try.columns || [];
  const time = (columns.find((c) => c.type === "time") || {}).name;
  const target = (columns.find((c) => c.type === "target") || {}).name;
  const past = (history || []).map((r) => ({ x: r[time], y: Number(r[target]) })).filter((p) => Number.isFinite(p.y));
  const ahead = rows.map((r) => ({ x: r[time] ?? `+${r.step}`, y: Number(r[target]) }));
  const title = `${target}: its history, then the forecast`;
  return el("div", {}, el("p", { id: "label" }, `Forecast of the next ${rows.length} steps:`),
    chart(title, [{ name: "history", color: "#1f77b4", points: past }, { name: "forecast", color: "#d62728", points: ahead, dashed: true }], "forecast-chart"),
    el("details", {}, el("summary", {}, "The forecast as numbers"),
      scrolling(el("table", { id: "forecast" }, el("tr", {}, Object.keys(rows[0]).map((k) => el("th", {}, k))),
        rows.map((r) => el("tr", {}, Object.values(r).map((v) => el("td", { class: typeof v === "number" ? "num" : null }, shown(v)))))))));
}

export function explanation(why, label) {
  if (why.heatmap_png) return el("div", {}, el("p", { class: "muted", id: "why-note" }, why.note || "Where the network looked (warmer: more):"),
    el("img", { id: "heatmap", alt: why.alt || "heatmap over the input", src: `data:image/png;base64,${why.heatmap_png}`,
      style: { width: why.wide ? "100%" : "280px", maxWidth: "100%" } }));
  if (why.words) {
    const top = Math.max(...why.words.map((w) => Math.abs(w.effect)), 1e-9);
    const key = el("p", { class: "key", id: "words-key" },
      el("span", { class: "swatch", style: { background: "rgba(0,160,0,.7)" } }), ` pushed toward '${label}'  `,
      el("span", { class: "swatch", style: { background: "rgba(220,0,0,.7)" } }), ` pushed away from it; the stronger the colour, the more the prediction drops without the word.`);
    return el("div", {}, key, el("p", { class: "words", id: "words" }, why.words.map((w) => [el("span", { title: `${w.effect >= 0 ? "+" : ""}${w.effect.toFixed(3)}`,
      style: { background: w.effect >= 0 ? `rgba(0,160,0,${Math.abs(w.effect) / top})` : `rgba(220,0,0,${Math.abs(w.effect) / top})` } }, w.word), " "])));
  }
  if (why.contributions) {
    const how = label === undefined ? "+ raised the number, − lowered it" : `+ pushed toward '${label}', − away from it`;
    return el("div", {}, el("p", { class: "muted", id: "contributions-key" }, `The values that weighed most, each hidden in turn (${how}):`),
      el("ul", { id: "contributions" }, Object.entries(why.contributions).slice(0, 6).map(([c, v]) => el("li", {}, `${c}: ${Math.abs(v) < 0.0005 ? "" : v > 0 ? "+" : "−"}${Math.abs(v).toFixed(3)}`))));
  }
  return el("div");
}

// "This is actually X": the example tried (send(label) posts it) joins the project's data.
export function correction(classes, predicted, send) {
  if (!classes || !classes.length || !send || predicted === undefined) return null;  // no label to correct (boxes)
  const choice = el("select", { id: "actually", "aria-label": "the right class" }, classes.map((c) => el("option", { value: c, selected: c === predicted }, c)));
  const said = el("span", { class: "muted", id: "added" });
  const add = el("button", { class: "secondary", id: "add-example", onclick: async () => {
    add.disabled = true;
    try {
      const { changes } = await send(choice.value);
      said.textContent = ` Added under '${choice.value}': the next run learns from it (${changes.added} added, ${changes.corrected} corrected so far).`;
    } catch (e) { said.textContent = ` ${e.message}`; add.disabled = false; }
  } }, "Add it to the data");
  return el("div", { class: "correct" }, el("label", {}, "This is actually ", choice), add, said);
}

export const addTo = (projectId) => ({
  file: (blob, name) => (label) => { const form = new FormData(); form.append("label", label); form.append("file", blob, name); return api(`/api/projects/${projectId}/examples/file`, { method: "POST", form }); },
  item: (input) => (label) => api(`/api/projects/${projectId}/examples`, { method: "POST", json: { label, input } }),
  test: (run, input) => (label) => api(`/api/projects/${projectId}/examples`, { method: "POST", json: { label, run, test: input } }),
});
