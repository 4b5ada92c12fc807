// Passing a descriptor over a unix socket (fdpass.c), for the constructor
// (entry.c) and plan.c.

#ifndef GUN_FDPASS_H
#define GUN_FDPASS_H

#include <sys/types.h>
#include <sys/uio.h>

// gun_send_fd sends one packet of the n parts iov, with fd attached unless
// it is -1; it returns 0, or -1 with errno set.
int gun_send_fd(int s, struct iovec *iov, int n, int fd);

// gun_recv_fd receives one packet into buf (n bytes at most) and returns
// its size (0 at the socket's end, -1 with errno set on failure). *fd is
// the one descriptor attached (close-on-exec), or -1 when there is not
// exactly one; *truncated says whether the packet or its descriptors did
// not fit.
ssize_t gun_recv_fd(int s, void *buf, size_t n, int *fd, int *truncated);

#endif
