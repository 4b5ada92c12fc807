//go:build linux && cgo

// The C half of gun run's plan (plan.go). The preforked init of a `gun run`
// looks for the plan that gun wrote for the same command line and, when
// there is one, sets the container up from it while gun's Go runtime
// starts: it joins the holder's user namespace, makes the scratch directory
// and everything the C init mounts. Nothing runs before gun has checked
// that the plan is, byte for byte, what it would have sent (plan.go);
// gun_plan_open only prepares what the init needs and fails quietly,
// leaving gun to start the container itself.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cinit.h"
#include "fdpass.h"
#include "plan.h"
#include "scratch.h"

// Keep in step with plan.go.
static const char plan_magic[] = "gun-plan-4";

static const char *env_get(char **envp, const char *name) {
	size_t n = strlen(name);
	for (char **e = envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

// clean_abs: s is an absolute path as filepath.Clean leaves it.
static int clean_abs(const char *s) {
	size_t n = strlen(s);
	return s[0] == '/' && strstr(s, "//") == NULL && strstr(s, "/./") == NULL && strstr(s, "/../") == NULL &&
	       (n == 1 || s[n - 1] != '/') && (n < 2 || strcmp(s + n - 2, "/.") != 0) &&
	       (n < 3 || strcmp(s + n - 3, "/..") != 0);
}

// store_root is store.DefaultRoot: $GUN_ROOT, $XDG_DATA_HOME/gun or
// $HOME/.local/share/gun, where the plans are. Only a clean absolute path is
// taken. (The plan names the store's run directory.)
static int store_root(char **envp, char *out, size_t size) {
	const char *r = env_get(envp, "GUN_ROOT"), *d;
	int n;
	if (r != NULL && *r != '\0')
		n = snprintf(out, size, "%s", r);
	else if ((d = env_get(envp, "XDG_DATA_HOME")) != NULL && d[0] == '/')
		n = snprintf(out, size, "%s/gun", d);
	else if ((d = env_get(envp, "HOME")) != NULL && *d != '\0')
		n = snprintf(out, size, "%s/.local/share/gun", d);
	else
		return -1;
	if (n < 0 || (size_t)n >= size || !clean_abs(out))
		return -1;
	return 0;
}

// fnv_add adds s and its NUL to the FNV-1a (64 bits) hash h.
static uint64_t fnv_add(uint64_t h, const char *s) {
	const unsigned char *p = (const unsigned char *)s;
	do {
		h ^= *p;
		h *= 1099511628211ULL;
	} while (*p++ != '\0');
	return h;
}

// plan_key is planKey of planArgs (plan.go): `gun run IMAGE [CMD...]`
// without options is keyed by "" and IMAGE, with options by every argument
// after "run".
static uint64_t plan_key(int argc, char **argv) {
	uint64_t h = 14695981039346656037ULL;
	if (argv[2][0] != '-')
		return fnv_add(fnv_add(h, ""), argv[2]);
	for (int i = 2; i < argc; i++)
		h = fnv_add(h, argv[i]);
	return h;
}

// read_plan reads the plan file at path into p->buf.
static int read_plan(const char *path, struct gun_plan *p) {
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	p->fd = fd;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid() || st.st_size <= 0 ||
	    st.st_size > PLAN_MAX)
		return -1;
	p->n = (size_t)st.st_size;
	p->buf = malloc(p->n);
	size_t got = 0;
	while (p->buf != NULL && got < p->n) {
		ssize_t r = read(fd, p->buf + got, p->n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return p->buf != NULL && got == p->n ? 0 : -1;
}

int gun_plan_parse(struct gun_plan *p, struct gun_err *e) {
	memset(e, 0, sizeof *e);
	// magic, socket, run directory, resolv.conf, hosts, hostname, the
	// standard streams' prefork flags, then the configuration.
	const char *magic = NULL, *stdio = NULL;
	const char **fields[] = {&magic, &p->sock, &p->rundir, &p->resolv, &p->hosts, &p->hostname, &stdio};
	char *c = p->buf, *end = p->buf + p->n;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		char *z = c < end ? memchr(c, '\0', (size_t)(end - c)) : NULL;
		if (z == NULL) {
			snprintf(e->msg, sizeof e->msg, "plan: truncated");
			return -1;
		}
		*fields[i] = c;
		c = z + 1;
	}
	if (strcmp(magic, plan_magic) != 0) {
		snprintf(e->msg, sizeof e->msg, "plan: of another version of gun");
		return -1;
	}
	// The scratch directory <run>/.new-<id>/resolv.conf must fit.
	if (!clean_abs(p->rundir) || strlen(p->rundir) >= PATH_MAX - 64) {
		snprintf(e->msg, sizeof e->msg, "plan: run directory %.64s is not a clean absolute path", p->rundir);
		return -1;
	}
	char *num;
	errno = 0;
	long v = strtol(stdio, &num, 10);
	if (errno != 0 || *stdio < '0' || *stdio > '9' || *num != '\0' || v > 255) {
		snprintf(e->msg, sizeof e->msg, "plan: bad flags %.32s", stdio);
		return -1;
	}
	p->stdio = (int)v;
	// The configuration is the rest, NUL-terminated.
	if (c >= end || end[-1] != '\0') {
		snprintf(e->msg, sizeof e->msg, "plan: truncated");
		return -1;
	}
	p->config = c;
	p->nconfig = (size_t)(end - c);
	return 0;
}

// ask_holder is askHolder of holder.go: the user namespace of the holder
// at sock, if it is the user's.
static int ask_holder(const char *sock) {
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof a.sun_path)
		return -1;
	strcpy(a.sun_path, sock);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	int r;
	do
		r = connect(s, (struct sockaddr *)&a, sizeof a);
	while (r < 0 && errno == EINTR);
	struct ucred cr;
	socklen_t crn = sizeof cr;
	if (r < 0 || getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &crn) < 0 || cr.uid != getuid()) {
		close(s);
		return -1;
	}
	char b;
	int ns;
	ssize_t got = gun_recv_fd(s, &b, 1, &ns, NULL);
	close(s);
	if (got <= 0 || ns < 0)
		return -1;
	int owner = -1;
	if (ioctl(ns, NS_GET_NSTYPE) != CLONE_NEWUSER || ioctl(ns, NS_GET_OWNER_UID, &owner) < 0 ||
	    (uid_t)owner != getuid()) {
		close(ns);
		return -1;
	}
	return ns;
}

static int write_new(int dir, const char *name, const char *data) {
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t n = strlen(data), done = 0;
	while (done < n) {
		ssize_t r = write(fd, data + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)r;
	}
	return close(fd);
}

// make_scratch is store.NewRunDir and the scratch layout of prepare
// (run.go), in the run directory the plan names (a directory of the
// user's): <run>/.new-<random id> with its lock taken, upper and work, and
// the files bound on /etc, then renamed <run>/<id> (store.RemoveStaleRuns
// leaves a young .new- alone, and a locked directory). The lock's
// descriptor goes to gun, which keeps the lock until the directory is
// removed.
static int make_scratch(struct gun_plan *p) {
	unsigned char id[8];
	if (getrandom(id, sizeof id, 0) != (ssize_t)sizeof id)
		return -1;
	char hex[2 * sizeof id + 1], tmp[sizeof hex + 8];
	for (size_t i = 0; i < sizeof id; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	snprintf(tmp, sizeof tmp, ".new-%s", hex);
	int n = snprintf(p->scratch, sizeof p->scratch, "%s/%s", p->rundir, hex);
	if (n < 0 || (size_t)n >= sizeof p->scratch)
		return -1;
	int run = open(p->rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (run < 0 || fstat(run, &st) < 0 || st.st_uid != getuid() || mkdirat(run, tmp, 0700) < 0) {
		if (run >= 0)
			close(run);
		return -1;
	}
	int dir = openat(run, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	p->lock = dir < 0 ? -1 : openat(dir, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	int ok = p->lock >= 0 && flock(p->lock, LOCK_EX | LOCK_NB) == 0;
	static const char *const dirs[] = {SCRATCH_UPPER, SCRATCH_WORK};
	static const char *const files[] = {SCRATCH_ETC_FILES};
	const char *data[] = {p->resolv, p->hosts, p->hostname};
	for (size_t i = 0; ok && i < 2; i++)
		ok = mkdirat(dir, dirs[i], 0755) == 0;
	for (size_t i = 0; ok && i < 3; i++)
		ok = write_new(dir, files[i], data[i]) == 0;
	ok = ok && renameat(run, tmp, run, hex) == 0;
	if (!ok) {
		if (dir >= 0) {
			for (size_t i = 0; i < 3; i++)
				unlinkat(dir, files[i], 0);
			for (size_t i = 0; i < 2; i++)
				unlinkat(dir, dirs[i], AT_REMOVEDIR);
			unlinkat(dir, "lock", 0);
		}
		unlinkat(run, tmp, AT_REMOVEDIR);
		if (p->lock >= 0)
			close(p->lock);
		p->lock = -1;
	}
	if (dir >= 0)
		close(dir);
	close(run);
	return ok ? 0 : -1;
}

// in_store: the run directory is in the store (gun checks that it is the
// store's: Starter.Scratch).
static int in_store(const char *root, const char *rundir) {
	size_t n = strlen(root);
	return strcmp(root, "/") == 0 || (strncmp(rundir, root, n) == 0 && rundir[n] == '/');
}

int gun_plan_open(int argc, char **argv, char **envp, struct gun_plan *p) {
	memset(p, 0, sizeof *p);
	p->lock = p->ns = p->fd = -1;
	if (argc < 3)
		return -1;
	char root[PATH_MAX - 64], path[PATH_MAX];
	if (store_root(envp, root, sizeof root) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/plans/%016llx", root, (unsigned long long)plan_key(argc, argv));
	struct gun_err e;
	if (read_plan(path, p) < 0 || gun_plan_parse(p, &e) < 0 || !in_store(root, p->rundir) ||
	    (p->ns = ask_holder(p->sock)) < 0)
		goto fail;
	if (make_scratch(p) < 0)
		goto fail;
	return 0;
fail:
	if (p->ns >= 0)
		close(p->ns);
	if (p->fd >= 0)
		close(p->fd);
	free(p->buf);
	memset(p, 0, sizeof *p);
	p->lock = p->ns = p->fd = -1;
	return -1;
}
