import ArgumentParser
import BertFormats
import BertModel
import BertTokenizer
import Foundation

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on texts by task: a classifier's label and probabilities, an encoder's pooled vector, fill-mask, next-sentence or multiple-choice.",
        discussion: """
            Each TEXT is one input ([CLS] TEXT [SEP]); --pair gives the text at the same position a second \
            segment ([CLS] TEXT [SEP] PAIR [SEP]). Texts are batched together, right-padded.

            A sequence classifier (BertForSequenceClassification) prints the predicted label and every \
            label's probability: softmax for single-label models, sigmoid per label for \
            multi_label_classification, the raw value for regression. A token classifier \
            (BertForTokenClassification) prints transformers' token-classification pipeline output: per \
            token (or per entity with --aggregation) the label, score, word and character offsets, O \
            dropped; tokens past the length limit get none. An encoder prints the size and \
            first values of its pooled vector: the pooler output (tanh of the dense first token), or the \
            sentence-transformers embedding when it has no pooler.

            fill-mask (BertForMaskedLM, BertForPreTraining), as transformers' fill-mask pipeline: every \
            [MASK] (the model's mask token) of a TEXT is filled with the --top-k most probable tokens \
            (softmax over the whole vocabulary, special tokens included), or only with --targets; --json \
            gives per text the pipeline's list of {score, token, token_str, sequence}, one list per mask \
            when a text has several. A text without the mask token is refused (exit 2).

            next-sentence (BertForNextSentencePrediction, BertForPreTraining): TEXT is sentence A, its \
            --pair sentence B; prints the softmax of the NSP logits as {"is_next": p, "not_next": 1 - p} \
            (label 0, is_next, means B follows A). transformers has no pipeline for it.

            multiple-choice (BertForMultipleChoice): each TEXT is a context scored against every \
            --choice, built as run_swag.py builds them ([CLS] TEXT [SEP] CHOICE [SEP]; with --pair STEM, \
            [CLS] TEXT [SEP] STEM CHOICE [SEP]); prints one {choice, score} per choice in the given \
            order, the softmax over the choices. transformers has no pipeline for it.

            replaced-token-detection (ElectraForPreTraining, the ELECTRA discriminator): each token of a \
            TEXT but the ones the tokenizer adds, with its offsets and the sigmoid of its logit, the \
            probability that it was replaced (above 0.5: replaced), as the model card reads the logits; \
            --json gives per text a list of {token, index, start, end, score, replaced}. transformers has \
            no pipeline for it.

            Texts longer than max_position_embeddings tokens are truncated with a warning (pairs as \
            transformers' BertTokenizer cuts them; see --truncation-rule); --no-truncate refuses them (exit 2).

            question-answering (BertForQuestionAnswering) takes --question Q --context C pairs or --jsonl \
            instead of TEXT and finds the best answer spans in each context, as transformers' (4.57) \
            question-answering pipeline: long contexts are split into windows that share --doc-stride tokens, \
            answers are widened to whole words, equal answers (ignoring case) add up (over the best 2 × --top-k + 10 \
            spans of each window, so --top-k can change a score and the order, as in the pipeline). --json prints per input \
            {score, start, end, answer} (start and end index the context's code points), or a list of them \
            when there are several (--top-k). A question that leaves no room for the context in a window is \
            refused (exit 2).

            --file (one text per line), --jsonl ({"text": ..., "pair": ...} per line) or --csv (a header, \
            then --text-column and --pair-column), each - for stdin, stream a corpus through \
            text-classification or feature-extraction: texts are read and tokenized on one thread while the \
            forward runs, a --sort-window of texts is sorted by length and cut into batches of at most \
            --batch-size texts and --max-tokens positions, and one JSON line per text comes out in input \
            order: {"line": N, ...} with the keys of --json's element but "text". With -o the lines go to a \
            file that appears only when complete (Ctrl-C removes it; --keep-partial keeps the rows done as \
            OUT.partial-N.jsonl). A bad row (empty, invalid UTF-8, not a JSON object, a missing field, too \
            long with --no-truncate) stops the run before any output, naming file:line (exit 2); \
            --skip-bad-rows skips and counts them. The summary (texts/s, tokens/s, padding, peak memory) \
            goes to stderr; with --json it is a JSON object, on stdout when -o is given. With a \
            question-answering model, --jsonl holds {"question", "context"} lines instead (read whole).

            EXAMPLES
              bertkit run golden/fixtures/tiny-cls 'The team will win today.'
              bertkit run golden/fixtures/tiny-cls --file texts.txt > labels.jsonl
              bertkit run golden/fixtures/tiny-cls --csv news.csv --text-column title --max-tokens 8192 -o labels.jsonl
              bertkit run .cache/models/all-MiniLM-L6-v2 'Hello, world!' 'Go!' --json
              bertkit run nli-model 'A man is eating.' --pair 'Somebody eats.'
              bertkit run golden/fixtures/tiny-tokcls 'hello world' --aggregation simple
              bertkit run squad-model --question 'Who wrote it?' --context 'It was written by Ada.' --top-k 3 --json
              bertkit run mlm-model 'Paris is the [MASK] of France.' --top-k 3 --json
              bertkit run mlm-model 'Paris is the [MASK] of France.' --targets capital --targets city
              bertkit run nsp-model 'The man went to the store.' --pair 'He bought milk.' --task next-sentence
              bertkit run swag-model 'The chef tasted the soup.' --choice 'It needed salt.' --choice 'It flew away.'
            """)

    @OptionGroup var inputs: TextInputs
    @Option(help: "The task (default: the one the model's head is for): \(PipelineTask.allCases.map(\.rawValue).joined(separator: ", ")).")
    var task: PipelineTask?
    @Flag(help: "Print JSON: one array, one element per text (exactly the value transformers' pipeline returns for that text); for file inputs, the summary as JSON.")
    var json = false
    @OptionGroup(title: "token-classification") var tokenClassification: TokenClassificationOptions
    @Option(help: "fill-mask: candidates per mask (default 5; at most the number of --targets); question-answering: answers per question (default 1).")
    var topK: Int?
    @OptionGroup(title: "fill-mask") var fillMaskOptions: FillMaskOptions
    @OptionGroup(title: "multiple-choice") var choiceOptions: MultipleChoiceOptions
    @OptionGroup(title: "Question answering") var qa: QuestionAnsweringArguments
    @OptionGroup(title: "File inputs") var corpus: CorpusOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("File inputs: write the JSON lines to this file instead of stdout.", valueName: "path"))
    var output: String?

    func validate() throws {
        // Question answering takes --question/--context or --jsonl instead of TEXT.
        if qa.given { try qa.validate(with: inputs) } else { try inputs.requireTexts(); try qa.validateUnused(with: inputs) }
        if output != nil, !inputs.source.given { throw ValidationError("-o goes with --file, --jsonl or --csv") }
        if let k = topK, k < 1 { throw ValidationError("--top-k must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            if qa.given { return try answerQuestions(try inputs.loadModel()) }
            let model = try inputs.loadModel()
            let task = self.task ?? PipelineTask.default(for: model.head)
            try task.check(model.architecture)
            if task == .questionAnswering, inputs.source.jsonl != nil {
                guard inputs.source.textField == nil, inputs.source.pairField == nil else {
                    throw ValidationError("question-answering reads \"question\" and \"context\" from --jsonl; --text-field and --pair-field do not apply")
                }
                return try answerQuestions(model)
            }
            if inputs.source.given, task != .questionAnswering { return try runCorpus(model, task: task) }
            if qa.tuned { throw ValidationError("--max-seq-len, --doc-stride, --max-answer-len and --handle-impossible-answer are for question-answering") }
            try tokenClassification.check(task)
            try fillMaskOptions.check(task)
            if topK != nil, task != .fillMask {
                throw ValidationError("--top-k is for --task fill-mask and question-answering, not \(task.rawValue)")
            }
            try choiceOptions.check(task)
            switch task {
            case .textClassification, .featureExtraction:
                let (encoded, texts) = try inputs.encode(for: model)
                try classifyOrPool(model, encoded, texts)
            case .tokenClassification:
                let (encoded, _) = try inputs.encode(for: model)
                try classifyTokens(model, encoded)
            case .questionAnswering:
                throw ValidationError(QuestionAnsweringArguments.textsRefused)
            case .fillMask: try fillMask(model)
            case .nextSentence: try nextSentence(model)
            case .multipleChoice: try multipleChoice(model)
            case .replacedTokenDetection:
                let (encoded, _) = try inputs.encode(for: model)
                try detectReplacedTokens(model, encoded)
            }
        }
    }

    /// text-classification and feature-extraction.
    private func classifyOrPool(_ model: BertModel, _ encoded: EncodedTexts, _ texts: [[String]]) throws {
        let out = try model.run(encoded.input)
        var rows: [JSONValue] = []
        var lines: [String] = []
        for (b, text) in texts.enumerated() {
            var o = JSONObject([("text", .string(text.joined(separator: " ||| ")))])
            lines.append("text \(b + 1): \(quoted(text))")
            let (result, line) = rowResult(model, out, row: b)
            for (k, v) in result { o[k] = v }
            if let line { lines.append(line) }
            rows.append(.object(o))
        }
        Console.out(json ? JSONValue.array(rows).serialized(indent: 2) : lines.joined(separator: "\n"))
    }

    /// Row `b`'s text-classification or feature-extraction result (the --json keys after "text") and
    /// its readable line.
    func rowResult(_ model: BertModel, _ out: BertOutput, row b: Int) -> (JSONObject, String?) {
        let c = model.config
        var o = JSONObject()
        if let logits = out.logits, model.head == .sequenceClassification {
            let l = BertOutput.row(logits, b, width: c.numLabels)
            let scores = ClassifierScores(logits: l, problemType: c.problemType, labels: c.id2label)
            o["label"] = .string(scores.label)
            o["scores"] = .object(JSONObject(zip(c.id2label, scores.values).map { ($0, .double(Double($1))) }))
            o["score_kind"] = .string(scores.kind)
            o["logits"] = .array(l.map { .double(Double($0)) })
            return (o, "  → \(scores.label)  (\(scores.kind): "
                    + zip(c.id2label, scores.values).map { "\($0) \(fmt($1))" }.joined(separator: ", ") + ")")
        } else if let (kind, values) = pooledVector(out, row: b) {
            o["kind"] = .string(kind)
            o["size"] = .int(values.count)
            o["values"] = .array(values.map { .double(Double($0)) })
            return (o, "  \(kind): \(values.count) values: " + values.prefix(8).map(fmt).joined(separator: " ") + " …")
        }
        return (o, nil)
    }

    /// The pooler output, else the sentence embedding, else the first token's last hidden state.
    private func pooledVector(_ out: BertOutput, row b: Int) -> (String, [Float])? {
        if let p = out.pooled { return ("pooler output", BertOutput.row(p, b, width: out.hidden)) }
        if let s = out.sentenceEmbeddings { return ("sentence embedding", BertOutput.row(s, b, width: out.sentenceDimension)) }
        return ("[CLS] hidden state", Array(out.lastHiddenState[b * out.seq * out.hidden..<(b * out.seq + 1) * out.hidden]))
    }
}

extension PipelineTask: ExpressibleByArgument {}
