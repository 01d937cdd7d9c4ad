/* SPDX-License-Identifier: ISC */
/*
 * gen_vectors.c: writes what Go's golang.org/x/mod/sumdb/note and
 * sumdb/tlog must accept (tests/interop/verify.go checks it), and checks
 * what Go wrote back.
 *
 * gen_vectors DIR
 *	builds a tree of commitment leaves of synthetic entries with
 *	store/leaf.c and store/merkle.c (in-memory tiles) and writes to DIR:
 *	vkey.txt (verifier key), signer.key (our key file, mode 0600),
 *	checkpoint.txt and checkpoint_old.txt (signed checkpoints),
 *	tampered_*.txt (checkpoints Go must refuse), tile/L/N (the tiles as
 *	the store keeps them), and vectors.txt: roots, leaves, inclusion and
 *	consistency proofs, and disclosures (units shown or withheld) for
 *	Go to recompute leaf hashes from the specification.
 * gen_vectors verify DIR
 *	checks go_note.txt (a checkpoint Go signed with our signer.key)
 *	with our verifier, and go_proofs.txt (proofs Go computed from our
 *	tiles) with our proof verification.
 *
 * Exit status 0 when all went well, 1 otherwise, with a message.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leaf.h"
#include "merkle.h"
#include "note.h"

#define GV_SIZE		100037	/* leaves: two full tile levels and more */
#define GV_OLD		70001	/* the older checkpoint */
#define GV_ORIGIN	"interop.algaudit.example/log"

/* A synthetic entry and the storage it points into. */
struct gv_entry {
	Algaudit__V1__Entry		 e;
	Algaudit__V1__Peer		 peer;
	Algaudit__V1__DecisionRecord	 r;
	Algaudit__V1__Algorithm		 alg;
	Algaudit__V1__Input		 in[3];
	Algaudit__V1__Input		*inp[3];
	Algaudit__V1__Explanation	 x;
	Algaudit__V1__Attribution	 at[2];
	Algaudit__V1__Attribution	*atp[2];
	Algaudit__V1__Label		 lb;
	Algaudit__V1__Label		*lbp[1];
	char				 producer[32];
	char				 subject[32];
	char				 decision[16];
	char				 algid[16];
	char				 names[3][16];
	char				 text[16];
	char				 lkey[8];
	char				 lval[16];
	char				 addr[8];
};

/* Fills entry i: its fields vary with i, some are absent. */
static void
gv_entry(struct gv_entry *g, uint64_t i)
{
	size_t k;

	memset(g, 0, sizeof(*g));
	algaudit__v1__entry__init(&g->e);
	algaudit__v1__peer__init(&g->peer);
	algaudit__v1__decision_record__init(&g->r);
	algaudit__v1__algorithm__init(&g->alg);
	algaudit__v1__explanation__init(&g->x);
	algaudit__v1__label__init(&g->lb);
	g->e.has_index = 1;
	g->e.index = i;
	g->e.has_receive_time_ns = 1;
	g->e.receive_time_ns = 1700000000000000000LL + (int64_t)i * 1000;
	snprintf(g->producer, sizeof(g->producer), "producer-%u",
	    (unsigned int)(i % 7));
	g->e.producer_id = g->producer;
	if (i % 3 != 0) {
		g->peer.has_uid = g->peer.has_pid = 1;
		g->peer.uid = 1000;
		g->peer.pid = (uint32_t)(i % 65536);
		snprintf(g->addr, sizeof(g->addr), "unix");
		g->peer.address = g->addr;
		g->e.peer = &g->peer;
	}
	g->e.record = &g->r;
	g->r.has_producer_seq = 1;
	g->r.producer_seq = i + 1;
	g->r.has_event_time_ns = 1;
	g->r.event_time_ns = 1700000000000000000LL + (int64_t)i;
	snprintf(g->algid, sizeof(g->algid), "algo-%u",
	    (unsigned int)(i % 5));
	g->alg.id = g->algid;
	g->alg.has_type = 1;
	g->alg.type = (Algaudit__V1__AlgorithmType)(1 + i % 6);
	g->r.algorithm = &g->alg;
	snprintf(g->subject, sizeof(g->subject), "s:%llu",
	    (unsigned long long)(i * 2654435761u % 1000003));
	g->r.subject = g->subject;
	snprintf(g->decision, sizeof(g->decision), "%s",
	    i % 2 ? "approve" : "decline");
	g->r.decision = g->decision;
	if (i % 4 != 1) {
		g->r.has_score = 1;
		g->r.score = (double)(i % 1000) / 1000.0;
	}
	for (k = 0; k < i % 4 && k < 3; k++) {
		algaudit__v1__input__init(&g->in[k]);
		snprintf(g->names[k], sizeof(g->names[k]), "in%zu", k);
		g->in[k].name = g->names[k];
		if (k == 1) {
			g->in[k].value_case = ALGAUDIT__V1__INPUT__VALUE_TEXT;
			snprintf(g->text, sizeof(g->text), "v%llu",
			    (unsigned long long)i);
			g->in[k].text = g->text;
		} else {
			g->in[k].value_case =
			    ALGAUDIT__V1__INPUT__VALUE_NUMBER;
			g->in[k].number = (double)i * 0.5;
		}
		g->in[k].has_data_class = 1;
		g->in[k].data_class =
		    (Algaudit__V1__DataClass)(1 + (i + k) % 3);
		g->inp[k] = &g->in[k];
	}
	g->r.n_inputs = k;
	g->r.inputs = g->inp;
	if (i % 5 != 0) {
		for (k = 0; k < 2; k++) {
			algaudit__v1__attribution__init(&g->at[k]);
			g->at[k].feature = g->names[k];
			snprintf(g->names[k], sizeof(g->names[k]), "in%zu", k);
			g->at[k].has_weight = 1;
			g->at[k].weight = 0.25 - (double)k;
			g->atp[k] = &g->at[k];
		}
		g->x.n_attributions = 2;
		g->x.attributions = g->atp;
		g->r.explanation = &g->x;
	}
	g->r.has_data_class = 1;
	g->r.data_class = (Algaudit__V1__DataClass)(1 + i % 3);
	snprintf(g->lkey, sizeof(g->lkey), "ch");
	snprintf(g->lval, sizeof(g->lval), "c%u", (unsigned int)(i % 9));
	g->lb.key = g->lkey;
	g->lb.value = g->lval;
	g->lbp[0] = &g->lb;
	g->r.n_labels = 1;
	g->r.labels = g->lbp;
}

/* Writes n bytes as hex to f. */
static void
gv_hex(FILE *f, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

/* Writes a proof as comma-separated hex hashes ("-" if empty). */
static void
gv_proof(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0)
		fputc('-', f);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', f);
		gv_hex(f, p + i * MERKLE_HASH_LEN, MERKLE_HASH_LEN);
	}
}

/* Writes len bytes to DIR/name. */
static int
gv_write(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "gen_vectors: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads DIR/name into a new NUL-terminated buffer. */
static char *
gv_read(const char *dir, const char *name, size_t *len)
{
	char path[512], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "gen_vectors: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Writes every tile of m as DIR/tile/L/N. */
static int
gv_tiles(const char *dir, const struct merkle_mem *m)
{
	char sub[512], name[64];
	const uint8_t *t;
	uint64_t n;
	size_t count;
	int l;

	snprintf(sub, sizeof(sub), "%s/tile", dir);
	mkdir(sub, 0755);
	for (l = 0; l < MERKLE_TILE_LEVELS; l++) {
		if (merkle_mem_tile(m, l, 0, &count) == NULL)
			break;
		snprintf(sub, sizeof(sub), "%s/tile/%d", dir, l);
		mkdir(sub, 0755);
		for (n = 0; (t = merkle_mem_tile(m, l, n, &count)) != NULL;
		    n++) {
			snprintf(name, sizeof(name), "tile/%d/%llu", l,
			    (unsigned long long)n);
			if (gv_write(dir, name, t,
			    count * MERKLE_HASH_LEN) != 0)
				return -1;
		}
	}
	return 0;
}

/* Writes a "disclose" block: every other unit withheld. */
static void
gv_disclose(FILE *f, const struct leaf_ctx *c, uint64_t index)
{
	const struct leaf_unit *u;
	size_t i, n = leaf_ctx_units(c);

	fprintf(f, "disclose %llu %zu\n", (unsigned long long)index, n);
	for (i = 0; i < n; i++) {
		u = leaf_ctx_unit(c, i);
		fprintf(f, "unit %s ", u->lu_path);
		if ((i + index) % 2 == 0) {
			fputs("d ", f);
			gv_hex(f, u->lu_salt, LEAF_SALT_LEN);
			fputc(' ', f);
			gv_hex(f, u->lu_value, u->lu_valuelen);
		} else {
			fputs("w ", f);
			gv_hex(f, u->lu_commit, LEAF_COMMIT_LEN);
		}
		fputc('\n', f);
	}
}

/* Signs a checkpoint and writes it to DIR/name. */
static int
gv_checkpoint(const char *dir, const char *name,
    const struct note_signer *s, uint64_t size, const uint8_t *root)
{
	char *text;
	size_t len;
	int rc;

	if ((rc = note_checkpoint_sign(s, GV_ORIGIN, size, root, &text,
	    &len)) != 0) {
		fprintf(stderr, "gen_vectors: sign: %s\n", note_strerror(rc));
		return -1;
	}
	rc = gv_write(dir, name, text, len);
	free(text);
	return rc;
}

/* Generates everything Go checks. */
static int
gv_generate(const char *dir)
{
	static const uint64_t picks[] = { 0, 1, 2, 255, 256, 257, 12345,
	    65535, 65536, 70000, 99999, GV_SIZE - 2, GV_SIZE - 1 };
	static const uint64_t olds[] = { 1, 2, 7, 256, 65536, GV_OLD,
	    GV_SIZE - 1, GV_SIZE };
	struct merkle_mem *m = NULL;
	struct merkle_io io;
	struct leaf_key *key = NULL;
	struct leaf_ctx *ctx = NULL;
	struct note_signer *s = NULL, *other = NULL;
	struct gv_entry g;
	uint8_t master[LEAF_SECRET_LEN], root[MERKLE_HASH_LEN];
	uint8_t oroot[MERKLE_HASH_LEN], *leaves = NULL;
	uint8_t proof[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	char vkey[NOTE_VKEY_MAX], path[512], *text = NULL;
	const uint8_t *lb;
	size_t n, len, k;
	uint64_t i;
	FILE *f = NULL;
	int rc = -1, e;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "gen_vectors: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	memset(master, 0x42, sizeof(master));
	if (merkle_mem_new(&m) != 0 || leaf_key_new(&key, master) != 0 ||
	    leaf_ctx_new(&ctx) != 0 ||
	    (leaves = malloc((size_t)GV_SIZE * MERKLE_HASH_LEN)) == NULL)
		goto fail;
	merkle_mem_io(m, &io);
	for (i = 0; i < GV_SIZE; i++) {
		gv_entry(&g, i);
		if ((e = leaf_compute(ctx, key, &g.e,
		    leaves + i * MERKLE_HASH_LEN)) != 0) {
			fprintf(stderr, "gen_vectors: %s\n",
			    leaf_ctx_errmsg(ctx));
			goto fail;
		}
	}
	/* Appends in uneven batches, as group commits would. */
	for (i = 0; i < GV_SIZE; i += n) {
		n = 1 + (size_t)(i * 7919 % 1000);
		if (n > GV_SIZE - i)
			n = (size_t)(GV_SIZE - i);
		if ((e = merkle_append(&io, i, leaves + i * MERKLE_HASH_LEN,
		    n)) != 0) {
			fprintf(stderr, "gen_vectors: append: %s\n",
			    merkle_strerror(e));
			goto fail;
		}
	}
	if (merkle_root(&io, GV_SIZE, root) != 0 ||
	    merkle_root(&io, GV_OLD, oroot) != 0 || gv_tiles(dir, m) != 0)
		goto fail;

	/* Keys and checkpoints. */
	snprintf(path, sizeof(path), "%s/signer.key", dir);
	remove(path);
	if (note_signer_generate(GV_ORIGIN, &s) != 0 ||
	    note_signer_generate(GV_ORIGIN, &other) != 0 ||
	    note_signer_vkey(s, vkey, sizeof(vkey)) != 0 ||
	    note_signer_write(s, path) != 0 ||
	    gv_write(dir, "vkey.txt", vkey, strlen(vkey)) != 0 ||
	    gv_checkpoint(dir, "checkpoint.txt", s, GV_SIZE, root) != 0 ||
	    gv_checkpoint(dir, "checkpoint_old.txt", s, GV_OLD, oroot) != 0 ||
	    gv_checkpoint(dir, "tampered_otherkey.txt", other, GV_SIZE,
	    root) != 0 ||
	    note_checkpoint_sign(s, GV_ORIGIN, GV_SIZE, root, &text,
	    &len) != 0)
		goto fail;
	/* The signed size, then the root, changed after signing. */
	text[strlen(GV_ORIGIN) + 1] = '2';
	if (gv_write(dir, "tampered_size.txt", text, len) != 0)
		goto fail;
	text[strlen(GV_ORIGIN) + 1] = '1';
	text[strlen(GV_ORIGIN) + 1 + 7 + 3] ^= 0x01;
	if (gv_write(dir, "tampered_root.txt", text, len) != 0)
		goto fail;

	snprintf(path, sizeof(path), "%s/vectors.txt", dir);
	if ((f = fopen(path, "w")) == NULL)
		goto fail;
	fprintf(f, "origin %s\nsize %d\nold %d\n", GV_ORIGIN, GV_SIZE,
	    GV_OLD);
	for (k = 0; k < sizeof(olds) / sizeof(*olds); k++) {
		if (merkle_root(&io, olds[k], oroot) != 0)
			goto fail;
		fprintf(f, "root %llu ", (unsigned long long)olds[k]);
		gv_hex(f, oroot, MERKLE_HASH_LEN);
		fputc('\n', f);
		if (merkle_prove_consistency(&io, olds[k], GV_SIZE, proof,
		    &n) != 0)
			goto fail;
		fprintf(f, "consistency %llu %d ",
		    (unsigned long long)olds[k], GV_SIZE);
		gv_proof(f, proof, n);
		fputc('\n', f);
	}
	for (k = 0; k < sizeof(picks) / sizeof(*picks); k++) {
		i = picks[k];
		gv_entry(&g, i);
		if (leaf_compute(ctx, key, &g.e, root) != 0)
			goto fail;
		lb = leaf_ctx_bytes(ctx, &len);
		fprintf(f, "leaf %llu ", (unsigned long long)i);
		gv_hex(f, lb, len);
		fputc('\n', f);
		if (merkle_prove_inclusion(&io, i, GV_SIZE, proof, &n) != 0)
			goto fail;
		fprintf(f, "inclusion %llu %d ", (unsigned long long)i,
		    GV_SIZE);
		gv_proof(f, proof, n);
		fputc('\n', f);
		if (i < GV_OLD) {
			if (merkle_prove_inclusion(&io, i, GV_OLD, proof,
			    &n) != 0)
				goto fail;
			fprintf(f, "inclusion %llu %d ",
			    (unsigned long long)i, GV_OLD);
			gv_proof(f, proof, n);
			fputc('\n', f);
		}
		if (k % 3 == 0)
			gv_disclose(f, ctx, i);
	}
	if (fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	rc = 0;
fail:
	if (rc != 0)
		fprintf(stderr, "gen_vectors: generating %s failed\n", dir);
	if (f != NULL)
		fclose(f);
	free(text);
	free(leaves);
	note_signer_free(s);
	note_signer_free(other);
	leaf_ctx_free(ctx);
	leaf_key_free(key);
	merkle_mem_free(m);
	return rc;
}

/* Decodes a comma-separated hex proof into p; returns the count or -1. */
static long
gv_parse_proof(const char *s, uint8_t *p)
{
	size_t n = 0, i;
	unsigned int b;

	if (strcmp(s, "-") == 0)
		return 0;
	for (;;) {
		if (n == MERKLE_PROOF_MAX)
			return -1;
		for (i = 0; i < MERKLE_HASH_LEN; i++) {
			if (sscanf(s + 2 * i, "%2x", &b) != 1)
				return -1;
			p[n * MERKLE_HASH_LEN + i] = (uint8_t)b;
		}
		n++;
		s += 2 * MERKLE_HASH_LEN;
		if (*s != ',')
			break;
		s++;
	}
	return *s == '\0' || *s == '\n' ? (long)n : -1;
}

/* Checks what Go wrote: its signed checkpoint and its proofs. */
static int
gv_verify(const char *dir)
{
	struct note_verifier *v = NULL;
	struct note_checkpoint cp, cur;
	uint8_t proof[MERKLE_PROOF_MAX * MERKLE_HASH_LEN], leaf[32];
	char *vkey = NULL, *note = NULL, *mine = NULL, *proofs = NULL;
	char err[256], *line, *save, hexp[MERKLE_PROOF_MAX * 65 + 8];
	unsigned long long idx, size;
	size_t len, i, checked = 0;
	unsigned int b;
	long n;
	int rc = -1, e;

	if ((vkey = gv_read(dir, "vkey.txt", &len)) == NULL ||
	    (note = gv_read(dir, "go_note.txt", &len)) == NULL)
		goto done;
	if ((e = note_verifier_new(vkey, &v, err, sizeof(err))) != 0) {
		fprintf(stderr, "gen_vectors: vkey: %s\n", err);
		goto done;
	}
	if ((e = note_checkpoint_open(v, note, len, &cp, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "gen_vectors: Go's note: %s: %s\n",
		    note_strerror(e), err);
		goto done;
	}
	if ((mine = gv_read(dir, "checkpoint.txt", &len)) == NULL ||
	    note_checkpoint_open(v, mine, len, &cur, NULL, 0) != 0)
		goto done;
	if (cp.nc_size != cur.nc_size ||
	    memcmp(cp.nc_root, cur.nc_root, 32) != 0) {
		fprintf(stderr, "gen_vectors: Go's checkpoint differs from "
		    "ours\n");
		goto done;
	}
	checked++;
	/* Lines "inclusion INDEX SIZE LEAFHASH PROOF" (tree = cur). */
	if ((proofs = gv_read(dir, "go_proofs.txt", &len)) == NULL)
		goto done;
	for (line = strtok_r(proofs, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char lh[65];

		if (sscanf(line, "inclusion %llu %llu %64s %s", &idx, &size,
		    lh, hexp) != 4 || size != cur.nc_size ||
		    (n = gv_parse_proof(hexp, proof)) < 0) {
			fprintf(stderr, "gen_vectors: go_proofs.txt: bad "
			    "line: %.60s\n", line);
			goto done;
		}
		for (i = 0; i < 32; i++) {
			if (sscanf(lh + 2 * i, "%2x", &b) != 1)
				goto done;
			leaf[i] = (uint8_t)b;
		}
		if ((e = merkle_verify_inclusion(leaf, idx, size, proof,
		    (size_t)n, cur.nc_root)) != 0) {
			fprintf(stderr, "gen_vectors: Go's proof for %llu: "
			    "%s\n", idx, merkle_strerror(e));
			goto done;
		}
		checked++;
	}
	printf("gen_vectors: C accepted Go's checkpoint and %zu proofs\n",
	    checked - 1);
	printf("interop: %zu passed, 0 failed\n", checked);
	rc = 0;
done:
	note_verifier_free(v);
	free(vkey);
	free(note);
	free(mine);
	free(proofs);
	return rc;
}

/* gen_vectors DIR, or gen_vectors verify DIR. */
int
main(int argc, char *argv[])
{
	if (argc == 2)
		return gv_generate(argv[1]) == 0 ? 0 : 1;
	if (argc == 3 && strcmp(argv[1], "verify") == 0)
		return gv_verify(argv[2]) == 0 ? 0 : 1;
	fprintf(stderr, "usage: gen_vectors DIR | gen_vectors verify DIR\n");
	return 2;
}
