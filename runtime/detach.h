// gun run -d's fork in the constructor (detach.c), for entry.c and Go.

#ifndef GUN_DETACH_H
#define GUN_DETACH_H

// gun_detach reads gun run's command line (argv[1] is "run"). With -d it
// forks: the parent prints the monitor's report and exits, the child, the
// monitor, returns with *argc and *argv its plan's command line (without
// -d, --name and --rm). Otherwise it returns and changes nothing.
void gun_detach(int *argc, char ***argv);

// gun_take_monitor puts the monitor's ends in fds (its report, the read
// ends of its stdout and stderr, the write end of its stdin or -1), and
// with -t the rows and columns of the caller's terminal in ws (0 without
// one), once; -1 when this process is no monitor.
int gun_take_monitor(int fds[4], unsigned short ws[2]);

// gun_monitor_name returns the --name of the monitor's gun run -d, NULL
// without one; gun_monitor_rm whether it was run with --rm.
const char *gun_monitor_name(void);
int gun_monitor_rm(void);

// gun_monitor_report sends the monitor's report to gun run -d ("0 ID", or
// gun run's exit code and error) and closes its pipe; Go's Monitor then
// has no Report.
void gun_monitor_report(const char *text);

// gun_started is a detached run's container that the constructor started
// from its plan without Go (entry.c's gun_fast), for the monitor's Go
// (gun_take_started): the prefork's socket and pid (the relay), the
// scratch directory and its lock, the container's record (claim.c: the
// containers' directory, the id, its lock) and the store. failed is NULL
// once the command runs; else the init's report of a failed start ("" for
// none), the init killed and reaped.
struct gun_started {
	int sock, pid, scratch_lock, ctr_lock;
	const char *scratch, *containers, *id, *store, *failed;
};

// gun_take_started puts the container gun_fast started in s, once: -1
// when there is none.
int gun_take_started(struct gun_started *s);

// gun_is_monitor reports whether this process is a detached gun run's
// monitor.
int gun_is_monitor(void);

// gun_plan_args returns the monitor's plan's command line, NULL when this
// process is no monitor.
char **gun_plan_args(int *argc);

// gun_run_flag returns 2 for an option of gun run that takes a value, 1
// for a boolean one, 0 for one the constructor does not know; a short one
// is named by its letter.
int gun_run_flag(const char *name, int is_short);

// gun_read_run reads gun run's command line argv as gun_detach does, for
// Go's tests: -1 when it cannot tell, else 1 for -d, plus 2 for -i; the
// plan's command line in *out (*n strings, each malloc'd, as *out is).
int gun_read_run(int argc, char **argv, char ***out, int *n);

#endif
