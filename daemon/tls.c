/* SPDX-License-Identifier: ISC */
/*
 * tls.c: TLS 1.3 for the tls:HOST:PORT listeners, through OpenSSL and
 * libevent's bufferevent_openssl.
 *
 * One server context is built from --tls-cert, --tls-key and, when
 * client certificates are required, --tls-client-ca: TLS 1.3 only, no
 * renegotiation, no session tickets (producers hold one connection for
 * hours), SSL_OP_IGNORE_UNEXPECTED_EOF so that a producer that dies
 * without a TLS close is an end of stream like on any other socket,
 * and client certificates verified for the clientAuth purpose (an
 * expired certificate, one from another CA, one without clientAuth in
 * its extended key usage, or none at all ends the handshake). SIGHUP
 * builds a new context; connections keep the one they were accepted
 * with (an SSL holds a reference), a context that does not build keeps
 * the old one.
 *
 * The identity of a verified peer is its certificate's subject, as an
 * RFC 2253 string for the entry's peer.tls_subject, and the subject's
 * common name for the "cn:" allow rules (allow.c). Nothing here reads
 * or writes a connection's data: conn.c does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "daemon.h"
#include "log.h"

#define TLS_EXPIRY_WARN_DAYS	30	/* warn this close to expiry */

static int	 tls_fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Formats "message: OpenSSL's reason" into err, draining OpenSSL's
 * error queue; returns -1 for convenience.
 */
static int
tls_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	char reason[256];
	unsigned long e;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* The earliest error says what went wrong, the rest how. */
	if ((e = ERR_get_error()) != 0) {
		if (ERR_SYSTEM_ERROR(e))
			snprintf(reason, sizeof(reason), "%s",
			    strerror(ERR_GET_REASON(e)));
		else if (ERR_reason_error_string(e) != NULL)
			snprintf(reason, sizeof(reason), "%s",
			    ERR_reason_error_string(e));
		else
			ERR_error_string_n(e, reason, sizeof(reason));
		n = strlen(err);
		if (n < errlen)
			snprintf(err + n, errlen - n, ": %s", reason);
	}
	ERR_clear_error();
	return -1;
}

/* Returns 1 when some --listen endpoint is tls:. */
int
tls_wanted(const struct cfg *cf)
{
	size_t i;

	for (i = 0; i < cf->cf_nlisten; i++)
		if (cf->cf_listen[i].ep_type == CFG_EP_TLS)
			return 1;
	return 0;
}

/*
 * Checks the validity dates of the certificate in use by ctx: expired
 * or not yet valid is an error, close to expiry only a warning in
 * *warn (empty when none). Returns 0, or -1 with err set.
 */
static int
tls_check_dates(SSL_CTX *ctx, const char *path, char *warn, size_t warnlen,
    char *err, size_t errlen)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	const ASN1_TIME *na;
	int days = 0, secs = 0;

	warn[0] = '\0';
	if (x == NULL)
		return tls_fail(err, errlen, "tls-cert: %s: no certificate",
		    path);
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		return tls_fail(err, errlen, "tls-cert: %s: not valid yet",
		    path);
	na = X509_get0_notAfter(x);
	if (X509_cmp_current_time(na) < 0)
		return tls_fail(err, errlen, "tls-cert: %s: expired", path);
	if (ASN1_TIME_diff(&days, &secs, NULL, na) == 1 &&
	    days < TLS_EXPIRY_WARN_DAYS)
		snprintf(warn, warnlen, "tls-cert: %s: expires in %d days",
		    path, days);
	return 0;
}

/*
 * Builds the server context from cf's TLS options: certificate chain,
 * key (which must match), and the client CA when one is set. Returns 0
 * with *out set (SSL_CTX_free() it), or -1 with a message naming the
 * option and file in err. *warn gets a warning to log, or "".
 */
int
tls_ctx_new(const struct cfg *cf, SSL_CTX **out, char *warn, size_t warnlen,
    char *err, size_t errlen)
{
	STACK_OF(X509_NAME) *names;
	SSL_CTX *ctx;

	*out = NULL;
	warn[0] = '\0';
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return tls_fail(err, errlen, "tls: cannot create a context");
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
		tls_fail(err, errlen, "tls: cannot require TLS 1.3");
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	/* Send tls-cert's chain as given, not one built from the CA store. */
	SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, cf->cf_tls_cert) != 1) {
		tls_fail(err, errlen, "tls-cert: %s: cannot load the "
		    "certificate chain", cf->cf_tls_cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cf->cf_tls_key,
	    SSL_FILETYPE_PEM) != 1) {
		tls_fail(err, errlen, "tls-key: %s: cannot load the private "
		    "key", cf->cf_tls_key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_fail(err, errlen, "tls-key: %s: does not match the "
		    "certificate in %s", cf->cf_tls_key, cf->cf_tls_cert);
		goto fail;
	}
	if (tls_check_dates(ctx, cf->cf_tls_cert, warn, warnlen, err,
	    errlen) == -1)
		goto fail;
	if (cf->cf_tls_client_ca[0] != '\0') {
		if (SSL_CTX_load_verify_locations(ctx, cf->cf_tls_client_ca,
		    NULL) != 1) {
			tls_fail(err, errlen, "tls-client-ca: %s: cannot load "
			    "the CA certificates", cf->cf_tls_client_ca);
			goto fail;
		}
		if ((names = SSL_load_client_CA_file(cf->cf_tls_client_ca)) ==
		    NULL) {
			tls_fail(err, errlen, "tls-client-ca: %s: no CA "
			    "certificate in it", cf->cf_tls_client_ca);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		/* Client certificates must be meant for clients. */
		if (SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
			tls_fail(err, errlen, "tls: cannot set the purpose");
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	} else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return -1;
}

/*
 * Builds the context at start. Returns 0 (d->d_tls set, or NULL when no
 * endpoint is tls:), or -1 after logging.
 */
int
tls_start(struct daemon *d)
{
	char err[1024], warn[512];

	d->d_tls = NULL;
	if (!tls_wanted(&d->d_cfg))
		return 0;
	if (tls_ctx_new(&d->d_cfg, &d->d_tls, warn, sizeof(warn), err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	if (warn[0] != '\0')
		log_warnx("%s", warn);
	log_info("tls: certificate %s, %s", d->d_cfg.cf_tls_cert,
	    d->d_cfg.cf_tls_client_ca[0] != '\0' ? "client certificates "
	    "required" : "no client certificates (peers are not "
	    "authenticated)");
	return 0;
}

/*
 * SIGHUP: builds a context from cf's TLS options and makes it the one
 * new connections get. Returns 0, or -1 after logging when it does not
 * build: the old context stays, and the caller must keep the options
 * it was built from.
 */
int
tls_reload(struct daemon *d, const struct cfg *cf)
{
	SSL_CTX *ctx;
	char err[1024], warn[512];

	if (d->d_tls == NULL)
		return 0;
	if (tls_ctx_new(cf, &ctx, warn, sizeof(warn), err,
	    sizeof(err)) == -1) {
		log_warnx("SIGHUP: %s; new TLS connections keep the previous "
		    "certificates and client CA", err);
		return -1;
	}
	if (warn[0] != '\0')
		log_warnx("SIGHUP: %s", warn);
	SSL_CTX_free(d->d_tls);
	d->d_tls = ctx;
	log_info("SIGHUP: tls: certificates read again (%s; %s)",
	    cf->cf_tls_cert, cf->cf_tls_client_ca[0] != '\0' ?
	    "client certificates required" : "no client certificates");
	return 0;
}

/* Frees the context (connections still holding it keep it alive). */
void
tls_stop(struct daemon *d)
{
	SSL_CTX_free(d->d_tls);
	d->d_tls = NULL;
}

/*
 * Wraps accepted socket fd in a TLS server bufferevent. Returns it, or
 * NULL with fd closed.
 */
struct bufferevent *
tls_bufferevent(struct daemon *d, int fd)
{
	struct bufferevent *bev;
	SSL *ssl;

	if ((ssl = SSL_new(d->d_tls)) == NULL) {
		ERR_clear_error();
		close(fd);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(d->d_base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		/*
		 * Out of memory. If libevent got as far as its bufferevent
		 * it freed it, closing fd and freeing ssl; if not, both
		 * are still ours. The descriptor tells which.
		 */
		if (fcntl(fd, F_GETFD) != -1) {
			SSL_free(ssl);
			close(fd);
		}
		return NULL;
	}
	/* A peer that vanishes without close_notify is an EOF. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/*
 * Copies the UTF-8 of the subject's single common name into cn, or ""
 * when there is none, more than one, or it holds a control character
 * (such a name could not be told apart in a rule or a log).
 */
static void
tls_common_name(X509_NAME *name, char *cn, size_t len)
{
	X509_NAME_ENTRY *e;
	unsigned char *utf8 = NULL;
	int i, n, k;

	cn[0] = '\0';
	if ((i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0 ||
	    X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return;
	e = X509_NAME_get_entry(name, i);
	if ((n = ASN1_STRING_to_UTF8(&utf8,
	    X509_NAME_ENTRY_get_data(e))) < 0)
		return;
	if ((size_t)n < len) {
		for (k = 0; k < n; k++)
			if (utf8[k] < 0x20 || utf8[k] == 0x7f)
				break;
		if (k == n) {
			memcpy(cn, utf8, (size_t)n);
			cn[n] = '\0';
		}
	}
	OPENSSL_free(utf8);
}

/*
 * Fills p's TLS identity from the verified certificate of bev's peer
 * (after the handshake): p_tls_subject (RFC 2253, UTF-8) and p_tls_cn.
 * Returns 1 when the peer presented a verified certificate, 0 when it
 * presented none (or one not verified), and -1 when its subject cannot
 * be recorded whole (longer than p_tls_subject, or not UTF-8): such a
 * peer must be refused, not recorded under a cut name.
 */
int
tls_peer_identity(struct bufferevent *bev, struct peer *p)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	X509 *x;
	BIO *mem;
	char *s;
	long n = -1;
	int ok = 0;

	p->p_tls_subject[0] = '\0';
	p->p_tls_cn[0] = '\0';
	if (ssl == NULL || (x = SSL_get1_peer_certificate(ssl)) == NULL)
		return 0;
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		goto out;
	ok = -1;
	if ((mem = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	if (X509_NAME_print_ex(mem, X509_get_subject_name(x), 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
		n = BIO_get_mem_data(mem, &s);
	if (n >= 0 && (size_t)n < sizeof(p->p_tls_subject) &&
	    record_utf8_valid(s, (size_t)n)) {
		memcpy(p->p_tls_subject, s, (size_t)n);
		p->p_tls_subject[n] = '\0';
		tls_common_name(X509_get_subject_name(x), p->p_tls_cn,
		    sizeof(p->p_tls_cn));
		ok = 1;
	}
	BIO_free(mem);
out:
	X509_free(x);
	ERR_clear_error();
	return ok;
}

/*
 * Writes why bev's TLS failed into buf: OpenSSL's errors and, when a
 * certificate was refused, why (expired, wrong purpose, unknown CA),
 * else the socket error, else "closed".
 */
void
tls_error(struct bufferevent *bev, char *buf, size_t len)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e;
	const char *r;
	size_t off = 0;
	long v;
	int n;

	buf[0] = '\0';
	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		/* Errors without a reason (libevent's own) add nothing. */
		if ((r = ERR_reason_error_string(e)) == NULL || off >= len)
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? "; " : "", r);
		if (n > 0)
			off += (size_t)n;
	}
	if (ssl != NULL && (v = SSL_get_verify_result(ssl)) != X509_V_OK &&
	    off < len) {
		n = snprintf(buf + off, len - off, "%s%s", off ? ": " : "",
		    X509_verify_cert_error_string(v));
		if (n > 0)
			off += (size_t)n;
	}
	if (off == 0)
		snprintf(buf, len, "%s", EVUTIL_SOCKET_ERROR() != 0 ?
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()) :
		    "closed during the handshake");
}
