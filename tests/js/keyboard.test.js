import { test } from "node:test";
import assert from "node:assert/strict";
import { isTypingTarget, shortcutFor } from "../../static/js/keyboard.js";

const body = { tagName: "BODY", closest: () => null };
const key = (k, extra = {}) => ({ key: k, code: k === " " ? "Space" : k, target: body, ...extra });

test("the shortcuts of the help dialog", () => {
  assert.equal(shortcutFor(key(" ")), "toggle-play");
  assert.equal(shortcutFor(key("ArrowRight")), "step");
  assert.equal(shortcutFor(key("ArrowLeft")), "back");
  assert.equal(shortcutFor(key("r")), "reset");
  assert.equal(shortcutFor(key("R")), "reset");
  assert.equal(shortcutFor(key("?")), "help");
  assert.equal(shortcutFor(key("Escape")), "escape");
  assert.equal(shortcutFor(key("x")), null);
});

test("typing in a field and modified keys are never shortcuts", () => {
  const input = { tagName: "INPUT", closest: () => null };
  assert.equal(shortcutFor(key("r", { target: input })), null);
  assert.equal(shortcutFor(key("ArrowRight", { target: { tagName: "SELECT", closest: () => null } })), null);
  assert.equal(shortcutFor(key("r", { ctrlKey: true })), null, "Ctrl+R reloads the page");
  assert.equal(shortcutFor(key("ArrowLeft", { altKey: true })), null, "Alt+← goes back in history");
  assert.ok(isTypingTarget({ tagName: "DIV", isContentEditable: true }));
  assert.ok(!isTypingTarget(null));
});

test("Enter and Space on a focused neuron select it instead", () => {
  const neuron = { tagName: "g", closest: () => ({}) };
  assert.equal(shortcutFor(key(" ", { target: neuron })), null);
  assert.equal(shortcutFor(key("Enter", { target: neuron })), null);
  assert.equal(shortcutFor(key("ArrowRight", { target: neuron })), "step");
});
