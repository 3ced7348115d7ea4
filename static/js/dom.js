// Tiny DOM helpers: create elements, and write an attribute or text only when its value changed
// (uPlot's trick; it is what keeps hundreds of neurons cheap to update every frame).

const SVG_NS = "http://www.w3.org/2000/svg";

/** Create an HTML element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "style") el.style.cssText = String(v); // CSSOM: the page's CSP forbids style attributes
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Create an SVG element with attributes. */
export function s(tag, attrs = {}) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (k === "style") el.style.cssText = String(v); // CSSOM: the page's CSP forbids style attributes
    else el.setAttribute(k, String(v));
  }
  return el;
}

/** Set an attribute only if it differs from the last value written through this helper. */
export function attr(el, name, value) {
  const cache = el.__attrs || (el.__attrs = Object.create(null));
  const v = value === null || value === undefined ? null : String(value);
  if (cache[name] === v) return;
  cache[name] = v;
  if (v === null) el.removeAttribute(name);
  else el.setAttribute(name, v);
}

/** Set textContent only when it changed. */
export function text(el, value) {
  const v = String(value);
  if (el.__text === v) return;
  el.__text = v;
  el.textContent = v;
}

/** Toggle a class only when needed. */
export function cls(el, name, on) {
  if (el.classList.contains(name) !== Boolean(on)) el.classList.toggle(name, Boolean(on));
}

/** Size a canvas for the device pixel ratio; returns its 2-D context scaled to CSS pixels. */
export function fitCanvas(canvas, width, height) {
  const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
  const w = Math.max(1, Math.round(width * dpr));
  const hgt = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== w || canvas.height !== hgt) {
    canvas.width = w;
    canvas.height = hgt;
  }
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** Read a CSS custom property of the document (theme colours for canvases). */
export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
