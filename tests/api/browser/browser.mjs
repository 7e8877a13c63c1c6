// The one headless-Chromium harness of the browser tests: `browse` launches Debian's Chromium
// through playwright-core with a throw-away profile, records every request the browser makes,
// console errors (and warnings, unless told otherwise) and page errors, lets the script visit
// its pages, and prints one JSON object: what was recorded and what the visit returned.
// CSP violations are collected by an init script (injected through the DevTools protocol, so
// the page's own CSP does not apply to it); `violations()` reads them.
//
// A script is run as `node <script>.mjs BASE_URL ARTIFACT_DIR [CHROMIUM]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function browse({ viewport, consoleTypes = ['error', 'warning'] }, visit) {
  const [base, artifacts, executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
  const userDataDir = mkdtempSync(join(tmpdir(), 'detente-chromium-'));
  const seen = { requests: [], console: [], pageErrors: [] };
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath, headless: true, viewport, args: ARGS,
  });
  try {
    context.on('request', (request) => seen.requests.push(request.url()));
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        const list = JSON.parse(sessionStorage.getItem('csp-violations') || '[]');
        list.push(`${event.violatedDirective} ${event.blockedURI}`);
        sessionStorage.setItem('csp-violations', JSON.stringify(list));
      });
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (consoleTypes.includes(message.type())) seen.console.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => seen.pageErrors.push(String(error)));
    const violations = async () => JSON.parse(
      await page.evaluate(() => sessionStorage.getItem('csp-violations') || '[]'),
    );
    const shot = (name, options = {}) => page.screenshot({ path: join(artifacts, name), ...options });
    const found = await visit({ page, base, violations, shot });
    console.log(JSON.stringify({ ...seen, ...found }));
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
