// report.js: draws a tinyad report from its JSON data with Plotly. The C++
// side (src/report/report_*.cpp) computes every number; this file only lays out
// sections, tables and charts. No network, no other library.
"use strict";

const PLOT_CONFIG = { displaylogo: false, responsive: true };
const NORMAL_COLOURS = ["#1f77b4", "#17becf", "#2ca02c", "#4c72b0", "#64b5cd"];
const ANOMALY_COLOURS = ["#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#c44e52"];
const AXES = ["x", "y", "z"];

// ---------------------------------------------------------------- helpers
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function fmt(v, digits = 3) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  return v.toFixed(digits);
}

function meanOf(a) {
  return a.reduce((p, q) => p + q, 0) / Math.max(1, a.length);
}

function pct(v) {
  return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + " %";
}

function shortLabel(label) {
  return label.replace(/^fan_\d+_/, "").replace(/_weight/, "");
}

// One colour per label, normal labels in blues, anomalies in warm colours.
function colourMap(normal, anomaly) {
  const m = {};
  normal.forEach((l, i) => (m[l] = NORMAL_COLOURS[i % NORMAL_COLOURS.length]));
  anomaly.forEach((l, i) => (m[l] = ANOMALY_COLOURS[i % ANOMALY_COLOURS.length]));
  return m;
}

function section(root, title, note) {
  const s = el("section", {}, el("h2", {}, title));
  if (note) s.append(el("p", { class: "note" }, note));
  root.append(s);
  return s;
}

function table(head, rows, opts = {}) {
  const t = el("table");
  const tr = el("tr");
  head.forEach((h, i) => tr.append(el("th", { class: i < (opts.leftCols || 1) ? "l" : "" }, h)));
  t.append(el("thead", {}, tr));
  const body = el("tbody");
  rows.forEach((r, ri) => {
    const row = el("tr", opts.pick && opts.pick(ri) ? { class: "pick" } : {});
    r.forEach((c, i) => {
      const cls = (i < (opts.leftCols || 1) ? "l" : "") + ((opts.wrapCols || []).includes(i) ? " wrap" : "");
      row.append(el("td", { class: cls.trim() }, c));
    });
    body.append(row);
  });
  t.append(body);
  return el("div", { class: "scroll" }, t);
}

// Every chart goes through here so the page knows when all are drawn.
const pending = [];
function chart(parent, height, traces, layout) {
  const div = el("div", { class: "chart" });
  div.style.height = height + "px";
  parent.append(div);
  const base = { margin: { l: 60, r: 20, t: 36, b: 44 }, font: { size: 12 }, legend: { orientation: "h", y: -0.18 } };
  pending.push(Plotly.newPlot(div, traces, Object.assign(base, layout), PLOT_CONFIG));
  return div;
}

// ---------------------------------------------------------------- analysis
function analysisReport(root, d) {
  const colour = colourMap(d.normal, d.anomaly);
  recommendation(root, d);
  datasetSection(root, d);
  rawWindows(root, d, colour);
  scatter3d(root, d, colour);
  spectra(root, d, colour);
  distributions(root, d, colour);
  ranking(root, d);
  featureSets(root, d);
  pcaSection(root, d, colour);
}

function recommendation(root, d) {
  const fs = d.feature_sets;
  const s = section(root, "Recommended features");
  const tags = (gs) => gs.map((g) => el("span", { class: "tag" }, g));
  const best = fs.path[fs.path.length - 1];
  const def = fs.reference.find((r) => r.name === "the default recipe");
  const c = el("div", { class: "callout" }, el("b", {}, "Recommended feature groups: "), ...tags(fs.recommended));
  s.append(c);
  if (d.train_command) {
    s.append(el("p", {}, "To train a model on them (the check below trained on the first normal label):"));
    s.append(el("pre", {}, d.train_command));
  }
  if (d.normal.length < 2) {
    s.append(el("div", { class: "callout warn" },
      "Only one normal label was given, so nothing here measures drift between recording sessions. Features that " +
      "tell sessions apart (the mean, axis correlations) then look like the best detectors and raise false alarms on " +
      "the next recording. Add a second normal label from another session (--normal A,B)."));
  }
  const meanAuc = (r) => r.auc.reduce((a, b) => a + b, 0) / Math.max(1, r.auc.length);
  const line = (name, r) =>
    `${name}: mean AUC ${fmt(meanAuc(r))}, false alarms on other normal sessions ${pct(r.false_alarms_other)}, ` +
    `on the test split ${pct(r.false_alarms_test)} (${r.n_features} features)`;
  s.append(el("p", { class: "note" }, line("Recommended set", best)));
  if (def) s.append(el("p", { class: "note" }, line("The default recipe (" + def.groups.join(", ") + ")", def)));
  s.append(
    el("p", { class: "note" },
      "How it is chosen: a Mahalanobis detector (Ledoit-Wolf covariance, threshold " + fs.threshold +
      " of validation scores) is trained on 60 % of '" + fs.trained_on + "' for each candidate set of feature groups, over " +
      fs.seeds.length + " splits. Groups are added one at a time while the objective (mean AUC over the anomaly labels " +
      "minus the false-alarm rate on the other normal labels) grows by at least " + fs.min_gain +
      ". A feature that separates the classes alone is not enough: it must not also separate normal recording sessions."));
}

function datasetSection(root, d) {
  const ds = d.dataset;
  const s = section(root, "Dataset",
    `${ds.root}: windows of the first ${ds.window} rows at a nominal ${ds.sample_rate} Hz. ` +
    `${ds.n_bad} file(s) could not be used.`);
  const count = (v) => (v === null || v === undefined ? "–" : String(v));
  const rows = ds.labels.map((l) => [l.label, l.role, count(l.files), count(l.readable), count(l.bad),
    l.rows ? `${l.rows.min} / ${l.rows.median} / ${l.rows.max}` : "–"]);
  s.append(table(["label", "role", "files", "readable", "bad", "rows per file (min / median / max)"], rows, { leftCols: 2 }));
  if (ds.bad_files.length) {
    const det = el("details", {}, el("summary", {}, `Files left out (${ds.n_bad})`));
    det.append(el("pre", {}, ds.bad_files.join("\n")));
    s.append(det);
  }
}

function rawWindows(root, d, colour) {
  const s = section(root, "Raw windows",
    "One recording per label (its first readable file), per axis, as recorded and with the window's mean removed. " +
    "The mean is the sensor's orientation (gravity), the rest is vibration.");
  const normal = d.examples.find((e) => e.role === "normal");
  const anomalies = d.examples.filter((e) => e.role === "anomaly");
  const pickRow = el("p", { class: "note" }, "Anomalous window: ");
  const sel = el("select", { "aria-label": "anomaly label" });
  anomalies.forEach((e, i) => sel.append(el("option", { value: i }, e.label)));
  pickRow.append(sel);
  s.append(pickRow);
  const grid = el("div", { class: "grid2" });
  s.append(grid);
  const build = (centre) => (anomaly) => {
    const traces = [];
    AXES.forEach((a, k) => {
      for (const e of [normal, anomaly]) {
        const m = e[a].reduce((p, q) => p + q, 0) / e[a].length;
        traces.push({
          type: "scatter", mode: "lines", y: centre ? e[a].map((v) => v - m) : e[a],
          x: e[a].map((_, t) => t / d.dataset.sample_rate),
          name: e.label, legendgroup: e.label, showlegend: k === 0,
          line: { color: colour[e.label], width: 1.2 }, xaxis: "x" + (k + 1), yaxis: "y" + (k + 1),
          hovertemplate: `${e.file}<br>${a}: %{y:.4f} g<extra></extra>`,
        });
      }
    });
    return traces;
  };
  const layout = (title) => {
    const l = { title: { text: title }, grid: { rows: 3, columns: 1, pattern: "independent" } };
    AXES.forEach((a, k) => {
      l["yaxis" + (k + 1)] = { title: { text: a + " (g)" } };
      l["xaxis" + (k + 1)] = { title: { text: k === 2 ? "time (s)" : "" } };
    });
    return l;
  };
  const raw = chart(grid, 560, build(false)(anomalies[0]), layout("as recorded"));
  const centred = chart(grid, 560, build(true)(anomalies[0]), layout("mean removed"));
  sel.addEventListener("change", () => {
    const a = anomalies[Number(sel.value)];
    Plotly.react(raw, build(false)(a), raw.layout);
    Plotly.react(centred, build(true)(a), centred.layout);
  });
}

function scatter3d(root, d, colour) {
  const s = section(root, "Readings in 3-D",
    "Every reading (x, y, z in g) of three windows per label. Drag to rotate; click a legend entry to hide a label. " +
    "Clouds sit where gravity points, so a different offset can mean a different mounting or session, not a fault.");
  const traces = d.scatter3d.map((c) => ({
    type: "scatter3d", mode: "markers", x: c.x, y: c.y, z: c.z, name: c.label,
    marker: { size: 2, color: colour[c.label], opacity: 0.7 },
    hovertemplate: `${c.label}<br>x %{x:.3f}<br>y %{y:.3f}<br>z %{z:.3f}<extra></extra>`,
  }));
  chart(s, 620, traces, {
    scene: { xaxis: { title: { text: "x (g)" } }, yaxis: { title: { text: "y (g)" } }, zaxis: { title: { text: "z (g)" } } },
    margin: { l: 0, r: 0, t: 10, b: 10 }, legend: { orientation: "v", x: 1, y: 0.5 },
  });
}

function spectra(root, d, colour) {
  const sp = d.spectra;
  const s = section(root, "Average spectra",
    `Mean power |X(f)|² per label and axis: mean removed, Hann window, ${sp.n_fft}-point FFT, DC dropped. ` +
    "The frequency axis assumes the nominal sample rate; lines above half of it are aliases.");
  const traces = [];
  AXES.forEach((a, k) => {
    for (const l of sp.labels) {
      traces.push({
        type: "scatter", mode: "lines", x: sp.freq, y: l[a], name: l.label, legendgroup: l.label,
        showlegend: k === 0, line: { color: colour[l.label], width: 1.3 },
        xaxis: "x" + (k + 1), yaxis: "y" + (k + 1),
        hovertemplate: `${l.label} ${a}<br>%{x:.2f} Hz: %{y:.3g} g²<extra></extra>`,
      });
    }
  });
  const layout = { grid: { rows: 1, columns: 3, pattern: "independent" } };
  AXES.forEach((a, k) => {
    layout["xaxis" + (k + 1)] = { title: { text: `frequency (Hz), ${a}` } };
    layout["yaxis" + (k + 1)] = { type: "log", title: { text: k === 0 ? "power (g²)" : "" }, exponentformat: "power" };
  });
  chart(s, 440, traces, layout);
}

const GROUP_NOTES = {
  mean: "mean (g): the orientation of the sensor",
  std: "std (g): RMS of the mean-removed signal (√variance)",
  mad: "MAD (g): 1.4826 × median absolute deviation",
  skew: "skewness",
  kurt: "excess kurtosis",
  ptp: "peak to peak (g)",
  crest: "crest factor: peak / RMS",
  corr: "correlation between axes",
};

function distributions(root, d, colour) {
  const dist = d.distributions;
  const s = section(root, "Feature distributions by label",
    "Box plots of each feature per label (up to " + Math.max(...dist.labels.map((l) => l.n)) +
    " windows per label, spread over the recording). Scale features use a log axis.");
  const grid = el("div", { class: "grid2" });
  s.append(grid);
  const groups = [...new Set(dist.groups)];
  for (const g of groups) {
    const cols = dist.groups.map((x, i) => (x === g ? i : -1)).filter((i) => i >= 0);
    const traces = dist.labels.map((l) => {
      const x = [], y = [];
      for (const c of cols) {
        const part = dist.features[c].split("_").pop();
        for (const v of l.values[c]) {
          x.push(part);
          y.push(v);
        }
      }
      return { type: "box", x, y, name: l.label, marker: { color: colour[l.label], size: 2 }, boxpoints: false, line: { width: 1 } };
    });
    const logAxis = ["std", "mad", "ptp"].includes(g);
    chart(grid, 340, traces, {
      title: { text: GROUP_NOTES[g] || g }, boxmode: "group", showlegend: g === groups[0],
      yaxis: { type: logAxis ? "log" : "linear" }, legend: { orientation: "h", y: -0.25 },
    });
  }
}

function ranking(root, d) {
  const r = d.ranking;
  const hasDrift = r.features.some((f) => f.drift !== null);
  const s = section(root, "Features ranked one at a time",
    "Separation = |2·AUC − 1| of one feature between all normal windows and one anomaly label (0: no better than chance, " +
    "1: a perfect threshold exists); the heat map keeps the sign (red: higher in the anomaly). " +
    (hasDrift ? "Session drift is the same measure between the first normal label and the other normal labels: " +
      "a feature that tells normal sessions apart raises false alarms on a new session. " : "") +
    "A single-feature ranking cannot show what features add together; the detector check below does.");
  s.append(el("h3", {}, "Feature groups"));
  s.append(table(["group", "features", "mean separation", "best feature", hasDrift ? "mean session drift" : "session drift",
    "shift / session spread (mean)", "(best feature)"],
    r.groups.map((g) => [g.group, g.n_features, fmt(g.separation), fmt(g.best), fmt(g.drift),
      fmt(g.session_relative), fmt(g.best_session_relative)])));
  s.append(el("p", {}, "Shift / session spread: per feature, the smallest over the anomaly labels of " +
    "|anomaly mean − normal mean| / (sd of the normal sessions' means + pooled within-session sd); each normal " +
    "label is one session. Above 1, the anomalies move the feature more than a new session does."));
  const labels = d.anomaly;
  const feats = r.features;
  const z = feats.map((f) => f.auc.map((a) => 2 * a - 1));
  const text = feats.map((f) => f.auc.map((a) => "AUC " + a.toFixed(3)));
  const traces = [{
    type: "heatmap", z, x: labels.map(shortLabel), y: feats.map((f) => f.name), text, zmin: -1, zmax: 1,
    colorscale: "RdBu", colorbar: { title: { text: "2·AUC−1" } },
    hovertemplate: "%{y} vs %{x}<br>%{text}<extra></extra>",
  }];
  if (hasDrift) {
    traces.push({
      type: "bar", orientation: "h", x: feats.map((f) => f.drift), y: feats.map((f) => f.name), xaxis: "x2",
      marker: { color: "#888" }, name: "session drift", hovertemplate: "%{y}: drift %{x:.3f}<extra></extra>",
    });
  }
  const layout = {
    title: { text: "separation per feature and anomaly label, best first" },
    yaxis: { autorange: "reversed", tickfont: { size: 9 }, dtick: 1 },
    xaxis: { domain: hasDrift ? [0, 0.72] : [0, 1], side: "top" },
    margin: { l: 90, r: 20, t: 80, b: 20 }, showlegend: false,
  };
  if (hasDrift) layout.xaxis2 = { domain: [0.78, 1], range: [0, 1], side: "top", title: { text: "session drift" } };
  chart(s, 120 + 13 * feats.length, traces, layout);
  const det = el("details", {}, el("summary", {}, "All features as a table"));
  det.append(table(["rank", "feature", "group", ...labels.map(shortLabel), "separation", "worst label", "drift"],
    feats.map((f, i) => [i + 1, f.name, f.group, ...f.auc.map((a) => fmt(a)), fmt(f.separation), fmt(f.worst), fmt(f.drift)]),
    { leftCols: 3 }));
  s.append(det);
}

function featureSets(root, d) {
  const fs = d.feature_sets;
  const labels = d.anomaly;
  const s = section(root, "Feature groups with the detector",
    "What a detector achieves with each set of feature groups (means over " + fs.seeds.length + " splits). AUC (mean, " +
    "and one column per anomaly label): the normal test split vs the label; detected: share of the anomalous windows above the threshold (mean over " +
    "the labels); false alarms: share of " +
    "normal windows above it, on the test split and on the other normal labels (sessions the detector never saw).");
  const meanAuc = (r) => meanOf(r.auc);
  const row = (kind, r) => [kind, r.groups.join(", "), r.n_features, fmt(meanAuc(r)), ...r.auc.map((a) => fmt(a)),
    pct(meanOf(r.detected)), pct(r.false_alarms_test), pct(r.false_alarms_other), fmt(r.objective)];
  const rows = [], isPick = [];
  fs.path.forEach((r, i) => { rows.push(row("search step " + (i + 1), r)); isPick.push(i === fs.path.length - 1); });
  fs.reference.forEach((r) => { rows.push(row(r.name, r)); isPick.push(false); });
  [...fs.singles].sort((a, b) => b.objective - a.objective).forEach((r) => { rows.push(row("alone", r)); isPick.push(false); });
  s.append(table(["set", "groups", "features", "mean AUC", ...labels.map(shortLabel),
    "detected", "false alarms: test", "other normal", "objective"], rows,
    { leftCols: 2, wrapCols: [1], pick: (i) => isPick[i] }));
  const all = [...fs.path.map((r, i) => ["+" + r.groups[r.groups.length - 1] + " (step " + (i + 1) + ")", r]),
    ...fs.reference.map((r) => [r.name, r]), ...fs.singles.map((r) => [r.groups[0] + " alone", r])];
  chart(s, 420, [
    { type: "bar", name: "mean AUC", x: all.map((a) => a[0]), y: all.map((a) => meanAuc(a[1])), marker: { color: "#4c72b0" } },
    { type: "bar", name: "false alarms on other normal labels", x: all.map((a) => a[0]),
      y: all.map((a) => a[1].false_alarms_other ?? 0), marker: { color: "#c44e52" } },
    { type: "bar", name: "mean share detected at the threshold", x: all.map((a) => a[0]), y: all.map((a) => meanOf(a[1].detected)),
      marker: { color: "#55a868" } },
  ], { barmode: "group", yaxis: { range: [0, 1.05], title: { text: "share" } }, xaxis: { tickangle: -35 },
    margin: { l: 60, r: 20, t: 20, b: 150 }, legend: { orientation: "h", y: 1.12 } });
}

function pcaSection(root, d, colour) {
  const p = d.pca;
  const s = section(root, "PCA of the recommended features",
    `Windows projected on the first two principal axes of the standardised features of ${p.groups.join(", ")} ` +
    `(${(100 * p.explained[0]).toFixed(1)} % and ${(100 * p.explained[1]).toFixed(1)} % of the variance).`);
  const traces = p.labels.map((l) => ({
    type: "scatter", mode: "markers", x: l.x, y: l.y,
    name: l.label, marker: { size: 4, color: colour[l.label], opacity: 0.7, symbol: l.role === "normal" ? "circle" : "diamond" },
  }));
  chart(s, 520, traces, { xaxis: { title: { text: "PC 1" } }, yaxis: { title: { text: "PC 2" } },
    legend: { orientation: "v", x: 1.02, y: 1 }, margin: { l: 60, r: 20, t: 20, b: 50 } });
}

// ---------------------------------------------------------------- train / eval
function modelReport(root, d) {
  const e = d.eval;
  const labels = d.histogram.labels;
  const normal = labels.filter((l) => l.normal).map((l) => l.label);
  const anomaly = labels.filter((l) => !l.normal).map((l) => l.label);
  const colour = colourMap(normal, anomaly);

  const s = section(root, d.kind === "train" ? "Held-out test split" : "Evaluation",
    d.kind === "train"
      ? "Scores of the normal test split (never used for training or the threshold) and of the anomaly labels."
      : "Scores of the labelled windows; files the model was trained or calibrated on are not scored" +
        (e.n_excluded ? ` (${e.n_excluded} left out)` : "") + ".");
  const cards = el("div", { class: "cards" });
  const card = (k, v) => cards.append(el("div", { class: "card" }, el("div", { class: "v" }, v), el("div", { class: "k" }, k)));
  card("AUC (all anomaly labels)", fmt(e.auc));
  card("threshold", fmt(e.threshold, 4));
  card("detected (TPR)", pct(e.tpr));
  card("false alarms (FPR)", pct(e.fpr));
  card("normal windows", e.n_normal);
  card("anomalous windows", e.n_anomaly);
  s.append(cards);

  const h = d.histogram;
  const hs = section(root, "Score histograms",
    "Share of each label's windows per score bin (log-spaced bins on a log axis); a window above the dashed threshold is flagged.");
  const traces = labels.map((l) => {
    const y = l.counts.map((c) => (l.n ? c / l.n : 0));
    return {
      type: "scatter", mode: "lines", x: h.edges, y: [...y, y[y.length - 1] || 0], line: { shape: "hv", color: colour[l.label], width: 1.5 },
      fill: "tozeroy", fillcolor: colour[l.label] + "22", name: `${l.label} (${l.n})`,
      hovertemplate: `${l.label}<br>score ≥ %{x:.3g}: %{y:.1%}<extra></extra>`,
    };
  });
  chart(hs, 440, traces, {
    xaxis: { type: "log", title: { text: "score" }, exponentformat: "power" }, yaxis: { title: { text: "share of the label's windows" }, tickformat: ".0%" },
    shapes: [{ type: "line", x0: h.threshold, x1: h.threshold, y0: 0, y1: 1, yref: "paper", line: { dash: "dash", color: "#111", width: 2 } }],
    annotations: [{ x: Math.log10(h.threshold), y: 1, yref: "paper", text: "threshold " + fmt(h.threshold, 3), showarrow: false, yanchor: "bottom" }],
    margin: { l: 70, r: 20, t: 30, b: 50 }, legend: { orientation: "h", y: -0.2 },
  });

  const grid = el("div", { class: "grid2" });
  const rs = section(root, "ROC curve and confusion matrix",
    "ROC: every threshold, all normal windows against all anomalous ones and against each label. Confusion matrix at the model's threshold.");
  rs.append(grid);
  const rocTraces = [{ type: "scatter", mode: "lines", x: [0, 1], y: [0, 1], line: { dash: "dot", color: "#aaa" }, showlegend: false, hoverinfo: "skip" }];
  if (d.roc.pooled.fpr.length) {
    rocTraces.push({ type: "scatter", mode: "lines", x: d.roc.pooled.fpr, y: d.roc.pooled.tpr, name: `all (AUC ${fmt(d.roc.pooled.auc)})`, line: { color: "#111", width: 2.5 } });
  }
  for (const r of d.roc.per_label) {
    rocTraces.push({ type: "scatter", mode: "lines", x: r.fpr, y: r.tpr, name: `${shortLabel(r.label)} (${fmt(r.auc)})`, line: { color: colour[r.label], width: 1.3 } });
  }
  if (rocTraces.length === 1) {
    rocTraces.push({ type: "scatter", mode: "markers", x: [e.fpr], y: [e.tpr], name: "no anomaly labels: operating point only" });
  }
  chart(grid, 420, rocTraces, {
    xaxis: { title: { text: "false-positive rate" }, range: [0, 1] }, yaxis: { title: { text: "true-positive rate" }, range: [0, 1.02] },
    legend: { orientation: "v", x: 0.45, y: 0.05, yanchor: "bottom", bgcolor: "rgba(255,255,255,0.7)" },
  });
  // Colour by the share of the actual class, so a small normal class still shows.
  const cm = e.confusion;
  const share = cm.map((row) => row.map((c) => (row[0] + row[1] ? c / (row[0] + row[1]) : 0)));
  const names = [["TN", "FP"], ["FN", "TP"]];
  chart(grid, 420, [{
    type: "heatmap", z: share, x: ["predicted normal", "predicted anomaly"], y: ["actual normal", "actual anomaly"],
    zmin: 0, zmax: 1, colorscale: [[0, "#f3f6fb"], [1, "#2b5c9e"]], showscale: false,
    text: cm.map((row, i) => row.map((c, j) => `${names[i][j]} ${c}<br>${(100 * share[i][j]).toFixed(1)} %`)),
    texttemplate: "%{text}", textfont: { size: 17 }, hovertemplate: "%{y}, %{x}: %{text}<extra></extra>",
  }], { yaxis: { autorange: "reversed" }, margin: { l: 110, r: 20, t: 20, b: 50 } });

  const ls = section(root, "Per-label detection");
  ls.append(table(["label", "role", "windows", "flagged", "rate", "AUC vs normal"],
    Object.entries(e.per_label).map(([label, l]) => [label, l.normal ? "normal" : "anomaly", l.n, l.flagged, pct(l.n ? l.flagged / l.n : 0), fmt(l.auc)]),
    { leftCols: 2 }));

  if (d.loss && d.loss.train && d.loss.train.length) lossSection(root, d.loss);
  modelSection(root, d.model);
}

function lossSection(root, loss) {
  const s = section(root, "Training loss", "Mean loss per epoch on the training windows and on the validation windows.");
  const epochs = loss.train.map((_, i) => i + 1);
  const traces = [{ type: "scatter", mode: "lines", x: epochs, y: loss.train, name: "training" }];
  if (loss.validation && loss.validation.length) traces.push({ type: "scatter", mode: "lines", x: epochs, y: loss.validation, name: "validation" });
  const layout = { xaxis: { title: { text: "epoch" } }, yaxis: { type: "log", title: { text: "loss" } } };
  if (loss.best_epoch) layout.shapes = [{ type: "line", x0: loss.best_epoch, x1: loss.best_epoch, y0: 0, y1: 1, yref: "paper", line: { dash: "dash", color: "#555" } }];
  chart(s, 360, traces, layout);
}

function modelSection(root, m) {
  const s = section(root, "Model: recipe and provenance");
  const r = m.recipe;
  const rows = [
    ["detector", m.detector], ["recipe", r.name], ["window (rows)", r.window], ["feature groups", r.features.join(", ")],
    ["features", r.n_features], ["log scale", r.log ? `yes (eps ${r.log_eps})` : "no"],
    ["threshold", `${fmt(m.threshold.value, 4)} (${m.threshold.spec})`],
  ];
  if (r.band_edges) rows.push(["band edges (FFT bins of " + r.fft_size + ")", r.band_edges.join(", ")]);
  if (m.mahalanobis) rows.push(["covariance shrinkage", fmt(m.mahalanobis.shrinkage)], ["covariance condition", m.mahalanobis.condition.toExponential(2)]);
  if (m.split) rows.push(["split", `seed ${m.split.seed}: ${m.split.n_train} train / ${m.split.n_validation} validation / ${m.split.n_test} test of ${m.split.normal_labels.join(", ")}`]);
  s.append(table(["", ""], rows.map(([k, v]) => [k, String(v)]), { leftCols: 2 }));
  const det = el("details", {}, el("summary", {}, "Provenance (as stored in the model file)"));
  det.append(el("pre", {}, JSON.stringify(m.provenance, null, 2)));
  s.append(det);
}

// ---------------------------------------------------------------- entry
function tinyadReportMain(d) {
  document.getElementById("title").textContent = d.title;
  document.getElementById("meta").textContent = `${d.tool} · ${d.kind} report`;
  const root = document.getElementById("report");
  try {
    if (d.kind === "analysis") analysisReport(root, d);
    else modelReport(root, d);
  } catch (err) {
    // Tell the reader (and the browser test) at once instead of a half-drawn page.
    root.prepend(el("div", { class: "callout warn" }, "This report could not be drawn completely: " + err));
    window.tinyadReport = { charts: pending.length, ready: false, error: String(err) };
    throw err;
  }
  window.tinyadReport = { charts: pending.length, ready: false };
  Promise.all(pending).then(
    () => { window.tinyadReport.ready = true; },
    (err) => { window.tinyadReport.error = String(err); console.error("tinyad report: " + err); });
}
