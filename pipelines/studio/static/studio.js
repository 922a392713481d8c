// Streams a run's progress into its page (server-sent events from /jobs/<id>/events): one row per
// agent with what it is doing now, and the full log below. Without JavaScript the page reloads instead.
"use strict";

const job = document.querySelector("[data-events]");
if (job) {
  const rows = job.querySelector(".agents tbody");
  const log = job.querySelector(".log");
  const status = job.querySelector(".status");
  const outcome = job.querySelector(".outcome");
  const agents = new Map();

  // "Theme Weaver: writing identity" is the Theme Weaver's step; a line without a short name before
  // a colon ("Listening") is the pipeline's own.
  const split = (message) => {
    const at = message.indexOf(": ");
    return at > 0 && at <= 40 ? [message.slice(0, at), message.slice(at + 2)] : ["Pipeline", message];
  };

  const cell = (row, index, text) => { row.children[index].textContent = text; };

  const show = ({ seconds, message }) => {
    const [agent, doing] = split(message);
    let row = agents.get(agent);
    if (!row) {
      row = rows.insertRow();
      for (let i = 0; i < 4; i += 1) row.insertCell();
      row.dataset.agent = agent;
      row.dataset.steps = "0";
      cell(row, 0, agent);
      agents.set(agent, row);
    }
    row.dataset.steps = String(Number(row.dataset.steps) + 1);
    cell(row, 1, doing);
    cell(row, 2, row.dataset.steps);
    cell(row, 3, `${seconds.toFixed(1)} s`);
    for (const other of agents.values()) other.classList.toggle("active", other === row);
    const item = document.createElement("li");
    item.textContent = `${seconds.toFixed(1)} s  ${message}`;
    log.append(item);
    status.textContent = "Working…";
  };

  const finish = (state, { result, error }) => {
    for (const row of agents.values()) row.classList.remove("active");
    status.textContent = state === "done" ? "Finished." : "Failed.";
    outcome.replaceChildren();
    if (result) {
      const link = document.createElement("a");
      link.id = "result";
      link.href = result;
      link.textContent = "Open the result";
      outcome.append(link);
    }
    if (error) {
      const text = document.createElement("span");
      text.className = "error";
      text.textContent = error;
      outcome.append(text);
    }
    job.dataset.state = state;
  };

  const source = new EventSource(job.dataset.events);
  source.addEventListener("progress", (event) => show(JSON.parse(event.data)));
  for (const state of ["done", "failed"]) {
    source.addEventListener(state, (event) => { source.close(); finish(state, JSON.parse(event.data)); });
  }
  // The browser reconnects by itself after a network hiccup; a closed stream means the server forgot the run.
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED && !job.dataset.state) {
      status.textContent = "Lost this run's progress (was the studio restarted?); its files, once written, are listed on the home page.";
    }
  });
}
