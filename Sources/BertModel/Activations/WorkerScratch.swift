/// Scratch memory for each worker of a parallel pass (`parallelWorkers`), `stride` floats apiece,
/// 64-byte aligned, allocated once and grown only when the thread count grows.
final class WorkerScratch: @unchecked Sendable {
    /// Floats per worker, rounded up to whole cache lines.
    let stride: Int
    private var base: UnsafeMutablePointer<Float>?
    private var workers = 0

    init(floatsPerWorker: Int) { stride = (floatsPerWorker + 15) & ~15 }

    deinit { base?.deallocate() }

    var byteCount: Int { workers * stride * 4 }

    /// Room for `workers` workers: worker w's scratch starts at `stride · w`.
    func buffer(workers n: Int) -> UnsafeMutablePointer<Float> {
        if n > workers {
            base?.deallocate()
            let raw = UnsafeMutableRawPointer.allocate(byteCount: n * stride * 4, alignment: 64)
            base = raw.bindMemory(to: Float.self, capacity: n * stride)
            workers = n
        }
        return base!
    }
}
