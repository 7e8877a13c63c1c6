// Drives headless Chromium through the explorer (/graphql) and the landing page (/) of a running
// service, and prints what it saw as one JSON object: the pages' text, the query's answer as the
// result pane shows it, every request the browser made, and any error or CSP violation.
//
//   node explorer.mjs BASE_URL ARTIFACT_DIR [CHROMIUM]
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
  viewport: { width: 1400, height: 900 },
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
  // Injected through the DevTools protocol, so the page's CSP does not apply to it.
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
  const violations = async () => JSON.parse(await page.evaluate(() => sessionStorage.getItem('csp-violations') || '[]'));

  // The explorer: the default tab, run with the execute button.
  const response = await page.goto(`${base}/graphql`);
  const explorerHeaders = response.headers();
  await page.locator('.graphiql-execute-button').waitFor();
  await page.locator('.graphiql-explorer-root').getByText('events', { exact: true }).first().waitFor();
  const queryEditor = () => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue();
  await page.waitForFunction(queryEditor);
  const query = await page.evaluate(queryEditor);
  const tabs = await page.locator('.graphiql-tab').allInnerTexts();
  const explorerPane = await page.locator('.graphiql-explorer-root').innerText();
  await page.locator('.graphiql-execute-button').click();
  const resultPane = () => document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '';
  await page.waitForFunction(
    () => (document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '').includes('"data"'),
  );
  const result = await page.evaluate(resultPane);
  await page.screenshot({ path: join(artifacts, 'explorer.png') });
  const explorer = {
    title: await page.title(),
    headers: explorerHeaders,
    query,
    tabs,
    explorerPane,
    result,
    cspViolations: await violations(),
  };

  // The landing page.
  const landingResponse = await page.goto(`${base}/`);
  const landing = {
    status: landingResponse.status(),
    headers: landingResponse.headers(),
    title: await page.title(),
    releaseLine: await page.locator('.release-line').innerText(),
    citation: await page.locator('.citation').innerText(),
    explorerLinks: await page.locator('a[href="/graphql"]').count(),
    cspViolations: await violations(),
  };
  await page.screenshot({ path: join(artifacts, 'landing.png'), fullPage: true });

  console.log(JSON.stringify({ explorer, landing, ...seen }));
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
