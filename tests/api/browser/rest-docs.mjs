// Drives headless Chromium through the REST docs page (/v1/docs) of a running service and prints
// what it saw as one JSON object: the operations Swagger UI lists, every request the browser
// made, and any error or CSP violation.
//
//   node rest-docs.mjs BASE_URL ARTIFACT_DIR [CHROMIUM]
import { browse } from './browser.mjs';

await browse({ viewport: { width: 1400, height: 900 }, consoleTypes: ['error'] }, async ({ page, base, violations, shot }) => {
  const response = await page.goto(`${base}/v1/docs`);
  await page.locator('.opblock-summary-path').first().waitFor();
  const paths = await page.locator('.opblock-summary-path').allInnerTexts();
  const title = await page.locator('.info .title').innerText();
  await shot('rest-docs.png');
  return { status: response.status(), title, paths, cspViolations: await violations() };
});
