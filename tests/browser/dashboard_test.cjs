// dashboard_test.cjs: `tinyad serve`'s live dashboard in a real browser
// (Debian's chromium, driven by playwright-core). Trains a model on a small
// simulated dataset, starts the server, has emulated devices post windows
// (`tinyad device` for one, plain HTTP posts for the others), and checks what
// a person would see: the page renders with no console errors and no request
// leaving the server, each device gets a card with a drawn timeline, a new
// window updates its card live, and faulty windows raise the alarm on the
// page. Then SIGTERM: the server drains (the page's open event stream too)
// and exits 0. The screenshot is kept as a test artifact.
//
// Run by ctest (tests/CMakeLists.txt) with:
//   TINYAD_BINARY       the built tinyad
//   TINYAD_WEB_MODULES  node_modules holding playwright-core (build/web/node_modules)
//   TINYAD_ARTIFACTS    folder for the model, logs and screenshots
//   CHROMIUM            optional: browser binary (default /usr/bin/chromium)
// `node dashboard_test.cjs --copy-to docs/img` also copies the screenshot there.
"use strict";

const fs = require("fs");
const path = require("path");
const http = require("http");
const { execFileSync, spawn } = require("child_process");
const { settings, check, run, loadChromium, launchBrowser, watchPage } = require("./common.cjs");

const { binary, modules, artifacts, chromiumPath, copyTo } = settings("tinyad-dashboard-");

const NORMAL = "fan_0_low_0_weight", FAULT = "fan_0_high_1_weight";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- server
function startServer(model) {
  const child = spawn(binary, ["serve", "--model", model, "-p", "0", "--host", "127.0.0.1", "--alarm", "3/5",
                               "--events", path.join(artifacts, "dashboard-events.jsonl")],
                      { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b) => { out += b; });
  child.stderr.on("data", (b) => { out += b; });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const port = new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      const m = /listening on port (\d+)\n/.exec(out);
      if (m) {
        clearInterval(poll);
        resolve(Number(m[1]));
      } else if (Date.now() - t0 > 10000 || child.exitCode !== null) {
        clearInterval(poll);
        reject(new Error("tinyad serve did not start: " + out));
      }
    }, 20);
  });
  return { child, port, exited, output: () => out };
}

function csvRows(file) {
  const x = [], y = [], z = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const v = line.split(",").map(Number);
    x.push(v[0]); y.push(v[1]); z.push(v[2]);
  }
  return { x, y, z };
}

// One window posted as a device does: POST / with its id; resolves the verdict.
function postWindow(port, device, file) {
  const body = JSON.stringify(csvRows(file));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/", method: "POST", agent: false,
                               headers: { "Content-Type": "application/json", "X-Device-Id": device,
                                          "Content-Length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.on("data", (c) => { text += c; });
      res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(text))
                                                   : reject(new Error(`${res.statusCode} ${text}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const windowFile = (data, label, i) => path.join(data, label, String(i).padStart(4, "0") + ".csv");

// ---------------------------------------------------------------- main
async function main() {
  const chromium = loadChromium({ binary, modules });
  fs.mkdirSync(artifacts, { recursive: true });
  const data = path.join(artifacts, "dashboard-data");
  const model = path.join(artifacts, "dashboard-model.json");
  fs.rmSync(data, { recursive: true, force: true });
  execFileSync(binary, ["simulate", "-o", data, "--labels", `${NORMAL},${FAULT}`, "-n", "80", "--seed", "21"]);
  execFileSync(binary, ["train", "--data", data, "--normal", NORMAL, "--anomaly", FAULT, "-o", model],
               { stdio: ["ignore", "ignore", "pipe"] });

  const server = startServer(model);
  const port = await server.port;
  const base = `http://127.0.0.1:${port}`;
  let stopped = false;
  try {
    // Before the page opens: one board emulated by `tinyad device` (device
    // protocol: ready flag, then posts) and four more over plain HTTP, a
    // round every 40 ms so the timelines have some width. mill-5 has one
    // anomalous window: marked, but not enough for an alarm.
    const emu = execFileSync(binary, ["device", "--server", base, "--label", NORMAL, "-n", "12", "--id", "bench",
                                      "--seed", "4"], { encoding: "utf8" });
    check(/12 windows stored by 1 device/.test(emu), "`tinyad device` posts its windows to serve", emu.trim());
    let posted = 12;
    // Windows each device had flagged, from the verdicts: at a 1 % threshold a
    // normal window may be flagged too, and the timeline must mark it as well.
    const flagged = {};
    const post = async (device, label, i) => {
      posted++;
      const v = await postWindow(port, device, windowFile(data, label, i));
      flagged[device] = (flagged[device] || 0) + (v.anomaly ? 1 : 0);
      return v;
    };
    for (let i = 0; i < 24; i++) {
      await post("press-1", NORMAL, i);
      if (i < 16) await post("fan-2", NORMAL, 24 + i);
      if (i < 20) await post("pump-3", NORMAL, 40 + i);
      if (i < 12) await post("mill-5", i === 6 ? FAULT : NORMAL, i === 6 ? 10 : 60 + i);
      await sleep(40);
    }

    const browser = await launchBrowser(chromium, chromiumPath, { width: 1280, height: 720 });
    try {
      const page = await browser.context.newPage();
      const { errors, external } = await watchPage(page,
                                                   (url) => url.startsWith(base + "/") || /^(data|blob):/.test(url));
      await page.goto(base + "/dashboard", { waitUntil: "load" });
      await page.waitForFunction(() => window.tinyadDashboard && window.tinyadDashboard.snapshots >= 1 &&
                                       window.tinyadDashboard.connected, null, { timeout: 20000 });
      const devicesNow = () => page.evaluate(() => window.tinyadDashboard.devices());
      let devs = await devicesNow();
      const byName = (list, n) => list.find((d) => d.device === n);
      check(devs.length === 5 && ["bench-0", "press-1", "fan-2", "pump-3", "mill-5"].every((n) => byName(devs, n)),
            "the snapshot shows every device that posted", JSON.stringify(devs));
      check(byName(devs, "press-1")?.points === 24 && byName(devs, "bench-0")?.points === 12,
            "each device's recent scores came with the snapshot", JSON.stringify(devs));
      await page.waitForFunction(() => document.querySelectorAll(".dev .chart .main-svg").length >= 5, null,
                                 { timeout: 10000 });
      const cards = await page.evaluate(() => [...document.querySelectorAll(".dev")].map((c) => ({
        device: c.dataset.device, pill: c.querySelector(".pill").textContent, alarm: c.classList.contains("alarm"),
        points: (c.querySelector(".chart").data || [])[0]?.y.length || 0,
        drawn: c.querySelectorAll(".chart .main-svg .trace, .chart .main-svg path.js-line").length,
      })));
      check(cards.length === 5 && cards.every((c) => c.pill === "OK" && !c.alarm && c.points > 0 && c.drawn > 0),
            "a card per device, all OK, each timeline drawn", JSON.stringify(cards));

      // A new window updates its card live.
      const before = byName(devs, "press-1");
      const v = await post("press-1", NORMAL, 72);
      await page.waitForFunction((n) => window.tinyadDashboard.devices().find((d) => d.device === "press-1").windows === n,
                                 before.windows + 1, { timeout: 5000 });
      devs = await devicesNow();
      check(byName(devs, "press-1").last === v.score, "the card's last score is the posted window's verdict",
            `${byName(devs, "press-1").last} vs ${v.score}`);
      await page.waitForFunction(() => {
        const c = document.querySelector('.dev[data-device="press-1"] .chart');
        return c && c.data && c.data[0].y.length === 25;
      }, null, { timeout: 5000 });
      check(true, "the timeline grew by the new point");

      // fan-2 turns faulty: three anomalous windows of five raise its alarm.
      let anomalous = 0;
      for (let i = 0; i < 5; i++) {
        const f = await post("fan-2", FAULT, i);
        anomalous += f.anomaly ? 1 : 0;
        await sleep(40);
      }
      check(anomalous >= 3, `the faulty windows score as anomalous (${anomalous} of 5)`);
      await page.waitForFunction(() => {
        const c = document.querySelector('.dev[data-device="fan-2"]');
        return c && c.classList.contains("alarm") && c.querySelector(".pill").textContent === "ALARM";
      }, null, { timeout: 5000 }).then(() => check(true, "fan-2's card shows ALARM"),
                                       (e) => check(false, "fan-2's card shows ALARM", String(e)));
      // The alarm can show before the page has drawn the last posted window:
      // wait (a loaded machine is slow) until both timelines hold every
      // flagged window, then look.
      await page.waitForFunction((want) => Object.entries(want).every(([dev, n]) => {
        const c = document.querySelector(`.dev[data-device="${dev}"] .chart`);
        return c && c.data && (c.data[0].marker.color || []).filter((col) => col === "#c62828").length === n;
      }), { "fan-2": flagged["fan-2"], "mill-5": flagged["mill-5"] }, { timeout: 5000 }).catch(() => {});
      const view = await page.evaluate(() => ({
        first: document.querySelector("#devices .dev")?.dataset.device,
        inAlarm: [...document.querySelectorAll(".tile")].find((t) => t.textContent.includes("In alarm"))?.querySelector(".v").textContent,
        red: (document.querySelector('.dev[data-device="fan-2"] .chart').data[0].marker.color || []).filter((c) => c === "#c62828").length,
        mill: document.querySelector('.dev[data-device="mill-5"] .pill').textContent,
        millRed: (document.querySelector('.dev[data-device="mill-5"] .chart').data[0].marker.color || []).filter((c) => c === "#c62828").length,
      }));
      check(view.first === "fan-2", "devices in alarm come first", JSON.stringify(view));
      check(view.inAlarm === "1", "the summary counts one device in alarm", JSON.stringify(view));
      check(view.red === flagged["fan-2"], "anomalous windows are marked on the timeline",
            JSON.stringify({ view, flagged }));
      check(view.mill === "OK" && view.millRed === flagged["mill-5"] && view.millRed >= 1,
            "mill-5's anomalous window is marked without raising an alarm", JSON.stringify({ view, flagged }));

      await page.waitForTimeout(400);
      const shot = path.join(artifacts, "dashboard.png");
      await page.screenshot({ path: shot, fullPage: true });
      check(fs.statSync(shot).size > 10000, `screenshot ${shot}`);
      check(external.length === 0, "no request left the server", external.slice(0, 5).join(", "));
      check(errors.length === 0, "no console errors", errors.slice(0, 5).join(" | "));

      // SIGTERM with the page's event stream open: drained, exit 0, and the
      // page notices and says it is reconnecting.
      const t0 = Date.now();
      server.child.kill("SIGTERM");
      const { code, signal } = await server.exited;
      stopped = true;
      const secs = (Date.now() - t0) / 1000;
      check(code === 0, `serve exits 0 on SIGTERM with a subscriber (${secs.toFixed(2)} s)`, `code ${code} signal ${signal}`);
      check(secs < 5, "the open event stream does not hold up the drain", `${secs} s`);
      check(server.output().includes(`stopped: ${posted} windows scored`), `every window was scored (${posted})`,
            server.output());
      await page.waitForFunction(() => !window.tinyadDashboard.connected, null, { timeout: 5000 })
        .then(() => check(true, "the page shows the lost connection"),
              (e) => check(false, "the page shows the lost connection", String(e)));
      await page.close();
    } finally {
      await browser.close();
    }
  } finally {
    if (!stopped) server.child.kill("SIGKILL");
  }
  if (copyTo) {
    fs.mkdirSync(copyTo, { recursive: true });
    fs.copyFileSync(path.join(artifacts, "dashboard.png"), path.join(copyTo, "dashboard.png"));
    console.log(`screenshot copied to ${copyTo}`);
  }
}

run(main, artifacts);
