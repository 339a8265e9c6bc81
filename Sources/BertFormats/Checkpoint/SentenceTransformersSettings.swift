/// sentence-transformers' Pooling module (`1_Pooling/config.json`, sentence_transformers
/// `models/Pooling.py`): one mode over the tokens whose attention mask is 1.
public struct SentencePooling: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable { case mean, cls, max, meanSqrtLen = "mean_sqrt_len" }
    public var mode: Mode
    /// False: the prompt's tokens (the [CLS] included) are left out of the pooling.
    public var includePrompt: Bool
    public init(mode: Mode, includePrompt: Bool = true) { self.mode = mode; self.includePrompt = includePrompt }
}

/// sentence-transformers' Dense module (`models/Dense.py`): `activation(linear(x))`.
public struct DenseModule: Sendable, Equatable {
    /// The activations bertkit runs, by the torch class path `config.json` names them with.
    public enum Activation: String, Sendable, CaseIterable {
        case tanh = "torch.nn.modules.activation.Tanh"
        case identity = "torch.nn.modules.linear.Identity"
    }
    public var inFeatures: Int
    public var outFeatures: Int
    public var bias: Bool
    public var activation: Activation
    public init(inFeatures: Int, outFeatures: Int, bias: Bool, activation: Activation) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.bias = bias
        self.activation = activation
    }
}

/// Everything of a sentence-transformers model folder that changes its embeddings, besides the
/// Transformer's weights and tokenizer: the modules after the Transformer in `modules.json` order,
/// `sentence_bert_config.json` and `config_sentence_transformers.json`.
public struct SentenceTransformersSettings: Sendable, Equatable {
    public struct Module: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case pooling(SentencePooling)
            case dense(DenseModule)
            case normalize
        }
        /// The module's folder inside the model folder (`1_Pooling`, `2_Dense`).
        public var path: String
        public var kind: Kind
        public init(path: String, _ kind: Kind) { self.path = path; self.kind = kind }

        public var typeName: String {
            switch kind {
            case .pooling: "Pooling"
            case .dense: "Dense"
            case .normalize: "Normalize"
            }
        }
    }

    public struct Prompt: Sendable, Equatable {
        public var name: String
        public var text: String
        public init(name: String, text: String) { self.name = name; self.text = text }
    }

    /// After the Transformer, in order; the Pooling module comes first.
    public var modules: [Module]
    /// `sentence_bert_config.json`: truncate inputs to this many tokens (nil: the tokenizer's limit).
    public var maxSeqLength: Int?
    /// `sentence_bert_config.json`: lowercase the input whatever the tokenizer says.
    public var doLowerCase = false
    /// `config_sentence_transformers.json`: texts put before the input, by name, in file order.
    public var prompts: [Prompt] = []
    /// The prompt used when none is asked for.
    public var defaultPromptName: String?
    /// How the model's embeddings are compared (`cosine`, `dot`, `euclidean`, `manhattan`); carried,
    /// not used by bertkit.
    public var similarityFnName: String?
    /// Keep only the first `truncateDim` values of each embedding.
    public var truncateDim: Int?

    public init(modules: [Module], maxSeqLength: Int? = nil, doLowerCase: Bool = false) {
        self.modules = modules
        self.maxSeqLength = maxSeqLength
        self.doLowerCase = doLowerCase
    }

    /// Pooling, then Normalize when `normalize`: what most models (all-MiniLM-L6-v2) have.
    public init(pooling mode: SentencePooling.Mode, normalize: Bool) {
        var m = [Module(path: "1_Pooling", .pooling(SentencePooling(mode: mode)))]
        if normalize { m.append(Module(path: "2_Normalize", .normalize)) }
        self.init(modules: m)
    }

    public var pooling: SentencePooling? {
        if case .pooling(let p) = modules.first?.kind { p } else { nil }
    }

    /// True when a Normalize module is listed.
    public var normalizes: Bool { modules.contains { $0.kind == .normalize } }

    /// The modules in a line: `mean + normalize`, `mean (prompt excluded) + dense 32→24 tanh + normalize`.
    public var summary: String {
        modules.map { m in
            switch m.kind {
            case .pooling(let p): p.mode.rawValue + (p.includePrompt ? "" : " (prompt excluded)")
            case .dense(let d): "dense \(d.inFeatures)→\(d.outFeatures)" + (d.activation == .tanh ? " tanh" : "")
            case .normalize: "normalize"
            }
        }.joined(separator: " + ")
    }

    public static let similarityFunctions = ["cosine", "dot", "euclidean", "manhattan"]

    public func prompt(named name: String) -> Prompt? { prompts.first { $0.name == name } }

    /// The width of the embedding for a model of `hiddenSize`.
    public func dimension(hiddenSize: Int) -> Int {
        var d = hiddenSize
        for m in modules { if case .dense(let dense) = m.kind { d = dense.outFeatures } }
        return truncateDim.map { Swift.min($0, d) } ?? d
    }

    /// The names of the Dense modules' tensors (`sentence_transformers.2_Dense.linear.weight`), with
    /// the shapes they must have.
    public var tensorShapes: [(name: String, shape: [Int])] {
        modules.flatMap { m -> [(name: String, shape: [Int])] in
            guard case .dense(let d) = m.kind else { return [] }
            let p = Self.tensorPrefix + m.path + ".linear."
            return [(p + "weight", [d.outFeatures, d.inFeatures])] + (d.bias ? [(p + "bias", [d.outFeatures])] : [])
        }
    }

    public static let tensorPrefix = "sentence_transformers."

    /// The first thing that makes these settings unusable for a model of `hiddenSize`: which module
    /// (index into `modules`, nil for the model-wide settings), which key, and what is wrong.
    public func problem(hiddenSize: Int) -> (module: Int?, key: String, problem: String)? {
        var width = hiddenSize
        var paths = Set<String>()
        for (i, m) in modules.enumerated() {
            guard ShardedSafeTensors.isInsideFolder(m.path), !m.path.isEmpty else {
                return (i, "path", "\"\(m.path)\" is not a folder inside the model folder")
            }
            guard paths.insert(m.path).inserted else { return (i, "path", "\"\(m.path)\" is the folder of another module too") }
            switch m.kind {
            case .pooling:
                if i != 0 { return (i, "type", "Pooling must come right after the Transformer (bertkit pools the token embeddings)") }
            case .dense(let d):
                if i == 0 { return (i, "type", "the first module after the Transformer must be Pooling, found Dense") }
                guard d.inFeatures == width else { return (i, "in_features", "expected \(width) (the width before it), found \(d.inFeatures)") }
                guard d.outFeatures > 0 else { return (i, "out_features", "expected a positive width, found \(d.outFeatures)") }
                width = d.outFeatures
            case .normalize:
                if i == 0 { return (i, "type", "the first module after the Transformer must be Pooling, found Normalize") }
            }
        }
        if let n = maxSeqLength, n <= 0 { return (nil, "max_seq_length", "expected a positive integer, found \(n)") }
        var names = Set<String>()
        for p in prompts where !names.insert(p.name).inserted { return (nil, "prompts", "the prompt \"\(p.name)\" appears twice") }
        if let d = defaultPromptName, prompt(named: d) == nil {
            return (nil, "default_prompt_name", "\"\(d)\" is not one of the prompts (\(prompts.map(\.name).joined(separator: ", ")))")
        }
        if let s = similarityFnName, !Self.similarityFunctions.contains(s) {
            return (nil, "similarity_fn_name", "expected one of \(Self.similarityFunctions.joined(separator: ", ")), found \"\(s)\"")
        }
        if let t = truncateDim, t <= 0 { return (nil, "truncate_dim", "expected a positive integer, found \(t)") }
        return nil
    }
}
