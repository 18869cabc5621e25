/**
 * Screenshots of the workbench for the README (docs/images/), taken with the test browser
 * against a running kindred:
 *
 *   npx kindred serve --data-dir DIR --port 18716 &
 *   npx tsx scripts/workbench-screenshots.ts http://127.0.0.1:18716 "QUERY TEXT" ARTICLE_ID
 */
import { chromium } from "playwright-core";

// Debian's chromium, as the browser tests use (test/support/browser.ts, which needs vitest).
const chromiumPath = () => process.env.KINDRED_CHROMIUM ?? "/usr/bin/chromium";

const [baseUrl = "http://127.0.0.1:8080", text = "US pauses offensive cyber operations against Russia", storyId = "wcep-2025-03-02-01055"] =
  process.argv.slice(2);
const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const search = new URLSearchParams({ by: "text", q: text, k: "8" });
  await page.goto(`${baseUrl}/?${search}`);
  await page.waitForSelector("#results tbody tr");
  await page.locator("#results tbody tr button.why").first().click();
  await page.waitForSelector("tr.explain");
  await page.screenshot({ path: "docs/images/workbench.png", fullPage: false });

  await page.goto(`${baseUrl}/?${new URLSearchParams({ by: "id", q: storyId, k: "5", story: storyId })}`);
  await page.waitForSelector("#timeline li");
  await page.locator("#story").scrollIntoViewIfNeeded();
  await page.locator("#story").screenshot({ path: "docs/images/story-thread.png" });

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
  await phone.goto(`${baseUrl}/?${search}`);
  await phone.waitForSelector("#results tbody tr");
  await phone.screenshot({ path: "docs/images/workbench-phone.png" });
} finally {
  await browser.close();
}
