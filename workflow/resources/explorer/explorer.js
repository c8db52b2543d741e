// The run explorer's script: reads the data inlined by tilting/explorer.py and draws it with
// charts.js (SVG). Arrays arrive as base64 little-endian bytes ({dtype, shape, b64}) and are decoded
// per pair on first use. window.explorer exposes the state for tests and the benchmark.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("explorer-data").textContent);
  const PAIRS = DATA.pairs;
  const LENET = DATA.lenet;
  const CLASS_COLORS = ["#ff7f0e", "#1f77b4"]; // class of digit a (y = -1), of digit b (y = +1)
  const TYPES = {
    int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array,
    int32: Int32Array, uint32: Uint32Array, float32: Float32Array, float64: Float64Array,
  };
  const state = { pair: 0, lambda: 0, playing: null, renders: 0, readyAt: null, lenet: null };
  const decoded = new Map(); // pair index -> decoded arrays and sprite image

  // ---- decoding ------------------------------------------------------------------------
  function decodeArray(encoded) {
    const text = atob(encoded.b64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return new TYPES[encoded.dtype](bytes.buffer); // typed arrays are little-endian on every browser platform
  }

  function dequantize(quantized) {
    const ints = decodeArray(quantized.values);
    const values = new Float64Array(ints.length);
    for (let i = 0; i < ints.length; i++) values[i] = ints[i] * quantized.scale;
    return values;
  }

  function pairArrays(index) {
    if (decoded.has(index)) return decoded.get(index);
    const pair = PAIRS[index];
    const arrays = {
      label: decodeArray(pair.plane.label),
      u: dequantize(pair.plane.u),
      v: dequantize(pair.plane.v),
      counts: decodeArray(pair.histograms.counts),
      sprite: loadImage(pair.mirrors.sprite),
    };
    arrays.points = arrays.label.length;
    arrays.bins = arrays.counts.length / pair.metrics.lam.length;
    decoded.set(index, arrays);
    return arrays;
  }

  function loadImage(uri) {
    const image = new Image();
    image.ready = new Promise(function (resolve) { image.onload = resolve; });
    image.src = uri;
    return image;
  }

  // ---- formatting ----------------------------------------------------------------------
  function exponent(alpha) { return (Math.round(alpha * 100) / 100).toString(); }
  function lambdaText(alpha) { return "λ = 10^" + exponent(alpha); }
  const FORMATS = {
    lam: function (v, pair, k) { return "10^" + exponent(pair.metrics.alpha[k]) + " = " + v.toPrecision(3); },
    theta_deg: function (v) { return v.toFixed(2) + "°"; },
    d_adv: function (v) { return v.toFixed(2); },
    d_err: function (v) { return v.toFixed(3); },
    err_train: function (v) { return (100 * v).toFixed(2) + " %"; },
    err_test: function (v) { return (100 * v).toFixed(2) + " %"; },
    w_norm: function (v) { return v.toPrecision(4); },
    b: function (v) { return v.toPrecision(4); },
  };

  // ---- the SVM tab ---------------------------------------------------------------------
  function setupSvm() {
    const select = document.getElementById("pair");
    const slider = document.getElementById("lambda");
    if (PAIRS.length === 0) {
      document.getElementById("svm-empty").hidden = false;
      select.disabled = slider.disabled = document.getElementById("play").disabled = true;
      return Promise.resolve();
    }
    PAIRS.forEach(function (pair, index) {
      const option = document.createElement("option");
      option.value = String(index);
      option.textContent = pair.digits[0] + " vs " + pair.digits[1];
      select.appendChild(option);
    });
    fromHash();
    select.value = String(state.pair);
    slider.max = String(PAIRS[state.pair].metrics.lam.length - 1);
    slider.value = String(state.lambda);
    select.addEventListener("change", function () { setPair(Number(select.value)); });
    slider.addEventListener("input", function () { setLambda(Number(slider.value)); });
    document.getElementById("play").addEventListener("click", togglePlay);
    return drawSvm();
  }

  function fromHash() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    const pairIndex = PAIRS.findIndex(function (pair) { return pair.name === params.get("pair"); });
    if (pairIndex >= 0) state.pair = pairIndex;
    const alphas = PAIRS[state.pair].metrics.alpha;
    if (params.has("alpha")) {
      const wanted = Number(params.get("alpha"));
      let best = 0;
      alphas.forEach(function (alpha, k) { if (Math.abs(alpha - wanted) < Math.abs(alphas[best] - wanted)) best = k; });
      state.lambda = best;
    } else {
      state.lambda = alphas.length - 1;
    }
  }

  function toHash() {
    const pair = PAIRS[state.pair];
    const hash = "#pair=" + pair.name + "&alpha=" + exponent(pair.metrics.alpha[state.lambda]);
    if (window.location.hash !== hash) history.replaceState(null, "", hash);
  }

  function setPair(index) {
    state.pair = index;
    const slider = document.getElementById("lambda");
    const count = PAIRS[index].metrics.lam.length;
    state.lambda = Math.min(state.lambda, count - 1);
    slider.max = String(count - 1);
    slider.value = String(state.lambda);
    document.getElementById("pair").value = String(index);
    return drawSvm();
  }

  function setLambda(k) {
    state.lambda = k;
    document.getElementById("lambda").value = String(k);
    return drawSvm();
  }

  function togglePlay() {
    const button = document.getElementById("play");
    if (state.playing !== null) {
      clearInterval(state.playing);
      state.playing = null;
      button.textContent = "▶ play";
      return;
    }
    const last = PAIRS[state.pair].metrics.lam.length - 1;
    if (state.lambda >= last) setLambda(0);
    button.textContent = "❚❚ pause";
    state.playing = setInterval(function () {
      if (state.lambda >= last) { togglePlay(); return; }
      setLambda(state.lambda + 1);
    }, 120);
  }

  function drawSvm() {
    const pair = PAIRS[state.pair];
    const k = state.lambda;
    const arrays = pairArrays(state.pair);
    document.getElementById("lambda-label").textContent = lambdaText(pair.metrics.alpha[k]);
    Object.keys(FORMATS).forEach(function (field) {
      const cell = document.getElementById("readout-" + field);
      const value = pair.metrics[field][k];
      cell.dataset.value = String(value);
      cell.textContent = FORMATS[field](value, pair, k);
    });
    toHash();
    drawPlane(pair, arrays, k);
    drawHistogram(pair, arrays, k);
    drawCurves(pair, k);
    return drawMirrors(pair, arrays, k).then(function () { state.renders += 1; });
  }

  function boundarySegment(line, box) {
    // the two ends of c1 u + c2 v + k = 0 across box = [u0, u1, v0, v1]
    const c1 = line[0], c2 = line[1], c = line[2];
    if (Math.abs(c2) >= Math.abs(c1)) {
      return { x: [box[0], box[1]], y: [-(c + c1 * box[0]) / c2, -(c + c1 * box[1]) / c2] };
    }
    return { x: [-(c + c2 * box[2]) / c1, -(c + c2 * box[3]) / c1], y: [box[2], box[3]] };
  }

  function drawPlane(pair, arrays, k) {
    const n = arrays.points;
    const offset = k * n;
    const xs = [[], []], ys = [[], []];
    for (let i = 0; i < n; i++) {
      const c = arrays.label[i];
      xs[c].push(arrays.u[i]);
      ys[c].push(arrays.v[offset + i]);
    }
    const plane = pair.plane;
    const centroids = plane.centroids[k], points = plane.points[k], mirrors = plane.mirror_points[k];
    const u = Charts.padded.apply(null, Charts.extent(xs[0].concat(xs[1])).concat([0.06]));
    const v = Charts.padded.apply(null, Charts.extent(ys[0].concat(ys[1])).concat([0.06]));
    const chart = Charts.chart(document.getElementById("plot-plane"), {
      title: pair.name + ", " + lambdaText(pair.metrics.alpha[k]) + ", θ = " + pair.metrics.theta_deg[k].toFixed(1) + "°",
      x: { domain: u, title: "ẑ (grey levels)" },
      y: { domain: v, title: "n̂ (grey levels)" },
      equalAspect: true,
    });
    [0, 1].forEach(function (c) { chart.points(xs[c], ys[c], { color: CLASS_COLORS[c], radius: 2.2, opacity: 0.55, className: "class-" + c }); });
    const segment = boundarySegment(plane.line[k], planeBox(chart));
    chart.line(segment.x, segment.y, { color: "#000", width: 2, id: "boundary" });
    [0, 1].forEach(function (c) {
      chart.marker(centroids[c][0], centroids[c][1], { symbol: "cross", color: "#000", size: 5 });
      chart.line([points[c][0], mirrors[c][0]], [points[c][1], mirrors[c][1]], { color: CLASS_COLORS[c], dash: "3 3" });
      chart.marker(points[c][0], points[c][1], { color: CLASS_COLORS[c], stroke: "#000", size: 5.5 });
      chart.marker(mirrors[c][0], mirrors[c][1], { symbol: "square", color: CLASS_COLORS[c], size: 5 });
    });
    chart.legend([["digit " + pair.digits[0], CLASS_COLORS[0], "point"], ["digit " + pair.digits[1], CLASS_COLORS[1], "point"], ["boundary", "#000", "line"]]);
    document.getElementById("plane-note").textContent = n + " of " + plane.total_points + " training images shown.";
  }

  function planeBox(chart) {
    // the data-unit corners of the plot area (after the equal-aspect widening)
    const inner = chart.inner;
    const invert = function (scale, a, b, pixel) { const s0 = scale(a), s1 = scale(b); return a + (pixel - s0) / (s1 - s0) * (b - a); };
    return [invert(chart.sx, 0, 1, inner.left), invert(chart.sx, 0, 1, inner.right), invert(chart.sy, 0, 1, inner.bottom), invert(chart.sy, 0, 1, inner.top)];
  }

  function drawHistogram(pair, arrays, k) {
    const bins = arrays.bins;
    const low = pair.histograms.low[k], high = pair.histograms.high[k];
    const width = (high - low) / bins;
    let total = 0;
    for (let j = 0; j < bins; j++) total += arrays.counts[k * bins + j];
    const lefts = [], density = [];
    for (let j = 0; j < bins; j++) {
      lefts.push(low + j * width);
      density.push(arrays.counts[k * bins + j] / (total * width));
    }
    const norm = pair.metrics.w_norm[k];
    const hingeX = [low];
    const kink = 1 / norm;
    if (kink > low && kink < high) hingeX.push(kink);
    hingeX.push(high);
    const hingeY = hingeX.map(function (z) { return Math.max(0, 1 - norm * z); });
    const dAdv = pair.metrics.d_adv[k];
    const chart = Charts.chart(document.getElementById("plot-histogram"), {
      title: "‖w‖ = " + norm.toPrecision(3) + ", d_adv = " + dAdv.toFixed(2),
      x: { domain: [low, high], title: "y·d(x) (grey levels)" },
      y: { domain: [0, 1.05 * Math.max.apply(null, density)], title: "density" },
      y2: { domain: [0, 1.05 * Math.max.apply(null, hingeY)], title: "scaled hinge loss", color: "#1f77b4" },
    });
    chart.bars(lefts, width, density, { color: "#999" });
    const hinge = chart.line(hingeX, hingeY, { color: "#1f77b4", width: 2, axis: "y2", id: "hinge-loss" });
    hinge.dataset.points = JSON.stringify(hingeX.map(function (z, j) { return [z, hingeY[j]]; }));
    chart.vline(0, { color: "#000", className: "boundary-distance" });
    chart.vline(dAdv, { color: "#d62728", width: 1.5, dash: "5 3", className: "d-adv" });
  }

  function drawCurves(pair, k) {
    const m = pair.metrics;
    const percent = function (values) { return values.map(function (v) { return 100 * v; }); };
    const lam = Charts.extent(m.lam);
    const panels = [
      ["plot-theta", "θ (degrees)", [[m.theta_deg, "#1f77b4", "θ"]]],
      ["plot-dadv", "d_adv (grey levels)", [[m.d_adv, "#d62728", "d_adv"]]],
      ["plot-errors", "error (%)", [[percent(m.err_train), "#2ca02c", "err_train"], [percent(m.err_test), "#9467bd", "err_test"]]],
    ];
    panels.forEach(function (panel) {
      const values = [].concat.apply([], panel[2].map(function (curve) { return curve[0]; }));
      const chart = Charts.chart(document.getElementById(panel[0]), {
        height: 260,
        x: { domain: lam, log: true, title: "λ" },
        y: { domain: [0, 1.08 * Math.max.apply(null, values) || 1], title: panel[1] },
      });
      chart.vline(m.lam[pair.optimal], { color: "#777", dash: "2 3", className: "optimal" });
      chart.vline(m.lam[k], { color: "#000", className: "current" });
      panel[2].forEach(function (curve) {
        chart.line(m.lam, curve[0], { color: curve[1] });
        chart.marker(m.lam[k], curve[0][k], { color: "#000", size: 4 });
      });
      if (panel[2].length > 1) chart.legend(panel[2].map(function (curve) { return [curve[2], curve[1], "line"]; }));
    });
  }

  function drawTile(canvasId, image, side, row, col) {
    const canvas = document.getElementById(canvasId);
    const context = canvas.getContext("2d");
    context.imageSmoothingEnabled = false;
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, col * side, row * side, side, side, 0, 0, canvas.width, canvas.height);
  }

  function drawMirrors(pair, arrays, k) {
    const side = pair.mirrors.side;
    const distances = pair.mirrors.distances[k];
    document.getElementById("mirror-x-label").textContent = "x (digit " + pair.digits[0] + ")";
    document.getElementById("mirror-xm-label").textContent = "x_m, ‖x_m − x‖ = " + distances[0].toFixed(1);
    document.getElementById("mirror-y-label").textContent = "y (digit " + pair.digits[1] + ")";
    document.getElementById("mirror-ym-label").textContent = "y_m, ‖y_m − y‖ = " + distances[1].toFixed(1);
    const image = arrays.sprite;
    return image.ready.then(function () {
      if (PAIRS[state.pair] !== pair || state.lambda !== k) return; // a later draw has taken over
      drawTile("mirror-x", image, side, 0, 0);
      drawTile("mirror-xm", image, side, k + 1, 0);
      drawTile("mirror-y", image, side, 0, 1);
      drawTile("mirror-ym", image, side, k + 1, 1);
    });
  }

  // ---- the LeNet tab -------------------------------------------------------------------
  function setupLenet() {
    const container = document.getElementById("lenet-networks");
    const note = document.getElementById("lenet-note");
    if (LENET.networks.length === 0) {
      note.textContent = "This run has no LeNet adversarial examples.";
      return Promise.resolve();
    }
    note.textContent = "Targeted adversarial examples (digit l → l + 1 mod 10) of each network: the test image, " +
      "the adversarial example and the perturbation x′ − x; L2 norm of x′ − x in grey levels (in brackets: on the [0, 1] scale).";
    const drawn = LENET.networks.map(function (net) {
      const block = document.createElement("div");
      block.className = "network";
      block.id = "network-" + net.name;
      const heading = document.createElement("h2");
      heading.textContent = net.label;
      block.appendChild(heading);
      const table = document.createElement("table");
      table.className = "examples";
      const rows = ["original", "adversarial", "perturbation"];
      const canvases = [];
      rows.forEach(function (rowName, row) {
        const tr = table.insertRow();
        const th = document.createElement("th");
        th.textContent = rowName;
        tr.appendChild(th);
        net.examples.forEach(function (example, col) {
          const td = tr.insertCell();
          const canvas = document.createElement("canvas");
          canvas.width = canvas.height = 3 * net.side;
          canvas.id = ["lenet", net.name, rowName, example.digit].join("-");
          td.appendChild(canvas);
          canvases.push([canvas, row, col]);
        });
      });
      const captions = table.insertRow();
      captions.appendChild(document.createElement("th"));
      net.examples.forEach(function (example) {
        const td = captions.insertCell();
        td.className = "caption" + (example.capped ? " capped" : "");
        td.dataset.l2 = String(example.l2);
        td.innerHTML = example.digit + " → " + example.target + "<br>L2 " + example.l2.toFixed(1) +
          " (" + (example.l2 / 255).toFixed(2) + ")<br>" + example.iterations + " steps" + (example.capped ? "<br>capped" : "");
      });
      block.appendChild(table);
      container.appendChild(block);
      const image = loadImage(net.sprite);
      return image.ready.then(function () {
        canvases.forEach(function (entry) {
          const context = entry[0].getContext("2d");
          context.imageSmoothingEnabled = false;
          context.drawImage(image, entry[2] * net.side, entry[1] * net.side, net.side, net.side, 0, 0, entry[0].width, entry[0].height);
        });
      });
    });
    const bar = document.createElement("div");
    bar.className = "colorbar";
    bar.innerHTML = "<span>x′ − x: −" + LENET.limit.toFixed(0) + "</span><img alt='perturbation colour scale' src='" +
      LENET.colorbar + "'><span>+" + LENET.limit.toFixed(0) + " grey levels</span>";
    container.appendChild(bar);
    return Promise.all(drawn);
  }

  // ---- tabs ----------------------------------------------------------------------------
  function showTab(name) {
    if (name === "lenet" && state.lenet === null) {
      // built on first view: the SVM tab opens faster without it
      state.lenet = setupLenet().then(function () { document.body.dataset.lenetReady = "true"; });
    }
    document.querySelectorAll(".tabs button").forEach(function (button) {
      const active = button.dataset.tab === name;
      button.setAttribute("aria-selected", String(active));
      document.getElementById("tab-" + button.dataset.tab).hidden = !active;
    });
    if (name === "svm" && PAIRS.length > 0) drawSvm(); // sized while hidden: redraw
  }

  document.querySelectorAll(".tabs button").forEach(function (button) {
    button.addEventListener("click", function () { showTab(button.dataset.tab); });
  });
  let resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { if (PAIRS.length > 0) drawSvm(); }, 150);
  });

  window.explorer = {
    state: state,
    data: DATA,
    setPair: setPair,
    setLambda: setLambda,
    showTab: showTab,
    ready: setupSvm().then(function () {
      state.readyAt = performance.now();
      document.body.dataset.ready = "true";
    }),
  };
})();
