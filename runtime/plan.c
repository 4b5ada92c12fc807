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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cinit.h"
#include "fdpass.h"
#include "plan.h"
#include "scratch.h"

// Keep in step with plan.go.
static const char plan_magic[] = "gun-plan-8";

static const char *env_get(char **envp, const char *name) {
	size_t n = strlen(name);
	for (char **e = envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

int gun_clean_abs(const char *s) {
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
	if (n < 0 || (size_t)n >= size || !gun_clean_abs(out))
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

// read_plan maps the plan file at path at p->buf: its pages are the page
// cache's, where a copy on the heap took three new pages of memory at each
// start. Privately, so that a page written is copied and the file never
// changes; gun replaces a plan by a rename, never in place (writePlan), so
// that a mapped plan does not change under it either.
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
	void *m = mmap(NULL, p->n, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	p->buf = m;
	return 0;
}

// next_str returns the NUL-terminated string at *c before end and moves *c
// past it, or NULL when there is none.
static const char *next_str(char **c, char *end) {
	char *z = *c < end ? memchr(*c, '\0', (size_t)(end - *c)) : NULL;
	if (z == NULL)
		return NULL;
	const char *s = *c;
	*c = z + 1;
	return s;
}

// count parses s, a count of strings in decimal without sign or leading
// zeros; -1 when it is none.
static int count(const char *s) {
	size_t n = s == NULL ? 0 : strlen(s);
	if (n == 0 || n > 5 || (n > 1 && s[0] == '0') || strspn(s, "0123456789") != n)
		return -1;
	return atoi(s);
}

// skip_strs moves *c past n strings; -1 when they are not there.
static int skip_strs(char **c, char *end, int n) {
	for (int i = 0; i < n; i++)
		if (next_str(c, end) == NULL)
			return -1;
	return 0;
}

// fnv_bytes adds n bytes at b to the FNV-1a (64 bits) hash h.
static uint64_t fnv_bytes(uint64_t h, const char *b, size_t n) {
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

// parse_fast parses the fast section (fastplan.go) of k strings at *c,
// whose last is the checksum of the plan's other bytes.
static int parse_fast(struct gun_plan *p, char **c, char *end, int k, struct gun_err *e) {
	int *counts[] = {&p->nargs, &p->nfiles, &p->nenv, &p->nentry, &p->ncmd};
	const char **lists[] = {&p->args, &p->files, &p->env, &p->entry, &p->cmd};
	int per[] = {1, 2, 2, 1, 1}, used = 0;
	for (size_t i = 0; i < sizeof per / sizeof per[0]; i++) {
		int n = count(next_str(c, end));
		*lists[i] = *c;
		if (n < 0 || skip_strs(c, end, per[i] * n) < 0) {
			snprintf(e->msg, sizeof e->msg, "plan: bad fast section");
			return -1;
		}
		*counts[i] = n;
		used += 1 + per[i] * n;
	}
	// The claim's (fastplan.go's Claim): the containers' directory, the
	// record's templates, the words of generated names.
	p->ctr_dir = next_str(c, end);
	int ok = p->ctr_dir != NULL;
	for (size_t i = 0; i < sizeof p->ctr_records / sizeof p->ctr_records[0]; i++) {
		p->ctr_records[i] = next_str(c, end);
		ok = ok && p->ctr_records[i] != NULL;
	}
	p->nwords = count(next_str(c, end));
	p->words = *c;
	ok = ok && p->nwords >= 0 && skip_strs(c, end, 2 * p->nwords) == 0;
	used += 6 + 2 * p->nwords;
	p->record = next_str(c, end);
	char *sum_at = *c;
	const char *sum = next_str(c, end);
	if (!ok || p->record == NULL || sum == NULL || used + 2 != k || *p->record == '\0') {
		snprintf(e->msg, sizeof e->msg, "plan: bad fast section");
		return -1;
	}
	char want[17];
	uint64_t h = fnv_bytes(14695981039346656037ULL, p->buf, (size_t)(sum_at - p->buf));
	h = fnv_bytes(h, *c, (size_t)(end - *c));
	snprintf(want, sizeof want, "%016llx", (unsigned long long)h);
	if (strcmp(sum, want) != 0) {
		snprintf(e->msg, sizeof e->msg, "plan: checksum %.16s, want %s", sum, want);
		return -1;
	}
	// A command line, every file's path and identity, every variable's
	// name, not empty.
	if (p->nargs < 2) {
		snprintf(e->msg, sizeof e->msg, "plan: bad fast section");
		return -1;
	}
	const char *f = p->files;
	for (int i = 0; i < 2 * p->nfiles + 2 * p->nenv; i++) {
		if (i == 2 * p->nfiles)
			f = p->env;
		if (*f == '\0') {
			snprintf(e->msg, sizeof e->msg, "plan: bad fast section");
			return -1;
		}
		f += strlen(f) + 1;
	}
	p->nfast = k;
	return 0;
}

int gun_plan_parse(struct gun_plan *p, struct gun_err *e) {
	memset(e, 0, sizeof *e);
	p->nfast = 0;
	// magic, socket, run directory, resolv.conf, hosts, hostname, the
	// standard streams' prefork flags, the fast section's count and
	// strings, then the configuration.
	const char *magic = NULL, *stdio = NULL;
	const char **fields[] = {&magic, &p->sock, &p->rundir, &p->resolv, &p->hosts, &p->hostname, &stdio};
	char *c = p->buf, *end = p->buf + p->n;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if ((*fields[i] = next_str(&c, end)) == NULL) {
			snprintf(e->msg, sizeof e->msg, "plan: truncated");
			return -1;
		}
	}
	if (strcmp(magic, plan_magic) != 0) {
		snprintf(e->msg, sizeof e->msg, "plan: of another version of gun");
		return -1;
	}
	// The scratch directory <run>/.new-<id>/resolv.conf must fit.
	if (!gun_clean_abs(p->rundir) || strlen(p->rundir) >= PATH_MAX - 64) {
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
	const char *k = next_str(&c, end);
	int nk = count(k);
	if (nk < 0) {
		snprintf(e->msg, sizeof e->msg, k == NULL ? "plan: truncated" : "plan: bad fast section");
		return -1;
	}
	if (nk > 0 && parse_fast(p, &c, end, nk, e) < 0)
		return -1;
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

int gun_write_all(int fd, const char *b, size_t n) {
	for (size_t done = 0; done < n;) {
		ssize_t r = write(fd, b + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

static int write_new(int dir, const char *name, const char *data) {
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (gun_write_all(fd, data, strlen(data)) < 0) {
		close(fd);
		return -1;
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

void gun_plan_close(struct gun_plan *p) {
	if (p->ns >= 0)
		close(p->ns);
	if (p->fd >= 0)
		close(p->fd);
	if (p->buf != NULL)
		munmap(p->buf, p->n);
	memset(p, 0, sizeof *p);
	p->lock = p->ns = p->fd = -1;
}

int gun_plan_read(int argc, char **argv, char **envp, struct gun_plan *p, char *root, size_t size) {
	memset(p, 0, sizeof *p);
	p->lock = p->ns = p->fd = -1;
	if (argc < 3 || size < 64 || store_root(envp, root, size - 64) < 0)
		return -1;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/plans/%016llx", root, (unsigned long long)plan_key(argc, argv));
	struct gun_err e;
	if (read_plan(path, p) < 0 || gun_plan_parse(p, &e) < 0 || !in_store(root, p->rundir)) {
		gun_plan_close(p);
		return -1;
	}
	return 0;
}

int gun_plan_open(struct gun_plan *p) {
	if ((p->ns = ask_holder(p->sock)) < 0 || make_scratch(p) < 0) {
		gun_plan_close(p);
		return -1;
	}
	return 0;
}

// ---- the fast path's checks (entry.c's gun_fast) ----

// identity formats what stat says of a file as fileIdentity (fastplan.go).
static void identity(const struct stat *st, char *buf, size_t size) {
	snprintf(buf, size, "%llu %llu %u %lld %lld %ld %lld %ld", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino, (unsigned)st->st_mode, (long long)st->st_size, (long long)st->st_mtim.tv_sec,
		 (long)st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, (long)st->st_ctim.tv_nsec);
}

// stale_runs reports whether the run directory holds what gun removes
// before a container starts (store.RemoveStaleRuns, StopStaleNetworks): a
// scratch directory whose lock nobody holds, or a .new- one a minute old.
static int stale_runs(const char *run) {
	int dir = open(run, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dir < 0)
		return errno != ENOENT;
	char buf[4096];
	long n;
	int stale = 0;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	while (!stale && (n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
		for (long off = 0; !stale && off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			// An entry gone meanwhile (a .new- one renamed, as this
			// run's prefork does, a container's removed) is not stale.
			struct stat st;
			if (d->d_name[0] == '.') {
				if (fstatat(dir, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
					stale = errno != ENOENT;
				else
					stale = now.tv_sec - st.st_mtim.tv_sec >= 59;
				continue;
			}
			char lock[PATH_MAX];
			int ln = snprintf(lock, sizeof lock, "%s/lock", d->d_name);
			int fd = ln > 0 && (size_t)ln < sizeof lock ? openat(dir, lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
			if (fd < 0)
				stale = !(errno == ENOENT && fstatat(dir, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
			else
				stale = flock(fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK;
			if (fd >= 0)
				close(fd);
		}
	}
	close(dir);
	return stale || n < 0;
}

// read_small returns the content of the file path, if it fits buf and
// holds no NUL, else NULL.
static const char *read_small(const char *path, char *buf, size_t size) {
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, size);
	close(fd);
	if (n <= 0 || (size_t)n >= size || memchr(buf, '\0', (size_t)n) != NULL)
		return NULL;
	buf[n] = '\0';
	return buf;
}

// same_args: the plan is argv's, not another's of the same key: its
// strings are planArgs of argv (plan_key's).
static int same_args(const struct gun_plan *p, int argc, char **argv) {
	int plain = argv[2][0] != '-';
	if (p->nargs != (plain ? 2 : argc - 2))
		return 0;
	const char *a = p->args;
	for (int i = 0; i < p->nargs; i++) {
		const char *want = plain ? (i == 0 ? "" : argv[2]) : argv[2 + i];
		if (strcmp(a, want) != 0)
			return 0;
		a += strlen(a) + 1;
	}
	return 1;
}

// working_dir puts what Go's os.Getwd returns in buf: $PWD when it is an
// absolute path to the working directory, else the kernel's name of it.
static const char *working_dir(char **envp, char *buf, size_t size) {
	const char *pwd = env_get(envp, "PWD");
	struct stat a, b;
	if (pwd != NULL && pwd[0] == '/' && strlen(pwd) < size && stat(pwd, &a) == 0 && stat(".", &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		strcpy(buf, pwd);
		return buf;
	}
	return getcwd(buf, size);
}

int gun_plan_current(const struct gun_plan *p, const char *root, int argc, char **argv, char **envp, const char **why) {
	char run[PATH_MAX];
	snprintf(run, sizeof run, "%s/run", strcmp(root, "/") == 0 ? "" : root);
	if (p->nfast == 0) {
		*why = "the plan has no fast section";
		return -1;
	}
	if (!same_args(p, argc, argv)) {
		*why = "the plan is another command line's";
		return -1;
	}
	if (strcmp(p->rundir, run) != 0) {
		*why = "the plan's run directory is not the store's";
		return -1;
	}
	// As gun reads the image: under the store's gc.lock, shared (a prune
	// holds it to remove what no image uses).
	char gc[PATH_MAX];
	snprintf(gc, sizeof gc, "%s/gc.lock", strcmp(root, "/") == 0 ? "" : root);
	int lk = open(gc, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (lk >= 0 && flock(lk, LOCK_SH | LOCK_NB) < 0) {
		close(lk);
		*why = "the store is being pruned";
		return -1;
	}
	int r = 0;
	const char *f = p->files;
	for (int i = 0; r == 0 && i < p->nfiles; i++) {
		const char *path = f, *want = f + strlen(f) + 1;
		f = want + strlen(want) + 1;
		// "+": gun only needed it to exist (a volume's source).
		struct stat st;
		char got[256] = "-";
		if (stat(path, &st) < 0) {
			if (errno != ENOENT)
				got[0] = '\0';
		} else if (strcmp(want, "+") == 0) {
			strcpy(got, "+");
		} else {
			identity(&st, got, sizeof got);
		}
		if (strcmp(got, want) != 0) {
			*why = "a file gun read to make the plan changed";
			r = -1;
		}
	}
	f = p->env;
	for (int i = 0; r == 0 && i < p->nenv; i++) {
		const char *name = f, *want = f + strlen(f) + 1;
		f = want + strlen(want) + 1;
		char content[PATH_MAX];
		const char *v;
		if (name[0] == '/')
			v = read_small(name, content, 256);
		else if (strcmp(name, ".") == 0)
			v = working_dir(envp, content, sizeof content);
		else
			v = env_get(envp, name);
		if (v == NULL ? strcmp(want, "-") != 0 : want[0] != '=' || strcmp(want + 1, v) != 0) {
			*why = name[0] == '/' ? "another boot" : name[0] == '.' ? "another working directory" : "an environment variable changed";
			r = -1;
		}
	}
	if (r == 0 && stale_runs(run)) {
		*why = "a stale scratch directory is in the store";
		r = -1;
	}
	if (lk >= 0)
		close(lk);
	return r;
}

ssize_t gun_plan_verdict(const struct gun_plan *p, int argc, char **argv, char *buf, size_t size) {
	int given = argv[2][0] != '-' && argc > 3, n = p->nentry + (given ? argc - 3 : p->ncmd);
	const char *a = p->entry, *c = p->cmd;
	if (n == 0 || (p->nentry > 0 ? *a == '\0' : given ? *argv[3] == '\0' : *c == '\0'))
		return -1; // gun says why
	size_t len = 0;
	int w = snprintf(buf, size, "%s%c%d", GUN_VERDICT_MAGIC, '\0', n);
	if (w < 0 || (size_t)w >= size)
		return -1;
	len = (size_t)w + 1;
	for (int i = 0; i < n; i++) {
		const char *s;
		if (i < p->nentry) {
			s = a;
			a += strlen(a) + 1;
		} else if (given) {
			s = argv[3 + i - p->nentry];
		} else {
			s = c;
			c += strlen(c) + 1;
		}
		size_t sn = strlen(s) + 1;
		if (sn > size - len)
			return -1;
		memcpy(buf + len, s, sn);
		len += sn;
	}
	return len <= PLAN_MAX ? (ssize_t)len : -1;
}
