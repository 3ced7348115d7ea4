import { test } from "node:test";
import assert from "node:assert/strict";
import { Connection, backoffDelay, closeAction, closeReason, loadSession, saveSession, socketUrl } from "../../static/js/socket.js";

test("backoff doubles from 250 ms, is capped and jittered by ±20 %", () => {
  const mid = { random: () => 0.5 };
  assert.equal(backoffDelay(0, mid), 250);
  assert.equal(backoffDelay(1, mid), 500);
  assert.equal(backoffDelay(3, mid), 2000);
  assert.equal(backoffDelay(20, mid), 8000);
  assert.equal(backoffDelay(0, { random: () => 0 }), 200);
  assert.equal(backoffDelay(0, { random: () => 1 }), 300);
});

test("close codes: reconnect on restart and drops, wait when full, stop when taken over", () => {
  assert.equal(closeAction(1012), "reconnect");
  assert.equal(closeAction(1006), "reconnect");
  assert.equal(closeAction(1013), "wait");
  assert.equal(closeAction(4001), "stop");
  assert.equal(closeAction(4003), "wait", "a spectator waits for its session to come back");
  assert.match(closeReason(1013, "sessions"), /full \(sessions\)/);
  assert.match(closeReason(4001), /another tab/);
});

test("socket URLs: new, resumed and spectator", () => {
  const loc = { protocol: "http:", host: "example.test:8000" };
  assert.equal(socketUrl(loc), "ws://example.test:8000/ws");
  assert.equal(socketUrl({ protocol: "https:", host: "h" }), "wss://h/ws");
  assert.equal(socketUrl(loc, { session: "s1", token: "t/1" }), "ws://example.test:8000/ws?session=s1", "no token in URLs");
  assert.equal(socketUrl(loc, { watch: { id: "s", key: "k" } }), "ws://example.test:8000/ws?watch=s&key=k");
});

class MemoryStorage {
  constructor() {
    this.map = new Map();
  }
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    this.map.set(k, String(v));
  }
  removeItem(k) {
    this.map.delete(k);
  }
}

test("session storage round trip, and garbage is ignored", () => {
  const st = new MemoryStorage();
  assert.equal(loadSession(st), null);
  saveSession(st, "s", "t");
  assert.deepEqual(loadSession(st), { session: "s", token: "t" });
  saveSession(st, null, null);
  assert.equal(loadSession(st), null);
  st.setItem("backprop-lab.session", "{not json");
  assert.equal(loadSession(st), null);
});

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(obj) {
    this.onmessage?.({ data: JSON.stringify(obj) });
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }
}

function fakeTimers() {
  const pending = [];
  return {
    pending,
    setTimeout: (fn, ms) => pending.push({ fn, ms }) && pending.length,
    clearTimeout: () => {},
    run() {
      const list = pending.splice(0);
      for (const t of list) t.fn();
    },
  };
}

test("Connection resumes the stored session after a drop and re-sends queued messages", () => {
  FakeSocket.all = [];
  const storage = new MemoryStorage();
  const timers = fakeTimers();
  const got = [];
  const states = [];
  const c = new Connection({ location: { protocol: "http:", host: "h" }, storage, onMessage: (m) => got.push(m.type), onStatus: (s) => states.push(s.state), WebSocketImpl: FakeSocket, timers });
  c.connect();
  const ws1 = FakeSocket.all[0];
  assert.equal(ws1.url, "ws://h/ws");
  ws1.open();
  ws1.receive({ type: "hello", role: "control", session: "S", token: "T" });
  assert.deepEqual(loadSession(storage), { session: "S", token: "T" });
  ws1.close(1012);
  assert.equal(states.at(-1), "reconnecting");
  assert.ok(c.send({ type: "step", unit: "phase" }) === false, "queued while down");
  assert.equal(c.send({ type: "ack", frame: 3 }), false);
  timers.run();
  const ws2 = FakeSocket.all[1];
  assert.equal(ws2.url, "ws://h/ws?session=S");
  ws2.open();
  assert.deepEqual(
    ws2.sent,
    [{ type: "resume", session: "S", token: "T" }, { type: "step", unit: "phase" }],
    "the token first, then the queue: acks are dropped, control messages kept",
  );
  assert.equal(states.at(-1), "open");
  assert.deepEqual(got, ["hello"]);
});

test("Connection stops after 4001 and forgets an invalid session", () => {
  FakeSocket.all = [];
  const storage = new MemoryStorage();
  saveSession(storage, "old", "bad");
  const timers = fakeTimers();
  const states = [];
  const c = new Connection({ location: { protocol: "http:", host: "h" }, storage, onMessage: () => {}, onStatus: (s) => states.push(s), WebSocketImpl: FakeSocket, timers });
  c.connect();
  const ws = FakeSocket.all[0];
  ws.open();
  ws.receive({ type: "error", code: "invalid_session", message: "expired" });
  assert.equal(loadSession(storage), null);
  ws.close(4001);
  assert.equal(states.at(-1).state, "closed");
  assert.equal(timers.pending.length, 0, "no reconnect after a take-over");
  c.reconnectNow();
  assert.equal(FakeSocket.all.length, 2);
});
