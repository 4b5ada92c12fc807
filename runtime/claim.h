// A detached container's record, made in C (claim.c) for gun run -d's
// monitor that starts its container from a plan without Go (entry.c): what
// container.Dir's Create, Save and Remove do, in their layout and under
// their locks. What the record holds, where records live and the words of
// generated names come from the plan (fastplan.go's Claim), all of them
// the container package's; the C names no field of a record.

#ifndef GUN_CLAIM_H
#define GUN_CLAIM_H

#include <limits.h>
#include <time.h>

#include "plan.h"

struct gun_ctr {
	// Set by the caller: the plan, whose fast section has the claim's
	// part; the name (NULL: one is generated); --rm; the command, nargs
	// NUL-terminated strings at args; the scratch directory.
	const struct gun_plan *plan;
	const char *name, *args, *scratch;
	int nargs, auto_remove;
	// Set by gun_ctr_claim.
	char path[PATH_MAX]; // the containers' directory
	char id[65];
	char gen_name[64];
	int lock; // the container's lock, held while the container lives
	struct timespec created, started;
};

// gun_ctr_claim records c as a created container in the plan's
// containers' directory (made if missing): a new id, its name claimed
// under the directory's lock (-1 when it is taken or not a valid name:
// gun's Go says so), its lock taken. -1 on any failure, with nothing left.
int gun_ctr_claim(struct gun_ctr *c);

// gun_ctr_running records that c's command runs: its start time and the
// monitor's pid (this process).
int gun_ctr_running(struct gun_ctr *c);

// gun_ctr_remove removes c's record and name and closes its lock.
void gun_ctr_remove(struct gun_ctr *c);

// gun_ctr_check_name is container.CheckName: 0 for a valid name, else -1.
int gun_ctr_check_name(const char *name);

#endif
