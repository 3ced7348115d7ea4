// The page's choices come from the server's options (`GET /api/options`, fixtures/options.json):
// every option listed is offered, those the display-name table lacks under their own key, and
// numbers are checked against the server's ranges when it sends them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DISPLAY_NAMES, choices, describeRange, loadOptions, optionKeys, optionLabel, rangeError, rangeOf } from "../../static/js/options.js";
import { parseUrl } from "../../static/js/state.js";

const OPTIONS = JSON.parse(readFileSync(new URL("./fixtures/options.json", import.meta.url)));

test("the fixture lists an activation the display-name table lacks", () => {
  assert.ok(OPTIONS.activations.includes("gelu"));
  assert.equal(DISPLAY_NAMES.activation.gelu, undefined);
});

test("choices: every option the server lists, in its order, with display names or the key", () => {
  const acts = choices(OPTIONS, "activation");
  assert.deepEqual(acts.map((c) => c.value), OPTIONS.activations);
  assert.deepEqual(acts.find((c) => c.value === "leaky_relu"), { value: "leaky_relu", label: "Leaky ReLU" });
  assert.deepEqual(acts.find((c) => c.value === "gelu"), { value: "gelu", label: "gelu" }, "an unknown key shows as itself");
  assert.deepEqual(choices(OPTIONS, "unit").map((c) => c.label), ["Phase", "Iteration", "Epoch"]);
  assert.deepEqual(optionKeys(OPTIONS, "dataset"), OPTIONS.datasets);
  assert.equal(optionLabel("dataset", "multigauss"), "Multi-Gauss");
});

test("without options nothing is offered and nothing is invented", () => {
  assert.deepEqual(choices(null, "activation"), []);
  assert.equal(optionKeys(null, "dataset"), null);
  assert.equal(rangeOf(null, "noise"), null);
  assert.equal(rangeOf({ ...OPTIONS, ranges: undefined }, "noise"), null, "a server without ranges");
  assert.equal(rangeError(5, null), null);
});

test("ranges: bounds, exclusive ends and integers, said in words", () => {
  const lr = rangeOf(OPTIONS, "learning_rate");
  assert.deepEqual(lr, { min: 0, max: 10, min_exclusive: true, max_exclusive: false, integer: false });
  assert.equal(rangeError(0, lr), "0 is out of range: enter a number above 0 to 10");
  assert.equal(rangeError(10, lr), null);
  assert.match(rangeError(10.5, lr), /out of range/);
  const batch = rangeOf(OPTIONS, "batch_size");
  assert.equal(rangeError(1.5, batch), "1.5 is not an integer");
  assert.equal(rangeError(1, batch), null);
  assert.equal(describeRange({ min: 1, max: null, min_exclusive: false, max_exclusive: false }), "from 1");
  assert.equal(describeRange({ min: null, max: 1, min_exclusive: false, max_exclusive: true }), "below 1");
});

test("URL values are checked against the options: a listed unknown key is accepted", () => {
  assert.deepEqual(parseUrl("?activation=gelu", OPTIONS).config, { activation: "gelu" });
  assert.equal(parseUrl("?activation=swish", OPTIONS).errors.length, 1);
  assert.equal(parseUrl("?learning_rate=0", OPTIONS).errors.length, 1, "the range's exclusive minimum");
  assert.equal(parseUrl("?samples=10", OPTIONS).errors.length, 1, "below the server's minimum");
  assert.deepEqual(parseUrl("?activation=swish&noise=2").config, { activation: "swish", noise: 2 }, "without options only types are checked");
});

test("loadOptions reads /api/options, and gives null when it cannot", async () => {
  const ok = async (url) => ({ ok: true, json: async () => ({ url }) });
  assert.deepEqual(await loadOptions(ok), { url: "/api/options" });
  assert.equal(await loadOptions(async () => ({ ok: false })), null);
  assert.equal(
    await loadOptions(async () => {
      throw new Error("offline");
    }),
    null,
  );
});
