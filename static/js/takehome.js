// Take-home: download the session (JSON export), its history (CSV), or a runnable NumPy or
// PyTorch script that trains on from the step shown; and open a saved session from a file.
// The routes are the server's (docs/protocol.md, "HTTP"); spectators see none of this.

import { saveSession } from "./socket.js";

const $ = (id) => document.getElementById(id);

/** Save `href` as a file (`name`, or the server's Content-Disposition name when empty). */
function download(href, name = "") {
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}

/** The session's route for `what` ("export", "history.csv", "export.py"), token in the query. */
export function sessionUrl(session, token, what, extra = {}) {
  const q = new URLSearchParams({ token, ...extra });
  return `/api/sessions/${encodeURIComponent(session)}/${what}?${q}`;
}

export class TakeHome {
  /** @param {object} p model (session, token, step), note(text, kind) for the import's outcome */
  constructor({ model, note }) {
    Object.assign(this, { model, note });
    const on = (id, fn) => $(id).addEventListener("click", () => this.model.session && this.model.token && fn());
    on("dl-json", () => this.json());
    on("dl-csv", () => download(this.url("history.csv"), `backprop-lab-step-${this.model.step}-history.csv`));
    on("dl-numpy", () => download(this.url("export.py", { flavour: "numpy", steps: "100" })));
    on("dl-torch", () => download(this.url("export.py", { flavour: "torch", steps: "100" })));
    $("import-btn").addEventListener("click", () => $("import-file").click());
    $("import-file").addEventListener("change", () => {
      const file = $("import-file").files?.[0];
      if (file) this.open(file);
      $("import-file").value = "";
    });
  }

  url(what, extra) {
    return sessionUrl(this.model.session, this.model.token, what, extra);
  }

  /** The export as a JSON file named after its step (the server's answer has no file name). */
  async json() {
    const res = await fetch(this.url("export"));
    if (!res.ok) return this.note(`Download failed (${res.status}).`, "error");
    const body = await res.json();
    const blob = new Blob([JSON.stringify(body, null, 1)], { type: "application/json" });
    const href = URL.createObjectURL(blob);
    download(href, `backprop-lab-step-${body.step}.json`);
    setTimeout(() => URL.revokeObjectURL(href), 1000);
  }

  /** Start a new session from a saved export and load the page on it (its config and weights). */
  async open(file) {
    let body;
    try {
      body = JSON.parse(await file.text());
    } catch {
      return this.note("That file is not a saved session (JSON).", "error");
    }
    const res = await fetch("/api/sessions/import", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) {
      const detail = await res.json().catch(() => ({}));
      return this.note(`Could not open it: ${typeof detail.detail === "string" ? detail.detail : res.status}.`, "error");
    }
    const { session, token } = await res.json();
    saveSession(globalThis.sessionStorage, session, token);
    // No settings in the URL: they would be applied over the imported session's own.
    location.assign(location.pathname);
  }

  /** Spectators have no token: no downloads, no import. */
  sessionStarted() {
    $("takehome").hidden = this.model.role === "watch" || !this.model.token;
  }
}
