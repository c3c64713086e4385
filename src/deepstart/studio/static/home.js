// The home view: a new project (a folder, a .zip or a table, or the webcam) and the
// projects so far. Every name that comes from data is set as text, never as HTML.

import { api, upload } from "./api.js";
import { el, main, metricText } from "./dom.js";

export async function homeView() {
  const projects = await api("/api/projects");
  const bar = el("div");
  const name = el("input", { id: "project-name", placeholder: "e.g. cats and dogs", "aria-label": "Project name" });
  const folder = el("input", { type: "file", id: "pick-folder", webkitdirectory: true, multiple: true, hidden: true });
  const file = el("input", { type: "file", id: "pick-file", accept: ".zip,.csv,.tsv,.txt,.parquet,.pq,.jsonl,.ndjson", hidden: true });
  const create = async (files) => {
    if (!files.length) return bar.replaceChildren(el("p", { class: "problem" }, "The folder is empty: there is nothing to learn from. Drop a folder with one subfolder of images per class."));
    const form = new FormData();
    form.append("name", name.value || (files[0] && files[0].path.split("/")[0]) || "Untitled");
    for (const f of files) form.append("files", f.file, f.path);
    bar.replaceChildren(el("div", { class: "progress" }, el("div", { style: { width: "0%" } })), el("p", { class: "muted" }, "Uploading and reading the data…"));
    try {
      const project = await upload("/api/projects", form, bar.querySelector(".progress div"));
      location.hash = `#/project/${project.id}`;
    } catch (e) {
      bar.replaceChildren(el("p", { class: "problem" }, e.message));
    }
  };
  folder.addEventListener("change", () => create([...folder.files].map((f) => ({ file: f, path: f.webkitRelativePath || f.name }))));
  file.addEventListener("change", () => create([...file.files].map((f) => ({ file: f, path: f.name }))));
  const drop = el("div", { class: "drop", id: "drop" },
    el("p", {}, "Drop a folder with one subfolder per class, a .zip of one, or a table (CSV, TSV, Parquet, JSON Lines)."),
    el("button", { class: "secondary", onclick: () => folder.click() }, "Choose a folder…"), " ",
    el("button", { class: "secondary", onclick: () => file.click() }, "Choose a .zip or a table…"), " ",
    el("button", { class: "secondary", id: "webcam-project", onclick: async () => {
      const form = new FormData();
      form.append("name", name.value || "Webcam");
      const project = await api("/api/projects", { method: "POST", form });
      location.hash = `#/project/${project.id}`;
    } }, "Take photos with the webcam"),
    folder, file);
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    create(await droppedFiles(e.dataTransfer));
  });
  const cards = projects.map((p) => el("a", { class: "card", href: `#/project/${p.id}`, style: { display: "block", color: "inherit", textDecoration: "none" } },
    el("strong", {}, p.name), el("div", { class: "muted" }, `${p.runs} run${p.runs === 1 ? "" : "s"}`),
    p.last ? el("div", {}, `${p.last.model}: ${metricText(p.last.test)}`) : null));
  main.replaceChildren(
    el("h1", {}, "New project"),
    el("div", { class: "card" }, el("label", {}, "Name ", name), drop, bar),
    el("h2", {}, "Projects"),
    cards.length ? el("div", { class: "grid", id: "projects" }, cards) : el("p", { class: "muted" }, "None yet."));
}

async function droppedFiles(transfer) {
  // files of dropped folders, with their paths
  const found = [];
  const walk = async (entry, path) => {
    if (entry.isFile) {
      const file = await new Promise((ok, fail) => entry.file(ok, fail));
      found.push({ file, path: path + entry.name });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      let batch;
      do {
        batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
        for (const child of batch) await walk(child, `${path}${entry.name}/`);
      } while (batch.length);
    }
  };
  const entries = [...transfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
  if (entries.length) for (const entry of entries) await walk(entry, "");
  else for (const f of transfer.files) found.push({ file: f, path: f.name });
  return found;
}
