/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Grants: what the configuration server hands an appliance that programs
 * its own gateway (UPnP IGD, PCP). A grant names the session, the
 * appliance, the gateway, the media server and the streams, the lease,
 * and when it stops being accepted; it is signed with the server's Ed25519
 * key (GnuTLS), so the server knows, when the appliance reports the ports
 * it got, that the report is about what it granted and nothing else.
 *
 * Token: hex(claims JSON) "." hex(Ed25519 signature of the claims JSON).
 */
#ifndef CS_GRANT_H
#define CS_GRANT_H

#include <stddef.h>
#include <json-c/json.h>

#define CS_GRANT_TTL_S	120	/* a grant must be reported on within this */

struct cs_grant_key;

/* Loads an Ed25519 private key (PEM, PKCS#8 as certtool writes it). 0 or
 * -1 with a message in err. */
int cs_grant_key_load(const char *path, struct cs_grant_key **out, char *err, size_t errlen);
void cs_grant_key_free(struct cs_grant_key *k);

/* The token for claims (an object); malloc'd, NULL on failure. */
char *cs_grant_sign(struct cs_grant_key *k, struct json_object *claims);
/* The claims of a token whose signature is ours, or NULL with why in err
 * (the expiry is the caller's to check: claims "exp"). */
struct json_object *cs_grant_verify(struct cs_grant_key *k, const char *token, char *err,
				    size_t errlen);

#endif /* CS_GRANT_H */
