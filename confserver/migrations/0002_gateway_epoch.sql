-- SPDX-License-Identifier: GPL-2.0
-- rgm-confserver registration database, schema version 2: the epoch each
-- gateway last said in hello, so that a restart of the gateway is noticed
-- across a restart of the configuration server too.

ALTER TABLE gateways ADD COLUMN epoch TEXT	-- 16 hex digits, NULL until seen
	CHECK (epoch IS NULL OR (length(epoch) = 16 AND epoch NOT GLOB '*[^0-9a-f]*'));
