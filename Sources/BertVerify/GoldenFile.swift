import BertFormats
import BertModel
import BertTensors
import Foundation

/// A golden activation file (formats/golden.md): the inputs a reference ran on and the
/// activations it recorded, each mapped to the tap it names.
public struct GoldenFile: Sendable {
    public struct Entry: Sendable {
        /// The name as stored in the file (a module path or an alias).
        public let name: String
        public let tap: Tap
        public let tensor: RawTensor
    }

    public let path: String
    /// Rows the model runs (examples × choices for multiple choice).
    public let batch: Int
    public let seq: Int
    /// The head whose output names (`logits`) the golden's names were read with.
    public let head: HeadKind
    /// Choices per example (multiple-choice inputs are [batch, choices, seq]); 1 otherwise.
    public let choices: Int
    /// [B, S] each, row-major.
    public let inputIds: [Int]
    public let attentionMask: [Int]
    public let tokenTypeIds: [Int]
    /// Activations in forward order.
    public let entries: [Entry]
    public let metadata: [(key: String, value: String)]

    public static let inputNames = ["input_ids", "attention_mask", "token_type_ids"]

    /// Reads a golden. `layers` (the model's layer count) resolves `last_hidden_state`, `head` the
    /// output name `logits`; without a model, the golden's `architecture` metadata names the head.
    public static func read(path: String, layers: Int, head: HeadKind? = nil) throws -> GoldenFile {
        try GoldenFile(file: SafeTensorsFile.read(path: path), layers: layers, head: head)
    }

    /// The head a golden's `architecture` metadata names (transformers' class name); sequence
    /// classification, the only head older goldens have `logits` for, when it names none.
    public static func head(of st: SafeTensorsFile) -> HeadKind {
        st.metadataDictionary["architecture"].flatMap(HeadKind.init(anyFamilyClass:)) ?? .sequenceClassification
    }

    public init(file st: SafeTensorsFile, layers: Int, head: HeadKind? = nil) throws {
        let head = head ?? Self.head(of: st)
        self.head = head
        let f = st.path
        path = f
        metadata = st.metadata
        var inputs: [String: (shape: [Int], values: [Int])] = [:]
        for name in Self.inputNames {
            guard let t = st[name] else { throw GoldenError.missingInput(file: f, name: name) }
            guard let v = t.integers() else {
                throw GoldenError.badInput(file: f, name: name, problem: "expected an integer dtype (I64), found \(t.dtype.rawValue)")
            }
            // Multiple choice takes [batch, choices, seq], as transformers does; it runs as [batch·choices, seq].
            guard t.shape.count == 2 || (t.shape.count == 3 && head == .multipleChoice) else {
                throw GoldenError.badInput(file: f, name: name, problem: head == .multipleChoice
                    ? "expected shape [batch, choices, seq] or [batch, seq], found \(t.shape)"
                    : "expected shape [batch, seq], found \(t.shape)")
            }
            guard !v.contains(where: { $0 < Int64(Int32.min) || $0 > Int64(Int32.max) }) else {
                throw GoldenError.badInput(file: f, name: name, problem: "values do not fit in 32 bits")
            }
            inputs[name] = (t.shape, v.map { Int($0) })
        }
        let shape = inputs["input_ids"]!.shape
        for name in Self.inputNames where inputs[name]!.shape != shape {
            throw GoldenError.badInput(file: f, name: name, problem: "shape \(inputs[name]!.shape) differs from input_ids \(shape)")
        }
        choices = shape.count == 3 ? shape[1] : 1
        batch = shape[0] * choices
        seq = shape[shape.count - 1]
        inputIds = inputs["input_ids"]!.values
        attentionMask = inputs["attention_mask"]!.values
        tokenTypeIds = inputs["token_type_ids"]!.values

        var entries: [Entry] = []
        let projected = st.tensors.contains { $0.name.hasSuffix("embeddings_project") || $0.name.hasSuffix("embedding_hidden_mapping_in") }
        for (name, t) in st.tensors where !Self.inputNames.contains(name) {
            guard let tap = Tap(goldenName: name, layers: layers, head: head, projectedEmbeddings: projected) else { throw GoldenError.unknownTensor(file: f, name: name) }
            guard t.dtype.isFloatingPoint else { throw GoldenError.notFloat(file: f, name: name, dtype: t.dtype.rawValue) }
            entries.append(Entry(name: name, tap: tap, tensor: t))
        }
        // Names of one tap sorted, so the order does not depend on how a writer ordered its header.
        self.entries = entries.sorted { ($0.tap.order, $0.name) < ($1.tap.order, $1.name) }
        // Hooks plus output_hidden_states record most taps twice (bert.embeddings, hidden_states.0):
        // accepted, but they must at least have one shape.
        for g in groups {
            for b in g.dropFirst() where b.tensor.shape != g[0].tensor.shape {
                throw GoldenError.aliasShape(file: f, tap: b.tap.description, names: [g[0].name, b.name],
                                             shapes: [g[0].tensor.shape, b.tensor.shape])
            }
        }
    }

    /// The tensors the golden records for each tap, in forward order: one, or several when the file
    /// names a tap more than once (formats/golden.md, "Accepted aliases").
    public var groups: [[Entry]] {
        var out: [[Entry]] = []
        for e in entries {
            if out.last?.first?.tap == e.tap { out[out.count - 1].append(e) } else { out.append([e]) }
        }
        return out
    }

    public var metadataDictionary: [String: String] {
        Dictionary(metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// The texts the golden was made from (`texts` metadata): one string, or two for a pair.
    public var texts: [[String]]? {
        guard let s = metadataDictionary["texts"], let v = try? JSONParser.parse(Array(s.utf8), file: path),
              let rows = v.arrayValue else { return nil }
        return rows.compactMap { r in
            if let s = r.stringValue { return [s] }
            return r.arrayValue?.compactMap(\.stringValue)
        }
    }

    /// The golden's inputs as the model takes them (ids and types checked against `config`).
    public func input(config: BertConfig) throws -> BertInput {
        do {
            return try BertInput(batch: batch, seq: seq, inputIds: inputIds, tokenTypeIds: tokenTypeIds, attentionMask: attentionMask,
                                 config: config)
        } catch let e as ModelError {
            // The inputs came from this file: say so.
            let name = switch e { case .badMaskValue: "attention_mask"; case .tokenTypeOutOfRange: "token_type_ids"; default: "input_ids" }
            throw GoldenError.badInput(file: path, name: name, problem: e.errorDescription ?? "\(e)")
        }
    }

    /// Writes a golden: the inputs, then `taps` in the order given, with the required metadata.
    public static func write(
        path: String, input: BertInput, taps: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)],
        texts: [[String]], source: String, architecture: String? = nil, producer: String = "bertkit \(BertKitVersion.string)"
    ) throws {
        let shape = [input.batch, input.seq]
        func ints(_ a: [Int64]) -> RawTensor {
            a.withUnsafeBytes { try! RawTensor(dtype: .i64, shape: shape, copying: $0) }
        }
        var tensors: [(name: String, tensor: RawTensor)] = [
            ("input_ids", ints(input.inputIds.map { Int64($0) })),
            ("attention_mask", ints(input.attentionMask.map { Int64($0) })),
            ("token_type_ids", ints(input.tokenTypeIds.map { Int64($0) })),
        ]
        for t in taps {
            tensors.append((t.name, try RawTensor(dtype: .f32, shape: t.shape, copying: UnsafeRawBufferPointer(t.values))))
        }
        let textsJSON = JSONValue.array(texts.map { $0.count == 1 ? .string($0[0]) : .array($0.map { .string($0) }) })
        var metadata: [(key: String, value: String)] = [
            ("format", "bertkit-golden"), ("version", "1"), ("texts", textsJSON.serialized(indent: 0)),
            ("source", source), ("producer", producer),
        ]
        if let architecture { metadata.append(("architecture", architecture)) }
        try SafeTensorsWriter.write(tensors, metadata: metadata, to: path)
    }
}
