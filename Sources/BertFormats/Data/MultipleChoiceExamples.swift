import Foundation

// formats/multiple-choice.md. The layout of HF's `swag` dataset, `regular` config, which
// examples/pytorch/multiple-choice/run_swag.py trains on: `sent1` is the context, `sent2` the start
// of the second sentence, `ending0…ending{C-1}` the C candidate endings, `label` the index of the
// right one. run_swag builds choice i as (sent1, f"{sent2} {ending_i}").
// - CSV: a header naming sent1, sent2, ending0 … and label, in any order (other columns, such as
//   swag's video-id, fold-ind, startphrase and gold-source, are ignored); the endings are the
//   consecutive ending0, ending1, … found.
// - JSONL: one object a line with the same keys (HF `to_json` of swag); blank lines are skipped.
//   The first object fixes the number of endings.
// Every example has the same number of choices (BertForMultipleChoice takes [B, C, S]). The label
// is an integer in 0..<C; anything else (swag's test split has -1) is an error naming file:line,
// or with `skipBadRows` a counted skip.

/// One multiple-choice example.
public struct MultipleChoiceExample: Sendable, Equatable {
    /// `sent1`: the first segment of every choice.
    public var context: String
    /// `sent2`: the start of the second segment.
    public var stem: String
    /// `ending0…`: one per choice.
    public var endings: [String]
    /// The right ending's index.
    public var label: Int
    /// The 1-based line it came from.
    public var line: Int

    public init(context: String, stem: String, endings: [String], label: Int, line: Int) {
        self.context = context; self.stem = stem; self.endings = endings; self.label = label; self.line = line
    }

    /// Each choice's second segment, as run_swag writes it.
    public var secondSegments: [String] { endings.map { "\(stem) \($0)" } }
}

/// A row or object that cannot be an example.
public struct MultipleChoiceDataError: LocalizedError, Equatable {
    public let file: String
    /// 1-based; 0 for the file as a whole.
    public let line: Int
    public let problem: String
    public init(file: String, line: Int, problem: String) { self.file = file; self.line = line; self.problem = problem }
    public var errorDescription: String? { line > 0 ? "\(file):\(line): \(problem)" : "\(file): \(problem)" }
}

public struct MultipleChoiceDataset: Sendable, Equatable {
    public enum Layout: String, Sendable { case csv = "SWAG CSV", jsonl = "SWAG JSONL" }

    public var examples: [MultipleChoiceExample]
    public var layout: Layout
    /// Choices per example.
    public var choices: Int
    /// Bad rows skipped with `skipBadRows`, as "line N: reason".
    public var skipped: [String]

    /// JSONL when the file name ends in `.jsonl` or `.json`, else CSV.
    public init(contentsOf path: String, skipBadRows: Bool = false) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".json") {
            try self.init(jsonl: path, skipBadRows: skipBadRows)
        } else {
            try self.init(csv: path, skipBadRows: skipBadRows)
        }
    }

    static let minimumChoices = 2

    /// The CSV layout.
    public init(csv path: String, skipBadRows: Bool = false) throws {
        var it = try CSVReader(contentsOf: path).makeIterator()
        guard let header = try it.nextRecord() else { throw MultipleChoiceDataError(file: path, line: 0, problem: "the file is empty") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        func column(_ n: String) -> Int? { names.firstIndex(of: n) }
        var endingColumns: [Int] = []
        while let c = column("ending\(endingColumns.count)") { endingColumns.append(c) }
        let missing = ["sent1", "sent2", "label"].filter { column($0) == nil } + (endingColumns.count < Self.minimumChoices ? ["ending0", "ending1"].filter { column($0) == nil } : [])
        guard missing.isEmpty else {
            throw MultipleChoiceDataError(file: path, line: header.line,
                                          problem: "expected a header naming sent1, sent2, ending0, ending1, … and label; missing \(missing.joined(separator: ", ")) (found \(names.joined(separator: ", ")))")
        }
        let (s1, s2, lc) = (column("sent1")!, column("sent2")!, column("label")!)
        let width = ([s1, s2, lc] + endingColumns).max()! + 1
        var examples: [MultipleChoiceExample] = [], skipped: [String] = []
        while true {
            let r: CSVReader.Record
            do {
                guard let next = try it.nextRecord() else { break }
                r = next
            } catch let e as CSVError {
                guard skipBadRows else { throw e }
                skipped.append("line \(e.line): \(e.problem)")
                break  // a broken quote swallows the rest of the file
            }
            do {
                guard r.fields.count >= width else {
                    throw MultipleChoiceDataError(file: path, line: r.line, problem: "expected \(names.count) columns as the header, found \(r.fields.count)")
                }
                examples.append(try Self.example(context: r.fields[s1], stem: r.fields[s2], endings: endingColumns.map { r.fields[$0] },
                                                 label: r.fields[lc], file: path, line: r.line))
            } catch let e as MultipleChoiceDataError {
                guard skipBadRows else { throw e }
                skipped.append("line \(e.line): \(e.problem)")
            }
        }
        try self.init(examples: examples, layout: .csv, choices: endingColumns.count, skipped: skipped, file: path)
    }

    /// The JSONL layout.
    public init(jsonl path: String, skipBadRows: Bool = false) throws {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw MultipleChoiceDataError(file: path, line: 0, problem: "cannot read the file")
        }
        var examples: [MultipleChoiceExample] = [], skipped: [String] = []
        var choices: Int?
        for (k, raw) in [UInt8](d).split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let line = k + 1
            let body = Array(raw.last == 0x0D ? raw.dropLast() : raw[...])
            if body.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            do {
                let value: JSONValue
                do {
                    value = try JSONParser.parse(body, file: path)
                } catch let e as JSONError {
                    throw MultipleChoiceDataError(file: path, line: line, problem: "column \(e.column): \(e.reason)")
                }
                guard let o = value.objectValue else {
                    throw MultipleChoiceDataError(file: path, line: line, problem: "expected a JSON object, found \(value.kind)")
                }
                func string(_ key: String) throws -> String {
                    guard let v = o[key] else { throw MultipleChoiceDataError(file: path, line: line, problem: "no \"\(key)\" key") }
                    guard let s = v.stringValue else {
                        throw MultipleChoiceDataError(file: path, line: line, problem: "\"\(key)\" is \(v.kind), expected a string")
                    }
                    return s
                }
                var endings: [String] = []
                while o["ending\(endings.count)"] != nil { endings.append(try string("ending\(endings.count)")) }
                if choices == nil, endings.count >= Self.minimumChoices { choices = endings.count }
                guard let c = choices, endings.count == c else {
                    let want = choices.map { "\($0)" } ?? "at least \(Self.minimumChoices)"
                    throw MultipleChoiceDataError(file: path, line: line, problem: "expected \(want) endings (ending0, ending1, …), found \(endings.count)")
                }
                guard let lv = o["label"] else { throw MultipleChoiceDataError(file: path, line: line, problem: "no \"label\" key") }
                guard let label = lv.intValue.map(String.init) ?? lv.stringValue else {
                    throw MultipleChoiceDataError(file: path, line: line, problem: "\"label\" is \(lv.kind), expected an integer")
                }
                examples.append(try Self.example(context: try string("sent1"), stem: try string("sent2"), endings: endings, label: label,
                                                 file: path, line: line))
            } catch let e as MultipleChoiceDataError {
                guard skipBadRows else { throw e }
                skipped.append("line \(e.line): \(e.problem)")
            }
        }
        try self.init(examples: examples, layout: .jsonl, choices: choices ?? 0, skipped: skipped, file: path)
    }

    private init(examples: [MultipleChoiceExample], layout: Layout, choices: Int, skipped: [String], file: String) throws {
        guard !examples.isEmpty else { throw MultipleChoiceDataError(file: file, line: 0, problem: "no examples") }
        self.examples = examples
        self.layout = layout
        self.choices = choices
        self.skipped = skipped
    }

    private static func example(context: String, stem: String, endings: [String], label: String, file: String,
                                line: Int) throws -> MultipleChoiceExample {
        let l = label.trimmingCharacters(in: .whitespaces)
        guard let index = Int(l) else {
            throw MultipleChoiceDataError(file: file, line: line, problem: "the label \"\(l)\" is not an ending index (0...\(endings.count - 1))")
        }
        guard endings.indices.contains(index) else {
            throw MultipleChoiceDataError(file: file, line: line,
                                          problem: "the label \(index) is out of range: there are \(endings.count) endings (0...\(endings.count - 1))")
        }
        return MultipleChoiceExample(context: context, stem: stem, endings: endings, label: index, line: line)
    }
}
