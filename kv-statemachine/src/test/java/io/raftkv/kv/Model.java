package io.raftkv.kv;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The obvious reference implementation of the KV semantics on a java.util.HashMap, for checking the state machine
 * against. Keys are held as ISO-8859-1 strings, a bijection from byte arrays.
 */
final class Model {
    final Map<String, byte[]> entries = new HashMap<>();
    private final KvLimits limits;

    Model(KvLimits limits) {
        this.limits = limits;
    }

    static String name(byte[] key) {
        return new String(key, StandardCharsets.ISO_8859_1);
    }

    KvResult apply(KvCommand command) {
        Optional<KvResult.TooLarge> tooLarge = limits.validate(command);
        if (tooLarge.isPresent()) {
            return tooLarge.get();
        }
        if (command instanceof KvCommand.Put p) {
            entries.put(name(p.key()), p.value());
        } else if (command instanceof KvCommand.Delete d) {
            entries.remove(name(d.key()));
        } else if (command instanceof KvCommand.CompareAndSet c) {
            byte[] current = entries.get(name(c.key()));
            boolean ok = c.expected() == null ? current == null : current != null && Arrays.equals(current, c.expected());
            if (!ok) {
                return new KvResult.CasFailed(current);
            }
            if (c.newValue() == null) {
                entries.remove(name(c.key()));
            } else {
                entries.put(name(c.key()), c.newValue());
            }
        } else if (command instanceof KvCommand.PutBatch b) {
            for (KvCommand.Entry e : b.entries()) {
                entries.put(name(e.key()), e.value());
            }
        }
        return KvResult.OK;
    }

    Map<String, byte[]> copy() {
        return new HashMap<>(entries);
    }
}
