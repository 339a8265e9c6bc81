import Foundation

// SQuAD question answering data in the two layouts users have (formats/squad.md):
// - the official JSON of SQuAD v1.1 and v2.0: {"version", "data": [{"title", "paragraphs": [{"context",
//   "qas": [{"id", "question", "answers": [{"text", "answer_start"}], "is_impossible"}]}]}]};
// - the JSONL that HF datasets' `to_json` writes for `squad` / `squad_v2`, one example a line:
//   {"id", "title", "context", "question", "answers": {"text": [...], "answer_start": [...]}}.
// `answer_start` counts code points (Python string indices), as the offsets the tokenizer gives.

/// One gold answer: the context's code points `start..<start + text.unicodeScalars.count`.
public struct SQuADAnswer: Sendable, Equatable {
    public var text: String
    public var start: Int
    public init(text: String, start: Int) {
        self.text = text
        self.start = start
    }
}

/// One question about one context. No answers means the question has none (SQuAD v2's
/// `is_impossible`, or an empty `answers` list in the JSONL).
public struct SQuADExample: Sendable, Equatable {
    public var id: String
    public var title: String
    public var context: String
    public var question: String
    public var answers: [SQuADAnswer]
    /// Where it came from, for messages: "data[0].paragraphs[2].qas[1]" or "line 7".
    public var location: String

    public init(id: String, title: String = "", context: String, question: String, answers: [SQuADAnswer],
                location: String = "") {
        self.id = id
        self.title = title
        self.context = context
        self.question = question
        self.answers = answers
        self.location = location
    }

    public var isImpossible: Bool { answers.isEmpty }
}

/// A SQuAD file that cannot be read: the file, and the JSON path or the line.
public struct SQuADError: LocalizedError, Equatable {
    public let file: String
    /// "data[0].paragraphs[1].qas[3].answers[0]", or "line 12" in JSONL.
    public let location: String
    public let problem: String
    public var errorDescription: String? { location.isEmpty ? "\(file): \(problem)" : "\(file): \(location): \(problem)" }

    public init(file: String, location: String, problem: String) {
        self.file = file
        self.location = location
        self.problem = problem
    }
}

/// The questions of a SQuAD JSON or JSONL file, checked: every answer's text must be the context's
/// text at its `answer_start`, ids must be unique, and no question, context or id may be empty.
public struct SQuADDataset: Sendable {
    public enum Layout: String, Sendable { case squadJSON = "SQuAD JSON", jsonl = "JSONL" }

    public var examples: [SQuADExample]
    public var layout: Layout
    /// The file's "version" ("v1.1", "v2.0"); nil in JSONL.
    public var version: String?
    /// Questions skipped with `skipBadRows`, as "location: problem".
    public var skipped: [String]

    /// SQuAD v2 scoring (HasAns/NoAns, the null answer): the file says v2, or some question has no answer.
    public var hasImpossible: Bool { version?.hasPrefix("v2") == true || examples.contains { $0.isImpossible } }

    public init(examples: [SQuADExample], layout: Layout = .jsonl, version: String? = nil, skipped: [String] = []) {
        self.examples = examples
        self.layout = layout
        self.version = version
        self.skipped = skipped
    }

    /// The layout is read from the content: a JSON object with "data" is SQuAD JSON, anything else
    /// one object a line. With `skipBadRows`, a question that fails a check (a bad answer, a missing
    /// field, a line that is not JSON) is counted in `skipped` instead of stopping the read; a file
    /// whose structure is wrong (no "data", a paragraph that is not an object) still fails.
    public init(contentsOf path: String, skipBadRows: Bool = false) throws {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw SQuADError(file: path, location: "", problem: "cannot read the file")
        }
        let bytes = [UInt8](d)
        var reader = Reader(file: path, skipBadRows: skipBadRows)
        let whole = Result { try JSONParser.parse(bytes, file: path) }
        if case .success(let v) = whole, let o = v.objectValue, o["data"] != nil {
            layout = .squadJSON
            version = o["version"]?.stringValue
            try reader.readSQuAD(o)
        } else {
            // A file that is not JSON as a whole and whose first line is not JSON either is a broken
            // SQuAD JSON (or no data at all): the whole-file error says where it breaks.
            if case .failure(let e as JSONError) = whole, !Self.firstLineIsJSON(bytes) {
                throw SQuADError(file: path, location: "line \(e.line) column \(e.column)", problem: "not JSON: \(e.reason)")
            }
            layout = .jsonl
            version = nil
            try reader.readJSONL(bytes)
        }
        guard !reader.examples.isEmpty else {
            throw SQuADError(file: path, location: "", problem: reader.skipped.isEmpty
                ? "no questions" : "no questions left after skipping \(reader.skipped.count) bad ones")
        }
        examples = reader.examples
        skipped = reader.skipped
    }
}

extension SQuADDataset {
    static func firstLineIsJSON(_ bytes: [UInt8]) -> Bool {
        let end = bytes.firstIndex(of: 0x0A) ?? bytes.count
        return (try? JSONParser.parse(Array(bytes[..<end]), file: "")) != nil
    }
}

/// One question's failure; `Reader` turns it into a SQuADError or a skipped entry.
private struct Bad: Error {
    let location: String
    let problem: String
}

private struct Reader {
    let file: String
    let skipBadRows: Bool
    var examples: [SQuADExample] = []
    var skipped: [String] = []
    var ids: [String: String] = [:]

    init(file: String, skipBadRows: Bool) {
        self.file = file
        self.skipBadRows = skipBadRows
    }

    func fatal(_ location: String, _ problem: String) -> SQuADError {
        SQuADError(file: file, location: location, problem: problem)
    }

    /// Runs one question's checks; a failure stops the read or, with skipBadRows, is recorded.
    mutating func question(_ body: () throws -> SQuADExample) throws {
        do {
            let e = try body()
            if let first = ids[e.id] { throw Bad(location: e.location, problem: "duplicate id \"\(e.id)\" (first at \(first))") }
            ids[e.id] = e.location
            examples.append(e)
        } catch let b as Bad {
            guard skipBadRows else { throw fatal(b.location, b.problem) }
            skipped.append("\(b.location): \(b.problem)")
        }
    }

    mutating func readSQuAD(_ root: JSONObject) throws {
        guard let data = root["data"]?.arrayValue else {
            throw fatal("data", "expected a list of articles, found \(root["data"]!.kind)")
        }
        for (a, article) in data.enumerated() {
            let at = "data[\(a)]"
            guard let article = article.objectValue else { throw fatal(at, "expected an article object, found \(article.kind)") }
            let title = article["title"]?.stringValue ?? ""
            guard let paragraphs = article["paragraphs"]?.arrayValue else {
                throw fatal("\(at).paragraphs", "expected a list of paragraphs, found \(article["paragraphs"]?.kind ?? "nothing")")
            }
            for (p, paragraph) in paragraphs.enumerated() {
                let pat = "\(at).paragraphs[\(p)]"
                guard let paragraph = paragraph.objectValue else { throw fatal(pat, "expected a paragraph object, found \(paragraph.kind)") }
                guard let qas = paragraph["qas"]?.arrayValue else {
                    throw fatal("\(pat).qas", "expected a list of questions, found \(paragraph["qas"]?.kind ?? "nothing")")
                }
                for (q, qa) in qas.enumerated() {
                    try question {
                        let qat = "\(pat).qas[\(q)]"
                        let context = try Self.string(paragraph, "context", at: pat)
                        guard let qa = qa.objectValue else { throw Bad(location: qat, problem: "expected a question object, found \(qa.kind)") }
                        var impossible = false
                        if let v = qa["is_impossible"] {
                            guard let b = v.boolValue else { throw Bad(location: "\(qat).is_impossible", problem: "expected true or false, found \(v.kind)") }
                            impossible = b
                        }
                        guard let list = qa["answers"]?.arrayValue else {
                            throw Bad(location: "\(qat).answers", problem: "expected a list of answers, found \(qa["answers"]?.kind ?? "nothing")")
                        }
                        if impossible, !list.isEmpty {
                            throw Bad(location: "\(qat).answers", problem: "is_impossible is true but there are \(list.count) answers")
                        }
                        let answers = try list.enumerated().map { k, v in
                            let aat = "\(qat).answers[\(k)]"
                            guard let o = v.objectValue else { throw Bad(location: aat, problem: "expected an answer object, found \(v.kind)") }
                            let text = try Self.string(o, "text", at: aat)
                            guard let start = o["answer_start"]?.intValue else {
                                throw Bad(location: "\(aat).answer_start", problem: "expected an integer, found \(o["answer_start"]?.kind ?? "nothing")")
                            }
                            return try Self.checked(SQuADAnswer(text: text, start: start), in: context, at: aat)
                        }
                        return SQuADExample(id: try Self.string(qa, "id", at: qat), title: title, context: context,
                                            question: try Self.string(qa, "question", at: qat), answers: answers, location: qat)
                    }
                }
            }
        }
    }

    mutating func readJSONL(_ bytes: [UInt8]) throws {
        let file = self.file
        var start = 0, n = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            n += 1
            var line = bytes[start..<end]
            if line.last == 0x0D { line = line.dropLast() }
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let at = "line \(n)"
            try question {
                let value: JSONValue
                do {
                    value = try JSONParser.parse(Array(line), file: "\(file):\(n)")
                } catch let e as JSONError {
                    throw Bad(location: at, problem: "not JSON: \(e.reason)")
                }
                guard let o = value.objectValue else { throw Bad(location: at, problem: "expected an object, found \(value.kind)") }
                let context = try Self.string(o, "context", at: at)
                guard let a = o["answers"]?.objectValue, let texts = a["text"]?.arrayValue, let starts = a["answer_start"]?.arrayValue else {
                    throw Bad(location: "\(at): answers", problem: "expected {\"text\": [...], \"answer_start\": [...]}")
                }
                guard texts.count == starts.count else {
                    throw Bad(location: "\(at): answers", problem: "\(texts.count) texts but \(starts.count) answer_start values")
                }
                let answers = try zip(texts, starts).enumerated().map { k, ts in
                    let aat = "\(at): answers[\(k)]"
                    guard let text = ts.0.stringValue, !text.isEmpty else { throw Bad(location: aat, problem: "the text must be a non-empty string, found \(ts.0.kind)") }
                    guard let s = ts.1.intValue else { throw Bad(location: aat, problem: "answer_start must be an integer, found \(ts.1.kind)") }
                    return try Self.checked(SQuADAnswer(text: text, start: s), in: context, at: aat)
                }
                let title = o["title"]?.stringValue ?? ""
                return SQuADExample(id: try Self.string(o, "id", at: at), title: title, context: context,
                                    question: try Self.string(o, "question", at: at), answers: answers, location: at)
            }
        }
    }

    static func string(_ o: JSONObject, _ key: String, at: String) throws -> String {
        guard let v = o[key] else { throw Bad(location: at, problem: "no \"\(key)\"") }
        guard let s = v.stringValue else { throw Bad(location: "\(at).\(key)", problem: "expected a string, found \(v.kind)") }
        guard !s.isEmpty else { throw Bad(location: "\(at).\(key)", problem: "is empty") }
        return s
    }

    /// The answer's text must be the context's code points at answer_start.
    static func checked(_ a: SQuADAnswer, in context: String, at: String) throws -> SQuADAnswer {
        let c = Array(context.unicodeScalars), t = Array(a.text.unicodeScalars)
        guard !t.isEmpty else { throw Bad(location: "\(at).text", problem: "is empty") }
        guard a.start >= 0, a.start + t.count <= c.count else {
            throw Bad(location: "\(at).answer_start", problem: "answer_start \(a.start) with a \(t.count)-character text "
                + "runs outside the \(c.count)-character context")
        }
        guard Array(c[a.start..<a.start + t.count]) == t else {
            var found = String.UnicodeScalarView()
            found.append(contentsOf: c[a.start..<a.start + t.count])
            var hint = ""
            if let k = firstOccurrence(t, in: c) { hint = "; the text occurs at \(k)" }
            throw Bad(location: "\(at).answer_start", problem: "answer_start \(a.start) does not match the text: the context "
                + "there reads \"\(String(found))\", the answer is \"\(a.text)\"\(hint)")
        }
        return a
    }

    static func firstOccurrence(_ t: [Unicode.Scalar], in c: [Unicode.Scalar]) -> Int? {
        guard t.count <= c.count else { return nil }
        return (0...(c.count - t.count)).first { c[$0..<$0 + t.count].elementsEqual(t) }
    }
}
