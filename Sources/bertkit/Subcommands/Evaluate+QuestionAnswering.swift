import ArgumentParser
import BertFormats
import BertModel
import BertTensors
import Foundation

/// `evaluate --task question-answering`: run_qa's evaluation (windows, postprocess_qa_predictions)
/// and the official SQuAD exact match and F1, with HasAns/NoAns and the best thresholds for v2.
extension Evaluate {
    func questionAnswering(_ m: BertModel) throws {
        guard m.head == .questionAnswering else { throw ModelError.wrongHead(expected: .questionAnswering, found: m.head) }
        let d = try QuestionAnsweringFlags.read(data, skipBadRows: skipBadRows)
        let post = qa.postprocessing(d)
        let r = try QuestionAnsweringEvaluation.run(model: m, dataset: d, features: qa.features(m.config), postprocessing: post)
        let s = r.scores
        if let p = predictions {
            // run_qa's predictions.json: id → answer text.
            let doc = JSONValue.object(JSONObject(r.predictions.map { ($0.id, .string($0.text)) }))
            try AtomicFileWriter.write(Data((doc.serialized() + "\n").utf8), to: p)
        }
        if json { return try Console.outJSON(QuestionAnsweringJSON(s, version2: post.versionTwo, windows: r.windows)) }
        let f = { (x: Double) in String(format: "%.2f", x) }
        var lines = ["exact match \(f(s.exactMatch)), F1 \(f(s.f1)) (\(s.all.total) questions, \(r.windows) windows; SQuAD \(post.versionTwo ? "v2" : "v1.1") scoring)"]
        for (name, split) in [("HasAns", s.hasAnswer), ("NoAns", s.noAnswer)] {
            if let x = split { lines.append("\(name): exact match \(f(x.exact)), F1 \(f(x.f1)) (\(x.total) questions)") }
        }
        if let be = s.bestExact, let bet = s.bestExactThreshold, let bf = s.bestF1, let bft = s.bestF1Threshold {
            lines.append("best exact match \(f(be)) at --null-score-diff-threshold \(String(format: "%.4f", bet)), "
                         + "best F1 \(f(bf)) at \(String(format: "%.4f", bft))")
        }
        Console.out(lines.joined(separator: "\n"))
    }
}

/// The scores under evaluate-v2.0's names (v1.1: exact_match and f1, as evaluate-v1.1 prints them).
struct QuestionAnsweringJSON: Encodable {
    let scores: SQuADScores
    let version2: Bool
    let windows: Int
    init(_ s: SQuADScores, version2: Bool, windows: Int) {
        scores = s
        self.version2 = version2
        self.windows = windows
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(scores.exactMatch, forKey: Key(version2 ? "exact" : "exact_match"))
        try c.encode(scores.f1, forKey: Key("f1"))
        try c.encode(scores.all.total, forKey: Key("total"))
        try c.encode(windows, forKey: Key("windows"))
        for (name, split) in [("HasAns", scores.hasAnswer), ("NoAns", scores.noAnswer)] {
            guard let x = split else { continue }
            try c.encode(x.exact, forKey: Key("\(name)_exact"))
            try c.encode(x.f1, forKey: Key("\(name)_f1"))
            try c.encode(x.total, forKey: Key("\(name)_total"))
        }
        if let v = scores.bestExact { try c.encode(v, forKey: Key("best_exact")) }
        if let v = scores.bestExactThreshold { try c.encode(v, forKey: Key("best_exact_thresh")) }
        if let v = scores.bestF1 { try c.encode(v, forKey: Key("best_f1")) }
        if let v = scores.bestF1Threshold { try c.encode(v, forKey: Key("best_f1_thresh")) }
    }
}
