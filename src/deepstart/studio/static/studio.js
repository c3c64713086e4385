// deepstart studio: the page's entry. Plain JavaScript modules, no build step; this one
// routes between the views (home, a project, a run) and shows what is training.
// Every name that comes from data is set as text (textContent), never as HTML.

import { api } from "./api.js";
import { el, leaveView, main } from "./dom.js";
import { homeView } from "./home.js";
import { projectView } from "./project.js";
import { runView } from "./run.js";

if (location.search) history.replaceState(null, "", location.pathname + location.hash);  // the link's token

async function route() {
  leaveView();
  const [, view, id] = location.hash.split("/");
  try {
    if (view === "project") await projectView(Number(id));
    else if (view === "run") await runView(Number(id));
    else await homeView();
  } catch (e) {
    main.replaceChildren(el("p", { class: "problem" }, e.message), el("a", { href: "#/" }, "Back to the projects"));
  }
  main.focus();
}

async function showQueue() {
  try {
    const queue = await api("/api/queue");
    const running = queue.running.map((r) => `run ${r.id}`).join(", ");
    document.getElementById("queue").textContent =
      (running ? `training: ${running}` : "nothing training") + (queue.queued.length ? `; waiting: ${queue.queued.length}` : "");
  } catch {  // the studio stopped: the banner says so (api.js)
    document.getElementById("queue").textContent = "";
  }
}

window.addEventListener("hashchange", route);
route();
showQueue();
setInterval(showQueue, 3000);
