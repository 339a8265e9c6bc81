import Foundation

/// stdout for results, stderr for everything else.
enum Console {
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    static func out(_ s: String) {
        FileHandle.standardOutput.write(Data((s + "\n").utf8))
    }

    static func error(_ s: String) {
        FileHandle.standardError.write(Data(("error: " + s + "\n").utf8))
    }

    static func log(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }
}

extension Console {
    /// bertkit's `--json` encoding: sorted keys, and non-finite floats as "inf"/"-inf"/"nan"
    /// (JSON has none) so a NaN in a report is shown, not an encoding error.
    static func jsonData<T: Encodable>(_ value: T, pretty: Bool = true) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try enc.encode(value)
    }

    /// Writes `value` as JSON on stdout, one document per call.
    static func outJSON<T: Encodable>(_ value: T, pretty: Bool = true) throws {
        out(String(decoding: try jsonData(value, pretty: pretty), as: UTF8.self))
    }
}
