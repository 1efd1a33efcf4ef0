// SPDX-License-Identifier: GPL-2.0
/*
 * The appliance's PCP response parser (appliance/pcp.c). The first 24
 * bytes are the request the answer is checked against (nonce, protocol,
 * ports, lifetime, client, remote); the rest is what the server sent.
 * Beyond "no crash": an accepted answer must match the request, and a
 * successful mapping must name an external port.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[AP_PCP_REQ_LEN];
	struct ap_pcp_req r;
	struct ap_pcp_resp resp;
	size_t n;

	if (size < 24)
		return 0;
	memset(&r, 0, sizeof(r));
	memcpy(r.nonce, data, 12);
	r.proto = data[12];
	r.internal_port = (uint16_t)(data[13] << 8 | data[14]);
	r.external_port = (uint16_t)(data[15] << 8 | data[16]);
	r.lifetime = data[17];
	memcpy(&r.client.s_addr, data + 18, 4);
	r.remote.s_addr = data[22] ? r.client.s_addr : 0;
	data += 24;
	size -= 24;

	/* what we send is a whole request of the size the header promises */
	n = ap_pcp_build(&r, out, sizeof(out));
	if (n < 60 || n > AP_PCP_REQ_LEN || n % 4 || out[0] != AP_PCP_VERSION)
		abort();
	if (ap_pcp_build(&r, out, AP_PCP_REQ_LEN - 1) != 0)
		abort();

	if (ap_pcp_parse(data, size, &r, &resp))
		return 0;
	if (size > AP_PCP_MAX_MSG)
		abort();
	if (resp.version != AP_PCP_VERSION) {
		if (resp.result != AP_PCP_UNSUPP_VERSION)
			abort();
		return 0;
	}
	if (size < 24 || size % 4)
		abort();
	if (resp.result == AP_PCP_SUCCESS &&
	    (size < 60 || memcmp(data + 24, r.nonce, 12) || data[36] != r.proto ||
	     (r.lifetime && !resp.external_port)))
		abort();
	(void)ap_pcp_result_str(resp.result);
	return 0;
}
