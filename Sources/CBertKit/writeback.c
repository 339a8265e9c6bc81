// Starting disk writeback early, so a writer's final fsync waits only for the tail (RocksDB and
// the kernel's own docs on sync_file_range). Linux-only; elsewhere a no-op.
#define _GNU_SOURCE
#include "bk_bytes.h"
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int bk_start_writeback(int fd, int64_t offset, int64_t count) {
#if defined(__linux__)
    return sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}

int bk_rename_exchange(const char *a, const char *b) {
#if defined(__linux__) && defined(SYS_renameat2)
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */);
#else
    (void)a; (void)b;
    errno = ENOSYS;
    return -1;
#endif
}

int bk_memfd_create(const char *name) {
#if defined(__linux__) && defined(SYS_memfd_create)
    return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
#else
    (void)name;
    errno = ENOSYS;
    return -1;
#endif
}

/// Defined by the sanitizer runtimes when one is linked in; NULL otherwise.
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

void bk_quiet_child(void) {
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
    for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++) signal(fatal[i], SIG_DFL);
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(0);
    // Ctrl-C and the parent's end stop the child too (the parent ignores SIGINT, and so would it).
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
#if defined(__linux__)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
}

void bk_limit_cpu(unsigned seconds) {
    struct rlimit cpu = {seconds, seconds + 1};
    signal(SIGXCPU, SIG_DFL);
    setrlimit(RLIMIT_CPU, &cpu);
}
