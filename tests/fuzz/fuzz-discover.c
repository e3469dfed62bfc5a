/* SPDX-License-Identifier: MIT */
/*
 * Discovery's answers as a hostile host on the LAN sends them: any bytes,
 * read as an answer to the sysinfo query and to the probe of KLAP firmware
 * (the first byte says which, the rest is the datagram).  What the parser
 * promises of what it keeps: well-formed UTF-8, a port, the address it came
 * from.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "kasa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(20002)};
	enum kasa_transport t;
	struct kasa_found f;

	if (size == 0)
		return 0;
	t = data[0] & 1 ? KASA_TRANSPORT_KLAP : KASA_TRANSPORT_XOR;
	from.sin_addr.s_addr = htonl(0xC0000209); /* 192.0.2.9 */
	if (kasa_found_parse(t, data + 1, size - 1, (struct sockaddr *)&from, sizeof(from), &f) < 0)
		return 0;
	if (strcmp(f.host, "192.0.2.9") != 0 || f.transport != t || f.port == 0 ||
	    f.addrlen != sizeof(from))
		abort();
	check_text(f.info.alias);
	check_text(f.info.model);
	check_text(f.info.mac);
	check_text(f.info.device_id);
	check_text(f.info.type);
	check_text(f.klap.encrypt_type);
	if (f.info.outlet_count > KASA_OUTLETS_MAX)
		abort();
	return 0;
}
