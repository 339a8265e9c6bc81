import ArgumentParser
import BertModel
import Foundation

/// run --task fill-mask's options.
struct FillMaskOptions: ParsableArguments {
    @Option(help: ArgumentHelp("fill-mask: score only this token (repeatable, one token each). A target that is not a vocabulary entry is tokenized and its first token used, with a warning.",
                               valueName: "token"))
    var targets: [String] = []

    func check(_ task: PipelineTask) throws {
        guard task != .fillMask else { return }
        if !targets.isEmpty { throw ValidationError("--targets is for --task fill-mask, not \(task.rawValue)") }
    }
}

extension Run {
    /// fill-mask: the candidates for every mask of each text.
    func fillMask(_ model: BertModel) throws {
        let pipeline = try FillMask(model: model)
        let targetIds = try resolveTargets(pipeline)
        let texts = inputs.textInputs
        let out = try pipeline(texts, topK: topK ?? 5, targets: targetIds, truncate: !inputs.noTruncate)
        inputs.warnTruncated(out.truncated, limit: out.limit)
        if json { return try Console.outJSON(out.predictions) }
        var lines: [String] = []
        for (b, prediction) in out.predictions.enumerated() {
            lines.append("text \(b + 1): \(quoted([texts[b].text] + (texts[b].pair.map { [$0] } ?? [])))")
            let masks = prediction.masks
            for (m, candidates) in masks.enumerated() {
                let indent = masks.count > 1 ? "    " : "  "
                if masks.count > 1 { lines.append("  mask \(m + 1) of \(masks.count):") }
                let width = candidates.map(\.tokenStr.count).max() ?? 0
                for c in candidates {
                    lines.append(indent + probability(c.score) + "  " + c.tokenStr.padding(toLength: width, withPad: " ", startingAt: 0)
                                 + "  " + c.sequence)
                }
            }
        }
        Console.out(lines.joined(separator: "\n"))
    }
}

extension Run {
    /// --targets as vocabulary ids (nil: every token), warning about targets that are not entries.
    func resolveTargets(_ pipeline: FillMask) throws -> [Int]? {
        guard !fillMaskOptions.targets.isEmpty else { return nil }
        let resolved = try pipeline.resolve(targets: fillMaskOptions.targets)
        for t in resolved where !t.inVocabulary {
            if let token = t.token, let id = t.id {
                Console.log("warning: target \"\(t.target)\" is not in the vocabulary; using its first token \"\(token)\" (id \(id))")
            } else {
                Console.log("warning: target \"\(t.target)\" tokenizes to nothing; ignored")
            }
        }
        return resolved.compactMap(\.id)
    }
}

/// A probability for the readable summary: four decimals, or three digits in e-notation below 0.001
/// (fill-mask scores over a large vocabulary are often that small).
func probability(_ p: Double) -> String { p >= 1e-3 || p == 0 ? String(format: "%.4f", p) : String(format: "%.2e", p) }
