// Minimal SVG charts for the run explorer: linear and log axes with ticks, points, lines, bars and
// rules, redrawn whole on every change (a few hundred elements: milliseconds). Chosen over a
// plotting library because plotly.js, the candidate with an offline bundle on PyPI, took 1.8 s of
// CPU to start in Chromium before drawing anything, and 4.8 MB of the page.
"use strict";
const Charts = (function () {
  const NS = "http://www.w3.org/2000/svg";

  function element(name, attributes, parent) {
    const node = document.createElementNS(NS, name);
    Object.keys(attributes || {}).forEach(function (key) {
      if (attributes[key] !== undefined && attributes[key] !== null) node.setAttribute(key, attributes[key]);
    });
    if (parent) parent.appendChild(node);
    return node;
  }

  function label(parent, x, y, text, attributes) {
    const node = element("text", Object.assign({ x: x, y: y }, attributes || {}), parent);
    const power = /^10\^(-?[0-9]+)$/.exec(text);
    if (power) {
      // 10 with a raised exponent
      node.textContent = "10";
      element("tspan", { dy: "-0.5em", "font-size": "80%" }, node).textContent = power[1];
    } else {
      node.textContent = text;
    }
    return node;
  }

  function linearTicks(low, high, count) {
    const span = high - low;
    if (!(span > 0)) return [low];
    const raw = span / count;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(function (m) { return m * power; }).find(function (s) { return s >= raw; });
    const ticks = [];
    for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return ticks;
  }

  function logTicks(low, high) {
    const ticks = [];
    for (let p = Math.ceil(Math.log10(low) - 1e-9); p <= Math.floor(Math.log10(high) + 1e-9); p++) ticks.push(Math.pow(10, p));
    const every = Math.max(1, Math.ceil(ticks.length / 5));
    return ticks.filter(function (t, k) { return k % every === 0; });
  }

  function tickText(value, log) {
    if (log) return "10^" + Math.round(Math.log10(value));
    const text = Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(0) : String(+value.toPrecision(6));
    return text;
  }

  function padded(low, high, fraction) {
    if (high === low) return [low - 1, high + 1];
    const pad = (high - low) * fraction;
    return [low - pad, high + pad];
  }

  function extent(values) {
    let low = Infinity, high = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < low) low = v;
      if (v > high) high = v;
    }
    return [low, high];
  }

  // A chart in a container: chart(container, {height, margin, x: {domain, log, title},
  // y: {domain, title}, y2: {domain, title, color}, title}) -> drawing functions in data units.
  function chart(container, options) {
    container.textContent = "";
    const width = Math.max(container.clientWidth || 0, 240);
    const height = options.height || 340;
    const margin = Object.assign({ left: 58, right: options.y2 ? 58 : 14, top: options.title ? 26 : 12, bottom: 44 }, options.margin || {});
    const svg = element("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, class: "chart" }, container);
    const inner = { left: margin.left, right: width - margin.right, top: margin.top, bottom: height - margin.bottom };
    const axes = { x: options.x, y: options.y, y2: options.y2 };
    if (options.equalAspect) {
      // one grey level is as long on both axes: widen the narrower domain about its centre
      const perPixel = Math.max(
        (axes.x.domain[1] - axes.x.domain[0]) / (inner.right - inner.left),
        (axes.y.domain[1] - axes.y.domain[0]) / (inner.bottom - inner.top)
      );
      const widen = function (domain, pixels) {
        const centre = (domain[0] + domain[1]) / 2, half = perPixel * pixels / 2;
        return [centre - half, centre + half];
      };
      axes.x = Object.assign({}, axes.x, { domain: widen(axes.x.domain, inner.right - inner.left) });
      axes.y = Object.assign({}, axes.y, { domain: widen(axes.y.domain, inner.bottom - inner.top) });
    }
    function scaler(axis, from, to) {
      if (axis.log) {
        const a = Math.log10(axis.domain[0]), b = Math.log10(axis.domain[1]);
        return function (v) { return from + (Math.log10(v) - a) / (b - a) * (to - from); };
      }
      return function (v) { return from + (v - axis.domain[0]) / (axis.domain[1] - axis.domain[0]) * (to - from); };
    }
    const sx = scaler(axes.x, inner.left, inner.right);
    const sy = scaler(axes.y, inner.bottom, inner.top);
    const sy2 = axes.y2 ? scaler(axes.y2, inner.bottom, inner.top) : null;
    const clipId = "clip-" + Math.random().toString(36).slice(2);
    const clip = element("clipPath", { id: clipId }, element("defs", {}, svg));
    element("rect", { x: inner.left, y: inner.top, width: inner.right - inner.left, height: inner.bottom - inner.top }, clip);

    // grid, ticks and axis titles
    const grid = element("g", { class: "grid" }, svg);
    const xTicks = axes.x.log ? logTicks(axes.x.domain[0], axes.x.domain[1]) : linearTicks(axes.x.domain[0], axes.x.domain[1], options.xTicks || 5);
    xTicks.forEach(function (t) {
      const x = sx(t);
      element("line", { x1: x, x2: x, y1: inner.top, y2: inner.bottom }, grid);
      label(svg, x, inner.bottom + 16, tickText(t, axes.x.log), { class: "tick", "text-anchor": "middle" });
    });
    linearTicks(axes.y.domain[0], axes.y.domain[1], 5).forEach(function (t) {
      const y = sy(t);
      element("line", { x1: inner.left, x2: inner.right, y1: y, y2: y }, grid);
      label(svg, inner.left - 6, y + 4, tickText(t, false), { class: "tick", "text-anchor": "end" });
    });
    if (axes.y2) {
      linearTicks(axes.y2.domain[0], axes.y2.domain[1], 5).forEach(function (t) {
        label(svg, inner.right + 6, sy2(t) + 4, tickText(t, false), { class: "tick", "text-anchor": "start", fill: axes.y2.color });
      });
      const ty2 = (inner.top + inner.bottom) / 2;
      label(svg, inner.right + 46, ty2, axes.y2.title, { class: "axis-title", "text-anchor": "middle", fill: axes.y2.color, transform: "rotate(90 " + (inner.right + 46) + " " + ty2 + ")" });
    }
    element("rect", { x: inner.left, y: inner.top, width: inner.right - inner.left, height: inner.bottom - inner.top, class: "frame" }, svg);
    label(svg, (inner.left + inner.right) / 2, height - 8, axes.x.title, { class: "axis-title", "text-anchor": "middle" });
    const ty = (inner.top + inner.bottom) / 2;
    label(svg, 14, ty, axes.y.title, { class: "axis-title", "text-anchor": "middle", transform: "rotate(-90 14 " + ty + ")" });
    if (options.title) label(svg, (inner.left + inner.right) / 2, 17, options.title, { class: "chart-title", "text-anchor": "middle" });
    const plot = element("g", { "clip-path": "url(#" + clipId + ")" }, svg);

    function yScale(axis) { return axis === "y2" ? sy2 : sy; }
    function path(xs, ys, axis) {
      const scale = yScale(axis);
      let d = "";
      for (let i = 0; i < xs.length; i++) d += (i ? "L" : "M") + sx(xs[i]).toFixed(1) + "," + scale(ys[i]).toFixed(1);
      return d;
    }
    return {
      svg: svg,
      inner: inner,
      sx: sx,
      sy: sy,
      points: function (xs, ys, style) {
        const group = element("g", { fill: style.color, "fill-opacity": style.opacity || 1, class: style.className }, plot);
        for (let i = 0; i < xs.length; i++) element("circle", { cx: sx(xs[i]).toFixed(1), cy: sy(ys[i]).toFixed(1), r: style.radius || 2 }, group);
        return group;
      },
      marker: function (x, y, style) {
        const cx = sx(x), cy = yScale(style.axis)(y), r = style.size || 5;
        if (style.symbol === "cross") {
          const g = element("g", { stroke: style.color, "stroke-width": 2.5 }, plot);
          element("line", { x1: cx - r, y1: cy - r, x2: cx + r, y2: cy + r }, g);
          element("line", { x1: cx - r, y1: cy + r, x2: cx + r, y2: cy - r }, g);
          return g;
        }
        if (style.symbol === "square") {
          return element("rect", { x: cx - r, y: cy - r, width: 2 * r, height: 2 * r, fill: style.fill || "none", stroke: style.color, "stroke-width": 1.5 }, plot);
        }
        return element("circle", { cx: cx, cy: cy, r: r, fill: style.color, stroke: style.stroke || "none", "stroke-width": 1 }, plot);
      },
      line: function (xs, ys, style) {
        return element("path", {
          d: path(xs, ys, style.axis), fill: "none", stroke: style.color, "stroke-width": style.width || 1.5,
          "stroke-dasharray": style.dash, id: style.id,
        }, plot);
      },
      bars: function (lefts, width, heights, style) {
        const group = element("g", { fill: style.color }, plot);
        for (let i = 0; i < lefts.length; i++) {
          const x0 = sx(lefts[i]), x1 = sx(lefts[i] + width), top = sy(heights[i]), base = sy(0);
          element("rect", { x: x0.toFixed(1), y: top.toFixed(1), width: Math.max(x1 - x0, 0.5).toFixed(1), height: Math.max(base - top, 0).toFixed(1) }, group);
        }
        return group;
      },
      vline: function (x, style) {
        return element("line", {
          x1: sx(x), x2: sx(x), y1: inner.top, y2: inner.bottom, stroke: style.color, "stroke-width": style.width || 1,
          "stroke-dasharray": style.dash, class: style.className, "data-x": String(x),
        }, plot);
      },
      legend: function (entries) {
        // entries: [label, color, kind ("point" | "line")], in a row above the plot area
        let x = inner.left + 4;
        const y = inner.top + 12;
        entries.forEach(function (entry) {
          if (entry[2] === "line") element("line", { x1: x, x2: x + 14, y1: y - 4, y2: y - 4, stroke: entry[1], "stroke-width": 2 }, svg);
          else element("circle", { cx: x + 7, cy: y - 4, r: 3.5, fill: entry[1] }, svg);
          const text = label(svg, x + 18, y, entry[0], { class: "legend" });
          x += 26 + text.getComputedTextLength();
        });
      },
    };
  }

  return { chart: chart, extent: extent, padded: padded };
})();
