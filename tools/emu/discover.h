/* SPDX-License-Identifier: MIT */
/*
 * kasa-emu: the discovery of KLAP firmware (discover.c).  One UDP socket on
 * a port of its own (20002 on real plugs), on the emulator's address; a
 * valid probe (a 16-byte header: version 2, op_code 1, the payload's
 * length, a CRC-32) gets one answer per KLAP device, sent from that port: a
 * header of the same shape, then {"error_code":0,"result":{"device_type":..,
 * "mgt_encrypt_schm":{"encrypt_type":"KLAP","http_port":PORT,..},..}}.
 * Devices speaking XOR do not answer here (they answer on their own port).
 */
#ifndef EMU_DISCOVER_H
#define EMU_DISCOVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct emu_device;

#define EMU_DISCOVER_HEADER_LEN 16

/* Bind addr:port (0: a free one) and answer for the devices (borrowed: they
 * must outlive discover_stop()).  -errno when the port cannot be bound. */
int discover_start(const struct sockaddr *addr, socklen_t len, uint16_t port,
		   struct emu_device *const *devices, size_t n);
/* "ADDR:PORT" of the socket, "[ADDR]:PORT" for IPv6. */
void discover_name(char *buf, size_t len);
void discover_stop(void);

#endif
