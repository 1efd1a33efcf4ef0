// SPDX-License-Identifier: GPL-2.0
//
// An operator watches a real session in rgm-confserver's console and ends
// it: headless Chromium, run in the WAN by selftests/e2e_test.sh against the
// real rgm-confserver and a real gateway (rgmd). It signs in with the
// operator token, touches READY, waits for APPLIANCE's active session (the
// caller starts the title then), checks its streams, global ports and lease
// and that the gateway is connected with a recent last contact, then clicks
// the session's "End" and waits until the console shows it closed.
// Prints TAP lines, and "# ports: P..." (the global ports the console shows)
// and "# ended_ms: T" (when the console said the session ended) for the
// caller, which checks the gateway and the appliance.
//
// env: PW (the playwright-core module), CS (https://ADDR:PORT), OTOK,
// APPLIANCE, GATEWAY, LOCAL (the appliance's address), READY (a file),
// RESULTS (a directory for screenshots).
import { writeFileSync } from "node:fs";
import { ok, step, failed } from "./tap.mjs";

const { chromium } = await import(process.env.PW);
const { CS, OTOK, APPLIANCE, GATEWAY, LOCAL, READY, RESULTS } = process.env;

// A table's rows as objects keyed by its column headers.
const rows = (page, table) => page.evaluate((id) => {
	const t = document.getElementById(id);
	const cols = [...t.tHead.rows[0].cells].map((c) => c.textContent);
	return [...t.tBodies[0].rows].map((r) => Object.fromEntries(
		[...r.cells].map((c, i) => [cols[i], c.textContent])));
}, table);

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
					args: ["--no-sandbox"] });
try {
	// the server's certificate is from the deployment's own CA
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 },
					       ignoreHTTPSErrors: true });
	const page = await ctx.newPage();
	const errs = [];
	page.on("pageerror", (e) => errs.push(e.message));
	await page.goto(`${CS}/console`);
	await page.fill("#token", OTOK);
	await page.press("#token", "Enter");
	await step("the operator signs in to the console", async () => {
		await page.waitForSelector("#console", { state: "visible", timeout: 10000 });
		return true;
	});
	writeFileSync(READY, "");

	const live = (s) => s.Appliance === APPLIANCE && s.State === "active";
	let sess;
	await step(`it lists ${APPLIANCE}'s live session on ${GATEWAY}: streams, global ports, lease`,
		async () => {
			await page.waitForFunction((a) => [...document.getElementById("sessions")
				.tBodies[0].rows].some((r) => r.cells[1]?.textContent === a &&
							   r.cells[3]?.textContent === "active"),
				APPLIANCE, { timeout: 20000 });
			sess = (await rows(page, "sessions")).find(live);
			console.log(`# ${JSON.stringify(sess)}`);
			// "rtp 10.0.0.2:5004 → 198.51.100.1:40000; rtp 10.0.0.2:5006 → ..."
			const re = new RegExp(`rtp ${LOCAL.replace(/\./g, "\\.")}:\\d+ \u2192 ` +
					      "\\d+\\.\\d+\\.\\d+\\.\\d+:(\\d+)", "g");
			const ports = [...sess["Streams (local \u2192 global port)"].matchAll(re)]
				.map((m) => m[1]);
			console.log(`# ports: ${ports.join(" ")}`);
			return sess.Gateway === GATEWAY && ports.length === 2 &&
			       /^\d+ s, ends in \d+ s$/.test(sess.Lease);
		});
	await step(`${GATEWAY} is connected, its last contact a few seconds ago`, async () => {
		const g = (await rows(page, "gateways")).find((r) => r.Gateway === GATEWAY);
		console.log(`# ${JSON.stringify(g)}`);
		const ago = /\((\d+) s ago\)$/.exec(g?.["Last contact"] ?? "");
		return g.State === "connected" && /^[0-9a-f]{16}$/.test(g.Epoch) && ago &&
		       Number(ago[1]) <= 15;
	});
	await page.screenshot({ path: `${RESULTS}/console-e2e-1-live.png` });

	await page.click(`button[aria-label="End session ${sess?.Session}"]`, { timeout: 5000 });
	await step("End: the console says the session ended and lists it closed, no End button",
		async () => {
			await page.waitForFunction((id) => document.getElementById("msg").textContent ===
						   `Session ${id} ended.`, sess.Session, { timeout: 10000 });
			console.log(`# ended_ms: ${Date.now()}`);
			await page.waitForFunction((id) => [...document.getElementById("sessions")
				.tBodies[0].rows].some((r) => r.cells[0].textContent === id &&
							   r.cells[3].textContent === "closed"),
				sess.Session, { timeout: 5000 });
			return !(await page.locator(`button[aria-label="End session ${sess.Session}"]`)
				 .count());
		});
	await step("the audit chain has the operator's close of that session", async () => {
		await page.waitForFunction((id) => [...document.getElementById("audit").tBodies[0].rows]
			.some((r) => r.cells[2].textContent === "token:ops" &&
				     /"request":"close"/.test(r.cells[4].textContent) &&
				     r.cells[4].textContent.includes(id)), sess.Session, { timeout: 5000 });
		return true;
	});
	await page.screenshot({ path: `${RESULTS}/console-e2e-2-ended.png` });
	ok(!errs.length, "no script error on the console", errs.join("\n"));
	await ctx.close();
} catch (e) {
	ok(false, "the browser ran to its end", e.stack);
}
await browser.close();
process.exit(failed() ? 1 : 0);
