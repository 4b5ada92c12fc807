// A detached container's record, made in C (claim.c) for gun run -d's
// monitor that starts its container from a plan without Go (entry.c): what
// container.Dir's Create, Save and Remove do, in their layout
// (container/container.go, which is the reference; a test checks that it
// reads what this writes).

#ifndef GUN_CLAIM_H
#define GUN_CLAIM_H

#include <limits.h>
#include <time.h>

struct gun_ctr {
	// Set by the caller: the record's fields (name NULL: one is
	// generated), the command as nargs NUL-terminated strings at args.
	const char *name, *image, *image_id, *stop_signal, *store, *scratch;
	const char *args;
	int nargs, auto_remove;
	// Set by gun_ctr_claim.
	char path[PATH_MAX]; // the containers' directory
	char id[65];
	char gen_name[64];
	int lock; // the container's lock, held while the container lives
	struct timespec created, started;
};

// gun_ctr_path puts the containers' directory of the store root in out
// (container.DefaultPath): $XDG_RUNTIME_DIR/gun/containers, else
// root/containers. -1 when it is not a clean absolute path (Go decides).
int gun_ctr_path(char **envp, const char *root, char *out, size_t size);

// gun_ctr_claim records c as a created container in the directory c->path
// (made if missing): a new id, its name claimed under the directory's lock
// (-1 when it is taken or not a valid name: gun's Go says so), its lock
// taken. -1 on any failure, with nothing left.
int gun_ctr_claim(struct gun_ctr *c);

// gun_ctr_running records that c's command runs: its start time and the
// monitor's pid (this process).
int gun_ctr_running(struct gun_ctr *c);

// gun_ctr_remove removes c's record and name and closes its lock.
void gun_ctr_remove(struct gun_ctr *c);

// gun_ctr_words returns the words of generated names: the adjectives
// (which 0) or the nouns (which 1), *n of them; for the test that checks
// them against the container package's.
const char *const *gun_ctr_words(int which, int *n);

#endif
