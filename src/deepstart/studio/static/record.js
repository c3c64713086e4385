// Recording from the microphone, as serve's page does it (src/deepstart/serve/page/record.js):
// the Web Audio API's samples, sent as a 16 kHz, 16-bit WAV file (MediaRecorder gives
// WebM/Opus, which the server's libsndfile cannot decode). Record, Stop, play it back.

import { el, onLeaving, say } from "./dom.js";
import { downsampled, wavFile } from "/page/wav.js";  // serve's page's own

const MAX_RECORD_S = 30, WAV_RATE = 16000;

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
    const context = new AudioContext();
    if (context.state === "suspended") await context.resume();
    const source = context.createMediaStreamSource(stream);
    const node = context.createScriptProcessor(4096, 1, 1);  // its output stays silent: no echo
    const chunks = [];
    node.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
    source.connect(node);
    node.connect(context.destination);
    recorder = { stream, context, source, node, chunks, timer: setTimeout(stop, MAX_RECORD_S * 1000) };
    button.textContent = "■ Stop";
    note.textContent = ` Recording… press Stop when done (at most ${MAX_RECORD_S} s).`;
  };
  const stop = async () => {
    if (!recorder) return;
    const r = recorder;
    recorder = null;
    clearTimeout(r.timer);
    r.node.disconnect(); r.source.disconnect();
    r.stream.getTracks().forEach((t) => t.stop());
    const rate = r.context.sampleRate;
    await r.context.close();
    button.textContent = "● Record";
    note.textContent = " Record again, or choose a file.";
    const samples = new Float32Array(r.chunks.reduce((n, c) => n + c.length, 0));
    r.chunks.reduce((at, c) => (samples.set(c, at), at + c.length), 0);
    if (samples.length < rate / 4) return say("The recording is too short; record for a second or more.");
    const blob = new Blob([wavFile(downsampled(samples, rate, WAV_RATE), WAV_RATE)], { type: "audio/wav" });
    playback.src = URL.createObjectURL(blob);
    playback.hidden = false;
    onSound(blob, "recording.wav");
  };
  button.addEventListener("click", () => (recorder ? stop() : start()));
  onLeaving(() => recorder && recorder.stream.getTracks().forEach((t) => t.stop()));
  return el("div", { class: "recorder" }, button, note, el("div", {}, playback));
}
