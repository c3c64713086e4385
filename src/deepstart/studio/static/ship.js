// A trained model's Ship tab: download the model folder, export it to ONNX (int8), and
// serve it as a REST service on this machine.

import { api, download } from "./api.js";
import { el } from "./dom.js";

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
