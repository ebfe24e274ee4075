/* ctl_swap.c - batonctl swap: offer a held seat, take, approve, reject, withdraw, undo, list. */
#include <stdio.h>
#include <string.h>

#include "baton/v1/shifts.pb-c.h"
#include "client/ctl.h"
#include "common/textbuf.h"

static const char usage_swap[] =
    "Usage: batonctl swap offer CLAIM|SLOT [--to HANDLE] [--note TEXT]\n"
    "       batonctl swap take SWAP [--for HANDLE]\n"
    "       batonctl swap approve SWAP [--note TEXT]\n"
    "       batonctl swap reject SWAP --note TEXT\n"
    "       batonctl swap withdraw SWAP [--note TEXT]\n"
    "       batonctl swap undo SWAP [--note TEXT]\n"
    "       batonctl swap list [--state STATE|all] [--slot SLOT] [--limit N]\n"
    "  offer     (the holder or their manager, before the start) offers a seat: CLAIM, or\n"
    "            SLOT for your seat on it; --to: only this person may take it.\n"
    "  take      takes an offered seat for yourself; a manager --for a person of their\n"
    "            organization. Done at once unless the slot wants a manager's or a lead's\n"
    "            approval; then it waits for approve or reject.\n"
    "  approve   (the holder's manager or a lead, as the slot says; leads and admins always)\n"
    "            gives the seat to the taker.\n"
    "  reject    the same people refuse the taker, saying why; the offer stays open.\n"
    "  withdraw  (the holder or their manager) takes back an offer that is not done.\n"
    "  undo      (the holder, the taker, their managers, a lead or admin) before the start:\n"
    "            the seat goes back to the holder.\n"
    "  list      open swaps (offered, awaiting_approval) you may see; --state offered,\n"
    "            awaiting_approval, done, withdrawn, undone or all; --limit 1..1000.\n";

#define N_ITEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A swap and the seat it gave (NULL: none, e.g. still awaiting approval).
 * JSON: {"swap":{...},"claim":{...}|null}.
 */
static void print_swap_and_claim(const ctl_globals *g, Baton__V1__Swap *w, Baton__V1__Claim *c)
{
	textbuf t;

	if (g->json) {
		ctl_out_begin(&t);
		textbuf_puts(&t, "{\"swap\":");
		if (w != NULL)
			ctl_json_swap(&t, w);
		else
			textbuf_puts(&t, "null");
		textbuf_puts(&t, ",\"claim\":");
		if (c != NULL)
			ctl_json_claim(&t, c);
		else
			textbuf_puts(&t, "null");
		textbuf_putc(&t, '}');
		ctl_out_end(&t);
		return;
	}
	ctl_print_swaps(g, &w, w != NULL);
	if (c != NULL) {
		printf("Seat:\n");
		ctl_print_claims(g, &c, 1);
	} else if (w != NULL && strcmp(w->state, "awaiting_approval") == 0) {
		printf("waiting for approval by %s\n", strcmp(w->approval, "lead") == 0 ? "a lead"
		    : "the holder's manager (or a lead)");
	}
}

static int swap_offer(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__OfferSwapRequest req = BATON__V1__OFFER_SWAP_REQUEST__INIT;
	Baton__V1__OfferSwapReply *rep;
	const char *claim, *to = "", *note = "";
	const ctl_flag flags[] = { { "to", &to, NULL }, { "note", &note, NULL } };
	int rc;

	if ((rc = ctl_flags_parse("swap offer", argc, argv, flags, N_ITEMS(flags), usage_swap, "CLAIM or SLOT",
	         &claim)) != 0)
		return rc < 0 ? 0 : rc;
	req.claim = (char *)claim;
	req.to = (char *)to;
	req.note = (char *)note;
	if ((rc = ctl_connect_call(g, "swap offer", "/baton.v1.Shifts/OfferSwap", &req.base, true,
	         &baton__v1__offer_swap_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_swaps(g, &rep->swap, rep->swap != NULL);
	baton__v1__offer_swap_reply__free_unpacked(rep, NULL);
	return 0;
}

static int swap_take(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__TakeSwapRequest req = BATON__V1__TAKE_SWAP_REQUEST__INIT;
	Baton__V1__TakeSwapReply *rep;
	const char *swap, *who = "";
	const ctl_flag flags[] = { { "for", &who, NULL } };
	int rc;

	if ((rc = ctl_flags_parse("swap take", argc, argv, flags, N_ITEMS(flags), usage_swap, "SWAP", &swap)) != 0)
		return rc < 0 ? 0 : rc;
	req.swap = (char *)swap;
	req.for_principal = (char *)who;
	if ((rc = ctl_connect_call(g, "swap take", "/baton.v1.Shifts/TakeSwap", &req.base, true,
	         &baton__v1__take_swap_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	print_swap_and_claim(g, rep->swap, rep->claim);
	baton__v1__take_swap_reply__free_unpacked(rep, NULL);
	return 0;
}

/* approve and reject: one call, DecideSwap; a rejection must say why. */
static int swap_decide(const ctl_globals *g, int argc, char **argv, bool reject)
{
	Baton__V1__DecideSwapRequest req = BATON__V1__DECIDE_SWAP_REQUEST__INIT;
	Baton__V1__DecideSwapReply *rep;
	const char *verb = reject ? "swap reject" : "swap approve";
	const char *swap, *note = "";
	const ctl_flag flags[] = { { "note", &note, NULL } };
	int rc;

	if ((rc = ctl_flags_parse(verb, argc, argv, flags, N_ITEMS(flags), usage_swap, "SWAP", &swap)) != 0)
		return rc < 0 ? 0 : rc;
	if (reject && note[0] == '\0')
		return ctl_usage_error("swap reject: --note TEXT is required (say why)");
	req.swap = (char *)swap;
	req.reject = reject;
	req.note = (char *)note;
	if ((rc = ctl_connect_call(g, verb, "/baton.v1.Shifts/DecideSwap", &req.base, true,
	         &baton__v1__decide_swap_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	print_swap_and_claim(g, rep->swap, rep->claim);
	baton__v1__decide_swap_reply__free_unpacked(rep, NULL);
	return 0;
}

static int swap_approve(const ctl_globals *g, int argc, char **argv)
{
	return swap_decide(g, argc, argv, false);
}

static int swap_reject(const ctl_globals *g, int argc, char **argv)
{
	return swap_decide(g, argc, argv, true);
}

static int swap_withdraw(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__WithdrawSwapRequest req = BATON__V1__WITHDRAW_SWAP_REQUEST__INIT;
	Baton__V1__WithdrawSwapReply *rep;
	const char *swap, *note = "";
	const ctl_flag flags[] = { { "note", &note, NULL } };
	int rc;

	if ((rc = ctl_flags_parse("swap withdraw", argc, argv, flags, N_ITEMS(flags), usage_swap, "SWAP", &swap)) != 0)
		return rc < 0 ? 0 : rc;
	req.swap = (char *)swap;
	req.note = (char *)note;
	if ((rc = ctl_connect_call(g, "swap withdraw", "/baton.v1.Shifts/WithdrawSwap", &req.base, true,
	         &baton__v1__withdraw_swap_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_swaps(g, &rep->swap, rep->swap != NULL);
	baton__v1__withdraw_swap_reply__free_unpacked(rep, NULL);
	return 0;
}

static int swap_undo(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__UndoSwapRequest req = BATON__V1__UNDO_SWAP_REQUEST__INIT;
	Baton__V1__UndoSwapReply *rep;
	const char *swap, *note = "";
	const ctl_flag flags[] = { { "note", &note, NULL } };
	int rc;

	if ((rc = ctl_flags_parse("swap undo", argc, argv, flags, N_ITEMS(flags), usage_swap, "SWAP", &swap)) != 0)
		return rc < 0 ? 0 : rc;
	req.swap = (char *)swap;
	req.note = (char *)note;
	if ((rc = ctl_connect_call(g, "swap undo", "/baton.v1.Shifts/UndoSwap", &req.base, true,
	         &baton__v1__undo_swap_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	print_swap_and_claim(g, rep->swap, rep->claim);
	baton__v1__undo_swap_reply__free_unpacked(rep, NULL);
	return 0;
}

static int swap_list(const ctl_globals *g, int argc, char **argv)
{
	static const char *const states[] = { "offered", "awaiting_approval", "done", "withdrawn", "undone", "all" };
	Baton__V1__ListSwapsRequest req = BATON__V1__LIST_SWAPS_REQUEST__INIT;
	Baton__V1__ListSwapsReply *rep;
	const char *state = "", *slot = "", *limit = NULL;
	const ctl_flag flags[] = { { "state", &state, NULL }, { "slot", &slot, NULL }, { "limit", &limit, NULL } };
	size_t i = 0;
	int rc;

	if ((rc = ctl_flags_parse("swap list", argc, argv, flags, N_ITEMS(flags), usage_swap, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	while (state[0] != '\0' && i < N_ITEMS(states) && strcmp(state, states[i]) != 0)
		i++;
	if (i == N_ITEMS(states))
		return ctl_usage_error("swap list: --state must be offered, awaiting_approval, done, withdrawn, "
		    "undone or all, not '%s'", state);
	if (limit && (rc = ctl_flag_int("swap list", "limit", limit, 1, 1000, &req.limit)) != 0)
		return rc;
	req.state = (char *)state;
	req.slot = (char *)slot;
	if ((rc = ctl_connect_call(g, "swap list", "/baton.v1.Shifts/ListSwaps", &req.base, false,
	         &baton__v1__list_swaps_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_swaps(g, rep->swaps, rep->n_swaps);
	baton__v1__list_swaps_reply__free_unpacked(rep, NULL);
	return 0;
}

int ctl_swap(const ctl_globals *g, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(const ctl_globals *, int, char **);
	} actions[] = {
		{ "offer", swap_offer }, { "take", swap_take }, { "approve", swap_approve },
		{ "reject", swap_reject }, { "withdraw", swap_withdraw }, { "undo", swap_undo },
		{ "list", swap_list },
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_swap, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < N_ITEMS(actions); i++)
		if (strcmp(argv[1], actions[i].name) == 0)
			return actions[i].run(g, argc - 1, argv + 1);
	return ctl_usage_error("swap: unknown action '%s' (offer, take, approve, reject, withdraw, undo, list)",
	    argv[1]);
}
