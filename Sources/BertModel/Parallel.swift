import BertTensors
import CBertKit
import Dispatch

/// How many threads the forward uses: OpenBLAS's threads for the GEMMs and as many workers for
/// everything between them (embeddings, LayerNorm, activations, attention). Set it before running.
public enum ComputeThreads {
    nonisolated(unsafe) private static var current = 0

    /// Threads in use; the number of active CPUs until `set` is called.
    public static var count: Int {
        if current == 0 { set(System.activeProcessorCount) }
        return current
    }

    /// Sets both OpenBLAS's thread count and the workers' count.
    public static func set(_ n: Int) {
        current = max(1, n)
        BLAS.setThreads(current)
    }
}

enum System {
    static var activeProcessorCount: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
        #endif
    }
}

/// Runs `body` over `count` items split into contiguous chunks, one per worker, concurrently.
/// Small jobs (under `grain` items per worker) use fewer workers, down to running inline.
@inline(__always)
func parallelFor(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    let workers = min(ComputeThreads.count, max(1, count / max(grain, 1)))
    if workers <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    runWorkers(workers) { w in body(count * w / workers..<count * (w + 1) / workers) }
}

/// Like `parallelFor`, passing the worker's index too (for per-worker scratch memory).
@inline(__always)
func parallelWorkers(_ count: Int, _ body: (_ worker: Int, Range<Int>) -> Void) {
    let workers = min(ComputeThreads.count, max(1, count))
    if workers <= 1 {
        if count > 0 { body(0, 0..<count) }
        return
    }
    runWorkers(workers) { w in body(w, count * w / workers..<count * (w + 1) / workers) }
}

/// Runs `body(w)` for w in 0..<workers at once: on bertkit's own pool of spinning workers
/// (kernels/pool.c), whose wake-up costs far less than libdispatch's at a batch-1 forward's grain,
/// or, when another thread's forward holds the pool, on libdispatch.
private func runWorkers(_ workers: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
        var task = Unchecked(body)
        let ran = withUnsafeMutablePointer(to: &task) { p in
            bk_pool_run({ ctx, w, _ in ctx!.assumingMemoryBound(to: Unchecked<(Int) -> Void>.self).pointee.value(Int(w)) },
                        p, Int32(workers))
        }
        if ran == 0 {
            let b = task
            DispatchQueue.concurrentPerform(iterations: workers) { w in b.value(w) }
        }
    }
}

/// The workers' bodies write through raw pointers into disjoint rows of buffers that outlive the
/// call (the pool and concurrentPerform return when all are done), which Swift cannot check, so
/// they cross into the workers unchecked.
private struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import Foundation
#endif
