import { describe, expect, it } from "vitest";
import { useBrowser } from "../support/browser.ts";

describe("the test browser", () => {
  const browser = useBrowser();

  it("renders a page and runs its script", async () => {
    const page = await browser().newPage();
    await page.setContent("<p id='out'></p><script>document.getElementById('out').textContent = String(6 * 7)</script>");
    expect(await page.textContent("#out")).toBe("42");
    await page.close();
  });
});
