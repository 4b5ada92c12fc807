// The C init's configuration (cinit.c), parsed without side effects, for
// the init and, through cgo, for Go (cparse_cgo.go): the one reader of
// the binary form that fastconfig.go writes.

#ifndef GUN_CINIT_H
#define GUN_CINIT_H

#include <stddef.h>

// A failure to parse: errno's value (0 for none) and what failed. The
// caller reports it (cinit.c: die(125, err, "%s", msg)).
struct gun_err {
	int err;
	char msg[256];
};

struct gun_config {
	unsigned flags;
	const char *scratch, *hostname, *cwd, *user, *overlay, *path;
	unsigned short rows, cols; // the outer terminal's size, with F_TTY (0: none)
	unsigned long long caps;   // the command's bounding set
	// the command's seccomp filter (struct sock_filter; nfilter 0: none)
	void *filter;
	unsigned short nfilter;
	int nlayers, nargs, nenv, nmounts;
	char **layers, **args, **env; // env: the spec's KEY=VALUE entries
	// mounts: the volumes, three strings each: host path, target in the
	// container (absolute and clean), "ro" or "rw".
	char **mounts;
	char *owned; // the overlay's options, when gun_plan_config made them
};

// gun_parse_config parses the configuration b of n bytes (b[n] is NUL) into
// cfg, whose strings point into b: that of a plan (no command, the scratch
// directory's stand-in) when planned. It returns 0, or -1 with e set and
// nothing left to free.
int gun_parse_config(char *b, size_t n, int planned, struct gun_config *cfg, struct gun_err *e);

// gun_plan_config puts the scratch directory made for a plan's container
// in place of its stand-in, in cfg and in the overlay's options. It
// returns 0, or -1 with e set.
int gun_plan_config(struct gun_config *cfg, const char *scratch, struct gun_err *e);

// gun_parse_verdict parses gun's word on a plan (plan.go's verdict), b of n
// bytes (b[n] is NUL), into cfg's command. It returns 0; 1 when b is not
// gun's word (gun starts the container itself); -1, with e set, when it is
// malformed.
int gun_parse_verdict(char *b, size_t n, struct gun_config *cfg, struct gun_err *e);

// gun_config_free frees what parsing allocated in cfg (not the strings).
void gun_config_free(struct gun_config *cfg);

#endif
