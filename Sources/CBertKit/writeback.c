// Starting disk writeback early, so a writer's final fsync waits only for the tail (RocksDB and
// the kernel's own docs on sync_file_range). Linux-only; elsewhere a no-op.
#define _GNU_SOURCE
#include "bk_bytes.h"
#include <fcntl.h>

int bk_start_writeback(int fd, int64_t offset, int64_t count) {
#if defined(__linux__)
    return sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}
