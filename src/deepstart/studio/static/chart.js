// A line chart as SVG, drawn to its card's width: lines one after another along the
// same axis (a history, then its forecast), each point {x: its label, y: its value}.

const NS = "http://www.w3.org/2000/svg";

function node(tag, attrs, text) {
  const made = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) made.setAttribute(k, v);
  if (text !== undefined) made.textContent = text;
  return made;
}

export function chart(title, lines, id) {
  const W = Math.max(300, Math.min(640, innerWidth - 40)), H = 250, L = 52, R = 12, T = 44, B = 28;  // text stays readable on a phone
  const all = lines.flatMap((l) => l.points);
  const values = all.map((p) => p.y).filter(Number.isFinite);
  const low = Math.min(...values), high = Math.max(...values);
  const x = (i) => L + ((W - L - R) * i) / Math.max(1, all.length - 1);
  const y = (v) => H - B - ((H - T - B) * (v - low)) / (high - low || 1);
  const svg = node("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, ...(id ? { id } : {}) });
  svg.append(node("text", { x: L, y: 16, "font-size": 13, fill: "#333" }, title));
  svg.append(node("text", { x: 4, y: T + 4, "font-size": 11, fill: "#555" }, Number(high.toPrecision(4))));
  svg.append(node("text", { x: 4, y: H - B, "font-size": 11, fill: "#555" }, Number(low.toPrecision(4))));
  svg.append(node("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#ccc" }));
  if (all.length) {
    svg.append(node("text", { x: L, y: H - 8, "font-size": 11, fill: "#555" }, String(all[0].x ?? "")));
    svg.append(node("text", { x: W - R, y: H - 8, "font-size": 11, fill: "#555", "text-anchor": "end" }, String(all[all.length - 1].x ?? "")));
  }
  let at = 0, last = null;
  lines.forEach((line, n) => {
    const points = line.points.map((p, i) => [x(at + i), y(p.y)]);
    const joined = last && line.points.length ? [last, ...points] : points;  // one line goes on from the other
    svg.append(node("polyline", { points: joined.map(([a, b]) => `${a},${b}`).join(" "), fill: "none", stroke: line.color, "stroke-width": 2,
      ...(line.dashed ? { "stroke-dasharray": "6 4" } : {}), class: `line-${line.name}` }));
    svg.append(node("text", { x: L + 90 * n, y: 34, "font-size": 12, fill: line.color }, `${line.dashed ? "- - " : "— "}${line.name}`));
    at += line.points.length;
    if (points.length) last = points[points.length - 1];
  });
  return svg;
}
