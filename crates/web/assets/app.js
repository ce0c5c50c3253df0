// leaktrace web UI: pan and zoom on network drawings, and evidence shown
// beside the graph when a node or edge is clicked. Every page works without
// this file; links then open the evidence as its own page.
"use strict";
document.documentElement.dataset.js = "ready";

function initGraph(svg) {
  const vb = svg.viewBox.baseVal;
  const home = [vb.x, vb.y, vb.width, vb.height];
  let drag = null;
  const point = (e) => {
    const r = svg.getBoundingClientRect();
    return [vb.x + (e.clientX - r.left) / r.width * vb.width, vb.y + (e.clientY - r.top) / r.height * vb.height];
  };
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const [px, py] = point(e);
    const k = e.deltaY > 0 ? 1.15 : 1 / 1.15;
    vb.x = px - (px - vb.x) * k; vb.y = py - (py - vb.y) * k;
    vb.width *= k; vb.height *= k;
  }, { passive: false });
  svg.addEventListener("pointerdown", (e) => {
    if (e.target.closest("a")) return;
    drag = { x: e.clientX, y: e.clientY, vx: vb.x, vy: vb.y };
    svg.setPointerCapture(e.pointerId);
    svg.style.cursor = "grabbing";
  });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    vb.x = drag.vx - (e.clientX - drag.x) / r.width * vb.width;
    vb.y = drag.vy - (e.clientY - drag.y) / r.height * vb.height;
  });
  const end = () => { drag = null; svg.style.cursor = ""; };
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);
  svg.addEventListener("dblclick", () => { [vb.x, vb.y, vb.width, vb.height] = home; });

  const panel = document.getElementById("evidence-panel");
  if (!panel) return;
  svg.addEventListener("click", async (e) => {
    const a = e.target.closest("a");
    if (!a) return;
    e.preventDefault();
    svg.querySelectorAll(".sel").forEach((x) => x.classList.remove("sel"));
    (a.querySelector(".edge, .node") || a).classList.add("sel");
    const href = a.getAttribute("href");
    panel.textContent = "Loading…";
    try {
      const resp = await fetch(href + (href.includes("?") ? "&" : "?") + "fragment=1", { credentials: "same-origin" });
      const html = await resp.text();
      // The server escaped every value in this fragment; parse it inertly and move the nodes in.
      const doc = new DOMParser().parseFromString(html, "text/html");
      panel.replaceChildren(...(doc.querySelector("main") || doc.body).childNodes);
    } catch (err) {
      panel.textContent = "Could not load the evidence: " + err;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("svg.graph").forEach(initGraph);
});
