/* SPDX-License-Identifier: ISC */
/*
 * bench_leaf.c: costs of the verifiable log's pure core.
 *
 * Prints, one figure a line: the commitment leaf (units, salts,
 * commitments, leaf bytes, leaf hash) per entry for a typical entry of
 * 21 units and a larger one of 25; Merkle appends per leaf on the
 * in-memory tiles in group-commit sized batches; the streaming rebuild
 * (compact range) per leaf; inclusion and consistency proof and root
 * latency in a tree of 10M leaves; checkpoint signing and verification.
 * Asserts nothing; exits 1 only if something could not run.
 *
 * Usage: bench_leaf [leaves for the proof tree, default 10000000]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "leaf.h"
#include "merkle.h"
#include "note.h"

/* Storage of the benchmark entry. */
struct bench_entry {
	Algaudit__V1__Entry		 e;
	Algaudit__V1__Peer		 peer;
	Algaudit__V1__DecisionRecord	 r;
	Algaudit__V1__Algorithm		 alg;
	Algaudit__V1__Input		 in[8];
	Algaudit__V1__Input		*inp[8];
	Algaudit__V1__Explanation	 x;
	Algaudit__V1__Attribution	 at[4];
	Algaudit__V1__Attribution	*atp[4];
	char				*rc[2];
	Algaudit__V1__Label		 lb[2];
	Algaudit__V1__Label		*lbp[2];
	char				 pool[1024];	/* the strings */
	size_t				 used;
};

/* A mutable copy of s in the entry's pool (protobuf-c wants char *). */
static char *
bench_s(struct bench_entry *b, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (n > sizeof(b->pool) - b->used)
		abort();
	p = memcpy(b->pool + b->used, s, n);
	b->used += n;
	return p;
}

/* Nanoseconds of the monotonic clock. */
static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * A typical credit decision: 3 daemon units, 11 record fields, ninputs
 * inputs, nattr attributions, one reason code and one label.
 */
static void
bench_entry_init(struct bench_entry *b, size_t ninputs, size_t nattr)
{
	static const char *names[] = { "income", "region", "has_default",
	    "age_band", "tenure_months", "channel", "device", "limit" };
	static const char *feats[] = { "income", "region", "tenure_months",
	    "age_band" };
	size_t i;

	memset(b, 0, sizeof(*b));
	algaudit__v1__entry__init(&b->e);
	algaudit__v1__peer__init(&b->peer);
	algaudit__v1__decision_record__init(&b->r);
	algaudit__v1__algorithm__init(&b->alg);
	algaudit__v1__explanation__init(&b->x);
	b->e.has_index = 1;
	b->e.index = 123456789;
	b->e.has_receive_time_ns = 1;
	b->e.receive_time_ns = 1700000000123456789LL;
	b->e.producer_id = bench_s(b, "credit-api@host-7");
	b->peer.has_uid = b->peer.has_gid = b->peer.has_pid = 1;
	b->peer.uid = b->peer.gid = 1000;
	b->peer.pid = 4242;
	b->peer.address = bench_s(b, "unix");
	b->e.peer = &b->peer;
	b->e.record = &b->r;
	b->r.has_producer_seq = 1;
	b->r.producer_seq = 77;
	b->r.has_event_time_ns = 1;
	b->r.event_time_ns = 1700000000000000000LL;
	b->alg.id = bench_s(b, "credit-score");
	b->alg.version = bench_s(b, "2.3.1");
	b->alg.has_type = 1;
	b->alg.type =
	    ALGAUDIT__V1__ALGORITHM_TYPE__ALGORITHM_TYPE_SCHEDULING_DECISION;
	b->alg.filing_number = bench_s(b, "CN-ALG-2024-0042");
	b->r.algorithm = &b->alg;
	b->r.subject = bench_s(b, "s:9f2c5e0a41b7d3c8");
	b->r.decision = bench_s(b, "approve");
	b->r.has_score = 1;
	b->r.score = 0.82;
	for (i = 0; i < ninputs && i < 8; i++) {
		algaudit__v1__input__init(&b->in[i]);
		b->in[i].name = bench_s(b, names[i]);
		if (i % 3 == 1) {
			b->in[i].value_case = ALGAUDIT__V1__INPUT__VALUE_TEXT;
			b->in[i].text = bench_s(b, "north");
		} else if (i % 3 == 2) {
			b->in[i].value_case = ALGAUDIT__V1__INPUT__VALUE_FLAG;
			b->in[i].flag = 0;
		} else {
			b->in[i].value_case =
			    ALGAUDIT__V1__INPUT__VALUE_NUMBER;
			b->in[i].number = 52000.0 + (double)i;
		}
		b->in[i].has_data_class = 1;
		b->in[i].data_class =
		    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
		b->inp[i] = &b->in[i];
	}
	b->r.n_inputs = i;
	b->r.inputs = b->inp;
	for (i = 0; i < nattr && i < 4; i++) {
		algaudit__v1__attribution__init(&b->at[i]);
		b->at[i].feature = bench_s(b, feats[i]);
		b->at[i].has_weight = 1;
		b->at[i].weight = 0.41 - 0.1 * (double)i;
		b->atp[i] = &b->at[i];
	}
	b->x.n_attributions = i;
	b->x.attributions = b->atp;
	b->rc[0] = bench_s(b, "R01");
	b->x.n_reason_codes = 1;
	b->x.reason_codes = b->rc;
	b->r.explanation = &b->x;
	b->r.has_automation = 1;
	b->r.automation = ALGAUDIT__V1__AUTOMATION__AUTOMATION_FULLY_AUTOMATED;
	b->r.has_data_class = 1;
	b->r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
	b->r.jurisdiction = bench_s(b, "CN");
	b->r.purpose = bench_s(b, "credit-limit");
	b->r.trace_id = bench_s(b, "4bf92f3577b34da6a3ce929d0e0e4736");
	algaudit__v1__label__init(&b->lb[0]);
	b->lb[0].key = bench_s(b, "channel");
	b->lb[0].value = bench_s(b, "app");
	b->lbp[0] = &b->lb[0];
	b->r.n_labels = 1;
	b->r.labels = b->lbp;
}

/* Leaf commitments per entry, best of 50 rounds. */
static int
bench_leaf(size_t ninputs, size_t nattr)
{
	struct bench_entry b;
	struct leaf_key *k = NULL;
	struct leaf_ctx *c = NULL;
	uint8_t master[LEAF_SECRET_LEN], hash[LEAF_HASH_LEN];
	double t0, best = 1e30, ns;
	int round, i, n = 20000, rc = 1;

	bench_entry_init(&b, ninputs, nattr);
	memset(master, 0x5a, sizeof(master));
	if (leaf_key_new(&k, master) != 0 || leaf_ctx_new(&c) != 0)
		goto done;
	/* The best of many short rounds: the machine may be shared. */
	for (round = 0; round < 50; round++) {
		t0 = bench_now();
		for (i = 0; i < n; i++) {
			b.e.index = (uint64_t)i;
			if (leaf_compute(c, k, &b.e, hash) != 0)
				goto done;
		}
		ns = (bench_now() - t0) / n;
		if (ns < best)
			best = ns;
	}
	printf("leaf_ns_per_entry_%zu_units %.0f\n", leaf_ctx_units(c), best);
	rc = 0;
done:
	leaf_ctx_free(c);
	leaf_key_free(k);
	return rc;
}

/* Pseudo-random leaf hashes. */
static void
bench_fill(uint8_t *h, size_t n, uint64_t *state)
{
	size_t i;

	for (i = 0; i < n * MERKLE_HASH_LEN; i += 8) {
		*state ^= *state << 13;
		*state ^= *state >> 7;
		*state ^= *state << 17;
		memcpy(h + i, state, 8);
	}
}

/* Appends, rebuild, and proofs in a tree of nleaves. */
static int
bench_merkle(uint64_t nleaves)
{
	struct merkle_io io;
	struct merkle_mem *m = NULL;
	struct merkle_compact mc;
	uint8_t *batch = NULL, root[MERKLE_HASH_LEN];
	uint8_t proof[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
	uint64_t state = 88172645463325252ULL, size = 0, i, idx;
	const size_t bsz = 100;
	size_t n;
	double t0, tapp = 0, tc;
	int rc = 1, p, np = 2000;

	if ((batch = malloc(bsz * MERKLE_HASH_LEN)) == NULL ||
	    merkle_mem_new(&m) != 0)
		goto done;
	merkle_mem_io(m, &io);
	merkle_compact_init(&mc);
	tc = 0;
	while (size < nleaves) {
		bench_fill(batch, bsz, &state);
		t0 = bench_now();
		if (merkle_append(&io, size, batch, bsz) != 0)
			goto done;
		tapp += bench_now() - t0;
		if (size < 1000000) {
			t0 = bench_now();
			for (i = 0; i < bsz; i++)
				merkle_compact_push(&mc,
				    batch + i * MERKLE_HASH_LEN);
			tc += bench_now() - t0;
		}
		size += bsz;
	}
	printf("merkle_append_ns_per_leaf_batch_%zu %.0f\n", bsz,
	    tapp / (double)size);
	printf("merkle_rebuild_ns_per_leaf %.0f\n",
	    tc / (double)(size < 1000000 ? size : 1000000));
	printf("merkle_tree_leaves %llu\n", (unsigned long long)size);
	t0 = bench_now();
	for (p = 0; p < np; p++) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		idx = state % size;
		if (merkle_prove_inclusion(&io, idx, size, proof, &n) != 0)
			goto done;
	}
	printf("merkle_inclusion_proof_us %.1f\n",
	    (bench_now() - t0) / np / 1e3);
	t0 = bench_now();
	for (p = 0; p < np; p++) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		idx = 1 + state % size;
		if (merkle_prove_consistency(&io, idx, size, proof, &n) != 0)
			goto done;
	}
	printf("merkle_consistency_proof_us %.1f\n",
	    (bench_now() - t0) / np / 1e3);
	t0 = bench_now();
	for (p = 0; p < np; p++)
		if (merkle_root(&io, size - (uint64_t)p % size, root) != 0)
			goto done;
	printf("merkle_root_us %.1f\n", (bench_now() - t0) / np / 1e3);
	rc = 0;
done:
	merkle_mem_free(m);
	free(batch);
	return rc;
}

/* Checkpoint signing and verification. */
static int
bench_note(void)
{
	struct note_signer *s = NULL;
	struct note_verifier *v = NULL;
	struct note_checkpoint cp;
	char vkey[NOTE_VKEY_MAX], *text = NULL;
	uint8_t root[32];
	size_t len;
	double t0;
	int i, n = 2000, rc = 1;

	memset(root, 7, sizeof(root));
	if (note_signer_generate("bench.example/log", &s) != 0 ||
	    note_signer_vkey(s, vkey, sizeof(vkey)) != 0 ||
	    note_verifier_new(vkey, &v, NULL, 0) != 0)
		goto done;
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		free(text);
		text = NULL;
		if (note_checkpoint_sign(s, "bench.example/log",
		    (uint64_t)i + 1, root, &text, &len) != 0)
			goto done;
	}
	printf("checkpoint_sign_us %.1f\n", (bench_now() - t0) / n / 1e3);
	t0 = bench_now();
	for (i = 0; i < n; i++)
		if (note_checkpoint_open(v, text, len, &cp, NULL, 0) != 0)
			goto done;
	printf("checkpoint_verify_us %.1f\n", (bench_now() - t0) / n / 1e3);
	rc = 0;
done:
	free(text);
	note_verifier_free(v);
	note_signer_free(s);
	return rc;
}

/* Runs every benchmark; argv[1] is the size of the proof tree. */
int
main(int argc, char *argv[])
{
	uint64_t nleaves = 10000000;

	if (argc > 1)
		nleaves = strtoull(argv[1], NULL, 10);
	if (nleaves < 1000)
		nleaves = 1000;
	if (bench_leaf(3, 2) != 0 || bench_leaf(5, 4) != 0 ||
	    bench_merkle(nleaves) != 0 || bench_note() != 0) {
		fprintf(stderr, "bench_leaf: a benchmark failed\n");
		return 1;
	}
	return 0;
}
