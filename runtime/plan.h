// The run plan's C side (plan.c, plan.go), shared by the constructor
// (entry.c) and the C init (cinit.c).

#ifndef GUN_PLAN_H
#define GUN_PLAN_H

#include <limits.h>
#include <stddef.h>

#include "cinit.h"

// The scratch directory's stand-in in a plan (plan.go).
#define PLAN_SCRATCH "\x01"

// The largest plan: one packet to gun.
enum { PLAN_MAX = 64 << 10 };

struct gun_plan {
	char *buf; // the plan file, as read
	size_t n;
	const char *sock, *rundir, *resolv, *hosts, *hostname; // into buf
	int stdio;                                             // the standard streams' prefork flags
	char *config;                                          // the C init's configuration, into buf
	size_t nconfig;
	char scratch[PATH_MAX]; // the container's scratch directory, made
	int lock;               // its lock, taken
	int ns;                 // the holder's user namespace
	int fd;                 // the plan file, whose times the init sets when it runs the plan
};

// gun_plan_parse parses the plan file's bytes, p->buf of p->n, into p's
// fields. It returns 0, or -1 with e set.
int gun_plan_parse(struct gun_plan *p, struct gun_err *e);

// gun_plan_open reads the plan for argv, joins nothing yet but takes the
// holder's namespace and makes the scratch directory; 0 when p is ready,
// -1 (quietly) when gun is to start the container itself.
int gun_plan_open(int argc, char **argv, char **envp, struct gun_plan *p);

// gun_cinit (cinit.c) is the container's init: it reads its configuration
// from gun, sets the container up, runs the command and exits with its
// status.
__attribute__((noreturn)) void gun_cinit(void);

// gun_cinit_planned is the init for a plan's configuration: it sets the
// container up and runs the command only when gun says so (plan.go).
__attribute__((noreturn)) void gun_cinit_planned(const struct gun_plan *p);

// gun_cinit_oci is the init of an OCI bundle's container (`gun oci
// create`, oci.go): its process becomes pid 1 itself, held until `gun oci
// start`.
__attribute__((noreturn)) void gun_cinit_oci(void);

#endif
