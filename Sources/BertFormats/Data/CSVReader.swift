import Foundation

/// A CSV record that could not be read, naming the file and the line it starts on.
public struct CSVError: LocalizedError, Equatable {
    public let file: String
    public let line: Int
    public let problem: String
    public var errorDescription: String? { "\(file):\(line): \(problem)" }
}

/// RFC 4180 CSV: comma-separated, fields optionally double-quoted, `""` for a quote inside a quoted
/// field, quoted fields may span lines, CRLF or LF line ends. Strict where the swift CSV libraries
/// are lenient: an unterminated quote or text after a closing quote is an error naming the line,
/// and so is invalid UTF-8. (yaslab/CSV.swift reads an unterminated quote to the end of the file
/// and reports no line numbers, so bertkit keeps its own reader.)
public struct CSVReader: Sequence {
    public struct Record {
        /// The 1-based line the record starts on.
        public let line: Int
        public let fields: [String]
    }

    private let bytes: [UInt8]
    public let file: String

    public init(contentsOf path: String) throws {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw CSVError(file: path, line: 0, problem: "cannot read the file")
        }
        self.init(bytes: [UInt8](d), file: path)
    }

    public init(bytes: [UInt8], file: String) {
        self.bytes = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        self.file = file
    }

    /// Every record, or the first error.
    public func records() throws -> [Record] {
        var it = makeIterator()
        var out: [Record] = []
        while let r = try it.nextRecord() { out.append(r) }
        return out
    }

    public func makeIterator() -> Iterator { Iterator(b: bytes, file: file) }

    public struct Iterator: IteratorProtocol {
        let b: [UInt8]
        let file: String
        var i = 0
        var line = 1

        /// Sequence conformance for callers that validate later; errors end the sequence.
        public mutating func next() -> Record? { try? nextRecord() }

        public mutating func nextRecord() throws -> Record? {
            // Skip blank lines between records.
            while i < b.count, b[i] == 0x0A || b[i] == 0x0D {
                if b[i] == 0x0A { line += 1 }
                i += 1
            }
            guard i < b.count else { return nil }
            let start = line
            var fields: [String] = []
            var field: [UInt8] = []
            func finish() throws {
                guard let s = String(validating: field, as: UTF8.self) else {
                    throw CSVError(file: file, line: start, problem: "field \(fields.count + 1) is not valid UTF-8")
                }
                fields.append(s)
                field.removeAll(keepingCapacity: true)
            }
            while true {
                if i < b.count, b[i] == 0x22 { // quoted field
                    i += 1
                    while true {
                        guard i < b.count else {
                            throw CSVError(file: file, line: start, problem: "field \(fields.count + 1) opens a quote that is never closed")
                        }
                        if b[i] == 0x22 {
                            if i + 1 < b.count, b[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                            i += 1
                            break
                        }
                        if b[i] == 0x0A { line += 1 }
                        field.append(b[i])
                        i += 1
                    }
                    if i < b.count, b[i] != 0x2C, b[i] != 0x0A, b[i] != 0x0D {
                        throw CSVError(file: file, line: line, problem: "text after the closing quote of field \(fields.count + 1)")
                    }
                } else {
                    while i < b.count, b[i] != 0x2C, b[i] != 0x0A, b[i] != 0x0D {
                        if b[i] == 0x22 {
                            throw CSVError(file: file, line: line, problem: "a quote inside unquoted field \(fields.count + 1)")
                        }
                        field.append(b[i])
                        i += 1
                    }
                }
                try finish()
                if i < b.count, b[i] == 0x2C { i += 1; continue }
                if i < b.count, b[i] == 0x0D { i += 1 }
                if i < b.count, b[i] == 0x0A { i += 1; line += 1 }
                return Record(line: start, fields: fields)
            }
        }
    }
}
