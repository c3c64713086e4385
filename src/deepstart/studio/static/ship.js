// A trained model's Ship tab: download the model folder, export it to ONNX (int8) with
// its check said in words (on what, how many), and serve it as a REST service on this
// machine, with a curl line that sends a real example and a button to copy it.

import { api, download } from "./api.js";
import { el, shown } from "./dom.js";

export async function shipPanel(run) {
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
      return exportBox.replaceChildren(el("p", { id: "export-check" }, checked(r.summary.check)),
        el("button", { id: "download-export", onclick: () => download(`/api/runs/${r.id}/download-export`, `deepstart-onnx-${run.id}.zip`) }, "Download the ONNX export (.zip)"));
    }
    exportBox.replaceChildren(el("p", { class: r.status === "failed" ? "problem" : "muted" }, `Export ${r.status}${r.error ? `: ${r.error}` : "…"}`));
    if (["queued", "running"].includes(r.status)) setTimeout(async () => showExport(await api(`/api/runs/${r.id}`)), 1500);
  };
  showExport(exports[exports.length - 1]);
  serveBox.append(el("button", { id: "serve", class: "secondary", onclick: async () => {
    serveBox.replaceChildren(el("p", { class: "muted" }, "Starting the service…"));
    try { serveBox.replaceChildren(...served(run, await api(`/api/runs/${run.id}/serve`, { method: "POST" }), serveBox)); }
    catch (e) { serveBox.replaceChildren(el("p", { class: "problem" }, e.message)); }
  } }, "Serve it (REST service on this machine)"));
  box.append(el("h2", {}, "Download"), el("button", { id: "download-model", onclick: () => download(`/api/runs/${run.id}/download`, `deepstart-model-${run.id}.zip`) }, "Download the model folder (.zip)"),
    el("h2", {}, "Export"), exportBox, el("h2", {}, "Serve"), serveBox);
  return box;
}

function checked(check) {
  // "Checked on the test split (40 images): accuracy 92.5 % with int8, 92.5 % in PyTorch."
  const metric = check.metric, after = check.int8 || check;
  const value = (v) => (metric === "accuracy" ? `${(100 * v).toFixed(1)} %` : shown(Number(v)));
  const name = metric === "accuracy" ? metric : metric.toUpperCase();
  return `Checked on ${check.data}: ${name} ${value(after[`${metric}_exported`])} with int8, against ${value(check[`${metric}_pytorch`])} in PyTorch.`;
}

function served(run, found, box) {
  const file = found.curl.match(/-F file=@(\S+)/);
  const copy = el("button", { class: "secondary", id: "copy-curl", onclick: async () => {
    try { await navigator.clipboard.writeText(found.curl); copy.textContent = "Copied"; } catch { copy.textContent = "Select the line and copy it"; }
    setTimeout(() => (copy.textContent = "Copy"), 2000);
  } }, "Copy");
  const example = file ? el("p", { class: "muted" }, "The line sends an example of the test data: ",
    el("button", { class: "secondary", id: "download-example", onclick: () => download(`/api/runs/${run.id}/example-file`, file[1].replace(/^'|'$/g, "")) }, `Download ${file[1].replace(/^'|'$/g, "")}`),
    ", then run the line in the folder it is saved in.") : null;
  return [el("p", {}, "Serving at ", el("a", { href: `${found.url}#token=${found.token}`, target: "_blank", rel: "noopener" }, found.url),
    " (its page and the line below carry its own token)"),
  el("div", { class: "curl-box" }, el("code", { class: "curl", id: "curl" }, found.curl), copy), example,
  el("button", { class: "danger", onclick: async () => { await api(`/api/runs/${run.id}/serve`, { method: "DELETE" }); box.replaceChildren(el("p", {}, "Stopped.")); } }, "Stop serving")];
}
