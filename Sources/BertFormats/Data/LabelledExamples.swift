import Foundation

/// One labelled text: a class (single-label classification) or one float per label (regression
/// targets, or a multi-hot vector for multi-label classification).
public struct LabelledExample: Sendable, Equatable {
    public var text: String
    /// The class index (single-label); 0 for the other problem types.
    public var label: Int
    /// [labels] targets (regression, multi-label); empty for single-label.
    public var values: [Float]
    /// Where it came from, for messages.
    public var line: Int
    public init(text: String, label: Int, values: [Float] = [], line: Int) {
        self.text = text; self.label = label; self.values = values; self.line = line
    }
}

/// Labelled texts read from a CSV in one of two layouts:
/// - AG News (no header): the first column is the class, 1-based (`"3"` is the third label) or a
///   label name; the text is the remaining columns joined by one space, as torchtext's AG_NEWS does;
/// - a header naming `text` and `label` columns (any order; other columns ignored).
///
/// The label column by problem type (transformers' `problem_type`):
/// - single-label: a label name, or a class number (1-based in AG News, 0-based under a header);
/// - multi-label (header only): label names or 1-based class numbers separated by `;`, possibly none;
/// - regression (header only): one finite number per label, separated by `;`.
public struct LabelledDataset: Sendable {
    public enum Layout: String, Sendable { case agNews = "AG News", textLabel = "text,label" }

    public var examples: [LabelledExample]
    public var layout: Layout
    /// How the label column was read.
    public var problem: ProblemType
    /// Bad rows skipped with `skipBadRows`, as "line N: reason".
    public var skipped: [String]

    /// `labels` are the model's label names; numbers in the file are 1-based indices into them
    /// in the AG News layout. With `skipBadRows`, malformed rows, unknown labels and empty texts
    /// are counted and skipped instead of stopping the read.
    public init(contentsOf path: String, labels: [String], problem: ProblemType = .singleLabel,
                skipBadRows: Bool = false) throws {
        let reader = try CSVReader(contentsOf: path)
        var it = reader.makeIterator()
        var examples: [LabelledExample] = [], skipped: [String] = []
        var layout: Layout?
        var textColumn = 0, labelColumn = 0
        let byName = Dictionary(labels.enumerated().map { ($1.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        while true {
            let record: CSVReader.Record
            do {
                guard let r = try it.nextRecord() else { break }
                record = r
            } catch let e as CSVError {
                guard skipBadRows else { throw e }
                skipped.append("line \(e.line): \(e.problem)")
                // A broken quote swallows the rest of the file; nothing after it can be trusted.
                break
            }
            if layout == nil {
                let lower = record.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                if let t = lower.firstIndex(of: "text"), let l = lower.firstIndex(of: "label") {
                    layout = .textLabel
                    textColumn = t
                    labelColumn = l
                    continue
                }
                guard problem == .singleLabel else {
                    throw CSVError(file: path, line: record.line,
                                   problem: "expected a header naming text and label columns for \(problem.rawValue), found \(record.fields.count) columns without one")
                }
                layout = .agNews
            }
            do {
                examples.append(try Self.example(record, layout: layout!, textColumn: textColumn, labelColumn: labelColumn,
                                                 labels: labels, byName: byName, problem: problem, file: path))
            } catch let e as CSVError {
                guard skipBadRows else { throw e }
                skipped.append("line \(e.line): \(e.problem)")
            }
        }
        guard !examples.isEmpty else { throw CSVError(file: path, line: 0, problem: "no labelled rows") }
        self.examples = examples
        self.layout = layout ?? .agNews
        self.problem = problem
        self.skipped = skipped
    }

    private static func example(_ r: CSVReader.Record, layout: Layout, textColumn: Int, labelColumn: Int,
                                labels: [String], byName: [String: Int], problem: ProblemType,
                                file: String) throws -> LabelledExample {
        func fail(_ p: String) -> CSVError { CSVError(file: file, line: r.line, problem: p) }
        let rawLabel: String, text: String
        switch layout {
        case .agNews:
            guard r.fields.count >= 2 else { throw fail("expected a class and a text, found \(r.fields.count) column") }
            rawLabel = r.fields[0]
            text = r.fields.dropFirst().joined(separator: " ")
        case .textLabel:
            guard r.fields.count > max(textColumn, labelColumn) else {
                throw fail("expected \(max(textColumn, labelColumn) + 1) columns, found \(r.fields.count)")
            }
            rawLabel = r.fields[labelColumn]
            text = r.fields[textColumn]
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw fail("the text is empty") }
        let l = rawLabel.trimmingCharacters(in: .whitespaces)
        switch problem {
        case .singleLabel: break
        case .regression:
            return LabelledExample(text: text, label: 0, values: try regressionTargets(l, count: labels.count, fail: fail), line: r.line)
        case .multiLabel:
            return LabelledExample(text: text, label: 0, values: try multiHot(l, labels: labels, byName: byName, fail: fail), line: r.line)
        }
        let index: Int
        if let n = Int(l) {
            // AG News classes are 1-based; a text,label file may use 0-based ids.
            index = layout == .agNews ? n - 1 : n
            guard labels.indices.contains(index) else {
                let range = layout == .agNews ? "1...\(labels.count)" : "0...\(labels.count - 1)"
                throw fail("unknown label \(n): the model has \(labels.count) labels (\(range))")
            }
        } else if let i = byName[l.lowercased()] {
            index = i
        } else {
            throw fail("unknown label \"\(l)\"; known: \(labels.joined(separator: ", "))")
        }
        return LabelledExample(text: text, label: index, line: r.line)
    }

    /// `count` finite numbers separated by `;`.
    private static func regressionTargets(_ l: String, count: Int, fail: (String) -> CSVError) throws -> [Float] {
        let pieces = l.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard pieces.count == count else {
            throw fail("expected \(count) regression target\(count == 1 ? "" : "s") separated by ';', found \(pieces.count): \"\(l)\"")
        }
        return try pieces.map { p in
            guard let d = Double(p) else { throw fail("expected a number as the regression target, found \"\(p)\"") }
            // Also catches values beyond Float's range, which the loss would see as infinite.
            guard Float(d).isFinite else { throw fail("expected a finite regression target, found \"\(p)\"") }
            return Float(d)
        }
    }

    /// A multi-hot vector from label names or 1-based class numbers separated by `;` (none is allowed).
    private static func multiHot(_ l: String, labels: [String], byName: [String: Int], fail: (String) -> CSVError) throws -> [Float] {
        var hot = [Float](repeating: 0, count: labels.count)
        for piece in l.split(separator: ";") {
            let p = piece.trimmingCharacters(in: .whitespaces)
            if p.isEmpty { continue }
            // A name wins over a number, so labels named "1", "2" … mean themselves.
            if let i = byName[p.lowercased()] {
                hot[i] = 1
            } else if let n = Int(p) {
                guard labels.indices.contains(n - 1) else {
                    throw fail("unknown label \(n): the model has \(labels.count) labels (1...\(labels.count))")
                }
                hot[n - 1] = 1
            } else {
                throw fail("unknown label \"\(p)\"; known: \(labels.joined(separator: ", "))")
            }
        }
        return hot
    }

    /// Label names found in a file's label column, in order of first appearance, for building a
    /// new classifier when the user gives none. Numbers stay numbers. Multi-label lists are split at `;`.
    public static func labelNames(in path: String, problem: ProblemType = .singleLabel) throws -> [String] {
        var seen: [String] = []
        var header: (Int, Int)?
        for (k, r) in try CSVReader(contentsOf: path).records().enumerated() {
            let lower = r.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if k == 0, let t = lower.firstIndex(of: "text"), let l = lower.firstIndex(of: "label") { header = (t, l); continue }
            let col = header?.1 ?? 0
            guard col < r.fields.count else { continue }
            let cell = r.fields[col].trimmingCharacters(in: .whitespaces)
            let found = problem == .multiLabel ? cell.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) } : [cell]
            for l in found where !l.isEmpty && !seen.contains(l) { seen.append(l) }
        }
        if seen.allSatisfy({ Int($0) != nil }) { return seen.sorted { Int($0)! < Int($1)! } }
        return seen
    }

    /// The number of `;`-separated targets in the first row under a `text,label` header (1 if there
    /// is none to count), for a new regression head when the user gives no label count.
    public static func regressionTargetCount(in path: String) throws -> Int {
        let rows = try CSVReader(contentsOf: path).records()
        guard let header = rows.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }),
              let col = header.firstIndex(of: "label"), rows.count > 1, col < rows[1].fields.count else { return 1 }
        return rows[1].fields[col].split(separator: ";", omittingEmptySubsequences: false).count
    }
}
