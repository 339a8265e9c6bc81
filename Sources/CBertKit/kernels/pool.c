// A persistent pool of worker threads for the forward's parallel passes (Parallel.swift).
//
// A batch-1 forward makes ~10 parallel calls a layer, each a few tens of microseconds of work.
// libdispatch's concurrentPerform wakes its workers through a futex on every call, and at that
// grain the wake-up is a large share of the call. Here the workers spin on a generation counter
// for a short while after each job (as OpenMP and TBB runtimes do), so the next call of a forward
// finds them awake; past the spin they sleep on a condition variable, so an idle process uses no
// CPU. One job at a time: a caller that finds the pool busy (another thread's forward) gets 0 and
// runs its job some other way.

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "bk_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BK_PAUSE() _mm_pause()
#else
#define BK_PAUSE() ((void)0)
#endif

// About 30–60 µs of pause instructions: longer than the gaps between a forward's passes, short
// enough that the workers are asleep again soon after the forward ends.
enum { SPIN_ROUNDS = 4096, MAX_WORKERS = 256 };

static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;  // held by the caller of the running job
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

static _Atomic uint64_t generation;  // bumped once per job; workers run the job when it changes
static _Atomic int sleepers;         // workers waiting on `wake`
static _Atomic int pending;          // worker threads that have not finished with the current job
static int started;                  // worker threads running (indices 1 … started), under `busy`

// The current job, written by the caller before it bumps `generation` (release) and read by the
// workers after they see the new value (acquire).
static bk_pool_task job_fn;
static void *job_ctx;
static int job_workers;
// The generation when each worker was started (written before pthread_create, which orders it):
// a worker started for a later, wider call must not take the finished job before it for a new one.
static uint64_t start_generation[MAX_WORKERS];

static void *worker_main(void *arg) {
    const int index = (int)(intptr_t)arg;
    uint64_t seen = start_generation[index];
    for (;;) {
        uint64_t g;
        int spins = 0;
        while ((g = atomic_load_explicit(&generation, memory_order_acquire)) == seen) {
            if (++spins < SPIN_ROUNDS) {
                BK_PAUSE();
                continue;
            }
            // sleepers and generation are both seq_cst: either the caller sees this sleeper and
            // broadcasts (under sleep_lock, so not before this thread waits), or this thread sees
            // the new generation and does not wait.
            pthread_mutex_lock(&sleep_lock);
            atomic_fetch_add(&sleepers, 1);
            while (atomic_load(&generation) == seen) pthread_cond_wait(&wake, &sleep_lock);
            atomic_fetch_sub(&sleepers, 1);
            pthread_mutex_unlock(&sleep_lock);
            spins = 0;
        }
        seen = g;
        const int n = job_workers;
        if (index < n) job_fn(job_ctx, index, n);
        // Every worker acknowledges every job, even one it has no part in, so that no worker still
        // reads the job while the caller writes the next one.
        atomic_fetch_sub_explicit(&pending, 1, memory_order_release);
    }
    return NULL;
}

// A forked child (the HDF5 reader's) has none of the workers: it starts a pool of its own if it
// ever needs one, with the locks as new.
static void reset_in_child(void) {
    started = 0;
    atomic_store(&sleepers, 0);
    atomic_store(&pending, 0);
    pthread_mutex_init(&busy, NULL);
    pthread_mutex_init(&sleep_lock, NULL);
    pthread_cond_init(&wake, NULL);
}
static pthread_once_t fork_handler_once = PTHREAD_ONCE_INIT;
static void install_fork_handler(void) { pthread_atfork(NULL, NULL, reset_in_child); }

int bk_pool_run(bk_pool_task fn, void *ctx, int workers) {
    if (workers < 2 || workers > MAX_WORKERS) return 0;
    pthread_once(&fork_handler_once, install_fork_handler);
    if (pthread_mutex_trylock(&busy) != 0) return 0;
    while (started < workers - 1) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        start_generation[started + 1] = atomic_load(&generation);
        int failed = pthread_create(&t, &attr, worker_main, (void *)(intptr_t)(started + 1));
        pthread_attr_destroy(&attr);
        if (failed) {
            pthread_mutex_unlock(&busy);
            return 0;
        }
        started++;
    }
    job_fn = fn;
    job_ctx = ctx;
    job_workers = workers;
    atomic_store_explicit(&pending, started, memory_order_relaxed);
    atomic_fetch_add(&generation, 1);  // seq_cst: publishes the job (release) and orders the load below
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&sleep_lock);
    }
    fn(ctx, 0, workers);
    while (atomic_load_explicit(&pending, memory_order_acquire) > 0) BK_PAUSE();
    pthread_mutex_unlock(&busy);
    return 1;
}
