#ifndef BK_BYTES_H
#define BK_BYTES_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli), as in iSCSI and ext4: hardware SSE4.2 when present, a table otherwise.
/// Pass 0 to start; pass the previous result to continue.
uint32_t bk_crc32c(uint32_t crc, const void *data, size_t len);

/// IEEE half <-> single conversions. f32->f16 rounds to nearest, ties to even, as PyTorch's
/// `.to(torch.float16)`: overflow gives +-inf, NaN stays NaN. F16C when present.
void bk_f16_to_f32(const uint16_t *src, float *dst, size_t n);
void bk_f32_to_f16(const float *src, uint16_t *dst, size_t n);
/// bfloat16 <-> single. f32->bf16 rounds to nearest even; NaN stays a quiet NaN, as PyTorch does.
void bk_bf16_to_f32(const uint16_t *src, float *dst, size_t n);
void bk_f32_to_bf16(const float *src, uint16_t *dst, size_t n);

/// Asks the kernel to start writing [offset, offset + count) of `fd` to disk without waiting
/// (sync_file_range SYNC_FILE_RANGE_WRITE). Not a durability guarantee: fsync still is.
int bk_start_writeback(int fd, int64_t offset, int64_t count);

/// Swaps two paths atomically (renameat2 RENAME_EXCHANGE, Linux 3.15+): both exist before and
/// after. -1 with errno (EINVAL, ENOSYS) where the filesystem or kernel cannot.
int bk_rename_exchange(const char *a, const char *b);

/// An anonymous in-memory file (memfd_create, Linux 3.17+), close-on-exec; -1 with errno elsewhere.
int bk_memfd_create(const char *name);

/// For a forked child about to run code that may crash on its input (libhdf5): a crash must end
/// only the child, quietly. No core file, default handlers for the fatal signals, and no
/// sanitizer death callback (a fuzzer's would record the parent's input as a crash); and it ends
/// with the parent or on Ctrl-C.
void bk_quiet_child(void);

/// For that child: SIGXCPU after `seconds` of CPU time (SIGKILL a second later), so a reader that
/// loops forever ends after the same work however loaded the machine is.
void bk_limit_cpu(unsigned seconds);

/// The fork gate. A child forked from a process with other threads running Swift code can
/// deadlock on a runtime lock one of them held at the fork (the conformance cache's, seen in the
/// HDF5 reader's child). So bertkit's own background threads run their Swift work inside
/// `bk_fork_gate_enter`/`_leave` (shared: many at once), and `bk_fork_gated` forks only when none
/// is inside. Plain C with a static initialiser: taking the gate runs no Swift code itself.
void bk_fork_gate_enter(void);
void bk_fork_gate_leave(void);
/// fork(2) with the gate held exclusively; the parent releases it, the child starts with it free.
int bk_fork_gated(void);

#endif
