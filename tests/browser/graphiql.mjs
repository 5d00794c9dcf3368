// Loads GraphiQL from a running server in headless Chromium that can reach nothing but
// loopback, runs `{ __typename }` with the page's run button and prints what happened as one
// JSON line: the result pane's text, every URL the page requested, console errors and
// Content-Security-Policy violations. tests/api/browser.rs judges it.
//
//   node graphiql.mjs http://127.0.0.1:PORT
import { chromium } from "playwright-core";

const base = process.argv[2];
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Every request that is not for loopback goes to a proxy that does not exist (Chromium
  // sends loopback past proxies; Playwright's own proxy option would not), and no host name
  // resolves: nothing can come from the internet.
  args: [
    "--proxy-server=http://127.0.0.1:9",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
  ],
});
const report = { result: null, requests: [], problems: [] };
try {
  const page = await browser.newPage();
  page.on("request", (request) => report.requests.push(request.url()));
  page.on("requestfailed", (request) =>
    report.problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
  );
  page.on("response", (response) => {
    if (response.status() >= 400) report.problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  page.on("pageerror", (error) => report.problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") report.problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${base}/graphql`, { waitUntil: "load", timeout: 30_000 });
  const editor = page.locator(".graphiql-query-editor .CodeMirror").first();
  await editor.waitFor({ timeout: 30_000 });
  // CodeMirror 5 keeps its instance on its element; typing would fight its bracket closing.
  await editor.evaluate((element) => element.CodeMirror.setValue("{ __typename }"));
  await page.locator("button.graphiql-execute-button").click();
  const response = page.locator(".graphiql-response .CodeMirror").first();
  await page.waitForFunction(
    (element) => element.CodeMirror.getValue().includes("__typename"),
    await response.elementHandle(),
    { timeout: 30_000 },
  );
  report.result = await response.evaluate((element) => element.CodeMirror.getValue());
  // SCREENSHOT=/tmp/graphiql.png keeps a picture of the page for a person to look at.
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT });
} catch (error) {
  report.problems.push(`driver: ${error.message}`);
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
