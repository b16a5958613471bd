// dashboard.js: the live dashboard's script (inlined into dashboard.html by
// the tinyad binary). Listens to the server's /events stream: a "snapshot"
// (every device with its recent scores, sent on each (re)connect) replaces
// the whole state, then "verdict", "alarm_raised" and "alarm_cleared" events
// (the event log's JSON lines) update it. Redraws at most once per frame, and
// only the devices that changed. Device names come from clients: they are
// only ever set as text, never as HTML.
"use strict";

(function () {
  const OK = "#2f8f46", BAD = "#c62828", LINE = "#4a6fa5";
  const st = {
    info: null,
    devices: new Map(),  // name -> { name, alarm, threshold, windows, anomalies, points: [[t, score, anomaly]], card }
    connected: false,
    snapshots: 0,
    events: 0,
    ruleN: 5,
    history: 120,
    order: "",
  };
  const $ = (id) => document.getElementById(id);
  const dirty = new Set();
  let frame = 0;

  // Short numbers: 3 significant digits, exponent only when needed.
  function fmt(v) {
    if (typeof v !== "number") return "–";
    if (!isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
    return String(Number(v.toPrecision(3)));
  }
  function ago(t) {
    const s = Math.max(0, Date.now() / 1000 - t);
    if (s < 60) return Math.floor(s) + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    return Math.floor(s / 3600) + " h ago";
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function makeCard(d) {
    const card = el("div", "dev");
    card.dataset.device = d.name;
    const head = el("div", "head");
    const name = el("span", "name", d.name);
    name.title = d.name;
    const pill = el("span", "pill", "OK");
    const when = el("span", "ago", "");
    head.append(name, pill, when);
    const nums = el("div", "nums");
    const gauge = el("div", "gauge");
    const fill = el("div", "fill");
    const mark = el("div", "mark");
    mark.style.left = "50%";  // the threshold: the gauge runs to twice it
    gauge.append(fill, mark);
    const chart = el("div", "chart");
    card.append(head, nums, gauge, chart);
    return { card, pill, when, nums, fill, chart, drawn: false };
  }

  function scheduleDraw(name) {
    if (name !== undefined) dirty.add(name);
    if (!frame) frame = requestAnimationFrame(draw);
  }

  function drawCard(d) {
    const c = d.card;
    // A device learning its own baseline has verdicts without a score (null).
    const scored = d.points.filter((p) => typeof p[1] === "number");
    const last = scored.length ? scored[scored.length - 1] : null;
    const newest = d.points.length ? d.points[d.points.length - 1] : null;
    c.card.classList.toggle("alarm", d.alarm);
    c.pill.textContent = d.alarm ? "ALARM" : (d.phase === "learning" || d.phase === "calibrating") ? d.phase.toUpperCase() : "OK";
    c.when.textContent = newest ? ago(newest[0]) : "";
    const recent = d.points.slice(-st.ruleN);
    const bad = recent.filter((p) => p[2]).length;
    c.nums.textContent = "";
    const score = el("b", last && last[1] > d.threshold ? "over" : "", last ? fmt(last[1]) : "–");
    c.nums.append("score ", score, `${d.threshold > 0 ? " vs threshold " + fmt(d.threshold) : ""} · ` +
                  `${bad} of last ${recent.length} anomalous · ` +
                  `${d.windows} window${d.windows === 1 ? "" : "s"}`);
    const ratio = last && d.threshold > 0 ? Math.min(Math.max(last[1] / d.threshold, 0), 2) / 2 : 0;
    c.fill.style.width = (100 * ratio).toFixed(1) + "%";
    c.fill.classList.toggle("over", ratio > 0.5);
    c.fill.parentElement.style.visibility = d.threshold > 0 ? "" : "hidden";  // nothing to measure against yet

    const x = d.points.map((p) => new Date(p[0] * 1000));
    const y = d.points.map((p) => p[1]);
    const ys = scored.map((p) => p[1]);
    const top = Math.max(d.threshold, ...ys);
    // Faults can score orders of magnitude above the threshold: a log axis
    // keeps the normal windows readable next to them.
    const log = ys.length > 0 && Math.min(...ys) > 0 && d.threshold > 0 && top > 20 * d.threshold;
    const traces = [{
      x, y, type: "scatter", mode: "lines+markers",
      line: { color: LINE, width: 1.5 },
      marker: { size: 5, color: d.points.map((p) => (p[2] ? BAD : LINE)) },
      hovertemplate: "%{y:.4g}<br>%{x|%H:%M:%S}<extra></extra>",
    }];
    const layout = {
      height: 150, margin: { l: 46, r: 8, t: 6, b: 24 }, showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { size: 11, color: "#5b6472" },
      // Tenths of a second when the whole timeline is that short.
      xaxis: { type: "date", showgrid: false,
               tickformat: x.length > 1 && x[x.length - 1] - x[0] < 10000 ? "%H:%M:%S.%1f" : "%H:%M:%S" },
      yaxis: log ? { type: "log", gridcolor: "#edf0f3" }
                 : { range: [0, top * 1.15 || 1], gridcolor: "#edf0f3", zeroline: false },
      shapes: d.threshold > 0 ? [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: d.threshold, y1: d.threshold,
                                   line: { color: BAD, width: 1, dash: "dash" } }] : [],
      annotations: d.threshold > 0 ? [{ xref: "paper", x: 1, xanchor: "right", y: log ? Math.log10(d.threshold) : d.threshold,
                                        yanchor: "bottom", text: "threshold", showarrow: false,
                                        font: { size: 10, color: BAD } }] : [],
    };
    Plotly.react(c.chart, traces, layout, { displayModeBar: false, responsive: true });
    c.drawn = true;
  }

  function drawSummary() {
    const all = [...st.devices.values()];
    const alarms = all.filter((d) => d.alarm).length;
    const windows = all.reduce((n, d) => n + d.windows, 0);
    const anomalies = all.reduce((n, d) => n + d.anomalies, 0);
    const tiles = [["Devices", all.length, false], ["In alarm", alarms, alarms > 0],
                   ["Windows scored", windows, false], ["Anomalous windows", anomalies, false]];
    const box = $("summary");
    box.textContent = "";
    for (const [k, v, bad] of tiles) {
      const t = el("div", "tile" + (bad ? " bad" : ""));
      t.append(el("div", "v", String(v)), el("div", "k", k));
      box.append(t);
    }
    $("empty").hidden = all.length > 0 || !st.snapshots;
  }

  // Alarms first, then by name; the DOM is reordered only when that changes.
  function placeCards() {
    const sorted = [...st.devices.values()].sort((a, b) => (b.alarm - a.alarm) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const order = sorted.map((d) => (d.alarm ? "!" : "") + d.name).join("\n");
    if (order === st.order) return;
    st.order = order;
    const box = $("devices");
    for (const d of sorted) box.append(d.card.card);  // append moves an existing node
  }

  function draw() {
    frame = 0;
    for (const name of dirty) {
      const d = st.devices.get(name);
      if (d) drawCard(d);
    }
    dirty.clear();
    placeCards();
    drawSummary();
  }

  function device(name, threshold) {
    let d = st.devices.get(name);
    if (!d) {
      d = { name, alarm: false, threshold, windows: 0, anomalies: 0, points: [], phase: "" };
      d.card = makeCard(d);
      st.devices.set(name, d);
    }
    return d;
  }

  function onSnapshot(s) {
    st.info = s;
    st.history = s.history || 120;
    const m = /^(\d+)\/(\d+)$/.exec(s.alarm || "");
    st.ruleN = m ? Number(m[2]) : 5;
    // Without --model (per-device baselines only) there is no fleet model.
    const meta = s.model ? [String(s.model).split("/").pop(), s.detector, "threshold " + fmt(s.threshold)]
                         : ["per-device baselines"];
    meta.push(`alarm when ${s.alarm} windows are anomalous`);
    $("meta").textContent = meta.join(" · ");
    for (const d of st.devices.values()) d.card.card.remove();
    st.devices.clear();
    st.order = "";
    for (const x of s.devices) {
      const d = device(x.device, x.threshold);
      Object.assign(d, { alarm: x.alarm, windows: x.windows, anomalies: x.anomalies, points: x.points,
                         phase: x.phase || "" });
      dirty.add(d.name);
    }
    st.snapshots++;
    scheduleDraw();
  }

  function onVerdict(e) {
    const d = device(e.device, typeof e.threshold === "number" ? e.threshold : st.info ? st.info.threshold : 0);
    if (typeof e.threshold === "number") d.threshold = e.threshold;
    d.phase = typeof e.baseline === "string" ? e.baseline : "";
    d.points.push([e.time, typeof e.score === "number" ? e.score : null, e.anomaly ? 1 : 0]);
    if (d.points.length > st.history) d.points.splice(0, d.points.length - st.history);
    d.windows++;
    if (e.anomaly) d.anomalies++;
    scheduleDraw(d.name);
  }

  function onAlarm(e, raised) {
    const d = device(e.device, st.info ? st.info.threshold : 0);
    d.alarm = raised;
    scheduleDraw(d.name);
  }

  // DELETE /devices/<id> or --forget-after: the server no longer knows it.
  function onForgotten(e) {
    const d = st.devices.get(e.device);
    if (!d) return;
    d.card.card.remove();
    st.devices.delete(e.device);
    st.order = "";
    scheduleDraw();
  }

  function setConnected(on) {
    st.connected = on;
    $("conn").classList.toggle("live", on);
    $("conn-text").textContent = on ? "live" : "reconnecting…";
  }

  // Handlers read the event's JSON; one bad event must not stop the page.
  function listen(source, name, fn) {
    source.addEventListener(name, (ev) => {
      try {
        fn(JSON.parse(ev.data));
        if (name !== "snapshot") st.events++;
      } catch (err) {
        console.error("tinyad dashboard: bad " + name + " event: " + err);
      }
    });
  }

  const source = new EventSource("/events");
  source.onopen = () => setConnected(true);
  source.onerror = () => setConnected(false);  // EventSource reconnects; the next snapshot resets the page
  listen(source, "snapshot", onSnapshot);
  listen(source, "verdict", onVerdict);
  listen(source, "alarm_raised", (e) => onAlarm(e, true));
  listen(source, "alarm_cleared", (e) => onAlarm(e, false));
  listen(source, "forgotten", onForgotten);
  // "3 s ago" keeps counting between events.
  setInterval(() => {
    for (const d of st.devices.values()) {
      const last = d.points[d.points.length - 1];
      if (last) d.card.when.textContent = ago(last[0]);
    }
  }, 1000);

  // For tests and the curious: what the page currently shows.
  window.tinyadDashboard = {
    get connected() { return st.connected; },
    get snapshots() { return st.snapshots; },
    get events() { return st.events; },
    devices() {
      return [...st.devices.values()].map((d) => ({
        device: d.name, alarm: d.alarm, windows: d.windows, points: d.points.length,
        last: d.points.length ? d.points[d.points.length - 1][1] : null, drawn: d.card.drawn, phase: d.phase,
      }));
    },
  };
})();
