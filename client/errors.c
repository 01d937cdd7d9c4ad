/* SPDX-License-Identifier: ISC */
/*
 * errors.c: the library's version string and algaudit_strerror().
 *
 * Every ALGAUDIT_E* code has one message here that names the code, so a
 * log line carrying it can be grepped back to the enum. Positive codes
 * are errno values and are explained by the C library. Nothing here has
 * state.
 */
#include <string.h>

#include "client.h"

/* Returns the library version string. */
const char *
algaudit_version(void)
{
	return ALGAUDIT_VERSION_STRING;
}

/* Returns a static explanation of an algaudit or errno code. */
const char *
algaudit_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
	case ALGAUDIT_EINVAL:
		return "ALGAUDIT_EINVAL: invalid argument or field value";
	case ALGAUDIT_EFULL:
		return "ALGAUDIT_EFULL: queue full (or spool full)";
	case ALGAUDIT_ETIMEDOUT:
		return "ALGAUDIT_ETIMEDOUT: timed out before the record was "
		    "acknowledged";
	case ALGAUDIT_ECLOSED:
		return "ALGAUDIT_ECLOSED: the handle is closing";
	case ALGAUDIT_EREJECTED:
		return "ALGAUDIT_EREJECTED: the daemon refused the record";
	case ALGAUDIT_EPROTO:
		return "ALGAUDIT_EPROTO: malformed or unexpected data from the "
		    "daemon";
	case ALGAUDIT_EVERSION:
		return "ALGAUDIT_EVERSION: the daemon speaks another protocol "
		    "version";
	case ALGAUDIT_EFENCED:
		return "ALGAUDIT_EFENCED: a newer handle took this producer id";
	case ALGAUDIT_ESPOOL:
		return "ALGAUDIT_ESPOOL: the spool is unusable";
	case ALGAUDIT_EFORKED:
		return "ALGAUDIT_EFORKED: handle used in a child after fork()";
	case ALGAUDIT_ENOTFOUND:
		return "ALGAUDIT_ENOTFOUND: no such value";
	default:
		break;
	}
	if (code > 0)
		return strerror(code);
	return "ALGAUDIT_EUNKNOWN: unknown error code";
}
