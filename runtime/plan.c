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

#include "fdpass.h"
#include "plan.h"

// Keep in step with plan.go.
static const char plan_magic[] = "gun-plan-3";

static const char *env_get(char **envp, const char *name) {
	size_t n = strlen(name);
	for (char **e = envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

// store_root is store.DefaultRoot: $GUN_ROOT, $XDG_DATA_HOME/gun or
// $HOME/.local/share/gun. Only a clean absolute path is taken (gun checks
// that the scratch directory is in its store anyway).
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
	if (n < 0 || (size_t)n >= size || out[0] != '/' || strstr(out, "//") != NULL ||
	    strstr(out, "/./") != NULL || strstr(out, "/../") != NULL || (n > 1 && out[n - 1] == '/'))
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

static int read_plan(const char *path, struct gun_plan *p) {
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid() || st.st_size <= 0 ||
	    st.st_size > PLAN_MAX) {
		close(fd);
		return -1;
	}
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
	p->fd = fd;
	if (p->buf == NULL || got != p->n || p->buf[p->n - 1] != '\0')
		return -1;
	// magic, socket, resolv.conf, hosts, hostname, the standard streams'
	// prefork flags, then the configuration.
	const char **fields[] = {NULL, &p->sock, &p->resolv, &p->hosts, &p->hostname, &p->stdio};
	char *c = p->buf, *end = p->buf + p->n;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		char *z = memchr(c, '\0', (size_t)(end - c));
		if (z == NULL || z + 1 >= end)
			return -1;
		if (i == 0 && strcmp(c, plan_magic) != 0)
			return -1;
		if (i > 0)
			*fields[i] = c;
		c = z + 1;
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
// (run.go): run/<random id>, its lock taken, upper and work, and the files
// bound on /etc. The lock's descriptor goes to gun, which keeps the
// lock until the directory is removed.
static int make_scratch(const char *root, struct gun_plan *p) {
	unsigned char id[8];
	if (getrandom(id, sizeof id, 0) != (ssize_t)sizeof id)
		return -1;
	char path[PATH_MAX];
	int n = snprintf(path, sizeof path, "%s/run.lock", root);
	if (n < 0 || (size_t)n >= sizeof path)
		return -1;
	int runlock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (runlock < 0)
		return -1;
	int r;
	do
		r = flock(runlock, LOCK_SH);
	while (r < 0 && errno == EINTR);
	n = snprintf(p->scratch, sizeof p->scratch, "%s/run/", root);
	for (size_t i = 0; i < sizeof id && n > 0 && (size_t)n + 3 < sizeof p->scratch; i++)
		n += snprintf(p->scratch + n, sizeof p->scratch - (size_t)n, "%02x", id[i]);
	int dir = -1;
	p->lock = -1;
	if (r == 0 && n > 0 && (size_t)n + 3 < sizeof p->scratch && mkdir(p->scratch, 0700) == 0) {
		dir = open(p->scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (dir >= 0)
			p->lock = openat(dir, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (p->lock >= 0 && flock(p->lock, LOCK_EX | LOCK_NB) < 0) {
			close(p->lock);
			p->lock = -1;
		}
	}
	close(runlock);
	if (p->lock < 0) {
		if (dir >= 0) {
			unlinkat(dir, "lock", 0);
			close(dir);
			rmdir(p->scratch);
		}
		return -1;
	}
	static const char *const dirs[] = {"upper", "work"};
	static const char *const files[] = {"resolv.conf", "hosts", "hostname"};
	const char *data[] = {p->resolv, p->hosts, p->hostname};
	int ok = 1;
	for (size_t i = 0; ok && i < 2; i++)
		ok = mkdirat(dir, dirs[i], 0755) == 0;
	for (size_t i = 0; ok && i < 3; i++)
		ok = write_new(dir, files[i], data[i]) == 0;
	if (!ok) {
		for (size_t i = 0; i < 3; i++)
			unlinkat(dir, files[i], 0);
		for (size_t i = 0; i < 2; i++)
			unlinkat(dir, dirs[i], AT_REMOVEDIR);
		unlinkat(dir, "lock", 0);
		rmdir(p->scratch);
		close(p->lock);
		p->lock = -1;
	}
	close(dir);
	return ok ? 0 : -1;
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
	if (read_plan(path, p) < 0 || (p->ns = ask_holder(p->sock)) < 0)
		goto fail;
	if (make_scratch(root, p) < 0)
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
