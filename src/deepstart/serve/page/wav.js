// Recording from the microphone for both pages (serve's, and the studio's through its /page
// mount): the Web Audio API's samples brought down to the rate asked for (each new sample
// the mean of those it stands for), then a 16-bit PCM WAV file of one channel, which the
// server's libsndfile reads.

export function downsampled(samples, from, to) {
  if (from <= to) return samples;
  const ratio = from / to, out = new Float32Array(Math.floor(samples.length / ratio));
  for (let i = 0; i < out.length; i++) {  // the mean of the samples each new one stands for
    const a = Math.floor(i * ratio), b = Math.min(samples.length, Math.floor((i + 1) * ratio));
    let sum = 0;
    for (let j = a; j < b; j++) sum += samples[j];
    out[i] = sum / Math.max(1, b - a);
  }
  return out;
}

export function wavFile(samples, rate) {
  const view = new DataView(new ArrayBuffer(44 + 2 * samples.length));
  const text = (at, s) => { for (let i = 0; i < s.length; i++) view.setUint8(at + i, s.charCodeAt(i)); };
  text(0, "RIFF"); view.setUint32(4, 36 + 2 * samples.length, true); text(8, "WAVE");
  text(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
  view.setUint32(24, rate, true); view.setUint32(28, 2 * rate, true); view.setUint16(32, 2, true);
  view.setUint16(34, 16, true); text(36, "data"); view.setUint32(40, 2 * samples.length, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + 2 * i, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return view.buffer;
}

export const MAX_RECORD_S = 30, WAV_RATE = 16000;

// Starts taking the microphone's samples (stream from getUserMedia); after MAX_RECORD_S
// seconds onTimeout() is called. Returns the recorder recorded() ends.
export async function listen(stream, onTimeout) {
  const context = new (window.AudioContext || window.webkitAudioContext)();
  if (context.state === "suspended") await context.resume();  // after the permission prompt, it may start so
  const source = context.createMediaStreamSource(stream);
  const node = context.createScriptProcessor(4096, 1, 1);  // its output stays silent: no echo
  const chunks = [];
  node.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
  source.connect(node);
  node.connect(context.destination);
  return {stream, context, source, node, chunks, timer: setTimeout(onTimeout, MAX_RECORD_S * 1000)};
}

// Stops a recorder: the recording as a WAV Blob, or null when under a quarter of a second.
export async function recorded(r) {
  clearTimeout(r.timer);
  r.node.disconnect(); r.source.disconnect();
  r.stream.getTracks().forEach((track) => track.stop());
  const rate = r.context.sampleRate;
  await r.context.close();
  const samples = new Float32Array(r.chunks.reduce((n, c) => n + c.length, 0));
  r.chunks.reduce((at, c) => (samples.set(c, at), at + c.length), 0);
  if (samples.length < rate / 4) return null;
  return new Blob([wavFile(downsampled(samples, rate, WAV_RATE), WAV_RATE)], {type: "audio/wav"});
}
