// Drives headless Chromium to the /charts page of a running service, with filters in its
// address, submits the form once more by its button, and prints what it saw as one JSON object:
// each chart image's natural size and whether it loaded, the charts' SVG titles, every request
// the browser made, and any error or CSP violation. Screenshots go to ARTIFACT_DIR.
//
//   node charts.mjs BASE_URL ARTIFACT_DIR [CHROMIUM]
import { browse } from './browser.mjs';

await browse({ viewport: { width: 1200, height: 1400 } }, async ({ page, base, violations, shot }) => {

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
  await shot('charts.png', { fullPage: true });

  // The filters are a form: tick a stance and draw again.
  await page.locator('input[name="stance"][value="COMPETITIVE"]').check();
  await Promise.all([page.waitForNavigation(), page.locator('button[type="submit"]').click()]);
  await loaded();
  const second = { url: page.url(), images: await images() };
  await shot('charts-competitive.png', { fullPage: true });

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
  return { cspViolations: await violations(), first, second, svgs };
});
