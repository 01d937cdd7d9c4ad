/* SPDX-License-Identifier: ISC */
/*
 * check_client_tls.c: unit tests of the client library's TLS: the
 * options (options.c), the context built at algaudit_open() from the
 * files (tls.c, with errors that name the file), sessions driven by
 * hand against an OpenSSL server thread on a socketpair (handshake,
 * refusals, partial reads and writes, end of file, no SIGPIPE), and
 * whole handles over tls:127.0.0.1:PORT against a fake daemon that
 * speaks protocol v1 over TLS (io.c's handshake state, reconnects and
 * resends, refusals through the backoff without a busy loop).
 *
 * Every certificate and key is made in the test with the OpenSSL API
 * (a CA, another CA, a server certificate for localhost and 127.0.0.1,
 * a client certificate CN=prod-a) and written into the fixture's
 * temporary directory; nothing is committed.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "algaudit.h"
#include "client.h"
#include "frame.h"

#define PKI_PATH	400
#define BIG_UP		(4u * 1024 * 1024)	/* client to server */
#define BIG_DOWN	(1u * 1024 * 1024)	/* server to client */
#define FAKE_MAX	20000			/* records a fake keeps */

/* The test's certificates, keys and the files they are written to. */
struct pki {
	EVP_PKEY	*ca_key, *other_key, *srv_key, *cli_key;
	X509		*ca, *other, *srv, *cli;
	char		 ca_pem[PKI_PATH], other_pem[PKI_PATH];
	char		 srv_pem[PKI_PATH], srv_keyf[PKI_PATH];
	char		 cli_pem[PKI_PATH], cli_keyf[PKI_PATH];
	char		 garbage[PKI_PATH], empty[PKI_PATH];
	char		 missing[PKI_PATH];
};

static char test_dir[64];
static struct pki pki;
static long pki_serial = 1;

/* Makes an EC P-256 key. */
static EVP_PKEY *
pki_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	ck_assert_ptr_nonnull(k);
	return k;
}

/* Adds an X.509v3 extension, written as in openssl.cnf, to x. */
static void
pki_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/*
 * Makes a certificate for key with common name cn, signed by issuer
 * (NULL: self-signed), a CA or not, with subject alternative names san
 * and extended key usage eku (NULL: none).
 */
static X509 *
pki_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
    int ca, const char *san, const char *eku)
{
	X509 *x;
	X509_NAME *name;

	ck_assert_ptr_nonnull(x = X509_new());
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x),
	    pki_serial++), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x),
	    -3600));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name), 1);
	if (issuer == NULL)
		issuer = x;
	if (ca) {
		pki_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		pki_ext(x, issuer, NID_key_usage, "critical,keyCertSign,"
		    "cRLSign");
	} else {
		pki_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
		pki_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
	}
	if (san != NULL)
		pki_ext(x, issuer, NID_subject_alt_name, san);
	if (eku != NULL)
		pki_ext(x, issuer, NID_ext_key_usage, eku);
	ck_assert_int_gt(X509_sign(x, ikey != NULL ? ikey : key,
	    EVP_sha256()), 0);
	return x;
}

/* Writes a certificate, or a key, as PEM into path. */
static void
pki_write(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *fp;

	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	if (x != NULL)
		ck_assert_int_eq(PEM_write_X509(fp, x), 1);
	if (k != NULL)
		ck_assert_int_eq(PEM_write_PrivateKey(fp, k, NULL, NULL, 0,
		    NULL, NULL), 1);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Sets path to test_dir/name. */
static void
pki_path(char *path, const char *name)
{
	snprintf(path, PKI_PATH, "%s/%s", test_dir, name);
}

/* Creates the temporary directory and the certificates in it. */
static void
setup(void)
{
	FILE *fp;

	snprintf(test_dir, sizeof(test_dir), "/tmp/check_client_tls.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	/* The fake servers write to peers that may have gone. */
	signal(SIGPIPE, SIG_IGN);
	memset(&pki, 0, sizeof(pki));
	pki.ca_key = pki_key();
	pki.other_key = pki_key();
	pki.srv_key = pki_key();
	pki.cli_key = pki_key();
	pki.ca = pki_cert(pki.ca_key, "algaudit test CA", NULL, NULL, 1,
	    NULL, NULL);
	pki.other = pki_cert(pki.other_key, "another CA", NULL, NULL, 1,
	    NULL, NULL);
	pki.srv = pki_cert(pki.srv_key, "algauditd", pki.ca, pki.ca_key, 0,
	    "DNS:localhost,IP:127.0.0.1,IP:::1", "serverAuth");
	pki.cli = pki_cert(pki.cli_key, "prod-a", pki.ca, pki.ca_key, 0,
	    NULL, "clientAuth");
	pki_path(pki.ca_pem, "ca.pem");
	pki_path(pki.other_pem, "other-ca.pem");
	pki_path(pki.srv_pem, "server.pem");
	pki_path(pki.srv_keyf, "server.key");
	pki_path(pki.cli_pem, "client.pem");
	pki_path(pki.cli_keyf, "client.key");
	pki_path(pki.garbage, "garbage.pem");
	pki_path(pki.empty, "empty.pem");
	pki_path(pki.missing, "no-such-file.pem");
	pki_write(pki.ca_pem, pki.ca, NULL);
	pki_write(pki.other_pem, pki.other, NULL);
	pki_write(pki.srv_pem, pki.srv, NULL);
	pki_write(pki.srv_keyf, NULL, pki.srv_key);
	pki_write(pki.cli_pem, pki.cli, NULL);
	pki_write(pki.cli_keyf, NULL, pki.cli_key);
	ck_assert_ptr_nonnull(fp = fopen(pki.garbage, "w"));
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
	    "-----END CERTIFICATE-----\nand some prose\n", fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_ptr_nonnull(fp = fopen(pki.empty, "w"));
	ck_assert_int_eq(fclose(fp), 0);
}

/* Frees the certificates and removes the temporary directory. */
static void
teardown(void)
{
	char cmd[300];

	X509_free(pki.ca);
	X509_free(pki.other);
	X509_free(pki.srv);
	X509_free(pki.cli);
	EVP_PKEY_free(pki.ca_key);
	EVP_PKEY_free(pki.other_key);
	EVP_PKEY_free(pki.srv_key);
	EVP_PKEY_free(pki.cli_key);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "teardown: %s failed\n", cmd);
}

/*
 * A log callback's memory: the first ERROR or WARNING, and the start of
 * all of them, one per line.
 */
struct keep {
	pthread_mutex_t	 k_lock;
	char		 k_first[768];
	int		 k_first_level;
	int		 k_errors;	/* ERROR and WARNING messages */
	char		 k_text[8192];
	size_t		 k_len;
};

/* The log callback of struct keep. */
static void
keep_log(int level, const char *msg, void *arg)
{
	struct keep *k = arg;

	if (getenv("ALGAUDIT_TEST_LOG") != NULL)
		fprintf(stderr, "algaudit[%d]: %s\n", level, msg);
	pthread_mutex_lock(&k->k_lock);
	if (level <= ALGAUDIT_LOG_WARNING) {
		if (k->k_errors++ == 0) {
			snprintf(k->k_first, sizeof(k->k_first), "%s", msg);
			k->k_first_level = level;
		}
		if (k->k_len < sizeof(k->k_text) - 1)
			k->k_len += (size_t)snprintf(k->k_text + k->k_len,
			    sizeof(k->k_text) - k->k_len, "%s\n", msg);
		if (k->k_len > sizeof(k->k_text) - 1)
			k->k_len = sizeof(k->k_text) - 1;
	}
	pthread_mutex_unlock(&k->k_lock);
}

/* Prepares a struct keep. */
static void
keep_init(struct keep *k)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->k_lock, NULL);
}

/* Returns a copy of the first problem logged (the caller frees). */
static char *
keep_first(struct keep *k)
{
	char *s;

	pthread_mutex_lock(&k->k_lock);
	s = strdup(k->k_first);
	pthread_mutex_unlock(&k->k_lock);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Returns a copy of every problem logged (the caller frees). */
static char *
keep_text(struct keep *k)
{
	char *s;

	pthread_mutex_lock(&k->k_lock);
	s = strdup(k->k_text);
	pthread_mutex_unlock(&k->k_lock);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Options for fast tests: short linger, backoff and connect timeout. */
static struct algaudit_options *
test_options(struct keep *k)
{
	struct algaudit_options *o;

	ck_assert_int_eq(algaudit_options_new(&o), 0);
	if (k != NULL)
		ck_assert_int_eq(algaudit_options_set_log(o, keep_log, k), 0);
	ck_assert_int_eq(algaudit_options_set_batch(o, 64, 200), 0);
	ck_assert_int_eq(algaudit_options_set_backoff(o, 10, 40), 0);
	ck_assert_int_eq(algaudit_options_set_connect_timeout(o, 2000), 0);
	ck_assert_int_eq(algaudit_options_set_close_timeout(o, 0), 0);
	return o;
}

/*
 * Builds a TLS context as algaudit_open() does, from options o and the
 * endpoint's host; returns its result, the message in err.
 */
static int
ctx_try(const struct algaudit_options *o, const char *host,
    struct tls_context **tc, char *err, size_t errlen)
{
	*tc = NULL;
	return tls_context_new(o, host, tc, err, errlen);
}

START_TEST(test_set_tls)
{
	struct algaudit_options *o;
	char longp[PATH_MAX + 8];

	ck_assert_int_eq(algaudit_options_new(&o), 0);
	ck_assert_ptr_null(o->o_tls_ca);
	ck_assert_ptr_null(o->o_tls_cert);
	ck_assert_ptr_null(o->o_tls_key);
	ck_assert_ptr_null(o->o_tls_name);
	ck_assert_int_eq(options_has_tls(o), 0);

	/* Each bad input; the object stays unchanged. */
	ck_assert_int_eq(algaudit_options_set_tls(NULL, "ca", NULL, NULL),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls(o, NULL, "c.pem", NULL),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls(o, NULL, NULL, "k.pem"),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls(o, "ca", "c.pem", NULL),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls(o, "", NULL, NULL),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls(o, NULL, "", "k.pem"),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls(o, NULL, "c.pem", ""),
	    ALGAUDIT_EINVAL);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_eq(algaudit_options_set_tls(o, longp, NULL, NULL),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(options_has_tls(o), 0);

	/* Good ones, replacing each other; all NULL removes. */
	ck_assert_int_eq(algaudit_options_set_tls(o, "ca.pem", "c.pem",
	    "k.pem"), 0);
	ck_assert_str_eq(o->o_tls_ca, "ca.pem");
	ck_assert_str_eq(o->o_tls_cert, "c.pem");
	ck_assert_str_eq(o->o_tls_key, "k.pem");
	ck_assert_int_eq(options_has_tls(o), 1);
	ck_assert_int_eq(algaudit_options_set_tls(o, NULL, "c.pem", NULL),
	    ALGAUDIT_EINVAL);
	ck_assert_str_eq(o->o_tls_cert, "c.pem");
	ck_assert_int_eq(algaudit_options_set_tls(o, "ca2.pem", NULL, NULL),
	    0);
	ck_assert_str_eq(o->o_tls_ca, "ca2.pem");
	ck_assert_ptr_null(o->o_tls_cert);
	ck_assert_ptr_null(o->o_tls_key);
	ck_assert_int_eq(algaudit_options_set_tls(o, NULL, "c.pem", "k.pem"),
	    0);
	ck_assert_ptr_null(o->o_tls_ca);
	ck_assert_int_eq(algaudit_options_set_tls(o, NULL, NULL, NULL), 0);
	ck_assert_int_eq(options_has_tls(o), 0);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_set_tls_server_name)
{
	struct algaudit_options *o;
	char name[300];

	ck_assert_int_eq(algaudit_options_new(&o), 0);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(NULL, "x"),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o, ""),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o,
	    "audit host"), ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o,
	    "audit\thost"), ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o,
	    "h\xc3\xa9te"), ALGAUDIT_EINVAL);
	memset(name, 'a', 256);
	name[256] = '\0';
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o, name),
	    ALGAUDIT_EINVAL);
	ck_assert_ptr_null(o->o_tls_name);
	name[255] = '\0';
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o, name), 0);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o,
	    "audit.example"), 0);
	ck_assert_str_eq(o->o_tls_name, "audit.example");
	ck_assert_int_eq(options_has_tls(o), 1);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o, "::1"), 0);
	ck_assert_str_eq(o->o_tls_name, "::1");
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o, NULL), 0);
	ck_assert_ptr_null(o->o_tls_name);
	ck_assert_int_eq(options_has_tls(o), 0);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_open_endpoint_combinations)
{
	struct algaudit_client *c = NULL;
	struct algaudit_options *o;
	struct keep k;
	char *first;

	keep_init(&k);
	o = test_options(&k);
	/* TLS options with an endpoint that is not tls: */
	ck_assert_int_eq(algaudit_options_set_tls(o, pki.ca_pem, NULL, NULL),
	    0);
	ck_assert_int_eq(algaudit_open("unix:/x", "p1", o, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_ptr_null(c);
	first = keep_first(&k);
	ck_assert_str_eq(first, "endpoint 'unix:/x': TLS options are set, "
	    "but only a tls:HOST:PORT endpoint uses them");
	free(first);
	ck_assert_int_eq(algaudit_open("tcp:127.0.0.1:7443", "p1", o, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls(o, NULL, NULL, NULL), 0);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o, "x.example"),
	    0);
	ck_assert_int_eq(algaudit_open("tcp:127.0.0.1:7443", "p1", o, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o, NULL), 0);
	/* Bad tls: endpoints. */
	ck_assert_int_eq(algaudit_open("tls:127.0.0.1", "p1", o, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("tls::7443", "p1", o, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("tls:127.0.0.1:0", "p1", o, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("tls:127.0.0.1:65536", "p1", o, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("tls:127.0.0.1:x", "p1", o, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_ptr_null(c);
	/* Without TLS options: the system's trust store; IPv6 in []. */
	ck_assert_int_eq(algaudit_open("tls:[::1]:1", "p1", o, &c), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	c = NULL;
	ck_assert_int_eq(algaudit_open("tls:localhost:1", "p1", o, &c), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	algaudit_options_free(o);
	pthread_mutex_destroy(&k.k_lock);
}
END_TEST

/*
 * Opens a handle on tls:127.0.0.1:1 with TLS files ca, cert and key;
 * checks that it fails with want and that the log callback's message
 * starts with prefix.
 */
static void
open_fails(const char *ca, const char *cert, const char *key, int want,
    const char *prefix)
{
	struct algaudit_client *c = NULL;
	struct algaudit_options *o;
	struct keep k;
	char *first;

	keep_init(&k);
	o = test_options(&k);
	ck_assert_int_eq(algaudit_options_set_tls(o, ca, cert, key), 0);
	ck_assert_int_eq(algaudit_open("tls:127.0.0.1:1", "p1", o, &c), want);
	ck_assert_ptr_null(c);
	first = keep_first(&k);
	ck_assert_msg(strncmp(first, prefix, strlen(prefix)) == 0,
	    "message '%s' does not start with '%s'", first, prefix);
	ck_assert_int_eq(k.k_first_level, ALGAUDIT_LOG_ERROR);
	free(first);
	algaudit_options_free(o);
	pthread_mutex_destroy(&k.k_lock);
}

START_TEST(test_open_missing_files)
{
	char want[1024];

	snprintf(want, sizeof(want), "tls:127.0.0.1:1: tls: CA file %s: No "
	    "such file or directory", pki.missing);
	open_fails(pki.missing, NULL, NULL, ENOENT, want);
	snprintf(want, sizeof(want), "tls:127.0.0.1:1: tls: certificate file "
	    "%s: No such file or directory", pki.missing);
	open_fails(pki.ca_pem, pki.missing, pki.cli_keyf, ENOENT, want);
	snprintf(want, sizeof(want), "tls:127.0.0.1:1: tls: key file %s: No "
	    "such file or directory", pki.missing);
	open_fails(pki.ca_pem, pki.cli_pem, pki.missing, ENOENT, want);
	/* A directory opens, but holds nothing. */
	snprintf(want, sizeof(want), "tls:127.0.0.1:1: tls: CA file %s: ",
	    test_dir);
	open_fails(test_dir, NULL, NULL, ALGAUDIT_EINVAL, want);
}
END_TEST

START_TEST(test_open_bad_files)
{
	char want[1024];

	snprintf(want, sizeof(want), "tls:127.0.0.1:1: tls: CA file %s: ",
	    pki.garbage);
	open_fails(pki.garbage, NULL, NULL, ALGAUDIT_EINVAL, want);
	snprintf(want, sizeof(want), "tls:127.0.0.1:1: tls: CA file %s: ",
	    pki.empty);
	open_fails(pki.empty, NULL, NULL, ALGAUDIT_EINVAL, want);
	/* A key is not a certificate. */
	snprintf(want, sizeof(want), "tls:127.0.0.1:1: tls: CA file %s: ",
	    pki.cli_keyf);
	open_fails(pki.cli_keyf, NULL, NULL, ALGAUDIT_EINVAL, want);
	snprintf(want, sizeof(want), "tls:127.0.0.1:1: tls: certificate file "
	    "%s: ", pki.garbage);
	open_fails(pki.ca_pem, pki.garbage, pki.cli_keyf, ALGAUDIT_EINVAL,
	    want);
	snprintf(want, sizeof(want), "tls:127.0.0.1:1: tls: key file %s: ",
	    pki.garbage);
	open_fails(pki.ca_pem, pki.cli_pem, pki.garbage, ALGAUDIT_EINVAL,
	    want);
	snprintf(want, sizeof(want), "tls:127.0.0.1:1: tls: key file %s: ",
	    pki.cli_pem);
	open_fails(pki.ca_pem, pki.cli_pem, pki.cli_pem, ALGAUDIT_EINVAL,
	    want);
	/* The server's key with the client's certificate. */
	snprintf(want, sizeof(want), "tls:127.0.0.1:1: tls: key file %s does "
	    "not match certificate file %s: key values mismatch",
	    pki.srv_keyf, pki.cli_pem);
	open_fails(pki.ca_pem, pki.cli_pem, pki.srv_keyf, ALGAUDIT_EINVAL,
	    want);
}
END_TEST

START_TEST(test_ctx_direct)
{
	struct algaudit_options *o;
	struct tls_context *tc;
	char err[512], name[300];

	ck_assert_int_eq(algaudit_options_new(&o), 0);
	/* Good files, and the name from the host or the option. */
	ck_assert_int_eq(algaudit_options_set_tls(o, pki.ca_pem, pki.cli_pem,
	    pki.cli_keyf), 0);
	ck_assert_int_eq(ctx_try(o, "127.0.0.1", &tc, err, sizeof(err)), 0);
	ck_assert_str_eq(tls_context_name(tc), "127.0.0.1");
	tls_context_free(tc);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o,
	    "audit.example"), 0);
	ck_assert_int_eq(ctx_try(o, "127.0.0.1", &tc, err, sizeof(err)), 0);
	ck_assert_str_eq(tls_context_name(tc), "audit.example");
	tls_context_free(tc);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o, NULL), 0);
	/* A host no certificate can carry. */
	ck_assert_int_eq(ctx_try(o, "", &tc, err, sizeof(err)),
	    ALGAUDIT_EINVAL);
	ck_assert_str_eq(err, "tls: server name: 1 to 255 bytes");
	ck_assert_ptr_null(tc);
	memset(name, 'h', 256);
	name[256] = '\0';
	ck_assert_int_eq(ctx_try(o, name, &tc, err, sizeof(err)),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(ctx_try(o, NULL, &tc, err, sizeof(err)),
	    ALGAUDIT_EINVAL);
	/* Names no certificate check could ever accept. */
	ck_assert_int_eq(ctx_try(o, "[::1]", &tc, err, sizeof(err)),
	    ALGAUDIT_EINVAL);
	ck_assert_str_eq(err, "tls: server name '[::1]': neither a DNS name "
	    "nor an IP address (IPv6 without brackets or zone; set one with "
	    "algaudit_options_set_tls_server_name())");
	ck_assert_int_eq(ctx_try(o, "fe80::1%eth0", &tc, err, sizeof(err)),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(ctx_try(o, "127.1", &tc, err, sizeof(err)),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(ctx_try(o, "::1", &tc, err, sizeof(err)), 0);
	tls_context_free(tc);
	ck_assert_int_eq(ctx_try(o, "a1.example", &tc, err, sizeof(err)), 0);
	tls_context_free(tc);
	/* The system's trust store when no CA file is named. */
	ck_assert_int_eq(algaudit_options_set_tls(o, NULL, NULL, NULL), 0);
	ck_assert_int_eq(ctx_try(o, "localhost", &tc, err, sizeof(err)), 0);
	tls_context_free(tc);
	tls_context_free(NULL);
	tls_session_free(NULL);
	tls_session_close(NULL);
	algaudit_options_free(o);
}
END_TEST

/* What the in-test server does after its handshake. */
enum srv_mode {
	SRV_ECHO = 0,		/* echo until end of file */
	SRV_BULK,		/* read BIG_UP bytes slowly, send BIG_DOWN */
	SRV_CLOSE,		/* close the socket, no close_notify */
	SRV_NOTIFY		/* send close_notify, then close */
};

/* An OpenSSL server on one end of a socketpair, in a thread. */
struct srv {
	pthread_t	 s_thread;
	SSL_CTX		*s_ctx;
	int		 s_fd;		/* the server's end, blocking */
	int		 s_cfd;		/* the client's end, non-blocking */
	int		 s_mode;
	_Atomic int	 s_handshake;	/* 1: done, -1: failed */
	char		 s_peer_cn[128];
	uint64_t	 s_got;		/* bytes read in SRV_BULK */
	uint64_t	 s_bad;		/* bytes not as sent */
};

/* The byte at offset i of the test's streams. */
static uint8_t
stream_byte(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 11));
}

/*
 * Makes a server context: the server certificate, TLS 1.2 at most when
 * tls12 is set, a client certificate from the CA required when
 * need_client is set.
 */
static SSL_CTX *
srv_ctx(int tls12, int need_client)
{
	SSL_CTX *ctx;

	ck_assert_ptr_nonnull(ctx = SSL_CTX_new(TLS_server_method()));
	ck_assert_int_eq(SSL_CTX_use_certificate(ctx, pki.srv), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(ctx, pki.srv_key), 1);
	if (tls12)
		ck_assert_int_eq(SSL_CTX_set_max_proto_version(ctx,
		    TLS1_2_VERSION), 1);
	if (need_client) {
		ck_assert_int_eq(X509_STORE_add_cert(
		    SSL_CTX_get_cert_store(ctx), pki.ca), 1);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	return ctx;
}

/* Records the subject CN of the client's certificate, if any. */
static void
srv_peer_cn(SSL *ssl, char *cn, size_t len)
{
	X509 *peer;

	cn[0] = '\0';
	if ((peer = SSL_get1_peer_certificate(ssl)) == NULL)
		return;
	X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
	    NID_commonName, cn, (int)len);
	X509_free(peer);
}

/* The server thread of struct srv. */
static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	uint8_t buf[16384];
	uint64_t sent = 0, i;
	size_t n, chunk;
	SSL *ssl;

	ssl = SSL_new(s->s_ctx);
	if (ssl == NULL || SSL_set_fd(ssl, s->s_fd) != 1 ||
	    SSL_accept(ssl) != 1) {
		atomic_store(&s->s_handshake, -1);
		goto out;
	}
	srv_peer_cn(ssl, s->s_peer_cn, sizeof(s->s_peer_cn));
	atomic_store(&s->s_handshake, 1);
	switch (s->s_mode) {
	case SRV_ECHO:
		while (SSL_read_ex(ssl, buf, sizeof(buf), &n) == 1)
			if (SSL_write_ex(ssl, buf, n, &n) != 1)
				break;
		break;
	case SRV_BULK:
		/*
		 * Let the client fill the socket first: its first writes
		 * take one record each (partial writes), the later ones
		 * must wait (TLS_WANT_WRITE).
		 */
		usleep(200000);
		while (s->s_got < BIG_UP &&
		    SSL_read_ex(ssl, buf, 1000, &n) == 1)
			for (i = 0; i < n; i++, s->s_got++)
				if (buf[i] != stream_byte(s->s_got))
					s->s_bad++;
		/* Records of many sizes, down to one byte. */
		while (sent < BIG_DOWN) {
			chunk = 1 + (sent * 7919) % 5000;
			if (chunk > BIG_DOWN - sent)
				chunk = BIG_DOWN - sent;
			for (i = 0; i < chunk; i++)
				buf[i] = stream_byte(sent + i);
			if (SSL_write_ex(ssl, buf, chunk, &n) != 1)
				break;
			sent += n;
		}
		(void)SSL_read_ex(ssl, buf, 1, &n);	/* wait for the end */
		break;
	case SRV_NOTIFY:
		(void)SSL_shutdown(ssl);
		break;
	default:
		break;
	}
out:
	SSL_free(ssl);
	close(s->s_fd);
	s->s_fd = -1;
	return NULL;
}

/* Starts a server thread on a new socketpair. */
static void
srv_start(struct srv *s, SSL_CTX *ctx, int mode)
{
	int sv[2];

	memset(s, 0, sizeof(*s));
	s->s_ctx = ctx;
	s->s_mode = mode;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_ne(fcntl(sv[0], F_SETFL, O_NONBLOCK), -1);
	s->s_cfd = sv[0];
	s->s_fd = sv[1];
	ck_assert_int_eq(pthread_create(&s->s_thread, NULL, srv_main, s), 0);
}

/* Waits for the server thread and closes the client's end. */
static void
srv_stop(struct srv *s)
{
	shutdown(s->s_cfd, SHUT_RDWR);
	pthread_join(s->s_thread, NULL);
	close(s->s_cfd);
	SSL_CTX_free(s->s_ctx);
}

/* Waits up to 5 s for fd to be ready as a TLS_WANT_* status says. */
static void
wait_for(int fd, int status)
{
	struct pollfd p;

	p.fd = fd;
	p.events = status == TLS_WANT_WRITE ? POLLOUT : POLLIN;
	p.revents = 0;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
}

/* Runs the client's handshake to its end; returns its status. */
static int
client_handshake(struct tls_session *ts, int fd, char *err, size_t len)
{
	int rc, i;

	for (i = 0; i < 1000; i++) {
		rc = tls_session_handshake(ts, err, len);
		if (rc != TLS_WANT_READ && rc != TLS_WANT_WRITE)
			return rc;
		wait_for(fd, rc);
	}
	ck_abort_msg("handshake never ends");
	return TLS_FAILED;
}

/* Reads exactly len bytes through the session. */
static int
client_read_all(struct tls_session *ts, int fd, uint8_t *buf, size_t len,
    char *err, size_t errlen)
{
	size_t n;
	int rc;

	while (len > 0) {
		rc = tls_session_read(ts, buf, len, &n, err, errlen);
		if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
			wait_for(fd, rc);
			continue;
		}
		if (rc != TLS_OK)
			return rc;
		buf += n;
		len -= n;
	}
	return TLS_OK;
}

/*
 * Connects a client session with CA file ca, client files cert and key
 * (NULL: none) and server name name to a server made from ctx in mode
 * mode. Returns the handshake's status; *ts is the session.
 */
static int
client_connect(struct srv *s, SSL_CTX *ctx, int mode, const char *ca,
    const char *cert, const char *key, const char *name,
    struct tls_context **tc, struct tls_session **ts, char *err, size_t errlen)
{
	struct algaudit_options *o;

	ck_assert_int_eq(algaudit_options_new(&o), 0);
	ck_assert_int_eq(algaudit_options_set_tls(o, ca, cert, key), 0);
	ck_assert_int_eq(tls_context_new(o, name, tc, err, errlen), 0);
	algaudit_options_free(o);
	srv_start(s, ctx, mode);
	ck_assert_int_eq(tls_session_new(*tc, s->s_cfd, ts, err, errlen), 0);
	return client_handshake(*ts, s->s_cfd, err, errlen);
}

START_TEST(test_session_valid_round_trip)
{
	struct tls_context *tc;
	struct tls_session *ts;
	struct srv s;
	uint8_t back[6];
	char err[512];
	size_t n;

	ck_assert_int_eq(client_connect(&s, srv_ctx(0, 0), SRV_ECHO,
	    pki.ca_pem, NULL, NULL, "127.0.0.1", &tc, &ts, err, sizeof(err)),
	    TLS_OK);
	tls_session_describe(ts, err, sizeof(err));
	ck_assert_msg(strncmp(err, "TLSv1.3, ", 9) == 0, "%s", err);
	ck_assert_msg(strstr(err, "CN = algauditd") != NULL ||
	    strstr(err, "CN=algauditd") != NULL, "%s", err);
	ck_assert_int_eq(tls_session_write(ts, "hello!", 6, &n, err,
	    sizeof(err)), TLS_OK);
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(client_read_all(ts, s.s_cfd, back, 6, err,
	    sizeof(err)), TLS_OK);
	ck_assert_int_eq(memcmp(back, "hello!", 6), 0);
	ck_assert_int_eq(tls_session_pending(ts), 0);
	/* Nothing more to read: a retry, not an error. */
	ck_assert_int_eq(tls_session_read(ts, back, 6, &n, err, sizeof(err)),
	    TLS_WANT_READ);
	ck_assert_int_eq(tls_session_read(ts, back, 0, &n, err, sizeof(err)),
	    TLS_OK);
	ck_assert_uint_eq(n, 0);
	tls_session_close(ts);
	tls_session_free(ts);
	srv_stop(&s);
	ck_assert_int_eq(atomic_load(&s.s_handshake), 1);
	tls_context_free(tc);
}
END_TEST

START_TEST(test_session_names)
{
	struct tls_context *tc;
	struct tls_session *ts;
	struct srv s;
	char err[512];

	/* The DNS name and the IPv6 address of the certificate. */
	ck_assert_int_eq(client_connect(&s, srv_ctx(0, 0), SRV_CLOSE,
	    pki.ca_pem, NULL, NULL, "localhost", &tc, &ts, err, sizeof(err)),
	    TLS_OK);
	tls_session_free(ts);
	srv_stop(&s);
	tls_context_free(tc);
	ck_assert_int_eq(client_connect(&s, srv_ctx(0, 0), SRV_CLOSE,
	    pki.ca_pem, NULL, NULL, "::1", &tc, &ts, err, sizeof(err)),
	    TLS_OK);
	tls_session_free(ts);
	srv_stop(&s);
	tls_context_free(tc);
}
END_TEST

/*
 * Connects as client_connect() does and checks that the handshake
 * fails with message want, and that the server saw it fail.
 */
static void
refused(SSL_CTX *ctx, const char *ca, const char *name, const char *want)
{
	struct tls_context *tc;
	struct tls_session *ts;
	struct srv s;
	char err[512];

	ck_assert_int_eq(client_connect(&s, ctx, SRV_ECHO, ca, NULL, NULL,
	    name, &tc, &ts, err, sizeof(err)), TLS_FAILED);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "'%s' does not start with '%s'", err, want);
	/* After a failure the session sends nothing more. */
	tls_session_close(ts);
	tls_session_free(ts);
	srv_stop(&s);
	ck_assert_int_eq(atomic_load(&s.s_handshake), -1);
	tls_context_free(tc);
}

START_TEST(test_session_refusals)
{
	refused(srv_ctx(1, 0), pki.ca_pem, "127.0.0.1",
	    "tls: handshake: ");
	refused(srv_ctx(0, 0), pki.ca_pem, "other.example",
	    "tls: certificate verify failed: hostname mismatch");
	refused(srv_ctx(0, 0), pki.ca_pem, "127.0.0.2",
	    "tls: certificate verify failed: IP address mismatch");
	refused(srv_ctx(0, 0), pki.other_pem, "127.0.0.1",
	    "tls: certificate verify failed: unable to get local issuer "
	    "certificate");
}
END_TEST

START_TEST(test_session_tls12_reason)
{
	struct tls_context *tc;
	struct tls_session *ts;
	struct srv s;
	char err[512];

	/* The reason names the protocol, whatever OpenSSL's words. */
	ck_assert_int_eq(client_connect(&s, srv_ctx(1, 0), SRV_ECHO,
	    pki.ca_pem, NULL, NULL, "127.0.0.1", &tc, &ts, err, sizeof(err)),
	    TLS_FAILED);
	ck_assert_msg(strstr(err, "protocol") != NULL, "%s", err);
	tls_session_free(ts);
	srv_stop(&s);
	tls_context_free(tc);
}
END_TEST

START_TEST(test_session_client_certificate)
{
	struct tls_context *tc;
	struct tls_session *ts;
	struct srv s;
	uint8_t b[4];
	char err[512];
	size_t n;
	int rc, i;

	/* With one: the server sees CN=prod-a. */
	ck_assert_int_eq(client_connect(&s, srv_ctx(0, 1), SRV_ECHO,
	    pki.ca_pem, pki.cli_pem, pki.cli_keyf, "127.0.0.1", &tc, &ts, err,
	    sizeof(err)), TLS_OK);
	ck_assert_int_eq(tls_session_write(ts, "ping", 4, &n, err,
	    sizeof(err)), TLS_OK);
	ck_assert_int_eq(client_read_all(ts, s.s_cfd, b, 4, err, sizeof(err)),
	    TLS_OK);
	tls_session_close(ts);
	tls_session_free(ts);
	srv_stop(&s);
	ck_assert_str_eq(s.s_peer_cn, "prod-a");
	tls_context_free(tc);

	/*
	 * Without: TLS 1.3 finishes the client's handshake before the
	 * server checks; the refusal is an alert on the first read, or
	 * found by the first write when the server has closed already.
	 */
	rc = client_connect(&s, srv_ctx(0, 1), SRV_ECHO, pki.ca_pem, NULL,
	    NULL, "127.0.0.1", &tc, &ts, err, sizeof(err));
	if (rc == TLS_OK)
		rc = tls_session_write(ts, "ping", 4, &n, err, sizeof(err));
	if (rc == TLS_OK) {
		for (i = 0; i < 1000; i++) {
			rc = tls_session_read(ts, b, 4, &n, err, sizeof(err));
			if (rc != TLS_WANT_READ && rc != TLS_WANT_WRITE)
				break;
			wait_for(s.s_cfd, rc);
		}
	}
	ck_assert_int_eq(rc, TLS_FAILED);
	ck_assert_msg(strstr(err, "alert certificate required") != NULL,
	    "%s", err);
	tls_session_free(ts);
	srv_stop(&s);
	ck_assert_int_eq(atomic_load(&s.s_handshake), -1);
	tls_context_free(tc);
}
END_TEST

START_TEST(test_session_partial)
{
	struct tls_context *tc;
	struct tls_session *ts;
	struct srv s;
	uint8_t *a, *b, *buf, small[7];
	uint64_t off = 0, got = 0, i;
	int wants = 0, partial = 0, pending_seen = 0, which = 0, rc;
	char err[512];
	size_t n, len, want;

	ck_assert_int_eq(client_connect(&s, srv_ctx(0, 0), SRV_BULK,
	    pki.ca_pem, NULL, NULL, "127.0.0.1", &tc, &ts, err, sizeof(err)),
	    TLS_OK);
	/* Two copies of the stream: a retry may come from either. */
	ck_assert_ptr_nonnull(a = malloc(BIG_UP));
	ck_assert_ptr_nonnull(b = malloc(BIG_UP));
	for (i = 0; i < BIG_UP; i++)
		a[i] = b[i] = stream_byte(i);
	while (off < BIG_UP) {
		len = BIG_UP - off < 65536 ? BIG_UP - off : 65536;
		buf = which ? b : a;
		rc = tls_session_write(ts, buf + off, len, &n, err,
		    sizeof(err));
		if (rc == TLS_WANT_WRITE || rc == TLS_WANT_READ) {
			wants++;
			which = !which;
			wait_for(s.s_cfd, rc);
			continue;
		}
		ck_assert_msg(rc == TLS_OK, "%s", err);
		if (n < len)
			partial++;
		off += n;
	}
	ck_assert_int_gt(wants, 0);
	ck_assert_int_gt(partial, 0);
	/* Tiny reads: the rest of a record stays in the session. */
	while (got < BIG_DOWN) {
		want = 1 + got % sizeof(small);
		if (want > BIG_DOWN - got)
			want = BIG_DOWN - got;
		rc = tls_session_read(ts, small, want, &n, err, sizeof(err));
		if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
			ck_assert_int_eq(tls_session_pending(ts), 0);
			wait_for(s.s_cfd, rc);
			continue;
		}
		ck_assert_msg(rc == TLS_OK, "%s", err);
		for (i = 0; i < n; i++)
			if (small[i] != stream_byte(got + i))
				ck_abort_msg("byte %llu differs",
				    (unsigned long long)(got + i));
		got += n;
		if (tls_session_pending(ts))
			pending_seen++;
	}
	ck_assert_int_gt(pending_seen, 0);
	tls_session_close(ts);
	tls_session_free(ts);
	srv_stop(&s);
	ck_assert_uint_eq(s.s_got, BIG_UP);
	ck_assert_uint_eq(s.s_bad, 0);
	free(a);
	free(b);
	tls_context_free(tc);
}
END_TEST

START_TEST(test_session_eof)
{
	struct tls_context *tc;
	struct tls_session *ts;
	struct srv s;
	uint8_t b[4];
	char err[512];
	size_t n;
	int rc, i, mode;

	/* Gone without a close_notify, or with one: both are an EOF. */
	for (mode = SRV_CLOSE; mode <= SRV_NOTIFY; mode++) {
		ck_assert_int_eq(client_connect(&s, srv_ctx(0, 0), mode,
		    pki.ca_pem, NULL, NULL, "127.0.0.1", &tc, &ts, err,
		    sizeof(err)), TLS_OK);
		for (i = 0; i < 1000; i++) {
			rc = tls_session_read(ts, b, sizeof(b), &n, err,
			    sizeof(err));
			if (rc != TLS_WANT_READ && rc != TLS_WANT_WRITE)
				break;
			wait_for(s.s_cfd, rc);
		}
		ck_assert_msg(rc == TLS_CLOSED, "mode %d: %d %s", mode, rc,
		    err);
		tls_session_close(ts);
		tls_session_free(ts);
		srv_stop(&s);
		tls_context_free(tc);
	}
}
END_TEST

START_TEST(test_session_no_sigpipe)
{
	struct tls_context *tc;
	struct tls_session *ts;
	struct srv s;
	uint8_t buf[4096];
	char err[512];
	size_t n;
	int rc = TLS_OK, i;

	/* SIGPIPE would end this process: the writes must not raise it. */
	signal(SIGPIPE, SIG_DFL);
	ck_assert_int_eq(client_connect(&s, srv_ctx(0, 0), SRV_CLOSE,
	    pki.ca_pem, NULL, NULL, "127.0.0.1", &tc, &ts, err, sizeof(err)),
	    TLS_OK);
	pthread_join(s.s_thread, NULL);		/* the peer is closed */
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < 100 && rc != TLS_FAILED; i++) {
		rc = tls_session_write(ts, buf, sizeof(buf), &n, err,
		    sizeof(err));
		ck_assert(rc == TLS_OK || rc == TLS_FAILED);
	}
	ck_assert_int_eq(rc, TLS_FAILED);
	ck_assert_msg(strcmp(err, "tls: write: Broken pipe") == 0 ||
	    strcmp(err, "tls: write: Connection reset by peer") == 0, "%s",
	    err);
	tls_session_close(ts);	/* failed: sends nothing */
	tls_session_free(ts);
	close(s.s_cfd);
	SSL_CTX_free(s.s_ctx);
	tls_context_free(tc);
}
END_TEST

/*
 * A fake daemon on 127.0.0.1 that speaks protocol v1 over TLS: Hello
 * and Welcome, Batch and Ack with the duplicate rule; on request it
 * drops a connection instead of acknowledging a batch, as a daemon
 * killed mid-stream would.
 */
struct fake {
	pthread_t	 f_thread;
	pthread_mutex_t	 f_lock;
	SSL_CTX		*f_ctx;
	int		 f_listen;
	int		 f_port;
	_Atomic int	 f_stop;
	int		 f_drop_at_batch;	/* 0: never */
	_Atomic int	 f_conns;
	_Atomic int	 f_handshakes;		/* completed */
	int		 f_batches;
	uint64_t	 f_durable;
	uint64_t	 f_log_size;
	char		 f_peer_cn[128];
	int		 f_seen[FAKE_MAX];	/* per decision "d<i>" */
	int		 f_dups;		/* stored twice */
};

/* Reads exactly len bytes through ssl; -1 at the end or on stop. */
static int
fake_read_all(struct fake *f, SSL *ssl, int fd, uint8_t *buf, size_t len)
{
	struct pollfd p;
	size_t n;

	while (len > 0) {
		if (SSL_pending(ssl) == 0) {
			p.fd = fd;
			p.events = POLLIN;
			if (poll(&p, 1, 50) == 0) {
				if (atomic_load(&f->f_stop))
					return -1;
				continue;
			}
		}
		if (SSL_read_ex(ssl, buf, len, &n) != 1)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Sends a ServerFrame through ssl. */
static void
fake_send(SSL *ssl, Algaudit__V1__ServerFrame *sf)
{
	uint8_t *buf;
	size_t n;

	if ((buf = malloc(frame_size(&sf->base))) == NULL)
		return;
	n = frame_encode(&sf->base, buf);
	(void)SSL_write_ex(ssl, buf, n, &n);
	free(buf);
}

/* Serves one TLS connection until it ends. */
static void
fake_serve(struct fake *f, SSL *ssl, int fd)
{
	Algaudit__V1__ServerFrame sf = ALGAUDIT__V1__SERVER_FRAME__INIT;
	Algaudit__V1__Welcome w = ALGAUDIT__V1__WELCOME__INIT;
	Algaudit__V1__Ack a = ALGAUDIT__V1__ACK__INIT;
	Algaudit__V1__ClientFrame *cf;
	Algaudit__V1__DecisionRecord *r;
	uint8_t hdr[4], *body;
	uint64_t first, stored, last = 0;
	uint32_t len;
	size_t i;
	int k;

	for (;;) {
		if (fake_read_all(f, ssl, fd, hdr, 4) == -1)
			return;
		len = frame_body_len(hdr);
		if ((body = malloc(len + 1)) == NULL ||
		    fake_read_all(f, ssl, fd, body, len) == -1) {
			free(body);
			return;
		}
		cf = algaudit__v1__client_frame__unpack(NULL, len, body);
		free(body);
		if (cf == NULL)
			return;
		pthread_mutex_lock(&f->f_lock);
		if (cf->msg_case == ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO) {
			w.has_protocol_version = 1;
			w.protocol_version = 1;
			w.has_durable_seq = 1;
			w.durable_seq = f->f_durable;
			w.has_log_size = 1;
			w.log_size = f->f_log_size;
			w.has_max_frame = 1;
			w.max_frame = FRAME_MAX_DEFAULT;
			pthread_mutex_unlock(&f->f_lock);
			sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_WELCOME;
			sf.welcome = &w;
			fake_send(ssl, &sf);
			algaudit__v1__client_frame__free_unpacked(cf, NULL);
			continue;
		}
		if (++f->f_batches == f->f_drop_at_batch) {
			/* Killed mid-stream: no Ack, no close_notify. */
			pthread_mutex_unlock(&f->f_lock);
			algaudit__v1__client_frame__free_unpacked(cf, NULL);
			return;
		}
		first = f->f_log_size;
		stored = 0;
		for (i = 0; i < cf->batch->n_records; i++) {
			r = cf->batch->records[i];
			last = r->producer_seq;
			if (r->producer_seq <= f->f_durable)
				continue;
			f->f_durable = r->producer_seq;
			f->f_log_size++;
			stored++;
			if (sscanf(r->decision, "d%d", &k) == 1 && k >= 0 &&
			    k < FAKE_MAX && f->f_seen[k]++ > 0)
				f->f_dups++;
		}
		a.has_producer_seq = 1;
		a.producer_seq = f->f_durable > last ? f->f_durable : last;
		a.has_log_size = 1;
		a.log_size = f->f_log_size;
		a.has_first_index = stored > 0;
		a.first_index = first;
		a.has_stored = 1;
		a.stored = (uint32_t)stored;
		pthread_mutex_unlock(&f->f_lock);
		algaudit__v1__client_frame__free_unpacked(cf, NULL);
		sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_ACK;
		sf.ack = &a;
		fake_send(ssl, &sf);
	}
}

/* The fake daemon's accept loop: one connection at a time. */
static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	struct pollfd p;
	SSL *ssl;
	int fd;

	while (!atomic_load(&f->f_stop)) {
		p.fd = f->f_listen;
		p.events = POLLIN;
		if (poll(&p, 1, 50) <= 0)
			continue;
		if ((fd = accept(f->f_listen, NULL, NULL)) == -1)
			continue;
		atomic_fetch_add(&f->f_conns, 1);
		if ((ssl = SSL_new(f->f_ctx)) != NULL &&
		    SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1) {
			atomic_fetch_add(&f->f_handshakes, 1);
			pthread_mutex_lock(&f->f_lock);
			srv_peer_cn(ssl, f->f_peer_cn, sizeof(f->f_peer_cn));
			pthread_mutex_unlock(&f->f_lock);
			fake_serve(f, ssl, fd);
		}
		SSL_free(ssl);
		ERR_clear_error();
		close(fd);
	}
	return NULL;
}

/* Starts a fake daemon on 127.0.0.1 with a server context ctx. */
static struct fake *
fake_start(SSL_CTX *ctx)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct fake *f;
	int one = 1;

	ck_assert_ptr_nonnull(f = calloc(1, sizeof(*f)));
	pthread_mutex_init(&f->f_lock, NULL);
	f->f_ctx = ctx;
	ck_assert_int_ne(f->f_listen = socket(AF_INET, SOCK_STREAM, 0), -1);
	(void)setsockopt(f->f_listen, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(f->f_listen, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	ck_assert_int_eq(listen(f->f_listen, 16), 0);
	ck_assert_int_eq(getsockname(f->f_listen, (struct sockaddr *)&sin,
	    &slen), 0);
	f->f_port = ntohs(sin.sin_port);
	ck_assert_int_eq(pthread_create(&f->f_thread, NULL, fake_main, f), 0);
	return f;
}

/* Stops and frees a fake daemon. */
static void
fake_free(struct fake *f)
{
	atomic_store(&f->f_stop, 1);
	pthread_join(f->f_thread, NULL);
	close(f->f_listen);
	SSL_CTX_free(f->f_ctx);
	pthread_mutex_destroy(&f->f_lock);
	free(f);
}

/* Logs decisions "d<from>" .. "d<to - 1>". */
static void
log_range(struct algaudit_client *c, int from, int to)
{
	struct algaudit_record *r;
	char d[32];
	int i;

	ck_assert_int_eq(algaudit_record_new(&r), 0);
	for (i = from; i < to; i++) {
		algaudit_record_reset(r);
		snprintf(d, sizeof(d), "d%d", i);
		if (algaudit_record_set_algorithm(r, "credit", "1") != 0 ||
		    algaudit_record_set_decision(r, d) != 0 ||
		    algaudit_record_set_data_class(r,
		    ALGAUDIT_CLASS_ORDINARY) != 0 ||
		    algaudit_log(c, r) != 0)
			ck_abort_msg("logging d%d failed", i);
	}
	algaudit_record_free(r);
}

/* Opens a handle on the fake with the given TLS files. */
static struct algaudit_client *
handle_open(struct fake *f, struct keep *k, const char *ca,
    const char *cert, const char *key)
{
	struct algaudit_client *c;
	struct algaudit_options *o;
	char ep[64];

	o = test_options(k);
	ck_assert_int_eq(algaudit_options_set_tls(o, ca, cert, key), 0);
	snprintf(ep, sizeof(ep), "tls:127.0.0.1:%d", f->f_port);
	ck_assert_int_eq(algaudit_open(ep, "prod-a-1", o, &c), 0);
	algaudit_options_free(o);
	return c;
}

START_TEST(test_handle_round_trip_and_resend)
{
	struct algaudit_client *c;
	struct fake *f;
	struct keep k;
	int i;

	keep_init(&k);
	f = fake_start(srv_ctx(0, 1));
	f->f_drop_at_batch = 5;
	c = handle_open(f, &k, pki.ca_pem, pki.cli_pem, pki.cli_keyf);
	log_range(c, 0, 3000);
	ck_assert_int_eq(algaudit_flush(c, 20000), 0);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_ACKED), 3000);
	/* The dropped connection: a reconnect, a resend. */
	ck_assert_uint_ge(algaudit_counter(c, ALGAUDIT_COUNTER_RECONNECTS),
	    1);
	ck_assert_uint_ge(algaudit_counter(c, ALGAUDIT_COUNTER_RETRIED), 1);
	ck_assert_int_eq(algaudit_close(c), 0);
	pthread_mutex_lock(&f->f_lock);
	for (i = 0; i < 3000; i++)
		ck_assert_msg(f->f_seen[i] == 1, "d%d stored %d times", i,
		    f->f_seen[i]);
	ck_assert_int_eq(f->f_dups, 0);
	ck_assert_str_eq(f->f_peer_cn, "prod-a");
	pthread_mutex_unlock(&f->f_lock);
	ck_assert_int_ge(atomic_load(&f->f_handshakes), 2);
	fake_free(f);
	pthread_mutex_destroy(&k.k_lock);
}
END_TEST

/* Returns this process's CPU time (user + system) in ms. */
static long
cpu_ms(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/*
 * Opens a handle with the given files on a fake with server context
 * ctx, which must refuse it: for 1.5 s the records are not
 * acknowledged, a problem logged says want, attempts follow the
 * backoff (not a busy loop) and nothing is stored.
 */
static void
handle_refused(SSL_CTX *ctx, const char *ca, const char *cert,
    const char *key, const char *want)
{
	struct algaudit_client *c;
	struct fake *f;
	struct keep k;
	long cpu0, cpu;
	char *text;
	int conns;

	keep_init(&k);
	f = fake_start(ctx);
	cpu0 = cpu_ms();
	c = handle_open(f, &k, ca, cert, key);
	log_range(c, 0, 10);
	ck_assert_int_eq(algaudit_flush(c, 1500), ALGAUDIT_ETIMEDOUT);
	cpu = cpu_ms() - cpu0;
	conns = atomic_load(&f->f_conns);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_ACKED), 0);
	ck_assert_int_eq(algaudit_close(c), ALGAUDIT_ETIMEDOUT);
	text = keep_text(&k);
	ck_assert_msg(strstr(text, want) != NULL, "'%s' lacks '%s'", text,
	    want);
	free(text);
	/*
	 * Backoff 10 to 40 ms: some attempts, far from a busy loop, and
	 * a poll loop that sleeps between them (not measured under
	 * valgrind, VALGRIND=1, where each handshake costs much more).
	 */
	ck_assert_int_ge(conns, 3);
	ck_assert_int_le(conns, 150);
	if (getenv("VALGRIND") == NULL)
		ck_assert_msg(cpu < 1000, "%ld ms of CPU in 1.5 s", cpu);
	pthread_mutex_lock(&f->f_lock);
	ck_assert_uint_eq(f->f_log_size, 0);
	pthread_mutex_unlock(&f->f_lock);
	fake_free(f);
	pthread_mutex_destroy(&k.k_lock);
}

/*
 * After fork(), the child's close of a TLS handle calls no OpenSSL (its
 * locks may be held by a parent thread for ever): it returns at once
 * even while a parent thread churns through OpenSSL. A regression hangs
 * only some children (a few in a thousand, measured), so this catches
 * it often rather than always.
 */
static atomic_int churn_stop;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TLS_TEST_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TLS_TEST_SANITIZED	1
#endif
#endif
#ifndef TLS_TEST_SANITIZED
#define TLS_TEST_SANITIZED	0
#endif

/* A parent thread that keeps OpenSSL's locks busy. */
static void *
churn_main(void *arg)
{
	SSL_CTX *ctx;
	SSL *ssl;

	(void)arg;
	while (!atomic_load(&churn_stop)) {
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			continue;
		if ((ssl = SSL_new(ctx)) != NULL)
			SSL_free(ssl);
		SSL_CTX_free(ctx);
	}
	return NULL;
}

START_TEST(test_handle_fork_child_close)
{
	struct algaudit_client *c;
	struct fake *f;
	struct keep k;
	pthread_t t;
	pid_t pid;
	int i, n, bad, status = 0;

	keep_init(&k);
	f = fake_start(srv_ctx(0, 1));
	c = handle_open(f, &k, pki.ca_pem, pki.cli_pem, pki.cli_keyf);
	log_range(c, 0, 10);
	ck_assert_int_eq(algaudit_flush(c, 20000), 0);
	/*
	 * Not under valgrind (VALGRIND=1), whose child would report the
	 * context left to it as a leak, nor under ASan or TSan, whose
	 * allocators are not fork-safe against a thread that allocates (a
	 * child hangs in free(), whatever we do); glibc's malloc is.
	 */
	n = TLS_TEST_SANITIZED || getenv("VALGRIND") != NULL ? 0 : 500;
	atomic_store(&churn_stop, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, churn_main, NULL), 0);
	for (i = 0, bad = -1; i < n && bad == -1; i++) {
		if ((pid = fork()) == 0) {
			alarm(5);
			_exit(algaudit_close(c) == ALGAUDIT_EFORKED ? 0 : 1);
		}
		if (pid == -1 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = i;
	}
	/* The churn stops before any assertion can end the test. */
	atomic_store(&churn_stop, 1);
	pthread_join(t, NULL);
	ck_assert_msg(bad == -1, "child %d: status %d (hung in close?)", bad,
	    status);
	/* The parent's handle is unaffected. */
	log_range(c, 10, 20);
	ck_assert_int_eq(algaudit_flush(c, 20000), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_free(f);
	pthread_mutex_destroy(&k.k_lock);
}
END_TEST

START_TEST(test_handle_unknown_ca)
{
	handle_refused(srv_ctx(0, 0), pki.other_pem, NULL, NULL,
	    ": tls: certificate verify failed: unable to get local issuer "
	    "certificate");
}
END_TEST

START_TEST(test_handle_tls12_daemon)
{
	handle_refused(srv_ctx(1, 0), pki.ca_pem, NULL, NULL,
	    ": tls: handshake: ");
}
END_TEST

START_TEST(test_handle_no_client_certificate)
{
	handle_refused(srv_ctx(0, 1), pki.ca_pem, NULL, NULL,
	    "alert certificate required");
}
END_TEST

START_TEST(test_handle_wrong_name)
{
	struct algaudit_client *c;
	struct algaudit_options *o;
	struct fake *f;
	struct keep k;
	char ep[64], *first;

	keep_init(&k);
	f = fake_start(srv_ctx(0, 0));
	o = test_options(&k);
	ck_assert_int_eq(algaudit_options_set_tls(o, pki.ca_pem, NULL, NULL),
	    0);
	ck_assert_int_eq(algaudit_options_set_tls_server_name(o,
	    "audit.example"), 0);
	snprintf(ep, sizeof(ep), "tls:127.0.0.1:%d", f->f_port);
	ck_assert_int_eq(algaudit_open(ep, "prod-a-1", o, &c), 0);
	algaudit_options_free(o);
	log_range(c, 0, 1);
	ck_assert_int_eq(algaudit_flush(c, 500), ALGAUDIT_ETIMEDOUT);
	ck_assert_int_eq(algaudit_close(c), ALGAUDIT_ETIMEDOUT);
	first = keep_first(&k);
	ck_assert_str_eq(first + strlen(ep), ": tls: certificate verify "
	    "failed: hostname mismatch");
	ck_assert_int_eq(k.k_first_level, ALGAUDIT_LOG_ERROR);
	free(first);
	fake_free(f);
	pthread_mutex_destroy(&k.k_lock);
}
END_TEST

START_TEST(test_handle_handshake_timeout)
{
	struct algaudit_client *c;
	struct algaudit_options *o;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct keep k;
	char ep[64], *first;
	int lfd;

	/* A listener that never answers: the connect timeout ends it. */
	keep_init(&k);
	ck_assert_int_ne(lfd = socket(AF_INET, SOCK_STREAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &slen), 0);
	o = test_options(&k);
	ck_assert_int_eq(algaudit_options_set_connect_timeout(o, 200), 0);
	ck_assert_int_eq(algaudit_options_set_tls(o, pki.ca_pem, NULL, NULL),
	    0);
	snprintf(ep, sizeof(ep), "tls:127.0.0.1:%d", ntohs(sin.sin_port));
	ck_assert_int_eq(algaudit_open(ep, "prod-a-1", o, &c), 0);
	algaudit_options_free(o);
	log_range(c, 0, 1);
	ck_assert_int_eq(algaudit_flush(c, 600), ALGAUDIT_ETIMEDOUT);
	ck_assert_int_eq(algaudit_close(c), ALGAUDIT_ETIMEDOUT);
	first = keep_first(&k);
	ck_assert_str_eq(first + strlen(ep), ": tls: handshake timed out");
	free(first);
	close(lfd);
	pthread_mutex_destroy(&k.k_lock);
}
END_TEST

static Suite *
client_tls_suite(void)
{
	Suite *s = suite_create("client_tls");
	TCase *tc;

	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_set_tls);
	tcase_add_test(tc, test_set_tls_server_name);
	tcase_add_test(tc, test_open_endpoint_combinations);
	suite_add_tcase(s, tc);

	tc = tcase_create("context");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_missing_files);
	tcase_add_test(tc, test_open_bad_files);
	tcase_add_test(tc, test_ctx_direct);
	suite_add_tcase(s, tc);

	tc = tcase_create("session");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_session_valid_round_trip);
	tcase_add_test(tc, test_session_names);
	tcase_add_test(tc, test_session_refusals);
	tcase_add_test(tc, test_session_tls12_reason);
	tcase_add_test(tc, test_session_client_certificate);
	tcase_add_test(tc, test_session_partial);
	tcase_add_test(tc, test_session_eof);
	tcase_add_test(tc, test_session_no_sigpipe);
	suite_add_tcase(s, tc);

	tc = tcase_create("handle");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_handle_round_trip_and_resend);
	tcase_add_test(tc, test_handle_unknown_ca);
	tcase_add_test(tc, test_handle_fork_child_close);
	tcase_add_test(tc, test_handle_tls12_daemon);
	tcase_add_test(tc, test_handle_no_client_certificate);
	tcase_add_test(tc, test_handle_wrong_name);
	tcase_add_test(tc, test_handle_handshake_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(client_tls_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
