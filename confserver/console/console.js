// SPDX-License-Identifier: GPL-2.0
// rgm-confserver's operator console: everything it shows comes from the
// JSON API (Documentation/openapi/confserver.yaml) called with the token
// the operator signs in with. The token stays in this tab's sessionStorage
// and goes only into the Authorization header of same-origin requests.
"use strict";

(function () {
	var KEY = "rgm-operator-token";
	var token = sessionStorage.getItem(KEY);
	var timer = null;
	var confirming = null;	// the gateway whose removal waits for a second click

	function $(id) { return document.getElementById(id); }

	function el(tag, text, cls) {
		var e = document.createElement(tag);
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		if (cls)
			e.className = cls;
		return e;
	}

	function row(cells) {
		var tr = el("tr");
		cells.forEach(function (c) {
			if (c instanceof Node) {
				var td = el("td");
				td.appendChild(c);
				tr.appendChild(td);
			} else if (c && typeof c === "object") {
				tr.appendChild(el("td", c.text, c.cls));
			} else {
				tr.appendChild(el("td", c === null || c === undefined ? "\u2014" : c));
			}
		});
		return tr;
	}

	function fill(table, rows, empty, cols) {
		var tb = $(table).tBodies[0];
		while (tb.firstChild)
			tb.removeChild(tb.firstChild);
		rows.forEach(function (r) { tb.appendChild(r); });
		if (!rows.length) {
			var tr = el("tr"), td = el("td", empty);
			td.colSpan = cols;
			tr.appendChild(td);
			tb.appendChild(tr);
		}
	}

	function when(t) {
		return t ? new Date(t * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC") : null;
	}

	// login: the token is being tried, a 401 is the answer, not a sign-out
	function api(method, path, body, login) {
		var opts = { method: method, headers: { "Authorization": "Bearer " + token },
			     credentials: "omit" };
		if (body !== undefined) {
			opts.headers["Content-Type"] = "application/json";
			opts.body = JSON.stringify(body);
		}
		return fetch(path, opts).then(function (r) {
			return r.json().catch(function () { return {}; }).then(function (j) {
				if (r.status === 401 && !login) {
					signOut("The server no longer accepts this token.");
					throw new Error("unauthorized");
				}
				return { status: r.status, body: j };
			});
		});
	}

	function say(text, bad) {
		var m = $("msg");
		m.textContent = text;
		m.className = bad ? "error" : "";
	}

	function errText(r) {
		var e = r.body && r.body.error;
		return e ? e.message + " (" + e.code + ")" : "HTTP " + r.status;
	}

	function showLogin(why) {
		$("console").hidden = true;
		$("logout").hidden = true;
		$("login").hidden = false;
		$("login-error").textContent = why || "";
		$("token").focus();
	}

	function signOut(why) {
		sessionStorage.removeItem(KEY);
		token = null;
		if (timer)
			clearInterval(timer);
		timer = null;
		// nothing the server said stays on the page
		["gateways", "sessions", "audit"].forEach(function (t) { fill(t, [], "", 1); });
		$("audit-verify").textContent = "";
		$("audit-head").textContent = "";
		showLogin(why);
	}

	// Gateways: the list, then each one's driver status
	function gateways() {
		return api("GET", "/v1/gateways").then(function (r) {
			if (r.status !== 200)
				return say("Gateways: " + errText(r), true);
			return Promise.all(r.body.map(function (g) {
				return api("GET", "/v1/gateways/" + encodeURIComponent(g.id)).then(function (d) {
					return d.status === 200 ? d.body : g;
				});
			})).then(function (list) {
				fill("gateways", list.map(function (g) {
					var st = g.status || {};
					var state = st.connected ? "connected" : "down";
					var rm = el("button", confirming === g.id ? "Confirm removal" : "Remove",
						    "danger");
					rm.type = "button";
					rm.setAttribute("aria-label", "Remove gateway " + g.id);
					rm.addEventListener("click", function () { remove(g.id, rm); });
					return row([g.id, g.type, g.driver, { text: state, cls: "state-" + state },
						    st.epoch, g.global_addr, when(g.enrolled_at),
						    st.last_error, rm]);
				}), "No gateway is enrolled.", 9);
			});
		});
	}

	function remove(id, btn) {
		// two steps instead of a dialog: a second click confirms (the
		// table is redrawn every 2 s: the state lives here, not in the button)
		if (confirming !== id) {
			confirming = id;
			btn.textContent = "Confirm removal";
			return;
		}
		confirming = null;
		api("DELETE", "/v1/gateways/" + encodeURIComponent(id)).then(function (r) {
			if (r.status === 200)
				say("Gateway " + id + " removed.");
			else
				say("Gateway " + id + " not removed: " + errText(r), true);
			refresh();
		});
	}

	function streams(s) {
		return (s.streams || []).map(function (st) {
			return st.type + " " + st.local_addr + ":" + st.local_port + " \u2192 " +
				(st.global_port ? (st.global_addr || "") + ":" + st.global_port : "\u2014");
		}).join("; ");
	}

	function sessions() {
		return api("GET", "/v1/sessions").then(function (r) {
			if (r.status !== 200)
				return say("Sessions: " + errText(r), true);
			var now = Date.now() / 1000;
			fill("sessions", r.body.map(function (s) {
				var end = null, lease = s.lease + " s";
				if (s.state === "active") {
					var left = Math.max(0, Math.round(s.updated_at + s.lease - now));
					lease += ", ends in " + left + " s";
					end = el("button", "End", "danger");
					end.type = "button";
					end.setAttribute("aria-label", "End session " + s.session);
					end.addEventListener("click", function () { close(s.session, end); });
				}
				return row([{ text: s.session, cls: "mono" }, s.appliance, s.gateway,
					    { text: s.state, cls: "state-" + s.state }, streams(s), lease,
					    end || ""]);
			}), "No session yet.", 7);
		});
	}

	function close(id, btn) {
		btn.disabled = true;
		api("POST", "/v1/sessions/close", { session: id }).then(function (r) {
			if (r.status === 200)
				say("Session " + id + " ended.");
			else
				say("Session " + id + " not ended: " + errText(r), true);
			refresh();
		});
	}

	function audit() {
		return api("GET", "/v1/audit").then(function (r) {
			if (r.status !== 200)
				return say("Audit: " + errText(r), true);
			var v = r.body.verify, p = $("audit-verify");
			p.textContent = v.ok ? "Chain verified: " + v.entries + " entries intact." :
				"Chain BROKEN at entry " + v.bad_seq + ": " + v.why;
			p.className = v.ok ? "ok" : "error";
			$("audit-head").textContent = "Head: entry " + r.body.head.seq + ", hash " +
				(r.body.head.hash || "\u2014");
			fill("audit", r.body.entries.map(function (e) {
				return row([e.seq, when(e.time), e.actor, e.gateway,
					    { text: JSON.stringify(e.command), cls: "json" },
					    { text: JSON.stringify(e.result), cls: "json" }]);
			}), "The audit log is empty.", 6);
		});
	}

	function refresh() {
		return Promise.all([gateways(), sessions(), audit()]).catch(function (e) {
			if (e.message !== "unauthorized")
				say("The server cannot be reached: " + e.message, true);
		});
	}

	function showConsole() {
		$("login").hidden = true;
		$("console").hidden = false;
		$("logout").hidden = false;
		refresh();
		if (!timer)
			timer = setInterval(refresh, 2000);
	}

	$("login-form").addEventListener("submit", function (ev) {
		ev.preventDefault();
		token = $("token").value.trim();
		$("token").value = "";
		// the token is good when an operator-only route answers
		api("GET", "/v1/gateways", undefined, true).then(function (r) {
			if (r.status === 200) {
				sessionStorage.setItem(KEY, token);
				showConsole();
			} else {
				token = null;
				showLogin("Refused: " + errText(r));
			}
		}).catch(function () {});
	});

	$("logout").addEventListener("click", function () { signOut(""); });

	$("enroll").addEventListener("submit", function (ev) {
		ev.preventDefault();
		var body = { id: $("e-id").value.trim(), type: $("e-type").value.trim(),
			     mode: $("e-mode").value, pin: $("e-pin").value.trim() };
		if ($("e-endpoint").value.trim())
			body.endpoint = $("e-endpoint").value.trim();
		if ($("e-addr").value.trim())
			body.global_addr = $("e-addr").value.trim();
		api("POST", "/v1/gateways", body).then(function (r) {
			if (r.status === 201) {
				say("Gateway " + body.id + " enrolled.");
				$("enroll").reset();
			} else {
				say("Not enrolled: " + errText(r), true);
			}
			refresh();
		});
	});

	if (token)
		showConsole();
	else
		showLogin("");
})();
