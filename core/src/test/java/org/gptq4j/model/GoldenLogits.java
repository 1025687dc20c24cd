package org.gptq4j.model;

import org.gptq4j.io.SafetensorsFile;
import org.gptq4j.testing.Fixtures;

import java.util.ArrayList;
import java.util.List;

/** The reference sequences of a golden file: ids, the positions kept, and transformers' logits at those positions. */
record GoldenLogits(String name, int[] ids, int[] positions, float[][] logits) {

    static List<GoldenLogits> read(String repo, String branch) {
        List<GoldenLogits> out = new ArrayList<>();
        try (SafetensorsFile file = SafetensorsFile.open(Fixtures.golden(repo, branch, "safetensors"))) {
            for (int s = 0; file.tensors().containsKey("seq" + s + ".ids"); s++) {
                int[] ids = file.tensors().get("seq" + s + ".ids").toIntArray();
                int[] positions = file.tensors().get("seq" + s + ".positions").toIntArray();
                var t = file.tensors().get("seq" + s + ".logits");
                int vocab = t.dim(1);
                float[] flat = t.toFloatArray();
                float[][] logits = new float[positions.length][];
                for (int i = 0; i < positions.length; i++) {
                    logits[i] = java.util.Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
                }
                out.add(new GoldenLogits(repo + "/" + branch + " seq" + s, ids, positions, logits));
            }
        }
        if (out.isEmpty()) throw new IllegalStateException("golden file of " + repo + "/" + branch + " holds no sequences");
        return out;
    }
}
