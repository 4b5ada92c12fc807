//go:build linux && cgo

// The C init: pid 1 of a container whose configuration gun sent in the
// binary form of fastconfig.go (every container but a build step's commit).
// It sets the container up without waiting for a Go runtime to start: it
// runs in the constructor (entry.c), in the child that gun_join made pid 1
// of the new pid namespace.
//
// It never returns: it exits with the command's status. When the kernel
// refuses the overlay, it says so (readyMsg.OverlayRefused) and gun starts
// it again on a copy of the layers (F_COPIED).
//
// The process is single-threaded and nothing else runs in it, so malloc is
// safe everywhere, also after fork in the child (which only execs).

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cinit.h"
#include "fdpass.h"
#include "plan.h"
#include "scratch.h"
#include "user.h"

enum { SYNC_FD = 3 };

// The magic first string of a binary configuration; keep in step with
// fastMagic in fastconfig.go.
static const char magic[] = "gun-cinit-6";

static const char verdict_magic[] = GUN_VERDICT_MAGIC;

// Flags of the configuration; keep in step with fastconfig.go. F_KEEP_UPPER:
// a command that exits with 0 leaves the overlay's upper directory, which
// gun packs as a layer (gun:commit); the overlay is volatile
// (overlayOptions). F_UNMASKED: nothing under /proc and
// /sys is masked or read-only (--privileged). F_NO_NEW_PRIVS: the command
// runs with no_new_privs. F_OCI: an OCI bundle's container (cfg.oci,
// gun_cinit_oci), whose process is pid 1 itself, held until `gun oci
// start`; F_UMASK and F_CGROUPNS are its umask and new cgroup namespace;
// F_HOOKS: it stops before pivot_root for gun to run config.json's hooks
// of the runtime namespace; F_NOPROC: config.json has no process, start
// fails. F_EXEC: the process of `gun oci exec` in a running OCI container,
// whose namespaces it joins: no setup, no hold.
enum {
	F_NETNS = 1,
	F_READONLY = 2,
	F_SINGLE = 4,
	F_DEBUG = 8,
	F_TTY = 16,
	F_COPIED = 32,
	F_KEEP_UPPER = 64,
	F_UNMASKED = 128,
	F_NO_NEW_PRIVS = 256,
	F_OCI = 512,
	F_UMASK = 1024,
	F_CGROUPNS = 2048,
	F_EXEC = 4096,
	F_HOOKS = 8192,
	F_NOPROC = 16384,
	F_ALL = 32767
};

static struct gun_config cfg;

// planned: the configuration came from a plan (plan.c), and the command
// runs only when gun says so; speculative: gun has not said so yet, and a
// failure then says so (readyMsg.Planned), for gun to start the container
// itself.
static int planned, speculative, plan_fd = -1;

// overlay_refused: the kernel refused the overlay; the failure says so
// (readyMsg.OverlayRefused), for gun to copy the layers and start again.
static int overlay_refused;

// hook_failed: one of config.json's hooks failed; the failure says so
// (ociMsg.Hook).
static int hook_failed;

// after_hooks: an OCI container's setup reached the place of the hooks of
// create; a failure from there on says so (ociMsg.AfterHooks), for gun to
// run the poststop hooks.
static int after_hooks;

// ---- messages to gun: JSON ----

// A bounded JSON text; over is set when something did not fit.
struct jbuf {
	char b[16384];
	size_t n;
	int over;
};

static void jb_put(struct jbuf *j, const char *s, size_t n) {
	if (j->over || n > sizeof j->b - j->n) {
		j->over = 1;
		return;
	}
	memcpy(j->b + j->n, s, n);
	j->n += n;
}

static void jb_puts(struct jbuf *j, const char *s) { jb_put(j, s, strlen(s)); }

// jb_str appends s as a JSON string. Bytes >= 0x80 are copied: gun decodes
// invalid UTF-8 as U+FFFD.
static void jb_str(struct jbuf *j, const char *s) {
	jb_put(j, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c;
			jb_put(j, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			jb_put(j, esc, 6);
		} else {
			jb_put(j, (const char *)&c, 1);
		}
	}
	jb_put(j, "\"", 1);
}

// The setup's steps, with F_DEBUG: the items of readyMsg.Log.
static struct jbuf steps;
static int nsteps;

__attribute__((format(printf, 1, 2))) static void logf_(const char *fmt, ...) {
	if (!(cfg.flags & F_DEBUG))
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (nsteps++ > 0)
		jb_put(&steps, ",", 1);
	jb_str(&steps, line);
}

// report_fd is where reports go: gun's sync socket, or, once an OCI
// container is started, `gun oci start`'s connection (oci_hold).
static int report_fd = SYNC_FD;

static void send_json(struct jbuf *j) {
	if (j->over || report_fd < 0)
		return; // the parent sees the socket's end and reports a failure
	ssize_t r;
	do
		r = send(report_fd, j->b, j->n, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
}

// errstr is errno's text as Go writes it (lower case first letter).
static const char *errstr(int err) {
	static char buf[128];
	snprintf(buf, sizeof buf, "%s", strerror(err));
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

// die reports a failed step to gun as readyMsg {Error, Code, Log} and
// exits with code; err, when not 0, is appended as ": <errno text>".
__attribute__((format(printf, 3, 4), noreturn)) static void die(int code, int err, const char *fmt, ...) {
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (err != 0 && n >= 0 && (size_t)n < sizeof msg)
		snprintf(msg + n, sizeof msg - (size_t)n, ": %s", errstr(err));
	static struct jbuf j;
	for (int withlog = nsteps > 0 && !steps.over;; withlog = 0) {
		char num[32];
		j.n = 0, j.over = 0;
		jb_puts(&j, "{\"Error\":");
		jb_str(&j, msg);
		snprintf(num, sizeof num, ",\"Code\":%d", code);
		jb_puts(&j, num);
		if (speculative)
			jb_puts(&j, ",\"Planned\":true");
		if (overlay_refused)
			jb_puts(&j, ",\"OverlayRefused\":true");
		if (hook_failed)
			jb_puts(&j, ",\"Hook\":true");
		if (after_hooks)
			jb_puts(&j, ",\"AfterHooks\":true");
		if (withlog) {
			jb_puts(&j, ",\"Log\":[");
			jb_put(&j, steps.b, steps.n);
			jb_puts(&j, "]");
		}
		jb_puts(&j, "}");
		if (!j.over || !withlog)
			break;
	}
	send_json(&j);
	_exit(code);
}

// ---- the configuration ----

// recv_peek returns the first packet on the sync socket without taking it
// (NUL-terminated, in a buffer of its own), and its size in *n.
static char *recv_peek(size_t *n) {
	char one;
	ssize_t r;
	do
		r = recv(SYNC_FD, &one, 1, MSG_PEEK | MSG_TRUNC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		_exit(125); // the parent failed before sending and says why
	if (r > (1 << 24))
		die(125, 0, "init: configuration of %zd bytes", r);
	char *b = malloc((size_t)r + 1);
	if (b == NULL)
		die(125, ENOMEM, "init: read config");
	ssize_t got;
	do
		got = recv(SYNC_FD, b, (size_t)r, MSG_PEEK);
	while (got < 0 && errno == EINTR);
	if (got != r)
		die(125, got < 0 ? errno : EIO, "init: read config");
	b[r] = '\0';
	*n = (size_t)r;
	return b;
}

// drop takes the next packet off the sync socket; its end means the
// parent failed (and says why).
static void drop(void) {
	char b[64];
	ssize_t r;
	do
		r = recv(SYNC_FD, b, sizeof b, MSG_TRUNC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		_exit(125);
}

// fail records the first failure of a parse in e.
__attribute__((format(printf, 3, 4))) static void fail(struct gun_err *e, int err, const char *fmt, ...) {
	if (e->msg[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->err = err;
}

// A cursor over the configuration's NUL-terminated strings. After the
// first failure (in e) it yields empty strings, zeros and empty lists.
struct cursor {
	char *p, *end;
	struct gun_err *e;
};

static char *next(struct cursor *c) {
	static char none[1];
	char *z = c->e->msg[0] == '\0' && c->p < c->end ? memchr(c->p, '\0', (size_t)(c->end - c->p)) : NULL;
	if (z == NULL) {
		fail(c->e, 0, "init: truncated configuration");
		return none;
	}
	char *s = c->p;
	c->p = z + 1;
	return s;
}

static int next_int(struct cursor *c, int max) {
	const char *s = next(c);
	if (c->e->msg[0] != '\0')
		return 0;
	char *e;
	errno = 0;
	long v = strtol(s, &e, 10);
	if (errno != 0 || *s == '\0' || *e != '\0' || v < 0 || v > max) {
		fail(c->e, 0, "init: bad number %.32s in the configuration", s);
		return 0;
	}
	return (int)v;
}

static unsigned long long next_u64(struct cursor *c) {
	const char *s = next(c);
	if (c->e->msg[0] != '\0')
		return 0;
	char *e;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno != 0 || *s < '0' || *s > '9' || *e != '\0') {
		fail(c->e, 0, "init: bad number %.32s in the configuration", s);
		return 0;
	}
	return v;
}

static int unhex(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

// next_filter reads a seccomp filter, its struct sock_filter array in hex,
// into cfg.
static void next_filter(struct cursor *c, struct gun_config *cfg) {
	const char *s = next(c);
	size_t n = strlen(s), size = 2 * sizeof(struct sock_filter);
	if (c->e->msg[0] != '\0' || n == 0)
		return;
	if (n % size != 0 || n / size > BPF_MAXINSNS) {
		fail(c->e, 0, "init: bad seccomp filter in the configuration");
		return;
	}
	unsigned char *b = malloc(n / 2);
	if (b == NULL) {
		fail(c->e, ENOMEM, "init: read config");
		return;
	}
	for (size_t i = 0; i < n / 2; i++) {
		int hi = unhex(s[2 * i]), lo = unhex(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			fail(c->e, 0, "init: bad seccomp filter in the configuration");
			free(b);
			return;
		}
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	cfg->filter = b;
	cfg->nfilter = (unsigned short)(n / size);
}

static char **next_list(struct cursor *c, int *n) {
	*n = next_int(c, 1 << 20);
	// Each string takes a byte at least.
	if (c->e->msg[0] == '\0' && *n > c->end - c->p)
		fail(c->e, 0, "init: truncated configuration");
	if (c->e->msg[0] != '\0') {
		*n = 0;
		return NULL;
	}
	char **l = calloc((size_t)*n + 1, sizeof *l);
	if (l == NULL) {
		fail(c->e, ENOMEM, "init: read config");
		*n = 0;
		return NULL;
	}
	for (int i = 0; i < *n; i++)
		l[i] = next(c);
	return l;
}

// next_groups reads a list of group numbers into cfg.
static void next_groups(struct cursor *c, struct gun_config *cfg) {
	int n;
	char **l = next_list(c, &n);
	if (n > GUN_MAX_GROUPS)
		fail(c->e, 0, "init: %d supplementary groups, at most %d", n, GUN_MAX_GROUPS);
	if (c->e->msg[0] != '\0' || n == 0) {
		free(l);
		return;
	}
	cfg->groups = calloc((size_t)n, sizeof *cfg->groups);
	if (cfg->groups == NULL)
		fail(c->e, ENOMEM, "init: read config");
	for (int i = 0; cfg->groups != NULL && i < n; i++) {
		char *e;
		errno = 0;
		unsigned long long v = strtoull(l[i], &e, 10);
		if (errno != 0 || l[i][0] < '0' || l[i][0] > '9' || *e != '\0' || v >= (gid_t)-1) {
			fail(c->e, 0, "init: bad group %.32s in the configuration", l[i]);
			break;
		}
		cfg->groups[i] = (gid_t)v;
	}
	cfg->ngroups = n;
	free(l);
}

void gun_config_free(struct gun_config *cfg) {
	free(cfg->groups);
	free(cfg->layers);
	free(cfg->args);
	free(cfg->env);
	free(cfg->mounts);
	free(cfg->owned);
	free(cfg->filter);
	if (cfg->oci != NULL) {
		struct gun_oci *o = cfg->oci;
		char **lists[] = {o->rlimits, o->sysctls, o->mounts, o->devices, o->masked, o->readonly, o->ns, o->hookstrs};
		for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
			free(lists[i]);
		for (int i = 0; o->hooks != NULL && i < o->nhooks; i++)
			free(o->hooks[i].args);
		free(o->hooks);
		free(o);
	}
	memset(cfg, 0, sizeof *cfg);
}

// is_num: s is a decimal number, as strtoull takes it without a sign.
static int is_num(const char *s) {
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

// next_tuples reads a list of k strings an item; the items' strings at the
// positions of the mask nums (bit i: string i) must be numbers.
static char **next_tuples(struct cursor *c, int *n, int k, unsigned nums, const char *what) {
	char **l = next_list(c, n);
	if (c->e->msg[0] != '\0')
		return l;
	int ok = *n % k == 0;
	for (int i = 0; ok && i < *n; i++)
		ok = !(nums & (1u << (i % k))) || is_num(l[i]);
	if (!ok)
		fail(c->e, 0, "init: malformed %s in the configuration", what);
	return l;
}

// parse_hooks reads the hooks out of their strings (ociconfig.go's
// lists): kind, path, timeout, the numbers of args and env, the args and
// env. It returns 0, or -1 when they are malformed (or memory is short).
static int parse_hooks(struct gun_oci *o) {
	char **l = o->hookstrs;
	int n = o->nhookstrs;
	for (int pass = 0; pass < 2; pass++) {
		int k = 0;
		for (int i = 0; i < n; k++) {
			if (n - i < 5 || (strcmp(l[i], "createContainer") != 0 && strcmp(l[i], "startContainer") != 0) ||
			    l[i + 1][0] != '/' || !is_num(l[i + 2]) || strlen(l[i + 2]) > 6 || !is_num(l[i + 3]) ||
			    strlen(l[i + 3]) > 7 || !is_num(l[i + 4]) || strlen(l[i + 4]) > 7)
				return -1;
			int nargs = atoi(l[i + 3]), nenv = atoi(l[i + 4]);
			if (nargs == 0 || nargs > n - i - 5 || nenv > n - i - 5 - nargs)
				return -1;
			if (pass == 1) {
				struct gun_hook *h = &o->hooks[k];
				h->args = calloc((size_t)nargs + (size_t)nenv + 2, sizeof *h->args);
				if (h->args == NULL)
					return -1;
				h->kind = l[i], h->path = l[i + 1], h->timeout = (unsigned)atoi(l[i + 2]);
				h->nargs = nargs, h->nenv = nenv, h->env = h->args + nargs + 1;
				memcpy(h->args, l + i + 5, (size_t)nargs * sizeof *l);
				memcpy(h->env, l + i + 5 + nargs, (size_t)nenv * sizeof *l);
			}
			i += 5 + nargs + nenv;
		}
		if (pass == 0) {
			if (k == 0)
				break;
			o->hooks = calloc((size_t)k, sizeof *o->hooks);
			if (o->hooks == NULL)
				return -1;
			o->nhooks = k;
		}
	}
	// The state they read: {"pid":N, goes in its place (run_hook).
	if (o->nhooks > 0 && (o->hookstate[0] != '{' || strlen(o->hookstate) < 3))
		return -1;
	return 0;
}

// next_oci reads the OCI part of the configuration (oci.go's order).
static void next_oci(struct cursor *c, struct gun_config *cfg) {
	struct gun_oci *o = calloc(1, sizeof *o);
	if (o == NULL) {
		fail(c->e, ENOMEM, "init: read config");
		return;
	}
	cfg->oci = o;
	o->root = next(c);
	o->domainname = next(c);
	o->propagation = (unsigned long)next_u64(c);
	o->uid = (unsigned)next_u64(c);
	o->gid = (unsigned)next_u64(c);
	o->umask = (unsigned)next_int(c, 0777);
	o->effective = next_u64(c);
	o->permitted = next_u64(c);
	o->inheritable = next_u64(c);
	o->ambient = next_u64(c);
	o->npreserve = next_int(c, 4096);
	o->hookstate = next(c);
	o->rlimits = next_tuples(c, &o->nrlimits, 3, 7, "rlimits");
	o->sysctls = next_tuples(c, &o->nsysctls, 2, 0, "sysctls");
	o->mounts = next_tuples(c, &o->nmounts, 6, 0x18, "mounts");
	o->devices = next_tuples(c, &o->ndevices, 7, 0x7c, "devices");
	o->masked = next_list(c, &o->nmasked);
	o->readonly = next_list(c, &o->nreadonly);
	o->ns = next_tuples(c, &o->nns, 2, 0, "namespaces");
	o->hookstrs = next_list(c, &o->nhookstrs);
	if (c->e->msg[0] != '\0')
		return;
	if (parse_hooks(o) < 0) {
		fail(c->e, 0, "init: malformed hooks in the configuration");
		return;
	}
	int ok = o->root[0] == '/';
	for (int i = 0; ok && i < o->nmounts; i += 6)
		ok = o->mounts[i + 1][0] == '/';
	for (int i = 0; ok && i < o->ndevices; i += 7)
		ok = o->devices[i][0] == '/' && strlen(o->devices[i + 1]) == 1 && strchr("cbup", o->devices[i + 1][0]) != NULL;
	if (!ok)
		fail(c->e, 0, "init: malformed configuration");
}

int gun_parse_config(char *b, size_t n, enum gun_config_kind kind, struct gun_config *cfg, struct gun_err *e) {
	int planned = kind == GUN_CONFIG_PLAN, exec = kind == GUN_CONFIG_EXEC;
	memset(cfg, 0, sizeof *cfg);
	memset(e, 0, sizeof *e);
	struct cursor c = {b, b + n, e};
	if (strcmp(next(&c), magic) != 0)
		fail(e, 0, "init: configuration of another version of gun");
	cfg->flags = (unsigned)next_int(&c, F_ALL);
	cfg->scratch = next(&c);
	cfg->hostname = next(&c);
	cfg->cwd = next(&c);
	cfg->user = next(&c);
	cfg->overlay = next(&c);
	cfg->path = next(&c);
	cfg->rows = (unsigned short)next_int(&c, 65535);
	cfg->cols = (unsigned short)next_int(&c, 65535);
	cfg->caps = next_u64(&c);
	next_filter(&c, cfg);
	cfg->layers = next_list(&c, &cfg->nlayers);
	cfg->args = next_list(&c, &cfg->nargs);
	cfg->env = next_list(&c, &cfg->nenv);
	cfg->mounts = next_list(&c, &cfg->nmounts);
	next_groups(&c, cfg);
	if (cfg->flags & F_OCI)
		next_oci(&c, cfg);
	if (e->msg[0] != '\0') {
		gun_config_free(cfg);
		return -1;
	}
	int oci = (cfg->flags & F_OCI) != 0;
	int scratch_ok = exec ? cfg->scratch[0] == '\0'
			      : cfg->scratch[0] == '/' || (planned && strcmp(cfg->scratch, PLAN_SCRATCH) == 0) ||
					(oci && cfg->scratch[0] == '\0');
	int mounts_ok = cfg->nmounts % 3 == 0;
	for (int i = 0; mounts_ok && i < cfg->nmounts; i += 3) {
		const char *src = cfg->mounts[i], *mode = cfg->mounts[i + 2];
		if (strcmp(mode, "tmpfs") == 0) { // the source is SIZE:MODE, bytes and octal bits
			size_t n = strspn(src, "0123456789"), m = src[n] == ':' ? strspn(src + n + 1, "01234567") : 0;
			mounts_ok = cfg->mounts[i + 1][0] == '/' && n > 0 && n <= 18 && m > 0 && m <= 4 &&
				    src[n + 1 + m] == '\0';
		} else {
			mounts_ok = src[0] == '/' && cfg->mounts[i + 1][0] == '/' &&
				    (strcmp(mode, "ro") == 0 || strcmp(mode, "rw") == 0);
		}
	}
	// A plan holds no command: gun's word brings it (await_verdict).
	// An exec's process joins a container: it has nothing to set up.
	int exec_ok = !exec || (cfg->nlayers == 0 && cfg->nmounts == 0 && cfg->overlay[0] == '\0' &&
				(cfg->flags & (F_NETNS | F_READONLY | F_COPIED | F_KEEP_UPPER | F_UNMASKED)) == 0);
	int noproc = (cfg->flags & F_NOPROC) != 0;
	if ((cfg->flags & (F_HOOKS | F_NOPROC)) && !oci) {
		fail(e, 0, "init: malformed configuration");
		gun_config_free(cfg);
		return -1;
	}
	if (c.p != c.end || (cfg->nargs == 0) != (planned || noproc) || !scratch_ok || cfg->cwd[0] != '/' || !mounts_ok ||
	    (cfg->nlayers == 0) != (exec || oci) || !exec_ok || (planned && (cfg->flags & (F_TTY | F_COPIED | F_OCI)))) {
		fail(e, 0, "init: malformed configuration");
		gun_config_free(cfg);
		return -1;
	}
	return 0;
}

// overlay_escape is escapeOverlay (fastconfig.go): the characters overlayfs
// treats specially in paths, escaped, into o (NULL: only counted). It
// returns the length.
static size_t overlay_escape(const char *s, char *o) {
	size_t n = 0;
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == ':' || *s == ',') {
			if (o != NULL)
				o[n] = '\\';
			n++;
		}
		if (o != NULL)
			o[n] = *s;
		n++;
	}
	return n;
}

int gun_plan_config(struct gun_config *cfg, const char *scratch, struct gun_err *e) {
	memset(e, 0, sizeof *e);
	// The plan's scratch directory is PLAN_SCRATCH, in the overlay's
	// options too (plan.go); this container's is the one plan.c made.
	if (strcmp(cfg->scratch, PLAN_SCRATCH) != 0) {
		fail(e, 0, "init: plan without its scratch directory");
		return -1;
	}
	size_t sn = overlay_escape(scratch, NULL), on = 0, stand_ins = 0;
	for (const char *c = cfg->overlay; *c != '\0'; c++)
		stand_ins += *c == PLAN_SCRATCH[0];
	char *o = malloc(strlen(cfg->overlay) + stand_ins * sn + 1);
	if (o == NULL) {
		fail(e, ENOMEM, "init: plan");
		return -1;
	}
	for (const char *c = cfg->overlay; *c != '\0'; c++) {
		if (*c == PLAN_SCRATCH[0])
			on += overlay_escape(scratch, o + on);
		else
			o[on++] = *c;
	}
	o[on] = '\0';
	// As overlayOptions: options that do not fit a page give the layers
	// one at a time (mount_overlay).
	if (on >= (size_t)sysconf(_SC_PAGESIZE))
		o[0] = '\0';
	free(cfg->owned);
	cfg->owned = o;
	cfg->overlay = o;
	cfg->scratch = scratch;
	return 0;
}

int gun_parse_verdict(char *b, size_t n, struct gun_config *cfg, struct gun_err *e) {
	memset(e, 0, sizeof *e);
	// verdict_magic, then the command as a list.
	if (n <= sizeof verdict_magic || memcmp(b, verdict_magic, sizeof verdict_magic) != 0)
		return 1;
	struct cursor c = {b + sizeof verdict_magic, b + n, e};
	int nargs;
	char **args = next_list(&c, &nargs);
	if (e->msg[0] != '\0' || c.p != c.end || nargs == 0) {
		free(args);
		memset(e, 0, sizeof *e);
		fail(e, 0, "init: malformed word from gun");
		return -1;
	}
	free(cfg->args);
	cfg->args = args;
	cfg->nargs = nargs;
	return 0;
}

// ---- mounts inside the root, by descriptor ----

static int rootfd = -1;

static char *fdpath(int fd) {
	static char b[2][64]; // two live at once: bind's source may be one
	static int i;
	i ^= 1;
	snprintf(b[i], sizeof b[i], "/proc/self/fd/%d", fd);
	return b[i];
}

// resolve opens path inside the root: symlinks and ".." stay in it.
static int resolve(const char *path, int flags) {
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	for (;;) {
		int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
			return fd;
	}
}

enum kind { NO_CREATE, CREATE_DIR, CREATE_FILE };

// open_in resolves path (absolute and clean: the callers' are constants)
// inside the root as an O_PATH descriptor, creating missing parents as
// directories and the last component as kind says.
static int open_in(const char *path, enum kind kind) {
	int fd = resolve(path, O_PATH);
	if (fd >= 0 || kind == NO_CREATE || errno != ENOENT) {
		if (fd < 0)
			die(125, errno, "resolve %s in container", path);
		return fd;
	}
	char parent[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t pn = (size_t)(slash - path);
	if (pn >= sizeof parent)
		die(125, ENAMETOOLONG, "resolve %s in container", path);
	memcpy(parent, path, pn);
	strcpy(parent + pn, pn == 0 ? "/" : "");
	int pfd = open_in(parent, CREATE_DIR);
	const char *name = slash + 1;
	int err = 0;
	if (kind == CREATE_DIR) {
		if (mkdirat(pfd, name, 0755) < 0)
			err = errno;
	} else {
		int f = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0)
			err = errno;
		else
			close(f);
	}
	close(pfd);
	if (err != 0 && err != EEXIST)
		die(125, err, "create %s in container", path);
	fd = resolve(path, O_PATH);
	if (fd < 0)
		die(125, errno, "resolve %s in container", path);
	return fd;
}

static void mount_in(const char *src, const char *path, const char *fstype, unsigned long flags, const char *data) {
	int fd = open_in(path, CREATE_DIR);
	if (mount(src, fdpath(fd), fstype, flags, data) < 0)
		die(125, errno, "mount %s (%s) on %s with \"%s\"", src, fstype, path, data);
	close(fd);
	logf_("mount %s on %s (%s %s)", src, path, fstype, data);
}

static void set_readonly(int dirfd, const char *path, unsigned flags, const char *what, const char *name) {
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
	if (mount_setattr(dirfd, path, flags, &a, sizeof a) < 0)
		die(125, errno, "%s %s: make read-only: mount_setattr", what, name);
}

// bind_fd bind-mounts the host path src (recursively) on the descriptor
// target; name is target's path in the container, for messages.
static void bind_fd(int dir, const char *src, int target, const char *name, int ro) {
	int tree = open_tree(dir, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		die(125, errno, "bind mount %s on %s: open_tree", src, name);
	if (ro)
		set_readonly(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, "bind mount", name);
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die(125, errno, "bind mount %s on %s: move_mount", src, name);
	close(tree);
}

// bind_at binds src, relative to dir, on path in the root; shown names src
// in messages.
static void bind_at(int dir, const char *src, const char *shown, const char *path, int ro) {
	struct stat st;
	if (fstatat(dir, src, &st, 0) < 0)
		die(125, errno, "bind mount source: stat %s", shown);
	int fd = open_in(path, S_ISDIR(st.st_mode) ? CREATE_DIR : CREATE_FILE);
	bind_fd(dir, src, fd, path, ro);
	close(fd);
	logf_("bind %s on %s (read-only %s)", shown, path, ro ? "true" : "false");
}

static void bind_in(const char *src, const char *path, int ro) { bind_at(AT_FDCWD, src, src, path, ro); }

// The paths docker masks and makes read-only under /proc and /sys.
static const char *const masked[] = {
	"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
	"/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
};
static const char *const readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

// mask hides a path that exists: an empty read-only tmpfs over a
// directory, /dev/null over anything else.
static void mask_path(const char *path) {
	int fd = resolve(path, O_PATH);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		die(125, errno, "mask %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		die(125, errno, "mask %s", path);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", fdpath(fd), "tmpfs", MS_RDONLY, "size=0") < 0)
			die(125, errno, "mask %s: mount tmpfs", path);
		logf_("mask %s (empty tmpfs)", path);
	} else {
		bind_fd(AT_FDCWD, "/dev/null", fd, path, 0);
		logf_("mask %s (/dev/null)", path);
	}
	close(fd);
}

// make_readonly bind-mounts a path that exists on itself, read-only.
static void make_readonly(const char *path) {
	int fd = resolve(path, O_PATH);
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0)
		die(125, errno, "read-only %s", path);
	int tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (tree < 0)
		die(125, errno, "read-only %s: open_tree", path);
	set_readonly(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, "read-only", path);
	if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die(125, errno, "read-only %s: move_mount", path);
	close(tree);
	close(fd);
	logf_("read-only %s", path);
}

// setup_dev fills /dev as setupDev does.
static void setup_dev(int gid5) {
	mount_in("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
	static const char *const devs[] = {"null", "zero", "full", "random", "urandom", "tty"};
	for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
		char p[32];
		snprintf(p, sizeof p, "/dev/%s", devs[i]);
		bind_in(p, p, 0);
	}
	mount_in("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		 gid5 ? "newinstance,ptmxmode=0666,mode=0620,gid=5" : "newinstance,ptmxmode=0666,mode=0620");
	mount_in("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
	int dev = open_in("/dev", NO_CREATE);
	static const char *const links[][2] = {
		{"ptmx", "pts/ptmx"}, {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
		{"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"},
	};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0)
			die(125, errno, "symlink /dev/%s", links[i][0]);
	close(dev);
}

// ---- the user (user.c) ----

// read_file returns a file's text (NUL-terminated), or NULL when it
// cannot be read: a missing file is empty.
static char *read_file(const char *path) {
	// Not blocking on a fifo of the image's, which is as good as missing.
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	for (;;) {
		if (b == NULL || n + 1 >= cap) {
			if (b == NULL || cap >= (1 << 26)) {
				free(b);
				close(fd);
				return NULL;
			}
			char *nb = realloc(b, cap *= 2);
			if (nb == NULL) {
				free(b);
				close(fd);
				return NULL;
			}
			b = nb;
		}
		ssize_t r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	return b;
}

// atoi_go parses a decimal number as strconv.Atoi does (an optional sign);
// it returns 0 when s is not one.
static int atoi_go(const char *s, long *v) {
	char *e;
	if (*s == '\0' || isspace((unsigned char)*s))
		return 0;
	errno = 0;
	*v = strtol(s, &e, 10);
	return errno == 0 && *e == '\0';
}

// resolve_user resolves cfg.user against the container's /etc/passwd and
// /etc/group (user.c), with cfg.groups added to its groups.
static void resolve_user(struct gun_user *u) {
	char *passwd = read_file("/etc/passwd"), *group = read_file("/etc/group"), uerr[256];
	if (gun_resolve_user(cfg.user, passwd, group, u, uerr, sizeof uerr) < 0)
		die(125, 0, "user \"%s\": %s", cfg.user, uerr);
	free(passwd);
	free(group);
	if (u->ngroups + cfg.ngroups > GUN_MAX_GROUPS)
		die(125, 0, "user \"%s\": more than %d supplementary groups", cfg.user, GUN_MAX_GROUPS);
	for (int i = 0; i < cfg.ngroups; i++)
		u->groups[u->ngroups++] = cfg.groups[i];
	if (cfg.flags & F_DEBUG) {
		char gl[512] = "["; // the first groups, for the log
		for (int i = 0; i < u->ngroups && strlen(gl) < sizeof gl - 16; i++)
			snprintf(gl + strlen(gl), sizeof gl - strlen(gl), "%s%u", i ? " " : "", (unsigned)u->groups[i]);
		strcat(gl, "]");
		logf_("user \"%s\": uid %ld, gid %ld, groups %s, home %s", cfg.user, u->uid, u->gid, gl, u->home);
	}
}

// ---- the command ----

// make_env is containerEnv: docker's defaults, then the spec's entries,
// each replacing those of its key.
static char **make_env(const struct gun_user *u) {
	char **env = calloc((size_t)cfg.nenv + 5, sizeof *env);
	if (env == NULL || asprintf(&env[0], "PATH=%s", cfg.path) < 0 ||
	    asprintf(&env[1], "HOSTNAME=%s", cfg.hostname) < 0 || asprintf(&env[2], "HOME=%s", u->home) < 0)
		die(125, ENOMEM, "environment");
	int n = 3;
	if (cfg.flags & F_TTY)
		env[n++] = "TERM=xterm";
	for (int i = 0; i < cfg.nenv; i++) {
		char *kv = cfg.env[i], *eq = strchr(kv, '=');
		size_t kn = eq ? (size_t)(eq - kv) + 1 : strlen(kv);
		int replaced = 0;
		for (int k = 0; k < n; k++)
			if (strncmp(env[k], kv, kn) == 0)
				env[k] = kv, replaced = 1;
		if (!replaced)
			env[n++] = kv;
	}
	return env;
}

// look_path is lookPath: the command in the container's PATH (the last
// PATH= of env).
static char *look_path(const char *name, char **env) {
	if (strchr(name, '/'))
		return (char *)name;
	const char *path = "";
	for (char **e = env; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	for (const char *d = path; *path != '\0'; d++) { // an empty PATH has no entries
		const char *end = strchrnul(d, ':');
		int dn = (int)(end - d);
		char *p;
		if (dn == 0 ? asprintf(&p, "./%s", name) < 0 : asprintf(&p, "%.*s/%s", dn, d, name) < 0)
			die(125, ENOMEM, "look up %s", name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return p;
		free(p);
		d = end;
		if (*d == '\0')
			break;
	}
	die(127, 0, "%s: executable file not found in $PATH", name);
}

// drop_capabilities leaves the bounding set cfg.caps, which the command's
// capabilities are limited to when it is executed.
static void drop_capabilities(void) {
	int last = 40; // CAP_LAST_CAP of the kernel headers Go knows
	char *s = read_file("/proc/sys/kernel/cap_last_cap");
	long v;
	if (s) {
		s[strcspn(s, "\n")] = '\0';
		if (atoi_go(s, &v) && v >= 0 && v < 64)
			last = (int)v;
		free(s);
	}
	for (int c = 0; c <= last; c++) {
		if (cfg.caps & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			die(125, errno, "drop capability %d from the bounding set", c);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die(125, errno, "clear ambient capabilities");
}

// restrict_self leaves the command's bounding set, sets no_new_privs as
// cfg says and makes this process not dumpable: the command, even with all
// the capabilities of the container (--privileged), cannot ptrace it or
// read its memory, whose user namespace is gun's. Its execve makes the
// command dumpable again.
static void restrict_self(void) {
	drop_capabilities();
	if ((cfg.flags & F_NO_NEW_PRIVS) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(125, errno, "set no_new_privs");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die(125, errno, "set not dumpable");
}

static void loopback_up(void) {
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(125, errno, "loopback: socket");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		die(125, errno, "loopback: get flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		die(125, errno, "loopback: bring up");
	close(fd);
}

// start forks the command as syscall.ForkExec does: a new session, the user's groups, gid and uid, the working directory, the
// default signal dispositions; a failure in the child comes back through
// a close-on-exec pipe.
// A command forked but perhaps not yet executed: its pid and the pipe that
// reports a failed exec.
struct command {
	pid_t pid;
	int result;
};

// The steps of the command's start, as its process reports a failure.
enum { STEP_SETUP, STEP_CHDIR, STEP_SECCOMP, STEP_EXEC };

// command_name names the command in messages (a plan's is known only
// from gun's word).
static const char *command_name(void) { return cfg.nargs > 0 ? cfg.args[0] : "the command"; }

// read_command reads what write_command wrote: the path, then the
// arguments, each NUL-terminated, up to the pipe's end. It returns the
// arguments and puts the path in *path, or returns NULL.
static char **read_command(int fd, char **path) {
	size_t n = 0, size = 4096;
	char *b = malloc(size);
	for (;;) {
		if (b == NULL)
			return NULL;
		ssize_t r = read(fd, b + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return NULL;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == size)
			b = realloc(b, size *= 2);
	}
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		count += b[i] == '\0';
	if (count < 2 || b[n - 1] != '\0')
		return NULL; // gun's word never came
	char **args = calloc(count, sizeof *args);
	if (args == NULL)
		return NULL;
	*path = b;
	char *c = b + strlen(b) + 1;
	for (size_t i = 0; i + 1 < count; i++, c += strlen(c) + 1)
		args[i] = c;
	return args;
}

// write_command hands the held command its path and arguments.
static void write_command(int fd, const char *path) {
	for (int i = -1; i < cfg.nargs; i++) {
		const char *s = i < 0 ? path : cfg.args[i];
		size_t n = strlen(s) + 1, done = 0;
		while (done < n) {
			ssize_t w = write(fd, s + done, n - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return; // the command is gone: started() tells
			done += (size_t)w;
		}
	}
}

// fork_command forks the command. Its child takes the session (with tty,
// a pty's slave, as its controlling terminal and standard streams), the
// user and the working directory, then, when hold is not NULL, reads its
// path and arguments from the pipe hold (write_command; the pipe's end
// without them ends the child quietly), and executes the command.
static struct command fork_command(const char *path, char **env, const struct gun_user *u, const sigset_t *mask, const int *hold,
				   int tty) {
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		die(125, errno, "start %s: pipe", command_name());
	pid_t pid = fork();
	if (pid < 0)
		die(126, errno, "start %s: fork", command_name());
	if (pid == 0) {
		close(p[0]);
		if (hold != NULL)
			close(hold[1]);
		for (int s = 1; s < 32; s++)
			if (s != SIGKILL && s != SIGSTOP)
				signal(s, SIG_DFL);
		// The filter goes last, after no_new_privs (set by the init), the
		// ids and the working directory, as bubblewrap does: the only
		// calls it sees of ours are its own and execve's. Without
		// no_new_privs, loading it takes CAP_SYS_ADMIN, which the user
		// may not keep: then it goes first (as runc orders them).
		struct sock_fprog prog = {cfg.nfilter, cfg.filter};
		int early = cfg.nfilter > 0 && !(cfg.flags & F_NO_NEW_PRIVS);
		int err[2] = {STEP_SECCOMP, 0};
		if ((early && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) || (err[0] = STEP_SETUP, setsid() < 0) ||
		    (tty >= 0 && (dup2(tty, 0) < 0 || dup2(tty, 1) < 0 || dup2(tty, 2) < 0 || ioctl(0, TIOCSCTTY, 0) < 0)) ||
		    (!(cfg.flags & F_SINGLE) && setgroups((size_t)u->ngroups, u->groups) < 0) ||
		    setgid((gid_t)u->gid) < 0 || setuid((uid_t)u->uid) < 0 || (err[0] = STEP_CHDIR, chdir(cfg.cwd) < 0))
			err[1] = errno;
		else {
			char **args = cfg.args, *held;
			if (hold != NULL) {
				if ((args = read_command(hold[0], &held)) == NULL)
					_exit(0);
				path = held;
			}
			sigprocmask(SIG_UNBLOCK, mask, NULL);
			err[0] = STEP_SECCOMP;
			if (cfg.nfilter == 0 || early || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0) {
				err[0] = STEP_EXEC;
				execve(path, args, env);
			}
			err[1] = errno;
		}
		while (write(p[1], &err, sizeof err) < 0 && errno == EINTR)
			;
		_exit(127);
	}
	close(p[1]);
	return (struct command){pid, p[0]};
}

// started waits until the command is executed; a failed exec is fatal.
static pid_t started(struct command c) {
	int err[2];
	ssize_t r;
	do
		r = read(c.result, err, sizeof err);
	while (r < 0 && errno == EINTR);
	close(c.result);
	if (r != (ssize_t)sizeof err)
		return c.pid;
	while (waitpid(c.pid, NULL, 0) < 0 && errno == EINTR)
		;
	switch (err[0]) {
	case STEP_SETUP:
		die(126, err[1], "start %s: session, terminal or user", command_name());
	case STEP_CHDIR:
		die(126, err[1], "start %s: working directory %s", command_name(), cfg.cwd);
	case STEP_SECCOMP:
		die(126, err[1], "start %s: load the seccomp filter", command_name());
	}
	die(err[1] == ENOENT ? 127 : 126, err[1], "start %s", command_name());
}

// A pseudo terminal of the container's devpts: the master goes to gun, the
// slave to the command.
struct pty {
	int master, slave;
};

// open_pty opens a pty in the container's own devpts, gives its slave to
// uid and sets the outer terminal's size on it, before the command's first
// look.
static struct pty open_pty(long uid) {
	struct pty p;
	p.master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p.master < 0)
		die(125, errno, "open pty");
	int unlock = 0, n;
	if (ioctl(p.master, TIOCSPTLCK, &unlock) < 0)
		die(125, errno, "unlock pty");
	if (ioctl(p.master, TIOCGPTN, &n) < 0)
		die(125, errno, "pty number");
	char name[32];
	snprintf(name, sizeof name, "/dev/pts/%d", n);
	p.slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p.slave < 0)
		die(125, errno, "open pty slave");
	if (fchown(p.slave, (uid_t)uid, (gid_t)-1) < 0)
		die(125, errno, "give the pty to uid %ld", uid);
	if (cfg.rows != 0 || cfg.cols != 0) {
		struct winsize ws = {.ws_row = cfg.rows, .ws_col = cfg.cols};
		if (ioctl(p.master, TIOCSWINSZ, &ws) < 0)
			die(125, errno, "set pty window size");
	}
	return p;
}


// ---- an OCI bundle's container (F_OCI) ----

// The listening socket `gun oci start` connects to (the second of
// exec.Cmd.ExtraFiles): the container's process waits on it before execve.
// The descriptors the process keeps (--preserve-fds) follow it.
enum { HOLD_FD = 4, OCI_FIRST_FD = 5 };

// oci_preserve puts the descriptors the process keeps at 3... (with the
// report's socket moved above them), before its execve closes the rest.
static void oci_preserve(int n) {
	if (n == 0)
		return;
	if (report_fd >= 3 && report_fd < 3 + n) {
		int r = fcntl(report_fd, F_DUPFD_CLOEXEC, 3 + n + OCI_FIRST_FD);
		if (r < 0)
			die(125, errno, "preserve descriptors: move the report's");
		close(report_fd);
		report_fd = r;
	}
	// Upwards: each one's place is below every descriptor not yet moved.
	for (int i = 0; i < n; i++)
		if (dup2(OCI_FIRST_FD + i, 3 + i) < 0)
			die(125, errno, "preserve descriptor %d", 3 + i);
	logf_("descriptors 3 to %d preserved", 2 + n);
}

static unsigned long long num(const char *s) { return strtoull(s, NULL, 10); }

// oci_mount mounts one of config.json's mounts (oci.go's ociMount) inside
// the root: a bind (MS_BIND, recursive with MS_REC) by descriptor, its
// attributes set on the detached tree, or a file system of any type.
static void oci_mount(char **m) {
	const char *src = m[0], *dst = m[1], *type = m[2], *data = m[5];
	unsigned long flags = (unsigned long)num(m[3]), prop = (unsigned long)num(m[4]);
	int fd;
	if (flags & MS_BIND) {
		struct stat st;
		if (stat(src, &st) < 0)
			die(125, errno, "mount %s on %s: stat", src, dst);
		fd = open_in(dst, S_ISDIR(st.st_mode) ? CREATE_DIR : CREATE_FILE);
		unsigned rec = flags & MS_REC ? AT_RECURSIVE : 0;
		int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
		if (tree < 0)
			die(125, errno, "bind mount %s on %s: open_tree", src, dst);
		struct mount_attr a = {0};
		static const struct {
			unsigned long ms;
			unsigned long long attr;
		} attrs[] = {{MS_RDONLY, MOUNT_ATTR_RDONLY}, {MS_NOSUID, MOUNT_ATTR_NOSUID}, {MS_NODEV, MOUNT_ATTR_NODEV},
			     {MS_NOEXEC, MOUNT_ATTR_NOEXEC}, {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}};
		for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
			if (flags & attrs[i].ms)
				a.attr_set |= attrs[i].attr;
		if (flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) {
			a.attr_clr = MOUNT_ATTR__ATIME;
			a.attr_set |= flags & MS_NOATIME ? MOUNT_ATTR_NOATIME
				      : flags & MS_STRICTATIME ? MOUNT_ATTR_STRICTATIME
							       : MOUNT_ATTR_RELATIME;
		}
		if ((a.attr_set || a.attr_clr) && mount_setattr(tree, "", AT_EMPTY_PATH | rec, &a, sizeof a) < 0)
			die(125, errno, "bind mount %s on %s: mount_setattr", src, dst);
		if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			die(125, errno, "bind mount %s on %s: move_mount", src, dst);
		close(tree);
	} else {
		fd = open_in(dst, CREATE_DIR);
		if (mount(src, fdpath(fd), type, flags, data) < 0)
			die(125, errno, "mount %s (%s) on %s with \"%s\"", src, type, dst, data);
	}
	close(fd);
	if (prop != 0) {
		// On the mount now at dst, not the directory under it.
		fd = open_in(dst, NO_CREATE);
		if (mount("", fdpath(fd), NULL, prop, NULL) < 0)
			die(125, errno, "mount %s: set propagation", dst);
		close(fd);
	}
	logf_("mount %s on %s (%s, flags %#lx, propagation %#lx, \"%s\")", src, dst, type, flags, prop, data);
}

// oci_device makes one of config.json's devices: mknod, or, where a user
// namespace forbids it, a bind of the host's device of that path, as runc.
static void oci_device(char **d) {
	const char *path = d[0];
	mode_t type = d[1][0] == 'b' ? S_IFBLK : d[1][0] == 'p' ? S_IFIFO : S_IFCHR;
	int slash = (int)(strrchr(path, '/') - path);
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%.*s", slash == 0 ? 1 : slash, path);
	int dir = open_in(parent, CREATE_DIR), fd = -1;
	// O_PATH descriptors take no mknodat: the directory's own, by path.
	int dfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		die(125, errno, "device %s: open parent", path);
	const char *name = path + slash + 1;
	if (mknodat(dfd, name, type | ((mode_t)num(d[4]) & 07777), makedev(num(d[2]), num(d[3]))) == 0) {
		if (fchownat(dfd, name, (uid_t)num(d[5]), (gid_t)num(d[6]), AT_SYMLINK_NOFOLLOW) < 0)
			die(125, errno, "device %s: chown", path);
		logf_("device %s: mknod", path);
	} else if (errno == EPERM || errno == EEXIST) {
		fd = open_in(path, CREATE_FILE);
		bind_fd(AT_FDCWD, path, fd, path, 0);
		close(fd);
		logf_("device %s: bound from the host", path);
	} else {
		die(125, errno, "device %s: mknod", path);
	}
	close(dfd);
	close(dir);
}

// oci_dev adds what the runtime spec says every container has in /dev:
// the default devices (bound from the host, unless config.json makes one
// of those paths) and the links to /proc/self/fd and pts/ptmx.
static void oci_dev(void) {
	struct gun_oci *o = cfg.oci;
	for (int i = 0; i < o->ndevices; i += 7)
		oci_device(o->devices + i);
	static const char *const devs[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};
	for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
		int given = 0;
		for (int k = 0; k < o->ndevices; k += 7)
			given |= strcmp(o->devices[k], devs[i]) == 0;
		if (!given)
			bind_in(devs[i], devs[i], 0);
	}
	int dev = open_in("/dev", NO_CREATE);
	static const char *const links[][2] = {
		{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
	};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0 && errno != EEXIST)
			die(125, errno, "symlink /dev/%s", links[i][0]);
	// The pts of the container's devpts, when it has one.
	int pts = resolve("/dev/pts/ptmx", O_PATH);
	if (pts >= 0) {
		close(pts);
		int dfd = openat(dev, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || (unlinkat(dfd, "ptmx", 0) < 0 && errno != ENOENT) || symlinkat("pts/ptmx", dfd, "ptmx") < 0)
			die(125, errno, "symlink /dev/ptmx");
		close(dfd);
	}
	close(dev);
}

// oci_sysctls writes config.json's sysctls through the container's /proc,
// before /proc/sys is made read-only.
static void oci_sysctls(void) {
	struct gun_oci *o = cfg.oci;
	for (int i = 0; i < o->nsysctls; i += 2) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof path, "/proc/sys/%s", o->sysctls[i]);
		for (char *p = path + 10; p < path + n; p++)
			if (*p == '.')
				*p = '/';
		int fd = resolve(path, O_WRONLY | O_TRUNC);
		const char *v = o->sysctls[i + 1];
		if (fd < 0 || write(fd, v, strlen(v)) != (ssize_t)strlen(v))
			die(125, errno, "sysctl %s=%s", o->sysctls[i], v);
		close(fd);
		logf_("sysctl %s=%s", o->sysctls[i], v);
	}
}

// run_hook runs one of config.json's hooks in the container (this
// process's namespaces, root and ids), as a child: exactly its args and
// env, the container's state on its standard input with the pid this
// process has in the container, its output kept for the report, no other
// descriptor; killed after its timeout. A failure, a timeout, or a hook
// that cannot be executed fails the setup (hook_failed).
static void run_hook(const struct gun_hook *h, int i) {
	char *state;
	if (asprintf(&state, "{\"pid\":%d,%s", (int)getpid(), cfg.oci->hookstate + 1) < 0)
		die(125, ENOMEM, "hooks.%s[%d] (%s): state", h->kind, i, h->path);
	hook_failed = 1;
	// The state is written whole before the hook starts: no write can
	// meet a hook that has exited (SIGPIPE is blocked, and would stay
	// pending).
	int in[2], out[2];
	size_t len = strlen(state);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0)
		die(125, errno, "hooks.%s[%d] (%s): pipe", h->kind, i, h->path);
	if (len > 4096 && fcntl(in[1], F_SETPIPE_SZ, (int)len) < 0)
		die(125, errno, "hooks.%s[%d] (%s): state of %zu bytes", h->kind, i, h->path, len);
	if (write(in[1], state, len) != (ssize_t)len)
		die(125, errno, "hooks.%s[%d] (%s): write state", h->kind, i, h->path);
	close(in[1]);
	free(state);
	pid_t pid = fork();
	if (pid < 0)
		die(125, errno, "hooks.%s[%d] (%s): fork", h->kind, i, h->path);
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0 ||
		    fcntl(1, F_SETFL, 0) < 0)
			_exit(126);
		syscall(SYS_close_range, 3, ~0U, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(h->path, h->args, h->env);
		int err = errno;
		dprintf(2, "exec: %s", errstr(err));
		_exit(err == ENOENT ? 127 : 126);
	}
	close(in[0]);
	close(out[1]);
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0) {
		int err = errno;
		kill(pid, SIGKILL);
		die(125, err, "hooks.%s[%d] (%s): pidfd_open", h->kind, i, h->path);
	}
	char output[2048];
	size_t nout = 0;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int ended = 0, timed_out = 0;
	while (!ended) {
		int ms = -1;
		if (h->timeout > 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			long long left = (long long)h->timeout * 1000 - ((t.tv_sec - t0.tv_sec) * 1000LL + (t.tv_nsec - t0.tv_nsec) / 1000000);
			if (left <= 0) {
				timed_out = 1;
				break;
			}
			ms = (int)left;
		}
		struct pollfd pf[2] = {{pfd, POLLIN, 0}, {out[0], POLLIN, 0}};
		if (poll(pf, 2, ms) < 0) {
			if (errno == EINTR)
				continue;
			int err = errno;
			kill(pid, SIGKILL);
			die(125, err, "hooks.%s[%d] (%s): poll", h->kind, i, h->path);
		}
		ended = (pf[0].revents & POLLIN) != 0;
		// What it wrote, up to its exit: the first bytes kept.
		for (;;) {
			char b[4096];
			ssize_t r = read(out[0], b, sizeof b);
			if (r <= 0)
				break;
			size_t keep = (size_t)r < sizeof output - 1 - nout ? (size_t)r : sizeof output - 1 - nout;
			memcpy(output + nout, b, keep);
			nout += keep;
		}
	}
	if (timed_out)
		kill(pid, SIGKILL);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die(125, errno, "hooks.%s[%d] (%s): wait", h->kind, i, h->path);
	close(pfd);
	close(out[0]);
	while (nout > 0 && (output[nout - 1] == '\n' || output[nout - 1] == ' '))
		nout--;
	output[nout] = '\0';
	const char *sep = nout > 0 ? ": " : "";
	if (timed_out)
		die(125, 0, "hooks.%s[%d] (%s): killed after its timeout of %u s%s%s", h->kind, i, h->path, h->timeout, sep, output);
	if (WIFSIGNALED(st))
		die(125, 0, "hooks.%s[%d] (%s): signal: %s%s%s", h->kind, i, h->path, strsignal(WTERMSIG(st)), sep, output);
	if (WEXITSTATUS(st) != 0)
		die(125, 0, "hooks.%s[%d] (%s): exit status %d%s%s", h->kind, i, h->path, WEXITSTATUS(st), sep, output);
	hook_failed = 0;
	logf_("hooks.%s[%d] (%s) ran", h->kind, i, h->path);
}

// run_hooks runs config.json's hooks of kind, in their order.
static void run_hooks(const char *kind) {
	struct gun_oci *o = cfg.oci;
	for (int i = 0, n = 0; i < o->nhooks; i++)
		if (strcmp(o->hooks[i].kind, kind) == 0)
			run_hook(&o->hooks[i], n++);
}

static int ns_flag(const char *type) {
	static const struct {
		const char *type;
		int flag;
	} ns[] = {{"user", CLONE_NEWUSER}, {"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET},       {"ipc", CLONE_NEWIPC},
		  {"uts", CLONE_NEWUTS},   {"mount", CLONE_NEWNS}, {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
		if (strcmp(ns[i].type, type) == 0)
			return ns[i].flag;
	die(125, 0, "init: namespace type %s", type);
}

// oci_namespaces joins the namespaces that config.json names by path and
// makes the new ones: the user namespace first, its id maps written by gun
// meanwhile. The cgroup namespace is made last (run_container), once gun
// put the process in its cgroup; new pid and time namespaces are those of
// the caller's children.
static void oci_namespaces(void) {
	struct gun_oci *o = cfg.oci;
	int fds[32], n = o->nns / 2, unshared = 0;
	if (n > 32)
		die(125, 0, "init: %d namespaces", n);
	// All opened first: joining a mount namespace changes what paths name.
	for (int i = 0; i < n; i++) {
		const char *path = o->ns[2 * i + 1];
		fds[i] = -1;
		if (path[0] != '\0' && (fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			die(125, errno, "open %s namespace %s", o->ns[2 * i], path);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			int flag = ns_flag(o->ns[2 * i]);
			if ((flag == CLONE_NEWUSER) != (pass == 0))
				continue;
			if (fds[i] >= 0) {
				if (setns(fds[i], flag) < 0)
					die(125, errno, "join %s namespace %s", o->ns[2 * i], o->ns[2 * i + 1]);
				close(fds[i]);
			} else if (flag == CLONE_NEWUSER) {
				if (unshare(CLONE_NEWUSER) < 0)
					die(125, errno, "unshare the user namespace");
				// gun writes the id maps, then says go.
				static const char maps[] = "{\"Maps\":true}";
				if (send(SYNC_FD, maps, sizeof maps - 1, MSG_NOSIGNAL) < 0)
					_exit(125);
				drop();
			} else if (flag != CLONE_NEWCGROUP) {
				unshared |= flag;
			}
			// The ids gun ran as need not be those the maps give root (as
			// runc): what the container makes from now on is root's.
			if (flag == CLONE_NEWUSER && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
				die(125, errno, "become root of the user namespace");
		}
	}
	if (unshared != 0 && unshare(unshared) < 0)
		die(125, errno, "unshare the container's namespaces (%#x)", unshared);
}

// oci_env is the process's environment as config.json gives it, with HOME
// from the user's passwd entry when it sets none (as runc).
static char **oci_env(const struct gun_user *u) {
	char **env = calloc((size_t)cfg.nenv + 2, sizeof *env);
	if (env == NULL)
		die(125, ENOMEM, "environment");
	int home = 0;
	for (int i = 0; i < cfg.nenv; i++) {
		env[i] = cfg.env[i];
		home |= strncmp(cfg.env[i], "HOME=", 5) == 0;
	}
	if (!home && asprintf(&env[cfg.nenv], "HOME=%s", u->home) < 0)
		die(125, ENOMEM, "environment");
	return env;
}

// oci_user is the process's user: config.json's ids, and the home
// directory of the uid's passwd entry ("/" without one).
static void oci_user(struct gun_user *u) {
	struct gun_oci *o = cfg.oci;
	char spec[32], err[256], *passwd = read_file("/etc/passwd");
	snprintf(spec, sizeof spec, "%u", o->uid);
	if (gun_resolve_user(spec, passwd, NULL, u, err, sizeof err) < 0)
		snprintf(u->home, sizeof u->home, "/");
	free(passwd);
	u->uid = o->uid;
	u->gid = o->gid;
	// (next_groups kept their number within GUN_MAX_GROUPS)
	u->ngroups = cfg.ngroups;
	for (int i = 0; i < cfg.ngroups; i++)
		u->groups[i] = cfg.groups[i];
}

static void capset_(unsigned long long eff, unsigned long long perm, unsigned long long inh) {
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
		{(__u32)eff, (__u32)perm, (__u32)inh},
		{(__u32)(eff >> 32), (__u32)(perm >> 32), (__u32)(inh >> 32)},
	};
	if (syscall(SYS_capset, &h, d) < 0)
		die(125, errno, "set capabilities (effective %#llx, permitted %#llx, inheritable %#llx)", eff, perm, inh);
}

// started_report is the readyMsg that says the command started: the
// setup's steps, or none when they do not fit (the steps are lost, not the
// report).
static struct jbuf *started_report(void) {
	static struct jbuf ready;
	ready.n = 0, ready.over = 0;
	jb_puts(&ready, "{");
	if (nsteps > 0 && !steps.over) {
		jb_puts(&ready, "\"Log\":[");
		jb_put(&ready, steps.b, steps.n);
		jb_puts(&ready, "]");
	}
	jb_puts(&ready, "}");
	if (ready.over) {
		ready.n = 0, ready.over = 0;
		jb_puts(&ready, "{}");
	}
	return &ready;
}

// oci_hold reports the container created and waits for `gun oci start` to
// connect to HOLD_FD; its connection takes the reports from then on. A
// signal meanwhile ends the process (pid 1 would ignore it).
static void oci_hold(int sfd) {
	struct pollfd pf[2] = {{HOLD_FD, POLLIN, 0}, {sfd, POLLIN, 0}};
	for (;;) {
		if (poll(pf, 2, -1) < 0)
			continue; // EINTR
		if (pf[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo != SIGCHLD && si.ssi_signo != SIGWINCH &&
			    si.ssi_signo != SIGURG && si.ssi_signo != SIGCONT)
				_exit(128 + (int)si.ssi_signo);
		}
		if (pf[0].revents & POLLIN) {
			int c = accept4(HOLD_FD, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				report_fd = c;
				close(HOLD_FD);
				return;
			}
		}
	}
}

// oci_exec becomes the container's process: config.json's rlimits, bounding
// set, groups and ids, working directory and umask; the report that the
// container is created (with the pty's master); the hold until `gun oci
// start`; then the capabilities, no_new_privs and the seccomp filter (before
// the capabilities are lowered when there is no no_new_privs, as runc: the
// filter then needs CAP_SYS_ADMIN) and execve.
__attribute__((noreturn)) static void oci_exec(const char *path, char **env, const struct gun_user *u, struct pty *pty,
					       const sigset_t *mask) {
	struct gun_oci *o = cfg.oci;
	for (int i = 0; i < o->nrlimits; i += 3) {
		struct rlimit r = {(rlim_t)num(o->rlimits[i + 1]), (rlim_t)num(o->rlimits[i + 2])};
		if (setrlimit((int)num(o->rlimits[i]), &r) < 0)
			die(125, errno, "set rlimit %s", o->rlimits[i]);
	}
	if (setsid() < 0)
		die(125, errno, "setsid");
	if (pty->slave >= 0 && (dup2(pty->slave, 0) < 0 || dup2(pty->slave, 1) < 0 || dup2(pty->slave, 2) < 0 ||
				ioctl(0, TIOCSCTTY, 0) < 0))
		die(125, errno, "make the pty the process's terminal");
	drop_capabilities();
	// setgroups is denied in a user namespace that maps one id; with no
	// groups asked for, that is no failure.
	if (setgroups((size_t)u->ngroups, u->groups) < 0 && (u->ngroups > 0 || errno != EPERM))
		die(125, errno, "setgroups");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die(125, errno, "keep capabilities");
	if (setresgid((gid_t)u->gid, (gid_t)u->gid, (gid_t)u->gid) < 0)
		die(125, errno, "setgid %ld", u->gid);
	if (setresuid((uid_t)u->uid, (uid_t)u->uid, (uid_t)u->uid) < 0)
		die(125, errno, "setuid %ld", u->uid);
	if (chdir(cfg.cwd) < 0)
		die(125, errno, "chdir %s", cfg.cwd);
	if (cfg.flags & F_UMASK)
		umask((mode_t)o->umask);
	int sfd = signalfd(-1, mask, SFD_CLOEXEC);
	if (sfd < 0)
		die(125, errno, "signalfd");
	struct jbuf *ready = started_report();
	struct iovec iov = {ready->b, ready->n};
	if (gun_send_fd(SYNC_FD, &iov, 1, pty->master) < 0)
		_exit(125);
	if (pty->master >= 0)
		close(pty->master);
	if (pty->slave > 2)
		close(pty->slave);
	if (!(cfg.flags & F_EXEC)) {
		// gun exec waits for the end of the sync socket (the execve) instead.
		close(SYNC_FD);
		report_fd = -1;
		oci_hold(sfd);
		// start's errors from here on: the runtime spec's (as crun)...
		if (cfg.flags & F_NOPROC)
			die(125, 0, "process: not in config.json: start needs one");
		// ...and the startContainer hooks, as the container's user in
		// its namespaces, root and working directory, before its
		// capability sets, no_new_privs and seccomp filter are set.
		run_hooks("startContainer");
	}
	close(sfd);
	oci_preserve(o->npreserve);
	struct sock_fprog prog = {cfg.nfilter, cfg.filter};
	if (!(cfg.flags & F_NO_NEW_PRIVS) && cfg.nfilter > 0) {
		// Every capability still permitted (all of the namespace's)
		// effective, CAP_SYS_ADMIN among them.
		struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct d[2];
		if (syscall(SYS_capget, &h, d) < 0)
			die(125, errno, "get capabilities");
		capset_((unsigned long long)d[1].permitted << 32 | d[0].permitted,
			(unsigned long long)d[1].permitted << 32 | d[0].permitted,
			(unsigned long long)d[1].inheritable << 32 | d[0].inheritable);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			die(125, errno, "load the seccomp filter");
	}
	capset_(o->effective, o->permitted, o->inheritable);
	for (int c = 0; c < 64; c++)
		if ((o->ambient >> c & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			die(125, errno, "raise ambient capability %d", c);
	if ((cfg.flags & F_NO_NEW_PRIVS) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(125, errno, "set no_new_privs");
	if ((cfg.flags & F_NO_NEW_PRIVS) && cfg.nfilter > 0 && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		die(125, errno, "load the seccomp filter");
	sigprocmask(SIG_UNBLOCK, mask, NULL);
	execve(path, cfg.args, env);
	die(errno == ENOENT ? 127 : 126, errno, "exec %s", path);
}

// ---- supervision and cleanup ----

static int status_code(int st) { return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st); }

// supervise forwards the signals of sfd (a signalfd) to the command and
// reaps every child until the command exits; the end of the sync socket
// means gun is gone: the command is killed. It returns the command's code.
static int supervise(pid_t pid, int sfd) {
	struct pollfd pf[2] = {{sfd, POLLIN, 0}, {SYNC_FD, POLLIN, 0}};
	for (;;) {
		if (poll(pf, pf[1].fd < 0 ? 1 : 2, -1) < 0)
			continue; // EINTR
		if (pf[1].revents) {
			char b;
			ssize_t r = recv(SYNC_FD, &b, 1, MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				kill(pid, SIGKILL);
				pf[1].fd = -1;
			}
		}
		if (!(pf[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si)
			continue;
		int sig = (int)si.ssi_signo;
		if (sig == SIGPIPE)
			continue; // a broken pipe of our own
		if (sig != SIGCHLD) {
			kill(pid, sig);
			continue;
		}
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0 || (p < 0 && errno == EINTR))
			if (p == pid)
				return status_code(st);
	}
}

// remove_all removes name under dir and everything in it; it gives up
// quietly where it cannot (gun removes what is left). A file or an empty
// directory goes in a call or two, before any directory is read.
static void remove_all(int dir, const char *name, int depth) {
	if (unlinkat(dir, name, 0) == 0 || errno == ENOENT)
		return;
	if (unlinkat(dir, name, AT_REMOVEDIR) == 0 || errno == ENOENT || depth >= 256)
		return;
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[4096];
	long n;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *e = (struct dirent64 *)(buf + off);
			off += e->d_reclen;
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				remove_all(fd, e->d_name, depth + 1);
		}
	}
	close(fd);
	unlinkat(dir, name, AT_REMOVEDIR);
}

// cleanup kills what is left of the container and empties the scratch
// space but for its lock (and the upper directory, with keep_upper), from
// inside the user namespace, where the files' owners are mapped, so that
// gun has little left to do after the exit report.
static void cleanup(int scratch, int keep_upper) {
	kill(-1, SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	static const char *const names[] = {SCRATCH_UPPER, SCRATCH_WORK, SCRATCH_ROOT, SCRATCH_ETC_FILES, SCRATCH_CONTAINER};
	// ("root" is a copied root's: F_COPIED.)
	for (size_t i = keep_upper ? 1 : 0; i < sizeof names / sizeof names[0]; i++)
		remove_all(scratch, names[i], 0);
}

// ---- the init ----

static char *join_top_first(void) {
	size_t n = 1;
	for (int i = 0; i < cfg.nlayers; i++)
		n += strlen(cfg.layers[i]) + 1;
	char *s = calloc(1, n), *p = s;
	if (s == NULL)
		return "";
	for (int i = cfg.nlayers - 1; i >= 0; i--)
		p += sprintf(p, "%s%s", p == s ? "" : ":", cfg.layers[i]);
	return s;
}

// await_verdict waits for gun's word on a plan: goMsg runs the command;
// anything else (gun starts the container itself) empties the scratch
// directory, as gun_plan_open made it, and ends the init.
static void await_verdict(int scratch) {
	char first;
	ssize_t r;
	do
		r = recv(SYNC_FD, &first, 1, MSG_PEEK);
	while (r < 0 && errno == EINTR);
	if (r == 1) {
		size_t n;
		char *b = recv_peek(&n);
		struct gun_err e;
		int v = gun_parse_verdict(b, n, &cfg, &e);
		if (v < 0)
			die(125, e.err, "%s", e.msg);
		if (v == 0) {
			drop();
			speculative = 0;
			// The plan's times say when it last ran a container.
			futimens(plan_fd, NULL);
			close(plan_fd);
			return;
		}
	}
	cleanup(scratch, 0);
	_exit(125);
}

static sigset_t command_signals(void) {
	sigset_t mask;
	sigemptyset(&mask);
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaddset(&mask, s);
	return mask;
}

__attribute__((noreturn)) static void run_container(sigset_t mask);
static void report_started(pid_t pid, int master);
__attribute__((noreturn)) static void report_exit(int code);

void gun_cinit(void) {
	// Signals for the command wait until it runs (pid 1 would drop them).
	sigset_t mask = command_signals();
	sigprocmask(SIG_BLOCK, &mask, NULL);
	size_t n;
	char *b = recv_peek(&n);
	struct gun_err e;
	if (gun_parse_config(b, n, GUN_CONFIG_RUN, &cfg, &e) < 0)
		die(125, e.err, "%s", e.msg);
	run_container(mask);
}

void gun_cinit_planned(const struct gun_plan *p) {
	planned = speculative = 1;
	plan_fd = p->fd;
	const char *scratch = p->scratch;
	sigset_t mask = command_signals();
	sigprocmask(SIG_BLOCK, &mask, NULL);
	struct gun_err e;
	if (gun_parse_config(p->config, p->nconfig, GUN_CONFIG_PLAN, &cfg, &e) < 0 || gun_plan_config(&cfg, scratch, &e) < 0)
		die(125, e.err, "%s", e.msg);
	run_container(mask);
}

// mount_overlay mounts the overlay of the layers on root: with one
// mount(2) call whose options fit a page, or else (cfg.overlay empty) with
// the mount API, which takes the lower layers one at a time ("lowerdir+",
// top first, Linux 6.8 and later). A failure names the step in *what and
// leaves errno set.
static int mount_overlay(const char *root, const char **what) {
	*what = "";
	if (cfg.overlay[0] != '\0')
		return mount("overlay", root, "overlay", 0, cfg.overlay);
	*what = ": fsopen";
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	char upper[PATH_MAX], work[PATH_MAX];
	snprintf(upper, sizeof upper, "%s/" SCRATCH_UPPER, cfg.scratch);
	snprintf(work, sizeof work, "%s/" SCRATCH_WORK, cfg.scratch);
	int r = 0;
	*what = ": lower layer";
	for (int i = cfg.nlayers - 1; r == 0 && i >= 0; i--)
		r = fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", cfg.layers[i], 0);
	if (r == 0 && (*what = ": upperdir", r = fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0)) == 0 &&
	    (*what = ": workdir", r = fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0)) == 0 &&
	    (*what = ": userxattr", r = fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0)) == 0 &&
	    (!(cfg.flags & F_KEEP_UPPER) ||
	     (*what = ": volatile", r = fsconfig(fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0)) == 0) &&
	    (*what = ": create", r = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0)) == 0) {
		*what = ": fsmount";
		int mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
		r = mnt < 0 ? -1 : 0;
		if (mnt >= 0) {
			*what = ": move_mount";
			r = move_mount(mnt, "", AT_FDCWD, root, MOVE_MOUNT_F_EMPTY_PATH);
			int err = errno;
			close(mnt);
			errno = err;
		}
	}
	int err = errno;
	close(fs);
	errno = err;
	return r;
}

// mount_root mounts the container's root on root: the overlay of the
// layers, or, with F_COPIED, the copy gun made of them (bound on itself,
// for pivot_root needs a mount point). A kernel that refuses the overlay
// is a failure of its own (overlay_refused).
static void mount_root(const char *root) {
	if (cfg.flags & (F_COPIED | F_OCI)) {
		if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
			die(125, errno, "bind mount root %s", root);
		logf_(cfg.flags & F_OCI ? "root: %s" : "root: the layers copied into %s (the kernel refused the overlay)", root);
		return;
	}
	const char *what;
	if (mount_overlay(root, &what) < 0) {
		overlay_refused = !planned; // a plan's failure: gun starts again
		die(125, errno, "mount overlay on %s%s", root, what);
	}
	logf_("root: overlay of %d layers (top first: %s), upper %s/upper%s", cfg.nlayers, join_top_first(), cfg.scratch,
	      cfg.overlay[0] == '\0' ? " (lowerdir+)" : "");
}

// run_container sets up the container of cfg and runs its command.
static void run_container(sigset_t mask) {
	struct gun_oci *oci = cfg.oci;
	int exec = (cfg.flags & F_EXEC) != 0, scratch = -1;
	if (exec) {
		// In the container's namespaces (gun_cinit_oci joined them), at
		// its root: only the process to set up.
		syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
		drop(); // goMsg
		goto process;
	}
	// Nothing we mount may propagate back to the host.
	if (mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die(125, errno, "make / private");
	// The overlay goes on the scratch directory itself, which it hides and
	// which becomes the root: no directory of its own to remove afterwards
	// (removing an empty directory costs a file system a while, here after
	// the command's exit). Its files stay reachable by descriptor. A copied
	// root is the directory root in it.
	char copied[PATH_MAX];
	snprintf(copied, sizeof copied, "%s/" SCRATCH_ROOT, cfg.scratch);
	const char *root = oci != NULL ? oci->root : cfg.flags & F_COPIED ? copied : cfg.scratch;
	if (oci == NULL)
		scratch = open(cfg.scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (scratch < 0 && oci == NULL)
		die(125, errno, "open scratch");
	// Descriptors gun inherited (and the sync socket) must not reach the
	// command.
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	logf_("set up by the C init");
	mount_root(root);
	if (!planned) {
		if (oci == NULL)
			drop(); // the configuration, parsed (gun_cinit_oci took it)
		drop();         // goMsg: the cgroup is joined
	}
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die(125, errno, "open root %s", root);
	if (oci != NULL) {
		// config.json's mounts, in its order, then what every container
		// has in /dev, and the sysctls.
		for (int i = 0; i < oci->nmounts; i += 6)
			oci_mount(oci->mounts + i);
		oci_dev();
		oci_sysctls();
		for (int i = 0; i < oci->nmasked; i++)
			mask_path(oci->masked[i]);
		for (int i = 0; i < oci->nreadonly; i++)
			make_readonly(oci->readonly[i]);
		goto pivot;
	}
	// We are pid 1 of the new pid namespace: this proc shows only our tree.
	mount_in("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
	if (cfg.flags & F_NETNS) // sysfs needs the network namespace's owner
		mount_in("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
	else
		bind_in("/sys", "/sys", 1);
	setup_dev(!(cfg.flags & F_SINGLE));
	static const char *const etc[] = {SCRATCH_ETC_FILES};
	for (size_t i = 0; i < sizeof etc / sizeof etc[0]; i++) {
		char shown[PATH_MAX], dst[64];
		snprintf(shown, sizeof shown, "%s/%s", cfg.scratch, etc[i]);
		snprintf(dst, sizeof dst, "/etc/%s", etc[i]);
		bind_at(scratch, etc[i], shown, dst, 0);
	}
	for (int i = 0; i < cfg.nmounts; i += 3) {
		if (strcmp(cfg.mounts[i + 2], "tmpfs") != 0) {
			bind_in(cfg.mounts[i], cfg.mounts[i + 1], strcmp(cfg.mounts[i + 2], "ro") == 0);
			continue;
		}
		// SIZE:MODE, checked by gun_config_parse.
		char data[64];
		const char *src = cfg.mounts[i], *colon = strchr(src, ':');
		int n = (int)(colon - src);
		if (n == 1 && src[0] == '0')
			snprintf(data, sizeof data, "mode=%s", colon + 1);
		else
			snprintf(data, sizeof data, "mode=%s,size=%.*s", colon + 1, n, src);
		mount_in("tmpfs", cfg.mounts[i + 1], "tmpfs", MS_NOSUID | MS_NODEV, data);
	}
	for (size_t i = 0; !(cfg.flags & F_UNMASKED) && i < sizeof masked / sizeof masked[0]; i++)
		mask_path(masked[i]);
	for (size_t i = 0; !(cfg.flags & F_UNMASKED) && i < sizeof readonly / sizeof readonly[0]; i++)
		make_readonly(readonly[i]);
pivot:
	// pivot_root, never chroot: the old root is detached and unreachable.
	if (chdir(root) < 0)
		die(125, errno, "chdir to root");
	if (oci != NULL) {
		// config.json's hooks of create, before pivot_root (the runtime
		// spec's place): gun runs prestart and createRuntime in the
		// runtime namespace meanwhile, then the container's run here,
		// their paths those of the runtime's file system, the root the
		// working directory (as runc).
		after_hooks = 1;
		if (cfg.flags & F_HOOKS) {
			static const char hooks[] = "{\"Hooks\":true}";
			if (send(SYNC_FD, hooks, sizeof hooks - 1, MSG_NOSIGNAL) < 0)
				_exit(125);
			drop();
			logf_("gun ran the prestart and createRuntime hooks");
		}
		run_hooks("createContainer");
	}
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die(125, errno, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		die(125, errno, "detach old root");
	if (chdir("/") < 0)
		die(125, errno, "chdir /");
	close(rootfd);
	if (oci != NULL && oci->propagation != 0 && mount("", "/", NULL, oci->propagation, NULL) < 0)
		die(125, errno, "root propagation");
	if ((oci == NULL || cfg.hostname[0] != '\0') && sethostname(cfg.hostname, strlen(cfg.hostname)) < 0)
		die(125, errno, "sethostname");
	if (oci != NULL && oci->domainname[0] != '\0' && setdomainname(oci->domainname, strlen(oci->domainname)) < 0)
		die(125, errno, "setdomainname");
	if (cfg.flags & F_NETNS)
		loopback_up();
	logf_("pivot_root into %s; hostname %s", root, cfg.hostname);
process:;
	struct gun_user u;
	if (oci != NULL)
		oci_user(&u);
	else
		resolve_user(&u);
	char **env = oci != NULL ? oci_env(&u) : make_env(&u);
	if (strcmp(cfg.cwd, "/") != 0) {
		// As docker: a missing working directory is created (mkdir -p).
		char d[PATH_MAX];
		snprintf(d, sizeof d, "%s", cfg.cwd);
		for (char *p = d + 1;; p++) {
			if (*p == '/' || *p == '\0') {
				char c = *p;
				*p = '\0';
				mkdir(d, 0755);
				*p = c;
				if (c == '\0')
					break;
			}
		}
	}
	if ((cfg.flags & F_READONLY) && !exec) {
		// After the last write to the root (the working directory above).
		struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
		if (mount_setattr(AT_FDCWD, "/", 0, &a, sizeof a) < 0)
			die(125, errno, "read-only root: make read-only: mount_setattr");
	}
	char *path = planned || (cfg.flags & F_NOPROC) ? NULL : look_path(cfg.args[0], env);
	struct pty pty = {-1, -1};
	if (cfg.flags & F_TTY)
		pty = open_pty(u.uid);
	if (oci != NULL && pty.slave >= 0 && !exec) {
		// The terminal is the container's console too. (After pivot_root:
		// "/" is the container's root.)
		int c = open("/dev/console", O_CREAT | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
		char name[64];
		if (c < 0 || ptsname_r(pty.master, name, sizeof name) != 0 || mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
			die(125, errno, "bind the pty on /dev/console");
		close(c);
	}
	// The container's cgroup namespace is rooted at the cgroup the parent
	// put us in.
	if ((oci == NULL || ((cfg.flags & F_CGROUPNS) && !exec)) && unshare(CLONE_NEWCGROUP) < 0)
		die(125, errno, "unshare cgroup namespace");
	if (oci != NULL) {
		// As runc: a command that cannot be executed fails create, not
		// start.
		struct stat st;
		if (path != NULL && (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0))
			die(errno == ENOENT ? 127 : 126, errno == 0 ? EACCES : errno, "exec %s", path);
		oci_exec(path, env, &u, &pty, &mask);
	}
	restrict_self();
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		die(125, errno, "signalfd");
	pid_t pid;
	if (planned) {
		// The command is forked and set up while gun checks the plan, and
		// executed on gun's word. (await_verdict's cleanup kills it.)
		int hold[2];
		if (pipe2(hold, O_CLOEXEC) < 0)
			die(125, errno, "start %s: pipe", command_name());
		struct command c = fork_command(NULL, env, &u, &mask, hold, -1);
		close(hold[0]);
		await_verdict(scratch); // the command, at last
		path = look_path(cfg.args[0], env);
		write_command(hold[1], path);
		close(hold[1]);
		pid = started(c);
	} else {
		pid = started(fork_command(path, env, &u, &mask, NULL, pty.slave));
		if (pty.slave >= 0)
			close(pty.slave);
	}
	logf_("started %s (pid %d in the container), cwd %s", path, (int)pid, cfg.cwd);
	report_started(pid, pty.master);
	int code = supervise(pid, sfd);
	cleanup(scratch, code == 0 && (cfg.flags & F_KEEP_UPPER));
	report_exit(code);
}

// report_started tells gun that the command pid started (readyMsg), with
// the setup's steps and a pty's master (SCM_RIGHTS, runc's console
// socket pattern) when master is not -1.
static void report_started(pid_t pid, int master) {
	struct jbuf *ready = started_report();
	if (master >= 0) {
		struct iovec iov = {ready->b, ready->n};
		if (gun_send_fd(SYNC_FD, &iov, 1, master) < 0)
			kill(pid, SIGKILL);
		close(master);
	} else {
		send_json(ready);
	}
}

// report_exit reports the command's exit code (exitMsg) and exits with it.
// The parent may go on at once: tearing down the namespaces as this
// process exits takes the kernel a while.
__attribute__((noreturn)) static void report_exit(int code) {
	char msg[32];
	int mn = snprintf(msg, sizeof msg, "{\"Code\":%d}", code);
	while (send(SYNC_FD, msg, (size_t)mn, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
	_exit(code);
}

// ---- exec: a process in a running container ----
//
// gun_cexec is the entry gun:exec, in the constructor: single-threaded, as
// joining a user namespace needs. The init of the container is not
// dumpable, and its namespaces are out of reach (its memory's user
// namespace is gun's); its first child, the container's command, is in
// every namespace of the container (the cgroup namespace too, which the
// init made for it), and exec joins those, as runc joins its container's
// process 1. In order: find the command and hold it by a pidfd, tell gun
// its pid (gun puts this process in its cgroup), join its namespaces,
// resolve the user in the container, make the pty, restrict as the init
// restricts the container's command, fork the process (in the pid
// namespace, which only a fork enters) and supervise it as the init
// does its command, outside the container's pid namespace.

enum { INIT_FD = 4 };

// proc_number returns the number after key in the text of a file of
// /proc, or -1.
static long proc_number(const char *path, const char *key) {
	char *s = read_file(path);
	if (s == NULL)
		return -1;
	const char *p = strstr(s, key);
	long v = -1;
	if (p != NULL) {
		char *end;
		errno = 0;
		v = strtol(p + strlen(key), &end, 10);
		if (errno != 0 || end == p + strlen(key) || v <= 0)
			v = -1;
	}
	free(s);
	return v;
}

// parent_of returns the parent of pid (/proc/PID/stat: the fields after
// the command's name, which may hold any byte but NUL and ends at the
// last ')'), or -1.
static pid_t parent_of(pid_t pid) {
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	char *s = read_file(path);
	if (s == NULL)
		return -1;
	char *p = strrchr(s, ')');
	int ppid = -1;
	if (p == NULL || sscanf(p, ") %*c %d", &ppid) != 1)
		ppid = -1;
	free(s);
	return ppid;
}

static int pidfd_alive(int fd) { return syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0; }

// container_command returns a pidfd of the container's command: the
// init's first child, checked to be the init's child while the pidfd
// holds it (its pid is not reused meanwhile); *pid is its pid.
static int container_command(pid_t *pid) {
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", INIT_FD);
	long init = proc_number(path, "\nPid:\t");
	if (init <= 0 || !pidfd_alive(INIT_FD))
		die(125, 0, "the container is not running");
	snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", init, init);
	long cmd = proc_number(path, "");
	if (cmd <= 0)
		die(125, 0, "the container's command is not running (init pid %ld)", init);
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)cmd, 0);
	if (fd < 0)
		die(125, errno, "the container's command (pid %ld): pidfd_open", cmd);
	if (parent_of((pid_t)cmd) != init || !pidfd_alive(fd) || !pidfd_alive(INIT_FD))
		die(125, 0, "the container's command (pid %ld) is gone", cmd);
	*pid = (pid_t)cmd;
	return fd;
}

// namespaces_of returns the flags of the namespaces pid is in and this
// process is not (setns into one's own is refused for a user namespace,
// and for one owned by another user namespace, as the host's network is
// to a container's), and lists their names in names.
static int namespaces_of(pid_t pid, char *names, size_t n) {
	static const struct {
		int flag;
		const char *name;
	} nss[] = {
		{CLONE_NEWUSER, "user"}, {CLONE_NEWNS, "mnt"},	  {CLONE_NEWPID, "pid"},	{CLONE_NEWUTS, "uts"},
		{CLONE_NEWIPC, "ipc"},	 {CLONE_NEWNET, "net"}, {CLONE_NEWCGROUP, "cgroup"},
	};
	int flags = 0;
	names[0] = '\0';
	for (size_t i = 0; i < sizeof nss / sizeof nss[0]; i++) {
		char theirs[64], ours[64];
		snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int)pid, nss[i].name);
		snprintf(ours, sizeof ours, "/proc/self/ns/%s", nss[i].name);
		struct stat a, b;
		if (stat(theirs, &a) < 0)
			die(125, errno, "the container's namespaces: stat %s", theirs);
		if (stat(ours, &b) < 0)
			die(125, errno, "the container's namespaces: stat %s", ours);
		if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			continue;
		flags |= nss[i].flag;
		snprintf(names + strlen(names), n - strlen(names), "%s%s", names[0] ? " " : "", nss[i].name);
	}
	return flags;
}

void gun_cexec(void) {
	sigset_t mask = command_signals();
	sigprocmask(SIG_BLOCK, &mask, NULL);
	// The sync socket and the pidfds must not reach the process.
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	size_t n;
	char *b = recv_peek(&n);
	struct gun_err e;
	if (gun_parse_config(b, n, GUN_CONFIG_EXEC, &cfg, &e) < 0)
		die(125, e.err, "%s", e.msg);
	drop();
	pid_t pid;
	int target = container_command(&pid);
	char names[64];
	int flags = namespaces_of(pid, names, sizeof names);
	// setgroups is denied in a user namespace where only the user is
	// mapped (F_SINGLE, as the container's init was told).
	char sgpath[64];
	snprintf(sgpath, sizeof sgpath, "/proc/%d/setgroups", (int)pid);
	char *setgroups = read_file(sgpath);
	if (setgroups == NULL)
		die(125, errno, "the container's user namespace: read %s", sgpath);
	if (strncmp(setgroups, "deny", 4) == 0)
		cfg.flags |= F_SINGLE;
	free(setgroups);
	// gun puts this process in the container's cgroup, then says go.
	char msg[64];
	int mn = snprintf(msg, sizeof msg, "{\"Pid\":%d}", (int)pid);
	if (send(SYNC_FD, msg, (size_t)mn, MSG_NOSIGNAL) < 0)
		_exit(125);
	drop();
	if (setns(target, flags) < 0)
		die(125, errno, "join the container's namespaces (%s) of its command (pid %d)", names, (int)pid);
	close(target);
	logf_("joined the namespaces (%s) of the container's command (pid %d)", names, (int)pid);
	static char host[HOST_NAME_MAX + 1];
	if (gethostname(host, sizeof host) < 0)
		die(125, errno, "gethostname");
	cfg.hostname = host;
	struct gun_user u;
	resolve_user(&u);
	char **env = make_env(&u);
	char *path = look_path(cfg.args[0], env);
	struct pty pty = {-1, -1};
	if (cfg.flags & F_TTY)
		pty = open_pty(u.uid);
	restrict_self();
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		die(125, errno, "signalfd");
	pid_t child = started(fork_command(path, env, &u, &mask, NULL, pty.slave));
	if (pty.slave >= 0)
		close(pty.slave);
	logf_("started %s (pid %d outside the container), cwd %s", path, (int)child, cfg.cwd);
	report_started(child, pty.master);
	report_exit(supervise(child, sfd));
}

// gun_cinit_oci is the init of an OCI bundle's container (`gun oci create`):
// it takes its configuration, joins and makes the namespaces and forks the
// container's process, pid 1 of a new pid namespace; it tells gun that
// process's pid and exits, leaving no process between the caller and it.
void gun_cinit_oci(void) {
	sigset_t mask = command_signals();
	sigprocmask(SIG_BLOCK, &mask, NULL);
	size_t n;
	char *b = recv_peek(&n);
	struct gun_err e;
	if (gun_parse_config(b, n, GUN_CONFIG_RUN, &cfg, &e) < 0 || !(cfg.flags & F_OCI))
		die(125, e.err, "%s", e.msg[0] != '\0' ? e.msg : "init: not an OCI container's configuration");
	drop();
	oci_namespaces();
	pid_t pid = fork();
	if (pid < 0)
		die(125, errno, "fork the container's process");
	if (pid > 0) {
		char msg[64];
		int mn = snprintf(msg, sizeof msg, "{\"Pid\":%d}", (int)pid);
		(void)send(SYNC_FD, msg, (size_t)mn, MSG_NOSIGNAL);
		_exit(0);
	}
	run_container(mask);
}

