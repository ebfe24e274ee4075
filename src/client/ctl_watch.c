/* ctl_watch.c - STUB: batonctl watch, being written (issue 5). */
#include <stdio.h>

#include "client/ctl.h"

int ctl_watch(const ctl_globals *g, int argc, char **argv)
{
	(void)g;
	(void)argc;
	(void)argv;
	fprintf(stderr, "batonctl: watch: not yet\n");
	return EXIT_USAGE;
}
