#define _GNU_SOURCE
#include "bk_bytes.h"
#include <pthread.h>
#include <unistd.h>

// Writer-preferring, so a steady stream of background work cannot keep a fork waiting forever.
static pthread_rwlock_t gate;
static pthread_once_t gate_once = PTHREAD_ONCE_INIT;

static void gate_init(void) {
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
#if defined(__GLIBC__)
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(&gate, &a);
    pthread_rwlockattr_destroy(&a);
}

void bk_fork_gate_enter(void) {
    pthread_once(&gate_once, gate_init);
    pthread_rwlock_rdlock(&gate);
}

void bk_fork_gate_leave(void) { pthread_rwlock_unlock(&gate); }

int bk_fork_gated(void) {
    pthread_once(&gate_once, gate_init);
    pthread_rwlock_wrlock(&gate);
    pid_t pid = fork();
    pthread_rwlock_unlock(&gate);  // in the child too: its one thread is the one that holds it
    return (int)pid;
}
