// The page's small helpers: find an element, make one, say something in the status line.
export const $ = (id) => document.getElementById(id);

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function say(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "muted";
}

export function fail(message) {
  $("result").style.opacity = 1; $("result").hidden = true; $("why").hidden = true; $("waiting").hidden = true;
  say(message, true);
}
