// SPDX-License-Identifier: GPL-2.0
//
// A person at home plays a title on a real appliance from the portal's page:
// headless Chromium (as in web_test.mjs), run in the appliance's LAN by
// selftests/e2e_test.sh, against the real rgm-portal, rgm-confserver,
// rgmd and an rgm-appliance in standby. It enters the pairing code the
// appliance printed, clicks "Play" and waits until the page says the title
// ended complete. Prints TAP lines ("ok N ...", "not ok N ..."); the caller
// adds the plan and checks what the appliance received.
//
// env: PW (the playwright-core module), PORTAL (http://ADDR:PORT), CODE (the
// pairing code), APPLIANCE, TITLE, RESULTS (a directory for a screenshot).
import { ok, step, failed } from "./tap.mjs";
const { chromium } = await import(process.env.PW);
const { PORTAL, CODE, APPLIANCE, TITLE, RESULTS } = process.env;

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
					args: ["--no-sandbox"] });
const status = async (page) => (await page.innerText("#status")).replace(/\s+/g, " ").trim();
try {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
	const page = await ctx.newPage();
	const errs = [];
	page.on("pageerror", (e) => errs.push(e.message));
	await page.goto(`${PORTAL}/`);
	await page.fill("#code", CODE);
	await Promise.all([page.waitForEvent("load"), page.press("#code", "Enter")]);
	const btn = `button.play[data-title="${TITLE}"][data-appliance="${APPLIANCE}"]`;
	await step(`the code the appliance shows pairs the browser: ${APPLIANCE} online, a play button`,
		async () => /online/.test(await page.textContent("#appliances")) &&
			     (await page.locator(btn).count()) === 1);
	await page.click(btn);
	await step("playing: the gateway configured, the global ports it chose, streaming",
		async () => {
			await page.waitForSelector("#step-ports.done", { timeout: 20000 });
			const t = await status(page);
			console.log(`# ${t}`);
			return /Gateway configured/.test(t) && /\b4\d{4}\b/.test(t) && /Streaming/.test(t);
		});
	await step("the appliance receives it; the page ends with 'complete'", async () => {
		await page.waitForFunction(() => document.getElementById("status")
					   .getAttribute("data-end"), null, { timeout: 40000 });
		const t = await status(page);
		console.log(`# ${t}`);
		return await page.getAttribute("#status", "data-end") === "complete" &&
		       /Appliance receiving/.test(t) && /the appliance received the whole title/.test(t);
	});
	await page.screenshot({ path: `${RESULTS}/viewer-standby-complete.png`, fullPage: true });
	ok(!errs.length, "no script error on the page", errs.join("\n"));
	await ctx.close();
} catch (e) {
	ok(false, "the browser ran to its end", e.stack);
}
await browser.close();
process.exit(failed() ? 1 : 0);
