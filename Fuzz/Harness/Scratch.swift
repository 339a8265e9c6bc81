import BertFormats
import Foundation

/// A private folder per fuzzing process for the readers that take a path, with the fixtures
/// some targets read beside their input (the shards of tiny-bert-sharded for the index).
final class Scratch: @unchecked Sendable {
    static let shared = Scratch()

    let root: String

    private init() {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? NSTemporaryDirectory()
        root = (base.hasSuffix("/") ? base : base + "/") + "bertkit-fuzz-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // The sharded index reads its shards from its own folder; a link out of it must be refused.
        let shards = Fixtures.root + "/golden/fixtures/tiny-bert-sharded"
        for f in (try? FileManager.default.contentsOfDirectory(atPath: shards)) ?? [] where f.hasSuffix(".safetensors") {
            try? FileManager.default.copyItem(atPath: shards + "/" + f, toPath: root + "/" + f)
        }
        try? FileManager.default.createSymbolicLink(atPath: root + "/lnk", withDestinationPath: "/etc")
        atexit { try? FileManager.default.removeItem(atPath: Scratch.shared.root) }
    }

    func path(for target: FuzzTarget) -> String { root + "/" + target.fileName }

    /// Writes the input where the reader will find it.
    func write(_ bytes: UnsafeRawBufferPointer, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot write \(path)")
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            precondition(n > 0, "cannot write \(path)")
            done += n
        }
        close(fd)
    }
}

/// The committed fixtures the targets bind and tokenize against.
enum Fixtures {
    /// The repository root, from this file's place in it (Fuzz/Harness/Scratch.swift).
    static let root: String = {
        var u = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { u.deleteLastPathComponent() }
        return u.path
    }()

    static let tinyBert = root + "/golden/fixtures/tiny-bert"
    static let config: BertConfig = try! BertConfig(contentsOf: tinyBert + "/config.json")
    static let vocabulary: Vocabulary = try! Vocabulary(contentsOf: tinyBert + "/vocab.txt")
    static let settings: TokenizerSettings = try! TokenizerSettings(tokenizerConfig: tinyBert + "/tokenizer_config.json")
}
