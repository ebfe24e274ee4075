/* services.h - the services batond serves; each file exports just its registration. */
#ifndef BATON_SERVER_SERVICES_H
#define BATON_SERVER_SERVICES_H

#include "server/rpc.h"

extern const rpc_service_impl svc_health;
extern const rpc_service_impl svc_system;
extern const rpc_service_impl svc_session;
extern const rpc_service_impl svc_identity;
extern const rpc_service_impl svc_shifts;
extern const rpc_service_impl svc_oncall;
extern const rpc_service_impl svc_tickets;
extern const rpc_service_impl svc_events;
extern const rpc_service_impl svc_sla;
extern const rpc_service_impl svc_escalations;
extern const rpc_service_impl svc_audit;
extern const rpc_service_impl svc_reports;

/* All of them, for rpc_table_build(). */
#define BATON_SERVICES { &svc_health, &svc_system, &svc_session, &svc_identity, &svc_shifts, &svc_oncall, &svc_tickets, \
	&svc_events, &svc_sla, &svc_escalations, &svc_audit, &svc_reports }

#endif
