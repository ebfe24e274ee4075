/* svc_sla.c - baton.v1.Sla: the method table; the handlers live in sla_contract.c and sla_ticket.c (see sla.h). */
#include "server/services.h"
#include "server/sla.h"

static const rpc_method_impl methods[] = {
	/* In-house admins only: the handler refuses a partner's admin. */
	{ "SetSlaContract", sla_contract_set, RPC_MUTATION, ROLE_ADMIN },
	{ "ShowSlaContract", sla_contract_show, RPC_TX, ROLES_ANY },
	{ "SlaDeadline", sla_deadline, RPC_TX, ROLES_ANY },
	/* A transaction even with recompute: the replay rewrites the clocks in
	 * a subtransaction it rolls back. */
	{ "TicketSla", sla_ticket, RPC_TX, ROLES_ANY },
};

const rpc_service_impl svc_sla = {
	&baton__v1__sla__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
