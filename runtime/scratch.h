// The layout of a container's scratch directory, for the C init (cinit.c)
// and plans (plan.c): run.go's scratchUpper, scratchWork, scratchRoot and
// etcFiles, exec.go's scratchContainer (TestCConstants checks).

#ifndef GUN_SCRATCH_H
#define GUN_SCRATCH_H

// The overlay's upper and work directories.
#define SCRATCH_UPPER "upper"
#define SCRATCH_WORK "work"
// The copy of the layers when the kernel refuses the overlay (F_COPIED).
#define SCRATCH_ROOT "root"
// The files bound on /etc/<name>, as a list's items.
#define SCRATCH_ETC_FILES "resolv.conf", "hosts", "hostname"
// The record of the running container, for an exec (exec.go).
#define SCRATCH_CONTAINER "container"

#endif
