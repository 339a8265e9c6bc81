import Foundation

public struct VocabularyError: LocalizedError, Equatable {
    public let file: String
    public let line: Int
    public let problem: String
    public var errorDescription: String? { line > 0 ? "\(file):\(line): \(problem)" : "\(file): \(problem)" }
}

/// A WordPiece vocabulary: token strings by id.
public struct Vocabulary: Sendable, Equatable {
    public let tokens: [String]
    public let ids: [String: Int]

    public var count: Int { tokens.count }
    public subscript(token: String) -> Int? { ids[token] }

    /// No tokens.
    public static let empty = try! Vocabulary(tokens: [])

    /// Tokens must be unique; `source` names where they came from in errors.
    public init(tokens: [String], source: String = "vocabulary") throws {
        var ids = [String: Int](minimumCapacity: tokens.count)
        for (i, t) in tokens.enumerated() {
            if let first = ids[t] {
                throw VocabularyError(file: source, line: i + 1,
                                      problem: "duplicate token \"\(t)\": also on line \(first + 1) (ids \(first) and \(i))")
            }
            ids[t] = i
        }
        self.tokens = tokens
        self.ids = ids
    }

    /// Reads `vocab.txt` as transformers' `load_vocab` does: UTF-8, one token per line, lines split
    /// at `\n`, `\r\n` or `\r` (Python's universal newlines), only the newline removed, so tokens may
    /// keep other whitespace. A final newline does not add an empty token.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VocabularyError(file: path, line: 0, problem: "cannot read the file")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var tokens: [String] = []
        var start = 0, i = 0
        func take(_ end: Int) throws {
            guard let s = String(validating: bytes[start..<end], as: UTF8.self) else {
                throw VocabularyError(file: path, line: tokens.count + 1, problem: "not valid UTF-8")
            }
            tokens.append(s)
        }
        while i < bytes.count {
            if bytes[i] == 0x0A || bytes[i] == 0x0D {
                try take(i)
                if bytes[i] == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1 }
                start = i + 1
            }
            i += 1
        }
        if start < bytes.count { try take(bytes.count) }
        guard !tokens.isEmpty else { throw VocabularyError(file: path, line: 0, problem: "the vocabulary is empty") }
        try self.init(tokens: tokens, source: path)
    }

    /// `vocab.txt` bytes: one token per line, `\n`-terminated.
    public var fileContents: Data { Data(tokens.map { $0 + "\n" }.joined().utf8) }
}
