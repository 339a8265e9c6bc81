import BertTensors
import CBertKit
import Dispatch
import Foundation

/// SHA-256 of a model's source files, computed one after another on a background thread so that
/// `convert` hashes while it loads and writes (the .bkm provenance needs them only at the end).
/// `convert` starts the weights file, the big one, before it parses anything else.
public final class SourceHasher: @unchecked Sendable {
    private let queue = DispatchQueue(label: "bertkit.source-hasher", qos: .userInitiated)
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var results: [String: Result<String, Error>] = [:]
    private var scheduled: Set<String> = []

    public init(startingWith files: [String]) { start(files) }

    /// Queues the files not queued yet.
    public func start(_ files: [String]) {
        for f in files {
            lock.lock()
            let isNew = scheduled.insert(f).inserted
            lock.unlock()
            guard isNew else { continue }
            group.enter()
            queue.async { [self] in
                // Inside the fork gate: the HDF5 reader forks, and must not while this thread may
                // hold a Swift runtime lock (see HDF5Isolation).
                bk_fork_gate_enter()
                let r = Result { try FileDigest.sha256Streaming(path: f) }
                lock.lock()
                results[f] = r
                lock.unlock()
                bk_fork_gate_leave()
                group.leave()
            }
        }
    }

    /// The hex digests of `files`, in order; queues any not queued yet and waits.
    public func digests(for files: [String]) throws -> [String] {
        start(files)
        group.wait()
        lock.lock()
        defer { lock.unlock() }
        return try files.map { try results[$0]!.get() }
    }
}
