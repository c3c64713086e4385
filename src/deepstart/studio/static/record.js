// Recording from the microphone, as serve's page does it (src/deepstart/serve/page/record.js):
// the Web Audio API's samples, sent as a 16 kHz, 16-bit WAV file (MediaRecorder gives
// WebM/Opus, which the server's libsndfile cannot decode). Record, Stop, play it back.

import { el, onLeaving, say } from "./dom.js";
import { MAX_RECORD_S, listen, recorded } from "/page/wav.js";  // serve's page's own

// A Record/Stop button and a player; onSound(blob, name) gets each recording.
export function microphone(onSound) {
  let recorder = null;
  const button = el("button", { id: "record", class: "secondary" }, "● Record");
  const note = el("span", { class: "muted", id: "record-note" }, " or record from the microphone");
  const playback = el("audio", { id: "playback", controls: true, hidden: true });
  const start = async () => {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return say("This page cannot use the microphone here (browsers allow it on this machine's own address or over HTTPS); choose a file instead.");
    }
    button.disabled = true;  // until the browser has asked for the microphone
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      return say(`The microphone cannot be used (${e.message}); allow it, or choose a file.`);
    } finally {
      button.disabled = false;
    }
    recorder = await listen(stream, stop);
    button.textContent = "■ Stop";
    note.textContent = ` Recording… press Stop when done (at most ${MAX_RECORD_S} s).`;
  };
  const stop = async () => {
    if (!recorder) return;
    const r = recorder;
    recorder = null;
    const blob = await recorded(r);
    button.textContent = "● Record";
    note.textContent = " Record again, or choose a file.";
    if (!blob) return say("The recording is too short; record for a second or more.");
    playback.src = URL.createObjectURL(blob);
    playback.hidden = false;
    onSound(blob, "recording.wav");
  };
  button.addEventListener("click", () => (recorder ? stop() : start()));
  onLeaving(() => recorder && recorder.stream.getTracks().forEach((t) => t.stop()));
  return el("div", { class: "recorder" }, button, note, el("div", {}, playback));
}
