/* SPDX-License-Identifier: ISC */
/*
 * cmd_receipt.c: `algaudit receipt` writes the self-contained receipt of
 * one decision; `algaudit verify-receipt` checks a receipt (or a proof
 * printed by `algaudit prove`) offline, with the log's verifier key and
 * nothing else.
 *
 * A receipt discloses every unit of its one entry with the unit's salt
 * (derived from that entry's secret: never the store's master secret,
 * never another entry's salts), the entry as stored and as JSON, and a
 * C2SP tlog-proof: the inclusion proof and the signed checkpoint.
 * receipt.c builds and checks the JSON; docs/VERIFIABLE.md, "Receipts",
 * describes it for third-party verifiers.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leaf.h"
#include "merkle.h"
#include "note.h"
#include "tools.h"

static const char cmd_receipt_help[] =
"Writes the receipt of entry I as one JSON object: the entry's units\n"
"with their values and salts (that entry's only), the entry as stored\n"
"(entry_protobuf) and as JSON (entry), its leaf hash, and a C2SP\n"
"tlog-proof (the inclusion proof and the signed checkpoint). Anyone\n"
"with the verifier key checks it offline with `algaudit verify-receipt`.\n"
"\n"
"  --store DIR    the store directory\n"
"  --index I      the entry\n"
"  --size N       prove against the checkpoint at tree size N (default:\n"
"                 the latest)\n"
"\n"
"Exit status: 0 ok, 1 runtime failure (no checkpoint covers the entry\n"
"yet, ...), 2 usage error, 3 the stored entry does not match the tree.\n";

static const char cmd_receipt_verify_help[] =
"Checks, offline, a receipt from `algaudit receipt` or a proof from\n"
"`algaudit prove` (FILE, or - for standard input) with the log's\n"
"verifier key (`algaudit key` prints it): the checkpoint's signature,\n"
"the leaf hash recomputed from the disclosed units, the inclusion (or\n"
"consistency) proof against the signed root, and that the entry as\n"
"stored and as JSON are what the units disclose.\n"
"\n"
"  --key VERIFIERKEY   name+hash+base64, as `algaudit key` prints it\n"
"\n"
"Exit status: 0 verified, 1 runtime failure (cannot read FILE), 2 usage\n"
"error (bad key text), 3 verification failed (the reason is printed).\n";

/* Writes the receipt of entry index from the view to stdout. */
static int
cmd_receipt_run(struct store *st, struct store_view *v, uint64_t index,
    uint64_t want, int has_size)
{
	uint8_t leaf[MERKLE_HASH_LEN], stored[MERKLE_HASH_LEN];
	uint8_t proof[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	struct receipt_unit *units = NULL;
	const struct leaf_unit *u;
	const struct leaf_key *key;
	struct leaf_ctx *ctx = NULL;
	Algaudit__V1__Entry *e = NULL;
	struct note_checkpoint cp;
	const char *note;
	const void *data;
	char *tp = NULL, jerr[JSON_RECORD_ERRLEN];
	json_t *entry, *o = NULL;
	uint64_t size;
	size_t len, dlen, np, n, i;
	int rc, ex;

	if ((ex = vlog_checkpoint_at(v, "receipt", want, has_size, &note, &len,
	    &size)) != 0 ||
	    (ex = vlog_checkpoint_body("receipt", note, len, &cp)) != 0)
		return ex;
	ex = TOOLS_EXIT_FAIL;
	if (index >= size) {
		cli_warnx("receipt", "--index %" PRIu64 ": not in the tree of "
		    "size %" PRIu64 " of the %s checkpoint", index, size,
		    has_size ? "given" : "latest");
		return ex;
	}
	if ((key = store_leaf_key(st)) == NULL) {
		cli_warnx("receipt", "%s: the store has no leaf secret",
		    store_path(st));
		return ex;
	}
	if ((rc = store_view_entry(v, index, &data, &dlen)) != 0) {
		cli_warnx("receipt", "entry %" PRIu64 ": %s", index,
		    store_strerror(rc));
		return rc == STORE_ENOTFOUND ? TOOLS_EXIT_VERIFY : ex;
	}
	if ((e = algaudit__v1__entry__unpack(NULL, dlen, data)) == NULL) {
		cli_warnx("receipt", "entry %" PRIu64 ": does not decode as an "
		    "Entry", index);
		return TOOLS_EXIT_VERIFY;
	}
	if ((rc = leaf_ctx_new(&ctx)) != 0) {
		cli_warnx("receipt", "%s", strerror(rc));
		goto out;
	}
	if ((rc = leaf_compute(ctx, key, e, leaf)) != 0) {
		cli_warnx("receipt", "entry %" PRIu64 ": %s: %s", index,
		    leaf_strerror(rc), leaf_ctx_errmsg(ctx));
		ex = TOOLS_EXIT_VERIFY;
		goto out;
	}
	if ((rc = merkle_leaf(store_view_tree(v), index, stored)) != 0 ||
	    (rc = merkle_prove_inclusion(store_view_tree(v), index, size,
	    proof, &np)) != 0) {
		cli_warnx("receipt", "entry %" PRIu64 " in the tree of size "
		    "%" PRIu64 ": %s", index, size, vlog_strerror(rc));
		goto out;
	}
	if (memcmp(leaf, stored, MERKLE_HASH_LEN) != 0 ||
	    merkle_verify_inclusion(leaf, index, size, proof, np,
	    cp.nc_root) != 0) {
		cli_warnx("receipt", "entry %" PRIu64 " does not match the "
		    "tree of the checkpoint at size %" PRIu64 "; run `algaudit "
		    "verify`", index, size);
		ex = TOOLS_EXIT_VERIFY;
		goto out;
	}
	n = leaf_ctx_units(ctx);
	if ((units = calloc(n + 1, sizeof(*units))) == NULL) {
		cli_warnx("receipt", "%s", strerror(ENOMEM));
		goto out;
	}
	for (i = 0; i < n; i++) {
		u = leaf_ctx_unit(ctx, i);
		units[i].ru_path = u->lu_path;
		units[i].ru_value = u->lu_value;
		units[i].ru_valuelen = u->lu_valuelen;
		units[i].ru_salt = u->lu_salt;
	}
	if ((entry = json_record_from_entry(e, jerr, sizeof(jerr))) == NULL) {
		cli_warnx("receipt", "entry %" PRIu64 ": %s", index, jerr);
		goto out;
	}
	if ((tp = receipt_tlog_proof(index, proof, np, note, len)) == NULL) {
		json_decref(entry);
		cli_warnx("receipt", "%s", strerror(ENOMEM));
		goto out;
	}
	if ((o = receipt_json(index, leaf, units, n, entry, data, dlen,
	    tp)) == NULL) {
		cli_warnx("receipt", "%s", strerror(ENOMEM));
		goto out;
	}
	if (json_dumpf(o, stdout, JSON_INDENT(2) |
	    JSON_REAL_PRECISION(json_record_precision(e->record))) == -1 ||
	    fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
		cli_warnx("receipt", "write error");
		goto out;
	}
	ex = TOOLS_EXIT_OK;
out:
	json_decref(o);
	free(tp);
	free(units);
	leaf_ctx_free(ctx);
	algaudit__v1__entry__free_unpacked(e, NULL);
	return ex;
}

/* algaudit receipt: parses the options, opens a view, writes it. */
int
cmd_receipt(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "index", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_view *v = NULL;
	struct store *st = NULL;
	const char *dir = NULL;
	uint64_t index = 0, size = 0;
	int c, ex, has_index = 0, has_size = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			dir = optarg;
			break;
		case 'i':
			index = cli_number(CMD_RECEIPT_USAGE, "--index", optarg,
			    0, INT64_MAX - 1);
			has_index = 1;
			break;
		case 'n':
			size = cli_number(CMD_RECEIPT_USAGE, "--size", optarg,
			    1, INT64_MAX);
			has_size = 1;
			break;
		case 'h':
			cli_help(CMD_RECEIPT_USAGE, cmd_receipt_help);
		default:
			cli_bad_option(CMD_RECEIPT_USAGE, c, argv);
		}
	}
	if (optind < argc)
		cli_usage(CMD_RECEIPT_USAGE, "unexpected argument '%s'",
		    argv[optind]);
	if (dir == NULL)
		cli_usage(CMD_RECEIPT_USAGE, "--store: required");
	if (!has_index)
		cli_usage(CMD_RECEIPT_USAGE, "--index: required");
	if (cli_store_open("receipt", dir, &st, &v) == -1)
		return TOOLS_EXIT_FAIL;
	ex = cmd_receipt_run(st, v, index, size, has_size);
	store_view_end(v);
	store_close(st);
	return ex;
}

/* algaudit verify-receipt: checks FILE with --key, offline. */
int
cmd_receipt_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct note_verifier *nv = NULL;
	struct receipt_result r;
	json_error_t jerr;
	const char *file = NULL, *key = NULL;
	char err[1024], leaf[2 * MERKLE_HASH_LEN + 1];
	json_t *o;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 'h':
			cli_help(CMD_VERIFY_RECEIPT_USAGE,
			    cmd_receipt_verify_help);
		default:
			cli_bad_option(CMD_VERIFY_RECEIPT_USAGE, c, argv);
		}
	}
	if (optind + 1 != argc)
		cli_usage(CMD_VERIFY_RECEIPT_USAGE, "give one FILE");
	file = argv[optind];
	if (key == NULL)
		cli_usage(CMD_VERIFY_RECEIPT_USAGE, "--key: required (the "
		    "log's verifier key; `algaudit key` prints it)");
	err[0] = '\0';
	if ((rc = note_verifier_new(key, &nv, err, sizeof(err))) != 0)
		cli_usage(CMD_VERIFY_RECEIPT_USAGE, "--key: %s%s%s",
		    note_strerror(rc), err[0] != '\0' ? ": " : "", err);
	if (strcmp(file, "-") == 0)
		o = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	else
		o = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL) {
		note_verifier_free(nv);
		if (json_error_code(&jerr) == json_error_cannot_open_file) {
			cli_warnx("verify-receipt", "%s: %s", file, jerr.text);
			return TOOLS_EXIT_FAIL;
		}
		cli_warnx("verify-receipt", "%s: line %d: not JSON: %s", file,
		    jerr.line, jerr.text);
		return TOOLS_EXIT_VERIFY;
	}
	rc = receipt_check(nv, o, &r, err, sizeof(err));
	json_decref(o);
	note_verifier_free(nv);
	if (rc == ENOMEM) {
		cli_warnx("verify-receipt", "%s", strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	if (rc != 0) {
		cli_warnx("verify-receipt", "%s: FAILED: %s", file, err);
		return TOOLS_EXIT_VERIFY;
	}
	receipt_hex(r.rr_leaf, MERKLE_HASH_LEN, leaf);
	switch (r.rr_kind) {
	case RECEIPT_KIND_RECEIPT:
		printf("%s: OK: entry %" PRIu64 " (%zu units, leaf %s) is in "
		    "the log %s of size %" PRIu64 ", checkpoint signed by "
		    "%s\n", file, r.rr_index, r.rr_units, leaf, r.rr_origin,
		    r.rr_size, key);
		break;
	case RECEIPT_KIND_INCLUSION:
		printf("%s: OK: leaf %s is entry %" PRIu64 " of the log %s of "
		    "size %" PRIu64 ", checkpoint signed by %s\n", file, leaf,
		    r.rr_index, r.rr_origin, r.rr_size, key);
		break;
	default:
		printf("%s: OK: the log %s of size %" PRIu64 " extends its "
		    "tree of size %" PRIu64 ", checkpoints signed by %s\n",
		    file, r.rr_origin, r.rr_size, r.rr_old_size, key);
		break;
	}
	return fflush(stdout) == 0 ? TOOLS_EXIT_OK : TOOLS_EXIT_FAIL;
}
