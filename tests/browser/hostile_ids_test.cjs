// hostile_ids_test.cjs: issue 12 part 7, escaping everywhere. Device ids come
// from clients; this posts ids made of quotes, backslashes, HTML and script,
// and ids a device must not get (a newline, bytes that are not UTF-8) to a
// real `tinyad serve --events FILE`, then checks every place an id ends up:
//   - the refused ones get 400 and appear nowhere;
//   - /metrics passes Prometheus's own parser (`promtool check metrics`);
//   - the events file is one valid JSON object per line, ids intact;
//   - the dashboard in headless Chromium shows each id as text and runs none
//     of it (no dialog, no marker set by an injected handler, no request out).
// MQTT topics are checked in tests/hostile_ids_test.cpp (it needs a broker).
// Run by ctest with TINYAD_BINARY, TINYAD_WEB_MODULES, TINYAD_ARTIFACTS,
// CHROMIUM (as dashboard_test.cjs); PROMTOOL optional (default promtool).
"use strict";

const fs = require("fs");
const net = require("net");
const path = require("path");
const { execFileSync, spawn, spawnSync } = require("child_process");
const { settings, check, run, loadChromium, launchBrowser, watchPage } = require("./common.cjs");

const { binary, modules, artifacts, chromiumPath } = settings("tinyad-hostile-ids-");
const NORMAL = "fan_0_low_0_weight", FAULT = "fan_0_high_1_weight";

// Ids that must come through intact (each sets a marker if any of it ran).
const GOOD = [
  `q"uote'apos`,
  `back\\slash\\"`,
  `<script>window.__pwned="script"</script>`,
  `<img src=x onerror="window.__pwned='img'">`,
  `"><svg onload="window.__pwned='svg'">`,
  `{{constructor.constructor('window.__pwned=1')()}}`,
  `ünïcødé-ℂ-🌀`,
];
// Raw header values (bytes) that must be refused.
const BAD = [
  { what: "a non-UTF-8 byte", header: Buffer.from([0x63, 0x61, 0x66, 0xe9]) },
  { what: "a cut UTF-8 sequence", header: Buffer.from([0x66, 0x61, 0x6e, 0xe2, 0x82]) },
  { what: "a control character", header: Buffer.from("fan\x01x", "latin1") },
];

function startServer(model, events) {
  const child = spawn(binary, ["serve", "--model", model, "-p", "0", "--host", "127.0.0.1", "--alarm", "1/1",
                               "--events", events], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b) => { out += b; });
  child.stderr.on("data", (b) => { out += b; });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  const port = new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      const m = /listening on port (\d+)\n/.exec(out);
      if (m) { clearInterval(poll); resolve(Number(m[1])); }
      else if (Date.now() - t0 > 10000 || child.exitCode !== null) {
        clearInterval(poll);
        reject(new Error("tinyad serve did not start: " + out));
      }
    }, 20);
  });
  return { child, port, exited, output: () => out };
}

function windowBody(data, label, i, device) {
  const x = [], y = [], z = [];
  const file = path.join(data, label, String(i).padStart(4, "0") + ".csv");
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const v = line.split(",").map(Number);
    x.push(v[0]); y.push(v[1]); z.push(v[2]);
  }
  return Buffer.from(JSON.stringify(device === undefined ? { x, y, z } : { device, x, y, z }), "utf8");
}

// A raw HTTP exchange (node's http refuses the bytes this test must send):
// resolves { status, text, raw }.
function rawRequest(port, head, body) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    const chunks = [];
    s.on("data", (c) => chunks.push(c));
    s.on("end", () => {
      const raw = Buffer.concat(chunks).toString("latin1");
      resolve({ status: Number(raw.slice(9, 12)), text: raw.slice(raw.indexOf("\r\n\r\n") + 4), raw });
    });
    s.on("error", reject);
    s.end(Buffer.concat([head, body || Buffer.alloc(0)]));
  });
}

function post(port, body, deviceHeader) {
  const head = [Buffer.from("POST / HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\n" +
                            `Content-Length: ${body.length}\r\n`, "latin1")];
  if (deviceHeader) head.push(Buffer.from("X-Device-Id: ", "latin1"), deviceHeader, Buffer.from("\r\n", "latin1"));
  head.push(Buffer.from("\r\n", "latin1"));
  return rawRequest(port, Buffer.concat(head), body);
}

async function main() {
  const chromium = loadChromium({ binary, modules });
  fs.mkdirSync(artifacts, { recursive: true });
  const data = path.join(artifacts, "hostile-data");
  const model = path.join(artifacts, "hostile-model.json");
  const events = path.join(artifacts, "hostile-events.jsonl");
  fs.rmSync(data, { recursive: true, force: true });
  fs.rmSync(events, { force: true });
  execFileSync(binary, ["simulate", "-o", data, "--labels", `${NORMAL},${FAULT}`, "-n", "30", "--seed", "12"]);
  execFileSync(binary, ["train", "--data", data, "--normal", NORMAL, "--anomaly", FAULT, "-o", model],
               { stdio: ["ignore", "ignore", "pipe"] });
  const server = startServer(model, events);
  const port = await server.port;
  const base = `http://127.0.0.1:${port}`;
  try {
    // Each good id posts a faulty window (alarm 1/1: a raise event too) in
    // the body's "device"; the bad ones come as raw header bytes, and a
    // newline inside the JSON string of the body.
    for (const [i, id] of GOOD.entries()) {
      const r = await post(port, windowBody(data, FAULT, i, id));
      check(r.status === 200, `id ${JSON.stringify(id)} is taken`, `${r.status} ${r.text}`);
    }
    for (const b of BAD) {
      const r = await post(port, windowBody(data, NORMAL, 0), b.header);
      check(r.status === 400, `an id with ${b.what} is refused with 400`, `${r.status} ${r.text}`);
    }
    const nl = await post(port, windowBody(data, NORMAL, 0, "line\nbreak"));
    check(nl.status === 400, "an id with a newline is refused with 400", `${nl.status} ${nl.text}`);

    // /metrics through Prometheus's parser.
    const metrics = await rawRequest(port, Buffer.from("GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    fs.writeFileSync(path.join(artifacts, "hostile-metrics.txt"), metrics.text, "latin1");
    const promtool = spawnSync(process.env.PROMTOOL || "promtool", ["check", "metrics"],
                               { input: Buffer.from(metrics.text, "latin1"), encoding: "utf8" });
    check(promtool.status === 0, "promtool check metrics accepts /metrics",
          `${promtool.error || ""} ${promtool.stdout} ${promtool.stderr}`);
    const labelled = GOOD.filter((id) => {
      const esc = id.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
      return Buffer.from(metrics.text, "latin1").toString("utf8").includes(`device="${esc}"`);
    });
    check(labelled.length === GOOD.length, "every taken id is a correctly escaped label in /metrics",
          GOOD.filter((id) => !labelled.includes(id)).join(" | "));
    check(!/line|caf/.test(metrics.text.replace(/tinyad_[a-z_]*|# .*/g, "")), "no refused id reached /metrics");

    // The events file: one JSON object per line, the ids as sent.
    const lines = fs.readFileSync(events, "utf8").split("\n").filter((l) => l.length > 0);
    let parsed = [];
    try { parsed = lines.map((l) => JSON.parse(l)); } catch (e) { check(false, "every event line is JSON", String(e)); }
    check(parsed.length === lines.length && parsed.every((o) => o && typeof o === "object" && !Array.isArray(o)),
          `the events file is ${lines.length} JSON objects, one per line`);
    const seen = new Set(parsed.map((o) => o.device));
    check(GOOD.every((id) => seen.has(id)) && seen.size === GOOD.length,
          "the events name exactly the taken ids, intact", JSON.stringify([...seen]));
    const raised = new Set(parsed.filter((o) => o.event === "alarm_raised").map((o) => o.device));
    check(GOOD.every((id) => raised.has(id)), "each taken id's alarm_raised event is there too",
          JSON.stringify([...raised]));

    // The dashboard: ids shown as text, nothing of them runs.
    const browser = await launchBrowser(chromium, chromiumPath, { width: 1280, height: 900 });
    try {
      const page = await browser.context.newPage();
      const dialogs = [];
      page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
      const { errors, external } = await watchPage(page,
                                                   (url) => url.startsWith(base + "/") || /^(data|blob):/.test(url));
      await page.goto(base + "/dashboard", { waitUntil: "load" });
      await page.waitForFunction(() => window.tinyadDashboard && window.tinyadDashboard.snapshots >= 1, null,
                                 { timeout: 20000 });
      await page.waitForFunction((n) => document.querySelectorAll(".dev").length >= n, GOOD.length, { timeout: 10000 });
      // A live update after the page is up goes through the event path, not the snapshot.
      const live = `<img src=y onerror="window.__pwned='live'">`;
      const r = await post(port, windowBody(data, FAULT, 20, live));
      check(r.status === 200, "a hostile id posted while the page is open is taken");
      await page.waitForFunction((n) => document.querySelectorAll(".dev").length >= n, GOOD.length + 1,
                                 { timeout: 10000 });
      await page.waitForTimeout(500);
      const view = await page.evaluate(() => ({
        pwned: window.__pwned === undefined ? null : String(window.__pwned),
        cards: [...document.querySelectorAll(".dev")].map((c) => c.dataset.device),
        text: document.body.innerText,
        injected: document.querySelectorAll("#devices script, #devices img, #devices svg[onload]").length,
      }));
      check(view.pwned === null, "no injected script or handler ran", view.pwned);
      check(dialogs.length === 0, "no dialog opened", dialogs.join(" | "));
      check(view.injected === 0, "no element came out of an id", String(view.injected));
      const all = [...GOOD, live];
      check(all.every((id) => view.cards.includes(id)), "each card carries its id exactly",
            JSON.stringify(view.cards));
      check(all.every((id) => view.text.includes(id)), "each id is shown as text, as sent");
      check(external.length === 0, "no request left the server", external.slice(0, 5).join(", "));
      check(errors.length === 0, "no console errors", errors.slice(0, 5).join(" | "));
      await page.screenshot({ path: path.join(artifacts, "hostile-ids.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  } finally {
    server.child.kill("SIGTERM");
    const code = await server.exited;
    check(code === 0, "serve exits 0", server.output().slice(-800));
  }
}

run(main, artifacts);
