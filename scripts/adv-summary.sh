#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# adv-summary.sh RESULTS_DIR: the adversarial suite's figures in one line.
# Each selftests/adv_*_test.sh prints "# adv: NAME COUNT" lines in its TAP;
# this sums them over every *.tap of RESULTS_DIR (Documentation/security.rst).
# Prints nothing when no test printed a figure.
set -u
cat "${1:?usage: adv-summary.sh RESULTS_DIR}"/*.tap 2>/dev/null | awk '
	/^# adv: [a-z-]+ [0-9]+$/ { s[$3] += $4; any = 1 }
	END {
		if (!any) exit 0
		printf "adversarial: %d ports scanned, %d bad certificates/handshakes tried, " \
		       "%d hostile or malformed requests sent, %d kills survived, " \
		       "%d mappings wrongly made, %d expectations left on the managed range\n",
		       s["ports-scanned"], s["bad-certificates"], s["hostile-requests"],
		       s["kills-survived"], s["wrong-mappings"], s["expectations-on-managed-range"]
	}'
