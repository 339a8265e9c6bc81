import CBertKit

// transformers models/bert/modeling_bert.py, BertEmbeddings.forward: word + token type + position
// embeddings (absolute positions 0..<seq in every row), then LayerNorm (layerNormForward).

/// Rows `rows` of out[T, H] = word[ids] + type[types] + position[t % seq]. Ids were checked by
/// `BertInput`. inp: ids, types [T].
func embeddingsForward(out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, types: UnsafePointer<Int32>,
                       word: UnsafePointer<Float>, position: UnsafePointer<Float>, type: UnsafePointer<Float>,
                       rows: Range<Int>, seq: Int, hidden: Int) {
    bk_embeddings_sum_forward(out + rows.lowerBound * hidden, ids + rows.lowerBound, types + rows.lowerBound,
                              Int32(rows.lowerBound), Int32(rows.count), Int32(seq), Int32(hidden), word, position, type)
}

// Backward: scatter dout[T, H] (the LayerNorm's input gradient) into the rows used, as
// nn.Embedding does: none into `paddingId`'s word row (BertEmbeddings' padding_idx), positions
// t % seq, token types. Serial: rows may repeat.
func embeddingsBackward(dword: UnsafeMutablePointer<Float>, dposition: UnsafeMutablePointer<Float>,
                        dtype: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, ids: UnsafePointer<Int32>,
                        types: UnsafePointer<Int32>, tokens: Int, seq: Int, hidden h: Int, paddingId: Int) {
    for t in 0..<tokens {
        let g = dout + t * h
        let p = dposition + (t % seq) * h, ty = dtype + Int(types[t]) * h
        for i in 0..<h { p[i] += g[i]; ty[i] += g[i] }
        if Int(ids[t]) != paddingId {
            let w = dword + Int(ids[t]) * h
            for i in 0..<h { w[i] += g[i] }
        }
    }
}
