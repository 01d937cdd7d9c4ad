/* SPDX-License-Identifier: ISC */
/*
 * cmd_key.c: `algaudit keygen` creates the signing key of a store's
 * checkpoints, `algaudit key` prints its verifier key.
 *
 * The signer key is its own file, DIR/signer.key, mode 0600, outside
 * the LMDB data file (note_signer_write: never replaces a file); its
 * name is the store's origin, the first line of every checkpoint. The
 * daemon creates the same file on its first start when it is missing,
 * so keygen is for an operator who wants the key before that (to hand
 * the verifier key out, or to keep it offline). Neither command writes
 * to the LMDB store.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "note.h"
#include "tools.h"

static const char cmd_key_gen_help[] =
"Creates the Ed25519 key that signs the store's checkpoints, as\n"
"DIR/signer.key (mode 0600; an existing file is never replaced), and\n"
"prints its verifier key (name+hash+base64), the text verifiers pass to\n"
"`algaudit verify --key` and `algaudit verify-receipt --key`. The key's\n"
"name is the store's origin. The daemon creates the key itself on its\n"
"first start if there is none.\n"
"\n"
"  --store DIR      an existing store\n"
"  --origin NAME    must equal the store's origin (a check, not a change)\n"
"\n"
"Exit status: 0 ok, 1 runtime failure (the key file exists, ...), 2\n"
"usage error.\n";

static const char cmd_key_help[] =
"Prints the verifier key of the store's signer key (DIR/signer.key), in\n"
"the signed-note format name+hash+base64(0x01 || public key).\n"
"\n"
"  --store DIR      the store\n"
"\n"
"Exit status: 0 ok, 1 runtime failure (no key file, ...), 2 usage error.\n";

/* Parses --store (and --origin for keygen); exits on usage errors. */
static void
cmd_key_opts(int argc, char **argv, const char *syn, const char *help,
    int with_origin, const char **dir, const char **origin)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "origin", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*dir = *origin = NULL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			*dir = optarg;
			break;
		case 'o':
			if (!with_origin)
				cli_usage(syn, "unknown option '--origin'");
			*origin = optarg;
			break;
		case 'h':
			cli_help(syn, help);
		default:
			cli_bad_option(syn, c, argv);
		}
	}
	if (optind < argc)
		cli_usage(syn, "unexpected argument '%s'", argv[optind]);
	if (*dir == NULL)
		cli_usage(syn, "--store: required");
}

/* algaudit keygen: writes DIR/signer.key, prints the verifier key. */
int
cmd_key_gen(int argc, char **argv)
{
	struct note_signer *s = NULL;
	struct store *st = NULL;
	struct store_info si;
	const char *dir, *origin;
	char path[4096], vkey[NOTE_VKEY_MAX];
	int rc, ex = TOOLS_EXIT_FAIL;

	cmd_key_opts(argc, argv, CMD_KEYGEN_USAGE, cmd_key_gen_help, 1, &dir,
	    &origin);
	if ((size_t)snprintf(path, sizeof(path), "%s/signer.key", dir) >=
	    sizeof(path))
		cli_usage(CMD_KEYGEN_USAGE, "--store: path too long");
	if (cli_store_open("keygen", dir, &st, NULL) == -1)
		return TOOLS_EXIT_FAIL;
	rc = store_info(st, &si);
	store_close(st);
	if (rc != 0) {
		cli_warnx("keygen", "%s: %s", dir, store_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	si.si_origin[sizeof(si.si_origin) - 1] = '\0';
	if (origin != NULL && strcmp(origin, si.si_origin) != 0)
		cli_usage(CMD_KEYGEN_USAGE, "--origin: '%s' is not the store's "
		    "origin '%s' (the key is named after the origin)", origin,
		    si.si_origin);
	if ((rc = note_signer_generate(si.si_origin, &s)) != 0) {
		cli_warnx("keygen", "%s: origin '%s' cannot name a key: %s",
		    dir, si.si_origin, note_strerror(rc));
		return TOOLS_EXIT_FAIL;
	}
	if ((rc = note_signer_write(s, path)) != 0) {
		if (rc == EEXIST)
			cli_warnx("keygen", "%s exists; refusing to replace a "
			    "signing key (`algaudit key` prints its verifier "
			    "key)", path);
		else
			cli_warnx("keygen", "%s: %s", path, note_strerror(rc));
		goto out;
	}
	if ((rc = note_signer_vkey(s, vkey, sizeof(vkey))) != 0) {
		cli_warnx("keygen", "%s", note_strerror(rc));
		goto out;
	}
	printf("%s\n", vkey);
	ex = fflush(stdout) == 0 ? TOOLS_EXIT_OK : TOOLS_EXIT_FAIL;
	fprintf(stderr, "algaudit keygen: wrote %s (mode 0600); keep it "
	    "secret and backed up\n", path);
out:
	note_signer_free(s);
	return ex;
}

/* algaudit key: prints the verifier key of DIR/signer.key. */
int
cmd_key(int argc, char **argv)
{
	const char *dir, *origin;
	char vkey[NOTE_VKEY_MAX];
	int rc;

	cmd_key_opts(argc, argv, CMD_KEY_USAGE, cmd_key_help, 0, &dir,
	    &origin);
	if ((rc = vlog_read_key(dir, "key", vkey, sizeof(vkey))) != 0) {
		if (rc == -ENOENT)
			cli_warnx("key", "%s/signer.key: no such file (the "
			    "daemon creates it on its first start; `algaudit "
			    "keygen` before that)", dir);
		return TOOLS_EXIT_FAIL;
	}
	printf("%s\n", vkey);
	return fflush(stdout) == 0 ? TOOLS_EXIT_OK : TOOLS_EXIT_FAIL;
}
