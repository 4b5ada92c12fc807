//go:build linux && cgo

// The user lookup: USER[:GROUP] by Docker's rule, the GetExecUser of
// github.com/moby/sys/user (runc's libcontainer/user before) with Docker's
// defaults:
//
//   - A numeric USER is a uid, looked up by uid only; a name by name only;
//     none is uid 0. The first matching /etc/passwd line gives the gid and
//     the home directory. A uid with no line runs with gid 0 and home "/";
//     a name with no line is an error.
//   - A GROUP, the same way in /etc/group, replaces the gid: a number with
//     no line is taken as it is, a name with no line is an error. Then the
//     user has no supplementary groups.
//   - Without a GROUP, a user found in /etc/passwd gets as supplementary
//     groups every group that lists its name as a member.
//   - Lines are read as Docker reads them: trimmed, blank ones skipped,
//     missing fields empty, a field that is not a number taken as 0; in
//     /etc/group (not in /etc/passwd) a line that starts with '#' is a
//     comment.
//
// Unlike Docker, an id beyond 0..2^31-1, more than GUN_MAX_GROUPS groups
// and a home directory beyond PATH_MAX are errors here rather than
// failures later. FuzzResolveUser compares the two.

#include "user.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { MAX_ID = 2147483647 };

// A piece of a text, not NUL-terminated.
struct span {
	const char *p;
	size_t n;
};

static struct span trim(struct span s) {
	while (s.n > 0 && isspace((unsigned char)s.p[0]))
		s.p++, s.n--;
	while (s.n > 0 && isspace((unsigned char)s.p[s.n - 1]))
		s.n--;
	return s;
}

// next_line takes the next line off *text, trimmed; it returns 0 at the
// end.
static int next_line(const char **text, struct span *line) {
	const char *s = *text;
	if (s == NULL || *s == '\0')
		return 0;
	const char *nl = strchr(s, '\n');
	size_t n = nl ? (size_t)(nl - s) : strlen(s);
	*text = s + n + (nl != NULL);
	*line = trim((struct span){s, n});
	return 1;
}

// field returns the i-th field of a colon-separated line (empty when the
// line has fewer).
static struct span field(struct span line, int i) {
	const char *p = line.p, *end = line.p + line.n;
	for (;;) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		if (i-- == 0)
			return (struct span){p, (size_t)((c ? c : end) - p)};
		if (c == NULL)
			return (struct span){end, 0};
		p = c + 1;
	}
}

static int equal(struct span a, struct span b) { return a.n == b.n && memcmp(a.p, b.p, a.n) == 0; }

// number parses s as Go's strconv.Atoi does (an optional sign, decimal
// digits, 64 bits); *ok says whether it is one. Not one, it is 0.
static long number(struct span s, int *ok) {
	*ok = 0;
	size_t i = s.n > 0 && (s.p[0] == '+' || s.p[0] == '-');
	int neg = i == 1 && s.p[0] == '-';
	if (i == s.n)
		return 0;
	unsigned long v = 0, limit = (unsigned long)-(LONG_MIN + 1) + (unsigned long)neg;
	for (; i < s.n; i++) {
		unsigned d = (unsigned)(s.p[i] - '0');
		if (d > 9 || v > (limit - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*ok = 1;
	return neg ? (long)(0 - v) : (long)v;
}

// id is a number field of a line: 0 when it is not a number, as runc has
// it.
static long id(struct span line, int i) {
	int ok;
	long v = number(field(line, i), &ok);
	return ok ? v : 0;
}

// is_member reports whether name is in a comma-separated list.
static int is_member(struct span list, struct span name) {
	const char *p = list.p, *end = list.p + list.n;
	if (list.n == 0)
		return 0;
	for (;;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		struct span m = {p, (size_t)((c ? c : end) - p)};
		if (equal(m, name))
			return 1;
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *format, ...) {
	va_list ap;
	va_start(ap, format);
	vsnprintf(err, errlen, format, ap);
	va_end(ap);
	return -1;
}

static int out_of_range(long v) { return v < 0 || v > MAX_ID; }

int gun_resolve_user(const char *spec, const char *passwd, const char *group, struct gun_user *u, char *err, size_t errlen) {
	memset(u, 0, sizeof *u);
	strcpy(u->home, "/");
	struct span s = {spec, strlen(spec)}, user = field(s, 0), grp = field(s, 1), matched = {NULL, 0}, line;
	int uid_ok, gid_ok, found = 0;
	long uid_arg = number(user, &uid_ok), gid_arg = number(grp, &gid_ok);
	for (const char *t = passwd; !found && next_line(&t, &line);) {
		if (line.n == 0)
			continue;
		long uid = id(line, 2);
		if (user.n == 0 ? uid != 0 : uid_ok ? uid != uid_arg : !equal(field(line, 0), user))
			continue;
		struct span home = field(line, 5);
		if (home.n >= sizeof u->home)
			return fail(err, errlen, "user \"%.*s\": home directory too long", (int)user.n, user.p);
		u->uid = uid, u->gid = id(line, 3), matched = field(line, 0), found = 1;
		memcpy(u->home, home.p, home.n);
		u->home[home.n] = '\0';
	}
	if (!found && user.n > 0) {
		if (!uid_ok)
			return fail(err, errlen, "no user \"%.*s\" in /etc/passwd", (int)user.n, user.p);
		u->uid = uid_arg;
	}
	if (grp.n > 0 || matched.n > 0) {
		found = 0;
		for (const char *t = group; !found && next_line(&t, &line);) {
			if (line.n == 0 || line.p[0] == '#')
				continue;
			long gid = id(line, 2);
			if (grp.n > 0) {
				if (gid_ok ? gid == gid_arg : equal(field(line, 0), grp))
					u->gid = gid, found = 1;
				continue;
			}
			if (!is_member(field(line, 3), matched))
				continue;
			if (u->ngroups == GUN_MAX_GROUPS)
				return fail(err, errlen, "user \"%.*s\": in more than %d groups", (int)matched.n, matched.p, GUN_MAX_GROUPS);
			if (out_of_range(gid))
				return fail(err, errlen, "group %ld of user \"%.*s\": out of range 0-%d", gid, (int)matched.n, matched.p, MAX_ID);
			u->groups[u->ngroups++] = (gid_t)gid;
		}
		if (grp.n > 0 && !found) {
			if (!gid_ok)
				return fail(err, errlen, "no group \"%.*s\" in /etc/group", (int)grp.n, grp.p);
			u->gid = gid_arg;
		}
	}
	if (out_of_range(u->uid) || out_of_range(u->gid))
		return fail(err, errlen, "uid %ld, gid %ld: out of range 0-%d", u->uid, u->gid, MAX_ID);
	return 0;
}
