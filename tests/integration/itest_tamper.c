/* SPDX-License-Identifier: ISC */
/*
 * itest_tamper.c: forges bad stores and checkpoints for the tamper
 * tests (tests/integration/t_tamper.sh), as an operator with write
 * access to the store directory could. Like tests/unit/check_store.c it
 * includes <lmdb.h> directly, because its whole purpose is to go around
 * the store's rules; nothing outside tests may do that. The daemon must
 * not be running on the store it edits.
 *
 *   itest_tamper DIR get DB KEY FILE    value of KEY in DB -> FILE
 *   itest_tamper DIR put DB KEY FILE    FILE -> value of KEY in DB
 *   itest_tamper DIR del DB KEY         delete KEY from DB
 *   itest_tamper keygen NAME FILE       a new signer key named NAME
 *   itest_tamper sign KEYFILE SIZE ROOT a checkpoint (origin = the key's
 *                                       name, ROOT base64) on stdout
 *
 * KEY is u64:N (8 bytes, big-endian, as entries and checkpoints are
 * keyed), tile:L:N (u8 level, u64 index: the tiles) or str:TEXT
 * (producers). Exit 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>
#include <openssl/evp.h>

#include "note.h"

#define TAMPER_MAX	(64 << 20)	/* largest value file */

/* Prints the usage and exits 2. */
static void
tamper_usage(void)
{
	fprintf(stderr, "usage: itest_tamper DIR get|put DB KEY FILE\n"
	    "       itest_tamper DIR del DB KEY\n"
	    "       itest_tamper keygen NAME FILE\n"
	    "       itest_tamper sign KEYFILE SIZE ROOT_BASE64\n"
	    "KEY: u64:N, tile:L:N or str:TEXT\n");
	exit(2);
}

/* Parses KEY into buf (room for 512 bytes); exits 2 if malformed. */
static size_t
tamper_key(const char *arg, unsigned char *buf)
{
	unsigned long long v, level = 0;
	const char *p = arg + 4;
	char *end;
	size_t len, off = 0;
	int i;

	if (strncmp(arg, "tile:", 5) == 0) {
		errno = 0;
		level = strtoull(arg + 5, &end, 10);
		if (*end != ':' || level > 255 || errno != 0)
			tamper_usage();
		buf[0] = (unsigned char)level;
		off = 1;
		p = end + 1;
	} else if (strncmp(arg, "u64:", 4) != 0)
		p = NULL;
	if (p != NULL) {
		errno = 0;
		v = strtoull(p, &end, 10);
		if (*p == '\0' || *end != '\0' || errno != 0)
			tamper_usage();
		for (i = 7; i >= 0; i--) {
			buf[off + (size_t)i] = (unsigned char)v;
			v >>= 8;
		}
		return off + 8;
	}
	if (strncmp(arg, "str:", 4) == 0 && (len = strlen(arg + 4)) > 0 &&
	    len <= 511) {
		memcpy(buf, arg + 4, len);
		return len;
	}
	tamper_usage();
	return 0;
}

/* Reads a whole file into *buf (free()); returns its length or -1. */
static long
tamper_read(const char *path, unsigned char **buf)
{
	FILE *fp;
	long n;

	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	if ((*buf = malloc(TAMPER_MAX)) == NULL) {
		fclose(fp);
		return -1;
	}
	n = (long)fread(*buf, 1, TAMPER_MAX, fp);
	if (ferror(fp) || n == TAMPER_MAX) {
		fclose(fp);
		free(*buf);
		return -1;
	}
	fclose(fp);
	return n;
}

/* get, put or del on database db of the environment in dir. */
static int
tamper_lmdb(const char *dir, const char *op, const char *db, const char *key,
    const char *file)
{
	unsigned char kbuf[512], *data = NULL;
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	MDB_val k, v;
	FILE *fp;
	long n = 0;
	int rc, rdonly = strcmp(op, "get") == 0;

	k.mv_data = kbuf;
	k.mv_size = tamper_key(key, kbuf);
	if (strcmp(op, "put") == 0 && (n = tamper_read(file, &data)) < 0) {
		fprintf(stderr, "itest_tamper: %s: cannot read\n", file);
		return 1;
	}
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 32)) != 0 ||
	    (rc = mdb_env_open(env, dir, rdonly ? MDB_RDONLY : 0, 0600)) !=
	    0 ||
	    (rc = mdb_txn_begin(env, NULL, rdonly ? MDB_RDONLY : 0,
	    &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, db, 0, &dbi)) != 0)
		goto out;
	if (rdonly) {
		if ((rc = mdb_get(txn, dbi, &k, &v)) != 0)
			goto out;
		if ((fp = fopen(file, "wb")) == NULL ||
		    fwrite(v.mv_data, 1, v.mv_size, fp) != v.mv_size ||
		    fclose(fp) != 0) {
			fprintf(stderr, "itest_tamper: %s: cannot write\n",
			    file);
			free(data);
			mdb_txn_abort(txn);
			mdb_env_close(env);
			return 1;
		}
	} else if (strcmp(op, "put") == 0) {
		v.mv_data = data;
		v.mv_size = (size_t)n;
		rc = mdb_put(txn, dbi, &k, &v, 0);
	} else
		rc = mdb_del(txn, dbi, &k, NULL);
	if (rc == 0 && !rdonly) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
	}
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (env != NULL)
		mdb_env_close(env);
	free(data);
	if (rc != 0) {
		fprintf(stderr, "itest_tamper: %s %s %s %s: %s\n", dir, op, db,
		    key, mdb_strerror(rc));
		return 1;
	}
	return 0;
}

/* Writes a new signer key named name to path. */
static int
tamper_keygen(const char *name, const char *path)
{
	struct note_signer *s = NULL;
	int rc;

	if ((rc = note_signer_generate(name, &s)) != 0 ||
	    (rc = note_signer_write(s, path)) != 0) {
		fprintf(stderr, "itest_tamper: keygen: %s\n",
		    note_strerror(rc));
		note_signer_free(s);
		return 1;
	}
	note_signer_free(s);
	return 0;
}

/* Signs the checkpoint (key's name, size, root) with keyfile. */
static int
tamper_sign(const char *keyfile, const char *size, const char *root64)
{
	struct note_signer *s = NULL;
	unsigned char root[48];
	char err[256], *note = NULL, *end;
	unsigned long long n;
	size_t len;
	int rc;

	errno = 0;
	n = strtoull(size, &end, 10);
	if (*end != '\0' || errno != 0 || strlen(root64) != 44 ||
	    EVP_DecodeBlock(root, (const unsigned char *)root64, 44) != 33)
		tamper_usage();
	err[0] = '\0';
	if ((rc = note_signer_read(keyfile, &s, err, sizeof(err))) != 0 ||
	    (rc = note_checkpoint_sign(s, note_signer_name(s), n, root, &note,
	    &len)) != 0) {
		fprintf(stderr, "itest_tamper: sign: %s %s\n",
		    note_strerror(rc), err);
		note_signer_free(s);
		return 1;
	}
	fwrite(note, 1, len, stdout);
	free(note);
	note_signer_free(s);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Dispatches the operation. */
int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "keygen") == 0)
		return tamper_keygen(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "sign") == 0)
		return tamper_sign(argv[2], argv[3], argv[4]);
	if (argc == 6 && (strcmp(argv[2], "get") == 0 ||
	    strcmp(argv[2], "put") == 0))
		return tamper_lmdb(argv[1], argv[2], argv[3], argv[4], argv[5]);
	if (argc == 5 && strcmp(argv[2], "del") == 0)
		return tamper_lmdb(argv[1], argv[2], argv[3], argv[4], NULL);
	tamper_usage();
	return 2;
}
