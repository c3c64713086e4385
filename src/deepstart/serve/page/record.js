// Recording from the microphone with the Web Audio API, sent as a 16 kHz, 16-bit WAV file
// (MediaRecorder gives WebM/Opus, which the server's libsndfile cannot decode).
import {$, fail} from "./dom.js";
import {MAX_RECORD_S, listen, recorded} from "./wav.js";

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
  recorder = await listen(stream, () => stopRecording(onSound));
  $("record").textContent = "\u25A0 Stop";
  $("record").classList.add("recording");
  $("record-note").textContent = "Recording... press Stop when done (at most " + MAX_RECORD_S + " s).";
}

async function stopRecording(onSound) {
  if (!recorder) return;
  const r = recorder;
  recorder = null;
  const blob = await recorded(r);
  $("record").textContent = "\u25CF Record";
  $("record").classList.remove("recording");
  $("record-note").textContent = "Record again, or choose a file.";
  if (!blob) { fail("The recording is too short; record for a second or more."); return; }
  onSound(blob, "recording.wav");
}
