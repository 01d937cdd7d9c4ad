/* SPDX-License-Identifier: ISC */
/*
 * check_leaf.c: unit tests of store/leaf.c.
 *
 * The worked vectors of docs/VERIFIABLE.md (a fixed master secret and
 * three fixed entries: every unit's path, salt, canonical value and
 * commitment, the leaf bytes and the leaf hash), produced by the
 * independent implementation tests/interop/leaf_vectors.py; then the
 * properties a disclosure relies on: withholding any set of units keeps
 * the leaf hash, changing a disclosed value, a salt, a path, the order
 * or the index changes it; every field of an entry is bound, including
 * its presence; and the entries leaf format v1 refuses.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "leaf.h"
#include "merkle.h"

/* One unit of a vector: path, salt, canonical value, commitment (hex). */
struct vec_unit {
	const char	*path;
	const char	*salt;
	const char	*value;
	const char	*commit;
};

/* Vector 1: produced by tests/interop/leaf_vectors.py. */
static const struct vec_unit v1_units[] = {
	{ "entry.receive_time_ns",
	    "07f50c8206aa8ea9f07527e616bad2a8",
	    "0417979cfe3d85cd15",
	    "0031484ca88845200fe8e25aa1233a625eec16af705be560bbb7f3bc"
	    "f412cc12" },
	{ "entry.producer_id",
	    "ba19cabda04c5e72f7d788e26a9f8858",
	    "01000000116372656469742d61706940686f73742d37",
	    "92840dca1911d9c720770d4f91a0ae79044acdd6711fed9b3a2c96b4"
	    "da066412" },
	{ "entry.peer",
	    "b105f9385c5784a2b33b2856218d2739",
	    "0800000028010300000000000003e8020300000000000003e8030300"
	    "00000000001092050100000004756e6978",
	    "c9ec0b13cd5f31a0398f8af355f8e0234fccaf27b5472f3228903d78"
	    "62b1747a" },
	{ "producer_seq",
	    "c2abe9779db05305396a33ae288bd178",
	    "030000000000000007",
	    "8eca23133bedc9aa540d5f2059bfb40ce268f299229cdb6a7c2f004b"
	    "84416443" },
	{ "event_time_ns",
	    "e4c9f964579043eeefd6efc0a4531658",
	    "0417979cfe362a0000",
	    "7538ffda811319a335a3c4cd461ec22e77077f9441558b7a28f01f08"
	    "09af2879" },
	{ "algorithm",
	    "2c80803b5812167ef883bfa41d27fdd8",
	    "080000003901010000000c6372656469742d73636f72650201000000"
	    "05322e332e31030700000005040100000010434e2d414c472d323032"
	    "342d30303432",
	    "e7a7f5067db5192048374130ef844fe41f0aad197e1b86ec60e57da3"
	    "8082ec29" },
	{ "subject",
	    "fc27ae58a39b377074a4a1d5a32f467e",
	    "0100000012733a39663263356530613431623764336338",
	    "e552851c4107f520265eccb390a879e0b3245b0d0813ddb91e355ead"
	    "87cc0aa5" },
	{ "decision",
	    "ece74ce5de46ac9a12cd7958d5b58b70",
	    "0100000007617070726f7665",
	    "b40827a5c6fc85912369854ed1e23c01fcdc99b7fc01521f1244641e"
	    "fd2fa8e4" },
	{ "score",
	    "34b0ec6510b9b4686a7e971c18b66f5d",
	    "053fea3d70a3d70a3d",
	    "9ec15f52ed32ad27941074cef2b56232308747ad8920fc58b901b54e"
	    "b4ddcd5d" },
	{ "inputs[0]",
	    "1497f0b071537c4cd772caa0fc14048a",
	    "080000001c010100000006696e636f6d65030540e964000000000005"
	    "0700000002",
	    "1883fc04ccc7025bd6e80b62eb9a39f9a45824b7c208ccf2c129bd07"
	    "b32f71ab" },
	{ "inputs[1]",
	    "95c01e2b74be4b7adf5902f6e1a6324f",
	    "080000001d010100000006726567696f6e0201000000056e6f727468"
	    "050700000001",
	    "59ac349b2d04f9089f20239f9292008c864148354e8832b62b26d95e"
	    "19843735" },
	{ "inputs[2]",
	    "5ce8ba1f772bda5618e06a63f99e9a56",
	    "080000001a01010000000b6861735f64656661756c74040600050700"
	    "000001",
	    "397311e9fbf4b5a33cf437fab7f270c11b052f73ebda2b4a11af59eb"
	    "40761223" },
	{ "explanation.attributions[0]",
	    "9ef5ba17b050cce344921447fe193f2e",
	    "0800000016010100000006696e636f6d6502053fda3d70a3d70a3d",
	    "4419d1151aef08f25f1498a8f35de3caa195f39abdac49f8d4d14120"
	    "8e4c185c" },
	{ "explanation.attributions[1]",
	    "1387e8bde5367a7291f8e250c7bafb66",
	    "0800000016010100000006726567696f6e0205bfa999999999999a",
	    "ae0dbef0b2506e70dbe14c1c9bf85bb58674f3ac7cff33fe00cc366f"
	    "6a426ff7" },
	{ "explanation.reason_codes[0]",
	    "bb2f0c392a2413585788926b5561e6cc",
	    "0100000003523031",
	    "a4e69ea47e44fa7c919b34c1d852837dcedabae3e427216c403cc095"
	    "5a754f75" },
	{ "automation",
	    "99673b47eff7d877706f1e8fd7aef01b",
	    "0700000001",
	    "f3917fa597cc978c0603ff2aa220405b961a4d735f37f6397ae84290"
	    "1bd16cc9" },
	{ "data_class",
	    "f980998bf5f7d392ee0a09c9b9467f41",
	    "0700000002",
	    "e3403c38bbdc83bb14e50b76077f62c43f3b079d66d6a13f7b958e10"
	    "6414dd4d" },
	{ "jurisdiction",
	    "bb5519cdd0eadc639461e68d6c3a8ba0",
	    "0100000002434e",
	    "7642258573ce6bc3322a2f64a5f29c39ec69d856aebcbdca4bf3f596"
	    "b8d8d709" },
	{ "purpose",
	    "f7febf20919a28c01cf0afbffb7ad65f",
	    "010000000c6372656469742d6c696d6974",
	    "d39e3eb3e6da62c18999ab7c9e857559da78f71f6f6decfaa3f67b46"
	    "c991b555" },
	{ "trace_id",
	    "9c798cb5183b3892b2cd79a5a527132f",
	    "010000001034626639326633353737623334646136",
	    "f1eadef4a9d1619a1d055bef331cd6549e054c2e7ca53da8a41ff51c"
	    "b8b0f260" },
	{ "labels[0]",
	    "0f330ea93e45189b455ff0fa347126ab",
	    "08000000160101000000076368616e6e656c020100000003617070",
	    "491508c5f6fafa3239189a8e688da7fae72fc6838eeb450f0bb03212"
	    "272c166d" },
};
static const char v1_secret[] =
    "b7e66aa03f1473bfb8d3cd956531fde02b2bcae07ac5a15d6a7b1ef0e477809b";
static const char v1_leaf_bytes[] =
    "616c6761756469742f76312f6c656166000000000000002a0000001515656e74"
    "72792e726563656976655f74696d655f6e730031484ca88845200fe8e25aa123"
    "3a625eec16af705be560bbb7f3bcf412cc1211656e7472792e70726f64756365"
    "725f696492840dca1911d9c720770d4f91a0ae79044acdd6711fed9b3a2c96b4"
    "da0664120a656e7472792e70656572c9ec0b13cd5f31a0398f8af355f8e0234f"
    "ccaf27b5472f3228903d7862b1747a0c70726f64756365725f7365718eca2313"
    "3bedc9aa540d5f2059bfb40ce268f299229cdb6a7c2f004b844164430d657665"
    "6e745f74696d655f6e737538ffda811319a335a3c4cd461ec22e77077f944155"
    "8b7a28f01f0809af287909616c676f726974686de7a7f5067db5192048374130"
    "ef844fe41f0aad197e1b86ec60e57da38082ec29077375626a656374e552851c"
    "4107f520265eccb390a879e0b3245b0d0813ddb91e355ead87cc0aa508646563"
    "6973696f6eb40827a5c6fc85912369854ed1e23c01fcdc99b7fc01521f124464"
    "1efd2fa8e40573636f72659ec15f52ed32ad27941074cef2b56232308747ad89"
    "20fc58b901b54eb4ddcd5d09696e707574735b305d1883fc04ccc7025bd6e80b"
    "62eb9a39f9a45824b7c208ccf2c129bd07b32f71ab09696e707574735b315d59"
    "ac349b2d04f9089f20239f9292008c864148354e8832b62b26d95e1984373509"
    "696e707574735b325d397311e9fbf4b5a33cf437fab7f270c11b052f73ebda2b"
    "4a11af59eb407612231b6578706c616e6174696f6e2e6174747269627574696f"
    "6e735b305d4419d1151aef08f25f1498a8f35de3caa195f39abdac49f8d4d141"
    "208e4c185c1b6578706c616e6174696f6e2e6174747269627574696f6e735b31"
    "5dae0dbef0b2506e70dbe14c1c9bf85bb58674f3ac7cff33fe00cc366f6a426f"
    "f71b6578706c616e6174696f6e2e726561736f6e5f636f6465735b305da4e69e"
    "a47e44fa7c919b34c1d852837dcedabae3e427216c403cc0955a754f750a6175"
    "746f6d6174696f6ef3917fa597cc978c0603ff2aa220405b961a4d735f37f639"
    "7ae842901bd16cc90a646174615f636c617373e3403c38bbdc83bb14e50b7607"
    "7f62c43f3b079d66d6a13f7b958e106414dd4d0c6a7572697364696374696f6e"
    "7642258573ce6bc3322a2f64a5f29c39ec69d856aebcbdca4bf3f596b8d8d709"
    "07707572706f7365d39e3eb3e6da62c18999ab7c9e857559da78f71f6f6decfa"
    "a3f67b46c991b5550874726163655f6964f1eadef4a9d1619a1d055bef331cd6"
    "549e054c2e7ca53da8a41ff51cb8b0f260096c6162656c735b305d491508c5f6"
    "fafa3239189a8e688da7fae72fc6838eeb450f0bb03212272c166d";
static const char v1_leaf_hash[] =
    "c6437a4289039537621e002962e841afb0bd5ad896d1659d962557b5fe9abb31";

/* Vector 2: produced by tests/interop/leaf_vectors.py. */
static const struct vec_unit v2_units[] = {
	{ "entry.producer_id",
	    "397a9e17d9ea827d6cb7d072e4067a3d",
	    "010000000962617463682d6a6f62",
	    "a91033b300802fc1af54dbe8d44e6dd92a49888947a222ecb55816f9"
	    "20e43710" },
	{ "producer_seq",
	    "9e0505be56742e34d3567ce21e2cd1e7",
	    "03ffffffffffffffff",
	    "053995f9376a8c561e2c84a1c650157830e54ddb5095b932156a6c1d"
	    "8bc65797" },
	{ "event_time_ns",
	    "58e6ffbccd6420faaf224cc855953241",
	    "04ffffffffffffffff",
	    "f1e082e491a8eca28f1b165852f8b29f7a2ef77d33924e0f05034126"
	    "4f9beed9" },
	{ "subject",
	    "aa90af497988bfb8256ad7236a76d2c2",
	    "0100000000",
	    "e64a09202370bcdecc163547b7dd742860f41605a8417a1715c33cd4"
	    "d4956006" },
	{ "score",
	    "af02364645d82ef03c0ed94035848698",
	    "058000000000000000",
	    "dd2ac8c9e29e74f49e1cf2474becdfff153a0a2b4cbff023f9f5db38"
	    "54bdc899" },
	{ "input_digest",
	    "8f9b56e3838843e9edaea5ae25bb8799",
	    "0200000004deadbeef",
	    "b7a57a95f60ce9dd5870ee7782babb2101dc28f2ec6ade1d93bd0638"
	    "312de92e" },
	{ "explanation.text",
	    "29680772096359749ee725b8d38ff330",
	    "0100000012e694b6e585a5e9ab98e4ba8ee99888e580bc",
	    "53215d2d320bdff37d60e70cc2be9ad7ec94ab3e214721b194f568ce"
	    "390b8826" },
	{ "reviewer",
	    "8e715f429dee3e60f398576578bf304d",
	    "0100000005616c696365",
	    "ccb55eb10fdddfb5dd575a04fcb6771ba604c5f1a250b1c19dae4b23"
	    "f07fc371" },
	{ "decision_id",
	    "d4f448bf4d3fab2e0d8a42b22930de9a",
	    "0100000003642d31",
	    "57f9632d33f83be539a90550c9c77768f0d6b6af5c9252d8a5464dac"
	    "c29bfa88" },
	{ "lost_records",
	    "2e2173033e0b7373316bfd2ec96a7ec4",
	    "030000000000000003",
	    "b65beb8da1da3112d137628ff47b4753cb4b05467803e830fa92a960"
	    "9e837b4f" },
};
static const char v2_secret[] =
    "e638c35b2be50781f403ebb0b051863f8ab0ce90fbd45831a9aef9c0b8e4a9b6";
static const char v2_leaf_bytes[] =
    "616c6761756469742f76312f6c65616600000000000000000000000a11656e74"
    "72792e70726f64756365725f6964a91033b300802fc1af54dbe8d44e6dd92a49"
    "888947a222ecb55816f920e437100c70726f64756365725f736571053995f937"
    "6a8c561e2c84a1c650157830e54ddb5095b932156a6c1d8bc657970d6576656e"
    "745f74696d655f6e73f1e082e491a8eca28f1b165852f8b29f7a2ef77d33924e"
    "0f050341264f9beed9077375626a656374e64a09202370bcdecc163547b7dd74"
    "2860f41605a8417a1715c33cd4d49560060573636f7265dd2ac8c9e29e74f49e"
    "1cf2474becdfff153a0a2b4cbff023f9f5db3854bdc8990c696e7075745f6469"
    "67657374b7a57a95f60ce9dd5870ee7782babb2101dc28f2ec6ade1d93bd0638"
    "312de92e106578706c616e6174696f6e2e7465787453215d2d320bdff37d60e7"
    "0cc2be9ad7ec94ab3e214721b194f568ce390b8826087265766965776572ccb5"
    "5eb10fdddfb5dd575a04fcb6771ba604c5f1a250b1c19dae4b23f07fc3710b64"
    "65636973696f6e5f696457f9632d33f83be539a90550c9c77768f0d6b6af5c92"
    "52d8a5464dacc29bfa880c6c6f73745f7265636f726473b65beb8da1da3112d1"
    "37628ff47b4753cb4b05467803e830fa92a9609e837b4f";
static const char v2_leaf_hash[] =
    "a5bd65ceacebf52b8d9c73cc75df6dc4ff45294896e670701ca26fdaf29fd636";

/* Vector 3: produced by tests/interop/leaf_vectors.py (clock skew). */
static const struct vec_unit v3_units[] = {
	{ "entry.receive_time_ns",
	    "a9ab04a0eadf77345417d7f8c44e6b7d",
	    "0417979cfe362a0000",
	    "e8765440bacf818f54206329ef8acc7c476dd9533a578aaa961f50dd"
	    "d8ffa7c2" },
	{ "entry.producer_id",
	    "118d0839624b268f5f16868c5ca0a919",
	    "010000000c667261756440656467652d33",
	    "1b11e1a30de8551641446e1b9ab2c68f02a868ea23e956d0bfc82ef8"
	    "edd6671a" },
	{ "entry.peer",
	    "2eaae5fe6c10cfad1e0727cb2b7802d9",
	    "0800000023040100000009434e3d656467652d3305010000000e3130"
	    "2e302e302e333a3530323132",
	    "6d1a74b5a38bdd9c2b7590239e1fdde934b4d90d05c0c60bf441f178"
	    "06cb010f" },
	{ "entry.clock_skewed",
	    "99e6e05b627ae8c8953f568a2670a552",
	    "0601",
	    "ea958e26434df543331957a775647c4297d77801d657024b126c1d34"
	    "1b41dc28" },
	{ "producer_seq",
	    "e53d52e5d2cf816caeda29f2493f1b5c",
	    "030000000000000001",
	    "78a85b78ba1f562c6bcf3639693f1feaf60bc60bff3ffff82216d7a8"
	    "e382fe07" },
	{ "event_time_ns",
	    "cce713a712b2476b0a64b0332468c52f",
	    "041797a04466e2a000",
	    "398a74874f14627f1a69e0a27c0a6df075d1426b75027a239e30c426"
	    "e85d305e" },
	{ "algorithm",
	    "279eeca9508b57fe00d4a7a73bb4dfff",
	    "080000001801010000000b66726175642d626c6f636b020100000001"
	    "31",
	    "f6837e24bd4c98a9766ba2ae447c089c39cb9287334da82d85b9335f"
	    "e6a67797" },
	{ "decision",
	    "3c1eba8d898db2fa745b28d4ef709af6",
	    "0100000005626c6f636b",
	    "0cffd2b505ee30d7955f507454d6ef19855dc9d696360de514d9ce0e"
	    "9724f1a1" },
	{ "data_class",
	    "161b67a432dc01a0304254450d5c2c3e",
	    "0700000001",
	    "e3be968ab704863e8dcf84f5896520b8d8c291d1b521dda251eaef2c"
	    "a27f79fa" },
};
static const char v3_secret[] =
    "7be9d922e0fae4de9e903207c582adc702f1c7ee4b9647f343b096493d7d0864";
static const char v3_leaf_bytes[] =
    "616c6761756469742f76312f6c65616600000000000000070000000915656e74"
    "72792e726563656976655f74696d655f6e73e8765440bacf818f54206329ef8a"
    "cc7c476dd9533a578aaa961f50ddd8ffa7c211656e7472792e70726f64756365"
    "725f69641b11e1a30de8551641446e1b9ab2c68f02a868ea23e956d0bfc82ef8"
    "edd6671a0a656e7472792e706565726d1a74b5a38bdd9c2b7590239e1fdde934"
    "b4d90d05c0c60bf441f17806cb010f12656e7472792e636c6f636b5f736b6577"
    "6564ea958e26434df543331957a775647c4297d77801d657024b126c1d341b41"
    "dc280c70726f64756365725f73657178a85b78ba1f562c6bcf3639693f1feaf6"
    "0bc60bff3ffff82216d7a8e382fe070d6576656e745f74696d655f6e73398a74"
    "874f14627f1a69e0a27c0a6df075d1426b75027a239e30c426e85d305e09616c"
    "676f726974686df6837e24bd4c98a9766ba2ae447c089c39cb9287334da82d85"
    "b9335fe6a67797086465636973696f6e0cffd2b505ee30d7955f507454d6ef19"
    "855dc9d696360de514d9ce0e9724f1a10a646174615f636c617373e3be968ab7"
    "04863e8dcf84f5896520b8d8c291d1b521dda251eaef2ca27f79fa";
static const char v3_leaf_hash[] =
    "bdb7b016818232b939f6bbeeaddd741fd1d5b7d48be9a2600d4fbe78ec6461e3";

/* The master secret of the vectors: bytes 0x00 to 0x1f. */
static void
vec_master(uint8_t *m)
{
	int i;

	for (i = 0; i < LEAF_SECRET_LEN; i++)
		m[i] = (uint8_t)i;
}

/* Decodes hex into a new buffer; *n gets its length. */
static uint8_t *
unhex(const char *hex, size_t *n)
{
	size_t i, len = strlen(hex) / 2;
	uint8_t *b;
	unsigned int v;

	b = malloc(len + 1);
	ck_assert_ptr_nonnull(b);
	for (i = 0; i < len; i++) {
		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	*n = len;
	return b;
}

/* Whether n bytes equal the hex string want. */
static int
hex_eq(const uint8_t *got, size_t n, const char *want)
{
	uint8_t *w;
	size_t wn;
	int eq;

	w = unhex(want, &wn);
	eq = wn == n && memcmp(got, w, n) == 0;
	free(w);
	return eq;
}

/* Checks that n bytes equal the hex string want. */
static void
assert_hex(const uint8_t *got, size_t n, const char *want, const char *what)
{
	uint8_t *w;
	size_t wn;

	w = unhex(want, &wn);
	ck_assert_msg(wn == n && memcmp(got, w, n) == 0,
	    "%s: %zu bytes differ from the vector (%zu bytes)", what, n, wn);
	free(w);
}

/* Strings protobuf-c can point at (it wants char *). */
struct pool {
	char	 buf[4096];
	size_t	 used;
};

/* A copy of s in the pool. */
static char *
ps(struct pool *p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *r;

	ck_assert_uint_le(n, sizeof(p->buf) - p->used);
	r = memcpy(p->buf + p->used, s, n);
	p->used += n;
	return r;
}

/* Storage of a test entry. */
struct tentry {
	Algaudit__V1__Entry		 e;
	Algaudit__V1__Peer		 peer;
	Algaudit__V1__DecisionRecord	 r;
	Algaudit__V1__Algorithm		 alg;
	Algaudit__V1__Input		 in[3];
	Algaudit__V1__Input		*inp[3];
	Algaudit__V1__Explanation	 x;
	Algaudit__V1__Attribution	 at[2];
	Algaudit__V1__Attribution	*atp[2];
	char				*rc[1];
	Algaudit__V1__Label		 lb[1];
	Algaudit__V1__Label		*lbp[1];
	uint8_t				 digest[4];
	struct pool			 pool;
};

/* The entry of vector 1 (docs/VERIFIABLE.md). */
static void
tentry_v1(struct tentry *t)
{
	struct pool *p = &t->pool;

	memset(t, 0, sizeof(*t));
	algaudit__v1__entry__init(&t->e);
	algaudit__v1__peer__init(&t->peer);
	algaudit__v1__decision_record__init(&t->r);
	algaudit__v1__algorithm__init(&t->alg);
	algaudit__v1__explanation__init(&t->x);
	t->e.has_index = 1;
	t->e.index = 42;
	t->e.has_receive_time_ns = 1;
	t->e.receive_time_ns = 1700000000123456789LL;
	t->e.producer_id = ps(p, "credit-api@host-7");
	t->peer.has_uid = t->peer.has_gid = t->peer.has_pid = 1;
	t->peer.uid = t->peer.gid = 1000;
	t->peer.pid = 4242;
	t->peer.address = ps(p, "unix");
	t->e.peer = &t->peer;
	t->e.record = &t->r;
	t->r.has_producer_seq = 1;
	t->r.producer_seq = 7;
	t->r.has_event_time_ns = 1;
	t->r.event_time_ns = 1700000000000000000LL;
	t->alg.id = ps(p, "credit-score");
	t->alg.version = ps(p, "2.3.1");
	t->alg.has_type = 1;
	t->alg.type =
	    ALGAUDIT__V1__ALGORITHM_TYPE__ALGORITHM_TYPE_SCHEDULING_DECISION;
	t->alg.filing_number = ps(p, "CN-ALG-2024-0042");
	t->r.algorithm = &t->alg;
	t->r.subject = ps(p, "s:9f2c5e0a41b7d3c8");
	t->r.decision = ps(p, "approve");
	t->r.has_score = 1;
	t->r.score = 0.82;
	algaudit__v1__input__init(&t->in[0]);
	t->in[0].name = ps(p, "income");
	t->in[0].value_case = ALGAUDIT__V1__INPUT__VALUE_NUMBER;
	t->in[0].number = 52000.0;
	t->in[0].has_data_class = 1;
	t->in[0].data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
	algaudit__v1__input__init(&t->in[1]);
	t->in[1].name = ps(p, "region");
	t->in[1].value_case = ALGAUDIT__V1__INPUT__VALUE_TEXT;
	t->in[1].text = ps(p, "north");
	t->in[1].has_data_class = 1;
	t->in[1].data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	algaudit__v1__input__init(&t->in[2]);
	t->in[2].name = ps(p, "has_default");
	t->in[2].value_case = ALGAUDIT__V1__INPUT__VALUE_FLAG;
	t->in[2].flag = 0;
	t->in[2].has_data_class = 1;
	t->in[2].data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	t->inp[0] = &t->in[0];
	t->inp[1] = &t->in[1];
	t->inp[2] = &t->in[2];
	t->r.n_inputs = 3;
	t->r.inputs = t->inp;
	algaudit__v1__attribution__init(&t->at[0]);
	t->at[0].feature = ps(p, "income");
	t->at[0].has_weight = 1;
	t->at[0].weight = 0.41;
	algaudit__v1__attribution__init(&t->at[1]);
	t->at[1].feature = ps(p, "region");
	t->at[1].has_weight = 1;
	t->at[1].weight = -0.05;
	t->atp[0] = &t->at[0];
	t->atp[1] = &t->at[1];
	t->x.n_attributions = 2;
	t->x.attributions = t->atp;
	t->rc[0] = ps(p, "R01");
	t->x.n_reason_codes = 1;
	t->x.reason_codes = t->rc;
	t->r.explanation = &t->x;
	t->r.has_automation = 1;
	t->r.automation = ALGAUDIT__V1__AUTOMATION__AUTOMATION_FULLY_AUTOMATED;
	t->r.has_data_class = 1;
	t->r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT;
	t->r.jurisdiction = ps(p, "CN");
	t->r.purpose = ps(p, "credit-limit");
	t->r.trace_id = ps(p, "4bf92f3577b34da6");
	algaudit__v1__label__init(&t->lb[0]);
	t->lb[0].key = ps(p, "channel");
	t->lb[0].value = ps(p, "app");
	t->lbp[0] = &t->lb[0];
	t->r.n_labels = 1;
	t->r.labels = t->lbp;
}

/* The entry of vector 2: the other types and the edges. */
static void
tentry_v2(struct tentry *t)
{
	struct pool *p = &t->pool;

	memset(t, 0, sizeof(*t));
	algaudit__v1__entry__init(&t->e);
	algaudit__v1__decision_record__init(&t->r);
	algaudit__v1__explanation__init(&t->x);
	t->e.has_index = 1;
	t->e.index = 0;
	t->e.producer_id = ps(p, "batch-job");
	t->e.record = &t->r;
	t->r.has_producer_seq = 1;
	t->r.producer_seq = UINT64_MAX;
	t->r.has_event_time_ns = 1;
	t->r.event_time_ns = -1;
	t->r.subject = ps(p, "");
	t->r.has_score = 1;
	t->r.score = -0.0;
	t->digest[0] = 0xde;
	t->digest[1] = 0xad;
	t->digest[2] = 0xbe;
	t->digest[3] = 0xef;
	t->r.has_input_digest = 1;
	t->r.input_digest.data = t->digest;
	t->r.input_digest.len = 4;
	t->x.text = ps(p, "\xe6\x94\xb6\xe5\x85\xa5\xe9\xab\x98\xe4\xba\x8e"
	    "\xe9\x98\x88\xe5\x80\xbc");
	t->r.explanation = &t->x;
	t->r.reviewer = ps(p, "alice");
	t->r.decision_id = ps(p, "d-1");
	t->r.has_lost_records = 1;
	t->r.lost_records = 3;
}

/*
 * The entry of vector 3: an event time an hour after the receipt,
 * flagged by the daemon; a TLS peer.
 */
static void
tentry_v3(struct tentry *t)
{
	struct pool *p = &t->pool;

	memset(t, 0, sizeof(*t));
	algaudit__v1__entry__init(&t->e);
	algaudit__v1__peer__init(&t->peer);
	algaudit__v1__decision_record__init(&t->r);
	algaudit__v1__algorithm__init(&t->alg);
	t->e.has_index = 1;
	t->e.index = 7;
	t->e.has_receive_time_ns = 1;
	t->e.receive_time_ns = 1700000000000000000LL;
	t->e.producer_id = ps(p, "fraud@edge-3");
	t->peer.tls_subject = ps(p, "CN=edge-3");
	t->peer.address = ps(p, "10.0.0.3:50212");
	t->e.peer = &t->peer;
	t->e.has_clock_skewed = 1;
	t->e.clock_skewed = 1;
	t->e.record = &t->r;
	t->r.has_producer_seq = 1;
	t->r.producer_seq = 1;
	t->r.has_event_time_ns = 1;
	t->r.event_time_ns = 1700003600000000000LL;
	t->alg.id = ps(p, "fraud-block");
	t->alg.version = ps(p, "1");
	t->r.algorithm = &t->alg;
	t->r.decision = ps(p, "block");
	t->r.has_data_class = 1;
	t->r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
}

/* Master key, workspace and the entries of the fixture. */
static struct leaf_key *key;
static struct leaf_ctx *ctx;

/* Fixture: the vectors' master key and a workspace. */
static void
setup(void)
{
	uint8_t m[LEAF_SECRET_LEN];

	vec_master(m);
	ck_assert_int_eq(leaf_key_new(&key, m), 0);
	ck_assert_int_eq(leaf_ctx_new(&ctx), 0);
}

/* Frees the fixture. */
static void
teardown(void)
{
	leaf_ctx_free(ctx);
	leaf_key_free(key);
	ctx = NULL;
	key = NULL;
}

/* Checks a computed leaf against a vector, unit by unit. */
static void
check_vector(const Algaudit__V1__Entry *e, const struct vec_unit *v,
    size_t n, const char *secret, const char *bytes, const char *hash)
{
	const struct leaf_unit *u;
	uint8_t h[LEAF_HASH_LEN], s[LEAF_SECRET_LEN];
	const uint8_t *lb;
	size_t i, len;

	leaf_entry_secret(key, e->index, s);
	assert_hex(s, sizeof(s), secret, "entry secret");
	ck_assert_int_eq(leaf_compute(ctx, key, e, h), 0);
	ck_assert_uint_eq(leaf_ctx_units(ctx), n);
	for (i = 0; i < n; i++) {
		u = leaf_ctx_unit(ctx, i);
		ck_assert_ptr_nonnull(u);
		ck_assert_str_eq(u->lu_path, v[i].path);
		ck_assert_uint_eq(u->lu_pathlen, strlen(v[i].path));
		assert_hex(u->lu_salt, LEAF_SALT_LEN, v[i].salt, v[i].path);
		assert_hex(u->lu_value, u->lu_valuelen, v[i].value,
		    v[i].path);
		assert_hex(u->lu_commit, LEAF_COMMIT_LEN, v[i].commit,
		    v[i].path);
	}
	ck_assert_ptr_null(leaf_ctx_unit(ctx, n));
	lb = leaf_ctx_bytes(ctx, &len);
	assert_hex(lb, len, bytes, "leaf bytes");
	assert_hex(h, sizeof(h), hash, "leaf hash");
	/* The leaf hash is the RFC 6962 hash of the leaf bytes. */
	merkle_hash_leaf(lb, len, s);
	ck_assert_mem_eq(s, h, LEAF_HASH_LEN);
}

START_TEST(test_vector1)
{
	struct tentry t;

	tentry_v1(&t);
	check_vector(&t.e, v1_units, sizeof(v1_units) / sizeof(*v1_units),
	    v1_secret, v1_leaf_bytes, v1_leaf_hash);
}
END_TEST

START_TEST(test_vector2)
{
	struct tentry t;

	tentry_v2(&t);
	check_vector(&t.e, v2_units, sizeof(v2_units) / sizeof(*v2_units),
	    v2_secret, v2_leaf_bytes, v2_leaf_hash);
}
END_TEST

START_TEST(test_vector3)
{
	struct tentry t;

	tentry_v3(&t);
	check_vector(&t.e, v3_units, sizeof(v3_units) / sizeof(*v3_units),
	    v3_secret, v3_leaf_bytes, v3_leaf_hash);
}
END_TEST

/* The same workspace serves entries of any size, in any order. */
START_TEST(test_ctx_reuse)
{
	struct tentry t1, t2;
	uint8_t h1[LEAF_HASH_LEN], h2[LEAF_HASH_LEN];

	tentry_v1(&t1);
	tentry_v2(&t2);
	ck_assert_int_eq(leaf_compute(ctx, key, &t2.e, h2), 0);
	ck_assert_int_eq(leaf_compute(ctx, key, &t1.e, h1), 0);
	assert_hex(h1, sizeof(h1), v1_leaf_hash, "v1 after v2");
	ck_assert_int_eq(leaf_compute(ctx, key, &t2.e, h2), 0);
	assert_hex(h2, sizeof(h2), v2_leaf_hash, "v2 after v1");
	ck_assert_str_eq(leaf_ctx_errmsg(ctx), "");
}
END_TEST

/* The entry secret is HMAC-SHA-256 as OpenSSL's HMAC computes it. */
START_TEST(test_entry_secret)
{
	uint8_t m[LEAF_SECRET_LEN], s[LEAF_SECRET_LEN], want[64];
	uint8_t msg[17 + 8];
	unsigned int wl;
	uint64_t idx[] = { 0, 1, 42, 255, 256, UINT64_MAX };
	size_t i;
	int b;

	vec_master(m);
	for (i = 0; i < sizeof(idx) / sizeof(*idx); i++) {
		memcpy(msg, "algaudit/v1/entry", 17);
		for (b = 0; b < 8; b++)
			msg[17 + b] = (uint8_t)(idx[i] >> (56 - 8 * b));
		ck_assert_ptr_nonnull(HMAC(EVP_sha256(), m, sizeof(m), msg,
		    sizeof(msg), want, &wl));
		leaf_entry_secret(key, idx[i], s);
		ck_assert_mem_eq(s, want, sizeof(s));
	}
}
END_TEST

/* From the entry secret alone, the same leaf. */
START_TEST(test_compute_secret)
{
	struct tentry t;
	uint8_t s[LEAF_SECRET_LEN], *want, h[LEAF_HASH_LEN];
	size_t n;

	tentry_v1(&t);
	want = unhex(v1_secret, &n);
	memcpy(s, want, sizeof(s));
	free(want);
	ck_assert_int_eq(leaf_compute_secret(ctx, s, &t.e, h), 0);
	assert_hex(h, sizeof(h), v1_leaf_hash, "leaf hash from secret");
	/* Another secret: other salts, so another leaf. */
	s[0] ^= 1;
	ck_assert_int_eq(leaf_compute_secret(ctx, s, &t.e, h), 0);
	ck_assert(!hex_eq(h, sizeof(h), v1_leaf_hash));
}
END_TEST

/* Claims for the units of the last leaf; mask bit i withholds unit i. */
static struct leaf_claim *
claims_from_ctx(uint64_t mask)
{
	const struct leaf_unit *u;
	struct leaf_claim *cl;
	size_t i, n = leaf_ctx_units(ctx);

	cl = calloc(n + 1, sizeof(*cl));
	ck_assert_ptr_nonnull(cl);
	for (i = 0; i < n; i++) {
		u = leaf_ctx_unit(ctx, i);
		cl[i].lc_path = u->lu_path;
		cl[i].lc_pathlen = u->lu_pathlen;
		if (i < 64 && (mask >> i & 1) != 0)
			cl[i].lc_commit = u->lu_commit;
		else {
			cl[i].lc_value = u->lu_value;
			cl[i].lc_valuelen = u->lu_valuelen;
			cl[i].lc_salt = u->lu_salt;
		}
	}
	return cl;
}

/* A deterministic pseudo-random sequence. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Withholding any set of units leaves the leaf hash unchanged. */
START_TEST(test_claims_withhold)
{
	struct tentry t;
	struct leaf_claim *cl;
	uint8_t h[LEAF_HASH_LEN], h2[LEAF_HASH_LEN];
	uint64_t mask, seed = 0x1234567887654321ULL, all;
	size_t n, i;
	char err[128];

	tentry_v1(&t);
	ck_assert_int_eq(leaf_compute(ctx, key, &t.e, h), 0);
	n = leaf_ctx_units(ctx);
	all = ((uint64_t)1 << n) - 1;
	for (i = 0; i < 2 * n + 302; i++) {
		if (i < n)
			mask = (uint64_t)1 << i;	/* one withheld */
		else if (i < 2 * n)
			mask = all & ~((uint64_t)1 << (i - n));	/* one shown */
		else if (i == 2 * n)
			mask = 0;
		else if (i == 2 * n + 1)
			mask = all;
		else
			mask = rnd(&seed) & all;
		cl = claims_from_ctx(mask);
		ck_assert_int_eq(leaf_hash_claims(t.e.index, cl, n, h2, err,
		    sizeof(err)), 0);
		ck_assert_mem_eq(h, h2, sizeof(h));
		free(cl);
	}
	assert_hex(h, sizeof(h), v1_leaf_hash, "leaf hash");
}
END_TEST

/* Any change to a claim changes the leaf hash. */
START_TEST(test_claims_tamper)
{
	struct tentry t;
	struct leaf_claim *cl, tmp;
	uint8_t h[LEAF_HASH_LEN], h2[LEAF_HASH_LEN], val[512], salt[16];
	uint8_t cm[LEAF_COMMIT_LEN];
	char path[LEAF_PATH_MAX];
	size_t n, i, b;

	tentry_v1(&t);
	ck_assert_int_eq(leaf_compute(ctx, key, &t.e, h), 0);
	n = leaf_ctx_units(ctx);
	/* Disclosed units (even), withheld ones (odd). */
	cl = claims_from_ctx(0xaaaaaaaaaaaaaaaaULL);
	ck_assert_int_eq(leaf_hash_claims(42, cl, n, h2, NULL, 0), 0);
	ck_assert_mem_eq(h, h2, sizeof(h));
	for (i = 0; i < n; i++) {
		tmp = cl[i];
		if (cl[i].lc_value != NULL) {
			/* Every byte of a disclosed value. */
			ck_assert_uint_le(cl[i].lc_valuelen, sizeof(val));
			for (b = 0; b < cl[i].lc_valuelen; b++) {
				memcpy(val, tmp.lc_value, tmp.lc_valuelen);
				val[b] ^= 0x01;
				cl[i].lc_value = val;
				leaf_hash_claims(42, cl, n, h2, NULL, 0);
				ck_assert_mem_ne(h, h2, sizeof(h));
			}
			/* A byte more or less. */
			memcpy(val, tmp.lc_value, tmp.lc_valuelen);
			val[tmp.lc_valuelen] = 0;
			cl[i].lc_valuelen = tmp.lc_valuelen + 1;
			leaf_hash_claims(42, cl, n, h2, NULL, 0);
			ck_assert_mem_ne(h, h2, sizeof(h));
			cl[i].lc_valuelen = tmp.lc_valuelen - 1;
			leaf_hash_claims(42, cl, n, h2, NULL, 0);
			ck_assert_mem_ne(h, h2, sizeof(h));
			cl[i] = tmp;
			/* The salt. */
			memcpy(salt, tmp.lc_salt, sizeof(salt));
			salt[15] ^= 0x80;
			cl[i].lc_salt = salt;
			leaf_hash_claims(42, cl, n, h2, NULL, 0);
			ck_assert_mem_ne(h, h2, sizeof(h));
		} else {
			memcpy(cm, tmp.lc_commit, sizeof(cm));
			cm[i % sizeof(cm)] ^= 0x04;
			cl[i].lc_commit = cm;
			leaf_hash_claims(42, cl, n, h2, NULL, 0);
			ck_assert_mem_ne(h, h2, sizeof(h));
		}
		cl[i] = tmp;
		/* The path. */
		memcpy(path, tmp.lc_path, tmp.lc_pathlen);
		path[0] ^= 0x20;
		cl[i].lc_path = path;
		leaf_hash_claims(42, cl, n, h2, NULL, 0);
		ck_assert_mem_ne(h, h2, sizeof(h));
		cl[i] = tmp;
	}
	/* Swapping two units, or two commitments, or two values. */
	for (i = 0; i + 1 < n; i++) {
		tmp = cl[i];
		cl[i] = cl[i + 1];
		cl[i + 1] = tmp;
		leaf_hash_claims(42, cl, n, h2, NULL, 0);
		ck_assert_mem_ne(h, h2, sizeof(h));
		cl[i + 1] = cl[i];
		cl[i] = tmp;
	}
	free(cl);
	cl = claims_from_ctx(~(uint64_t)0);
	for (i = 0; i + 1 < n; i++) {
		const uint8_t *c = cl[i].lc_commit;

		cl[i].lc_commit = cl[i + 1].lc_commit;
		cl[i + 1].lc_commit = c;
		leaf_hash_claims(42, cl, n, h2, NULL, 0);
		ck_assert_mem_ne(h, h2, sizeof(h));
		cl[i + 1].lc_commit = cl[i].lc_commit;
		cl[i].lc_commit = c;
	}
	free(cl);
	cl = claims_from_ctx(0);
	{
		const uint8_t *v = cl[3].lc_value;
		size_t vl = cl[3].lc_valuelen;

		/* producer_seq and event_time_ns: both 9-byte integers. */
		cl[3].lc_value = cl[4].lc_value;
		cl[3].lc_valuelen = cl[4].lc_valuelen;
		cl[4].lc_value = v;
		cl[4].lc_valuelen = vl;
		leaf_hash_claims(42, cl, n, h2, NULL, 0);
		ck_assert_mem_ne(h, h2, sizeof(h));
		cl[4].lc_value = cl[3].lc_value;
		cl[4].lc_valuelen = cl[3].lc_valuelen;
		cl[3].lc_value = v;
		cl[3].lc_valuelen = vl;
	}
	/* Another index, a unit dropped or duplicated. */
	leaf_hash_claims(43, cl, n, h2, NULL, 0);
	ck_assert_mem_ne(h, h2, sizeof(h));
	leaf_hash_claims(42, cl, n - 1, h2, NULL, 0);
	ck_assert_mem_ne(h, h2, sizeof(h));
	leaf_hash_claims(42, cl + 1, n - 1, h2, NULL, 0);
	ck_assert_mem_ne(h, h2, sizeof(h));
	cl[n] = cl[n - 1];
	leaf_hash_claims(42, cl, n + 1, h2, NULL, 0);
	ck_assert_mem_ne(h, h2, sizeof(h));
	ck_assert_int_eq(leaf_hash_claims(42, cl, n, h2, NULL, 0), 0);
	ck_assert_mem_eq(h, h2, sizeof(h));
	free(cl);
}
END_TEST

/* Malformed claims are refused with a message naming the unit. */
START_TEST(test_claims_bad)
{
	struct tentry t;
	struct leaf_claim *cl;
	uint8_t h[LEAF_HASH_LEN];
	char err[128], longpath[80];
	size_t n;

	tentry_v1(&t);
	ck_assert_int_eq(leaf_compute(ctx, key, &t.e, h), 0);
	n = leaf_ctx_units(ctx);
	cl = claims_from_ctx(0);
	cl[2].lc_commit = leaf_ctx_unit(ctx, 2)->lu_commit;
	ck_assert_int_eq(leaf_hash_claims(42, cl, n, h, err, sizeof(err)),
	    LEAF_ECLAIM);
	ck_assert_ptr_nonnull(strstr(err, "unit 2 (entry.peer)"));
	cl[2].lc_value = NULL;
	ck_assert_int_eq(leaf_hash_claims(42, cl, n, h, err, sizeof(err)),
	    LEAF_ECLAIM);
	cl[2].lc_commit = NULL;
	ck_assert_int_eq(leaf_hash_claims(42, cl, n, h, err, sizeof(err)),
	    LEAF_ECLAIM);
	free(cl);
	cl = claims_from_ctx(0);
	cl[5].lc_pathlen = 0;
	ck_assert_int_eq(leaf_hash_claims(42, cl, n, h, err, sizeof(err)),
	    LEAF_EPATH);
	ck_assert_ptr_nonnull(strstr(err, "unit 5"));
	memset(longpath, 'a', sizeof(longpath));
	cl[5].lc_path = longpath;
	cl[5].lc_pathlen = LEAF_PATH_MAX;
	ck_assert_int_eq(leaf_hash_claims(42, cl, n, h, NULL, 0),
	    LEAF_EPATH);
	cl[5].lc_path = NULL;
	cl[5].lc_pathlen = 3;
	ck_assert_int_eq(leaf_hash_claims(42, cl, n, h, NULL, 0),
	    LEAF_EPATH);
	free(cl);
}
END_TEST

/* The commitment function matches the units and the vector. */
START_TEST(test_commit)
{
	uint8_t *salt, *val, c[LEAF_COMMIT_LEN];
	size_t sn, vn, i;

	for (i = 0; i < sizeof(v1_units) / sizeof(*v1_units); i++) {
		salt = unhex(v1_units[i].salt, &sn);
		val = unhex(v1_units[i].value, &vn);
		ck_assert_uint_eq(sn, LEAF_SALT_LEN);
		leaf_commit(salt, val, vn, c);
		assert_hex(c, sizeof(c), v1_units[i].commit, v1_units[i].path);
		free(salt);
		free(val);
	}
}
END_TEST

/* Computes the leaf hash of the fixture entry into h. */
static void
hash_of(struct tentry *t, uint8_t *h)
{
	ck_assert_int_eq(leaf_compute(ctx, key, &t->e, h), 0);
}

/* Every field, and the presence of every field, is bound. */
START_TEST(test_entry_bound)
{
	struct tentry t;
	uint8_t base[LEAF_HASH_LEN], h[LEAF_HASH_LEN];
	int k;

	tentry_v1(&t);
	hash_of(&t, base);
	for (k = 0; k < 40; k++) {
		tentry_v1(&t);
		switch (k) {
		case 0: t.e.index = 43; break;
		case 1: t.e.receive_time_ns++; break;
		case 2: t.e.has_receive_time_ns = 0; break;
		case 3: t.e.producer_id[0] = 'C'; break;
		case 4: t.e.producer_id = NULL; break;
		case 5: t.peer.pid++; break;
		case 6: t.peer.has_gid = 0; break;
		case 7: t.e.peer = NULL; break;
		case 8: t.peer.tls_subject = ps(&t.pool, ""); break;
		case 9: t.r.producer_seq++; break;
		case 10: t.r.has_producer_seq = 0; break;
		case 11: t.r.event_time_ns--; break;
		case 12: t.alg.version[0] = '3'; break;
		case 13: t.alg.has_type = 0; break;
		case 14: t.r.algorithm = NULL; break;
		case 15: t.alg.has_model_digest = 1; break;
		case 16: t.r.subject = NULL; break;
		case 17: t.r.decision[0] = 'd'; break;
		case 18: t.r.score = 0.83; break;
		case 19: t.r.has_score = 0; break;
		case 20: t.in[0].number = 52001.0; break;
		case 21: t.in[1].value_case =
			    ALGAUDIT__V1__INPUT__VALUE__NOT_SET; break;
		case 22: t.in[2].flag = 1; break;
		case 23: t.in[2].data_class =
			    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE; break;
		case 24: t.r.n_inputs = 2; break;
		case 25: t.inp[0] = &t.in[1]; t.inp[1] = &t.in[0]; break;
		case 26: t.at[1].weight = 0.05; break;
		case 27: t.x.n_attributions = 1; break;
		case 28: t.rc[0][2] = '2'; break;
		case 29: t.x.text = ps(&t.pool, "x"); break;
		case 30: t.r.explanation = NULL; break;
		case 31: t.r.automation = (Algaudit__V1__Automation)
			    (t.r.automation + 1); break;
		case 32: t.r.reviewer = ps(&t.pool, "bob"); break;
		case 33: t.r.has_data_class = 0; break;
		case 34: t.r.jurisdiction = ps(&t.pool, "DE"); break;
		case 35: t.r.purpose = ps(&t.pool, ""); break;
		case 36: t.r.trace_id = NULL; break;
		case 37: t.r.decision_id = ps(&t.pool, "d"); break;
		case 38: t.lb[0].value = NULL; break;
		case 39: t.r.has_lost_records = 1; break;
		}
		hash_of(&t, h);
		ck_assert_msg(memcmp(h, base, sizeof(h)) != 0,
		    "change %d left the leaf hash unchanged", k);
	}
	/* -0.0 and 0.0 are different bits, so different leaves. */
	tentry_v1(&t);
	t.r.score = 0.0;
	hash_of(&t, base);
	t.r.score = -0.0;
	hash_of(&t, h);
	ck_assert_mem_ne(h, base, sizeof(h));
}
END_TEST

/*
 * The clock-skew flag is a unit of its own after the other daemon
 * units, present only when the field is: without it an entry binds
 * exactly as before the flag existed (vectors 1 and 2 hold), and its
 * presence and its value are both bound.
 */
START_TEST(test_clock_skewed)
{
	struct tentry t;
	uint8_t flagged[LEAF_HASH_LEN], unset[LEAF_HASH_LEN];
	uint8_t off[LEAF_HASH_LEN];
	size_t n = sizeof(v3_units) / sizeof(*v3_units);

	tentry_v3(&t);
	hash_of(&t, flagged);
	ck_assert_str_eq(leaf_ctx_unit(ctx, 3)->lu_path, "entry.clock_skewed");
	t.e.has_clock_skewed = 0;
	hash_of(&t, unset);
	ck_assert_uint_eq(leaf_ctx_units(ctx), n - 1);
	ck_assert_str_eq(leaf_ctx_unit(ctx, 3)->lu_path, "producer_seq");
	ck_assert_mem_ne(flagged, unset, LEAF_HASH_LEN);
	/* A present false is a unit too, and binds its value. */
	t.e.has_clock_skewed = 1;
	t.e.clock_skewed = 0;
	hash_of(&t, off);
	ck_assert_uint_eq(leaf_ctx_units(ctx), n);
	ck_assert_uint_eq(leaf_ctx_unit(ctx, 3)->lu_valuelen, 2);
	ck_assert_mem_eq(leaf_ctx_unit(ctx, 3)->lu_value, "\x06\x00", 2);
	ck_assert_mem_ne(off, flagged, LEAF_HASH_LEN);
	ck_assert_mem_ne(off, unset, LEAF_HASH_LEN);
	/* A value other than 1 as protobuf-c may hold it is still true. */
	t.e.clock_skewed = 2;
	hash_of(&t, off);
	ck_assert_mem_eq(off, flagged, LEAF_HASH_LEN);
	/* The flag on the entry of vector 1 changes its leaf. */
	tentry_v1(&t);
	t.e.has_clock_skewed = 1;
	t.e.clock_skewed = 1;
	hash_of(&t, off);
	ck_assert(!hex_eq(off, sizeof(off), v1_leaf_hash));
	ck_assert_str_eq(leaf_ctx_unit(ctx, 3)->lu_path, "entry.clock_skewed");
}
END_TEST

/* An explanation with nothing set binds exactly like none. */
START_TEST(test_empty_explanation)
{
	struct tentry t;
	uint8_t a[LEAF_HASH_LEN], b[LEAF_HASH_LEN];

	tentry_v1(&t);
	t.x.n_attributions = 0;
	t.x.n_reason_codes = 0;
	hash_of(&t, a);
	ck_assert_uint_eq(leaf_ctx_units(ctx), 18);
	t.r.explanation = NULL;
	hash_of(&t, b);
	ck_assert_mem_eq(a, b, sizeof(a));
}
END_TEST

/* The stored (packed, then unpacked) entry gives the same leaf. */
START_TEST(test_unpacked)
{
	struct tentry t;
	Algaudit__V1__Entry *u;
	uint8_t *buf, h[LEAF_HASH_LEN];
	size_t len;

	tentry_v1(&t);
	len = algaudit__v1__entry__get_packed_size(&t.e);
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(algaudit__v1__entry__pack(&t.e, buf), len);
	u = algaudit__v1__entry__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(leaf_compute(ctx, key, u, h), 0);
	assert_hex(h, sizeof(h), v1_leaf_hash, "unpacked entry");
	algaudit__v1__entry__free_unpacked(u, NULL);
	free(buf);
}
END_TEST

/*
 * Unpacks the vector-1 entry with extra bytes appended to its packed
 * form (an unknown field, as a newer producer might send).
 */
static Algaudit__V1__Entry *
unpack_with(const uint8_t *extra, size_t elen, int in_input)
{
	struct tentry t;
	Algaudit__V1__Entry *u;
	Algaudit__V1__Input *in;
	uint8_t *buf, *ib;
	size_t len, il;

	tentry_v1(&t);
	ib = NULL;
	if (in_input) {
		/* Re-pack input 1 with the extra bytes, as a new input. */
		il = algaudit__v1__input__get_packed_size(&t.in[1]);
		ib = malloc(il + elen);
		ck_assert_ptr_nonnull(ib);
		algaudit__v1__input__pack(&t.in[1], ib);
		memcpy(ib + il, extra, elen);
		in = algaudit__v1__input__unpack(NULL, il + elen, ib);
		ck_assert_ptr_nonnull(in);
		t.inp[1] = in;
	}
	len = algaudit__v1__entry__get_packed_size(&t.e);
	buf = malloc(len + elen);
	ck_assert_ptr_nonnull(buf);
	algaudit__v1__entry__pack(&t.e, buf);
	if (!in_input)
		memcpy(buf + len, extra, elen);
	else {
		algaudit__v1__input__free_unpacked(t.inp[1], NULL);
		elen = 0;
	}
	u = algaudit__v1__entry__unpack(NULL, len + elen, buf);
	ck_assert_ptr_nonnull(u);
	free(buf);
	free(ib);
	return u;
}

START_TEST(test_unknown_fields)
{
	/* Field 99, varint 1: tag (99 << 3) = 792 = 0x98 0x06. */
	static const uint8_t extra[] = { 0x98, 0x06, 0x01 };
	Algaudit__V1__Entry *u;
	uint8_t h[LEAF_HASH_LEN];

	u = unpack_with(extra, sizeof(extra), 0);
	ck_assert_int_eq(leaf_compute(ctx, key, u, h), LEAF_EUNKNOWN);
	ck_assert_ptr_nonnull(strstr(leaf_ctx_errmsg(ctx),
	    "entry: unknown field number 99"));
	ck_assert_uint_eq(leaf_ctx_units(ctx), 0);
	algaudit__v1__entry__free_unpacked(u, NULL);
	u = unpack_with(extra, sizeof(extra), 1);
	ck_assert_int_eq(leaf_compute(ctx, key, u, h), LEAF_EUNKNOWN);
	ck_assert_ptr_nonnull(strstr(leaf_ctx_errmsg(ctx),
	    "inputs[1]: unknown field number 99"));
	algaudit__v1__entry__free_unpacked(u, NULL);
}
END_TEST

/* An entry without index or record is refused, naming what lacks. */
START_TEST(test_invalid)
{
	struct tentry t;
	uint8_t h[LEAF_HASH_LEN];

	tentry_v1(&t);
	t.e.has_index = 0;
	ck_assert_int_eq(leaf_compute(ctx, key, &t.e, h), LEAF_EINVAL);
	ck_assert_str_eq(leaf_ctx_errmsg(ctx), "entry: index missing");
	ck_assert_uint_eq(leaf_ctx_units(ctx), 0);
	tentry_v1(&t);
	t.e.record = NULL;
	ck_assert_int_eq(leaf_compute(ctx, key, &t.e, h), LEAF_EINVAL);
	ck_assert_str_eq(leaf_ctx_errmsg(ctx), "entry 42: record missing");
	/* The ctx recovers. */
	tentry_v1(&t);
	ck_assert_int_eq(leaf_compute(ctx, key, &t.e, h), 0);
	assert_hex(h, sizeof(h), v1_leaf_hash, "after errors");
}
END_TEST

/* A large entry: 256 inputs and attributions, 64 labels. */
START_TEST(test_many_units)
{
	Algaudit__V1__Entry e = ALGAUDIT__V1__ENTRY__INIT;
	Algaudit__V1__DecisionRecord r = ALGAUDIT__V1__DECISION_RECORD__INIT;
	Algaudit__V1__Explanation x = ALGAUDIT__V1__EXPLANATION__INIT;
	Algaudit__V1__Input *in, **inp;
	Algaudit__V1__Attribution *at, **atp;
	struct leaf_claim *cl;
	const struct leaf_unit *u;
	uint8_t h[LEAF_HASH_LEN], h2[LEAF_HASH_LEN];
	char name[] = "f";
	size_t i, n;

	in = calloc(256, sizeof(*in));
	inp = calloc(256, sizeof(*inp));
	at = calloc(256, sizeof(*at));
	atp = calloc(256, sizeof(*atp));
	ck_assert(in && inp && at && atp);
	for (i = 0; i < 256; i++) {
		algaudit__v1__input__init(&in[i]);
		in[i].name = name;
		in[i].value_case = ALGAUDIT__V1__INPUT__VALUE_NUMBER;
		in[i].number = (double)i;
		inp[i] = &in[i];
		algaudit__v1__attribution__init(&at[i]);
		at[i].feature = name;
		atp[i] = &at[i];
	}
	e.has_index = 1;
	e.index = 7;
	e.record = &r;
	r.n_inputs = 256;
	r.inputs = inp;
	x.n_attributions = 256;
	x.attributions = atp;
	r.explanation = &x;
	ck_assert_int_eq(leaf_compute(ctx, key, &e, h), 0);
	n = leaf_ctx_units(ctx);
	ck_assert_uint_eq(n, 512);
	ck_assert_str_eq(leaf_ctx_unit(ctx, 255)->lu_path, "inputs[255]");
	ck_assert_str_eq(leaf_ctx_unit(ctx, 511)->lu_path,
	    "explanation.attributions[255]");
	/* Salts are distinct across the chunks of 16. */
	for (i = 1; i < n; i++) {
		u = leaf_ctx_unit(ctx, i);
		ck_assert_mem_ne(u->lu_salt, leaf_ctx_unit(ctx, i - 1)->lu_salt,
		    LEAF_SALT_LEN);
	}
	cl = claims_from_ctx(0x5555555555555555ULL);
	ck_assert_int_eq(leaf_hash_claims(7, cl, n, h2, NULL, 0), 0);
	ck_assert_mem_eq(h, h2, sizeof(h));
	free(cl);
	free(in);
	free(inp);
	free(at);
	free(atp);
}
END_TEST

START_TEST(test_secret_generate)
{
	uint8_t a[LEAF_SECRET_LEN], b[LEAF_SECRET_LEN];

	ck_assert_int_eq(leaf_secret_generate(a), 0);
	ck_assert_int_eq(leaf_secret_generate(b), 0);
	ck_assert_mem_ne(a, b, sizeof(a));
	leaf_key_free(NULL);
	leaf_ctx_free(NULL);
}
END_TEST

START_TEST(test_strerror)
{
	int e;

	for (e = LEAF_EINVAL; e < LEAF_EMAX; e++)
		ck_assert_ptr_nonnull(strstr(leaf_strerror(e), "LEAF_E"));
	ck_assert_str_eq(leaf_strerror(0), "success");
	ck_assert_str_eq(leaf_strerror(ENOMEM), strerror(ENOMEM));
}
END_TEST

/* The suite: one case per function family. */
static Suite *
leaf_suite(void)
{
	Suite *s = suite_create("leaf");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_vector1);
	tcase_add_test(tc, test_vector2);
	tcase_add_test(tc, test_vector3);
	tcase_add_test(tc, test_commit);
	tcase_add_test(tc, test_entry_secret);
	suite_add_tcase(s, tc);

	tc = tcase_create("compute");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ctx_reuse);
	tcase_add_test(tc, test_compute_secret);
	tcase_add_test(tc, test_entry_bound);
	tcase_add_test(tc, test_clock_skewed);
	tcase_add_test(tc, test_empty_explanation);
	tcase_add_test(tc, test_unpacked);
	tcase_add_test(tc, test_unknown_fields);
	tcase_add_test(tc, test_invalid);
	tcase_add_test(tc, test_many_units);
	tcase_add_test(tc, test_secret_generate);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("claims");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_claims_withhold);
	tcase_add_test(tc, test_claims_tamper);
	tcase_add_test(tc, test_claims_bad);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exit status 0 when all pass. */
int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(leaf_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
