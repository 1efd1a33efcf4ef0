// SPDX-License-Identifier: GPL-2.0
// rgm portal, the viewer's page: pair this browser with an appliance, play
// a title on it and follow the play until it ends. Same-origin requests
// only (the Content-Security-Policy allows nothing else); the pairing
// cookie is HttpOnly, so this script never sees it.
"use strict";

(function () {
	var status = document.getElementById("status");

	// What a person is told for an error code; the server's message follows.
	var HEADLINES = {
		"appliance-offline": "The appliance is offline",
		"appliance-busy": "The appliance is busy",
		"unknown-title": "Unknown title",
		"unknown-code": "Wrong pairing code",
		"too-many-attempts": "Too many wrong codes",
		"not-paired": "This browser is not paired",
		"forbidden": "Not allowed from here",
		"gateway-refused": "The gateway refused",
		"policy-denied": "The gateway refused",
		"port-conflict": "The gateway refused: no free ports",
		"gateway-unreachable": "The gateway cannot be reached",
		"gateway-timeout": "The gateway did not answer",
		"gateway-untrusted": "The gateway is not the one registered",
		"unknown-appliance": "The appliance is not registered",
		"confserver-unreachable": "The configuration server cannot be reached",
		"mediaserver-unreachable": "The media server cannot be reached"
	};

	function el(tag, text, cls) {
		var e = document.createElement(tag);
		if (text !== undefined && text !== null)
			e.textContent = text;
		if (cls)
			e.className = cls;
		return e;
	}

	function clear(node) {
		while (node.firstChild)
			node.removeChild(node.firstChild);
	}

	// POST or GET JSON; resolves to {status, body}
	function call(method, path, body) {
		var opts = { method: method, credentials: "same-origin", headers: {} };
		if (body !== undefined) {
			opts.headers["Content-Type"] = "application/json";
			opts.body = JSON.stringify(body);
		}
		return fetch(path, opts).then(function (r) {
			return r.json().catch(function () { return {}; }).then(function (j) {
				return { status: r.status, body: j };
			});
		}, function () {
			return { status: 0, body: { error: { code: "network",
				message: "the portal cannot be reached" } } };
		});
	}

	function showError(err, steps) {
		var e = (err && err.error) || { code: "error", message: "unexpected reply" };
		status.className = "error";
		if (!steps)
			clear(status);
		var h = el("p", HEADLINES[e.code] || "It did not work", "result");
		h.id = "error-headline";
		status.appendChild(h);
		status.appendChild(el("p", e.message + " (" + e.code + ")"));
	}

	function setButtons(disabled) {
		var b = document.querySelectorAll("button.play");
		for (var i = 0; i < b.length; i++) {
			if (disabled)
				b[i].disabled = true;
			else if (!/\(offline\)$/.test(b[i].textContent))
				b[i].disabled = false;
		}
	}

	// Pairing
	var pair = document.getElementById("pair");
	if (pair) {
		pair.addEventListener("submit", function (ev) {
			ev.preventDefault();
			var code = document.getElementById("code").value.trim();
			status.className = "";
			clear(status);
			status.appendChild(el("p", "Pairing..."));
			call("POST", "/v1/pair", { code: code }).then(function (r) {
				if (r.status !== 200)
					return showError(r.body);
				clear(status);
				status.appendChild(el("p", "Paired with " + r.body.paired + ".", "result"));
				// the page lists the appliances and their buttons
				window.location.reload();
			});
		});
	}

	// Playing: the steps a person sees
	var STEPS = [
		["gateway", "Gateway configured"],
		["ports", "Ports chosen"],
		["streaming", "Streaming"],
		["receiving", "Appliance receiving"],
		["ended", "Ended"]
	];

	function Progress(title, appliance) {
		status.className = "";
		clear(status);
		status.appendChild(el("p", "Playing " + title + " on " + appliance, "result"));
		this.list = el("ol");
		this.list.setAttribute("aria-label", "Progress");
		this.items = {};
		for (var i = 0; i < STEPS.length; i++) {
			var li = el("li", STEPS[i][1], "todo");
			li.id = "step-" + STEPS[i][0];
			this.items[STEPS[i][0]] = li;
			this.list.appendChild(li);
		}
		status.appendChild(this.list);
		// a button far down a phone's page: the progress comes into view
		status.scrollIntoView({ block: "nearest" });
	}
	Progress.prototype.done = function (step, text) {
		var li = this.items[step];
		li.className = "done";
		li.textContent = text;
	};
	Progress.prototype.failed = function (step, text) {
		var li = this.items[step];
		li.className = "failed";
		li.textContent = text;
	};

	function ports(play) {
		return (play.streams || []).map(function (s) {
			return s.kind + " " + s.global_port + " \u2192 " + s.local_port;
		}).join(", ");
	}

	var ENDS = {
		"complete": "Ended: the appliance received the whole title",
		"incomplete": "Ended: the appliance did not receive all of it",
		"stopped": "Ended: stopped",
		"lease-ended": "Ended: the lease is over"
	};

	function follow(p, play, stopBtn) {
		if (play.state === "receiving" || play.state === "ended")
			p.done("receiving", "Appliance receiving");
		if (play.state === "ended") {
			p.done("ended", ENDS[play.end] || "Ended");
			status.setAttribute("data-end", play.end || "");
			stopBtn.remove();
			setButtons(false);
			return;
		}
		setTimeout(function () {
			call("GET", "/v1/plays/" + encodeURIComponent(play.play)).then(function (r) {
				if (r.status !== 200) {
					showError(r.body, true);
					setButtons(false);
					return;
				}
				follow(p, r.body, stopBtn);
			});
		}, 1000);
	}

	function play(btn) {
		var title = btn.getAttribute("data-title");
		var appliance = btn.getAttribute("data-appliance");
		var p = new Progress(title, appliance);
		setButtons(true);
		p.items.gateway.textContent = "Configuring the gateway...";
		call("POST", "/v1/play", { appliance: appliance, title: title }).then(function (r) {
			if (r.status !== 201) {
				p.failed("gateway", "Gateway not configured");
				showError(r.body, true);
				setButtons(false);
				return;
			}
			var pl = r.body;
			p.done("gateway", "Gateway configured (session " + pl.session + ")");
			p.done("ports", "Ports chosen: " + ports(pl));
			p.done("streaming", "Streaming (lease " + pl.lease + " s)");
			var stopBtn = el("button", "Stop", "secondary");
			stopBtn.type = "button";
			stopBtn.addEventListener("click", function () {
				stopBtn.disabled = true;
				call("POST", "/v1/play/stop", { play: pl.play }).then(function (s) {
					if (s.status !== 200)
						showError(s.body, true);
				});
			});
			status.appendChild(stopBtn);
			follow(p, pl, stopBtn);
		});
	}

	var buttons = document.querySelectorAll("button.play");
	for (var i = 0; i < buttons.length; i++) {
		buttons[i].addEventListener("click", function (ev) {
			play(ev.currentTarget);
		});
	}
})();
