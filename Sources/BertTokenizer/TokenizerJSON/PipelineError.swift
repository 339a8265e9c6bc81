import BertFormats
import Foundation

/// Why a tokenizer pipeline (`tokenizer.json`, vocab.json + merges.txt, a SentencePiece model)
/// could not be read. `path` is the JSON path of the node and field (`normalizer.normalizers.1.type`)
/// or the line of a text file.
public struct TokenizerPipelineError: LocalizedError, Equatable {
    public let file: String
    public let path: String
    public let reason: String

    public init(file: String, path: String, _ reason: String) {
        self.file = file
        self.path = path
        self.reason = reason
    }

    public var errorDescription: String? { "\(file): \(path): \(reason)" }
}

/// One object of a `tokenizer.json`, with its JSON path for errors. Every key a node has must be
/// one its reader knows (`expectKeys`): an option bertkit does not implement is refused, never skipped.
struct JSONNode {
    let object: JSONObject
    let path: String
    let file: String

    init(_ value: JSONValue?, path: String, file: String) throws {
        guard let o = value?.objectValue else {
            throw TokenizerPipelineError(file: file, path: path, "expected an object, found \(value?.kind ?? "nothing")")
        }
        object = o
        self.path = path
        self.file = file
    }

    func error(_ key: String, _ reason: String) -> TokenizerPipelineError {
        TokenizerPipelineError(file: file, path: key.isEmpty ? path : path.isEmpty ? key : path + "." + key, reason)
    }

    var type: String {
        get throws { try string("type") }
    }

    func expectKeys(_ keys: Set<String>) throws {
        for k in object.keys.sorted() where k != "type" && !keys.contains(k) {
            throw error(k, "\((try? type) ?? "this node") has an option bertkit does not implement: \"\(k)\"")
        }
    }

    func has(_ key: String) -> Bool { object[key].map { !$0.isNull } ?? false }

    func string(_ key: String) throws -> String {
        guard let s = object[key]?.stringValue else { throw error(key, "expected a string, found \(object[key]?.kind ?? "nothing")") }
        return s
    }

    func optionalString(_ key: String) throws -> String? { has(key) ? try string(key) : nil }

    func bool(_ key: String, default d: Bool? = nil) throws -> Bool {
        guard has(key) else {
            if let d { return d }
            throw error(key, "expected true or false, found nothing")
        }
        guard let b = object[key]?.boolValue else { throw error(key, "expected true or false, found \(object[key]!.kind)") }
        return b
    }

    func int(_ key: String) throws -> Int {
        guard let i = object[key]?.intValue else { throw error(key, "expected an integer, found \(object[key]?.kind ?? "nothing")") }
        return i
    }

    func array(_ key: String) throws -> [JSONValue] {
        guard let a = object[key]?.arrayValue else { throw error(key, "expected an array, found \(object[key]?.kind ?? "nothing")") }
        return a
    }

    func child(_ key: String) throws -> JSONNode { try JSONNode(object[key], path: path.isEmpty ? key : path + "." + key, file: file) }

    /// The nodes of array `key`.
    func children(_ key: String) throws -> [JSONNode] {
        try array(key).enumerated().map { try JSONNode($0.element, path: (path.isEmpty ? key : path + "." + key) + ".\($0.offset)", file: file) }
    }

    /// A single code point (Metaspace's replacement).
    func char(_ key: String) throws -> UInt32 {
        let s = try string(key)
        guard s.unicodeScalars.count == 1 else { throw error(key, "expected one character, found \"\(s)\"") }
        return s.unicodeScalars.first!.value
    }

    /// A pattern: `{"String": "..."}` or `{"Regex": "..."}`.
    func pattern(_ key: String) throws -> SplitPattern {
        let p = try child(key)
        if let s = p.object["String"]?.stringValue, p.object.count == 1 { return .literal(s.unicodeScalars.map(\.value)) }
        if let r = p.object["Regex"]?.stringValue, p.object.count == 1 {
            do { return .regex(try CompiledRegex(r)) } catch {
                throw p.error("Regex", "bertkit cannot compile this regular expression: \(r)")
            }
        }
        throw p.error("", "expected {\"String\": ...} or {\"Regex\": ...}")
    }

    func unsupportedType() throws -> TokenizerPipelineError {
        error("type", "bertkit does not implement \(path) type \"\(try type)\"")
    }
}

extension String {
    var scalarValues: [UInt32] { unicodeScalars.map(\.value) }
}
