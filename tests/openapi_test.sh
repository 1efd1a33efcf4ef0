#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The OpenAPI documents of Documentation/openapi/ against the code: their
# routes must be the route tables of confserver/route.c and portal/route.c,
# and every documented request, sent to the real daemons, must get a
# documented status with a body that matches the documented schema. Runs
# rgm-confserver (HTTPS on 127.0.0.1, scratch database, certificates made
# here), rgm-portal against the fake upstreams of tests/portal_fake.py,
# and a second rgm-portal against the real rgm-confserver. The checks
# themselves are in tests/openapi_check.py. TAP output.
#
# OPENAPI_CONFSERVER=FILE, OPENAPI_PORTAL=FILE check other copies of the
# documents (to see the test fail on a changed one).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
CS_BIN=${RGM_CONFSERVER:-$top/confserver/rgm-confserver}
PORTAL_BIN=${RGM_PORTAL:-$top/portal/rgm-portal}
CS_SPEC=${OPENAPI_CONFSERVER:-$top/Documentation/openapi/confserver.yaml}
PORTAL_SPEC=${OPENAPI_PORTAL:-$top/Documentation/openapi/portal.yaml}
CHECK=$top/tests/openapi_check.py
FAKE=$top/tests/portal_fake.py
TMPD=$(mktemp -d /tmp/openapi_test.XXXXXX)
PIDS=()

. "$top/tests/tap.sh"

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	# OA_KEEP=1: leave the logs and replies for a look
	if [ -n "${OA_KEEP:-}" ]; then echo "# kept $TMPD"; else rm -rf "$TMPD"; fi
}
trap cleanup EXIT

for t in curl certtool sha256sum sqlite3; do
	command -v "$t" >/dev/null || bail "$t is installed"
done
# a python3 with PyYAML (Debian: python3-yaml)
PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import yaml' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || bail "python3 with PyYAML is installed (apt-get install python3-yaml)"
for b in "$CS_BIN" "$PORTAL_BIN"; do [ -x "$b" ] || bail "$b is built (make)"; done
for f in "$CS_SPEC" "$PORTAL_SPEC"; do [ -r "$f" ] || bail "$f exists"; done

# oa ARGS...: runs openapi_check.py, its "ok"/"not ok" lines become ours;
# a helper that dies without saying "not ok" is a failure too
oa() {
	local line out rc bad=0
	out=$("$PY" "$CHECK" "$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) not_ok "${line#not ok }"; bad=1 ;;
		"") ;;
		*) echo "# ${line#\# }" ;;
		esac
	done <<<"$out"
	[ $rc = 0 ] || [ $bad = 1 ] || not_ok "openapi_check.py $1 $(basename "$2") exits 0 (got $rc)"
}

# wait_up URL [CURL-ARGS...]: until it answers, or its daemon ($!) died
wait_up() {
	local url=$1 pid=$!; shift
	for _ in $(seq 100); do
		curl -s --max-time 1 -o /dev/null "$@" "$url" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- the documents
oa lint "$CS_SPEC"
oa lint "$PORTAL_SPEC"
oa routes "$CS_SPEC" confserver "$top/confserver/route.c"
oa routes "$PORTAL_SPEC" portal "$top/portal/route.c"

# ---------------------------------------------------------------- PKI
PKI=$TMPD/pki
. "$top/selftests/pki.sh"

mk_ca ca "rgm test CA"			# the server's HTTPS and the gateways
mk_ca pca "rgm portal CA"		# portal client certificates
mk_leaf srv localhost ca 'ip_address = "127.0.0.1"' 'dns_name = "localhost"'
mk_leaf cfg cfg.rgm.test ca
mk_leaf opcert ops.rgm.test pca
for c in srv cfg opcert; do
	[ -s "$PKI/$c.pem" ] || bail "certtool made $c.pem"
done
OP_PIN=$(pin_of "$PKI/opcert.pem")
[ -n "$OP_PIN" ] || bail "certtool prints SPKI pins"

# ---------------------------------------------------------------- rgm-confserver
PORT=$(free_port) || bail "a free port"
CHPORT=$(free_port) || bail "a free port"
DB=$TMPD/cs.db
CONF=$TMPD/cs.conf
PTOK=portal-token-$RANDOM$RANDOM
OTOK=operator-token-$RANDOM$RANDOM
hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
cat >"$CONF" <<EOF
db = $DB
listen = 127.0.0.1:$PORT
http-cert = $PKI/srv.pem
http-key = $PKI/srv.key
portal-ca = $PKI/pca.pem
portal-cert = operator $OP_PIN
token = portal-1 portal sha256:$(hash "$PTOK")
token = ops operator sha256:$(hash "$OTOK")
gateway-cert = $PKI/cfg.pem
gateway-key = $PKI/cfg.key
gateway-ca = $PKI/ca.pem
gateway-type = homebox driver rgm strategy query-first
call-home-listen = 127.0.0.1:$CHPORT
connect-timeout = 2
request-timeout = 5
EOF
CS_URL=https://127.0.0.1:$PORT
CS_LOG=$TMPD/cs.log
"$CS_BIN" -c "$CONF" serve 2>"$CS_LOG" &
PIDS+=($!)
wait_up "$CS_URL/v1/health" --cacert "$PKI/ca.pem" ||
	{ sed 's/^/# /' "$CS_LOG"; bail "rgm-confserver serves on $CS_URL"; }

export OA_CURL="--cacert $PKI/ca.pem" OA_TOKEN_PORTAL=$PTOK OA_TOKEN_OPERATOR=$OTOK
mkdir -p "$TMPD/cs"
oa run "$CS_SPEC" "$CS_URL" --save "$TMPD/cs" --first health,enrollGateway,listGateways,getGateway,registerAppliance,configureSession,getSession,renewSession,closeSession
# a session that exists (the configure's, failed: no gateway answers)
sid=$(sqlite3 "$DB" "SELECT id FROM sessions ORDER BY created_at DESC LIMIT 1" 2>/dev/null)
if [ -n "$sid" ]; then
	oa send "$CS_SPEC" "$CS_URL" getSession --param "id=$sid" --want 200
	oa send "$CS_SPEC" "$CS_URL" renewSession --body "{\"session\":\"$sid\",\"lease\":60}"
else
	not_ok "the configure example left a session to read"
fi
# mutual TLS instead of a token
oa send "$CS_SPEC" "$CS_URL" listGateways --no-auth --want 200 \
	--curl --cert --curl "$PKI/opcert.pem" --curl --key --curl "$PKI/opcert.key"
unset OA_CURL OA_TOKEN_PORTAL OA_TOKEN_OPERATOR

# ---------------------------------------------------------------- rgm-portal
printf 'conf-secret\n' >"$TMPD/conf.token"
printf 'media-secret\n' >"$TMPD/media.token"
printf '%s\n' "$PTOK" >"$TMPD/portal.token"
chmod 600 "$TMPD"/*.token
"$PY" "$FAKE" confserver "$TMPD/fconf.port" "$TMPD/fconf.req" conf-secret 2>"$TMPD/fconf.err" &
PIDS+=($!)
"$PY" "$FAKE" mediaserver "$TMPD/fmedia.port" "$TMPD/fmedia.req" media-secret \
	2>"$TMPD/fmedia.err" &
PIDS+=($!)
for _ in $(seq 100); do
	[ -s "$TMPD/fconf.port" ] && [ -s "$TMPD/fmedia.port" ] && break
	sleep 0.1
done
if ! [ -s "$TMPD/fconf.port" ] || ! [ -s "$TMPD/fmedia.port" ]; then
	cat "$TMPD"/*.err; bail "the fake upstreams start"
fi
MEDIA_URL=http://127.0.0.1:$(cat "$TMPD/fmedia.port")

# start_portal NAME CONFSERVER-ARGS...: its URL in $PORTAL_URL
start_portal() {
	local name=$1 port; shift
	port=$(free_port) || bail "a free port"
	"$PORTAL_BIN" --listen "127.0.0.1:$port" "$@" --mediaserver "$MEDIA_URL" \
		--media-token-file "$TMPD/media.token" 2>"$TMPD/$name.log" &
	PIDS+=($!)
	PORTAL_URL=http://127.0.0.1:$port
	wait_up "$PORTAL_URL/v1/health" ||
		{ sed 's/^/# /' "$TMPD/$name.log"; bail "rgm-portal ($name) serves on $PORTAL_URL"; }
}

PORTAL_ORDER=health,healthHead,indexPage,indexPageHead,titlePage,titlePageHead,titles,titlesHead,register,watch,stop

# against the fake upstreams: the watch succeeds
start_portal portal-fake --confserver "http://127.0.0.1:$(cat "$TMPD/fconf.port")" \
	--token-file "$TMPD/conf.token"
mkdir -p "$TMPD/pf"
PF=(--label "portal.yaml (fake upstreams)")
oa run "$PORTAL_SPEC" "$PORTAL_URL" "${PF[@]}" --save "$TMPD/pf" --first "$PORTAL_ORDER"
wsid=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' \
	"$TMPD/pf/watch.register-and-watch.json" 2>/dev/null)
if [ -n "$wsid" ]; then
	oa send "$PORTAL_SPEC" "$PORTAL_URL" stop "${PF[@]}" --body "{\"session\":\"$wsid\"}" \
		--want 200
else
	not_ok "the watch example opened a session to stop"
fi
oa send "$PORTAL_SPEC" "$PORTAL_URL" titlePage "${PF[@]}" --param id=nothing --want 404

# against the real rgm-confserver: its replies and errors pass through
start_portal portal-real --confserver "$CS_URL" --confserver-ca "$PKI/ca.pem" \
	--token-file "$TMPD/portal.token"
oa run "$PORTAL_SPEC" "$PORTAL_URL" --label "portal.yaml (real confserver)" --first "$PORTAL_ORDER"

if [ $fails != 0 ]; then
	diag "rgm-confserver log:"; sed 's/^/#   /' "$CS_LOG" | tail -30
	for l in portal-fake portal-real; do
		diag "$l log:"; sed 's/^/#   /' "$TMPD/$l.log" | tail -15
	done
fi
echo "1..$n"
[ $fails = 0 ]
