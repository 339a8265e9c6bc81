import BertFormats
import Foundation

/// Why a text input file was refused, naming the line.
public struct InputFileError: LocalizedError, Equatable {
    public let file: String
    public let line: Int
    public let problem: String
    public var errorDescription: String? { "\(file):\(line): \(problem)" }

    public init(file: String, line: Int, problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }
}

/// Text inputs read from files (or stdin, "-"): every line is checked before any is returned.
public enum TextLines {
    /// One text per line (`\n` or `\r\n`); a final newline adds no empty text.
    public static func read(_ path: String) throws -> [String] {
        var texts: [String] = []
        try forEachLine(path) { line, n in
            var bytes = line
            if bytes.last == 0x0D { bytes = bytes.dropLast() }
            texts.append(try decode(bytes, path, n))
        }
        return texts
    }

    /// One JSON object `{"text": ..., "pair": ...}` per line ("pair" optional).
    public static func readJSONL(_ path: String) throws -> [TextInput] {
        var inputs: [TextInput] = []
        try forEachLine(path) { line, n in
            _ = try decode(line, path, n)
            let where_ = "\(path):\(n)"
            let value: JSONValue
            do {
                value = try JSONParser.parse(Array(line), file: where_)
            } catch let e as JSONError {
                throw InputFileError(file: path, line: n, problem: "not JSON: \(e.reason)")
            }
            guard let o = value.objectValue, let text = o["text"]?.stringValue else {
                throw InputFileError(file: path, line: n, problem: "expected an object with a string \"text\", found \(value.kind)")
            }
            var pair: String? = nil
            if let p = o["pair"], !p.isNull {
                guard let s = p.stringValue else {
                    throw InputFileError(file: path, line: n, problem: "\"pair\" must be a string or null, found \(p.kind)")
                }
                pair = s
            }
            inputs.append(TextInput(text, pair: pair))
        }
        return inputs
    }

    private static func contents(_ path: String) throws -> [UInt8] {
        if path == "-" { return [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }
        guard let d = FileManager.default.contents(atPath: path) else {
            throw InputFileError(file: path, line: 0, problem: "cannot read the file")
        }
        return [UInt8](d)
    }

    private static func forEachLine(_ path: String, _ body: (ArraySlice<UInt8>, Int) throws -> Void) throws {
        let bytes = try contents(path)
        var start = 0, n = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            n += 1
            try body(bytes[start..<end], n)
            start = end + 1
        }
    }

    private static func decode(_ bytes: ArraySlice<UInt8>, _ path: String, _ line: Int) throws -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        // Find the first bad byte for the message.
        var it = bytes.makeIterator(), decoder = UTF8(), column = 1
        var offset = bytes.startIndex
        while true {
            let before = offset
            switch decoder.decode(&it) {
            case .scalarValue(let s): offset += UTF8.width(s); column += 1
            case .emptyInput: offset = bytes.endIndex
            case .error:
                throw InputFileError(file: path, line: line,
                                     problem: "not valid UTF-8 (byte 0x\(String(bytes[before], radix: 16, uppercase: true)) at character \(column))")
            }
            if offset >= bytes.endIndex { break }
        }
        throw InputFileError(file: path, line: line, problem: "not valid UTF-8")
    }
}
