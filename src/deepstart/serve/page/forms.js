// One form per way /metadata's "try" asks for an input ({"form": "upload" | "prose" |
// "fields" | "numbers" | "history", ...}); each sends through send(body, contentType, sent).
import {$, el, fail} from "./dom.js";
import {useMicrophone} from "./record.js";

const KINDS = {numeric: ["number", "a number"], categorical: ["category", "a category"],
               boolean: ["yes / no", "yes or no"], datetime: ["date", "a date, e.g. 2024-05-31"]};
const MEDIA = {picture: "preview", sound: "playback", boxes: "preview"};  // where an upload is shown, by try.shows
const json = (field, value) => JSON.stringify({[field]: value});

export const FORMS = {upload, prose, fields, numbers, history: pastHistory};

function upload(ask, send) {
  const drop = $("drop"), file = $("file");
  file.accept = ask.accept || "";
  const chosen = (blob, name) => {
    if (!blob) return;
    showSent(blob, name, ask.shows);
    const form = new FormData();
    form.append("file", blob, name);
    send(form, null);
  };
  drop.addEventListener("click", () => file.click());
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") file.click(); });
  file.addEventListener("change", () => file.files[0] && chosen(file.files[0], file.files[0].name));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over");
    const dropped = e.dataTransfer.files[0];
    if (dropped) chosen(dropped, dropped.name);
  });
  if (ask.capture === "microphone") useMicrophone(chosen);
}

function showSent(blob, name, shows) {
  const media = MEDIA[shows] && $(MEDIA[shows]);
  if (media) {
    if (media.src.startsWith("blob:")) URL.revokeObjectURL(media.src);  // the last one's memory
    media.src = URL.createObjectURL(blob);
    media.hidden = false;
  }
  $("drop-text").textContent = (media ? "" : name + " sent. ") + "Drop or click to try another file.";
}

function prose(ask, send) {
  const go = () => send(json(ask.field, $("text").value), "application/json");
  $("send-text").addEventListener("click", go);
  $("text").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) go(); });
}

function fields(ask, send) {
  for (const column of ask.columns || []) {
    const label = el("label", "field");
    const name = el("b", "", column.name);
    const kind = KINDS[column.type] || [column.type, ""];
    name.append(el("small", "", kind[0]));
    const input = el("input");
    input.type = "text"; input.name = column.name; input.placeholder = kind[1]; input.dataset.type = column.type;
    label.append(name, input);
    $("fields").append(label);
  }
  $("fields-input").addEventListener("submit", (e) => {
    e.preventDefault();
    const row = {};
    for (const input of $("fields").querySelectorAll("input")) {
      const value = input.value.trim();
      if (input.dataset.type === "numeric" && value !== "" && !Number.isFinite(Number(value))) {
        fail(input.name + ": '" + value + "' is not a number; leave the field empty if it is unknown.");
        input.focus(); return;
      }
      row[input.name] = value === "" ? null : value;
    }
    send(json(ask.field, row), "application/json", row);
  });
}

function numbers(ask, send) {
  $("numbers").placeholder = (ask.steps ? ask.steps + " numbers" : "Numbers") + " separated by spaces or commas";
  $("send-numbers").addEventListener("click", () => {
    const values = $("numbers").value.split(/[\s,;]+/).filter((v) => v !== "").map(Number);
    send(json(ask.field, values), "application/json");
  });
}

function pastHistory(ask, send, meta) {
  const names = (ask.columns || []).map((c) => c.name);
  $("history-help").textContent = "Paste the recent history as CSV, one line per step, with the header " +
    names.join(",") + (meta.lookback ? " (at least " + meta.lookback + " steps of each series)" : "") + ".";
  $("history").placeholder = names.join(",");
  if (ask.horizon) $("send-history").textContent = "Forecast";
  $("send-history").addEventListener("click", () => {
    const lines = $("history").value.trim().split(/\r?\n/).filter((l) => l.trim() !== "");
    const header = (lines.shift() || "").split(",").map((h) => h.trim());
    const rows = lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [header[i], v.trim()])));
    send(json(ask.field, rows), "application/json");
  });
}
