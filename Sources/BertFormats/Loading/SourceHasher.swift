import BertTensors
import Dispatch

/// SHA-256 of files computed on another thread, so that `convert` hashes its sources (for the
/// .bkm provenance) while it writes the output.
public final class SourceHasher: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private var result: Result<[String], Error>?

    public init(files: [String]) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            result = Result { try files.map { try FileDigest.sha256Streaming(path: $0) } }
            finished.signal()
        }
    }

    /// The hex digests, in the order of `files`; waits for them.
    public func wait() throws -> [String] {
        finished.wait()
        finished.signal()
        return try result!.get()
    }
}
