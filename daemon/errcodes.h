/* SPDX-License-Identifier: MIT */
/*
 * kasad's own error codes, beside the -errno values plugs give.  The
 * device service returns some of them; every front door maps them all
 * (errors.c to HTTP statuses and JSON codes).
 */
#ifndef KASAD_ERRCODES_H
#define KASAD_ERRCODES_H

#define API_EBADREQ  (-10001)
#define API_ENOROUTE (-10002)
#define API_ENODEV   (-10003)
#define API_EMETHOD  (-10004)
#define API_ETOOBIG  (-10005)
#define API_ENOMETER (-10006)
#define API_EURLBIG  (-10007)
#define API_EHDRBIG  (-10008)
#define API_ENOAUTH  (-10009) /* no token, or a wrong one */
#define API_ESCOPE   (-10010) /* a token whose scope is too small */
#define API_EHOST    (-10011)
#define API_EORIGIN  (-10012)
#define API_ERATE    (-10013)
#define API_ESWITCH  (-10014)
#define API_ETOKURL  (-10015)
#define API_ESTREAMS (-10016)
#define API_EFRAMING (-10017)
#define API_ECODING  (-10018)
#define API_EBADHOST (-10019)
#define API_EBADPATH (-10020)
#define API_EBUSY    (-10021)
#define API_ELATE    (-10022) /* a request that did not arrive whole in time */
#define API_ENORULE  (-10023) /* no rule of that id on the plug */
#define API_ERULESFULL (-10024) /* the plug's table of rules is full */
#define API_ENOTFOUND (-10025) /* named by its MAC, the plug has not answered discovery */
#define API_ENODIMMER (-10026) /* a level for a device without a dimmer */
#define API_EBRIGHTNESS (-10027) /* a level out of 1..100 */

#endif
