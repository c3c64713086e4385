// The page at / of `deepstart serve`: it reads /metadata and draws everything from it (what
// the model reads and predicts, the form to try it, how it did on held-out data), then
// sends one input to /predict and /explain and shows their answers.
import {$, fail, say} from "./dom.js";
import {clearWhy, showAnswer, showWhy} from "./answer.js";
import {FORMS} from "./forms.js";

const ENGINES = {pytorch: "PyTorch", onnxruntime: "ONNX Runtime"};
let meta = null, token = "", built = false;
if (location.hash.startsWith("#token=")) {  // a link with the token (the studio's): kept out of history
  token = decodeURIComponent(location.hash.slice(7));
  history.replaceState(null, "", location.pathname);
}

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (token) h["Authorization"] = "Bearer " + token;
  return h;
}

async function call(path, options) {
  const response = await fetch(path, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = {error: "The service sent no readable answer."}; }
  if (response.status === 401) { askToken(); throw new Error("The service did not accept the token."); }
  if (!response.ok) throw new Error(body.error || ("Error " + response.status));
  return body;
}

function askToken() {
  $("auth").hidden = false; $("main").hidden = true;
  $("about").textContent = "";
  $("token").focus();
}

async function start() {
  try {
    meta = await call("/metadata", {headers: headers()});
  } catch (e) {
    if ($("auth").hidden) { $("about").textContent = e.message; $("about").className = "error"; }
    else $("auth-error").textContent = token ? e.message : "";
    return;
  }
  $("auth").hidden = true; $("main").hidden = false;
  describe();
  if (!built) build();
  say("");
}

function describe() {
  const classes = meta.classes && meta.classes.length ? ": " + meta.classes.join(", ") : "";
  $("about").textContent = "This model reads " + meta.noun + " and predicts " + meta.predicts + classes + ".";
  $("about").className = "muted";
  const m = meta.test_metrics || {};
  const tested = m.accuracy !== undefined ? "right " + (100 * m.accuracy).toFixed(1).replace(/\.0$/, "") + " % of the time"
    : m.rmse !== undefined ? "off by " + m.rmse.toPrecision(3) + " on average (RMSE)"
    : m.mase !== undefined ? "at MASE " + m.mase.toPrecision(3) + " (below 1 beats seasonal naive)"
    : m.map50 !== undefined ? "at " + (100 * m.map50).toFixed(1) + " % mAP (boxes right at IoU 0.5)" : "";
  $("details").textContent = "Model: " + meta.model + (meta.int8 ? " (8-bit)" : "") + " \u00b7 run by " +
    (ENGINES[meta.engine] || meta.engine) +
    (tested ? " \u00b7 on " + (m.n ? m.n + " " : "") + "held-out examples it was " + tested : "") + ".";
}

function build() {
  const ask = meta.try || {}, form = FORMS[ask.form], box = $(ask.form + "-input");
  if (!form || !box) {
    fail("This page has no form for this model's inputs ('" + ask.form + "'); send them to /predict (see /docs).");
    return;
  }
  $("try-title").textContent = "Try one of your " + meta.noun;
  box.hidden = false;
  form(ask, send, meta);
  built = true;
}

// body: FormData (uploads) or JSON text; sent: the values sent by name, to name each contribution.
async function send(body, contentType, sent) {
  say("Asking the model...");
  $("result").style.opacity = 0.4; $("why").hidden = true;
  const options = () => ({method: "POST", body: body,
                          headers: headers(contentType ? {"Content-Type": contentType} : {})});
  try {
    const answer = await call("/predict", options());
    const prediction = answer.predictions[0];
    if (prediction.error) throw new Error(prediction.error);
    say("");
    showAnswer(prediction, meta.predicts, meta.classes);
    $("result").style.opacity = 1;
    const box = $("answer-box").getBoundingClientRect();
    if (box.top > window.innerHeight - 80) $("answer-box").scrollIntoView({behavior: "smooth"});
    if (!meta.explain) return;
    $("why").hidden = false;
    clearWhy("Working out why...");
    showWhy(await call("/explain", options()), sent);
  } catch (e) {
    fail(e.message);
  }
}

$("auth").addEventListener("submit", (e) => { e.preventDefault(); token = $("token").value; start(); });
start();
