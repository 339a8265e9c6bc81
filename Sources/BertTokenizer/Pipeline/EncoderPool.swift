import Foundation

/// Encoders (scratch buffers) kept between calls, so encoding a short text allocates little.
final class EncoderPool: @unchecked Sendable {
    private let model: TokenizerModel
    private let lock = NSLock()
    private var free: [TextEncoder] = []

    init(model: TokenizerModel) { self.model = model }

    func withEncoder<R>(_ body: (inout TextEncoder) throws -> R) rethrows -> R {
        var encoder = lock.withLock { free.popLast() } ?? TextEncoder(model: model)
        defer { lock.withLock { if free.count < 16 { free.append(encoder) } } }
        return try body(&encoder)
    }
}

/// One result array per worker thread, each written once under a lock.
final class WorkerResults<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [[T]]

    init(_ count: Int) { items = Array(repeating: [], count: count) }

    subscript(w: Int) -> [T] {
        get { lock.withLock { items[w] } }
        set { lock.withLock { items[w] = newValue } }
    }
}
