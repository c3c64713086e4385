// Try a photo model live on the webcam (as Teachable Machine does): a frame every few
// tenths of a second is sent to the model, one at a time, and its answer is drawn as
// bars under the picture.

import { api } from "./api.js";
import { el, onLeaving, say } from "./dom.js";
import { bars } from "./answer.js";

const EVERY_MS = 250;  // the next frame is sent this long after the last answer came

export function liveCamera(run) {
  const video = el("video", { autoplay: true, muted: true, playsinline: true, hidden: true, id: "live-video" });
  const shown = el("div", { id: "live-answer", "aria-live": "polite" });
  const rate = el("span", { class: "muted", id: "live-rate" });
  let stream = null, timer = null, answered = [];
  const frame = () => new Promise((done) => {
    const side = Math.min(video.videoWidth, video.videoHeight) || 224;
    const canvas = el("canvas", { width: 224, height: 224 });
    canvas.getContext("2d").drawImage(video, (video.videoWidth - side) / 2, (video.videoHeight - side) / 2, side, side, 0, 0, 224, 224);
    canvas.toBlob(done, "image/jpeg", 0.9);
  });
  const next = async () => {
    if (!stream) return;
    try {
      const form = new FormData();
      form.append("file", await frame(), "webcam.jpg");
      const found = (await api(`/api/runs/${run.id}/predict`, { method: "POST", form })).predictions[0];
      if (!stream) return;
      shown.replaceChildren(el("p", { id: "live-label" }, "Now: ", el("strong", {}, found.label)), bars(found.probabilities));
      const now = performance.now();
      answered = [...answered.filter((t) => now - t < 3000), now];
      rate.textContent = `${(answered.length / 3).toFixed(1)} predictions a second`;
    } catch (e) { say(e.message); }
    if (stream) timer = setTimeout(next, EVERY_MS);
  };
  const stop = () => {
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.hidden = true;
    button.textContent = "Try it live on the webcam";
  };
  const button = el("button", { class: "secondary", id: "live", onclick: async () => {
    if (stream) return stop();
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: true });
    } catch (e) { return say(`The camera cannot be used (${e.message}); allow it, or choose a file.`); }
    video.srcObject = stream;
    video.hidden = false;
    button.textContent = "Stop the webcam";
    video.onloadeddata = () => next();
  } }, "Try it live on the webcam");
  onLeaving(stop);
  return el("div", { class: "live" }, button, " ", rate, el("div", { class: "live-view" }, video, shown));
}
