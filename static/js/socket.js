// The WebSocket connection: connect, resume the same session after a drop (session and token kept
// in sessionStorage, so a reload resumes too), reconnect with exponential backoff, and handle the
// protocol's close codes (1012 restarting, 1013 full, 4001 taken over, 4003 spectated session not
// found: wait for it). The token never goes in the URL: it is the socket's first message.

const STORAGE_KEY = "backprop-lab.session";

/** Backoff delay in ms for the n-th reconnect attempt (0-based): 250 ms doubling, capped, ±20 % jitter. */
export function backoffDelay(attempt, { base = 250, cap = 8000, random = Math.random } = {}) {
  const raw = Math.min(cap, base * 2 ** Math.max(0, attempt));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/** What to do after a close code: "reconnect", "wait" (server full: slower retries) or "stop". */
export function closeAction(code) {
  if (code === 4001 || code === 1008 || code === 1009) return "stop";
  if (code === 1013 || code === 4003) return "wait";
  return "reconnect";
}

/** A human sentence for a close code. */
export function closeReason(code, reason = "") {
  switch (code) {
    case 1012:
      return "The server is restarting; reconnecting…";
    case 1013:
      return `The server is full${reason ? ` (${reason})` : ""}; retrying…`;
    case 4001:
      return "This session was opened in another tab.";
    case 4003:
      return "The session is not available (yet?); waiting for it…";
    case 1008:
      return "The server closed the connection (too many messages).";
    case 1009:
      return "A message was too large for the server.";
    default:
      return "Connection lost; reconnecting…";
  }
}

/** The /ws URL for a page location and an optional stored session or spectator link. */
export function socketUrl(location, { session = null, token = null, watch = null } = {}) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const params = new URLSearchParams();
  if (watch) {
    params.set("watch", watch.id);
    params.set("key", watch.key);
  } else if (session && token) {
    params.set("session", session); // the token follows in the first message (resumeMessage)
  }
  const q = params.toString();
  return `${scheme}//${location.host}/ws${q ? `?${q}` : ""}`;
}

/** The first message of a resuming socket: the credentials stay out of URLs (and logs). */
export function resumeMessage({ session = null, token = null } = {}) {
  return session && token ? { type: "resume", session, token } : null;
}

export function loadSession(storage) {
  try {
    const raw = storage?.getItem(STORAGE_KEY);
    const v = raw ? JSON.parse(raw) : null;
    return v && typeof v.session === "string" && typeof v.token === "string" ? v : null;
  } catch {
    return null;
  }
}

export function saveSession(storage, session, token) {
  try {
    if (session && token) storage?.setItem(STORAGE_KEY, JSON.stringify({ session, token }));
    else storage?.removeItem(STORAGE_KEY);
  } catch {
    /* storage unavailable (private mode): resume only within this page */
  }
}

/**
 * One logical connection that survives drops.
 * Callbacks: onMessage(msg), onStatus({state, attempt, message, code}).
 * state: "connecting" | "open" | "reconnecting" | "closed".
 */
export class Connection {
  constructor({ location, storage, watch = null, onMessage, onStatus, WebSocketImpl = globalThis.WebSocket, timers = globalThis }) {
    this.location = location;
    this.storage = storage;
    this.watch = watch;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.WebSocketImpl = WebSocketImpl;
    this.timers = timers;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
    this.queue = [];
  }

  get open() {
    return this.ws !== null && this.ws.readyState === 1;
  }

  connect() {
    this.stopped = false;
    const stored = this.watch ? null : loadSession(this.storage);
    const url = socketUrl(this.location, { ...(stored ?? {}), watch: this.watch });
    this.onStatus?.({ state: this.attempt === 0 ? "connecting" : "reconnecting", attempt: this.attempt });
    const resume = this.watch ? null : resumeMessage(stored ?? {});
    const ws = new this.WebSocketImpl(url);
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      if (resume) ws.send(JSON.stringify(resume));
      this.attempt = 0;
      this.onStatus?.({ state: "open", attempt: 0 });
      const pending = this.queue;
      this.queue = [];
      for (const m of pending) this.send(m);
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg.type === "hello" && msg.role === "control") saveSession(this.storage, msg.session, msg.token);
      if (msg.type === "error" && msg.code === "invalid_session") saveSession(this.storage, null, null);
      this.onMessage?.(msg);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      const action = closeAction(event.code);
      const message = closeReason(event.code, event.reason);
      if (action === "stop") {
        this.onStatus?.({ state: "closed", attempt: this.attempt, message, code: event.code });
        return;
      }
      const delay = action === "wait" ? Math.max(5000, backoffDelay(this.attempt + 3)) : backoffDelay(this.attempt);
      this.attempt += 1;
      this.onStatus?.({ state: "reconnecting", attempt: this.attempt, message, code: event.code, delay });
      this.timer = this.timers.setTimeout(() => this.connect(), delay);
    };
  }

  /** Send a message; while disconnected, control messages wait for the next connection (acks are dropped). */
  send(msg) {
    if (this.open) {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    if (msg.type !== "ack" && msg.type !== "ping" && this.queue.length < 20) this.queue.push(msg);
    return false;
  }

  /** Reconnect now (the "Reconnect" / "Take this session back" buttons). */
  reconnectNow() {
    if (this.timer) this.timers.clearTimeout(this.timer);
    this.timer = null;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
    this.attempt = 0;
    this.connect();
  }

  /** Drop the socket as if the network failed (used by tests and the debug hook). */
  drop() {
    this.ws?.close();
  }

  close() {
    this.stopped = true;
    if (this.timer) this.timers.clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = null;
  }
}
