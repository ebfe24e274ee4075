/* svc_tickets.c - baton.v1.Tickets: the method table; the handlers live in tickets_*.c (see tickets.h). */
#include "server/services.h"
#include "server/tickets.h"

#define WORKERS (ROLE_AGENT | ROLE_MANAGER | ROLE_LEAD | ROLE_ADMIN)
#define INTAKE  (ROLE_INTEGRATION | ROLE_LEAD | ROLE_ADMIN)

static const rpc_method_impl methods[] = {
	{ "CreateTicket", tickets_create, RPC_MUTATION, INTAKE },
	{ "AddCustomerReply", tickets_customer_reply, RPC_MUTATION, INTAKE },
	{ "TakeTicket", tickets_take, RPC_MUTATION, WORKERS },
	{ "PassTicket", tickets_pass, RPC_MUTATION, WORKERS },
	{ "ReplyTicket", tickets_reply, RPC_MUTATION, WORKERS },
	{ "NoteTicket", tickets_note, RPC_MUTATION, WORKERS },
	{ "PendTicket", tickets_pend, RPC_MUTATION, WORKERS },
	{ "ResolveTicket", tickets_resolve, RPC_MUTATION, WORKERS },
	{ "ReopenTicket", tickets_reopen, RPC_MUTATION, ROLES_ANY },
	{ "ListTickets", tickets_list, RPC_TX, ROLES_ANY },
	{ "ShowTicket", tickets_show, RPC_TX, ROLES_ANY },
	{ "SetTicketPolicy", tickets_policy_set, RPC_MUTATION, ROLE_LEAD | ROLE_ADMIN },
	{ "ListTicketPolicies", tickets_policy_list, RPC_TX, ROLES_ANY },
};

const rpc_service_impl svc_tickets = {
	&baton__v1__tickets__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
