/* SPDX-License-Identifier: ISC */
/*
 * cmd_prove.c: `algaudit prove` prints an inclusion proof of one entry,
 * or a consistency proof between two checkpoints, as one JSON object
 * with the signed checkpoints it is relative to (receipt.c has the
 * forms). Proofs are read from the stored tiles in O(log n) reads, in
 * one read-only view of the store, and checked against the checkpoint's
 * root before they are printed: a proof that does not hold is an error
 * (exit 3), never output.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"
#include "note.h"
#include "tools.h"

static const char cmd_prove_help[] =
"Prints a proof as one JSON object, relative to signed checkpoints:\n"
"\n"
"  --index I          inclusion of entry I: {\"index\", \"tree_size\",\n"
"                     \"leaf_hash\", \"proof\", \"checkpoint\"}\n"
"  --consistency OLD  the tree at checkpoint OLD is a prefix of the one\n"
"                     at --size: {\"old_size\", \"tree_size\", \"proof\",\n"
"                     \"old_checkpoint\", \"checkpoint\"}\n"
"  --size N           a checkpointed tree size (default: the latest)\n"
"  --store DIR        the store directory\n"
"\n"
"Hashes are lower-case hex, the proof in RFC 6962 / RFC 9162 order\n"
"(nearest the leaves first), checkpoints the signed notes as stored.\n"
"`algaudit verify-receipt FILE --key VERIFIERKEY` checks the output.\n"
"\n"
"Exit status: 0 ok, 1 runtime failure (no such checkpoint, index out\n"
"of range, ...), 2 usage error, 3 the stored tree does not match the\n"
"checkpoint (run `algaudit verify`).\n";

/* Options of prove. */
struct cmd_prove_opts {
	const char	*po_dir;
	uint64_t	 po_index;
	uint64_t	 po_old;
	uint64_t	 po_size;
	int		 po_has_index;
	int		 po_has_old;
	int		 po_has_size;
};

/* Prints o as JSON on stdout; returns the exit status. */
static int
cmd_prove_print(json_t *o)
{
	if (o == NULL) {
		cli_warnx("prove", "out of memory, or a checkpoint is not "
		    "UTF-8");
		return TOOLS_EXIT_FAIL;
	}
	if (json_dumpf(o, stdout, JSON_INDENT(2)) == -1 ||
	    fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
		cli_warnx("prove", "write error");
		return TOOLS_EXIT_FAIL;
	}
	return TOOLS_EXIT_OK;
}

/* Prints the inclusion proof of po_index in the view. */
static int
cmd_prove_inclusion(struct store_view *v, const struct cmd_prove_opts *o)
{
	uint8_t leaf[MERKLE_HASH_LEN], proof[MERKLE_PROOF_MAX *
	    MERKLE_HASH_LEN];
	const struct merkle_io *io;
	struct note_checkpoint cp;
	const char *note;
	uint64_t size;
	size_t len, n;
	json_t *j;
	int rc, ex;

	if ((ex = vlog_checkpoint_at(v, "prove", o->po_size, o->po_has_size,
	    &note, &len, &size)) != 0 ||
	    (ex = vlog_checkpoint_body("prove", note, len, &cp)) != 0)
		return ex;
	if (o->po_index >= size) {
		cli_warnx("prove", "--index %" PRIu64 ": not in the tree of "
		    "size %" PRIu64 " of the checkpoint%s", o->po_index, size,
		    o->po_has_size ? "" : " (the latest; the entry may be "
		    "newer than it)");
		return TOOLS_EXIT_FAIL;
	}
	io = store_view_tree(v);
	if ((rc = merkle_leaf(io, o->po_index, leaf)) != 0 ||
	    (rc = merkle_prove_inclusion(io, o->po_index, size, proof,
	    &n)) != 0) {
		cli_warnx("prove", "entry %" PRIu64 " in the tree of size "
		    "%" PRIu64 ": %s", o->po_index, size, vlog_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	if (cp.nc_size != size ||
	    merkle_verify_inclusion(leaf, o->po_index, size, proof, n,
	    cp.nc_root) != 0) {
		cli_warnx("prove", "the stored tree does not lead to the root "
		    "of the checkpoint at size %" PRIu64 "; run `algaudit "
		    "verify`", size);
		return TOOLS_EXIT_VERIFY;
	}
	j = receipt_inclusion_json(o->po_index, size, leaf, proof, n, note,
	    len);
	ex = cmd_prove_print(j);
	json_decref(j);
	return ex;
}

/* Prints the consistency proof from po_old to po_size in the view. */
static int
cmd_prove_consistency(struct store_view *v, const struct cmd_prove_opts *o)
{
	uint8_t proof[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	struct note_checkpoint ocp, cp;
	const char *onote, *note;
	uint64_t osize, size;
	size_t olen, len, n;
	json_t *j;
	int rc, ex;

	if ((ex = vlog_checkpoint_at(v, "prove", o->po_size, o->po_has_size,
	    &note, &len, &size)) != 0 ||
	    (ex = vlog_checkpoint_body("prove", note, len, &cp)) != 0)
		return ex;
	if (o->po_old > size) {
		cli_warnx("prove", "--consistency %" PRIu64 " is above the "
		    "tree size %" PRIu64 " of the latest checkpoint", o->po_old,
		    size);
		return TOOLS_EXIT_FAIL;
	}
	if ((ex = vlog_checkpoint_at(v, "prove", o->po_old, 1, &onote, &olen,
	    &osize)) != 0 ||
	    (ex = vlog_checkpoint_body("prove", onote, olen, &ocp)) != 0)
		return ex;
	if ((rc = merkle_prove_consistency(store_view_tree(v), osize, size,
	    proof, &n)) != 0) {
		cli_warnx("prove", "consistency of sizes %" PRIu64 " and "
		    "%" PRIu64 ": %s", osize, size, vlog_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	if (ocp.nc_size != osize || cp.nc_size != size ||
	    merkle_verify_consistency(osize, size, ocp.nc_root, cp.nc_root,
	    proof, n) != 0) {
		cli_warnx("prove", "the stored tree does not lead from the "
		    "checkpoint at size %" PRIu64 " to the one at %" PRIu64
		    "; run `algaudit verify`", osize, size);
		return TOOLS_EXIT_VERIFY;
	}
	j = receipt_consistency_json(osize, size, proof, n, onote, olen, note,
	    len);
	ex = cmd_prove_print(j);
	json_decref(j);
	return ex;
}

/* algaudit prove: parses the options, opens a view, prints a proof. */
int
cmd_prove(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "index", required_argument, NULL, 'i' },
		{ "consistency", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_prove_opts o;
	struct store_view *v = NULL;
	struct store *st = NULL;
	int c, ex;

	memset(&o, 0, sizeof(o));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.po_dir = optarg;
			break;
		case 'i':
			o.po_index = cli_number(CMD_PROVE_USAGE, "--index",
			    optarg, 0, INT64_MAX - 1);
			o.po_has_index = 1;
			break;
		case 'c':
			o.po_old = cli_number(CMD_PROVE_USAGE, "--consistency",
			    optarg, 1, INT64_MAX);
			o.po_has_old = 1;
			break;
		case 'n':
			o.po_size = cli_number(CMD_PROVE_USAGE, "--size",
			    optarg, 1, INT64_MAX);
			o.po_has_size = 1;
			break;
		case 'h':
			cli_help(CMD_PROVE_USAGE, cmd_prove_help);
		default:
			cli_bad_option(CMD_PROVE_USAGE, c, argv);
		}
	}
	if (optind < argc)
		cli_usage(CMD_PROVE_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	if (o.po_dir == NULL)
		cli_usage(CMD_PROVE_USAGE, "--store: required");
	if (o.po_has_index == o.po_has_old)
		cli_usage(CMD_PROVE_USAGE, "give either --index or "
		    "--consistency");
	if (o.po_has_old && o.po_has_size && o.po_old > o.po_size)
		cli_usage(CMD_PROVE_USAGE, "--consistency %" PRIu64 " is above "
		    "--size %" PRIu64, o.po_old, o.po_size);
	if (cli_store_open("prove", o.po_dir, &st, &v) == -1)
		return TOOLS_EXIT_FAIL;
	if (o.po_has_index)
		ex = cmd_prove_inclusion(v, &o);
	else
		ex = cmd_prove_consistency(v, &o);
	store_view_end(v);
	store_close(st);
	return ex;
}
