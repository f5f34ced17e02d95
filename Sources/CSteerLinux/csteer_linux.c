#define _GNU_SOURCE
#include "csteer_linux.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/statvfs.h>

int csteer_setns_net(int fd) {
    return setns(fd, CLONE_NEWNET);
}

int csteer_sysfs_mount_fd(void) {
#if defined(SYS_fsopen) && defined(SYS_fsconfig) && defined(SYS_fsmount)
    int fs = (int)syscall(SYS_fsopen, "sysfs", FSOPEN_CLOEXEC);
    if (fs < 0) return -1;
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
        int saved = errno;
        close(fs);
        errno = saved;
        return -1;
    }
    int mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
    int saved = errno;
    close(fs);
    errno = saved;
    return mnt;
#else
    errno = ENOSYS;
    return -1;
#endif
}

int csteer_sysfs_reconfigure(int mountfd, int readonly) {
#if defined(SYS_fspick) && defined(SYS_fsconfig)
    int fc = (int)syscall(SYS_fspick, mountfd, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC);
    if (fc < 0) return -1;
    int rc = (int)syscall(SYS_fsconfig, fc, FSCONFIG_SET_FLAG, readonly ? "ro" : "rw", NULL, 0);
    if (rc == 0) rc = (int)syscall(SYS_fsconfig, fc, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0);
    int saved = errno;
    close(fc);
    errno = saved;
    return rc == 0 ? 0 : -1;
#else
    errno = ENOSYS;
    return -1;
#endif
}

int csteer_fd_readonly(int fd) {
    struct statvfs st;
    if (fstatvfs(fd, &st) != 0) return -1;
    return (st.f_flag & ST_RDONLY) ? 1 : 0;
}

int csteer_spawnattr_detached(posix_spawnattr_t *attr, int setsid) {
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    int rc = posix_spawnattr_setsigmask(attr, &empty);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(attr, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (setsid) flags |= POSIX_SPAWN_SETSID;
    if (rc == 0) rc = posix_spawnattr_setflags(attr, flags);
    return rc;
}

int csteer_spawn_close_others(posix_spawn_file_actions_t *actions) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    return posix_spawn_file_actions_addclosefrom_np(actions, 3);
#else
    (void)actions;
    return 0;
#endif
}

int csteer_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

pid_t csteer_gettid(void) {
    return (pid_t)syscall(SYS_gettid);
}

int csteer_pipe2(int fds[2], int flags) {
    return pipe2(fds, flags);
}
