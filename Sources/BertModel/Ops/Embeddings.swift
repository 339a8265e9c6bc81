import CBertKit

// transformers models/bert/modeling_bert.py, BertEmbeddings.forward: word + token type + position
// embeddings, then LayerNorm (layerNormForward). Positions are per token (BertInput.positionIds):
// 0..<seq in every row for BERT, from the padding id on for RoBERTa (modeling_roberta.py,
// RobertaEmbeddings with `create_position_ids_from_input_ids`).

/// Rows `rows` of out[T, H] = word[ids] + type[types] + position[positions]; `type` nil in families
/// without token types (DistilBERT's `Embeddings`: word + position). Ids were checked by `BertInput`.
/// inp: ids, types, positions [T].
func embeddingsForward(out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, types: UnsafePointer<Int32>,
                       positions: UnsafePointer<Int32>, word: UnsafePointer<Float>, position: UnsafePointer<Float>,
                       type: UnsafePointer<Float>?, rows: Range<Int>, hidden: Int) {
    let r = rows.lowerBound
    bk_embeddings_sum_forward(out + r * hidden, ids + r, types + r, positions + r, Int32(rows.count), Int32(hidden), word,
                              position, type)
}

// Backward: scatter dout[T, H] (the LayerNorm's input gradient) into the rows used, as
// nn.Embedding does: none into `paddingId`'s word row (padding_idx), nor into its position row in
// families whose position table has that padding_idx (RoBERTa: `paddingPosition`), token types.
// Serial: rows may repeat. dtype nil: no token-type table (MPNet).
func embeddingsBackward(dword: UnsafeMutablePointer<Float>, dposition: UnsafeMutablePointer<Float>,
                        dtype: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, ids: UnsafePointer<Int32>,
                        types: UnsafePointer<Int32>, positions: UnsafePointer<Int32>, tokens: Int, hidden h: Int,
                        paddingId: Int, paddingPosition: Int?) {
    for t in 0..<tokens {
        let g = dout + t * h
        if let dtype {
            let ty = dtype + Int(types[t]) * h
            for i in 0..<h { ty[i] += g[i] }
        }
        if Int(positions[t]) != paddingPosition {
            let p = dposition + Int(positions[t]) * h
            for i in 0..<h { p[i] += g[i] }
        }
        if Int(ids[t]) != paddingId {
            let w = dword + Int(ids[t]) * h
            for i in 0..<h { w[i] += g[i] }
        }
    }
}
