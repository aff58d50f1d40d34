/* fault_proxy.h - a loopback TCP proxy in front of the test PostgreSQL
 * (its Unix socket) that cuts connections: each connection is dropped
 * after a random number of bytes (both directions counted), so a sync is
 * interrupted at any point of its conversation. Runs in a child process;
 * bounded by its own deadline. */
#ifndef OP_FAULT_PROXY_H
#define OP_FAULT_PROXY_H

#include <stdint.h>
#include <sys/types.h>

struct fault_proxy {
	pid_t pid;
	int port; /* on 127.0.0.1 */
};

/* Forward 127.0.0.1:port to the Unix socket at unix_path. Each
 * connection is cut after a byte count drawn from [min_cut, max_cut]
 * (seeded by seed), or never when max_cut is 0. The proxy exits by itself
 * after deadline_s seconds. 0 on success. */
int fault_proxy_start(struct fault_proxy *p, const char *unix_path,
		      uint64_t seed, long min_cut, long max_cut,
		      int deadline_s);
void fault_proxy_stop(struct fault_proxy *p);

#endif
