// Drives headless Chromium through the explorer (/graphql) and the landing page (/) of a running
// service, and prints what it saw as one JSON object: the pages' text, the query's answer as the
// result pane shows it, every request the browser made, and any error or CSP violation.
//
//   node explorer.mjs BASE_URL ARTIFACT_DIR [CHROMIUM]
import { browse } from './browser.mjs';

await browse({ viewport: { width: 1400, height: 900 } }, async ({ page, base, violations, shot }) => {

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
  await shot('explorer.png');
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
  await shot('landing.png', { fullPage: true });

  return { explorer, landing };
});
