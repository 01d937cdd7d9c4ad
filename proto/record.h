/* SPDX-License-Identifier: ISC */
/*
 * record.h: the rules a DecisionRecord must follow, shared by the
 * client library (which refuses bad values at the call) and the daemon
 * (which refuses bad records from the wire). Pure: no I/O, no globals.
 * The limits are part of the protocol; docs/PROTOCOL.md lists them.
 */
#ifndef ALGAUDIT_RECORD_H
#define ALGAUDIT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "algaudit.pb-c.h"

/* Longest string, in bytes, of each field (UTF-8, no NUL inside). */
#define RECORD_MAX_PRODUCER_ID	128
#define RECORD_MAX_ID		128	/* algorithm.id, decision, ids */
#define RECORD_MAX_VERSION	64
#define RECORD_MAX_FILING	64
#define RECORD_MAX_DIGEST	64	/* model_digest, input_digest */
#define RECORD_MAX_SUBJECT	256
#define RECORD_MAX_NAME		128	/* input name, feature, label key */
#define RECORD_MAX_TEXT		4096	/* input text, explanation text */
#define RECORD_MAX_SHORT	64	/* reason code, jurisdiction */
#define RECORD_MAX_PURPOSE	256
#define RECORD_MAX_LABEL_VALUE	256
#define RECORD_MAX_INPUTS	256
#define RECORD_MAX_ATTRIBUTIONS	256
#define RECORD_MAX_REASON_CODES	64
#define RECORD_MAX_LABELS	64

/* Size of the message buffer record_validate() fills. */
#define RECORD_ERRLEN		256

int	 record_utf8_valid(const char *, size_t);
int	 record_check_string(const char *, const char *, size_t, int,
	    char *, size_t);
int	 record_check_producer_id(const char *, char *, size_t);
int	 record_validate(const Algaudit__V1__DecisionRecord *, char *, size_t);
const char *record_class_name(int);
int	 record_class_parse(const char *);

#endif /* ALGAUDIT_RECORD_H */
