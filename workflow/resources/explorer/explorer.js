// The run explorer's script: reads the data inlined by tilting/explorer.py and draws it with
// plotly.js. Arrays arrive as base64 little-endian bytes ({dtype, shape, b64}) and are decoded
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
  const PLOT_CONFIG = { displayModeBar: false, responsive: true };
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
    const done = Promise.all([drawPlane(pair, arrays, k), drawHistogram(pair, arrays, k), drawCurves(pair, k), drawMirrors(pair, arrays, k)]);
    return done.then(function () { state.renders += 1; });
  }

  function boundarySegment(line, box) {
    // the two ends of c1 u + c2 v + k = 0 inside box = [u0, u1, v0, v1]
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
    let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity;
    for (let i = 0; i < n; i++) {
      const u = arrays.u[i], v = arrays.v[offset + i], c = arrays.label[i];
      xs[c].push(u); ys[c].push(v);
      u0 = Math.min(u0, u); u1 = Math.max(u1, u); v0 = Math.min(v0, v); v1 = Math.max(v1, v);
    }
    const padU = 0.06 * (u1 - u0 || 1), padV = 0.06 * (v1 - v0 || 1);
    const box = [u0 - padU, u1 + padU, v0 - padV, v1 + padV];
    const plane = pair.plane;
    const centroids = plane.centroids[k], points = plane.points[k], mirrors = plane.mirror_points[k];
    const traces = [0, 1].map(function (c) {
      return {
        type: "scatter", mode: "markers", name: "digit " + pair.digits[c], x: xs[c], y: ys[c],
        marker: { color: CLASS_COLORS[c], size: 4, opacity: 0.55 }, hoverinfo: "skip",
      };
    });
    const segment = boundarySegment(plane.line[k], box);
    traces.push({ type: "scatter", mode: "lines", name: "boundary", x: segment.x, y: segment.y, line: { color: "#000", width: 2 } });
    traces.push({
      type: "scatter", mode: "markers", name: "centroids", x: [centroids[0][0], centroids[1][0]], y: [centroids[0][1], centroids[1][1]],
      marker: { symbol: "x", size: 10, color: "#000" },
    });
    [0, 1].forEach(function (c) {
      traces.push({
        type: "scatter", mode: "lines+markers", showlegend: false, name: c === 0 ? "x → x_m" : "y → y_m",
        x: [points[c][0], mirrors[c][0]], y: [points[c][1], mirrors[c][1]],
        line: { color: CLASS_COLORS[c], dash: "dot", width: 1.5 },
        marker: { symbol: ["circle", "square-open"], size: [11, 11], color: CLASS_COLORS[c], line: { color: "#000", width: 1 } },
      });
    });
    document.getElementById("plane-note").textContent =
      n + " of " + plane.total_points + " training images shown; θ = " + pair.metrics.theta_deg[k].toFixed(1) + "°.";
    const layout = {
      margin: { l: 60, r: 10, t: 30, b: 45 },
      title: { text: pair.name + ", " + lambdaText(pair.metrics.alpha[k]), font: { size: 13 } },
      xaxis: { title: { text: "ẑ (grey levels)" }, range: [box[0], box[1]], zeroline: false },
      yaxis: { title: { text: "n̂ (grey levels)" }, range: [box[2], box[3]], zeroline: false, scaleanchor: "x", scaleratio: 1 },
      legend: { orientation: "h", y: -0.2, font: { size: 10 } },
      uirevision: pair.name,
    };
    return Plotly.react("plot-plane", traces, layout, PLOT_CONFIG);
  }

  function drawHistogram(pair, arrays, k) {
    const bins = arrays.bins;
    const low = pair.histograms.low[k], high = pair.histograms.high[k];
    const width = (high - low) / bins;
    let total = 0;
    for (let j = 0; j < bins; j++) total += arrays.counts[k * bins + j];
    const centers = [], density = [];
    for (let j = 0; j < bins; j++) {
      centers.push(low + (j + 0.5) * width);
      density.push(arrays.counts[k * bins + j] / (total * width));
    }
    const norm = pair.metrics.w_norm[k];
    const hingeX = [low];
    const kink = 1 / norm;
    if (kink > low && kink < high) hingeX.push(kink);
    hingeX.push(high);
    const hingeY = hingeX.map(function (z) { return Math.max(0, 1 - norm * z); });
    const dAdv = pair.metrics.d_adv[k];
    const traces = [
      { type: "bar", name: "training images", x: centers, y: density, width: width, marker: { color: "#999" }, hovertemplate: "%{x:.3g}: %{y:.3g}<extra></extra>" },
      { type: "scatter", mode: "lines", name: "scaled hinge loss", x: hingeX, y: hingeY, yaxis: "y2", line: { color: "#1f77b4", width: 2 } },
    ];
    const layout = {
      margin: { l: 60, r: 60, t: 30, b: 45 },
      title: { text: "‖w‖ = " + norm.toPrecision(3) + ", d_adv = " + dAdv.toFixed(2), font: { size: 13 } },
      xaxis: { title: { text: "y·d(x) (grey levels)" }, range: [low, high] },
      yaxis: { title: { text: "density" }, rangemode: "tozero" },
      yaxis2: { title: { text: "scaled hinge loss" }, overlaying: "y", side: "right", rangemode: "tozero", showgrid: false, color: "#1f77b4" },
      bargap: 0,
      showlegend: false,
      shapes: [
        { type: "line", xref: "x", yref: "paper", x0: 0, x1: 0, y0: 0, y1: 1, line: { color: "#000", width: 1 } },
        { type: "line", xref: "x", yref: "paper", x0: dAdv, x1: dAdv, y0: 0, y1: 1, line: { color: "#d62728", width: 1.5, dash: "dash" } },
      ],
    };
    return Plotly.react("plot-histogram", traces, layout, PLOT_CONFIG);
  }

  function curveMarkers(pair, k) {
    // the current lambda: a dot on each curve and a vertical line in each panel
    const m = pair.metrics;
    const dots = [m.theta_deg[k], m.d_adv[k], 100 * m.err_train[k], 100 * m.err_test[k]];
    const shapes = [];
    ["x", "x2", "x3"].forEach(function (axis) {
      const yref = axis.replace("x", "y") + " domain";
      shapes.push({ type: "line", xref: axis, yref: yref, x0: m.lam[k], x1: m.lam[k], y0: 0, y1: 1, line: { color: "#000", width: 1 } });
      shapes.push({ type: "line", xref: axis, yref: yref, x0: m.lam[pair.optimal], x1: m.lam[pair.optimal], y0: 0, y1: 1, line: { color: "#777", width: 1, dash: "dot" } });
    });
    return { x: dots.map(function () { return [m.lam[k]]; }), y: dots.map(function (v) { return [v]; }), shapes: shapes };
  }

  function drawCurves(pair, k) {
    const markers = curveMarkers(pair, k);
    const gd = document.getElementById("plot-curves");
    if (gd.dataset.pair === pair.name) {
      // same pair: only the markers move (a full redraw of three panels costs more)
      return Plotly.update(gd, { x: markers.x, y: markers.y }, { shapes: markers.shapes }, [4, 5, 6, 7]);
    }
    gd.dataset.pair = pair.name;
    const m = pair.metrics;
    const percent = function (values) { return values.map(function (v) { return 100 * v; }); };
    const traces = [
      { x: m.lam, y: m.theta_deg, name: "θ (degrees)", xaxis: "x", yaxis: "y", line: { color: "#1f77b4" } },
      { x: m.lam, y: m.d_adv, name: "d_adv (grey levels)", xaxis: "x2", yaxis: "y2", line: { color: "#d62728" } },
      { x: m.lam, y: percent(m.err_train), name: "err_train (%)", xaxis: "x3", yaxis: "y3", line: { color: "#2ca02c" } },
      { x: m.lam, y: percent(m.err_test), name: "err_test (%)", xaxis: "x3", yaxis: "y3", line: { color: "#9467bd" } },
    ].map(function (trace) { return Object.assign({ type: "scatter", mode: "lines" }, trace); });
    [["x", "y"], ["x2", "y2"], ["x3", "y3"], ["x3", "y3"]].forEach(function (axes, j) {
      traces.push({
        type: "scatter", mode: "markers", x: markers.x[j], y: markers.y[j], xaxis: axes[0], yaxis: axes[1],
        showlegend: false, hoverinfo: "skip", marker: { color: "#000", size: 8 },
      });
    });
    const axis = function (domain, title) {
      return [{ type: "log", domain: domain, title: { text: "λ" }, exponentformat: "power" }, { title: { text: title }, rangemode: "tozero" }];
    };
    const [x1, y1] = axis([0, 0.28], "θ (degrees)");
    const [x2, y2] = axis([0.36, 0.64], "d_adv (grey levels)");
    const [x3, y3] = axis([0.72, 1], "error (%)");
    y2.anchor = "x2"; y3.anchor = "x3"; x2.anchor = "y2"; x3.anchor = "y3";
    const layout = {
      margin: { l: 55, r: 10, t: 25, b: 45 },
      xaxis: x1, yaxis: y1, xaxis2: x2, yaxis2: y2, xaxis3: x3, yaxis3: y3,
      shapes: markers.shapes,
      legend: { orientation: "h", x: 0.72, y: 1.15, font: { size: 10 } },
    };
    return Plotly.react(gd, traces, layout, PLOT_CONFIG);
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
    if (name === "svm" && PAIRS.length > 0) {
      ["plot-plane", "plot-histogram", "plot-curves"].forEach(function (id) { Plotly.Plots.resize(id); });
    }
  }

  document.querySelectorAll(".tabs button").forEach(function (button) {
    button.addEventListener("click", function () { showTab(button.dataset.tab); });
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
