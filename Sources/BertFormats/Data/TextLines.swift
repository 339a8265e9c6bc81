import Foundation

// formats/text-lines.md: plain UTF-8 text, one document per line (run_mlm.py --line_by_line).
// LF or CRLF line ends, an optional UTF-8 BOM, a final line end optional. A line that is empty or
// only whitespace is an error naming file:line (run_mlm drops such lines silently; in a file that
// is meant to hold one document a line, a blank line is usually a paragraph break of another
// layout), unless `skipBadRows`, which skips and counts it as run_mlm does.

/// A line that cannot be a document.
public struct TextLinesError: LocalizedError, Equatable {
    public let file: String
    /// 1-based; 0 for the file as a whole.
    public let line: Int
    public let problem: String
    public init(file: String, line: Int, problem: String) { self.file = file; self.line = line; self.problem = problem }
    public var errorDescription: String? { line > 0 ? "\(file):\(line): \(problem)" : "\(file): \(problem)" }
}

/// Documents read one per line.
public struct TextLinesDataset: Sendable, Equatable {
    /// Each document's text (without its line end) and its 1-based line.
    public var documents: [(text: String, line: Int)]
    /// Lines skipped with `skipBadRows`, as "line N: reason".
    public var skipped: [String]

    public static func == (a: Self, b: Self) -> Bool {
        a.skipped == b.skipped && a.documents.map(\.text) == b.documents.map(\.text) && a.documents.map(\.line) == b.documents.map(\.line)
    }

    public init(contentsOf path: String, skipBadRows: Bool = false) throws {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw TextLinesError(file: path, line: 0, problem: "cannot read the file")
        }
        try self.init(bytes: [UInt8](d), file: path, skipBadRows: skipBadRows)
    }

    public init(bytes input: [UInt8], file: String, skipBadRows: Bool = false) throws {
        let bytes = input.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(input.dropFirst(3)) : input
        var documents: [(String, Int)] = [], skipped: [String] = []
        var pieces = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        // A final line end ends the last line; it does not start an empty one.
        if pieces.last?.isEmpty == true { pieces.removeLast() }
        for (k, raw) in pieces.enumerated() {
            let line = k + 1
            let body = raw.last == 0x0D ? raw.dropLast() : raw[...]
            // Invalid UTF-8 is never skipped: the file is not text, or not UTF-8.
            guard let text = String(validating: body, as: UTF8.self) else {
                throw TextLinesError(file: file, line: line, problem: "the line is not valid UTF-8")
            }
            if text.allSatisfy(\.isWhitespace) {
                let reason = text.isEmpty ? "the line is empty" : "the line holds only whitespace"
                guard skipBadRows else {
                    throw TextLinesError(file: file, line: line, problem: "\(reason); every line must be one document")
                }
                skipped.append("line \(line): \(reason)")
                continue
            }
            documents.append((text, line))
        }
        guard !documents.isEmpty else { throw TextLinesError(file: file, line: 0, problem: "no documents (no non-blank line)") }
        self.documents = documents
        self.skipped = skipped
    }
}
