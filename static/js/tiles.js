// Dataset tile pictures, drawn procedurally (a sketch of each dataset's shape, deterministic).

import { classColor, diverging } from "./colors.js";

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function gauss(r) {
  return Math.sqrt(-2 * Math.log(r() + 1e-9)) * Math.cos(2 * Math.PI * r());
}

/** Points [x, y, label-or-value] in [-1, 1]² sketching each dataset. */
export function sketchPoints(name) {
  const r = rng(7);
  const pts = [];
  switch (name) {
    case "circle":
      for (let i = 0; i < 90; i++) {
        const inner = i % 2 === 0;
        const rad = inner ? r() * 0.4 : 0.6 + r() * 0.35;
        const a = r() * Math.PI * 2;
        pts.push([rad * Math.cos(a), rad * Math.sin(a), inner ? 1 : 0]);
      }
      break;
    case "xor":
      for (let i = 0; i < 90; i++) {
        const x = r() * 1.9 - 0.95;
        const y = r() * 1.9 - 0.95;
        pts.push([x, y, x * y > 0 ? 1 : 0]);
      }
      break;
    case "gauss":
      for (let i = 0; i < 80; i++) {
        const c = i % 2;
        const m = c ? 0.45 : -0.45;
        pts.push([m + gauss(r) * 0.2, m + gauss(r) * 0.2, c]);
      }
      break;
    case "spiral":
      for (let i = 0; i < 100; i++) {
        const c = i % 2;
        const t = (Math.floor(i / 2) / 50) * 2.6 * Math.PI;
        const rad = (t / (2.6 * Math.PI)) * 0.9;
        const a = t + c * Math.PI;
        pts.push([rad * Math.cos(a) + gauss(r) * 0.02, rad * Math.sin(a) + gauss(r) * 0.02, c]);
      }
      break;
    case "moons":
      for (let i = 0; i < 90; i++) {
        const c = i % 2;
        const t = r() * Math.PI;
        const x = c ? 0.5 - Math.cos(t) * 0.6 : -0.2 + Math.cos(t) * 0.6;
        const y = c ? 0.2 - Math.sin(t) * 0.5 : -0.15 + Math.sin(t) * 0.5;
        pts.push([x * 0.95, y + gauss(r) * 0.04, c]);
      }
      break;
    case "plane":
      for (let i = 0; i < 90; i++) {
        const x = r() * 1.9 - 0.95;
        const y = r() * 1.9 - 0.95;
        pts.push([x, y, (x + y) / 1.9]);
      }
      break;
    case "multigauss":
      for (let i = 0; i < 100; i++) {
        const x = r() * 1.9 - 0.95;
        const y = r() * 1.9 - 0.95;
        const v = Math.exp(-((x - 0.4) ** 2 + (y - 0.4) ** 2) / 0.1) - Math.exp(-((x + 0.4) ** 2 + (y + 0.3) ** 2) / 0.1) + 0.6 * Math.exp(-((x - 0.4) ** 2 + (y + 0.5) ** 2) / 0.08);
        pts.push([x, y, v]);
      }
      break;
    default:
      break;
  }
  return pts;
}

const DIGIT_3 = ["00111100", "01100110", "00000110", "00011100", "00000110", "01100110", "00111100", "00000000"];

/** Draw a dataset's tile picture into a canvas of `size` CSS pixels. */
export function drawTile(canvas, name, theme = "light", size = 52) {
  const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
  canvas.width = size * dpr;
  canvas.height = size * dpr;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = theme === "dark" ? "#2a2f38" : "#ffffff";
  ctx.fillRect(0, 0, size, size);
  if (name === "digits") {
    const cell = size / 8;
    DIGIT_3.forEach((row, y) =>
      row.split("").forEach((v, x) => {
        if (v === "1") {
          ctx.fillStyle = theme === "dark" ? "#e7eaf0" : "#1c2230";
          ctx.fillRect(x * cell + 0.5, y * cell + 0.5, cell - 1, cell - 1);
        }
      }),
    );
    return;
  }
  const regression = name === "plane" || name === "multigauss";
  for (const [x, y, v] of sketchPoints(name)) {
    ctx.beginPath();
    ctx.arc(((x + 1) / 2) * size, ((1 - y) / 2) * size, 1.8, 0, Math.PI * 2);
    ctx.fillStyle = regression ? diverging(v, theme) : classColor(v);
    ctx.fill();
  }
}
