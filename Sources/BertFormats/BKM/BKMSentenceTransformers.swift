/// The header's `sentence_transformers` object (`formats/bkm.md` §2.1), both ways.
extension BKMHeaderReader {
    func sentenceTransformers(_ root: JSONObject, hiddenSize: Int) throws -> SentenceTransformersSettings? {
        let top = "sentence_transformers"
        guard let o = try optionalObject(root, top) else { return nil }
        try requireExactKeys(o, BKMLayout.sentenceTransformersKeys, at: top + ".")
        guard let list = o["modules"]!.arrayValue else { throw bad(top + ".modules", "expected an array, found \(o["modules"]!.kind)") }
        let modules = try list.enumerated().map { i, v in try module(v, field: "\(top).modules[\(i)]") }
        var s = SentenceTransformersSettings(modules: modules)
        func optionalInt(_ key: String) throws -> Int? {
            guard let v = o[key], !v.isNull else { return nil }
            return try count(v, field: "\(top).\(key)")
        }
        func optionalString(_ key: String) throws -> String? {
            guard let v = o[key], !v.isNull else { return nil }
            return try string(v, field: "\(top).\(key)")
        }
        s.maxSeqLength = try optionalInt("max_seq_length")
        s.doLowerCase = try bool(o["do_lower_case"], field: top + ".do_lower_case")
        guard let prompts = o["prompts"]!.objectValue else { throw bad(top + ".prompts", "expected an object, found \(o["prompts"]!.kind)") }
        s.prompts = try prompts.map { .init(name: $0.key, text: try string($0.value, field: "\(top).prompts.\($0.key)")) }
        s.defaultPromptName = try optionalString("default_prompt_name")
        s.similarityFnName = try optionalString("similarity_fn_name")
        s.truncateDim = try optionalInt("truncate_dim")
        if let p = s.problem(hiddenSize: hiddenSize) {                                                          // B25
            throw bad(p.module.map { "\(top).modules[\($0)].\(p.key)" } ?? "\(top).\(p.key)", p.problem)
        }
        return s
    }

    private func module(_ v: JSONValue, field: String) throws -> SentenceTransformersSettings.Module {
        guard let o = v.objectValue else { throw bad(field, "expected an object, found \(v.kind)") }
        let type = try string(o["type"], field: field + ".type")
        guard let keys = BKMLayout.moduleKeys[type] else {
            throw bad(field + ".type", "expected Pooling, Dense or Normalize, found \"\(type)\"")
        }
        try requireExactKeys(o, keys, at: field + ".")
        let path = try string(o["path"], field: field + ".path")
        switch type {
        case "Pooling":
            return .init(path: path, .pooling(SentencePooling(mode: try poolingMode(o["mode"], field: field + ".mode"),
                                                              includePrompt: try bool(o["include_prompt"], field: field + ".include_prompt"))))
        case "Dense":
            let a = try string(o["activation_function"], field: field + ".activation_function")
            guard let activation = DenseModule.Activation(rawValue: a) else {
                throw bad(field + ".activation_function",
                          "expected \(DenseModule.Activation.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")), found \"\(a)\"")
            }
            return .init(path: path, .dense(DenseModule(inFeatures: try count(o["in_features"]!, field: field + ".in_features"),
                                                        outFeatures: try count(o["out_features"]!, field: field + ".out_features"),
                                                        bias: try bool(o["bias"], field: field + ".bias"), activation: activation)))
        default:
            return .init(path: path, .normalize)
        }
    }
}

extension SentenceTransformersSettings {
    /// The header's `sentence_transformers` object (also `inspect --json`'s).
    public var json: JSONValue {
        let s = self
        let modules: [JSONValue] = s.modules.map { m in
            var o = JSONObject([("type", .string(m.typeName)), ("path", .string(m.path))])
            switch m.kind {
            case .pooling(let p):
                o["mode"] = .string(p.mode.rawValue)
                o["include_prompt"] = .bool(p.includePrompt)
            case .dense(let d):
                o["in_features"] = .int(d.inFeatures)
                o["out_features"] = .int(d.outFeatures)
                o["bias"] = .bool(d.bias)
                o["activation_function"] = .string(d.activation.rawValue)
            case .normalize:
                break
            }
            return .object(o)
        }
        return .object(JSONObject([
            ("modules", .array(modules)),
            ("max_seq_length", s.maxSeqLength.map { .int($0) } ?? .null),
            ("do_lower_case", .bool(s.doLowerCase)),
            ("prompts", .object(JSONObject(s.prompts.map { ($0.name, .string($0.text)) }))),
            ("default_prompt_name", s.defaultPromptName.map { .string($0) } ?? .null),
            ("similarity_fn_name", s.similarityFnName.map { .string($0) } ?? .null),
            ("truncate_dim", s.truncateDim.map { .int($0) } ?? .null),
        ]))
    }
}
