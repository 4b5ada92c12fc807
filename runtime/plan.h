// The run plan's C side (plan.c, plan.go), shared by the constructor
// (entry.c) and the C init (cinit.c).

#ifndef GUN_PLAN_H
#define GUN_PLAN_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "cinit.h"

// The magic first string of gun's word to run a plan's container
// (verdictMagic in plan.go).
#define GUN_VERDICT_MAGIC "gun-go-1"

// The scratch directory's stand-in in a plan (plan.go).
#define PLAN_SCRATCH "\x01"

// The largest plan: one packet to gun.
enum { PLAN_MAX = 64 << 10 };

struct gun_plan {
	char *buf; // the plan file, mapped privately
	size_t n;
	const char *sock, *rundir, *resolv, *hosts, *hostname; // into buf
	int stdio;                                             // the standard streams' prefork flags
	char *config;                                          // the C init's configuration, into buf
	size_t nconfig;
	char scratch[PATH_MAX]; // the container's scratch directory, made
	int lock;               // its lock, taken
	int ns;                 // the holder's user namespace
	int fd;                 // the plan file, whose times the init sets when it runs the plan
	// The fast section (fastplan.go), when nfast > 0: nargs strings of
	// the command line the plan is for (planArgs), nfiles pairs of a path
	// and its identity from files, nenv pairs of a name and "=value" or
	// "-" from env, the image's entrypoint and default command (with
	// options, the whole command and none), what a detached container's
	// record takes (fastplan.go's Claim: the containers' directory, the
	// templates of the record, created, created with --rm, running and
	// running with --rm, and nwords adjectives, then nouns, at words), and
	// the container's record after its init's pid.
	int nfast, nargs, nfiles, nenv, nentry, ncmd, nwords;
	const char *args, *files, *env, *entry, *cmd, *ctr_dir, *ctr_records[4], *words, *record;
};

// gun_clean_abs: s is an absolute path as filepath.Clean leaves it.
int gun_clean_abs(const char *s);

// gun_plan_parse parses the plan file's bytes, p->buf of p->n, into p's
// fields. It returns 0, or -1 with e set.
int gun_plan_parse(struct gun_plan *p, struct gun_err *e);

// gun_write_all writes the n bytes at b to fd: 0, or -1 when it could not.
int gun_write_all(int fd, const char *b, size_t n);

// gun_plan_read reads and parses the plan for argv into p; 0 when there is
// one, -1 (quietly) when there is none. root gets the store's directory.
int gun_plan_read(int argc, char **argv, char **envp, struct gun_plan *p, char *root, size_t size);

// gun_plan_open takes the holder's namespace for the plan gun_plan_read
// read and makes the scratch directory; 0 when p is ready, -1 (quietly,
// the plan freed) when gun is to start the container itself.
int gun_plan_open(struct gun_plan *p);

// gun_plan_close frees what gun_plan_read and gun_plan_open took.
void gun_plan_close(struct gun_plan *p);

// gun_plan_current reports whether the plan p for the command line argv
// (`gun run [OPTIONS] IMAGE [CMD...]`) is what gun would make now, in the
// store root: it is the plan of argv, every file and variable its fast
// section names is as it was, and no stale scratch directory waits in the
// store for gun to remove. It returns 0, or -1 with why set.
int gun_plan_current(const struct gun_plan *p, const char *root, int argc, char **argv, char **envp, const char **why);

// gun_plan_verdict puts gun's word for the command line argv into buf
// (size bytes): for a plain one (`gun run IMAGE [CMD...]`) the image's
// entrypoint, then argv's command or the image's default one (as cmd/gun's
// runImage.command); with options, the command the plan holds. It returns
// its size, or -1 when there is no command or it does not fit.
ssize_t gun_plan_verdict(const struct gun_plan *p, int argc, char **argv, char *buf, size_t size);

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
