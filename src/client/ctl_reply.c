/* ctl_reply.c - replies of any verb: a protobuf message as JSON by its descriptor, verbs and actions as data, time used. */
#include <stdio.h>
#include <string.h>

#include "baton/v1/events.pb-c.h"
#include "client/ctl.h"
#include "client/ctl_sla.h"
#include "client/ctl_ticket.h"
#include "common/textbuf.h"

/* ---- JSON ------------------------------------------------------------------------ */

static size_t repeated_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
	default:
		return sizeof(void *);
	}
}

static void json_value(textbuf *t, const ProtobufCFieldDescriptor *f, const void *p)
{
	const ProtobufCEnumValue *ev;
	const ProtobufCMessage *m;
	const ProtobufCBinaryData *b;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		textbuf_json_str(t, *(char *const *)p);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		textbuf_puts(t, *(const protobuf_c_boolean *)p ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		textbuf_printf(t, "%d", *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		textbuf_printf(t, "%u", *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		textbuf_printf(t, "%lld", (long long)*(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		textbuf_printf(t, "%llu", (unsigned long long)*(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		textbuf_printf(t, "%.3f", *(const double *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		textbuf_printf(t, "%.3f", (double)*(const float *)p);
		break;
	case PROTOBUF_C_TYPE_ENUM:
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p);
		if (ev != NULL)
			textbuf_json_str(t, ev->name);
		else
			textbuf_printf(t, "%d", *(const int *)p);
		break;
	case PROTOBUF_C_TYPE_BYTES:
		b = p;
		textbuf_putc(t, '"');
		textbuf_hex(t, b->data, b->len);
		textbuf_putc(t, '"');
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		m = *(ProtobufCMessage *const *)p;
		if (m == NULL)
			textbuf_puts(t, "null");
		else if (m->descriptor == &baton__v1__event__descriptor)
			ctl_json_event(t, (const Baton__V1__Event *)m);
		else
			ctl_json_proto(t, m);
		break;
	default:
		textbuf_puts(t, "null");
		break;
	}
}

void ctl_json_proto(textbuf *t, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	textbuf_putc(t, '{');
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *p = (const char *)m + f->offset;
		textbuf_printf(t, "%s\"%s\":", i ? "," : "", f->name);
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			json_value(t, f, p);
			continue;
		}
		size_t n = *(const size_t *)(const void *)((const char *)m + f->quantifier_offset);
		const char *items = *(char *const *)(const void *)p;
		textbuf_putc(t, '[');
		for (size_t k = 0; k < n; k++) {
			if (k)
				textbuf_putc(t, ',');
			json_value(t, f, items + k * repeated_size(f));
		}
		textbuf_putc(t, ']');
	}
	textbuf_putc(t, '}');
}

void ctl_print_json_proto(const ProtobufCMessage *m)
{
	textbuf t;

	ctl_out_begin(&t);
	ctl_json_proto(&t, m);
	ctl_out_end(&t);
}

void ctl_used_format(double seconds, char *buf, size_t len)
{
	long long s = seconds < 0 ? 0 : (long long)seconds;

	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, s % 60 ? "%lldm%02llds" : "%lldm", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, s % 3600 / 60 ? "%lldh%02lldm" : "%lldh", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, s % 86400 / 3600 ? "%lldd%02lldh" : "%lldd", s / 86400, s % 86400 / 3600);
}

/* ---- verbs as data ------------------------------------------------------------------------ */

int ctl_rpc_run(const ctl_globals *g, const ctl_rpc *r, const ProtobufCMessage *req)
{
	ProtobufCMessage *rep;
	int rc = ctl_connect_call(g, r->verb, r->method, req, r->changes_state, r->reply_desc, &rep);

	if (rc == 0) {
		rc = r->print(g, rep);
		protobuf_c_message_free_unpacked(rep, NULL);
	}
	return rc;
}

int ctl_action_run(const ctl_globals *g, const char *verb, const ctl_action *actions, size_t n,
    const char *usage, int argc, char **argv)
{
	bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
	char names[256];
	textbuf t;

	if (argc < 2 || help) {
		fputs(usage, help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	textbuf_init(&t, names, sizeof(names));
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[1], actions[i].name) == 0)
			return actions[i].run(g, argc - 1, argv + 1);
		textbuf_printf(&t, "%s%s", i ? ", " : "", actions[i].name);
	}
	return ctl_usage_error("%s: unknown action '%s' (%s)", verb, argv[1], names);
}
