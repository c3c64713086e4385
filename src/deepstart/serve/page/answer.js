// What the model says, drawn from the shape of /predict's and /explain's answers: a
// forecast (a table), a number, or a label with each class's probability as a bar; why:
// a heatmap, coloured words, or each value's effect.
import {$, el} from "./dom.js";
import {boxesFound, drawBoxes} from "./boxes.js";

const percent = (p) => (p < 0.001 ? "< 0.1 %" : (100 * p).toFixed(1) + " %");
const points = (e) => (e >= 0 ? "+" : "\u2212") + Math.abs(100 * e).toFixed(1) + " pts";
const signed = (e) => (e >= 0 ? "+" : "\u2212") + Math.abs(e).toPrecision(3);
const capitalized = (s) => s.charAt(0).toUpperCase() + s.slice(1);

// One prediction; predicts: /metadata's phrase for what the model predicts; classes: its classes.
export function showAnswer(prediction, predicts, classes) {
  $("waiting").hidden = true; $("result").hidden = false;
  $("bars").textContent = "";
  if (prediction.boxes !== undefined) {  // boxes: drawn over the photo sent
    const n = prediction.boxes.length;
    $("label").textContent = n ? n + " found" : "Nothing found";
    $("sure").textContent = n ? "(boxes drawn on the photo)" : "";
    $("bars").append(boxesFound(prediction.boxes, classes || []));
    drawBoxes($("preview"), prediction.boxes, classes || []);
  } else if (prediction.forecast !== undefined) {
    $("label").textContent = capitalized(predicts || "the forecast");
    $("sure").textContent = "";
    $("bars").append(forecastTable(prediction.forecast));
  } else if (prediction.prediction !== undefined) {
    $("label").textContent = Number(prediction.prediction).toPrecision(5);
    $("sure").textContent = "(the predicted number)";
  } else {
    $("label").textContent = prediction.label;
    $("sure").textContent = percent(prediction.probabilities[prediction.label]) + " sure";
    showBars(prediction);
  }
}

function forecastTable(forecast) {
  const table = el("table"), head = el("tr");
  const keys = Object.keys(forecast[0] || {}).filter((k) => k !== "step");
  for (const k of keys) head.append(el("th", "", k));
  table.append(head);
  for (const f of forecast) {
    const row = el("tr");
    for (const k of keys) row.append(el("td", "", typeof f[k] === "number" ? f[k].toPrecision(5) : String(f[k])));
    table.append(row);
  }
  return table;
}

function showBars(prediction) {
  const entries = Object.entries(prediction.probabilities).sort((a, b) => b[1] - a[1]);
  for (const [name, p] of entries) {
    const bar = el("div", "bar" + (name === prediction.label ? " top" : ""));
    bar.dataset.class = name;
    const n = el("span", "name", name); n.title = name;
    const track = el("span", "track"), fill = el("span", "fill");
    fill.style.width = (100 * p).toFixed(1) + "%";
    track.append(fill);
    bar.append(n, track, el("span", "value", percent(p)));
    $("bars").append(bar);
  }
}

export function clearWhy(note) {
  $("heatmap").hidden = true; $("words").textContent = ""; $("effects").textContent = "";
  $("why-note").textContent = note || "";
}

// /explain's answer; sent: the values sent, by name (a row's), to name each contribution.
export function showWhy(found, sent) {
  clearWhy();
  if (found.heatmap_png) showHeatmap(found);
  else if (found.words) showWords(found);
  else if (found.contributions) showContributions(found, sent || {});
}

function showHeatmap(found) {
  const heatmap = $("heatmap");
  heatmap.src = "data:image/png;base64," + found.heatmap_png;
  heatmap.hidden = false;
  heatmap.classList.toggle("wide", Boolean(found.wide));  // a picture with axes: the box's width
  heatmap.alt = found.alt || "the input, coloured where the model looked";
  $("why-note").textContent = found.note || ("Warm colours (red, yellow) mark the parts " +
    "that mattered most for '" + found.label + "'; blue ones mattered little.");
}

function showWords(found) {
  const note = $("why-note");
  note.textContent = "Each word hidden in turn: ";
  const green = el("span", "legend", "green"), red = el("span", "legend", "red");
  green.style.background = "rgba(40,160,70,.45)"; red.style.background = "rgba(210,50,50,.45)";
  note.append(green, " words made '" + found.label + "' more likely, ", red, " ones less likely.");
  const top = Math.max(1e-6, ...found.words.map((w) => Math.abs(w.effect)));
  for (const w of found.words) {
    const span = el("span", "word", w.word);
    const a = Math.min(1, Math.abs(w.effect) / top) * 0.6;
    span.style.background = w.effect >= 0 ? `rgba(40,160,70,${a})` : `rgba(210,50,50,${a})`;
    span.title = points(w.effect) + " for '" + found.label + "'";
    $("words").append(span, " ");
  }
}

function showContributions(found, sent) {
  const number = found.prediction !== undefined;  // a number predicted: effects in its units
  $("why-note").textContent = "Each value hidden in turn: how much it moved " +
    (number ? "the predicted number" : "the chance of '" + found.label + "'") + " (green: up, red: down).";
  const entries = Object.entries(found.contributions).slice(0, 10);
  const top = Math.max(1e-9, ...entries.map((e) => Math.abs(e[1])));
  for (const [column, effect] of entries) {
    const row = el("div", "effect");
    const value = sent[column];
    const name = el("span", "name", column + (value === null || value === undefined ? " unknown" : " = " + value));
    name.title = name.textContent;
    const neg = el("span", "neg"), pos = el("span", "pos"), fill = el("span");
    fill.style.width = (100 * Math.abs(effect) / top).toFixed(1) + "%";
    (effect < 0 ? neg : pos).append(fill);
    row.append(name, neg, pos, el("span", "value", number ? signed(effect) : points(effect)));
    $("effects").append(row);
  }
}
