import Foundation

/// One sentence of a token-classification file: its words and each word's tag (an index into the
/// label list).
public struct TaggedSentence: Sendable, Equatable {
    public var words: [String]
    public var tags: [Int]
    /// The line it starts on, for messages.
    public var line: Int
    public init(words: [String], tags: [Int], line: Int) {
        self.words = words; self.tags = tags; self.line = line
    }
}

/// A bad line of a tagged file: `file:line: problem` (`path` names the JSON value in a JSONL line).
public struct TaggedDataError: LocalizedError, Equatable, Sendable {
    public let file: String
    public let line: Int
    public let problem: String
    public init(file: String, line: Int, problem: String) {
        self.file = file; self.line = line; self.problem = problem
    }
    public var errorDescription: String? { "\(file):\(line): \(problem)" }
}

/// Sentences of words with one tag each, in either layout users have (spec: formats/ner.md):
/// - CoNLL-2003 / IOB2 text: one token per line, columns separated by spaces or tabs, the word
///   first and the tag last, every token line with the first one's column count; a blank line
///   ends a sentence; a `-DOCSTART-` line is skipped (and ends a sentence);
/// - JSONL as HF datasets export it: one object per line with `tokens` (strings) and `ner_tags`
///   (tag names, or indices into `labels`), other keys ignored.
///
/// `labels` are the tag names in class order (a model's id2label, or --labels); every tag must be
/// one of them. Without `labels` the tags found are the labels, sorted (run_ner.py's
/// get_label_list); indices then cannot be read. With `strict` (seqeval's IOB2 mode) every tag is
/// `O`, `B-…` or `I-…`, and an `I-X` must follow `B-X` or `I-X`. With `skipBadRows` a sentence with a
/// bad line is left out and counted in `skipped` instead of stopping the read. Empty sentences
/// are dropped (they have nothing to label).
public struct TaggedSentences: Sendable {
    public enum Layout: String, Sendable { case conll = "CoNLL", jsonl = "JSONL" }

    public var sentences: [TaggedSentence]
    public var labels: [String]
    public var layout: Layout
    /// Bad sentences skipped with `skipBadRows`, as "line N: reason".
    public var skipped: [String]

    public init(contentsOf path: String, labels given: [String]?, strict: Bool = false, skipBadRows: Bool = false) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw TaggedDataError(file: path, line: 0, problem: "cannot read it as UTF-8 text: \(error.localizedDescription)")
        }
        // "\r\n" is one Character in Swift: split on both.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        let jsonl = lines.first { !$0.allSatisfy(\.isWhitespace) }?.first { !$0.isWhitespace } == "{"
        layout = jsonl ? .jsonl : .conll
        // Raw sentences: words, tag names or indices, the line of each token.
        var raw: [(words: [String], tags: [Tag], lines: [Int])] = []
        var skipped: [String] = []
        let known = given.map { Dictionary($0.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) }
        // Each sentence's tags are checked as it is read, so the first bad line in the file is the one reported.
        func check(_ s: (words: [String], tags: [Tag], lines: [Int])) throws {
            var previous: String?
            for (k, (t, line)) in zip(s.tags, s.lines).enumerated() {
                let at = jsonl ? "ner_tags[\(k)]: " : ""
                let name: String
                switch t {
                case .name(let n):
                    if let known, known[n] == nil {
                        throw TaggedDataError(file: path, line: line, problem: "\(at)tag \"\(n)\" is not one of the labels (\(given!.joined(separator: ", ")))")
                    }
                    name = n
                case .index(let i):
                    guard let g = given else {
                        throw TaggedDataError(file: path, line: line, problem: "ner_tags holds class indices; give the tag names with --labels")
                    }
                    guard g.indices.contains(i) else {
                        throw TaggedDataError(file: path, line: line, problem: "\(at)class \(i) is outside 0..<\(g.count) (the labels: \(g.joined(separator: ", ")))")
                    }
                    name = g[i]
                }
                if strict, let problem = Self.strictProblem(name, after: previous) {
                    throw TaggedDataError(file: path, line: line, problem: at + problem)
                }
                previous = name
            }
        }
        if jsonl {
            for (i, l) in lines.enumerated() where !l.allSatisfy(\.isWhitespace) {
                do {
                    let r = try Self.jsonLine(String(l), file: path, line: i + 1)
                    try check(r)
                    if !r.words.isEmpty { raw.append(r) }
                } catch let e as TaggedDataError {
                    guard skipBadRows else { throw e }
                    skipped.append("line \(e.line): \(e.problem)")
                }
            }
        } else {
            var columns: (count: Int, line: Int)?
            var current: (words: [String], tags: [Tag], lines: [Int]) = ([], [], [])
            var bad: TaggedDataError?
            func end() throws {
                // The tokens before a malformed line come first in the file.
                do { try check(current) } catch let e as TaggedDataError { bad = e }
                if let e = bad {
                    guard skipBadRows else { throw e }
                    skipped.append("line \(e.line): \(e.problem)")
                } else if !current.words.isEmpty {
                    raw.append(current)
                }
                current = ([], [], [])
                bad = nil
            }
            for (i, l) in lines.enumerated() {
                let fields = l.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.isEmpty { try end(); continue }
                if fields[0] == "-DOCSTART-" { try end(); continue }
                guard bad == nil else { continue }
                if fields.count < 2 {
                    bad = TaggedDataError(file: path, line: i + 1, problem: "a token line needs a word and a tag, found 1 column")
                } else if let c = columns, c.count != fields.count {
                    bad = TaggedDataError(file: path, line: i + 1,
                                          problem: "expected \(c.count) columns as on line \(c.line), found \(fields.count)")
                } else {
                    columns = columns ?? (fields.count, i + 1)
                    current.words.append(String(fields[0]))
                    current.tags.append(.name(String(fields[fields.count - 1])))
                    current.lines.append(i + 1)
                }
            }
            try end()
        }

        let names = given ?? Array(Set(raw.flatMap(\.tags).compactMap { if case .name(let n) = $0 { n } else { nil } })).sorted()
        let byName = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        // Checked as read: every name is a label and every index in range.
        let out = raw.map { s in
            TaggedSentence(words: s.words, tags: s.tags.map { t -> Int in
                switch t {
                case .name(let n): byName[n]!
                case .index(let i): i
                }
            }, line: s.lines[0])
        }
        sentences = out
        labels = names
        self.skipped = skipped
    }

    enum Tag: Hashable { case name(String), index(Int) }

    /// Why `tag` cannot follow `previous` (nil: the sentence start) under seqeval's strict IOB2.
    static func strictProblem(_ tag: String, after previous: String?) -> String? {
        if tag == "O" { return nil }
        guard tag.hasPrefix("B-") || tag.hasPrefix("I-") else {
            return "tag \"\(tag)\" is not O, B-… or I-… (IOB2, --strict)"
        }
        guard tag.hasPrefix("I-") else { return nil }
        let type = tag.dropFirst(2)
        if let p = previous, p == "B-" + type || p == "I-" + type { return nil }
        return "\(tag) follows \(previous ?? "the sentence start"); IOB2 (--strict) begins every entity with B-\(type)"
    }

    static func jsonLine(_ l: String, file: String, line: Int) throws -> (words: [String], tags: [Tag], lines: [Int]) {
        func bad(_ p: String) -> TaggedDataError { TaggedDataError(file: file, line: line, problem: p) }
        let v: JSONValue
        do { v = try JSONParser.parse(Array(l.utf8), file: file) } catch let e as JSONError {
            throw bad("not JSON: \(e.reason)")
        }
        guard let o = v.objectValue else { throw bad("expected an object with tokens and ner_tags, found \(v.kind)") }
        guard let tokens = o["tokens"]?.arrayValue else { throw bad("tokens: expected an array of strings") }
        guard let tags = o["ner_tags"]?.arrayValue else { throw bad("ner_tags: expected an array of tag names or indices") }
        var words: [String] = []
        for (k, t) in tokens.enumerated() {
            guard let s = t.stringValue else { throw bad("tokens[\(k)]: expected a string, found \(t.kind)") }
            words.append(s)
        }
        guard tags.count == words.count else { throw bad("ner_tags has \(tags.count) tags for \(words.count) tokens") }
        let parsed = try tags.enumerated().map { k, t -> Tag in
            if let s = t.stringValue { return .name(s) }
            if let i = t.intValue { return .index(i) }
            throw bad("ner_tags[\(k)]: expected a tag name or a class index, found \(t.kind)")
        }
        return (words, parsed, [Int](repeating: line, count: words.count))
    }
}
