// The page's building blocks: the `el` helper, the message line, the view's leaving hook,
// and the formatting of numbers and times. Every name that comes from data is set as text
// (textContent, text nodes), never as HTML.

export const main = document.getElementById("main");

let leaving = [];  // what stops what the current view follows (events, camera, timers) when it changes

export function onLeaving(stop) {
  leaving.push(stop);
}

export function leaveView() {
  for (const stop of leaving.splice(0)) {
    try { stop(); } catch { /* gone already */ }
  }
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "style") Object.assign(node.style, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function say(text) {
  const box = document.getElementById("message");
  box.textContent = text;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => (box.textContent = ""), 8000);
}

// A wide table scrolls inside its card, never the page.
export const scrolling = (...children) => el("div", { class: "scroll" }, ...children);

// A number as people read it: whole numbers as they are (a step is 1, not 1.0000).
export const shown = (v) => (typeof v !== "number" ? v : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(5))));

export const percent = (x) => `${(100 * x).toFixed(1)} %`;
export const when = (t) => (t ? new Date(t * 1000).toLocaleString() : "");

export function metricText(test) {
  if (!test) return "";
  if ("accuracy" in test) return `accuracy ${percent(test.accuracy)}`;
  if ("rmse" in test) return `RMSE ${Number(test.rmse).toPrecision(4)}`;
  if ("mase" in test) return `MASE ${Number(test.mase).toFixed(3)}`;
  return "";
}
