import BertFormats
import Foundation

extension MiniLMWithHead {
    /// The composed model (MiniLM + the committed head NAME) as a .bkm the CLI can load, written once
    /// per test process into a temporary folder.
    public static func bkm(_ name: String) throws -> String {
        try written.lock.withLock {
            if let p = written.paths[name] { return p }
            let p = Repo.temporaryDirectory("minilm-head-" + name) + "/" + name + ".bkm"
            try CheckpointExporter.write(try checkpoint(name), to: p)
            written.paths[name] = p
            return p
        }
    }

    private final class Written: @unchecked Sendable {
        let lock = NSLock()
        var paths: [String: String] = [:]
    }

    private static let written = Written()
}
