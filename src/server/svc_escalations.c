/* svc_escalations.c - baton.v1.Escalations: the method table; the handlers live in escalations_*.c (see escalations.h). */
#include "server/escalations.h"
#include "server/services.h"

#define WORKERS (ROLE_AGENT | ROLE_MANAGER | ROLE_LEAD | ROLE_ADMIN)
/* Deciding is for in-house leads and admins: the handlers refuse partners. */
#define DECIDERS (ROLE_LEAD | ROLE_ADMIN)

static const rpc_method_impl methods[] = {
	{ "Escalate", escalations_escalate, RPC_MUTATION, WORKERS },
	{ "ListEscalations", escalations_list, RPC_TX, ROLES_ANY },
	{ "ShowEscalation", escalations_show, RPC_TX, ROLES_ANY },
	{ "ApproveEscalation", escalations_approve, RPC_MUTATION, DECIDERS },
	{ "RejectEscalation", escalations_reject, RPC_MUTATION, DECIDERS },
};

const rpc_service_impl svc_escalations = {
	&baton__v1__escalations__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
