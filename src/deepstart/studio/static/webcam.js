// A project's webcam card: name a class, hold the button, and the photos are sent to the
// project in batches.

import { api } from "./api.js";
import { el, onLeaving, say } from "./dom.js";

export function webcamCard(project, rerun) {
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
  onLeaving(() => stream && stream.getTracks().forEach((t) => t.stop()));
  return el("div", { class: "card" }, el("h2", {}, "Photos from the webcam"),
    el("p", { class: "muted" }, "Name a class, then hold the button: a photo is taken every 0.15 s. Do the same for each other class."),
    camera, " ", el("label", {}, "Class ", label), hold, " ", count, el("div", {}, video));
}
