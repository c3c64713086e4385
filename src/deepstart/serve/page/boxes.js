// Boxes drawn over the photo sent, from an answer's "boxes" ([{label, score, box: [x0, y0,
// x1, y1]}], in the photo's own pixels): drawn on a canvas the photo's size, which then
// takes the photo's place; the photo itself is kept to draw the next answer on.
import {el} from "./dom.js";

const COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"];

export function colourOf(label, labels) {
  return COLOURS[Math.max(0, labels.indexOf(label)) % COLOURS.length];
}

export async function drawBoxes(img, boxes, labels) {
  if (!img.dataset.plain || img.src.startsWith("blob:")) img.dataset.plain = img.src;  // a new photo
  const photo = new Image();
  photo.src = img.dataset.plain;
  await photo.decode();
  const canvas = document.createElement("canvas");
  canvas.width = photo.naturalWidth; canvas.height = photo.naturalHeight;
  const pen = canvas.getContext("2d");
  pen.drawImage(photo, 0, 0);
  const thick = Math.max(2, Math.round(Math.max(canvas.width, canvas.height) / 250));
  pen.lineWidth = thick;
  pen.font = Math.max(12, 4 * thick) + "px sans-serif";
  pen.textBaseline = "bottom";
  for (const b of boxes) {
    const [x0, y0, x1, y1] = b.box, colour = colourOf(b.label, labels);
    pen.strokeStyle = colour;
    pen.strokeRect(x0, y0, x1 - x0, y1 - y0);
    const text = b.label + (b.score !== undefined ? " " + b.score.toFixed(2) : "");
    const width = pen.measureText(text).width + 2 * thick, height = Math.max(12, 4 * thick) + thick;
    const top = Math.max(height, y0);
    pen.fillStyle = colour;
    pen.fillRect(x0, top - height, width, height);
    pen.fillStyle = "white";
    pen.fillText(text, x0 + thick, top);
  }
  img.src = canvas.toDataURL("image/png");
}

// How many of each class were found, as a list.
export function boxesFound(boxes, labels) {
  const counts = {};
  for (const b of boxes) counts[b.label] = (counts[b.label] || 0) + 1;
  const list = el("ul", "found");
  for (const [label, n] of Object.entries(counts).sort()) {
    const item = el("li", "", n + " \u00d7 " + label);
    item.style.color = colourOf(label, labels);
    list.append(item);
  }
  return list;
}
