// Drives headless Chromium through the REST docs page (/v1/docs) of a running service and prints
// what it saw as one JSON object: the operations Swagger UI lists, every request the browser
// made, and any error or CSP violation.
//
//   node rest-docs.mjs BASE_URL ARTIFACT_DIR [CHROMIUM]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, artifacts, executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
const userDataDir = mkdtempSync(join(tmpdir(), 'detente-chromium-'));
const seen = { requests: [], console: [], pageErrors: [] };

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
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
    if (message.type() === 'error') seen.console.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => seen.pageErrors.push(String(error)));
  const response = await page.goto(`${base}/v1/docs`);
  await page.locator('.opblock-summary-path').first().waitFor();
  const paths = await page.locator('.opblock-summary-path').allInnerTexts();
  const title = await page.locator('.info .title').innerText();
  await page.screenshot({ path: join(artifacts, 'rest-docs.png') });
  const cspViolations = JSON.parse(await page.evaluate(() => sessionStorage.getItem('csp-violations') || '[]'));
  console.log(JSON.stringify({ status: response.status(), title, paths, cspViolations, ...seen }));
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
