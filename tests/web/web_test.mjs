// SPDX-License-Identifier: GPL-2.0
//
// The portal's viewer page and the confserver's operator console in a
// real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core), against the daemons tests/web_test.sh starts. Prints
// TAP lines ("ok N ...", "not ok N ..."); the caller adds the plan.
// Screenshots go to $RESULTS.
//
// env: PORTAL (http://127.0.0.1:P), CONF_FAKE (the fake confserver, for
// its /_mode), CS (https://127.0.0.1:P of the real rgm-confserver), OTOK
// (operator token), PTOK (portal token), RESULTS (a directory),
// PW (the playwright-core module), ONLINE_S (the portal's --appliance-timeout).
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { ok, step, failed } from "./tap.mjs";

const { chromium } = await import(process.env.PW);
const PORTAL = process.env.PORTAL, CS = process.env.CS, RESULTS = process.env.RESULTS;
const ONLINE_S = Number(process.env.ONLINE_S || 3);

// One JSON request from a chosen source address (the stranger is 127.0.0.2).
function req(method, url, body, { from, cookie, headers } = {}) {
	return new Promise((resolve) => {
		const u = new URL(url);
		const h = { ...(headers || {}) };
		let data;
		if (body !== undefined) {
			data = JSON.stringify(body);
			h["Content-Type"] = "application/json";
			h["Content-Length"] = Buffer.byteLength(data);
		}
		if (cookie)
			h.Cookie = cookie;
		const r = http.request({ host: u.hostname, port: u.port, path: u.pathname, method,
					 headers: h, localAddress: from }, (res) => {
			let s = "";
			res.on("data", (c) => { s += c; });
			res.on("end", () => {
				let j = null;
				try { j = JSON.parse(s); } catch (e) { /* not JSON */ }
				resolve({ status: res.statusCode, body: j, headers: res.headers });
			});
		});
		r.on("error", (e) => resolve({ status: 0, body: { error: e.message } }));
		if (data)
			r.write(data);
		r.end();
	});
}

// Accessibility basics of what the page shows now: the language, one h1,
// headings without a skipped level, a name for every control, keyboard
// reachable controls (no positive tabindex), alt on images.
async function a11y(page, what) {
	const probs = await page.evaluate(() => {
		const p = [];
		const visible = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
		if (!document.documentElement.lang)
			p.push("no lang on <html>");
		const hs = [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")].filter(visible);
		if (hs.filter((h) => h.tagName === "H1").length !== 1)
			p.push("not exactly one visible h1");
		let last = 0;
		for (const h of hs) {
			const l = Number(h.tagName[1]);
			if (last && l > last + 1)
				p.push(`heading ${h.tagName} "${h.textContent}" skips a level`);
			last = l;
		}
		for (const c of document.querySelectorAll("input,select,textarea")) {
			if (!visible(c) || c.type === "hidden")
				continue;
			const named = (c.labels && c.labels.length && c.labels[0].textContent.trim()) ||
				c.getAttribute("aria-label") || c.getAttribute("aria-labelledby");
			if (!named)
				p.push(`${c.tagName} #${c.id} has no label`);
		}
		for (const b of document.querySelectorAll("button,a[href]")) {
			if (!visible(b))
				continue;
			if (!(b.textContent.trim() || b.getAttribute("aria-label")))
				p.push(`${b.tagName} without a name`);
		}
		for (const e of document.querySelectorAll("[tabindex]"))
			if (Number(e.getAttribute("tabindex")) > 0)
				p.push("positive tabindex");
		for (const i of document.querySelectorAll("img"))
			if (!i.hasAttribute("alt"))
				p.push("img without alt");
		return p;
	});
	ok(!probs.length, `${what}: accessibility basics (lang, one h1, heading order, labels, names)`,
	   probs.join("\n"));
}

// Tab from the top until the element is focused: it is reachable by keyboard.
async function tabTo(page, selector, max = 30) {
	await page.evaluate(() => document.activeElement && document.activeElement.blur());
	for (let i = 0; i < max; i++) {
		await page.keyboard.press("Tab");
		if (await page.evaluate((s) => document.activeElement === document.querySelector(s),
					selector))
			return true;
	}
	return false;
}

function watchErrors(page) {
	const errs = [];
	// a refused request the page reports itself (401, 409...) is no script error
	page.on("console", (m) => {
		if (m.type() === "error" && !/^Failed to load resource: the server responded/.test(m.text()))
			errs.push(m.text());
	});
	page.on("pageerror", (e) => errs.push(e.message));
	return errs;
}

async function noOverflow(page) {
	return page.evaluate(() => document.documentElement.scrollWidth <=
			     document.documentElement.clientWidth + 1);
}

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
					args: ["--no-sandbox"] });

// ------------------------------------------------------------------ viewer
async function viewer() {
	// the appliance: announces itself, then asks for work until told to stop
	const ann = await req("POST", `${PORTAL}/v1/announce`, { appliance: "stb-1",
		local_addr: "10.0.0.2", ports: [5004, 5006], gateway_type: "homebox" });
	if (!ok(ann.status === 200 && /^[0-9]{6}$/.test(ann.body.pairing_code),
		"the appliance announces itself and gets a 6-digit pairing code",
		JSON.stringify(ann)))
		return;
	const code = ann.body.pairing_code;
	const app = { running: true, got: [] };
	const loop = (async () => {
		while (app.running) {
			const r = await req("POST", `${PORTAL}/v1/next`, { appliance: "stb-1", wait: 1 });
			if (r.status === 200 && r.body.watch) {
				app.got.push(r.body);
				await sleep(1200);	// "receiving" for a moment
				await req("POST", `${PORTAL}/v1/stop`, { session: r.body.watch.session,
									complete: true });
			}
		}
	})();

	const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
	const page = await ctx.newPage();
	const errs = watchErrors(page);
	const resp = await page.goto(`${PORTAL}/`);
	const csp = resp.headers()["content-security-policy"] || "";
	ok(/script-src 'self'/.test(csp) && !/unsafe/.test(csp) && /default-src 'none'/.test(csp),
	   "the page's CSP allows the portal's own script only, nothing inline", csp);
	await step("unpaired: the catalog lists each title with its details, no play button",
		async () => {
			const t = await page.textContent("main");
			return /Test card and tone/.test(t) && /6\.0 s, 2 streams: video, audio/.test(t) &&
			       (await page.locator("button.play").count()) === 0 &&
			       /No appliance is paired/.test(t);
		});
	await a11y(page, "viewer, unpaired");
	await page.screenshot({ path: `${RESULTS}/viewer-1-unpaired.png`, fullPage: true });

	const wrong = code === "000000" ? "111111" : "000000";
	ok(await tabTo(page, "#code"), "the pairing code field is reached with Tab");
	await page.keyboard.type(wrong);
	await page.keyboard.press("Enter");
	await step("a wrong code: the page says so", async () => {
		await page.waitForSelector("#error-headline", { timeout: 5000 });
		return /Wrong pairing code/.test(await page.textContent("#status"));
	});
	await page.fill("#code", code);
	await Promise.all([page.waitForEvent("load"), page.press("#code", "Enter")]);
	await step("the right code, by keyboard: the page lists stb-1 online with a play button",
		async () => {
			const t = await page.textContent("#appliances");
			return /stb-1\s+online/.test(t) &&
			       (await page.locator("button.play[data-title=testcard]").count()) === 1;
		});
	const cookies = await ctx.cookies();
	const c = cookies.find((x) => x.name === "rgm_viewer");
	ok(c && c.httpOnly && c.sameSite === "Strict", "the pairing cookie is HttpOnly and SameSite=Strict",
	   JSON.stringify(c));

	// play, by keyboard: Tab to the button, Enter
	ok(await tabTo(page, "button.play[data-title=testcard]"), "the play button is reached with Tab");
	await page.keyboard.press("Enter");
	await step("playing: gateway configured, the ports it chose, streaming", async () => {
		await page.waitForSelector("#step-ports.done", { timeout: 15000 });
		const t = await page.textContent("#status");
		return /Gateway configured/.test(t) && /40000/.test(t) && /40002/.test(t) &&
		       /Streaming/.test(t);
	});
	await step("the appliance receives the title, then the page says it ended complete",
		async () => {
			await page.waitForFunction(() => document.getElementById("status")
						   .getAttribute("data-end") === "complete",
						   null, { timeout: 15000 });
			const t = await page.textContent("#status");
			return /Appliance receiving/.test(t) &&
			       /the appliance received the whole title/.test(t) &&
			       app.got.length === 1 && app.got[0].watch.title === "testcard";
		});
	await page.screenshot({ path: `${RESULTS}/viewer-2-played.png`, fullPage: true });

	// errors, each as a person sees it
	await req("POST", `${process.env.CONF_FAKE}/_mode`, { sessions: "gateway-refused" });
	await page.click("button.play[data-title=testcard]");
	await step("the gateway refuses: 'The gateway refused' and its reason", async () => {
		await page.waitForSelector("#error-headline", { timeout: 10000 });
		const t = await page.textContent("#status");
		return /The gateway refused/.test(t) && /on purpose/.test(t) &&
		       /Gateway not configured/.test(t);
	});
	await page.screenshot({ path: `${RESULTS}/viewer-3-gateway-refused.png`, fullPage: true });
	await req("POST", `${process.env.CONF_FAKE}/_mode`, { sessions: "ok" });

	// a title gone from the catalog since the page was shown
	await page.evaluate(() => document.querySelector("button.play[data-title=testcard]")
			    .setAttribute("data-title", "gone"));
	await page.click("button.play[data-title=gone]");
	await step("an unknown title: 'Unknown title'", async () => {
		await page.waitForSelector("#error-headline", { timeout: 10000 });
		return /Unknown title/.test(await page.textContent("#status"));
	});
	await page.reload();

	// the appliance stops asking: it goes offline
	app.running = false;
	await loop;
	await sleep((ONLINE_S + 0.5) * 1000);
	await page.click("button.play[data-title=testcard]");
	await step("the appliance went offline: 'The appliance is offline'", async () => {
		await page.waitForSelector("#error-headline", { timeout: 10000 });
		return /The appliance is offline/.test(await page.textContent("#status"));
	});
	await page.screenshot({ path: `${RESULTS}/viewer-4-offline.png`, fullPage: true });
	await page.reload();
	await step("after a reload the button says the appliance is offline, disabled", async () => {
		const b = page.locator("button.play[data-title=testcard]");
		return /offline/.test(await b.textContent()) && await b.isDisabled();
	});
	ok(!errs.length, "no script error and no CSP violation on the viewer's page", errs.join("\n"));

	// a stranger on another network (127.0.0.2) with the code, then with the cookie
	await req("POST", `${PORTAL}/v1/announce`, { appliance: "stb-1", local_addr: "10.0.0.2",
						   ports: [5004, 5006] });
	const s1 = await req("POST", `${PORTAL}/v1/pair`, { code }, { from: "127.0.0.2" });
	ok(s1.status === 404 && s1.body.error.code === "unknown-code",
	   "a stranger elsewhere with the right code cannot pair (404 unknown-code)", JSON.stringify(s1));
	const s2 = await req("POST", `${PORTAL}/v1/play`, { appliance: "stb-1", title: "testcard" },
			     { from: "127.0.0.2", cookie: `rgm_viewer=${c.value}` });
	ok(s2.status === 403 && s2.body.error.code === "forbidden",
	   "a stranger elsewhere with a stolen cookie cannot play (403)", JSON.stringify(s2));
	const s3 = await req("POST", `${PORTAL}/v1/play`, { appliance: "stb-1", title: "testcard" },
			     { cookie: `rgm_viewer=${c.value}`, headers: { Origin: "http://evil.test" } });
	ok(s3.status === 403 && s3.body.error.code === "cross-site",
	   "a request from another site with the cookie is refused (403 cross-site)", JSON.stringify(s3));

	// a phone
	const phone = await browser.newContext({ viewport: { width: 390, height: 844 },
						 isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
	await phone.addCookies([c]);
	const pp = await phone.newPage();
	await pp.goto(`${PORTAL}/`);
	ok(await noOverflow(pp), "viewer on a phone (390 px): nothing wider than the screen");
	await a11y(pp, "viewer, paired, phone");
	await pp.screenshot({ path: `${RESULTS}/viewer-5-phone.png`, fullPage: true });
	await pp.goto(`${PORTAL}/titles/testcard`);
	ok(await noOverflow(pp), "a title's page on a phone: nothing wider than the screen");
	await a11y(pp, "title page, phone");
	await pp.screenshot({ path: `${RESULTS}/viewer-6-title-phone.png`, fullPage: true });
	await phone.close();
	await ctx.close();
}

// ------------------------------------------------------------------ console
async function console_() {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 },
					       ignoreHTTPSErrors: true });
	const page = await ctx.newPage();
	const errs = watchErrors(page);
	const api = [];
	page.on("request", (r) => { if (new URL(r.url()).pathname.startsWith("/v1/")) api.push(r.url()); });
	await page.goto(`${CS}/console`);
	await step("without credentials: the login form and nothing else", async () => {
		await page.waitForSelector("#token", { state: "visible", timeout: 5000 });
		const shown = await page.evaluate(() => document.body.innerText);
		return !(await page.isVisible("#console")) && !/Gateways|Sessions|Audit/.test(shown) &&
		       api.length === 0;
	});
	await a11y(page, "console, login");
	await page.screenshot({ path: `${RESULTS}/console-1-login.png`, fullPage: true });

	await page.fill("#token", "not-a-token");
	await page.press("#token", "Enter");
	await step("a wrong token is refused and shows nothing", async () => {
		await page.waitForFunction(() => /Refused/.test(document.getElementById("login-error")
								 .textContent), null, { timeout: 5000 });
		return !(await page.isVisible("#console"));
	});
	await page.fill("#token", process.env.PTOK);
	await page.press("#token", "Enter");
	await step("a portal's token is refused too (the console needs an operator)", async () => {
		await page.waitForFunction(() => /operator/.test(document.getElementById("login-error")
								 .textContent), null, { timeout: 5000 });
		return !(await page.isVisible("#console"));
	});

	ok(await tabTo(page, "#token"), "the token field is reached with Tab");
	await page.keyboard.type(process.env.OTOK);
	await page.keyboard.press("Enter");
	await step("the operator's token: gateways with type, driver, state", async () => {
		await page.waitForSelector("#gateways td", { timeout: 5000 });
		await page.waitForFunction(() => /gw-1/.test(document.getElementById("gateways").innerText),
					   null, { timeout: 5000 });
		const t = await page.textContent("#gateways");
		return /gw-1/.test(t) && /homebox/.test(t) && /rgm/.test(t) && /down/.test(t);
	});
	// gw-1's endpoint never answered: it has a "Last contact" column, which says so
	await step("a gateway that never answered: last contact 'never'", async () => {
		const cell = await page.evaluate(() => {
			const tb = document.getElementById("gateways");
			const col = [...tb.tHead.rows[0].cells].findIndex((c) => c.textContent === "Last contact");
			const tr = [...tb.tBodies[0].rows].find((r) => r.cells[0].textContent === "gw-1");
			return col >= 0 && tr ? tr.cells[col].textContent : null;
		});
		if (cell !== "never")
			throw new Error(`gw-1's last contact cell: ${cell}`);
		return true;
	});
	await step("sessions: the portal's session with its streams, state and lease", async () => {
		await page.waitForFunction(() => /stb-9/.test(document.getElementById("sessions").innerText),
					   null, { timeout: 5000 });
		const t = await page.textContent("#sessions");
		return /stb-9/.test(t) && /gw-1/.test(t) && /10\.0\.0\.9:5004/.test(t) &&
		       /failed/.test(t) && /30 s/.test(t);
	});
	await step("the audit chain: verified, with its head and entries", async () => {
		await page.waitForFunction(() => /verified/.test(document.getElementById("audit-verify")
								 .textContent), null, { timeout: 5000 });
		const t = await page.textContent("#audit");
		return /token:portal-1/.test(t) && /configure/.test(t) &&
		       /Head: entry \d+, hash [0-9a-f]{64}/.test(await page.textContent("#audit-head"));
	});
	await a11y(page, "console, signed in");

	// enroll from the form
	await page.click("#enroll-box summary");
	await page.fill("#e-id", "gw-web");
	await page.fill("#e-type", "homebox");
	await page.selectOption("#e-mode", "listen");
	await page.fill("#e-endpoint", "127.0.0.1:9");
	await page.fill("#e-pin", process.env.PIN2);
	await page.click("#enroll button[type=submit]");
	await step("enroll a gateway from the form: it is listed, the audit has it", async () => {
		await page.waitForFunction(() => /gw-web/.test(document.getElementById("gateways").innerText),
					   null, { timeout: 5000 });
		await page.waitForFunction(() => /"enroll"/.test(document.getElementById("audit").innerText),
					   null, { timeout: 5000 });
		return /enrolled/.test(await page.textContent("#msg"));
	});
	await page.screenshot({ path: `${RESULTS}/console-2-signed-in.png`, fullPage: true });

	// remove: gw-1 has a session (refused), gw-web has none (removed)
	const rm = (id) => page.locator(`button[aria-label="Remove gateway ${id}"]`);
	await rm("gw-1").click();
	await rm("gw-1").click();
	await step("removing a gateway that sessions name is refused, with the reason", async () => {
		await page.waitForFunction(() => /not removed/.test(document.getElementById("msg")
								 .textContent), null, { timeout: 5000 });
		return /session/.test(await page.textContent("#msg"));
	});
	await rm("gw-web").click();
	await rm("gw-web").click();
	await step("removing gw-web: gone from the list, the audit has it", async () => {
		await page.waitForFunction(() => !/gw-web/.test(document.getElementById("gateways")
								  .innerText), null, { timeout: 5000 });
		await page.waitForFunction(() => /"delete"/.test(document.getElementById("audit").innerText),
					   null, { timeout: 5000 });
		return true;
	});
	ok(!errs.length, "no script error and no CSP violation on the console", errs.join("\n"));

	const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true,
						 ignoreHTTPSErrors: true, deviceScaleFactor: 2 });
	const pp = await phone.newPage();
	await pp.goto(`${CS}/console`);
	ok(await noOverflow(pp), "console login on a phone: nothing wider than the screen");
	await pp.screenshot({ path: `${RESULTS}/console-3-phone-login.png`, fullPage: true });
	await phone.close();

	await page.click("#logout");
	await step("sign out: back to the login, the tables emptied", async () => {
		await page.waitForSelector("#token", { state: "visible", timeout: 5000 });
		return !(await page.isVisible("#console")) &&
		       !/gw-1/.test(await page.evaluate(() => document.body.innerText));
	});
	await ctx.close();
}

try {
	await viewer();
	await console_();
} catch (e) {
	ok(false, "the browser tests ran to their end", e.stack);
}
await browser.close();
process.exit(failed() ? 1 : 0);
