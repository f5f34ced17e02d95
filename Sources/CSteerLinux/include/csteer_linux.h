// Linux calls that Swift's Glibc module does not import (they need _GNU_SOURCE or
// have no glibc wrapper on every distribution). Implemented in csteer_linux.c,
// which is compiled with _GNU_SOURCE; the prototypes here use plain C types only.
#ifndef CSTEER_LINUX_H
#define CSTEER_LINUX_H

#include <sys/types.h>
#include <spawn.h>

/// setns(2) with CLONE_NEWNET: move the calling thread into the network namespace `fd`.
int csteer_setns_net(int fd);

/// A detached sysfs mount for the calling thread's network namespace:
/// fsopen("sysfs") + fsconfig(FSCONFIG_CMD_CREATE) + fsmount(). Returns a directory fd
/// whose class/net shows the namespace's interfaces, or -1 with errno set.
int csteer_sysfs_mount_fd(void);

/// Makes the superblock of the mount `mountfd` (a sysfs mount's root) read-only or writable:
/// fspick(FSPICK_EMPTY_PATH) + fsconfig(FSCONFIG_SET_FLAG "ro"/"rw") +
/// fsconfig(FSCONFIG_CMD_RECONFIGURE), as `mount -o remount,rw` does to the superblock.
/// Every mount of that superblock sees the change; a mount's own read-only flag stays.
/// 0, or -1 with errno set (EBUSY: a file of it is still open for writing).
int csteer_sysfs_reconfigure(int mountfd, int readonly);

/// Whether the file system of `fd` is read-only for writes through this mount (fstatvfs
/// ST_RDONLY: the mount's flag or its superblock's): 1, 0, or -1 with errno set.
int csteer_fd_readonly(int fd);

/// POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF for a child
/// that starts a new session with default signal handling and an empty mask.
int csteer_spawnattr_detached(posix_spawnattr_t *attr, int setsid);

/// Closes every descriptor from 3 up in the child, after the file actions before it
/// (posix_spawn_file_actions_addclosefrom_np, glibc 2.34+): a child never inherits the
/// caller's other descriptors, close-on-exec or not (a lock a caller's shell holds, say,
/// kept by a daemonized iperf3 for as long as the lab runs). Without it (another libc),
/// nothing: descriptors opened close-on-exec, as steertop's are, still do not pass.
int csteer_spawn_close_others(posix_spawn_file_actions_t *actions);

/// pidfd_open(2): -1 with errno set where unsupported.
int csteer_pidfd_open(pid_t pid);

/// pipe2(2).
int csteer_pipe2(int fds[2], int flags);

/// The calling thread's id (gettid(2)).
pid_t csteer_gettid(void);

#endif
