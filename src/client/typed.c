/* typed.c - libbaton's typed helpers: Ping, Health/Check, Info over baton_call(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <baton/client.h>

#include "baton/v1/health.pb-c.h"
#include "baton/v1/system.pb-c.h"
#include "client/client_internal.h"

/* ---- typed helpers ------------------------------------------------------ */

/* Packs msg and calls method; on OK res->payload holds the packed reply. */
static baton_status call_message(baton_client *c, const char *method, const ProtobufCMessage *msg,
    int64_t timeout_ms, baton_result *res)
{
	baton_call_options opts = { .timeout_ms = timeout_ms };
	size_t size = protobuf_c_message_get_packed_size(msg);
	uint8_t stack[256], *buf = size <= sizeof(stack) ? stack : malloc(size);
	baton_status s;

	if (buf == NULL) {
		memset(res, 0, sizeof(*res));
		return client_fail(res, BATON_INTERNAL, "out of memory");
	}
	protobuf_c_message_pack(msg, buf);
	s = baton_call(c, method, buf, size, &opts, res);
	if (buf != stack)
		free(buf);
	return s;
}

/* Unpacks res->payload as a desc message and empties the payload. NULL
 * (with res failed as INTERNAL) if it does not parse. Caller frees the
 * message with protobuf_c_message_free_unpacked(msg, NULL). */
static ProtobufCMessage *reply_take(baton_result *res, const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, res->payload_len, res->payload);

	free(res->payload);
	res->payload = NULL;
	res->payload_len = 0;
	if (msg == NULL)
		client_fail(res, BATON_INTERNAL, "reply is not a %s", desc->name);
	return msg;
}

baton_status baton_ping(baton_client *c, const void *data, size_t len, int64_t timeout_ms,
    baton_result *res)
{
	Baton__V1__PingRequest req = BATON__V1__PING_REQUEST__INIT;
	Baton__V1__PingReply *rep;
	baton_status s;

	req.payload.data = (uint8_t *)data;
	req.payload.len = len;
	if ((s = call_message(c, "/baton.v1.System/Ping", &req.base, timeout_ms, res)) != BATON_OK)
		return s;
	if ((rep = (Baton__V1__PingReply *)reply_take(res, &baton__v1__ping_reply__descriptor)) == NULL)
		return res->status;
	if (rep->payload.len > 0) {
		if ((res->payload = malloc(rep->payload.len)) == NULL) {
			baton__v1__ping_reply__free_unpacked(rep, NULL);
			return client_fail(res, BATON_INTERNAL, "out of memory");
		}
		memcpy(res->payload, rep->payload.data, rep->payload.len);
		res->payload_len = rep->payload.len;
	}
	baton__v1__ping_reply__free_unpacked(rep, NULL);
	return BATON_OK;
}

const char *baton_serving_str(baton_serving s)
{
	switch (s) {
	case BATON_SERVING: return "SERVING";
	case BATON_NOT_SERVING: return "NOT_SERVING";
	case BATON_SERVING_SERVICE_UNKNOWN: return "SERVICE_UNKNOWN";
	default: return "UNKNOWN";
	}
}

baton_status baton_health_check(baton_client *c, const char *service, int64_t timeout_ms,
    baton_serving *serving, baton_result *res)
{
	Baton__V1__HealthCheckRequest req = BATON__V1__HEALTH_CHECK_REQUEST__INIT;
	Baton__V1__HealthCheckResponse *rep;
	baton_status s;

	*serving = BATON_SERVING_UNKNOWN;
	req.service = (char *)(service != NULL ? service : "");
	if ((s = call_message(c, "/baton.v1.Health/Check", &req.base, timeout_ms, res)) != BATON_OK)
		return s;
	rep = (Baton__V1__HealthCheckResponse *)reply_take(res, &baton__v1__health_check_response__descriptor);
	if (rep == NULL)
		return res->status;
	*serving = rep->status >= 0 && rep->status <= 3 ? (baton_serving)rep->status : BATON_SERVING_UNKNOWN;
	baton__v1__health_check_response__free_unpacked(rep, NULL);
	return BATON_OK;
}

baton_status baton_server_info_get(baton_client *c, int64_t timeout_ms, baton_server_info *info,
    baton_result *res)
{
	Baton__V1__InfoRequest req = BATON__V1__INFO_REQUEST__INIT;
	Baton__V1__InfoReply *rep;
	baton_status s;

	memset(info, 0, sizeof(*info));
	if ((s = call_message(c, "/baton.v1.System/Info", &req.base, timeout_ms, res)) != BATON_OK)
		return s;
	if ((rep = (Baton__V1__InfoReply *)reply_take(res, &baton__v1__info_reply__descriptor)) == NULL)
		return res->status;
	snprintf(info->server_version, sizeof(info->server_version), "%s", rep->server_version);
	snprintf(info->database_id, sizeof(info->database_id), "%s", rep->database_id);
	info->schema_version = rep->schema_version;
	info->database_time_unix_ms = rep->database_time_unix_ms;
	info->uptime_seconds = rep->uptime_seconds;
	baton__v1__info_reply__free_unpacked(rep, NULL);
	return BATON_OK;
}
