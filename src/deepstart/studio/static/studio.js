// deepstart studio: the page. Plain JavaScript; every name that comes from data is set as
// text (textContent), never as HTML.

const main = document.getElementById("main");
if (location.search) history.replaceState(null, "", location.pathname + location.hash);  // the link's token
let leaving = () => {};  // stops what the current view follows (events) when the view changes

// -- helpers --------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "style") Object.assign(node.style, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function say(text) {
  const box = document.getElementById("message");
  box.textContent = text;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => (box.textContent = ""), 8000);
}

// The studio's secret travels in an HttpOnly cookie (set when its printed link was opened),
// which the browser sends with this page's own requests only. Without it (a restarted
// studio has a new one), the bare address says how to get in.
function enterAgain() {
  location.reload();
  return new Promise(() => {});
}

async function api(path, { method = "GET", json, form } = {}) {
  const options = { method, headers: {} };
  if (json !== undefined) {
    options.headers["content-type"] = "application/json";
    options.body = JSON.stringify(json);
  } else if (form) options.body = form;
  const answer = await fetch(path, options);
  if (answer.status === 401) return enterAgain();
  const type = answer.headers.get("content-type") || "";
  const body = type.includes("json") ? await answer.json() : await answer.blob();
  if (!answer.ok) throw new Error(body.error || `The studio answered ${answer.status}.`);
  return body;
}

function upload(path, form, progressBar) {
  // XMLHttpRequest, for the upload's progress
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", path);
    request.upload.onprogress = (e) => e.lengthComputable && (progressBar.style.width = `${(100 * e.loaded) / e.total}%`);
    request.onload = () => {
      if (request.status === 401) return enterAgain();
      let body = {};
      try { body = JSON.parse(request.responseText); } catch { body = {}; }
      if (request.status >= 200 && request.status < 300) resolve(body);
      else reject(new Error(body.error || `The studio answered ${request.status}.`));
    };
    request.onerror = () => reject(new Error("The upload failed; is the studio running?"));
    request.send(form);
  });
}

async function download(path, name) {
  const blob = await api(path);
  const link = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

async function blobUrl(path) {
  return URL.createObjectURL(await api(path));
}

const percent = (x) => `${(100 * x).toFixed(1)} %`;
const when = (t) => (t ? new Date(t * 1000).toLocaleString() : "");

function metricText(test) {
  if (!test) return "";
  if ("accuracy" in test) return `accuracy ${percent(test.accuracy)}`;
  if ("rmse" in test) return `RMSE ${Number(test.rmse).toPrecision(4)}`;
  if ("mase" in test) return `MASE ${Number(test.mase).toFixed(3)}`;
  return "";
}

// -- routing ----------------------------------------------------------------------------
async function route() {
  leaving();
  leaving = () => {};
  const [, view, id] = location.hash.split("/");
  try {
    if (view === "project") await projectView(Number(id));
    else if (view === "run") await runView(Number(id));
    else await homeView();
  } catch (e) {
    main.replaceChildren(el("p", { class: "problem" }, e.message), el("a", { href: "#/" }, "Back to the projects"));
  }
  main.focus();
}

async function showQueue() {
  try {
    const queue = await api("/api/queue");
    const running = queue.running.map((r) => `run ${r.id}`).join(", ");
    document.getElementById("queue").textContent =
      (running ? `training: ${running}` : "nothing training") + (queue.queued.length ? `; waiting: ${queue.queued.length}` : "");
  } catch { /* the studio stopped */ }
}

// -- home: new project, projects --------------------------------------------------------
async function homeView() {
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

// -- a project: what was detected, how to read it, train, runs ----------------------------
async function projectView(id) {
  const project = await api(`/api/projects/${id}`);
  const d = project.detection;
  const rerun = () => projectView(id);
  const parts = [
    el("p", {}, el("a", { href: "#/" }, "← Projects")),
    el("h1", {}, project.name),
    detectionCard(project, d, rerun),
  ];
  if (d.kind === "image" || (!d.kind && (d.problem || "").includes("no images"))) parts.push(webcamCard(project, rerun));
  parts.push(trainCard(project, d), runsCard(project, rerun));
  parts.push(el("button", { class: "danger", onclick: async () => {
    if (!confirm("Delete this project, its data and its runs?")) return;
    await api(`/api/projects/${id}`, { method: "DELETE" });
    location.hash = "#/";
  } }, "Delete project"));
  main.replaceChildren(...parts);
  const timer = setInterval(async () => {  // runs change while they train
    if (project.runs.some((r) => ["queued", "running"].includes(r.status))) {
      const now = await api(`/api/projects/${id}`);
      if (JSON.stringify(now.runs) !== JSON.stringify(project.runs)) rerun();
    }
  }, 2000);
  leaving = () => clearInterval(timer);
}

function detectionCard(project, d, rerun) {
  const card = el("div", { class: "card", id: "detection" }, el("h2", {}, "What the data is"));
  if (d.kind) card.append(el("p", {}, `${d.n.toLocaleString()} ${d.noun}: `, el("strong", { id: "kind" }, kindText(d))));
  if (d.problem) card.append(el("p", { class: "problem", id: "problem" }, d.problem));
  if (d.columns) card.append(columnChoice(project, d, rerun));
  if (d.classes) {
    const top = Math.max(...d.classes.map((c) => c.count));
    card.append(el("table", { class: "bars", id: "classes" }, el("tr", {}, el("th", {}, "class"), el("th", {}, "examples"), el("th", {})),
      d.classes.map((c) => el("tr", {}, el("td", {}, c.name), el("td", { class: "num" }, c.count.toLocaleString()),
        el("td", {}, el("div", { class: "bar", style: { width: `${(100 * c.count) / top}%` } }))))));
  }
  if (d.imbalance) card.append(el("p", { class: "warn" }, `Imbalanced: ${d.imbalance}`));
  for (const note of d.notes || []) card.append(el("p", { class: "warn" }, note));
  if (d.numbers) card.append(el("p", {}, `Numbers to predict, from ${d.numbers.min} to ${d.numbers.max} (mean ${d.numbers.mean.toPrecision(4)}).`));
  if (d.samples) card.append(samples(project.id, d.samples));
  if (d.sample_rows && d.sample_rows.length) card.append(rowsTable(d.sample_rows));
  if (d.column_types) card.append(el("p", { class: "muted" }, "Columns learned from: ", Object.entries(d.column_types).map(([c, t]) => `${c} (${t})`).join(", ")));
  if (d.left_out && d.left_out.length) card.append(el("p", { class: "muted" }, `Left out: ${d.left_out.join("; ")}`));
  if (d.n_skipped) card.append(el("details", {}, el("summary", { class: "warn" }, `${d.n_skipped} files will be skipped`),
    el("ul", {}, d.skipped.map((s) => el("li", {}, `${s.file}: ${s.reason}`)))));
  if (d.n_copies_across_classes) card.append(el("details", {}, el("summary", { class: "warn" }, `${d.n_copies_across_classes} files appear in two classes`),
    el("ul", {}, d.copies_across_classes.map((c) => el("li", {}, c.join(" = "))))));
  return card;
}

function kindText(d) {
  if (d.task === "forecasting") return `a time series to forecast ('${d.target}')`;
  if (d.task === "regression") return `numbers to predict ('${d.target}')`;
  return `${(d.classes || []).length} classes${d.target ? ` in '${d.target}'` : ""}`;
}

function columnChoice(project, d, rerun) {
  const options = project.options || {};
  const select = (id, label, value, values, none) => el("label", {}, label, el("select", { id, onchange: (e) => choose({ [id]: e.target.value }) },
    none ? el("option", { value: "" }, none) : null, values.map((c) => el("option", { value: c, selected: c === value }, c))));
  const choose = async (change) => {
    try { await api(`/api/projects/${project.id}`, { method: "PATCH", json: change }); rerun(); } catch (e) { say(e.message); }
  };
  const forecasting = options.task === "timeseries";
  const box = el("div", {},
    select("target", "Column to predict: ", options.target || d.target || "", d.columns, "(detect)"),
    select("task", "Task: ", forecasting ? "timeseries" : "auto", ["auto", "timeseries"]));
  if (forecasting) {
    box.append(select("time", "Time column: ", options.time || "", d.columns, "(detect)"),
      el("label", {}, "Steps ahead: ", el("input", { id: "horizon", type: "number", min: 1, value: options.horizon || 7, onchange: (e) => choose({ horizon: Number(e.target.value) }) })),
      select("id", "Series id column: ", options.id || "", d.columns, "(one series)"));
  }
  return box;
}

function samples(projectId, perClass) {
  const box = el("div", { class: "thumbs", id: "samples" });
  for (const [name, files] of Object.entries(perClass)) {
    const row = el("div", {}, el("span", { class: "muted" }, name, ": "));
    for (const f of files) {
      const img = el("img", { alt: `${name}: ${f}` });
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

function webcamCard(project, rerun) {
  const video = el("video", { autoplay: true, muted: true, playsinline: true, hidden: true });
  const label = el("input", { id: "class-name", placeholder: "class name, e.g. thumbs up", "aria-label": "Class name" });
  const count = el("span", { class: "muted", id: "captured" });
  let stream = null, timer = null, frames = [];
  const send = async () => {
    if (!frames.length) return;
    const form = new FormData();
    form.append("class", label.value);
    frames.forEach((blob, i) => form.append("files", blob, `frame${i}.png`));
    frames = [];
    try { await api(`/api/projects/${project.id}/captures`, { method: "POST", form }); } catch (e) { say(e.message); }
  };
  const grab = () => {
    const canvas = el("canvas", { width: 224, height: 224 });
    const side = Math.min(video.videoWidth, video.videoHeight) || 224;
    canvas.getContext("2d").drawImage(video, (video.videoWidth - side) / 2, (video.videoHeight - side) / 2, side, side, 0, 0, 224, 224);
    canvas.toBlob((b) => { frames.push(b); count.textContent = `${++grab.n} captured`; if (frames.length >= 8) send(); }, "image/png");
  };
  grab.n = 0;
  const start = (e) => {
    e.preventDefault();
    if (!label.value.trim()) return say("Name the class first.");
    if (!timer && stream) timer = setInterval(grab, 150);
  };
  const stop = async () => { clearInterval(timer); timer = null; await send(); rerun(); };
  const hold = el("button", { id: "hold", disabled: true, onmousedown: start, onmouseup: stop, onmouseleave: () => timer && stop(),
    ontouchstart: start, ontouchend: stop, onkeydown: (e) => [" ", "Enter"].includes(e.key) && !e.repeat && start(e), onkeyup: (e) => [" ", "Enter"].includes(e.key) && stop() }, "Hold to capture");
  const camera = el("button", { class: "secondary", id: "camera", onclick: async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: true });
      video.srcObject = stream;
      video.hidden = false;
      hold.disabled = false;
      camera.disabled = true;
    } catch (e) { say(`The camera cannot be used: ${e.message}`); }
  } }, "Start the camera");
  leaving = () => stream && stream.getTracks().forEach((t) => t.stop());
  return el("div", { class: "card" }, el("h2", {}, "Photos from the webcam"),
    el("p", { class: "muted" }, "Name a class, then hold the button: a photo is taken every 0.15 s. Do the same for each other class."),
    camera, " ", el("label", {}, "Class ", label), hold, " ", count, el("div", {}, video));
}

function trainCard(project, d) {
  const minutes = el("input", { id: "budget", type: "number", min: 0.5, step: 0.5, value: 5, style: { width: "5em" } });
  const fineTune = el("input", { id: "fine-tune", type: "checkbox" });
  const share = el("input", { id: "test-share", type: "number", min: 5, max: 50, value: 20, style: { width: "4em" } });
  const train = el("button", { id: "train", disabled: Boolean(d.problem), onclick: async () => {
    try {
      const settings = { time_limit: Number(minutes.value) * 60, test_size: Number(share.value) / 100 };
      if (fineTune.checked) settings.fine_tune = true;
      const run = await api(`/api/projects/${project.id}/runs`, { method: "POST", json: settings });
      location.hash = `#/run/${run.id}`;
    } catch (e) { say(e.message); }
  } }, "Train");
  const compare = el("button", { class: "secondary", id: "compare", disabled: Boolean(d.problem) || d.task === "forecasting", onclick: async () => {
    try { const run = await api(`/api/projects/${project.id}/compare`, { method: "POST" }); location.hash = `#/run/${run.id}`; } catch (e) { say(e.message); }
  } }, "Is deep learning worth it? (learning curves)");
  return el("div", { class: "card" }, el("h2", {}, "Train"),
    el("label", {}, "Time budget (minutes) ", minutes),
    ["image", "text"].includes(d.kind) ? el("label", {}, fineTune, "Fine-tune the pretrained network (slower, sometimes better)") : null,
    el("label", {}, "Test share (%) ", share),
    el("div", {}, train, " ", compare));
}

function runsCard(project, rerun) {
  const runs = project.runs.filter((r) => r.kind !== "export");
  if (!runs.length) return el("div", { class: "card" }, el("h2", {}, "Runs"), el("p", { class: "muted" }, "None yet."));
  const chosen = new Set();
  const side = el("div", { id: "side-by-side" });
  const rows = runs.map((r) => el("tr", {},
    el("td", {}, r.kind === "train" && r.status === "done" ? el("input", { type: "checkbox", "aria-label": `compare run ${r.id}`, onchange: (e) => (e.target.checked ? chosen.add(r) : chosen.delete(r)) }) : null),
    el("td", {}, el("a", { href: `#/run/${r.id}` }, `run ${r.id}`)),
    el("td", {}, r.kind), el("td", { class: `status-${r.status}` }, r.status),
    el("td", {}, r.summary ? r.summary.model || r.summary.recommendation || "" : r.error || ""),
    el("td", {}, r.summary ? metricText(r.summary.test) : ""), el("td", { class: "muted" }, when(r.created)),
    el("td", {}, ["queued", "running"].includes(r.status) ? null : el("button", { class: "danger", onclick: async () => {
      await api(`/api/runs/${r.id}`, { method: "DELETE" }); rerun();
    } }, "Delete"))));
  const compare = el("button", { class: "secondary", onclick: () => {
    const picked = [...chosen];
    const keys = [...new Set(picked.flatMap((r) => Object.keys(r.summary.test)))].filter((k) => k !== "n");
    side.replaceChildren(el("table", {}, el("tr", {}, el("th", {}, ""), picked.map((r) => el("th", {}, `run ${r.id}`))),
      el("tr", {}, el("td", {}, "model"), picked.map((r) => el("td", {}, r.summary.model))),
      el("tr", {}, el("td", {}, "settings"), picked.map((r) => el("td", {}, JSON.stringify(r.settings)))),
      el("tr", {}, el("td", {}, "data fingerprint"), picked.map((r) => el("td", {}, (r.summary.fingerprint || "").slice(0, 12)))),
      keys.map((k) => el("tr", {}, el("td", {}, k), picked.map((r) => el("td", { class: "num" }, r.summary.test[k] === undefined ? "" : Number(r.summary.test[k]).toPrecision(4)))))));
  } }, "Compare the chosen runs side by side");
  return el("div", { class: "card" }, el("h2", {}, "Runs"),
    el("table", { id: "runs" }, el("tr", {}, ["", "run", "kind", "status", "model", "test", "started", ""].map((h) => el("th", {}, h))), rows),
    compare, side);
}

// -- a run: live progress, then report, try, ship ------------------------------------------
async function runView(id) {
  const run = await api(`/api/runs/${id}`);
  const status = el("p", { id: "status" });
  const stage = el("p", { class: "muted", id: "stage" });
  const bar = el("div", { class: "progress" }, el("div", { style: { width: "0%" } }));
  const curves = el("div", { id: "curves" });
  const log = el("ul", { class: "muted", id: "log" });
  const cancel = el("button", { class: "danger", id: "cancel", onclick: async () => {
    try { await api(`/api/runs/${id}/cancel`, { method: "POST" }); } catch (e) { say(e.message); }
  } }, "Cancel");
  const after = el("div", { id: "after" });
  main.replaceChildren(el("p", {}, el("a", { href: `#/project/${run.project_id}` }, "← Project")),
    el("h1", {}, `Run ${id}: ${run.kind === "train" ? "training" : run.kind}`), status, stage, bar, cancel, curves, log, after);
  const epochs = [];
  const started = Date.now();
  const show = (r) => {
    status.replaceChildren(el("span", { class: `status-${r.status}` }, r.status), r.error ? el("span", { class: "problem" }, ` — ${r.error}`) : "");
    cancel.hidden = !["queued", "running"].includes(r.status);
  };
  show(run);
  const finish = async () => {
    const now = await api(`/api/runs/${id}`);
    show(now);
    bar.hidden = stage.hidden = true;
    if (now.status === "done") await finished(now, after);
  };
  const stop = follow(`/api/runs/${id}/events`, (event) => {
    if (event.event === "progress") {
      stage.textContent = `${event.stage}: ${event.done}${event.total ? ` of ${event.total}` : ""} ${event.unit}`;
      if (event.total) bar.firstChild.style.width = `${(100 * event.done) / event.total}%`;
    } else if (event.event === "epoch") {
      epochs.push(event);
      const per = epochs.reduce((s, e) => s + e.seconds, 0) / epochs.length;
      const left = Math.max(0, (event.epochs - event.epoch) * per);
      stage.textContent = `Epoch ${event.epoch} of ${event.epochs} · about ${Math.round(left)} s left (at most; it may stop early)`;
      bar.firstChild.style.width = `${(100 * event.epoch) / event.epochs}%`;
      drawCurves(curves, epochs);
    } else if (event.event === "message") {
      log.append(el("li", {}, event.text));
      while (log.children.length > 8) log.firstChild.remove();
    } else if (event.event === "started") {
      status.textContent = `running (waited ${Math.round((Date.now() - started) / 1000)} s)`;
    }
  }, finish);
  leaving = stop;
}

function follow(path, onEvent, onEnd) {
  // Server-Sent Events read with fetch. The studio closes a stream after a few minutes
  // (and refuses one too many, 429): it is opened again from the last event seen.
  const controller = new AbortController();
  let seen = 0;
  const pause = (ms) => new Promise((done) => setTimeout(done, ms));
  (async () => {
    try {
      for (;;) {
        const answer = await fetch(`${path}?after=${seen}`, { signal: controller.signal });
        if (answer.status === 401) return enterAgain();
        if (answer.status === 429) { await pause(5000); continue; }
        if (!answer.ok) throw new Error((await answer.json()).error || `The studio answered ${answer.status}.`);
        const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            if (block.includes("event: end")) return onEnd();
            const lines = block.split("\n");
            const id = lines.find((l) => l.startsWith("id: "));
            if (id) seen = Number(id.slice(4));
            const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
            if (data) onEvent(JSON.parse(data));
          }
        }
        await pause(500);  // the stream's time was up: open it again
      }
    } catch (e) {
      if (e.name !== "AbortError") say(e.message);
    }
  })();
  return () => controller.abort();
}

function drawCurves(box, epochs) {
  const key = "val_accuracy" in epochs[0] ? "accuracy" : "r2";
  box.replaceChildren(chart("Loss (lower is better)", epochs, "loss"), chart(key === "r2" ? "R² (higher is better)" : "Accuracy (higher is better)", epochs, key));
}

function chart(title, epochs, key) {
  const W = 360, H = 160, P = 28;
  const series = [[`train_${key}`, "#1f77b4", "training"], [`val_${key}`, "#d62728", "validation"]];
  const values = epochs.flatMap((e) => series.map(([k]) => e[k])).filter(Number.isFinite);
  const low = Math.min(...values), high = Math.max(...values);
  const x = (i) => P + ((W - 2 * P) * i) / Math.max(1, epochs.length - 1);
  const y = (v) => H - P - ((H - 2 * P) * (v - low)) / (high - low || 1);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "curve");
  svg.setAttribute("width", W);
  svg.setAttribute("height", H);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${title}, per epoch`);
  const text = (s, tx, ty, color = "#333") => { const t = document.createElementNS(ns, "text"); t.setAttribute("x", tx); t.setAttribute("y", ty); t.setAttribute("font-size", "11"); t.setAttribute("fill", color); t.textContent = s; svg.append(t); };
  text(title, P, 14);
  text(high.toPrecision(3), 2, P + 4);
  text(low.toPrecision(3), 2, H - P);
  series.forEach(([k, color, name], n) => {
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", epochs.map((e, i) => `${x(i)},${y(e[k])}`).join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", color);
    line.setAttribute("stroke-width", "2");
    svg.append(line);
    text(name, W - 90, 14 + 12 * n, color);
  });
  return svg;
}

async function finished(run, box) {
  if (run.kind === "compare") {
    const img = el("img", { alt: "learning curves of the deep and classical models", style: { maxWidth: "100%" } });
    blobUrl(`/api/runs/${run.id}/curve`).then((u) => (img.src = u));
    box.replaceChildren(el("p", { id: "recommendation" }, run.summary.recommendation), img);
    return;
  }
  if (run.kind !== "train") return box.replaceChildren(el("p", {}, "Done."));
  const panels = { Report: reportPanel, Try: tryPanel, Ship: shipPanel };
  const tabs = el("div", { class: "tabs", role: "tablist" });
  const panel = el("div", { role: "tabpanel", id: "panel" });
  const open = async (name) => {
    for (const b of tabs.children) b.setAttribute("aria-selected", b.textContent === name);
    panel.replaceChildren(el("p", { class: "muted" }, "…"));
    try { panel.replaceChildren(await panels[name](run)); } catch (e) { panel.replaceChildren(el("p", { class: "problem" }, e.message)); }
  };
  for (const name of Object.keys(panels)) tabs.append(el("button", { role: "tab", id: `tab-${name.toLowerCase()}`, "aria-selected": "false", onclick: () => open(name) }, name));
  box.replaceChildren(el("p", { id: "result" }, `${run.summary.model}: ${metricText(run.summary.test)} on the test data`), tabs, panel);
  await open("Report");
}

async function reportPanel(run) {
  const html = await (await api(`/api/runs/${run.id}/report`)).text();
  const records = await api(`/api/runs/${run.id}/test-records`);
  return el("div", {}, records.length ? confusion(run, records) : null,
    el("iframe", { class: "report", title: "the model's report", sandbox: "", srcdoc: html }));
}

function confusion(run, records) {
  // the test examples in a grid of true against predicted class; a cell shows its examples
  const classes = [...new Set(records.flatMap((r) => [r.truth, r.predicted]))].sort();
  const shown = el("div", { id: "cell" });
  const open = (truth, predicted) => {
    const chosen = records.filter((r) => r.truth === truth && r.predicted === predicted);
    shown.replaceChildren(el("p", {}, `${chosen.length} test examples of '${truth}' predicted as '${predicted}':`),
      el("div", { class: "thumbs" }, chosen.slice(0, 60).map((r) => example(run, r))));
  };
  const head = el("tr", {}, el("th", {}, "true ↓ / predicted →"), classes.map((c) => el("th", {}, c)));
  const rows = classes.map((t) => el("tr", {}, el("th", {}, t), classes.map((p) => {
    const n = records.filter((r) => r.truth === t && r.predicted === p).length;
    return el("td", { class: "num" }, n ? el("button", { class: t === p ? "secondary" : "danger", "aria-label": `${n} of '${t}' predicted as '${p}'`, onclick: () => open(t, p) }, n) : "0");
  })));
  return el("div", { class: "card", id: "confusion" }, el("h2", {}, "Confusion matrix of the test data (click a cell to see its examples)"),
    el("table", {}, head, rows), shown);
}

function example(run, record) {
  const title = `${record.input}: ${record.predicted} (${percent(record.probability)})`;
  if (/\.(png|jpe?g|gif|bmp|webp|tiff?)$/i.test(record.input) && !record.input.startsWith("/")) {
    const img = el("img", { alt: title, title });
    blobUrl(`/api/projects/${run.project_id}/files/${record.input.split("/").map(encodeURIComponent).join("/")}`).then((u) => (img.src = u)).catch(() => {});
    return img;
  }
  return el("p", { class: "muted" }, title.slice(0, 300));
}

async function tryPanel(run) {
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

async function shipPanel(run) {
  const box = el("div");
  const exportBox = el("div", { id: "export" });
  const serveBox = el("div", { id: "serving" });
  const exports = (await api(`/api/projects/${run.project_id}`)).runs.filter((r) => r.kind === "export" && r.parent_id === run.id);
  const showExport = (r) => {
    if (!r) return exportBox.replaceChildren(el("button", { id: "export-int8", class: "secondary", onclick: async () => {
      const job = await api(`/api/runs/${run.id}/export`, { method: "POST" });
      showExport(job);
    } }, "Export to ONNX (int8)"));
    if (r.status === "done") {
      const check = r.summary.check;
      return exportBox.replaceChildren(el("p", {}, `Exported: ${check.metric} ${Number(check.int8 ? check.int8[`${check.metric}_exported`] : check[`${check.metric}_exported`]).toPrecision(4)} with int8, against ${Number(check[`${check.metric}_pytorch`]).toPrecision(4)} in PyTorch.`),
        el("button", { id: "download-export", onclick: () => download(`/api/runs/${r.id}/download-export`, `deepstart-onnx-${run.id}.zip`) }, "Download the ONNX export (.zip)"));
    }
    exportBox.replaceChildren(el("p", { class: r.status === "failed" ? "problem" : "muted" }, `Export ${r.status}${r.error ? `: ${r.error}` : "…"}`));
    if (["queued", "running"].includes(r.status)) setTimeout(async () => showExport(await api(`/api/runs/${r.id}`)), 1500);
  };
  showExport(exports[exports.length - 1]);
  serveBox.append(el("button", { id: "serve", class: "secondary", onclick: async () => {
    serveBox.replaceChildren(el("p", { class: "muted" }, "Starting the service…"));
    try {
      const found = await api(`/api/runs/${run.id}/serve`, { method: "POST" });
      serveBox.replaceChildren(el("p", {}, "Serving at ", el("a", { href: `${found.url}#token=${found.token}`, target: "_blank", rel: "noopener" }, found.url),
        " (its page and the line below carry its own token)"),
        el("code", { class: "curl", id: "curl" }, found.curl),
        el("button", { class: "danger", onclick: async () => { await api(`/api/runs/${run.id}/serve`, { method: "DELETE" }); serveBox.replaceChildren(el("p", {}, "Stopped.")); } }, "Stop serving"));
    } catch (e) { serveBox.replaceChildren(el("p", { class: "problem" }, e.message)); }
  } }, "Serve it (REST service on this machine)"));
  box.append(el("h2", {}, "Download"), el("button", { id: "download-model", onclick: () => download(`/api/runs/${run.id}/download`, `deepstart-model-${run.id}.zip`) }, "Download the model folder (.zip)"),
    el("h2", {}, "Export"), exportBox, el("h2", {}, "Serve"), serveBox);
  return box;
}

window.addEventListener("hashchange", route);
route();
showQueue();
setInterval(showQueue, 3000);
