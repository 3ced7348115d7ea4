import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { HIDEABLE, PROPERTIES, diffConfig, hideSelectors, parseUrl, sameValue, toSearch, uiDefaults } from "../../static/js/state.js";

// `GET /api/options` as the server sends it, with the numeric ranges.
const OPTIONS = JSON.parse(readFileSync(new URL("./fixtures/options.json", import.meta.url)));

const CONFIG = {
  dataset: "spiral",
  dataset_id: null,
  samples: 400,
  noise: 0.25,
  test_fraction: 0.3,
  data_seed: 42,
  features: ["x1", "x2", "x1^2", "sin(x1)"],
  hidden: [6, 3],
  activation: "relu",
  init: "he",
  seed: 7,
  optimizer: "adam",
  momentum: 0.9,
  learning_rate: 0.003,
  batch_size: 16,
  l1: 0,
  l2: 0.001,
  dropout: 0.1,
};

test("one table of properties covers every config key of the protocol", () => {
  const keys = PROPERTIES.filter((p) => p.scope === "config").map((p) => p.key);
  assert.deepEqual(keys.sort(), Object.keys(CONFIG).sort());
});

test("URL round trip: the whole config, seeds included, survives toSearch → parseUrl", () => {
  const ui = { ...uiDefaults(), unit: "iteration", speed: "100", test: true, hide: ["data", "charts"] };
  const search = toSearch(CONFIG, ui);
  assert.match(search, /^\?dataset=spiral&/);
  assert.match(search, /features=x1,x2,x1\^2,sin\(x1\)/, "feature names stay readable");
  const back = parseUrl(search, OPTIONS);
  assert.deepEqual(back.errors, []);
  const expected = { ...CONFIG };
  delete expected.dataset_id; // null is not written
  assert.deepEqual(back.config, expected);
  assert.equal(back.ui.unit, "iteration");
  assert.equal(back.ui.speed, "100");
  assert.equal(back.ui.test, true);
  assert.deepEqual(back.ui.hide, ["data", "charts"]);
});

test("the default play speed is 1,000 iterations per second and is not written", () => {
  assert.equal(uiDefaults().speed, "1000");
  assert.doesNotMatch(toSearch({}, uiDefaults()), /speed/);
  assert.equal(parseUrl("?speed=100").ui.speed, "100");
});

test("ui defaults are not written; an empty hidden list is", () => {
  const search = toSearch({ hidden: [] }, uiDefaults());
  assert.equal(search, "?hidden=");
  assert.deepEqual(parseUrl(search).config.hidden, []);
  assert.equal(toSearch({}, uiDefaults()), "");
});

test("invalid values are reported and skipped, never thrown", () => {
  const r = parseUrl("?dataset=nope&learning_rate=abc&hidden=4,x&noise=2&batch_size=1.5&features=x1,zz&unit=epoch&test=maybe&seed=3", OPTIONS);
  assert.equal(r.errors.length, 7);
  assert.deepEqual(r.config, { seed: 3 });
  assert.equal(r.ui.unit, "epoch");
  assert.equal(r.ui.test, false);
});

test("unknown parameters are ignored; spectator links are recognised", () => {
  const r = parseUrl("?utm=1&watch=abc&key=def");
  assert.deepEqual(r.config, {});
  assert.deepEqual(r.watch, { id: "abc", key: "def" });
  assert.equal(parseUrl("?watch=abc").watch, null);
});

test("hide accepts only known names and makes CSS selectors", () => {
  const r = parseUrl("?hide=data,network,evil%22]");
  assert.deepEqual(r.ui.hide, ["data", "network"]);
  assert.deepEqual(hideSelectors(r.ui.hide), ['[data-hide~="data"]', '[data-hide~="network"]']);
  assert.ok(HIDEABLE.includes("learning_rate"));
});

test("diffConfig sends only what differs, and clears a stale dataset_id", () => {
  const server = { ...CONFIG, dataset: "custom", dataset_id: "abc" };
  assert.deepEqual(diffConfig({ hidden: [6, 3], seed: 7 }, CONFIG), {});
  assert.deepEqual(diffConfig({ hidden: [6, 4], seed: 7 }, CONFIG), { hidden: [6, 4] });
  assert.deepEqual(diffConfig({ dataset: "circle" }, server), { dataset: "circle", dataset_id: null });
  assert.deepEqual(diffConfig({ unit: "epoch" }, CONFIG), {}, "ui keys never go to the server");
});

test("sameValue compares arrays deeply", () => {
  assert.ok(sameValue([1, [2, 3]], [1, [2, 3]]));
  assert.ok(!sameValue([1, 2], [1, 2, 3]));
  assert.ok(!sameValue([1], 1));
});
