import BertFormats
import BertTokenizer
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the texts of a corpus file are laid out.
public enum CorpusFormat: Sendable, Equatable {
    /// One text per line (`\n` or `\r\n`).
    case lines
    /// One JSON object per line: the text under `textField`, an optional second segment under
    /// `pairField` (default: "pair", else "text_pair"; null or missing is no pair).
    case jsonl(textField: String = "text", pairField: String? = nil)
    /// RFC 4180 CSV whose first record names the columns.
    case csv(textColumn: String = "text", pairColumn: String? = nil)
}

/// One input of a corpus and the line it starts on (1-based).
public struct CorpusRow: Sendable, Equatable {
    public let line: Int
    public let input: TextInput
}

/// Reads a corpus file (or stdin, "-") row by row, holding one line at a time: memory is bounded by
/// the longest line, not by the file. A bad row (an empty text, invalid UTF-8, a JSONL line that is
/// not an object, a missing field) throws an `InputFileError` naming the file and line; the next
/// call goes on after it, so a caller may count bad rows and skip them. Problems of the whole file
/// (it cannot be opened, a CSV header without the column) throw `CorpusFileError`.
public final class CorpusReader {
    public let path: String
    public let format: CorpusFormat
    private var lines: LineSource
    private var columns: (text: Int, pair: Int?, count: Int)?

    /// A CSV record spanning lines is read whole; past this it is refused (an unclosed quote would
    /// otherwise read the rest of the file into memory).
    public static let maxRecordBytes = 16 << 20

    public init(path: String, format: CorpusFormat) throws {
        self.path = path
        self.format = format
        lines = try LineSource(path: path)
        if case .csv(let text, let pair) = format { try readHeader(text: text, pair: pair) }
    }

    deinit { lines.close() }

    /// The next row; nil at the end of the file.
    public func next() throws -> CorpusRow? {
        switch format {
        case .lines:
            guard let (bytes, n) = try lines.next() else { return nil }
            let text = try decode(bytes, line: n)
            guard !text.isEmpty else { throw bad(n, "the line is empty") }
            return CorpusRow(line: n, input: TextInput(text))
        case .jsonl(let textField, let pairField):
            guard let (bytes, n) = try lines.next() else { return nil }
            return CorpusRow(line: n, input: try jsonRow(bytes, line: n, textField: textField, pairField: pairField))
        case .csv:
            guard let (record, n) = try csvRecord() else { return nil }
            return CorpusRow(line: n, input: try csvRow(record, line: n))
        }
    }

    private func bad(_ line: Int, _ problem: String) -> InputFileError { InputFileError(file: path, line: line, problem: problem) }

    private func decode(_ bytes: ArraySlice<UInt8>, line: Int) throws -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        var it = bytes.makeIterator(), decoder = UTF8(), character = 1, offset = bytes.startIndex
        while offset < bytes.endIndex {
            let before = offset
            switch decoder.decode(&it) {
            case .scalarValue(let s): offset += UTF8.width(s); character += 1
            case .emptyInput: offset = bytes.endIndex
            case .error:
                throw bad(line, "not valid UTF-8 (byte 0x\(String(bytes[before], radix: 16, uppercase: true)) at character \(character))")
            }
        }
        throw bad(line, "not valid UTF-8")
    }

    private func jsonRow(_ bytes: ArraySlice<UInt8>, line n: Int, textField: String, pairField: String?) throws -> TextInput {
        _ = try decode(bytes, line: n)
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { throw bad(n, "the line is empty") }
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(bytes), file: "\(path):\(n)")
        } catch let e as JSONError {
            throw bad(n, "not JSON: \(e.reason)")
        }
        guard let o = value.objectValue else { throw bad(n, "expected a JSON object with a string \"\(textField)\", found \(value.kind)") }
        guard let t = o[textField] else { throw bad(n, "no \"\(textField)\" (the keys are \(o.keys.map { "\"\($0)\"" }.joined(separator: ", ")))") }
        guard let text = t.stringValue else { throw bad(n, "\"\(textField)\" must be a string, found \(t.kind)") }
        guard !text.isEmpty else { throw bad(n, "\"\(textField)\" is empty") }
        let pairKeys = pairField.map { [$0] } ?? ["pair", "text_pair"]
        let present = pairKeys.filter { o[$0] != nil && o[$0]?.isNull == false }
        if present.count > 1 { throw bad(n, "both \"pair\" and \"text_pair\"; give one (or --pair-field)") }
        guard let key = present.first else { return TextInput(text) }
        guard let pair = o[key]!.stringValue else { throw bad(n, "\"\(key)\" must be a string or null, found \(o[key]!.kind)") }
        return TextInput(text, pair: pair.isEmpty ? nil : pair)
    }

    // MARK: CSV

    /// One CSV record: physical lines joined until the quotes balance (a quoted field may hold
    /// newlines), with the line it starts on.
    private func csvRecord() throws -> ([UInt8], Int)? {
        guard let (first, start) = try lines.next() else { return nil }
        var record = Array(first)
        var quotes = first.reduce(0) { $0 + ($1 == 0x22 ? 1 : 0) }
        while quotes % 2 == 1 {
            guard let (more, _) = try lines.next(rawEnd: true) else { break }  // the reader reports the unclosed quote
            record.append(0x0A)
            record += more
            quotes += more.reduce(0) { $0 + ($1 == 0x22 ? 1 : 0) }
            if record.count > Self.maxRecordBytes {
                throw CorpusFileError.recordTooLong(file: path, line: start, limit: Self.maxRecordBytes)
            }
        }
        return (record, start)
    }

    private func fields(_ record: [UInt8], line: Int) throws -> [String] {
        guard record.contains(where: { $0 != 0x0D }) else { throw bad(line, "the line is empty") }
        var it = CSVReader(bytes: record, file: path).makeIterator()
        do {
            return try it.nextRecord()?.fields ?? []
        } catch let e as CSVError {
            throw bad(line + e.line - 1, e.problem)
        }
    }

    private func readHeader(text: String, pair: String?) throws {
        guard let (record, n) = try csvRecord() else { throw CorpusFileError.noHeader(file: path) }
        let header = try fields(record, line: n)
        func column(_ name: String) throws -> Int {
            guard let i = header.firstIndex(of: name) else {
                throw CorpusFileError.noColumn(file: path, column: name, header: header)
            }
            return i
        }
        columns = (try column(text), try pair.map(column), header.count)
    }

    private func csvRow(_ record: [UInt8], line n: Int) throws -> TextInput {
        let f = try fields(record, line: n)
        let c = columns!
        guard f.count == c.count else { throw bad(n, "\(f.count) fields; the header has \(c.count)") }
        guard !f[c.text].isEmpty else { throw bad(n, "the text column is empty") }
        let pair = c.pair.map { f[$0] }
        return TextInput(f[c.text], pair: pair?.isEmpty == true ? nil : pair)
    }
}

/// A corpus file that cannot be read at all (not one bad row).
public enum CorpusFileError: LocalizedError, Equatable {
    case cannotOpen(file: String, reason: String)
    case cannotRead(file: String, line: Int, reason: String)
    case noHeader(file: String)
    case noColumn(file: String, column: String, header: [String])
    case recordTooLong(file: String, line: Int, limit: Int)
    case lineTooLong(file: String, line: Int, limit: Int)

    public var errorDescription: String? {
        switch self {
        case .cannotOpen(let f, let r): "\(f): cannot open: \(r)"
        case .cannotRead(let f, let l, let r): "\(f):\(l): cannot read: \(r)"
        case .noHeader(let f): "\(f): empty CSV: expected a header line naming the columns"
        case .noColumn(let f, let c, let h):
            "\(f):1: no column \"\(c)\"; the header has \(h.map { "\"\($0)\"" }.joined(separator: ", "))"
        case .recordTooLong(let f, let l, let n): "\(f):\(l): a CSV record longer than \(n) bytes (a quote never closed?)"
        case .lineTooLong(let f, let l, let n): "\(f):\(l): a line longer than \(n) bytes"
        }
    }
}

/// Lines of a file read through a fixed buffer: `\n` ends a line, a `\r` before it is dropped, a
/// last line without `\n` counts.
struct LineSource {
    static let maxLineBytes = 64 << 20
    let path: String
    private let fd: Int32
    private let owned: Bool
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0, end = 0
    private var eof = false
    private(set) var line = 0

    init(path: String) throws {
        self.path = path
        if path == "-" {
            fd = STDIN_FILENO
            owned = false
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw CorpusFileError.cannotOpen(file: path, reason: String(cString: strerror(errno))) }
            owned = true
        }
    }

    /// The next line's bytes and its number. `rawEnd` keeps a trailing `\r` (inside a CSV field).
    mutating func next(rawEnd: Bool = false) throws -> (ArraySlice<UInt8>, Int)? {
        while true {
            if let nl = buffer[start..<end].firstIndex(of: 0x0A) {
                line += 1
                var e = nl
                if !rawEnd, e > start, buffer[e - 1] == 0x0D { e -= 1 }
                let out = buffer[start..<e]
                start = nl + 1
                return (dropBOM(out), line)
            }
            if eof {
                guard start < end else { return nil }
                line += 1
                var e = end
                if !rawEnd, buffer[e - 1] == 0x0D { e -= 1 }
                let out = buffer[start..<e]
                start = end
                return (dropBOM(out), line)
            }
            try fill()
        }
    }

    /// A copy of the line; the first loses a UTF-8 byte order mark.
    private func dropBOM(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let copy = ArraySlice(Array(bytes))
        return line == 1 && copy.starts(with: [0xEF, 0xBB, 0xBF]) ? copy.dropFirst(3) : copy
    }

    private mutating func fill() throws {
        if start > 0 {
            buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
            end -= start
            start = 0
        }
        if end == buffer.count {
            guard buffer.count < Self.maxLineBytes else {
                throw CorpusFileError.lineTooLong(file: path, line: line + 1, limit: Self.maxLineBytes)
            }
            buffer += [UInt8](repeating: 0, count: buffer.count)
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + end, $0.count - end) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw CorpusFileError.cannotRead(file: path, line: line + 1, reason: String(cString: strerror(errno))) }
            if n == 0 { eof = true }
            end += n
            return
        }
    }

    func close() { if owned { Glibc.close(fd) } }
}
