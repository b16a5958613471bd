// common.cjs: what the browser tests (reports_test.cjs, dashboard_test.cjs)
// share: their settings from the environment ctest sets, the ok/FAIL tally
// and exit status, chromium launched with a fresh profile and kept off the
// network, and a page's console errors and outside requests collected.
// Avoids: any check of its own; what a test checks stays in the test.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

// Settings from the environment (see tests/CMakeLists.txt); `tmpPrefix` names
// the temp folder used for artifacts when TINYAD_ARTIFACTS is unset.
function settings(tmpPrefix) {
  return {
    binary: process.env.TINYAD_BINARY,
    modules: process.env.TINYAD_WEB_MODULES,
    artifacts: process.env.TINYAD_ARTIFACTS || fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix)),
    chromiumPath: process.env.CHROMIUM || "/usr/bin/chromium",
    copyTo: process.argv.includes("--copy-to") ? process.argv[process.argv.indexOf("--copy-to") + 1] : null,
  };
}

// The tally: each check prints one line; the exit status says whether all passed.
const tally = { passed: 0, failed: 0 };
function check(ok, what, detail) {
  if (ok) {
    tally.passed++;
    console.log(`ok    ${what}`);
  } else {
    tally.failed++;
    console.log(`FAIL  ${what}${detail ? ": " + detail : ""}`);
  }
  return ok;
}

// Runs `main`; an exception is a failed check; exits 0 only when at least one
// check ran and none failed.
function run(main, artifacts) {
  main().catch((e) => check(false, "browser test ran", e.stack || String(e))).finally(() => {
    console.log(`artifacts in ${artifacts}`);
    console.log(`${tally.passed} passed, ${tally.failed} failed`);
    process.exit(tally.failed === 0 && tally.passed > 0 ? 0 : 1);
  });
}

// playwright-core's chromium, from the node_modules ctest names.
function loadChromium({ binary, modules }) {
  if (!binary || !modules) throw new Error("set TINYAD_BINARY and TINYAD_WEB_MODULES");
  return require(path.join(modules, "playwright-core")).chromium;
}

// Chromium with a new, empty profile and the flags that keep it off the
// network; close() also removes the profile.
async function launchBrowser(chromium, chromiumPath, viewport) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "tinyad-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

// Collects `page`'s console errors and uncaught exceptions into `errors`, and
// aborts every request whose URL `allowed` refuses, listing it in `external`.
async function watchPage(page, allowed) {
  const errors = [], external = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (allowed(url)) return route.continue();
    external.push(url);
    return route.abort();
  });
  return { errors, external };
}

module.exports = { settings, check, run, loadChromium, launchBrowser, watchPage };
