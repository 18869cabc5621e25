import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

/** Where Debian's chromium lives; `.ci/run` installs it when missing. KINDRED_CHROMIUM overrides. */
export function chromiumPath(): string {
  const candidates = [process.env.KINDRED_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  const found = candidates.find((path): path is string => Boolean(path) && existsSync(path!));
  if (!found) {
    throw new Error("No chromium found: install Debian's chromium (apt-get install chromium) or set KINDRED_CHROMIUM to its path.");
  }
  return found;
}

/**
 * A real headless Chromium (Debian's build, driven by playwright-core) for the file's tests.
 * `--no-sandbox` because CI runs as root; the other flags keep it off the network.
 *
 * @example
 * const browser = useBrowser();
 * it("shows the list", async () => { const page = await browser().newPage(); ... });
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("The browser is not launched yet: call it inside a test.");
    return browser;
  };
}

/**
 * Waits until a JavaScript expression is truthy in the page. Playwright's `waitForFunction`
 * polls string predicates with `eval` inside the page, which a page whose Content Security
 * Policy forbids `unsafe-eval` (the workbench's) refuses whenever the first check is false;
 * `page.evaluate` goes through the DevTools protocol, which the policy does not govern.
 */
export async function waitForExpression(page: Page, expression: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
