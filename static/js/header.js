// The header's own controls: the theme toggle, the share link, the spectator link, and the marks
// of a watching page (the body's "watching" class; no watch link to hand on).

import { markSpectator } from "./spectator.js";

const $ = (id) => document.getElementById(id);

/** Copy `link` to the clipboard (or show it to copy by hand) and say so on `button` for a moment. */
async function copyLink(button, link, label, prompt) {
  const span = button.querySelector("span");
  try {
    await navigator.clipboard.writeText(link);
    span.textContent = "Link copied";
  } catch {
    window.prompt(prompt, link);
  }
  setTimeout(() => (span.textContent = label), 1800);
}

export class Header {
  /**
   * @param {object} p model, initial theme, onTheme(theme) (redraws the views), writeUrl()
   */
  constructor({ model, theme, onTheme, writeUrl }) {
    Object.assign(this, { model, onTheme, writeUrl });
    this.theme = theme;
    $("theme-toggle").addEventListener("click", () => this.setTheme(this.theme === "dark" ? "light" : "dark"));
    $("share").addEventListener("click", () => {
      this.writeUrl();
      // The link carries the step shown: opening it replays training up to it (commands.js).
      const link = new URL(location.href);
      if (this.model.step > 0) link.searchParams.set("step", String(this.model.step));
      copyLink($("share"), link.href, "Copy link", "Copy this link:");
    });
    $("watch-link").addEventListener("click", () => {
      const m = this.model;
      if (!m.session || !m.watchKey) return;
      const link = `${location.origin}${location.pathname}?watch=${encodeURIComponent(m.session)}&key=${encodeURIComponent(m.watchKey)}`;
      copyLink($("watch-link"), link, "Watch link", "Copy this spectator link:");
    });
  }

  setTheme(theme) {
    this.theme = theme;
    document.documentElement.dataset.theme = theme;
    try {
      localStorage.setItem("backprop-lab.theme", theme);
    } catch {
      /* ignore */
    }
    const btn = $("theme-toggle");
    btn.setAttribute("aria-label", theme === "dark" ? "Light theme" : "Dark theme");
    btn.querySelector("use").setAttribute("href", theme === "dark" ? "#i-sun" : "#i-moon");
    $("legend").dataset.key = "";
    this.onTheme(theme);
  }

  /** A new session: mark a watching page, offer the watch link only to its controller. */
  sessionStarted() {
    const watching = this.model.role === "watch";
    markSpectator(this.model);
    $("watch-link").hidden = watching || !this.model.watchKey;
  }
}
