@testable import BertModel
import CBertKit
import Foundation
import XCTest

/// The worker pool behind `parallelFor` (kernels/pool.c): every item runs exactly once per call,
/// whatever the worker count, across many calls in a row (the workers spin, sleep and wake between
/// them), and from several threads at once (one holds the pool, the others fall back to libdispatch).
final class ParallelTests: XCTestCase {
    /// Counts how often each item ran over `calls` calls of `parallelFor(count)`.
    private static func counts(count: Int, calls: Int, grain: Int = 1) -> [Int] {
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
        hits.initialize(repeating: 0, count: count)
        defer { hits.deallocate() }
        for _ in 0..<calls {
            parallelFor(count, grain: grain) { r in for i in r { hits[i] += 1 } }
        }
        return Array(UnsafeBufferPointer(start: hits, count: count))
    }

    func testEveryItemRunsOncePerCallAtEveryWorkerCount() {
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        for threads in [1, 2, 3, 4, 2] {
            ComputeThreads.set(threads)
            for count in [1, 2, 3, 7, 64, 1000] {
                XCTAssertEqual(Self.counts(count: count, calls: 200), Array(repeating: 200, count: count), "\(threads) threads, \(count) items")
            }
        }
    }

    func testWorkersThatSleptWakeForTheNextCall() {
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        ComputeThreads.set(2)
        for _ in 0..<5 {
            XCTAssertEqual(Self.counts(count: 100, calls: 3), Array(repeating: 3, count: 100))
            usleep(20_000)  // past the workers' spin: they are asleep when the next call comes
        }
    }

    func testWorkerIndicesAreDistinctAndCoverTheRange() {
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        ComputeThreads.set(3)
        let seen = UnsafeMutablePointer<Int>.allocate(capacity: 3)
        defer { seen.deallocate() }
        for _ in 0..<100 {
            seen.initialize(repeating: 0, count: 3)
            parallelWorkers(3) { w, r in seen[w] += r.count }
            XCTAssertEqual(Array(UnsafeBufferPointer(start: seen, count: 3)), [1, 1, 1])
        }
    }

    func testConcurrentCallersEachRunTheirWholeJob() {
        let saved = ComputeThreads.count
        defer { ComputeThreads.set(saved) }
        ComputeThreads.set(2)
        let callers = 4, count = 257, calls = 300
        nonisolated(unsafe) let results = UnsafeMutablePointer<Bool>.allocate(capacity: callers)
        results.initialize(repeating: false, count: callers)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            results[c] = Self.counts(count: count, calls: calls) == Array(repeating: calls, count: count)
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: results, count: callers)), Array(repeating: true, count: callers))
    }

    func testThePoolRefusesWhatItCannotRun() {
        // One worker is the caller alone: the pool is not used (parallelFor runs such jobs inline).
        XCTAssertEqual(bk_pool_run({ _, _, _ in }, nil, 1), 0)
    }
}
