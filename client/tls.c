/* SPDX-License-Identifier: ISC */
/*
 * tls.c: TLS 1.3 for tls:HOST:PORT endpoints, on OpenSSL 3: the
 * context of a handle (trust anchors, the client certificate and key,
 * the name the daemon's certificate must carry) and the session of one
 * connection (a non-blocking handshake, reads and writes).
 *
 * The context is built once, when the handle is opened, so that a
 * missing or bad file fails algaudit_open() with a message naming the
 * file instead of failing every connection later. Sessions never block
 * and never decide anything: each call says whether it finished,
 * whether it must be retried once the socket is readable or writable
 * (OpenSSL's SSL_ERROR_WANT_READ and _WANT_WRITE; a read may need the
 * socket writable and a write may need it readable), whether the daemon
 * closed the connection, or why it failed, in words from OpenSSL. io.c
 * owns the socket, the poll loop, the deadlines and the reconnects.
 *
 * The socket is reached through a BIO of our own that calls send() with
 * MSG_NOSIGNAL, because OpenSSL's socket BIO calls write(), which would
 * raise SIGPIPE in the host once the daemon has gone. Only TLS 1.3 is
 * offered, the daemon's certificate is verified against the trust
 * anchors and the expected DNS name or IP address, and a connection the
 * daemon drops without a close_notify is an end of file, not an error
 * (SSL_OP_IGNORE_UNEXPECTED_EOF). Nothing here has global state, logs
 * or touches the handle.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "client.h"

struct tls_context {
	SSL_CTX		*tc_ctx;
	BIO_METHOD	*tc_bio;	/* send()/recv() on the socket */
	char		*tc_name;	/* the daemon's certificate carries */
	int		 tc_name_is_ip;
};

struct tls_session {
	SSL		*ts_ssl;
	int		 ts_failed;	/* a fatal error: no close_notify */
};

/*
 * Writes OpenSSL's reason for the oldest error in this thread's queue
 * (the cause; later entries add context) into buf, then clears the
 * queue. fallback is used when the queue is empty.
 */
static void
tls_reason(char *buf, size_t len, const char *fallback)
{
	unsigned long e;
	const char *r;

	e = ERR_get_error();
	r = e != 0 ? ERR_reason_error_string(e) : NULL;
	if (e != 0 && r == NULL)
		snprintf(buf, len, "OpenSSL error %lx", e);
	else
		snprintf(buf, len, "%s", r != NULL ? r : fallback);
	ERR_clear_error();
}

/* BIO write: send() without SIGPIPE. */
static int
tls_bio_write(BIO *b, const char *buf, int len)
{
	ssize_t n;
	int fd = (int)(intptr_t)BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	do
		n = send(fd, buf, (size_t)len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return (int)n;
}

/* BIO read: recv(); 0 at end of file. */
static int
tls_bio_read(BIO *b, char *buf, int len)
{
	ssize_t n;
	int fd = (int)(intptr_t)BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	do
		n = recv(fd, buf, (size_t)len, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	/* What SSL_OP_IGNORE_UNEXPECTED_EOF asks the BIO (BIO_eof()). */
	if (n == 0)
		BIO_set_flags(b, BIO_FLAGS_IN_EOF);
	return (int)n;
}

/*
 * BIO control: a socket has nothing to flush; BIO_eof() is whether
 * recv() saw the end of the stream; nothing else applies.
 */
static long
tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	if (cmd == BIO_CTRL_EOF)
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

/* The PEM passphrase callback: none, so an encrypted key never prompts. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

/*
 * Checks that path can be opened for reading, so that the message of a
 * missing file is the system's. Returns 0 or an errno (message in err).
 */
static int
tls_check_file(const char *what, const char *path, char *err, size_t errlen)
{
	FILE *fp;
	int rc;

	if ((fp = fopen(path, "r")) != NULL) {
		fclose(fp);
		return 0;
	}
	rc = errno != 0 ? errno : EIO;
	snprintf(err, errlen, "tls: %s %s: %s", what, path, strerror(rc));
	return rc;
}

/* Loads the trust anchors, the client certificate and its key. */
static int
tls_context_load(struct tls_context *tc, const struct algaudit_options *o,
    char *err, size_t errlen)
{
	char why[256];
	int rc;

	if (o->o_tls_ca != NULL) {
		if ((rc = tls_check_file("CA file", o->o_tls_ca, err,
		    errlen)) != 0)
			return rc;
		if (SSL_CTX_load_verify_locations(tc->tc_ctx, o->o_tls_ca,
		    NULL) != 1) {
			tls_reason(why, sizeof(why), "no certificate");
			snprintf(err, errlen, "tls: CA file %s: %s",
			    o->o_tls_ca, why);
			return ALGAUDIT_EINVAL;
		}
	} else if (SSL_CTX_set_default_verify_paths(tc->tc_ctx) != 1) {
		tls_reason(why, sizeof(why), "unknown error");
		snprintf(err, errlen, "tls: the system's default trust store: "
		    "%s", why);
		return ALGAUDIT_EINVAL;
	}
	if (o->o_tls_cert == NULL)
		return 0;
	if ((rc = tls_check_file("certificate file", o->o_tls_cert, err,
	    errlen)) != 0 ||
	    (rc = tls_check_file("key file", o->o_tls_key, err, errlen)) != 0)
		return rc;
	if (SSL_CTX_use_certificate_chain_file(tc->tc_ctx, o->o_tls_cert) !=
	    1) {
		tls_reason(why, sizeof(why), "no certificate");
		snprintf(err, errlen, "tls: certificate file %s: %s",
		    o->o_tls_cert, why);
		return ALGAUDIT_EINVAL;
	}
	/* A key that does not match the certificate fails here already. */
	if (SSL_CTX_use_PrivateKey_file(tc->tc_ctx, o->o_tls_key,
	    SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(tc->tc_ctx) != 1) {
		tls_reason(why, sizeof(why), "no key");
		if (strstr(why, "mismatch") != NULL)
			snprintf(err, errlen, "tls: key file %s does not match "
			    "certificate file %s: %s", o->o_tls_key,
			    o->o_tls_cert, why);
		else
			snprintf(err, errlen, "tls: key file %s: %s",
			    o->o_tls_key, why);
		return ALGAUDIT_EINVAL;
	}
	return 0;
}

/*
 * Builds the TLS context of a handle from its options: the trust
 * anchors (o_tls_ca, else the system's), the client certificate and
 * key if set, and the name the daemon's certificate must carry
 * (o_tls_name, else host). Returns 0; an errno when a file cannot be
 * opened, ALGAUDIT_EINVAL when a file or the name is unusable, with a
 * message naming it in err; or ENOMEM.
 */
int
tls_context_new(const struct algaudit_options *o, const char *host,
    struct tls_context **out, char *err, size_t errlen)
{
	struct tls_context *tc;
	X509_VERIFY_PARAM *vp;
	unsigned char addr[16];
	const char *name;
	char why[256];
	int rc = ENOMEM;

	err[0] = '\0';
	name = o->o_tls_name != NULL ? o->o_tls_name : host;
	if (name == NULL || *name == '\0' ||
	    strlen(name) > OPTIONS_TLS_NAME_MAX) {
		snprintf(err, errlen, "tls: server name: 1 to %d bytes",
		    OPTIONS_TLS_NAME_MAX);
		return ALGAUDIT_EINVAL;
	}
	ERR_clear_error();
	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		return ENOMEM;
	if ((tc->tc_name = strdup(name)) == NULL)
		goto fail;
	tc->tc_name_is_ip = inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1;
	/*
	 * What is not an address must be a DNS name: not "[::1]", not a
	 * zone ("fe80::1%eth0"), not "127.1", which would only ever fail
	 * the check as a hostname mismatch.
	 */
	if (!tc->tc_name_is_ip && (strpbrk(name, ":[]%") != NULL ||
	    strspn(name, "0123456789.") == strlen(name))) {
		snprintf(err, errlen, "tls: server name '%s': neither a DNS "
		    "name nor an IP address (IPv6 without brackets or zone; "
		    "set one with algaudit_options_set_tls_server_name())",
		    name);
		rc = ALGAUDIT_EINVAL;
		goto fail;
	}
	if ((tc->tc_ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (tc->tc_bio = BIO_meth_new(BIO_TYPE_SOURCE_SINK,
	    "algaudit socket")) == NULL ||
	    BIO_meth_set_write(tc->tc_bio, tls_bio_write) != 1 ||
	    BIO_meth_set_read(tc->tc_bio, tls_bio_read) != 1 ||
	    BIO_meth_set_ctrl(tc->tc_bio, tls_bio_ctrl) != 1) {
		tls_reason(why, sizeof(why), "out of memory");
		snprintf(err, errlen, "tls: cannot create the context: %s",
		    why);
		goto fail;
	}
	if (SSL_CTX_set_min_proto_version(tc->tc_ctx, TLS1_3_VERSION) != 1) {
		tls_reason(why, sizeof(why), "unknown error");
		snprintf(err, errlen, "tls: this OpenSSL offers no TLS 1.3: "
		    "%s", why);
		rc = ALGAUDIT_EINVAL;
		goto fail;
	}
	SSL_CTX_set_options(tc->tc_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_NO_RENEGOTIATION);
	/*
	 * io.c resends the rest of a partly written buffer; it keeps the
	 * buffer in place until it is written (moving is allowed anyway).
	 */
	SSL_CTX_set_mode(tc->tc_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(tc->tc_ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_default_passwd_cb(tc->tc_ctx, tls_no_passphrase);
	vp = SSL_CTX_get0_param(tc->tc_ctx);
	X509_VERIFY_PARAM_set_hostflags(vp,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if ((tc->tc_name_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, name) :
	    X509_VERIFY_PARAM_set1_host(vp, name, 0)) != 1) {
		tls_reason(why, sizeof(why), "not a DNS name or IP address");
		snprintf(err, errlen, "tls: server name '%s': %s", name, why);
		rc = ALGAUDIT_EINVAL;
		goto fail;
	}
	if ((rc = tls_context_load(tc, o, err, errlen)) != 0)
		goto fail;
	*out = tc;
	return 0;

fail:
	if (rc == ENOMEM && err[0] == '\0')
		snprintf(err, errlen, "tls: %s", strerror(ENOMEM));
	tls_context_free(tc);
	return rc;
}

/* Frees a context; its sessions must be freed first. NULL is allowed. */
void
tls_context_free(struct tls_context *tc)
{
	if (tc == NULL)
		return;
	SSL_CTX_free(tc->tc_ctx);
	BIO_meth_free(tc->tc_bio);
	free(tc->tc_name);
	free(tc);
}

/* Returns the name the daemon's certificate must carry. */
const char *
tls_context_name(const struct tls_context *tc)
{
	return tc->tc_name;
}

/*
 * Starts a client session on the connected non-blocking socket fd (not
 * owned: the caller closes it after tls_session_free()). Returns 0 or
 * ENOMEM, with a message in err.
 */
int
tls_session_new(struct tls_context *tc, int fd, struct tls_session **out,
    char *err, size_t errlen)
{
	struct tls_session *ts;
	BIO *bio = NULL;
	char why[256];

	ERR_clear_error();
	if ((ts = calloc(1, sizeof(*ts))) == NULL) {
		snprintf(err, errlen, "tls: %s", strerror(ENOMEM));
		return ENOMEM;
	}
	if ((ts->ts_ssl = SSL_new(tc->tc_ctx)) == NULL ||
	    (bio = BIO_new(tc->tc_bio)) == NULL)
		goto fail;
	BIO_set_data(bio, (void *)(intptr_t)fd);
	BIO_set_init(bio, 1);
	SSL_set_bio(ts->ts_ssl, bio, bio);	/* the SSL owns it now */
	bio = NULL;
	/* Server Name Indication carries DNS names only (RFC 6066). */
	if (!tc->tc_name_is_ip &&
	    SSL_set_tlsext_host_name(ts->ts_ssl, tc->tc_name) != 1)
		goto fail;
	SSL_set_connect_state(ts->ts_ssl);
	*out = ts;
	return 0;

fail:
	tls_reason(why, sizeof(why), "out of memory");
	snprintf(err, errlen, "tls: cannot start a session: %s", why);
	BIO_free(bio);
	tls_session_free(ts);
	return ENOMEM;
}

/* Frees a session without a word to the peer. NULL is allowed. */
void
tls_session_free(struct tls_session *ts)
{
	if (ts == NULL)
		return;
	SSL_free(ts->ts_ssl);
	free(ts);
}

/*
 * Maps the result r of an SSL call to a TLS_* status; on failure writes
 * why into err, prefixed with what (the operation), and marks the
 * session failed. Clears the thread's OpenSSL error queue.
 */
static int
tls_status(struct tls_session *ts, int r, const char *what, char *err,
    size_t errlen)
{
	char why[256];
	long v;
	int e, saved = errno;

	e = SSL_get_error(ts->ts_ssl, r);
	switch (e) {
	case SSL_ERROR_NONE:
		return TLS_OK;
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		ERR_clear_error();
		return TLS_CLOSED;
	case SSL_ERROR_SYSCALL:
		ts->ts_failed = 1;
		if (ERR_peek_error() == 0 && saved == 0) {
			/* Old OpenSSL's way of saying end of file. */
			return TLS_CLOSED;
		}
		if (ERR_peek_error() != 0) {
			tls_reason(why, sizeof(why), "unknown error");
			snprintf(err, errlen, "tls: %s: %s", what, why);
		} else
			snprintf(err, errlen, "tls: %s: %s", what,
			    strerror(saved));
		ERR_clear_error();
		return TLS_FAILED;
	default:
		ts->ts_failed = 1;
		v = SSL_get_verify_result(ts->ts_ssl);
		if (v != X509_V_OK) {
			snprintf(err, errlen, "tls: certificate verify failed: "
			    "%s", X509_verify_cert_error_string(v));
			ERR_clear_error();
			return TLS_FAILED;
		}
		tls_reason(why, sizeof(why), "unknown error");
		snprintf(err, errlen, "tls: %s: %s", what, why);
		return TLS_FAILED;
	}
}

/*
 * Advances the handshake. Returns TLS_OK once it is complete (the
 * daemon's certificate verified), TLS_WANT_READ or TLS_WANT_WRITE (call
 * again when the socket is ready so), TLS_CLOSED or TLS_FAILED (why in
 * err, e.g. "tls: certificate verify failed: hostname mismatch").
 */
int
tls_session_handshake(struct tls_session *ts, char *err, size_t errlen)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(ts->ts_ssl);
	if (r == 1)
		return TLS_OK;
	return tls_status(ts, r, "handshake", err, errlen);
}

/*
 * Reads up to len decrypted bytes into buf. Returns TLS_OK with the
 * count in *n (at least 1), TLS_WANT_READ or TLS_WANT_WRITE (nothing
 * now: retry when the socket is ready so), TLS_CLOSED (the daemon
 * closed the connection, with or without a close_notify) or TLS_FAILED
 * (why in err). Data may stay buffered in the session after a read
 * that filled buf; see tls_session_pending().
 */
int
tls_session_read(struct tls_session *ts, void *buf, size_t len, size_t *n,
    char *err, size_t errlen)
{
	int r;

	*n = 0;
	if (len == 0)
		return TLS_OK;
	ERR_clear_error();
	errno = 0;
	r = SSL_read_ex(ts->ts_ssl, buf, len, n);
	if (r == 1)
		return TLS_OK;
	return tls_status(ts, r, "read", err, errlen);
}

/*
 * Writes up to len bytes of buf. Returns TLS_OK with the count taken in
 * *n (partial writes happen: resend the rest), TLS_WANT_WRITE or
 * TLS_WANT_READ (nothing taken: retry with the same bytes, which may
 * have moved, when the socket is ready so), TLS_CLOSED or TLS_FAILED
 * (why in err).
 */
int
tls_session_write(struct tls_session *ts, const void *buf, size_t len,
    size_t *n, char *err, size_t errlen)
{
	uint8_t scratch[512];
	size_t got;
	int r, rc, saved;

	*n = 0;
	if (len == 0)
		return TLS_OK;
	ERR_clear_error();
	errno = 0;
	r = SSL_write_ex(ts->ts_ssl, buf, len, n);
	if (r == 1)
		return TLS_OK;
	saved = errno;
	rc = tls_status(ts, r, "write", err, errlen);
	if (rc != TLS_FAILED || (saved != EPIPE && saved != ECONNRESET))
		return rc;
	/*
	 * A daemon that refuses our certificate (TLS 1.3 checks it after
	 * our side of the handshake is over) sends an alert and closes,
	 * and our first write may then fail before the alert is read: the
	 * alert is the reason worth reporting, if it is there.
	 */
	ERR_clear_error();
	if (SSL_read_ex(ts->ts_ssl, scratch, sizeof(scratch), &got) != 1 &&
	    SSL_get_error(ts->ts_ssl, 0) == SSL_ERROR_SSL &&
	    ERR_peek_error() != 0)
		(void)tls_status(ts, 0, "read", err, errlen);
	ERR_clear_error();
	return TLS_FAILED;
}

/*
 * Returns 1 when decrypted bytes wait inside the session: the socket
 * may never become readable again for them, so the caller must read
 * before it polls. (Not SSL_has_pending(): that also counts part of a
 * record, which needs the socket, and would make the caller spin.)
 */
int
tls_session_pending(const struct tls_session *ts)
{
	return SSL_pending(ts->ts_ssl) > 0;
}

/*
 * Sends a close_notify if the session is healthy, without waiting for
 * the daemon's; the caller then frees it and closes the socket.
 */
void
tls_session_close(struct tls_session *ts)
{
	if (ts == NULL || ts->ts_failed ||
	    !SSL_is_init_finished(ts->ts_ssl))
		return;
	ERR_clear_error();
	(void)SSL_shutdown(ts->ts_ssl);
	ERR_clear_error();
}

/*
 * Describes a completed handshake for the debug log: protocol, cipher
 * suite and the subject of the daemon's certificate.
 */
void
tls_session_describe(const struct tls_session *ts, char *buf, size_t len)
{
	X509 *peer;
	char subject[256];

	subject[0] = '\0';
	if ((peer = SSL_get1_peer_certificate(ts->ts_ssl)) != NULL) {
		X509_NAME_oneline(X509_get_subject_name(peer), subject,
		    sizeof(subject));
		X509_free(peer);
	}
	snprintf(buf, len, "%s, %s, daemon certificate %s",
	    SSL_get_version(ts->ts_ssl), SSL_get_cipher_name(ts->ts_ssl),
	    subject[0] != '\0' ? subject : "(none)");
}
