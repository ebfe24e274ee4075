/* ctl_ticket.c - STUB: batonctl ticket, being written (issue 5). */
#include <stdio.h>

#include "client/ctl.h"

int ctl_ticket(const ctl_globals *g, int argc, char **argv)
{
	(void)g;
	(void)argc;
	(void)argv;
	fprintf(stderr, "batonctl: ticket: not yet\n");
	return EXIT_USAGE;
}
