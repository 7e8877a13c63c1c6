// Drives headless Chromium to the /charts page of a running service, with filters in its
// address, submits the form once more by its button, and prints what it saw as one JSON object:
// each chart image's natural size and whether it loaded, the charts' SVG titles, every request
// the browser made, and any error or CSP violation. Screenshots go to ARTIFACT_DIR.
//
//   node charts.mjs BASE_URL ARTIFACT_DIR [CHROMIUM]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, artifacts, executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
const userDataDir = mkdtempSync(join(tmpdir(), 'detente-chromium-'));
const seen = { requests: [], console: [], pageErrors: [], cspViolations: [] };

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1200, height: 1400 },
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
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
    if (message.type() === 'error' || message.type() === 'warning') {
      seen.console.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => seen.pageErrors.push(String(error)));

  const images = async () => page.evaluate(() => [...document.querySelectorAll('figure img')].map((img) => ({
    id: img.id, src: img.getAttribute('src'), complete: img.complete,
    naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
  })));
  const loaded = () => page.waitForFunction(
    () => [...document.querySelectorAll('figure img')].every((img) => img.complete),
  );

  const response = await page.goto(`${base}/charts?involves_us_and_china=true&interval=YEAR`);
  await loaded();
  const first = { status: response.status(), headers: response.headers(), title: await page.title(),
                  images: await images() };
  await page.screenshot({ path: join(artifacts, 'charts.png'), fullPage: true });

  // The filters are a form: tick a stance and draw again.
  await page.locator('input[name="stance"][value="COMPETITIVE"]').check();
  await Promise.all([page.waitForNavigation(), page.locator('button[type="submit"]').click()]);
  await loaded();
  const second = { url: page.url(), images: await images() };
  await page.screenshot({ path: join(artifacts, 'charts-competitive.png'), fullPage: true });

  // Each chart's SVG document, parsed by the browser: its title and texts (axis labels, legend).
  const svgs = await page.evaluate(async (srcs) => Promise.all(srcs.map(async (src) => {
    const text = await (await fetch(src)).text();
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    return {
      src,
      parseError: doc.querySelector('parsererror')?.textContent ?? null,
      title: doc.querySelector('svg > title')?.textContent,
      texts: [...doc.querySelectorAll('text')].map((t) => t.textContent),
    };
  })), second.images.map((image) => image.src));
  seen.cspViolations = JSON.parse(await page.evaluate(() => sessionStorage.getItem('csp-violations') || '[]'));
  console.log(JSON.stringify({ ...seen, first, second, svgs }));
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
