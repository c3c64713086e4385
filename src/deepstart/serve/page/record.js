// Recording from the microphone with the Web Audio API, sent as a 16 kHz, 16-bit WAV file
// (MediaRecorder gives WebM/Opus, which the server's libsndfile cannot decode).
import {$, fail} from "./dom.js";
import {downsampled, wavFile} from "./wav.js";

const MAX_RECORD_S = 30, WAV_RATE = 16000;
let recorder = null;

// Shows the Record button; onSound(blob, name) gets each recording.
export function useMicrophone(onSound) {
  $("microphone").hidden = false;
  $("record").addEventListener("click", () => (recorder ? stopRecording(onSound) : startRecording(onSound)));
}

async function startRecording(onSound) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    fail("This page cannot use the microphone here (browsers allow it only on secure (TLS) pages or on localhost); " +
         "choose a file instead.");
    return;
  }
  let stream;
  $("record").disabled = true;  // until the browser has asked for the microphone
  try {
    stream = await navigator.mediaDevices.getUserMedia({audio: true});
  } catch (e) {
    fail("The microphone cannot be used (" + e.message + "); allow it, or choose a file.");
    return;
  } finally {
    $("record").disabled = false;
  }
  const context = new (window.AudioContext || window.webkitAudioContext)();
  if (context.state === "suspended") await context.resume();  // after the permission prompt, it may start so
  const source = context.createMediaStreamSource(stream);
  const node = context.createScriptProcessor(4096, 1, 1);  // its output stays silent: no echo
  const chunks = [];
  node.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
  source.connect(node);
  node.connect(context.destination);
  const timer = setTimeout(() => stopRecording(onSound), MAX_RECORD_S * 1000);
  recorder = {stream, context, source, node, chunks, timer};
  $("record").textContent = "\u25A0 Stop";
  $("record").classList.add("recording");
  $("record-note").textContent = "Recording... press Stop when done (at most " + MAX_RECORD_S + " s).";
}

async function stopRecording(onSound) {
  if (!recorder) return;
  const r = recorder;
  recorder = null;
  clearTimeout(r.timer);
  r.node.disconnect(); r.source.disconnect();
  r.stream.getTracks().forEach((track) => track.stop());
  const rate = r.context.sampleRate;
  await r.context.close();
  $("record").textContent = "\u25CF Record";
  $("record").classList.remove("recording");
  $("record-note").textContent = "Record again, or choose a file.";
  const samples = new Float32Array(r.chunks.reduce((n, c) => n + c.length, 0));
  r.chunks.reduce((at, c) => (samples.set(c, at), at + c.length), 0);
  if (samples.length < rate / 4) { fail("The recording is too short; record for a second or more."); return; }
  onSound(new Blob([wavFile(downsampled(samples, rate, WAV_RATE), WAV_RATE)], {type: "audio/wav"}),
          "recording.wav");
}
