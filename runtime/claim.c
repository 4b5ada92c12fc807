//go:build linux && cgo

// A detached container's record, made in C: see claim.h. The layout is
// container.Dir's: <path>/<id>/{state.json,lock}, <path>/names/<name> a
// link to the id, <path>/lock the directory's lock that claims take, a
// directory made as .tmp-<id> and removed as .rm-<id>.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claim.h"
#include "plan.h"

// The container package's templates of a record (container.Template):
// HOLE and a letter (its HoleID, HoleName, ...) stand for a value that only
// the writer knows. TestClaim checks that this fills each as Go would.
enum { HOLE = '\x02' };

// As container.CheckName: a letter or digit, then letters, digits, '_',
// '.' or '-'.
int gun_ctr_check_name(const char *s) {
	size_t n = strlen(s);
	if (n == 0 || n > 128)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return -1;
	}
	return 0;
}

// name_taken is container's nameHolder: names/NAME links to the id of a
// container that has its record.
static int name_taken(int dir, const char *name) {
	char link[PATH_MAX], id[256], state[PATH_MAX];
	snprintf(link, sizeof link, "names/%s", name);
	ssize_t n = readlinkat(dir, link, id, sizeof id - 1);
	if (n <= 0)
		return 0;
	id[n] = '\0';
	if (strchr(id, '/') != NULL || id[0] == '.' || strcmp(id, "names") == 0)
		return 0;
	snprintf(state, sizeof state, "%s/state.json", id);
	struct stat st;
	return fstatat(dir, state, &st, 0) == 0;
}

// word returns the i-th of the plan's n words at words.
static const char *word(const char *words, int i) {
	for (; i > 0; i--)
		words += strlen(words) + 1;
	return words;
}

// gen_name is container's generateName, from the plan's words.
static void gen_name(const struct gun_plan *p, char *out, size_t size, int suffix) {
	unsigned char b[8] = {0};
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		memset(b, 0, sizeof b);
	unsigned long long n = 0, k = (unsigned long long)p->nwords;
	for (int i = 7; i >= 0; i--)
		n = n << 8 | b[i];
	const char *adj = word(p->words, (int)(n % k)), *noun = word(p->words, p->nwords + (int)((n / 64) % k));
	int w = snprintf(out, size, "%s_%s", adj, noun);
	if (suffix && w > 0 && (size_t)w < size)
		snprintf(out + w, size - (size_t)w, "%llu", (n >> 16) % 10000);
}

// A record on its way to its file: formatted on the stack and written with
// gun_write_all as the buffer fills, not through stdio, whose stream glibc
// links into its list of streams and gives a buffer from malloc (after the
// prefork's fork, copies of its data's pages and new heap pages: docs/run.md).
struct out {
	int fd, failed;
	size_t n;
	char b[2048];
};

// put writes the n bytes at s, n at most the buffer's size, to o.
static void put(struct out *o, const char *s, size_t n) {
	if (o->failed)
		return;
	if (o->n + n > sizeof o->b) {
		o->failed = gun_write_all(o->fd, o->b, o->n) < 0;
		o->n = 0;
	}
	if (!o->failed) {
		memcpy(o->b + o->n, s, n);
		o->n += n;
	}
}

static void put_char(struct out *o, char c) { put(o, &c, 1); }

// put_fmt writes to o what snprintf makes of fmt, at most 127 bytes of it.
__attribute__((format(printf, 2, 3))) static void put_fmt(struct out *o, const char *fmt, ...) {
	char b[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof b)
		o->failed = 1;
	else
		put(o, b, (size_t)n);
}

// put_json writes s to o as a JSON string.
static void put_json(struct out *o, const char *s) {
	put_char(o, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			put_char(o, '\\');
			put_char(o, (char)*p);
		} else if (*p < 0x20) {
			put_fmt(o, "\\u%04x", *p);
		} else {
			put_char(o, (char)*p);
		}
	}
	put_char(o, '"');
}

// put_time writes t to o as Go's time.Time in JSON (RFC 3339, UTC).
static void put_time(struct out *o, const struct timespec *t) {
	struct tm tm;
	char b[64];
	if (gmtime_r(&t->tv_sec, &tm) == NULL || strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		o->failed = 1;
	else
		put_fmt(o, "\"%s.%09ldZ\"", b, t->tv_nsec);
}

// put_record writes to o the template t of c's record, its holes filled.
static int put_record(struct out *o, const char *t, const struct gun_ctr *c) {
	for (; *t != '\0'; t++) {
		if (*t != HOLE) {
			put_char(o, *t);
			continue;
		}
		switch (*++t) {
		case 'i':
			put_json(o, c->id);
			break;
		case 'n':
			put_json(o, c->name);
			break;
		case 'd':
			put_json(o, c->scratch);
			break;
		case 'c':
			put_time(o, &c->created);
			break;
		case 's':
			put_time(o, &c->started);
			break;
		case 'p':
			put_fmt(o, "%d", (int)getpid());
			break;
		case 'a': {
			const char *a = c->args;
			put_char(o, '[');
			for (int i = 0; i < c->nargs; i++, a += strlen(a) + 1) {
				if (i > 0)
					put_char(o, ',');
				put_json(o, a);
			}
			put_char(o, ']');
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

// write_state writes c's record, created or running, to state.json in the
// directory dir (a descriptor), through a file beside it renamed over it.
static int write_state(int dir, const struct gun_ctr *c, int running) {
	const char *t = c->plan->ctr_records[2 * running + (c->auto_remove != 0)];
	struct out o = {.fd = openat(dir, ".state.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)};
	if (o.fd < 0)
		return -1;
	int ok = put_record(&o, t, c) == 0 && !o.failed && gun_write_all(o.fd, o.b, o.n) == 0;
	if (close(o.fd) != 0 || !ok || renameat(dir, ".state.json.tmp", dir, "state.json") < 0) {
		unlinkat(dir, ".state.json.tmp", 0);
		return -1;
	}
	return 0;
}

// lock_dir takes the containers' directory's lock: its descriptor, or -1.
static int lock_dir(int dir) {
	int fd = openat(dir, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

// open_path makes c->path and its names directory as container.Open does,
// and opens it.
static int open_path(const char *path) {
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/names", path);
	for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s != NULL)
			*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -1;
		if (s == NULL)
			break;
		*s = '/';
	}
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

// make_record makes the directory of c under the directory's lock, its
// name free.
static int make_record(int dir, struct gun_ctr *c) {
	char tmp[128], link[256];
	snprintf(tmp, sizeof tmp, ".tmp-%s", c->id);
	if (mkdirat(dir, tmp, 0700) < 0)
		return -1;
	int d = openat(dir, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	c->lock = d < 0 ? -1 : openat(d, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	int ok = c->lock >= 0 && flock(c->lock, LOCK_EX | LOCK_NB) == 0 && write_state(d, c, 0) == 0 &&
		 renameat(dir, tmp, dir, c->id) == 0;
	snprintf(link, sizeof link, "names/%s", c->name);
	if (ok) {
		unlinkat(dir, link, 0); // a stale one (name_taken said so)
		if (symlinkat(c->id, dir, link) < 0) {
			ok = 0;
			renameat(dir, c->id, dir, tmp);
		}
	}
	if (!ok) {
		if (d >= 0) {
			unlinkat(d, "state.json", 0);
			unlinkat(d, "lock", 0);
		}
		unlinkat(dir, tmp, AT_REMOVEDIR);
		if (c->lock >= 0)
			close(c->lock);
		c->lock = -1;
	}
	if (d >= 0)
		close(d);
	return ok ? 0 : -1;
}

int gun_ctr_claim(struct gun_ctr *c) {
	c->lock = -1;
	unsigned char b[32];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return -1;
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(c->id + 2 * i, 3, "%02x", b[i]);
	clock_gettime(CLOCK_REALTIME, &c->created);
	memset(&c->started, 0, sizeof c->started);
	const struct gun_plan *p = c->plan;
	int ok = p->nfast > 0 && p->nwords > 0 && (c->name == NULL || gun_ctr_check_name(c->name) == 0) &&
		 gun_clean_abs(p->ctr_dir) && strlen(p->ctr_dir) < sizeof c->path - 256;
	for (size_t i = 0; ok && i < sizeof p->ctr_records / sizeof p->ctr_records[0]; i++)
		ok = *p->ctr_records[i] != '\0';
	if (!ok)
		return -1;
	strcpy(c->path, p->ctr_dir);
	int dir = open_path(c->path);
	if (dir < 0)
		return -1;
	int lk = lock_dir(dir);
	struct stat st;
	ok = lk >= 0 && fstatat(dir, c->id, &st, AT_SYMLINK_NOFOLLOW) < 0;
	if (ok && c->name == NULL) {
		ok = 0;
		for (int try = 0; try < 32 && !ok; try++) {
			gen_name(p, c->gen_name, sizeof c->gen_name, try >= 8);
			ok = !name_taken(dir, c->gen_name);
		}
		c->name = c->gen_name;
	} else if (ok) {
		ok = !name_taken(dir, c->name);
	}
	ok = ok && make_record(dir, c) == 0;
	if (lk >= 0)
		close(lk);
	close(dir);
	return ok ? 0 : -1;
}

int gun_ctr_running(struct gun_ctr *c) {
	char p[PATH_MAX + 80];
	snprintf(p, sizeof p, "%s/%s", c->path, c->id);
	int d = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (d < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &c->started);
	int r = write_state(d, c, 1);
	close(d);
	return r;
}

void gun_ctr_remove(struct gun_ctr *c) {
	int dir = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int lk = dir < 0 ? -1 : lock_dir(dir);
	char gone[128], link[256], id[256];
	snprintf(gone, sizeof gone, ".rm-%s", c->id);
	if (lk >= 0 && renameat(dir, c->id, dir, gone) == 0) {
		snprintf(link, sizeof link, "names/%s", c->name);
		ssize_t n = readlinkat(dir, link, id, sizeof id - 1);
		if (n > 0 && (id[n] = '\0', strcmp(id, c->id) == 0))
			unlinkat(dir, link, 0);
		int d = openat(dir, gone, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (d >= 0) {
			unlinkat(d, "state.json", 0);
			unlinkat(d, "lock", 0);
			close(d);
		}
		unlinkat(dir, gone, AT_REMOVEDIR);
	}
	if (lk >= 0)
		close(lk);
	if (dir >= 0)
		close(dir);
	if (c->lock >= 0)
		close(c->lock);
	c->lock = -1;
}
