import BertFormats
import BertModel
import BertTokenizer
import Foundation

/// Behaviour: determinism, padding independence, the tokenizer's special tokens.
enum BehaviourChecks {
    /// Padding changes GEMM shapes and so summation order; real positions must agree to f32
    /// rounding grown through the layers (~1e-6 relative), so 1e-4 absolute is a generous bound
    /// that still catches a mask that leaks padding (errors of 1e-2 or more).
    static let paddingTolerance = 1e-4

    static func run(_ model: BertModel, _ tokenizer: ModelTokenizer, probes: [TextInput]) throws -> [ValidationCheck] {
        var out: [ValidationCheck] = []
        let e = try BertInput.encode(probes, tokenizer: tokenizer, config: model.config).input
        let first = try model.run(e), second = try model.run(e)
        let same = first.lastHiddenState.map(\.bitPattern) == second.lastHiddenState.map(\.bitPattern)
            && first.logits?.map(\.bitPattern) == second.logits?.map(\.bitPattern)
            && first.nextSentenceLogits?.map(\.bitPattern) == second.nextSentenceLogits?.map(\.bitPattern)
        out.append(.passIf(same, "Behaviour", "deterministic", pass: "the same input twice gives bit-identical outputs",
                           fail: "two runs of the same input differ"))

        // The shortest probe alone against its row in the padded batch.
        let lengths = try probes.map { try tokenizer.tokens($0.text).count }
        let short = probes.indices.min { lengths[$0] < lengths[$1] }!
        let alone = try model.run(try BertInput.encode([probes[short]], tokenizer: tokenizer, config: model.config).input)
        let h = model.config.hiddenSize
        var worst = 0.0
        for p in 0..<alone.seq {
            for k in 0..<h {
                worst = max(worst, Double(abs(alone.lastHiddenState[p * h + k] - first.lastHiddenState[(short * first.seq + p) * h + k])))
            }
        }
        // Head outputs: one vector per row (classifier, choice score, NSP) or per token (token
        // classification, QA), compared on the row's real tokens.
        func compare(_ la: [Float]?, _ lb: [Float]?, tokens: Int) {
            guard let la, let lb else { return }
            let w = la.count / tokens, batchTokens = tokens == 1 ? 1 : first.seq
            for p in 0..<tokens {
                for k in 0..<w { worst = max(worst, Double(abs(la[p * w + k] - lb[(short * batchTokens + p) * w + k]))) }
            }
        }
        let perToken = model.head == .tokenClassification || model.head == .questionAnswering
        compare(alone.logits, first.logits, tokens: perToken ? alone.seq : 1)
        compare(alone.nextSentenceLogits, first.nextSentenceLogits, tokens: 1)
        out.append(.passIf(worst <= paddingTolerance, "Behaviour", "padded batch = single",
                           pass: "text \(short + 1) alone and padded in a batch of \(probes.count) agree (max abs \(String(format: "%.2e", worst)) ≤ \(paddingTolerance))",
                           fail: "text \(short + 1) alone and padded differ by \(String(format: "%.2e", worst)) > \(paddingTolerance): padding leaks into real tokens",
                           figures: ["padding_max_abs": worst]))

        // The framing and special tokens by role: [CLS] … [SEP] for BERT, <s> … </s> for RoBERTa.
        var problems: [String] = []
        let sp = tokenizer.special
        let ids = try tokenizer.encode("hello", options: EncodingOptions()).inputIds
        if ids.first != sp.cls.id { problems.append("the encoding does not start with \(sp.cls.content)") }
        if ids.last != sp.sep.id { problems.append("the encoding does not end with \(sp.sep.content)") }
        for t in [sp.cls, sp.sep, sp.mask].compactMap({ $0 }) {
            // Whole means its id: an lstrip token (RoBERTa's <mask>) is the token " <mask>", as `tokenizers` spells it.
            if !(try tokenizer.tokenize("a \(t.content) b").ids.contains(t.id)) {
                problems.append("\(t.content) in text is split into \(try tokenizer.tokens("a \(t.content) b"))")
            }
        }
        out.append(.passIf(problems.isEmpty, "Behaviour", "tokenizer special tokens round-trip",
                           pass: "\(sp.cls.content) … \(sp.sep.content) framing, and special tokens in text stay whole",
                           fail: problems.joined(separator: "; ")))
        return out
    }
}
