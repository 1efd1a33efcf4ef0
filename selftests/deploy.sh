# SPDX-License-Identifier: GPL-2.0
#
# The whole rgm deployment in the VM, for the end-to-end tests and the
# demo (sourced after lib.sh, which has the topology and the PKI helpers):
#
#   ns WAN  media server 203.0.113.7 (control :8081)   portal 203.0.113.10:8080
#           confserver 203.0.113.20:8443 (HTTPS)       stranger 203.0.113.66
#   gw-I    rgm.ko + rgmd on 198.51.100.I:8443, masquerade for its LAN
#   LAN I   appliances 10.0.(I-1).2 and .3
#
# deploy_up N brings up N gateways and every server; each step bails with a
# message if its program does not come up. Logs are in $TMPD/*.log.

CONTENT=${RGM_CONTENT:-$RGM_TOP/build/media-content}
GW_TYPE=homebox

# deploy_pki N: a CA, the confserver's certificate (HTTPS and towards the
# gateways), and one certificate per gateway.
deploy_pki() {
	local i
	mk_ca ca "rgm test CA"
	mk_leaf cfg cfg.rgm.test ca "expiration_days = 30" "ip_address = \"$CONFSERVER\""
	for i in $(seq 1 "$1"); do mk_leaf "gw$i" "gw$i.rgm.test" ca "expiration_days = 30"; done
	CFG_PIN=$(pin_of "$PKI/cfg.pem")
	[ -n "$CFG_PIN" ] || bail "certtool made the deployment's PKI"
}

_token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
_sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# deploy_confserver N: configuration, start, and the N gateways enrolled
# through the operator API (type $GW_TYPE, strategy ${STRATEGY:-query-first}).
deploy_confserver() {
	local i body code
	CS_DB=$TMPD/confserver.db
	PORTAL_TOKEN=$(_token)
	OPER_TOKEN=$(_token)
	printf '%s\n' "$PORTAL_TOKEN" >"$TMPD/portal.token"; chmod 600 "$TMPD/portal.token"
	cat >"$TMPD/confserver.conf" <<-EOF
		db = $CS_DB
		listen = $CONFSERVER:8443
		http-cert = $PKI/cfg.pem
		http-key = $PKI/cfg.key
		token = portal-1 portal sha256:$(_sha "$PORTAL_TOKEN")
		token = ops operator sha256:$(_sha "$OPER_TOKEN")
		gateway-cert = $PKI/cfg.pem
		gateway-key = $PKI/cfg.key
		gateway-ca = $PKI/ca.pem
		gateway-type = $GW_TYPE driver ${GW_DRIVER:-rgm} strategy ${STRATEGY:-query-first}
		connect-timeout = 3
		request-timeout = 20
	EOF
	# appliance-mediated types (GW_DRIVER upnp-igd, pcp) sign grants with it
	if [ -n "${GRANT_KEY:-}" ]; then
		echo "grant-key = $GRANT_KEY" >>"$TMPD/confserver.conf"
	fi
	# more lines (another gateway-type) from the test
	if [ -n "${CS_CONF_EXTRA:-}" ]; then
		printf '%s\n' "$CS_CONF_EXTRA" >>"$TMPD/confserver.conf"
	fi
	bg ip netns exec "$NS_WAN" "$RGM_TOP/confserver/rgm-confserver" \
		-c "$TMPD/confserver.conf" serve 2>>"$TMPD/confserver.log"
	CS_PID=$BG_PID
	wait_listen "$NS_WAN" tcp 8443 || bail "the configuration server listens"
	for i in $(seq 1 "$1"); do
		body=$(printf '{"id":"gw-%d","type":"%s","mode":"listen","endpoint":"%s:8443","pin":"%s","global_addr":"%s"}' \
			"$i" "$GW_TYPE" "$(gw_global "$i")" "$(pin_of "$PKI/gw$i.pem")" "$(gw_global "$i")")
		code=$(nsx "$NS_WAN" curl -sS -m 30 --cacert "$PKI/ca.pem" -o /dev/null \
			-w '%{http_code}' -H "Authorization: Bearer $OPER_TOKEN" \
			-H 'Content-Type: application/json' --data-binary "$body" \
			"https://$CONFSERVER:8443/v1/gateways")
		[ "$code" = 201 ] || bail "gw-$i enrolled (HTTP $code)"
	done
}

# deploy_media: the test titles (made once, kept in build/content) and the
# media server.
deploy_media() {
	"$RGM_TOP/scripts/mkcontent.sh" "$CONTENT" >>"$TMPD/mkcontent.log" 2>&1 ||
		bail "test content made with ffmpeg"
	MEDIA_TOKEN=$(_token)
	printf '%s\n' "$MEDIA_TOKEN" >"$TMPD/media.token"; chmod 600 "$TMPD/media.token"
	bg ip netns exec "$NS_WAN" "$RGM_TOP/mediaserver/rgm-mediaserver" --addr "$MEDIA" \
		--control "$MEDIA:8081" --content "$CONTENT" --token-file "$TMPD/media.token" \
		2>>"$TMPD/mediaserver.log"
	MEDIA_PID=$BG_PID
	wait_listen "$NS_WAN" tcp 8081 || bail "the media server listens"
}

deploy_portal() {
	bg ip netns exec "$NS_WAN" "$RGM_TOP/portal/rgm-portal" --listen "$PORTAL:8080" \
		--confserver "https://$CONFSERVER:8443" --confserver-ca "$PKI/ca.pem" \
		--token-file "$TMPD/portal.token" --mediaserver "http://$MEDIA:8081" \
		--media-token-file "$TMPD/media.token" 2>>"$TMPD/portal.log"
	PORTAL_PID=$BG_PID
	wait_listen "$NS_WAN" tcp 8080 || bail "the portal listens"
}

# deploy_up N: everything, N gateways.
deploy_up() {
	local i
	topo_hub
	for i in $(seq 1 "$1"); do topo_gw "$i"; done
	deploy_pki "$1"
	for i in $(seq 1 "$1"); do
		start_gw_rgmd "$i" "$CFG_PIN" || bail "rgmd of gateway $i listens"
	done
	deploy_confserver "$1"
	deploy_media
	deploy_portal
}

# appliance I HOST ARGS...: rgm-appliance as host 10.0.(I-1).HOST of LAN I
appliance() {
	local i=$1 h=$2; shift 2
	ip netns exec "${LANNS[$i]}" "$RGM_TOP/appliance/rgm-appliance" \
		--portal "http://$PORTAL:8080" --addr "$(gw_lan "$i" "$h")" "$@"
}
