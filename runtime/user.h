#ifndef GUN_USER_H
#define GUN_USER_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

// The user lookup (user.c), for the C init (cinit.c) and, through cgo, for
// Go (user_cgo.go): the one implementation of USER[:GROUP].

enum { GUN_MAX_GROUPS = 1024 };

struct gun_user {
	long uid, gid;
	int ngroups;
	gid_t groups[GUN_MAX_GROUPS]; // supplementary; more are an error, not dropped
	char home[PATH_MAX];
};

// gun_resolve_user resolves spec, USER[:GROUP] with names or numbers,
// against the text of an image's /etc/passwd and /etc/group (NULL for a
// missing file). It returns 0, or -1 with a message in err.
int gun_resolve_user(const char *spec, const char *passwd, const char *group, struct gun_user *u, char *err, size_t errlen);

#endif
