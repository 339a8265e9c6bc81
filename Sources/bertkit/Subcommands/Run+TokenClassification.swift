import ArgumentParser
import BertFormats
import BertModel
import Foundation

/// `run --task token-classification`'s options.
struct TokenClassificationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("token-classification: how tokens become entities: none (one result per token, the "
                               + "pipeline's default), simple (grouped by B-/I- tags), or first, average, max "
                               + "(one label per word, then grouped).", valueName: "strategy"))
    var aggregation: AggregationStrategy?
    @Option(help: ArgumentHelp("token-classification: labels to drop, comma-separated (default: O; '' keeps every "
                               + "label). With grouping, name the group's label (PER, not B-PER).", valueName: "labels"))
    var ignoreLabels: String?

    /// Refuses these options for another task.
    func check(_ task: PipelineTask) throws {
        guard task != .tokenClassification else { return }
        if aggregation != nil { throw ValidationError("--aggregation is for --task token-classification, not \(task.rawValue)") }
        if ignoreLabels != nil { throw ValidationError("--ignore-labels is for --task token-classification, not \(task.rawValue)") }
    }

    /// The labels to drop, each one the model has (a label, or a label without its B-/I- prefix).
    func labelsToIgnore(_ labels: [String]) throws -> [String] {
        guard let list = ignoreLabels else { return ["O"] }
        let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let known = Set(labels + labels.map { l in l.firstIndex(of: "-").map { String(l[l.index(after: $0)...]) } ?? l })
        for n in names where !known.contains(n) {
            throw ValidationError("--ignore-labels: \"\(n)\" is not one of the model's labels (\(labels.joined(separator: ", ")))")
        }
        return names
    }
}

extension Run {
    /// token-classification: transformers' pipeline output for each text.
    func classifyTokens(_ model: BertModel, _ encoded: EncodedTexts) throws {
        guard inputs.pair.isEmpty else {
            throw ValidationError("--pair: token-classification takes one text per input, not pairs")
        }
        let options = tokenClassification
        let classifier = try TokenClassifier(model: model, aggregation: options.aggregation ?? .none,
                                             ignoreLabels: try options.labelsToIgnore(model.config.id2label))
        // load() has already warned about (or refused) texts longer than the limit.
        let (entities, _) = try classifier(inputs.texts, limit: encoded.limit, truncate: !inputs.noTruncate)
        if json {
            Console.out(JSONValue.array(entities.map { .array($0.map(\.json)) }).serialized(indent: 2))
            return
        }
        var lines: [String] = []
        for (b, list) in entities.enumerated() {
            lines.append("text \(b + 1): \(quoted([inputs.texts[b]]))")
            if list.isEmpty { lines.append("  (no entities)") }
            let width = list.map(\.label.count).max() ?? 0
            for e in list {
                let label = e.label.padding(toLength: width, withPad: " ", startingAt: 0)
                lines.append("  \(label)  \(fmt(e.score))  \(JSONValue.quote(e.word))  [\(e.start), \(e.end))"
                             + (e.index.map { "  token \($0)" } ?? ""))
            }
        }
        Console.out(lines.joined(separator: "\n"))
    }
}

extension AggregationStrategy: ExpressibleByArgument {}
