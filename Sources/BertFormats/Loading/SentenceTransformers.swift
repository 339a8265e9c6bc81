import Foundation

/// sentence-transformers' module list: `modules.json` names a `Pooling` module whose folder holds
/// `config.json` (sentence_transformers/models/Pooling.py; in 6.x
/// sentence_transformer/modules/pooling.py), and maybe a `Normalize` module.
public enum SentenceTransformers {
    public static let poolingType = "sentence_transformers.models.Pooling"
    public static let normalizeType = "sentence_transformers.models.Normalize"
    public static let transformerType = "sentence_transformers.models.Transformer"

    /// The pooling `modules.json` describes, or nil when it lists no Pooling module. Returns the
    /// pooling config's path too, for provenance.
    public static func readPooling(modules path: String) throws -> (SentencePooling, poolingConfig: String)? {
        guard case .array(let mods) = try JSONParser.parse(contentsOf: path) else {
            throw ConfigError(file: path, key: "(top level)", "expected an array of modules")
        }
        var poolingDir: String?
        var normalize = false
        for (i, m) in mods.enumerated() {
            guard let o = m.objectValue else { throw ConfigError(file: path, key: "\(i)", "expected an object, found \(m.kind)") }
            guard let type = o["type"]?.stringValue else { throw ConfigError(file: path, key: "\(i).type", "expected a string") }
            if className(type) == "Pooling" {
                guard let p = o["path"]?.stringValue else { throw ConfigError(file: path, key: "\(i).path", "expected a string") }
                guard ShardedSafeTensors.isInsideFolder(p) else {
                    throw ConfigError(file: path, key: "\(i).path", "\"\(p)\" points outside the model folder")
                }
                poolingDir = p
            }
            if className(type) == "Normalize" { normalize = true }
        }
        guard let dir = poolingDir else { return nil }
        let folder = (path as NSString).deletingLastPathComponent
        let configPath = (folder.isEmpty ? "" : folder + "/") + dir + "/config.json"
        guard case .object(let c) = try JSONParser.parse(contentsOf: configPath) else {
            throw ConfigError(file: configPath, key: "(top level)", "expected an object")
        }
        let modes: [(String, SentencePooling.Mode)] = [
            ("pooling_mode_cls_token", .cls), ("pooling_mode_mean_tokens", .mean),
            ("pooling_mode_max_tokens", .max), ("pooling_mode_mean_sqrt_len_tokens", .meanSqrtLen),
        ]
        var on: [SentencePooling.Mode] = []
        // sentence-transformers 6 writes one key, `pooling_mode`: a name or a list of names.
        if let v = c["pooling_mode"], !v.isNull {
            let names: [JSONValue] = v.arrayValue ?? [v]
            let byName: [String: SentencePooling.Mode] = ["cls": .cls, "mean": .mean, "max": .max, "mean_sqrt_len_tokens": .meanSqrtLen]
            for n in names {
                guard let name = n.stringValue else { throw ConfigError(file: configPath, key: "pooling_mode", "expected a name or a list of names, found \(n.kind)") }
                guard let mode = byName[name] else {
                    throw ConfigError(file: configPath, key: "pooling_mode",
                                      "unsupported pooling mode \"\(name)\"; bertkit supports cls, mean, max and mean_sqrt_len_tokens")
                }
                on.append(mode)
            }
            guard on.count == 1 else {
                throw ConfigError(file: configPath, key: "pooling_mode", "\(on.count) pooling modes are listed; bertkit supports exactly one")
            }
            return (SentencePooling(mode: on[0], normalize: normalize), configPath)
        }
        for (key, mode) in modes {
            guard let v = c[key], !v.isNull else { continue }
            guard let b = v.boolValue else { throw ConfigError(file: configPath, key: key, "expected true or false, found \(v.kind)") }
            if b { on.append(mode) }
        }
        for (k, v) in c where k.hasPrefix("pooling_mode_") && !modes.contains(where: { $0.0 == k }) && v.boolValue == true {
            throw ConfigError(file: configPath, key: k, "unsupported pooling mode; bertkit supports cls, mean, max and mean_sqrt_len")
        }
        guard on.count == 1 else {
            throw ConfigError(file: configPath, key: "pooling_mode_*",
                              on.isEmpty ? "no pooling mode is true" : "\(on.count) pooling modes are true; bertkit supports exactly one")
        }
        return (SentencePooling(mode: on[0], normalize: normalize), configPath)
    }

    /// A module type's class name. sentence-transformers up to 5 writes `sentence_transformers.models.Pooling`;
    /// 6 writes the class's module path, `sentence_transformers.sentence_transformer.modules.pooling.Pooling`
    /// and `sentence_transformers.base.modules.normalize.Normalize`. Both load in 6, so both are read.
    static func className(_ type: String) -> String? {
        guard type.hasPrefix("sentence_transformers.") else { return nil }
        return type.split(separator: ".").last.map(String.init)
    }

    /// `modules.json` for a Transformer + Pooling (+ Normalize) model, in the spelling every
    /// sentence-transformers version reads.
    public static func modulesJSON(normalize: Bool) -> JSONValue {
        var mods: [JSONValue] = [
            module(0, "", transformerType), module(1, "1_Pooling", poolingType),
        ]
        if normalize { mods.append(module(2, "2_Normalize", normalizeType)) }
        return .array(mods)
    }

    private static func module(_ i: Int, _ path: String, _ type: String) -> JSONValue {
        .object(JSONObject([("idx", .int(i)), ("name", .string(String(i))), ("path", .string(path)), ("type", .string(type))]))
    }

    /// `1_Pooling/config.json` for `pooling`.
    public static func poolingConfigJSON(_ p: SentencePooling, dimension: Int) -> JSONValue {
        .object(JSONObject([
            ("word_embedding_dimension", .int(dimension)),
            ("pooling_mode_cls_token", .bool(p.mode == .cls)),
            ("pooling_mode_mean_tokens", .bool(p.mode == .mean)),
            ("pooling_mode_max_tokens", .bool(p.mode == .max)),
            ("pooling_mode_mean_sqrt_len_tokens", .bool(p.mode == .meanSqrtLen)),
        ]))
    }
}
