// Talking to the studio: JSON requests, uploads with progress, downloads, and the
// event stream of a run (`follow`).

import { el, say } from "./dom.js";

// The studio's secret travels in an HttpOnly cookie (set when its printed link was opened),
// which the browser sends with this page's own requests only. Without it (a restarted
// studio has a new one), the bare address says how to get in.
export function enterAgain() {
  location.reload();
  return new Promise(() => {});
}

// Whether the studio answers: a banner says when it does not, and views listen for the
// change ("studio-reachable" on window, its detail true or false).
let reached = true;
export function reachable(now) {
  if (now === reached) return;
  reached = now;
  document.getElementById("offline").hidden = now;
  window.dispatchEvent(new CustomEvent("studio-reachable", { detail: now }));
}

const UNREACHABLE = "The studio cannot be reached: it may have stopped. This page goes on once it runs again.";

async function reach(path, options) {
  try {
    const answer = await fetch(path, options);
    reachable(true);
    return answer;
  } catch (e) {
    if (e.name === "AbortError") throw e;
    reachable(false);
    throw new Error(UNREACHABLE);
  }
}

export async function api(path, { method = "GET", json, form } = {}) {
  const options = { method, headers: {} };
  if (json !== undefined) {
    options.headers["content-type"] = "application/json";
    options.body = JSON.stringify(json);
  } else if (form) options.body = form;
  const answer = await reach(path, options);
  if (answer.status === 401) return enterAgain();
  const type = answer.headers.get("content-type") || "";
  const body = type.includes("json") ? await answer.json() : await answer.blob();
  if (!answer.ok) throw new Error(body.error || `The studio answered ${answer.status}.`);
  return body;
}

export function upload(path, form, progressBar) {
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
    request.onerror = () => { reachable(false); reject(new Error(UNREACHABLE)); };
    request.send(form);
  });
}

export async function download(path, name) {
  const blob = await api(path);
  const link = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

export async function blobUrl(path) {
  return URL.createObjectURL(await api(path));
}

export function follow(path, onEvent, onEnd) {
  // Server-Sent Events read with fetch. The studio closes a stream after a few minutes
  // (and refuses one too many, 429): it is opened again from the last event seen.
  const controller = new AbortController();
  let seen = 0;
  const pause = (ms) => new Promise((done) => setTimeout(done, ms));
  (async () => {
    try {
      for (;;) {
        let answer;
        try {
          answer = await reach(`${path}?after=${seen}`, { signal: controller.signal });
        } catch (e) {
          if (e.name === "AbortError") throw e;
          await pause(2000);  // the studio is down: try again, from the last event seen
          continue;
        }
        if (answer.status === 401) return enterAgain();
        if (answer.status === 429) { await pause(5000); continue; }
        if (!answer.ok) throw new Error((await answer.json()).error || `The studio answered ${answer.status}.`);
        const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          let value, done;
          try {
            ({ value, done } = await reader.read());
          } catch (e) {
            if (e.name === "AbortError") throw e;
            reachable(false);  // the stream broke off: the studio stopped
            break;
          }
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
