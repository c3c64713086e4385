// Boxes drawn over photos: a project's sample photos with their true boxes, and the photo
// tried with the boxes the model found ({label, score, box: [x0, y0, x1, y1]} in the photo's
// pixels). Each is drawn on a canvas the photo's size, which takes the photo's place.
// Names from data are drawn as text on the canvas, never set as HTML.

import { el } from "./dom.js";

const COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"];
const colourOf = (label, labels) => COLOURS[Math.max(0, labels.indexOf(label)) % COLOURS.length];

// Draws boxes on img once its photo (a blob: URL) has loaded, and again for each new photo.
export function boxesOn(img, boxes, labels) {
  const draw = () => { if (img.src.startsWith("blob:")) drawn(img, boxes, labels); };
  img.addEventListener("load", draw);
  if (img.complete && img.naturalWidth) draw();
  return img;
}

async function drawn(img, boxes, labels) {
  const photo = new Image();
  photo.src = img.src;
  await photo.decode();
  const canvas = el("canvas", { width: photo.naturalWidth, height: photo.naturalHeight });
  const pen = canvas.getContext("2d");
  pen.drawImage(photo, 0, 0);
  const thick = Math.max(2, Math.round(Math.max(canvas.width, canvas.height) / 250)), size = Math.max(12, 4 * thick);
  pen.lineWidth = thick;
  pen.font = `${size}px sans-serif`;
  pen.textBaseline = "bottom";
  for (const b of boxes) {
    const [x0, y0, x1, y1] = b.box, colour = colourOf(b.label, labels);
    const text = b.score !== undefined ? `${b.label} ${b.score.toFixed(2)}` : b.label, top = Math.max(size + thick, y0);
    pen.strokeStyle = colour;
    pen.strokeRect(x0, y0, x1 - x0, y1 - y0);
    pen.fillStyle = colour;
    pen.fillRect(x0, top - size - thick, pen.measureText(text).width + 2 * thick, size + thick);
    pen.fillStyle = "white";
    pen.fillText(text, x0 + thick, top);
  }
  img.src = canvas.toDataURL("image/png");
}

// A model's answer of boxes: drawn over the photo tried (the img in #try-preview), and counted.
export function boxesFound(p, info) {
  const img = document.querySelector("#try-preview img");
  if (img) boxesOn(img, p.boxes, info.classes || []);
  const counts = {};
  for (const b of p.boxes) counts[b.label] = (counts[b.label] || 0) + 1;
  return el("div", { id: "boxes-found" }, el("p", { id: "label" }, p.boxes.length ? `Found ${p.boxes.length}:` : "Nothing found."),
    el("ul", {}, Object.entries(counts).sort().map(([label, n]) => el("li", { style: { color: colourOf(label, info.classes || []) } }, `${n} × ${label}`))));
}
