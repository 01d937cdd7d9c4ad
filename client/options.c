/* SPDX-License-Identifier: ISC */
/*
 * options.c: the options object of algaudit_open() and its setters.
 *
 * Each setter checks its range and leaves the object unchanged when it
 * refuses a value. The object is plain data; algaudit_open() copies it
 * (options_copy()) so the caller may free or reuse it at once. Checks
 * that combine several options (the spool policy needs a directory,
 * TLS options need a tls: endpoint) belong to algaudit_open(); the TLS
 * files are read there too (tls.c), not here.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* Fills opts with the documented defaults. */
void
options_defaults(struct algaudit_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->o_queue_records = OPTIONS_QUEUE_RECORDS;
	opts->o_queue_bytes = OPTIONS_QUEUE_BYTES;
	opts->o_batch_records = OPTIONS_BATCH_RECORDS;
	opts->o_linger_us = OPTIONS_LINGER_US;
	opts->o_backoff_initial_ms = OPTIONS_BACKOFF_INITIAL;
	opts->o_backoff_max_ms = OPTIONS_BACKOFF_MAX;
	opts->o_overflow = ALGAUDIT_OVERFLOW_BLOCK;
	opts->o_block_timeout_ms = OPTIONS_BLOCK_TIMEOUT;
	opts->o_spool_dir = NULL;
	opts->o_spool_max = OPTIONS_SPOOL_MAX;
	opts->o_close_timeout_ms = OPTIONS_CLOSE_TIMEOUT;
	opts->o_connect_timeout_ms = OPTIONS_CONNECT_TIMEOUT;
	opts->o_ack_level = ALGAUDIT_ACK_DURABLE;
	opts->o_leaf_hashes = 0;
}

/* Copies string src into *dst (NULL stays NULL); returns 0 or ENOMEM. */
static int
options_strdup(char **dst, const char *src)
{
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return ENOMEM;
	return 0;
}

/*
 * Copies src into dst (which holds nothing); returns 0 or ENOMEM (dst
 * then owns what was copied; options_clear() frees it).
 */
int
options_copy(struct algaudit_options *dst, const struct algaudit_options *src)
{
	*dst = *src;
	dst->o_spool_dir = dst->o_tls_ca = dst->o_tls_cert = NULL;
	dst->o_tls_key = dst->o_tls_name = NULL;
	if (options_strdup(&dst->o_spool_dir, src->o_spool_dir) != 0 ||
	    options_strdup(&dst->o_tls_ca, src->o_tls_ca) != 0 ||
	    options_strdup(&dst->o_tls_cert, src->o_tls_cert) != 0 ||
	    options_strdup(&dst->o_tls_key, src->o_tls_key) != 0 ||
	    options_strdup(&dst->o_tls_name, src->o_tls_name) != 0)
		return ENOMEM;
	return 0;
}

/* Frees what an options value owns (the spool directory, TLS files). */
void
options_clear(struct algaudit_options *opts)
{
	free(opts->o_spool_dir);
	free(opts->o_tls_ca);
	free(opts->o_tls_cert);
	free(opts->o_tls_key);
	free(opts->o_tls_name);
	opts->o_spool_dir = opts->o_tls_ca = opts->o_tls_cert = NULL;
	opts->o_tls_key = opts->o_tls_name = NULL;
}

/* Returns 1 when any TLS option is set. */
int
options_has_tls(const struct algaudit_options *opts)
{
	return opts->o_tls_ca != NULL || opts->o_tls_cert != NULL ||
	    opts->o_tls_key != NULL || opts->o_tls_name != NULL;
}

int
algaudit_options_new(struct algaudit_options **out)
{
	struct algaudit_options *opts;

	if (out == NULL)
		return ALGAUDIT_EINVAL;
	if ((opts = malloc(sizeof(*opts))) == NULL)
		return ENOMEM;
	options_defaults(opts);
	*out = opts;
	return 0;
}

void
algaudit_options_free(struct algaudit_options *opts)
{
	if (opts == NULL)
		return;
	options_clear(opts);
	free(opts);
}

int
algaudit_options_set_queue(struct algaudit_options *opts, size_t records,
    size_t bytes)
{
	if (opts == NULL || records == 0 ||
	    records > OPTIONS_QUEUE_RECORDS_MAX ||
	    bytes < OPTIONS_QUEUE_BYTES_MIN ||
	    (uint64_t)bytes > OPTIONS_QUEUE_BYTES_MAX)
		return ALGAUDIT_EINVAL;
	opts->o_queue_records = records;
	opts->o_queue_bytes = bytes;
	return 0;
}

int
algaudit_options_set_batch(struct algaudit_options *opts,
    size_t max_records, uint32_t linger_us)
{
	if (opts == NULL || max_records == 0 ||
	    max_records > OPTIONS_BATCH_RECORDS_MAX ||
	    linger_us > OPTIONS_LINGER_US_MAX)
		return ALGAUDIT_EINVAL;
	opts->o_batch_records = max_records;
	opts->o_linger_us = linger_us;
	return 0;
}

int
algaudit_options_set_backoff(struct algaudit_options *opts,
    uint32_t initial_ms, uint32_t max_ms)
{
	if (opts == NULL || initial_ms == 0 || initial_ms > max_ms ||
	    max_ms > 3600u * 1000)
		return ALGAUDIT_EINVAL;
	opts->o_backoff_initial_ms = initial_ms;
	opts->o_backoff_max_ms = max_ms;
	return 0;
}

int
algaudit_options_set_overflow(struct algaudit_options *opts, int policy,
    uint32_t block_timeout_ms)
{
	if (opts == NULL || (policy != ALGAUDIT_OVERFLOW_BLOCK &&
	    policy != ALGAUDIT_OVERFLOW_SPOOL &&
	    policy != ALGAUDIT_OVERFLOW_DROP))
		return ALGAUDIT_EINVAL;
	opts->o_overflow = policy;
	opts->o_block_timeout_ms = block_timeout_ms;
	return 0;
}

int
algaudit_options_set_spool(struct algaudit_options *opts, const char *dir,
    uint64_t max_bytes)
{
	char *copy = NULL;

	if (opts == NULL || (dir != NULL && *dir == '\0') ||
	    (max_bytes != 0 && max_bytes < OPTIONS_SPOOL_MAX_MIN))
		return ALGAUDIT_EINVAL;
	if (dir != NULL && (copy = strdup(dir)) == NULL)
		return ENOMEM;
	free(opts->o_spool_dir);
	opts->o_spool_dir = copy;
	opts->o_spool_max = max_bytes == 0 ? OPTIONS_SPOOL_MAX : max_bytes;
	return 0;
}

int
algaudit_options_set_close_timeout(struct algaudit_options *opts,
    uint32_t ms)
{
	if (opts == NULL)
		return ALGAUDIT_EINVAL;
	opts->o_close_timeout_ms = ms;
	return 0;
}

int
algaudit_options_set_connect_timeout(struct algaudit_options *opts,
    uint32_t ms)
{
	if (opts == NULL || ms == 0 || ms > 3600u * 1000)
		return ALGAUDIT_EINVAL;
	opts->o_connect_timeout_ms = ms;
	return 0;
}

int
algaudit_options_set_log(struct algaudit_options *opts, algaudit_log_fn fn,
    void *arg)
{
	if (opts == NULL)
		return ALGAUDIT_EINVAL;
	opts->o_log_fn = fn;
	opts->o_log_arg = arg;
	return 0;
}

int
algaudit_options_set_ack_level(struct algaudit_options *opts, int level)
{
	if (opts == NULL || (level != ALGAUDIT_ACK_DURABLE &&
	    level != ALGAUDIT_ACK_CHECKPOINTED))
		return ALGAUDIT_EINVAL;
	opts->o_ack_level = level;
	return 0;
}

int
algaudit_options_set_receipts(struct algaudit_options *opts,
    int leaf_hashes)
{
	if (opts == NULL)
		return ALGAUDIT_EINVAL;
	opts->o_leaf_hashes = leaf_hashes != 0;
	return 0;
}

/* Checks a TLS file name: NULL, or 1 to PATH_MAX - 1 bytes. */
static int
options_tls_path_ok(const char *path)
{
	return path == NULL || (*path != '\0' && strlen(path) < PATH_MAX);
}

int
algaudit_options_set_tls(struct algaudit_options *opts, const char *ca_file,
    const char *cert_file, const char *key_file)
{
	char *ca = NULL, *cert = NULL, *key = NULL;

	if (opts == NULL || !options_tls_path_ok(ca_file) ||
	    !options_tls_path_ok(cert_file) || !options_tls_path_ok(key_file) ||
	    (cert_file == NULL) != (key_file == NULL))
		return ALGAUDIT_EINVAL;
	if (options_strdup(&ca, ca_file) != 0 ||
	    options_strdup(&cert, cert_file) != 0 ||
	    options_strdup(&key, key_file) != 0) {
		free(ca);
		free(cert);
		free(key);
		return ENOMEM;
	}
	free(opts->o_tls_ca);
	free(opts->o_tls_cert);
	free(opts->o_tls_key);
	opts->o_tls_ca = ca;
	opts->o_tls_cert = cert;
	opts->o_tls_key = key;
	return 0;
}

int
algaudit_options_set_tls_server_name(struct algaudit_options *opts,
    const char *name)
{
	char *copy = NULL;
	size_t i, len;

	if (opts == NULL)
		return ALGAUDIT_EINVAL;
	if (name != NULL) {
		len = strlen(name);
		if (len == 0 || len > OPTIONS_TLS_NAME_MAX)
			return ALGAUDIT_EINVAL;
		/* A DNS name or an address: printable ASCII, no space. */
		for (i = 0; i < len; i++)
			if ((unsigned char)name[i] <= 0x20 ||
			    (unsigned char)name[i] >= 0x7f)
				return ALGAUDIT_EINVAL;
		if ((copy = strdup(name)) == NULL)
			return ENOMEM;
	}
	free(opts->o_tls_name);
	opts->o_tls_name = copy;
	return 0;
}
