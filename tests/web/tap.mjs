// SPDX-License-Identifier: GPL-2.0
//
// TAP output for the browser tests: ok() prints one numbered result (and
// the diagnostics of a failure as "# " lines), step() turns a check that
// throws (a timeout waiting for an element) into a failure, not a crash,
// and failed() says whether anything failed, for the exit status.
let n = 0, fails = 0;

export function ok(cond, name, diag) {
	n++;
	console.log(`${cond ? "ok" : "not ok"} ${n} ${name}`);
	if (!cond) {
		fails++;
		for (const l of String(diag ?? "").split("\n").filter(Boolean))
			console.log(`# ${l}`);
	}
	return cond;
}

export async function step(name, fn) {
	try {
		const r = await fn();
		return ok(r !== false, name);
	} catch (e) {
		return ok(false, name, e.message.split("\n").slice(0, 6).join("\n"));
	}
}

export const failed = () => fails > 0;
