// The C init's configuration (cinit.c), parsed without side effects, for
// the init and, through cgo, for Go (cparse_cgo.go): the one reader of
// the binary form that fastconfig.go writes.

#ifndef GUN_CINIT_H
#define GUN_CINIT_H

#include <stddef.h>
#include <sys/types.h>

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
	// groups: supplementary groups added to the user's (numbers).
	int ngroups;
	gid_t *groups;
	char *owned; // the overlay's options, when gun_plan_config made them
	struct gun_oci *oci; // an OCI bundle's container (F_OCI), else NULL
};

// What an OCI bundle's config.json adds (oci.go's ociInit), with F_OCI.
// Numbers stay strings, checked by the parser; lists hold k strings an
// item, nX counting strings.
struct gun_oci {
	const char *root, *domainname;
	unsigned long propagation; // MS_* for the root after pivot_root (0: none)
	unsigned uid, gid, umask;
	unsigned long long effective, permitted, inheritable, ambient;
	int npreserve; // descriptors for the process at 3..., the init's from OCI_FIRST_FD
	// (the additional gids are gun_config's groups)
	int nrlimits, nsysctls, nmounts, ndevices, nmasked, nreadonly, nns;
	char **rlimits;  // resource, soft, hard
	char **sysctls;  // key, value
	char **mounts;   // source, target, type, flags, propagation, data
	char **devices;  // path, type (c b u p), major, minor, mode, uid, gid
	char **masked, **readonly;
	char **ns;       // type (user pid net ipc uts mnt cgroup time), path ("" new)
	// The createContainer and startContainer hooks, in config.json's
	// order, and the container's state they read on stdin: a JSON object
	// without the pid ("" without hooks).
	const char *hookstate;
	int nhooks, nhookstrs;
	struct gun_hook *hooks;
	char **hookstrs; // the hooks' strings, as sent (hooks point into them)
};

// A hook of config.json that the init runs in the container.
struct gun_hook {
	const char *kind, *path; // kind: "createContainer" or "startContainer"
	unsigned timeout;        // seconds; 0: none
	int nargs, nenv;         // nargs > 0: args[0] is argv[0]
	char **args, **env;      // NULL-terminated (one allocation: env follows args)
};

// What a configuration is for: a container's init (gun sends it), a
// plan's init (no command, the scratch directory's stand-in) or a process
// started in a running container (gun_cexec: no layers, no scratch
// directory, no mounts).
enum gun_config_kind { GUN_CONFIG_RUN, GUN_CONFIG_PLAN, GUN_CONFIG_EXEC };

// gun_parse_config parses the configuration b of n bytes (b[n] is NUL), of
// the kind given, into cfg, whose strings point into b. It returns 0, or
// -1 with e set and nothing left to free.
int gun_parse_config(char *b, size_t n, enum gun_config_kind kind, struct gun_config *cfg, struct gun_err *e);

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

// gun_cexec runs the process of a configuration of GUN_CONFIG_EXEC,
// received on the sync socket, in the running container whose init's
// pidfd is descriptor 4 (the entry gun:exec), and exits with its status.
__attribute__((noreturn)) void gun_cexec(void);

#endif
